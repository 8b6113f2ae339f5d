"""Condition expressions (ConditionExpression, FilterExpression) and their evaluation.

Grammar (keywords case-insensitive; NOT binds tighter than AND, AND tighter than OR)::

    condition  := or
    or         := and ( OR and )*
    and        := not ( AND not )*
    not        := NOT not | primary
    primary    := '(' condition ')'
                | operand comparator operand          comparator: = <> < <= > >=
                | operand BETWEEN operand AND operand
                | operand IN '(' operand ( ',' operand )* ')'
                | function '(' operand ( ',' operand )* ')'
    operand    := path | :value | size '(' path ')' | '(' operand ')'

The parsed expression is compiled once into nested closures, so evaluating it against an item
is plain Python calls (no re-parsing, no regexes).
"""

from __future__ import annotations

from typing import Any, Callable

from regionbox.core.errors import ServiceError

from regionbox.services.dynamodb.expressions.attributes import ExpressionAttributes
from regionbox.services.dynamodb.expressions.lexer import NAME, NAMEREF, PUNCT, VALUEREF, ParserBase, Token, parse_guarded
from regionbox.services.dynamodb.expressions.paths import Path, get_path, path_str
from regionbox.services.dynamodb.expressions.evaluate import (
    begins_with, between, both, comparison, contains, either, one_of, size_of,
)
from regionbox.services.dynamodb.types import ALL_TYPES, compare

Getter = Callable[[dict], Any]
Predicate = Callable[[dict], bool]

COMPARATORS = ("=", "<>", "<", "<=", ">", ">=")
CONDITION_FUNCTIONS = {
    "attribute_exists": 1,
    "attribute_not_exists": 1,
    "attribute_type": 2,
    "begins_with": 2,
    "contains": 2,
    "size": 1,
}
_PATH_FUNCTIONS = ("attribute_exists", "attribute_not_exists", "attribute_type", "size")
_VALID_TYPES = "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}"


class Operand:
    """A path, a literal value, or a function call (size as an operand; the boolean functions
    only as conditions)."""

    __slots__ = ("kind", "path", "value", "name", "args", "token")

    def __init__(self, kind: str, token: Token, path: Path | None = None, value: dict | None = None,
                 name: str = "", args: list["Operand"] | None = None):
        self.kind = kind  # "path" | "value" | "function"
        self.token = token
        self.path = path
        self.value = value
        self.name = name
        self.args = args or []

    def getter(self) -> Getter:
        if self.kind == "path":
            path = self.path
            if len(path) == 1:
                name = path[0]
                return lambda item: item.get(name)
            return lambda item: get_path(item, path)
        if self.kind == "value":
            value = self.value
            return lambda item: value
        # size(path): the number of characters/bytes/elements; None (no match) for other types
        inner = self.args[0].getter() if self.args else (lambda item: None)

        def size(item: dict) -> dict | None:
            value = inner(item)
            n = size_of(value) if value is not None else None
            return None if n is None else {"N": str(n)}

        return size


class Condition:
    """A compiled condition. ``evaluate(item)`` is True when the item (None: no item) matches."""

    __slots__ = ("text", "predicate", "paths")

    def __init__(self, text: str, predicate: Predicate, paths: list[Path]):
        self.text = text
        self.predicate = predicate
        self.paths = paths  # every document path the condition reads (for projections of filters)

    def evaluate(self, item: dict | None) -> bool:
        return self.predicate(item or {})

    __call__ = evaluate


class ConditionParser(ParserBase):
    label = "ConditionExpression"

    def __init__(self, text: str, attrs: ExpressionAttributes, label: str | None = None):
        super().__init__(text, attrs, label)
        self.paths: list[Path] = []

    def parse(self) -> Condition:
        predicate = self.parse_or()
        self.finish()
        return Condition(self.text, predicate, self.paths)

    # -- boolean structure -------------------------------------------------------------------
    def parse_or(self) -> Predicate:
        left = self.parse_and()
        while self.at_keyword("OR"):
            self.advance()
            right = self.parse_and()
            left = either(left, right)
        return left

    def parse_and(self) -> Predicate:
        left = self.parse_not()
        while self.at_keyword("AND"):
            self.advance()
            right = self.parse_not()
            left = both(left, right)
        return left

    def parse_not(self) -> Predicate:
        if self.at_keyword("NOT"):
            self.advance()
            inner = self.parse_not()
            return lambda item: not inner(item)
        return self.parse_primary()

    def parse_primary(self) -> Predicate:
        if self.at_punct("("):
            # Either a parenthesized condition or a parenthesized operand: try the condition
            # first and fall back, as the grammar is ambiguous at this token.
            start, errors, paths = self.pos, dict(self.errors), list(self.paths)
            if self.redundant_parens():
                self.note("parens", "The expression has redundant parentheses;")
            self.advance()
            first_error = None
            try:
                inner = self.parse_or()
                self.expect_punct(")")
                if not self._starts_comparison():
                    return inner
            except ServiceError as err:
                first_error, first_index = err, self.error_index
            self.pos, self.errors, self.paths = start, errors, paths
            try:
                return self.parse_comparison(self.parse_operand())
            except ServiceError:
                # Report the error found furthest into the text, as a parser trying both
                # alternatives would.
                if first_error is not None and first_index >= self.error_index:
                    raise first_error from None
                raise
        left = self.parse_operand()
        return self.parse_comparison(left)

    def _starts_comparison(self) -> bool:
        token = self.peek()
        return (token.kind == PUNCT and token.text in COMPARATORS) or token.upper in ("BETWEEN", "IN")

    def parse_comparison(self, left: Operand) -> Predicate:
        token = self.peek()
        if token.kind == PUNCT and token.text in COMPARATORS:
            self.advance()
            right = self.parse_operand()
            self.check_operands(token.text, [left, right])
            self.check_distinct(token.text, left, right)
            return comparison(token.text, left.getter(), right.getter(), _constant(left), _constant(right))
        if token.upper == "BETWEEN":
            low, high = self.parse_between_bounds(left)
            return between(left.getter(), low.getter(), high.getter())
        if token.upper == "IN":
            options = self.parse_in_options(left)
            return one_of(left.getter(), [o.getter() for o in options])
        if left.kind == "function":
            if left.name == "size":
                self.note("misused", "The function is not allowed to be used this way in an expression; function: size")
            return self.function_predicate(left)
        self.syntax_error()

    def parse_between_bounds(self, left: Operand) -> tuple[Operand, Operand]:
        """At BETWEEN: ``low AND high``, checked."""
        self.expect_keyword("BETWEEN")
        low = self.parse_operand()
        self.expect_keyword("AND")
        high = self.parse_operand()
        self.check_operands("BETWEEN", [left, low, high])
        self.check_between(low, high)
        return low, high

    def parse_in_options(self, left: Operand) -> list[Operand]:
        """At IN: ``( operand, ... )``, at most 100 of them."""
        self.expect_keyword("IN")
        self.expect_punct("(")
        options = [self.parse_operand()]
        while self.at_punct(","):
            self.advance()
            options.append(self.parse_operand())
        self.expect_punct(")")
        if len(options) > 100:
            self.note("operand", "Too many operands for operator or function; operator or function: IN, number of operands: "
                      f"{len(options)}")
        self.check_operands("IN", [left, *options])
        return options

    # -- operands ----------------------------------------------------------------------------
    def parse_operand(self) -> Operand:
        token = self.peek()
        if token.kind == PUNCT and token.text == "(":
            if self.redundant_parens():
                self.note("parens", "The expression has redundant parentheses;")
            self.advance()
            inner = self.parse_operand()
            self.expect_punct(")")
            if inner.kind == "path":
                inner.path = self.continue_path(inner.path)
            return inner
        if token.kind == VALUEREF:
            self.advance()
            return Operand("value", token, value=self.value(token))
        if token.kind == NAME and self.peek(1).kind == PUNCT and self.peek(1).text == "(":
            return self.parse_function()
        if token.kind in (NAME, NAMEREF):
            path = self.parse_path()
            self.paths.append(path)
            return Operand("path", token, path=path)
        self.syntax_error()

    def continue_path(self, path: Path) -> Path:
        """``(a.b).c`` and ``(a)[1]``: a grouped path may continue after its parenthesis."""
        if not (self.at_punct(".") or self.at_punct("[")):
            return path
        self.paths.remove(path)
        path = self.parse_path_steps(list(path))
        self.paths.append(path)
        return path

    def parse_function(self) -> Operand:
        token = self.advance()
        name = token.text
        self.expect_punct("(")
        args = [self.parse_operand()]
        while self.at_punct(","):
            self.advance()
            args.append(self.parse_operand())
        self.expect_punct(")")
        operand = Operand("function", token, name=name, args=args)
        self.check_function(operand)
        return operand

    # -- semantic checks (recorded, raised in DynamoDB's order by finish) -----------------------
    def check_function(self, fn: Operand) -> None:
        expected = CONDITION_FUNCTIONS.get(fn.name)
        if expected is None:
            self.note("function", f"Invalid function name; function: {fn.name}")
            return
        for arg in fn.args:
            if arg.kind == "function" and arg.name != "size":
                self.note("misused", f"The function is not allowed to be used this way in an expression; function: {arg.name}")
        if len(fn.args) != expected:
            self.note("operand", "Incorrect number of operands for operator or function; "
                      f"operator or function: {fn.name}, number of operands: {len(fn.args)}")
            return
        first = fn.args[0]
        if fn.name in _PATH_FUNCTIONS and first.kind != "path":
            self.note("operand", f"Operator or function requires a document path; operator or function: {fn.name}")
            return
        if fn.name in ("begins_with", "contains") and len(fn.args) == 2:
            self.check_distinct(fn.name, fn.args[0], fn.args[1])
        if fn.name == "begins_with":
            for arg in fn.args:
                kind = _literal_type(arg)
                if kind is not None and kind not in ("S", "B"):
                    self.note("type", f"Incorrect operand type for operator or function; operator or function: begins_with, operand type: {kind}")
                    return
        elif fn.name == "attribute_type":
            kind = _literal_type(fn.args[1])
            if kind is None and fn.args[1].kind == "value" and fn.args[1].value is None:
                return  # undefined placeholder, already reported
            if kind != "S":
                self.note("type", "Incorrect operand type for operator or function; operator or function: attribute_type, "
                          f"operand type: {kind or _VALID_TYPES}")
                return
            type_name = fn.args[1].value["S"]
            if type_name not in ALL_TYPES:
                self.note("type", f"Invalid attribute type name found; type: {type_name}, valid types: {_VALID_TYPES}")

    def check_operands(self, operator: str, operands: list[Operand]) -> None:
        for operand in operands:
            if operand.kind == "function" and operand.name != "size":
                self.note("misused", f"The function is not allowed to be used this way in an expression; function: {operand.name}")

    def check_distinct(self, operator: str, left: Operand, right: Operand) -> None:
        if left.kind == "path" and right.kind == "path" and left.path == right.path:
            self.note("distinct", "The first operand must be distinct from the remaining operands for this operator or "
                      f"function; operator: {operator}, first operand: {path_str(left.path)}")

    def check_between(self, low: Operand, high: Operand) -> None:
        a, b = _literal_type(low), _literal_type(high)
        if a is None or b is None:
            return
        lo, hi = low.value, high.value
        bounds = f"lower bound operand: AttributeValue: {{{a}:{_show(lo)}}}, upper bound operand: AttributeValue: {{{b}:{_show(hi)}}}"
        if a != b:
            self.note("type", f"The BETWEEN operator requires same data type for lower and upper bounds; {bounds}")
        elif (compare(lo, hi) or 0) > 0:
            self.note("type", f"The BETWEEN operator requires upper bound to be greater than or equal to lower bound; {bounds}")

    # -- compiled functions ----------------------------------------------------------------
    def function_predicate(self, fn: Operand) -> Predicate:
        name = fn.name
        if name not in CONDITION_FUNCTIONS or len(fn.args) != CONDITION_FUNCTIONS[name]:
            return lambda item: False  # an error has been noted; never evaluated
        getters = [arg.getter() for arg in fn.args]
        first = getters[0]
        if name == "attribute_exists":
            return lambda item: first(item) is not None
        if name == "attribute_not_exists":
            return lambda item: first(item) is None
        second = getters[1] if len(getters) > 1 else None
        if name == "attribute_type":
            def attribute_type(item: dict) -> bool:
                value, wanted = first(item), second(item)
                return value is not None and wanted is not None and "S" in wanted and wanted["S"] in value
            return attribute_type
        if name == "begins_with":
            return lambda item: begins_with(first(item), second(item))
        if name == "contains":
            return lambda item: contains(first(item), second(item))
        return lambda item: False  # size as a condition: noted as misused


def _literal_type(operand: Operand) -> str | None:
    if operand.kind == "value" and operand.value is not None:
        for kind in operand.value:
            return kind
    return None


def _constant(operand: Operand) -> dict | None:
    return operand.value if operand.kind == "value" else None


def _show(value: dict) -> str:
    ((kind, data),) = value.items()
    return data.decode("latin-1") if isinstance(data, bytes) else str(data)


def parse_condition(text: str, attrs: ExpressionAttributes, label: str = "ConditionExpression") -> Condition:
    """Parse a ConditionExpression (or, with ``label="FilterExpression"``, a filter)."""
    parser = ConditionParser(text, attrs, label)
    return parse_guarded(parser, parser.parse)


__all__ = ["Condition", "ConditionParser", "Operand", "parse_condition"]
