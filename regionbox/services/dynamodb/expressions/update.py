"""Update expressions: SET / REMOVE / ADD / DELETE, and applying them to an item.

Grammar (section keywords case-insensitive, each section at most once, in any order)::

    update   := section+
    section  := SET set (',' set)* | REMOVE path (',' path)*
              | ADD path :value (',' path :value)* | DELETE path :value (',' path :value)*
    set      := path '=' value
    value    := operand ( ('+' | '-') operand )?
    operand  := path | :value | if_not_exists '(' path ',' value ')'
              | list_append '(' value ',' value ')' | '(' value ')'

Every operand reads the item as it was before the update (DynamoDB evaluates all of them first),
then the actions are applied to a copy. The original item is never mutated.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Callable

from regionbox.core.errors import invalid
from regionbox.services.dynamodb.expressions.attributes import ExpressionAttributes
from regionbox.services.dynamodb.expressions.lexer import NAME, NAMEREF, PUNCT, VALUEREF, ParserBase, Token, parse_guarded
from regionbox.services.dynamodb.expressions.paths import (
    InvalidPath, Path, get_path, overlap_error, project, remove_paths, set_path,
)
from regionbox.services.dynamodb.types import INVALID, add_numbers, format_number, subtract_numbers

SECTIONS = ("SET", "REMOVE", "ADD", "DELETE")
UPDATE_FUNCTIONS = {"if_not_exists": 2, "list_append": 2}
_CONDITION_FUNCTIONS = ("attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains", "size")
_LONG_TYPE = {"S": "STRING", "N": "NUMBER", "B": "BINARY", "BOOL": "BOOLEAN", "NULL": "NULL", "L": "LIST", "M": "MAP",
              "SS": "SET", "NS": "SET", "BS": "SET"}

MISSING_ATTRIBUTE = "The provided expression refers to an attribute that does not exist in the item"
WRONG_TYPE = "An operand in the update expression has an incorrect data type"
INVALID_PATH = "The document path provided in the update expression is invalid for update"

Value = Callable[[dict], dict]


class Update:
    """A compiled update expression.

    ``apply(item)`` returns the new item (``item`` None or {} for an item that does not exist yet);
    ``paths`` are the document paths it writes; ``updated_old(old)`` / ``updated_new(new)`` are
    what ReturnValues UPDATED_OLD / UPDATED_NEW return;
    ``attributes`` are the top-level attribute names it touches."""

    __slots__ = ("text", "sets", "removes", "adds", "deletes", "paths", "attributes", "_removed")

    def __init__(self, text: str, sets, removes, adds, deletes):
        self.text = text
        self.sets: list[tuple[Path, Value]] = sets
        self.removes: list[Path] = removes
        self.adds: list[tuple[Path, dict]] = adds
        self.deletes: list[tuple[Path, dict]] = deletes
        self.paths: list[Path] = [p for p, _ in sets] + removes + [p for p, _ in adds] + [p for p, _ in deletes]
        self.attributes = {p[0] for p in self.paths}
        self._removed = set(removes)

    def apply(self, item: dict | None) -> dict:
        old = item or {}
        # All operands read the old item, before any action writes.
        computed = [(path, value(old)) for path, value in self.sets]
        new = dict(old)
        try:
            for path, value in computed:
                set_path(new, path, value)
            if self.removes:
                remove_paths(new, self.removes)
            for path, value in self.adds:
                _add(new, path, get_path(old, path), value)
            for path, value in self.deletes:
                _delete(new, path, get_path(old, path), value)
        except InvalidPath:
            raise invalid(INVALID_PATH) from None
        return new

    def updated_old(self, old: dict | None) -> dict:
        """ReturnValues UPDATED_OLD: the written paths as they were before."""
        return project(old or {}, self.paths)

    def updated_new(self, new: dict | None) -> dict:
        """ReturnValues UPDATED_NEW: the paths SET or ADDed/DELETEd, as they are now."""
        return project(new or {}, [p for p in self.paths if p not in self._removed])


def _add(item: dict, path: Path, current: dict | None, value: dict) -> None:
    (kind,) = value
    if current is None:
        set_path(item, path, value)
        return
    if kind == "N":
        if "N" not in current:
            raise invalid(WRONG_TYPE)
        set_path(item, path, {"N": format_number(add_numbers(Decimal(current["N"]), Decimal(value["N"])))})
        return
    if kind not in current:
        raise invalid(WRONG_TYPE)
    members = current[kind]
    if kind == "L":  # only AttributeUpdates ADD appends to lists; the expression grammar forbids it
        set_path(item, path, {"L": members + value["L"]})
        return
    if kind == "NS":
        have = {Decimal(n) for n in members}
        extra = [n for n in value[kind] if Decimal(n) not in have]
    else:
        have = set(members)
        extra = [m for m in value[kind] if m not in have]
    set_path(item, path, {kind: list(members) + extra})


def _delete(item: dict, path: Path, current: dict | None, value: dict) -> None:
    (kind,) = value
    if current is None:
        return
    if kind not in current:
        raise invalid(WRONG_TYPE)
    if kind == "NS":
        drop = {Decimal(n) for n in value[kind]}
        kept = [n for n in current[kind] if Decimal(n) not in drop]
    else:
        drop = set(value[kind])
        kept = [m for m in current[kind] if m not in drop]
    if kept:
        set_path(item, path, {kind: kept})
    else:
        remove_paths(item, [path])  # an empty set cannot exist: the attribute goes away


class UpdateParser(ParserBase):
    label = "UpdateExpression"

    def parse(self, key_names=()) -> Update:
        sets, removes, adds, deletes = [], [], [], []
        seen: set[str] = set()
        if self.peek().upper not in SECTIONS:
            self.syntax_error()
        while True:
            token = self.peek()
            section = token.upper
            if section not in SECTIONS:
                break
            self.advance()
            if section in seen:
                self.note("other", f'The "{section}" section can only be used once in an update expression;')
            seen.add(section)
            while True:
                if section == "SET":
                    path = self.parse_path()
                    self.expect_punct("=")
                    sets.append((path, self.parse_value()))
                elif section == "REMOVE":
                    removes.append(self.parse_path())
                else:
                    path = self.parse_path()
                    value_token = self.peek()
                    if value_token.kind != VALUEREF:
                        self.syntax_error()
                    self.advance()
                    value = self.value(value_token)
                    self.check_set_operand(section, value)
                    (adds if section == "ADD" else deletes).append((path, value))
                if not self.at_punct(","):
                    break
                self.advance()
        paths = [p for p, _ in sets] + removes + [p for p, _ in adds] + [p for p, _ in deletes]
        overlap = overlap_error(paths)
        if overlap:
            self.note("overlap", overlap)
        self.finish()
        for path in paths:
            if path[0] in key_names:
                raise invalid(INVALID + f"Cannot update attribute {path[0]}. This attribute is part of the key")
        return Update(self.text, sets, removes, adds, deletes)

    def check_set_operand(self, section: str, value: dict | None) -> None:
        if value is None:
            return
        (kind,) = value
        allowed = ("N", "SS", "NS", "BS") if section == "ADD" else ("SS", "NS", "BS")
        if kind not in allowed:
            self.note("type", f"Incorrect operand type for operator or function; operator: {section}, operand type: "
                      f"{_LONG_TYPE[kind]}, typeSet: ALLOWED_FOR_{section}_OPERAND")

    # -- SET values ------------------------------------------------------------------------
    def parse_value(self) -> Value:
        left, left_type = self.parse_operand()
        if self.at_punct("+") or self.at_punct("-"):
            op = self.advance().text
            right, right_type = self.parse_operand()
            for kind in (left_type, right_type):
                if kind is not None and kind != "N":
                    self.note("type", f"Incorrect operand type for operator or function; operator or function: {op}, operand type: {kind}")
            return _arithmetic(op, left, right)
        return left

    def parse_operand(self) -> tuple[Value, str | None]:
        """A compiled operand and, when it is a literal, its type (for parse-time checks)."""
        token = self.peek()
        if token.kind == PUNCT and token.text == "(":
            if self.redundant_parens():
                self.note("parens", "The expression has redundant parentheses;")
            self.advance()
            value = self.parse_value()
            self.expect_punct(")")
            return value, None
        if token.kind == VALUEREF:
            self.advance()
            value = self.value(token)
            return (lambda item: value), (next(iter(value)) if value else None)
        if token.kind == NAME and self.peek(1).kind == PUNCT and self.peek(1).text == "(":
            return self.parse_function(token), None
        if token.kind in (NAME, NAMEREF):
            path = self.parse_path()
            return _read(path), None
        self.syntax_error()

    def parse_function(self, token: Token) -> Value:
        self.advance()
        self.expect_punct("(")
        name = token.text
        first_token = self.peek()
        args: list[tuple[Value, str | None]] = []
        first_path = None
        if name == "if_not_exists" and first_token.kind in (NAME, NAMEREF) and not (
            self.peek(1).kind == PUNCT and self.peek(1).text == "("
        ):
            first_path = self.parse_path()
            args.append((_read(first_path), None))
        else:
            args.append(self.parse_function_arg())
        while self.at_punct(","):
            self.advance()
            args.append(self.parse_function_arg())
        self.expect_punct(")")
        if name not in UPDATE_FUNCTIONS:
            if name in _CONDITION_FUNCTIONS:
                self.note("function", f"The function is not allowed in an update expression; function: {name}")
            else:
                self.note("function", f"Invalid function name; function: {name}")
            return lambda item: None
        if len(args) != UPDATE_FUNCTIONS[name]:
            self.note("operand", "Incorrect number of operands for operator or function; "
                      f"operator or function: {name}, number of operands: {len(args)}")
            return lambda item: None
        if name == "if_not_exists":
            if first_path is None:
                self.note("operand", "Operator or function requires a document path; operator or function: if_not_exists")
                return lambda item: None
            return _if_not_exists(first_path, args[1][0])
        for _, kind in args:
            if kind is not None and kind != "L":
                self.note("type", f"Incorrect operand type for operator or function; operator or function: list_append, operand type: {kind}")
        return _list_append(args[0][0], args[1][0])

    def parse_function_arg(self) -> tuple[Value, str | None]:
        # Function arguments may themselves be arithmetic or functions.
        start = self.pos
        value, kind = self.parse_operand()
        if self.at_punct("+") or self.at_punct("-"):
            self.pos = start
            return self.parse_value(), None
        return value, kind


def _read(path: Path) -> Value:
    if len(path) == 1:
        name = path[0]

        def read_top(item: dict) -> dict:
            value = item.get(name)
            if value is None:
                raise invalid(MISSING_ATTRIBUTE)
            return value

        return read_top

    def read(item: dict) -> dict:
        value = get_path(item, path)
        if value is None:
            raise invalid(MISSING_ATTRIBUTE)
        return value

    return read


def _if_not_exists(path: Path, default: Value) -> Value:
    def if_not_exists(item: dict) -> dict:
        value = get_path(item, path)
        return value if value is not None else default(item)

    return if_not_exists


def _list_append(first: Value, second: Value) -> Value:
    def list_append(item: dict) -> dict:
        a, b = first(item), second(item)
        if "L" not in a or "L" not in b:
            raise invalid(WRONG_TYPE)
        return {"L": a["L"] + b["L"]}

    return list_append


def _arithmetic(op: str, left: Value, right: Value) -> Value:
    compute = add_numbers if op == "+" else subtract_numbers

    def arithmetic(item: dict) -> dict:
        a, b = left(item), right(item)
        if "N" not in a or "N" not in b:
            raise invalid(WRONG_TYPE)
        return {"N": format_number(compute(Decimal(a["N"]), Decimal(b["N"])))}

    return arithmetic


def parse_update(text: str, attrs: ExpressionAttributes, key_names=()) -> Update:
    """Parse an UpdateExpression. ``key_names``: the table's key attributes, which an update
    may not touch."""
    parser = UpdateParser(text, attrs)
    return parse_guarded(parser, lambda: parser.parse(key_names))
