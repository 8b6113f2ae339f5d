"""The PartiQL subset of ExecuteStatement / BatchExecuteStatement / ExecuteTransaction.

``parse_statement(text, parameters)`` returns a plan the engine executes; this module never
touches storage. Supported::

    SELECT * | path[, path...] FROM "table"[."index"] [WHERE cond] [ORDER BY sortkey [ASC|DESC]]
    INSERT INTO "table" VALUE {'pk': 'a', 'n': 1, ...}
    UPDATE "table" SET path = value[, ...] [REMOVE path[, ...]] [SET ...] WHERE cond [RETURNING ...]
    DELETE FROM "table" WHERE cond [RETURNING ALL OLD *]
    EXISTS(SELECT * FROM "table" WHERE cond)          (ExecuteTransaction condition checks)

Conditions: = <> != < <= > >=, AND, OR, NOT, parentheses, BETWEEN .. AND .., IN [..] / IN (..),
IS [NOT] MISSING, IS [NOT] NULL, begins_with(), contains(), attribute_type(), size().
Values: 'strings', numbers, true/false, null, [lists], {'maps': ...}, <<sets>>, ``?`` parameters
(taken in order from the request's Parameters). SET values may be ``path + n``, ``path - n``,
``list_append(a, b)``, ``set_add(a, <<...>>)``, ``set_delete(a, <<...>>)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from regionbox.core.errors import ServiceError, invalid
from regionbox.services.dynamodb.expressions.evaluate import (
    begins_with, between, both, comparison, contains, either, one_of, size_of,
)
from regionbox.services.dynamodb.expressions.keycondition import KeyCondition, KeyTerm, key_condition_of
from regionbox.services.dynamodb.expressions.paths import InvalidPath, Path, get_path, project, remove_paths, set_path
from regionbox.services.dynamodb.types import (
    add_numbers, check_item_size, format_number, parse_number, subtract_numbers, type_of, validate_item, validate_value,
)

Getter = Callable[[dict], Any]
Predicate = Callable[[dict], bool]

NOT_WELL_FORMED = "Statement wasn't well formed, can't be processed: "
WRONG_TYPE = "An operand in the update expression has an incorrect data type"


# --------------------------------------------------------------------------------------------
# plans
# --------------------------------------------------------------------------------------------
@dataclass
class Where:
    """A WHERE clause: ``evaluate(item)`` and the simple terms of its top-level AND chain
    (name, op, values), from which keys and key conditions are derived."""

    predicate: Predicate
    terms: list[tuple[str, str, tuple]]  # ("pk", "=", ({"S": "a"},)), ("sk", "BETWEEN", (lo, hi)), ...
    has_or: bool = False

    def evaluate(self, item: dict | None) -> bool:
        return self.predicate(item or {})

    def key(self, key_schema) -> dict:
        """The primary key the clause fixes by equality (UPDATE and DELETE need one)."""
        equal = {name: values[0] for name, op, values in self.terms if op == "="}
        key = {}
        for name, kind in key_schema:
            value = equal.get(name)
            if value is None or self.has_or:
                raise invalid("Where clause does not contain a mandatory equality on all key attributes")
            if type_of(value) != kind:
                raise invalid("One or more parameter values were invalid: Type mismatch for key "
                              f"{name} expected: {kind} actual: {type_of(value)}")
            key[name] = value
        return key

    def key_condition(self, key_schema) -> KeyCondition | None:
        """A Query-able key condition (hash equality, at most one range term) or None when the
        clause needs a scan."""
        if self.has_or or not key_schema or getattr(key_schema, "hash_count", 1) > 1 or len(key_schema) > 2:
            return None  # a multi-attribute index key is read by a scan of the index
        hash_name = key_schema[0][0]
        range_name = key_schema[1][0] if len(key_schema) > 1 else None
        hash_term = next((t for t in self.terms if t[0] == hash_name and t[1] == "="), None)
        if hash_term is None or type_of(hash_term[2][0]) != key_schema[0][1]:
            return None
        chosen = [KeyTerm(*hash_term)]
        range_term = next((t for t in self.terms if t[0] == range_name and t[1] in _RANGE_OPS
                           and all(type_of(v) == key_schema[1][1] for v in t[2])), None)
        if range_term is not None and not (range_term[1] == "begins_with" and key_schema[1][1] == "N"):
            chosen.append(KeyTerm(*range_term))
        return key_condition_of(chosen, key_schema)


_RANGE_OPS = ("=", "<", "<=", ">", ">=", "BETWEEN", "begins_with")


@dataclass
class SelectPlan:
    table: str
    index: str | None
    projection: list[Path] | None  # None: SELECT *
    where: Where | None
    forward: bool = True  # ORDER BY <sort key> ASC (default) or DESC

    def project(self, item: dict) -> dict:
        return item if self.projection is None else project(item, self.projection)


@dataclass
class InsertPlan:
    table: str
    item: dict


@dataclass
class UpdatePlan:
    table: str
    where: Where
    actions: list[tuple[str, Path, Any]]  # ("SET", path, value getter) | ("REMOVE", path, None)
    returning: str | None = None  # "ALL_OLD" | "ALL_NEW" | "UPDATED_OLD" | "UPDATED_NEW"

    @property
    def paths(self) -> list[Path]:
        return [path for _, path, _ in self.actions]

    def check_keys(self, key_names) -> None:
        """Key attributes cannot be SET or REMOVEd (DynamoDB's message)."""
        for path in self.paths:
            if path[0] in key_names:
                raise invalid("One or more parameter values were invalid: Cannot update attribute "
                              f"{path[0]}. This attribute is part of the key")

    def apply(self, item: dict) -> dict:
        """The updated item; every value reads the item as it was before the statement."""
        computed = [(kind, path, value(item) if value else None) for kind, path, value in self.actions]
        new = dict(item)
        try:
            for kind, path, value in computed:
                if kind == "SET":
                    set_path(new, path, value)
                else:
                    remove_paths(new, [path])
        except InvalidPath:
            raise invalid("The document path provided in the update expression is invalid for update") from None
        return new


@dataclass
class DeletePlan:
    table: str
    where: Where
    returning: str | None = None  # "ALL_OLD"


@dataclass
class ExistsPlan:
    """``EXISTS(SELECT ...)`` in ExecuteTransaction: a condition check that the item exists
    (and matches the WHERE clause)."""

    select: SelectPlan


Plan = SelectPlan | InsertPlan | UpdatePlan | DeletePlan | ExistsPlan


# --------------------------------------------------------------------------------------------
# tokens
# --------------------------------------------------------------------------------------------
@dataclass
class _Tok:
    kind: str  # "ident" | "quoted" | "string" | "number" | "param" | "punct" | "eof"
    text: str
    pos: int = 0

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "ident" else ""


_PUNCT3 = ("<<", ">>", "<=", ">=", "<>", "!=")
_PUNCT1 = "()[]{},.=<>+-*:"


def _tokenize(text: str) -> list[_Tok]:
    tokens, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "-" and text.startswith("--", i):  # comment to end of line
            while i < n and text[i] != "\n":
                i += 1
        elif c.isalpha() or c == "_":
            start = i
            while i < n and (text[i].isalnum() or text[i] == "_"):
                i += 1
            tokens.append(_Tok("ident", text[start:i], start))
        elif c == '"' or c == "'":
            start, i, chars = i, i + 1, []
            while True:
                if i >= n:
                    raise invalid(NOT_WELL_FORMED + "Unterminated quoted string")
                if text[i] == c:
                    if i + 1 < n and text[i + 1] == c:  # doubled quote escapes itself
                        chars.append(c)
                        i += 2
                        continue
                    i += 1
                    break
                chars.append(text[i])
                i += 1
            tokens.append(_Tok("quoted" if c == '"' else "string", "".join(chars), start))
        elif c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            start = i
            while i < n and (text[i].isdigit() or text[i] == "."):
                i += 1
            if i < n and text[i] in "eE":
                j = i + 1
                if j < n and text[j] in "+-":
                    j += 1
                if j < n and text[j].isdigit():
                    i = j
                    while i < n and text[i].isdigit():
                        i += 1
            tokens.append(_Tok("number", text[start:i], start))
        elif c == "?":
            tokens.append(_Tok("param", "?", i))
            i += 1
        elif text.startswith(_PUNCT3, i):
            tokens.append(_Tok("punct", text[i:i + 2], i))
            i += 2
        elif c in _PUNCT1:
            tokens.append(_Tok("punct", c, i))
            i += 1
        elif c == ";":
            i += 1
        else:
            raise invalid(NOT_WELL_FORMED + f"Unexpected character: {c}")
    tokens.append(_Tok("eof", "<EOF>", n))
    return tokens


# --------------------------------------------------------------------------------------------
# parser
# --------------------------------------------------------------------------------------------
class _Parser:
    def __init__(self, text: str, parameters: list | None, allow_exists: bool = False):
        self.allow_exists = allow_exists
        if not isinstance(text, str) or not text.strip():
            raise invalid(NOT_WELL_FORMED + "Statement is empty")
        self.tokens = _tokenize(text)
        self.pos = 0
        self.parameters = [validate_value(p) for p in (parameters or [])]
        self.used_parameters = 0

    # -- cursor ------------------------------------------------------------------------------
    def peek(self, offset: int = 0) -> _Tok:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def advance(self) -> _Tok:
        token = self.tokens[self.pos]
        if token.kind != "eof":
            self.pos += 1
        return token

    def at(self, text: str) -> bool:
        token = self.peek()
        return (token.kind == "punct" and token.text == text) or token.upper == text

    def accept(self, text: str) -> bool:
        if self.at(text):
            self.advance()
            return True
        return False

    def expect(self, text: str) -> _Tok:
        if not self.at(text):
            self.fail(f"Expected {text}")
        return self.advance()

    def fail(self, what: str):
        token = self.peek()
        raise invalid(NOT_WELL_FORMED + f"{what} at token: {token.text}")

    # -- statements --------------------------------------------------------------------------
    def statement(self) -> Plan:
        word = self.peek().upper
        if word == "SELECT":
            plan = self.select()
        elif word == "INSERT":
            plan = self.insert()
        elif word == "UPDATE":
            plan = self.update()
        elif word == "DELETE":
            plan = self.delete()
        elif word == "EXISTS":
            if not self.allow_exists:
                raise invalid("Unsupported operation: EXISTS can only be used in ExecuteTransaction")
            self.advance()
            self.expect("(")
            plan = ExistsPlan(self.select())
            self.expect(")")
        else:
            self.fail("Unsupported statement; expected SELECT, INSERT, UPDATE, DELETE or EXISTS")
        if self.peek().kind != "eof":
            self.fail("Unexpected token")
        if self.used_parameters != len(self.parameters):
            raise invalid("Number of parameters in request and statement don't match.")
        return plan

    def table_name(self) -> tuple[str, str | None]:
        token = self.advance()
        if token.kind not in ("ident", "quoted"):
            self.fail("Expected table name")
        index = None
        if self.accept("."):
            token2 = self.advance()
            if token2.kind not in ("ident", "quoted"):
                self.fail("Expected index name")
            index = token2.text
        return token.text, index

    def base_table(self, verb: str) -> str:
        """Writes go to a table, never to an index."""
        table, index = self.table_name()
        if index is not None:
            self.fail(f"{verb} cannot target an index")
        return table

    def select(self) -> SelectPlan:
        self.expect("SELECT")
        projection: list[Path] | None = None
        if not self.accept("*"):
            projection = [self.path()]
            while self.accept(","):
                projection.append(self.path())
        self.expect("FROM")
        table, index = self.table_name()
        where = self.where() if self.accept("WHERE") else None
        forward = True
        if self.accept("ORDER"):
            self.expect("BY")
            self.path()  # DynamoDB orders by the sort key only; the engine reads it in key order
            if self.accept("DESC"):
                forward = False
            else:
                self.accept("ASC")
        return SelectPlan(table, index, projection, where, forward)

    def insert(self) -> InsertPlan:
        self.expect("INSERT")
        self.expect("INTO")
        table = self.base_table("INSERT")
        self.expect("VALUE")
        value = self.literal()
        if "M" not in value:
            raise invalid("Unsupported operation: Can't insert a value that is not a map: " + type_of(value))
        item = validate_item(value["M"])
        check_item_size(item)
        return InsertPlan(table, item)

    def update(self) -> UpdatePlan:
        self.expect("UPDATE")
        table = self.base_table("UPDATE")
        actions: list[tuple[str, Path, Any]] = []
        while self.at("SET") or self.at("REMOVE"):
            kind = self.advance().upper
            while True:
                path = self.path()
                if kind == "SET":
                    self.expect("=")
                    actions.append(("SET", path, self.set_value()))
                else:
                    actions.append(("REMOVE", path, None))
                if not self.accept(","):
                    break
        if not actions:
            self.fail("Expected SET or REMOVE")
        self.expect("WHERE")
        where = self.where()
        returning = self.returning()
        return UpdatePlan(table, where, actions, returning)

    def delete(self) -> DeletePlan:
        self.expect("DELETE")
        self.expect("FROM")
        table = self.base_table("DELETE")
        self.expect("WHERE")
        where = self.where()
        return DeletePlan(table, where, self.returning())

    def returning(self) -> str | None:
        if not self.accept("RETURNING"):
            return None
        scope = self.advance().upper  # ALL | MODIFIED
        age = self.advance().upper  # OLD | NEW
        self.expect("*")
        if scope not in ("ALL", "MODIFIED") or age not in ("OLD", "NEW"):
            self.fail("Expected RETURNING ALL|MODIFIED OLD|NEW *")
        return f"{'ALL' if scope == 'ALL' else 'UPDATED'}_{age}"

    # -- paths and values ----------------------------------------------------------------------
    def path(self) -> Path:
        token = self.advance()
        if token.kind not in ("ident", "quoted"):
            self.pos -= 1
            self.fail("Expected identifier for simple path")
        elements: list = [token.text]
        while True:
            if self.accept("."):
                token = self.advance()
                if token.kind not in ("ident", "quoted"):
                    self.pos -= 1
                    self.fail("Expected identifier for simple path")
                elements.append(token.text)
            elif self.at("["):
                self.advance()
                token = self.advance()
                if token.kind == "number" and token.text.isdigit():
                    elements.append(int(token.text))
                elif token.kind == "string":
                    elements.append(token.text)
                else:
                    self.pos -= 1
                    self.fail("Expected a list index or a key")
                self.expect("]")
            else:
                if len(elements) > 32:  # deeper than any item can nest
                    raise invalid("The document path has too many nesting levels; nesting levels: " + str(len(elements)))
                return tuple(elements)

    def literal(self) -> dict:
        token = self.peek()
        if token.kind == "param":
            self.advance()
            if self.used_parameters >= len(self.parameters):
                raise invalid("Number of parameters in request and statement don't match.")
            self.used_parameters += 1
            return self.parameters[self.used_parameters - 1]
        if token.kind == "string":
            self.advance()
            return {"S": token.text}
        if token.kind == "number" or (token.kind == "punct" and token.text in "+-" and self.peek(1).kind == "number"):
            sign = ""
            if token.kind == "punct":
                sign = "-" if self.advance().text == "-" else ""
            text = self.advance().text
            return {"N": format_number(parse_number(sign + text))}
        word = token.upper
        if word in ("TRUE", "FALSE"):
            self.advance()
            return {"BOOL": word == "TRUE"}
        if word == "NULL":
            self.advance()
            return {"NULL": True}
        if self.accept("["):
            items = []
            if not self.at("]"):
                items.append(self.literal())
                while self.accept(","):
                    items.append(self.literal())
            self.expect("]")
            return {"L": items}
        if self.accept("{"):
            members = {}
            if not self.at("}"):
                while True:
                    key = self.advance()
                    if key.kind not in ("string", "quoted", "ident"):
                        self.pos -= 1
                        self.fail("Expected a string key")
                    self.expect(":")
                    members[key.text] = self.literal()
                    if not self.accept(","):
                        break
            self.expect("}")
            return {"M": members}
        if self.accept("<<"):
            elements = []
            if not self.at(">>"):
                elements.append(self.literal())
                while self.accept(","):
                    elements.append(self.literal())
            self.expect(">>")
            return self.set_of(elements)
        self.fail("Expected a value")

    def set_of(self, elements: list[dict]) -> dict:
        kinds = {type_of(e) for e in elements}
        if not elements or len(kinds) != 1 or next(iter(kinds)) not in ("S", "N", "B"):
            raise invalid("Unsupported operation: A set must contain one or more values of one type: string, number or binary")
        kind = kinds.pop()
        return validate_value({kind + "S": [e[kind] for e in elements]})

    def operand(self) -> tuple[Getter, dict | None]:
        """A value getter and, for literals, the literal (key terms are built from those)."""
        token = self.peek()
        if token.kind in ("ident", "quoted") and not (token.kind == "ident" and token.upper in _VALUE_WORDS):
            if token.kind == "ident" and self.peek(1).kind == "punct" and self.peek(1).text == "(":
                return self.function_value(), None
            path = self.path()
            if len(path) == 1:
                name = path[0]
                return (lambda item: item.get(name)), None
            return (lambda item: get_path(item, path)), None
        value = self.literal()
        return (lambda item: value), value

    def function_value(self) -> Getter:
        name = self.advance().text.lower()
        self.expect("(")
        if name != "size":
            self.fail(f"Function {name} cannot be used as a value")
        path = self.path()
        self.expect(")")

        def size(item: dict) -> dict | None:
            value = get_path(item, path)
            n = size_of(value) if value is not None else None
            return None if n is None else {"N": str(n)}

        return size

    def at_update_function(self) -> bool:
        token = self.peek()
        return token.kind == "ident" and self.peek(1).kind == "punct" and self.peek(1).text == "(" and \
            token.text.lower() in _UPDATE_FUNCTIONS

    def set_value(self) -> Getter:
        if self.at_update_function():
            return self.update_function()
        left, _ = self.operand()
        if self.at("+") or self.at("-"):
            op = self.advance().text
            right, _ = self.operand()
            compute = add_numbers if op == "+" else subtract_numbers

            def arithmetic(item: dict) -> dict:
                a, b = left(item), right(item)
                if a is None or b is None or "N" not in a or "N" not in b:
                    raise invalid(WRONG_TYPE)
                return {"N": format_number(compute(Decimal(a["N"]), Decimal(b["N"])))}

            return arithmetic

        def plain(item: dict) -> dict:
            value = left(item)
            if value is None:
                raise invalid("The provided expression refers to an attribute that does not exist in the item")
            return value

        return plain

    def update_function(self) -> Getter:
        name = self.advance().text.lower()
        self.expect("(")
        # The first argument reads without failing on a missing attribute (if_not_exists needs
        # that; set_add on a missing set starts one) and may itself be a function call.
        first = self.update_function() if self.at_update_function() else self.operand()[0]
        self.expect(",")
        second = self.set_value()
        self.expect(")")
        if name == "if_not_exists":
            return lambda item: first(item) if first(item) is not None else second(item)
        if name == "list_append":
            def list_append(item: dict) -> dict:
                a, b = first(item), second(item)
                if a is None or "L" not in a or "L" not in b:
                    raise invalid(WRONG_TYPE)
                return {"L": a["L"] + b["L"]}
            return list_append

        adding = name == "set_add"

        def set_change(item: dict) -> dict:
            current, change = first(item), second(item)
            (kind,) = change
            if kind not in ("SS", "NS", "BS") or (current is not None and kind not in current):
                raise invalid(WRONG_TYPE)
            members = current[kind] if current is not None else []
            if kind == "NS":
                have, given = {Decimal(n) for n in members}, [(Decimal(n), n) for n in change[kind]]
                keyed = [(Decimal(n), n) for n in members]
            else:
                have, given, keyed = set(members), [(m, m) for m in change[kind]], [(m, m) for m in members]
            if adding:
                result = members + [raw for k, raw in given if k not in have]
            else:
                dropped = {k for k, _ in given}
                result = [raw for k, raw in keyed if k not in dropped]
            if not result:
                raise invalid("One or more parameter values were invalid: An set may not be empty")
            return {kind: result}

        return set_change

    # -- WHERE -------------------------------------------------------------------------------
    def where(self) -> Where:
        terms: list = []
        state = {"or": False}
        predicate = self.or_condition(terms, state, top=True)
        return Where(predicate, terms, state["or"])

    def or_condition(self, terms, state, top=False) -> Predicate:
        left = self.and_condition(terms if top else None, state)
        while self.accept("OR"):
            state["or"] = True
            right = self.and_condition(None, state)
            left = either(left, right)
        return left

    def and_condition(self, terms, state) -> Predicate:
        left = self.not_condition(terms, state)
        while self.accept("AND"):
            right = self.not_condition(terms, state)
            left = both(left, right)
        return left

    def not_condition(self, terms, state) -> Predicate:
        if self.accept("NOT"):
            inner = self.not_condition(None, state)
            return lambda item: not inner(item)
        if self.at("("):
            start = self.pos
            self.advance()
            try:
                inner = self.or_condition(None, state)
                self.expect(")")
                return inner
            except ServiceError:
                self.pos = start
        return self.comparison(terms)

    def comparison(self, terms) -> Predicate:
        token = self.peek()
        if token.kind == "ident" and self.peek(1).kind == "punct" and self.peek(1).text == "(" \
                and token.text.lower() in _BOOLEAN_FUNCTIONS:
            return self.boolean_function(terms)
        name_token = token
        left, left_literal = self.operand()
        simple = name_token.kind in ("ident", "quoted") and left_literal is None and self.tokens[self.pos - 1] is name_token
        op = self.peek()
        if op.kind == "punct" and op.text in ("=", "<>", "!=", "<", "<=", ">", ">="):
            self.advance()
            right, right_literal = self.operand()
            text = "<>" if op.text == "!=" else op.text
            if simple and right_literal is not None and terms is not None:
                terms.append((name_token.text, text, (right_literal,)))
            return comparison(text, left, right, left_literal, right_literal)
        if op.upper == "BETWEEN":
            self.advance()
            low, low_literal = self.operand()
            self.expect("AND")
            high, high_literal = self.operand()
            if simple and low_literal is not None and high_literal is not None and terms is not None:
                terms.append((name_token.text, "BETWEEN", (low_literal, high_literal)))
            return between(left, low, high)
        if op.upper == "IN":
            self.advance()
            closing = "]" if self.accept("[") else (self.expect("(") and ")")
            options = [self.operand()[0]]
            while self.accept(","):
                options.append(self.operand()[0])
            self.expect(closing)
            return one_of(left, options)
        if op.upper == "IS":
            self.advance()
            negate = self.accept("NOT")
            word = self.advance().upper
            if word == "MISSING":
                test = lambda item: left(item) is None  # noqa: E731
            elif word == "NULL":
                test = lambda item: (v := left(item)) is not None and "NULL" in v  # noqa: E731
            else:
                self.pos -= 1
                self.fail("Expected MISSING or NULL")
            return (lambda item: not test(item)) if negate else test
        self.fail("Expected a comparison")

    def boolean_function(self, terms) -> Predicate:
        name = self.advance().text.lower()
        self.expect("(")
        path = self.path()
        args = []
        while self.accept(","):
            args.append(self.operand())
        self.expect(")")

        def get(item: dict) -> dict | None:
            return get_path(item, path)

        if name in ("attribute_exists", "exists"):
            return lambda item: get(item) is not None
        if name == "attribute_not_exists":
            return lambda item: get(item) is None
        if len(args) != 1:
            self.fail(f"Function {name} takes two arguments")
        arg, literal = args[0]
        if name == "begins_with":
            if literal is not None and len(path) == 1 and terms is not None:
                terms.append((path[0], "begins_with", (literal,)))
            return lambda item: begins_with(get(item), arg(item))
        if name == "contains":
            return lambda item: contains(get(item), arg(item))
        # attribute_type(path, 'S')
        return lambda item: (v := get(item)) is not None and (t := arg(item)) is not None and t.get("S") in v


_UPDATE_FUNCTIONS = frozenset({"list_append", "set_add", "set_delete", "if_not_exists"})
_VALUE_WORDS = frozenset({"TRUE", "FALSE", "NULL"})
_BOOLEAN_FUNCTIONS = frozenset({"begins_with", "contains", "attribute_exists", "attribute_not_exists",
                                "attribute_type", "exists"})


def parse_statement(statement: str, parameters: list | None = None, allow_exists: bool = False) -> Plan:
    """Parse one PartiQL statement with its ``Parameters`` into a plan for the engine.
    ``allow_exists``: ExecuteTransaction accepts ``EXISTS(SELECT ...)`` condition checks
    (an ExistsPlan); elsewhere they are rejected."""
    try:
        return _Parser(statement, parameters, allow_exists).statement()
    except RecursionError:  # absurd nesting of parentheses, NOTs or literals
        raise invalid(NOT_WELL_FORMED + "Statement is nested too deeply") from None


__all__ = ["DeletePlan", "ExistsPlan", "InsertPlan", "Plan", "SelectPlan", "UpdatePlan", "Where", "parse_statement"]
