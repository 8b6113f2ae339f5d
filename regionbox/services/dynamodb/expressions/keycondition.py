"""Key condition expressions of Query: equality on the partition key, optionally one condition
on the sort key (= < <= > >= BETWEEN begins_with), joined by AND.

The result gives storage what it needs to read a range of one partition: the partition key
value and bounds on the sort key as order-preserving bytes (``types.sort_key``)."""

from __future__ import annotations

from typing import Sequence

from regionbox.core.errors import ServiceError
from regionbox.services.dynamodb.expressions.attributes import ExpressionAttributes
from regionbox.services.dynamodb.expressions.condition import COMPARATORS, CONDITION_FUNCTIONS, ConditionParser, Operand
from regionbox.services.dynamodb.expressions.lexer import PUNCT
from regionbox.services.dynamodb.types import INVALID, compare, sort_key, values_equal

KeySchema = Sequence[tuple[str, str]]  # (hash name, type), then (range name, type) if any


def _error(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


class KeyCondition:
    """``hash_name``/``hash_value``; ``range_name`` with ``op`` ("=", "<", "<=", ">", ">=",
    "BETWEEN", "begins_with") and ``values`` (one, or two for BETWEEN), or ``op`` None.

    ``lower`` / ``upper`` are ``(bytes, inclusive)`` bounds on the sort key's ``sort_key``
    encoding (None: unbounded); ``matches(item)`` checks an item exactly."""

    __slots__ = ("hash_name", "hash_value", "range_name", "op", "values", "lower", "upper")

    def __init__(self, hash_name: str, hash_value: dict, range_name: str | None = None,
                 op: str | None = None, values: tuple = ()):
        self.hash_name = hash_name
        self.hash_value = hash_value
        self.range_name = range_name
        self.op = op
        self.values = values
        self.lower, self.upper = _bounds(op, values)

    def matches(self, item: dict) -> bool:
        value = item.get(self.hash_name)
        if value is None or not values_equal(value, self.hash_value):
            return False
        if self.op is None:
            return True
        value = item.get(self.range_name)
        if value is None:
            return False
        if self.op == "begins_with":
            ((kind, data),) = value.items()
            ((pkind, prefix),) = self.values[0].items()
            return kind == pkind and data.startswith(prefix)
        if self.op == "BETWEEN":
            lo, hi = compare(value, self.values[0]), compare(value, self.values[1])
            return lo is not None and hi is not None and lo >= 0 and hi <= 0
        c = compare(value, self.values[0])
        if c is None:
            return False
        return {"=": c == 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[self.op]


def _bounds(op: str | None, values: tuple):
    if op is None:
        return None, None
    if op == "begins_with":
        prefix = sort_key(values[0])
        return (prefix, True), _prefix_end(prefix)
    if op == "BETWEEN":
        return (sort_key(values[0]), True), (sort_key(values[1]), True)
    key = sort_key(values[0])
    return {
        "=": ((key, True), (key, True)),
        "<": (None, (key, False)),
        "<=": (None, (key, True)),
        ">": ((key, False), None),
        ">=": ((key, True), None),
    }[op]


def _prefix_end(prefix: bytes):
    """The smallest byte string greater than every string starting with ``prefix``."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return (stripped[:-1] + bytes((stripped[-1] + 1,)), False)


class KeyTerm:
    """One condition of a key condition: attribute name, operator, operand values."""

    __slots__ = ("name", "op", "values")

    def __init__(self, name: str, op: str, values: tuple):
        self.name, self.op, self.values = name, op, values


class KeyConditionParser(ConditionParser):
    label = "KeyConditionExpression"

    def parse_terms(self) -> list[KeyTerm]:
        terms = self.parse_and_chain()
        token = self.peek()
        if token.upper in ("OR", "NOT"):
            raise self.invalid(f"Invalid operator used in KeyConditionExpression: {token.upper}")
        self.finish()
        return terms

    def parse_and_chain(self) -> list[KeyTerm]:
        terms = self.parse_term()
        while self.at_keyword("AND"):
            self.advance()
            terms += self.parse_term()
        return terms

    def parse_term(self) -> list[KeyTerm]:
        """One term, or the terms of a parenthesized AND chain (boto3 wraps the whole key
        condition in parentheses: ``(#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2)``)."""
        if self.at_keyword("NOT"):
            raise self.invalid("Invalid operator used in KeyConditionExpression: NOT")
        if self.at_punct("("):
            if self.redundant_parens():
                self.note("parens", "The expression has redundant parentheses;")
            self.advance()
            terms = self.parse_and_chain()
            self.expect_punct(")")
            return terms
        return [self.parse_single_term()]

    def parse_single_term(self) -> KeyTerm:
        left = self.parse_operand()
        token = self.peek()
        if left.kind == "function":
            self.check_function(left)
            if left.name in CONDITION_FUNCTIONS and left.name != "begins_with":
                self.note("other", f"Invalid operator used in KeyConditionExpression: {left.name}")
            if left.name != "begins_with" or len(left.args) != 2:
                self.finish()  # raises the error noted above
            return self.term_of(left.args[0], "begins_with", left.args[1:])
        if token.kind == PUNCT and token.text in COMPARATORS:
            self.advance()
            if token.text == "<>":
                raise self.invalid("Invalid operator used in KeyConditionExpression: <>")
            right = self.parse_operand()
            if left.kind == "value" and right.kind == "path":  # ":v = pk" is allowed
                left, right = right, left
                token_text = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(token.text, token.text)
            else:
                token_text = token.text
            self.check_distinct(token_text, left, right)
            return self.term_of(left, token_text, [right])
        if token.upper == "BETWEEN":
            self.advance()
            low = self.parse_operand()
            self.expect_keyword("AND")
            high = self.parse_operand()
            self.check_between(low, high)
            return self.term_of(left, "BETWEEN", [low, high])
        if token.upper == "IN":
            raise self.invalid("Invalid operator used in KeyConditionExpression: IN")
        self.syntax_error()

    def term_of(self, subject: Operand, op: str, operands: list[Operand]) -> KeyTerm:
        if subject.kind != "path":
            self.note("operand", "Operator or function requires a document path; operator or function: "
                      f"{op}")
            return KeyTerm("", op, ())
        if len(subject.path) != 1:
            self.note("other", "KeyConditionExpressions cannot have conditions on nested attributes")
        for operand in operands:
            if operand.kind != "value":
                self.note("other", "KeyConditionExpressions cannot contain document paths as the value of a condition"
                          if operand.kind == "path" else "Invalid operator used in KeyConditionExpression: " + op)
        return KeyTerm(subject.path[0], op, tuple(o.value for o in operands))


def parse_key_condition(text: str, attrs: ExpressionAttributes, key_schema: KeySchema) -> KeyCondition:
    """Parse a KeyConditionExpression for a table or index whose key schema is ``key_schema``
    (``[(hash_name, "S"|"N"|"B"), (range_name, type)?]``)."""
    terms = KeyConditionParser(text, attrs).parse_terms()
    return key_condition_of(terms, key_schema)


def key_condition_of(terms, key_schema: KeySchema) -> KeyCondition:
    """Check terms ((name, op, values) each) against the key schema; shared with KeyConditions."""
    hash_name, hash_type = key_schema[0]
    range_name, range_type = key_schema[1] if len(key_schema) > 1 else (None, None)
    if len(terms) > len(key_schema):
        raise _error("KeyConditionExpressions must only contain one condition per key")
    by_name: dict[str, KeyTerm] = {}
    for term in terms:
        if term.name in by_name:
            raise _error("KeyConditionExpressions must only contain one condition per key")
        by_name[term.name] = term
    hash_term = by_name.get(hash_name)
    if hash_term is None:
        raise _error(f"Query condition missed key schema element: {hash_name}")
    for name in by_name:
        if name not in (hash_name, range_name):
            raise _error(f"Query condition missed key schema element: {range_name or hash_name}")
    if hash_term.op != "=":
        raise _error("Query key condition not supported")
    _check_type(hash_term.values, hash_type)
    range_term = by_name.get(range_name) if range_name else None
    if range_term is None:
        return KeyCondition(hash_name, hash_term.values[0])
    _check_type(range_term.values, range_type)
    if range_term.op == "begins_with" and range_type == "N":
        raise _error("Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
                     "operator or function: begins_with, operand type: N")
    return KeyCondition(hash_name, hash_term.values[0], range_name, range_term.op, range_term.values)


def _check_type(values: tuple, expected: str) -> None:
    for value in values:
        if value is not None and next(iter(value)) != expected:
            raise _error(INVALID + "Condition parameter type does not match schema type")
