"""Key condition expressions of Query: equality on the partition key, optionally one condition
on the sort key (= < <= > >= BETWEEN begins_with), joined by AND.

The result gives storage what it needs to read a range of one partition: the partition key
value and bounds on the sort key as order-preserving bytes (``types.sort_key``).

A global secondary index with a multi-attribute key (``KeyTypes.hash_count`` > 1, or more than
one sort key attribute) is queried with equality on every partition key attribute and, left to
right without skipping, equality on a prefix of its sort key attributes, the last of which may
take any sort key condition; the bounds are then on ``types.key_part`` bytes."""

from __future__ import annotations

from typing import Sequence

from regionbox.core.errors import ServiceError, invalid
from regionbox.services.dynamodb.expressions.attributes import ExpressionAttributes
from regionbox.services.dynamodb.expressions.condition import COMPARATORS, CONDITION_FUNCTIONS, ConditionParser, Operand
from regionbox.services.dynamodb.expressions.lexer import PUNCT, parse_guarded
from regionbox.services.dynamodb.types import COMPONENT_END, INVALID, compare, escaped, key_part, sort_key, values_equal

KeySchema = Sequence[tuple[str, str]]  # (hash name, type), then (range name, type) if any


class KeyCondition:
    """``hash_name``/``hash_value``; ``range_name`` with ``op`` ("=", "<", "<=", ">", ">=",
    "BETWEEN", "begins_with") and ``values`` (one, or two for BETWEEN), or ``op`` None.

    ``lower`` / ``upper`` are ``(bytes, inclusive)`` bounds on the sort key's ``sort_key``
    encoding (None: unbounded); ``matches(item)`` checks an item exactly."""

    __slots__ = ("hash_name", "hash_value", "hash_key", "range_name", "op", "values", "lower", "upper")

    def __init__(self, hash_name: str, hash_value: dict, range_name: str | None = None,
                 op: str | None = None, values: tuple = ()):
        self.hash_name = hash_name
        self.hash_value = hash_value
        self.hash_key = sort_key(hash_value)  # the partition's storage bytes
        self.range_name = range_name
        self.op = op
        self.values = values
        self.lower, self.upper = _bounds(op, values)

    def matches(self, item: dict) -> bool:
        value = item.get(self.hash_name)
        if value is None or not values_equal(value, self.hash_value):
            return False
        return self.op is None or _term_matches(KeyTerm(self.range_name, self.op, self.values), item.get(self.range_name))


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


class CompositeKeyCondition:
    """The key condition of a multi-attribute key: every partition key term (equality), the sort
    key terms in schema order (equality but the last), as ``key_part`` bounds."""

    __slots__ = ("hash_terms", "range_terms", "hash_value", "hash_key", "lower", "upper")

    def __init__(self, hash_terms: list["KeyTerm"], range_terms: list["KeyTerm"]):
        self.hash_terms, self.range_terms = hash_terms, range_terms
        self.hash_value = hash_terms[0].values[0]
        self.hash_key = key_part([t.values[0] for t in hash_terms])
        self.lower, self.upper = _composite_bounds(range_terms)

    def matches(self, item: dict) -> bool:
        for term in self.hash_terms:
            value = item.get(term.name)
            if value is None or not values_equal(value, term.values[0]):
                return False
        return all(_term_matches(term, item.get(term.name)) for term in self.range_terms)


def _term_matches(term: "KeyTerm", value: dict | None) -> bool:
    if value is None:
        return False
    if term.op == "begins_with":
        ((kind, data),) = value.items()
        ((pkind, prefix),) = term.values[0].items()
        return kind == pkind and data.startswith(prefix)
    if term.op == "BETWEEN":
        lo, hi = compare(value, term.values[0]), compare(value, term.values[1])
        return lo is not None and hi is not None and lo >= 0 and hi <= 0
    c = compare(value, term.values[0])
    return c is not None and {"=": c == 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[term.op]


def _composite_bounds(terms: list["KeyTerm"]):
    """Bounds on a multi-attribute sort key: the equal prefix, then the last term's condition on
    the next component (a component ends with COMPONENT_END, which sorts below any
    continuation of it)."""
    equal = [t for t in terms if t.op == "="]
    last = terms[-1] if terms and terms[-1].op != "=" else None
    prefix = b"".join(escaped(sort_key(t.values[0])) + COMPONENT_END for t in equal)
    start = (prefix, True) if prefix else None
    after = _prefix_end(prefix) if prefix else None
    if last is None:
        return start, after
    value = escaped(sort_key(last.values[0]))
    at, past = prefix + value + COMPONENT_END, prefix + value + b"\x00\x01"  # the value's first key, just above its last
    if last.op == "begins_with":
        return (prefix + value, True), _prefix_end(prefix + value)
    if last.op == "BETWEEN":
        return (at, True), (prefix + escaped(sort_key(last.values[1])) + b"\x00\x01", False)
    return {
        "<": (start, (at, False)),
        "<=": (start, (past, False)),
        ">": ((past, True), after),
        ">=": ((at, True), after),
    }[last.op]


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
    """Parses the condition grammar, then checks the shape a key condition must have. DynamoDB
    reports problems in that order: syntax and placeholders first (prefixed "Invalid
    KeyConditionExpression:"), then shape errors (unprefixed), then the key schema."""

    label = "KeyConditionExpression"

    def __init__(self, text: str, attrs: ExpressionAttributes):
        super().__init__(text, attrs)
        self.shape_error: str | None = None

    def shape(self, message: str) -> None:
        if self.shape_error is None:
            self.shape_error = message

    def parse_terms(self) -> list[KeyTerm]:
        terms = self.parse_and_chain()
        while self.at_keyword("OR"):
            self.shape("Invalid operator used in KeyConditionExpression: OR")
            self.advance()
            self.parse_and_chain()
        self.finish()
        if self.shape_error:
            raise invalid(self.shape_error)
        names = [term.name for term in terms]
        if len(set(names)) != len(names):
            raise invalid("KeyConditionExpressions must only contain one condition per key")
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
            self.shape("Invalid operator used in KeyConditionExpression: NOT")
            self.advance()
            return self.parse_term()
        if self.at_punct("("):
            start, errors, paths = self.pos, dict(self.errors), list(self.paths)
            if self.redundant_parens():
                self.note("parens", "The expression has redundant parentheses;")
            self.advance()
            try:
                terms = self.parse_and_chain()
                while self.at_keyword("OR"):
                    self.shape("Invalid operator used in KeyConditionExpression: OR")
                    self.advance()
                    self.parse_and_chain()
                self.expect_punct(")")
                return terms
            except ServiceError:  # "(pk) = :v": a parenthesized operand, not a group
                self.pos, self.errors, self.paths = start, errors, paths
        return [self.parse_single_term()]

    def parse_single_term(self) -> KeyTerm:
        left = self.parse_operand()
        token = self.peek()
        if token.kind == PUNCT and token.text in COMPARATORS:
            self.advance()
            right = self.parse_operand()
            self.check_operands(token.text, [left, right])
            self.check_distinct(token.text, left, right)
            if token.text == "<>":
                self.shape("Invalid operator used in KeyConditionExpression: <>")
            if left.kind != "path" and right.kind == "path":  # ":v < sk" means "sk > :v"
                return self.term_of(right, _MIRROR.get(token.text, token.text), [left])
            return self.term_of(left, token.text, [right])
        if token.upper == "BETWEEN":
            low, high = self.parse_between_bounds(left)
            if left.kind != "path":
                self.shape("Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute "
                           "as its first operand")
            return self.term_of(left, "BETWEEN", [low, high])
        if token.upper == "IN":
            options = self.parse_in_options(left)
            self.shape("Invalid operator used in KeyConditionExpression: IN")
            return self.term_of(left, "IN", options)
        if left.kind == "function":
            self.check_function(left)
            if left.name == "size":
                self.note("misused", "The function is not allowed to be used this way in an expression; function: size")
            elif left.name != "begins_with" and left.name in CONDITION_FUNCTIONS:
                self.shape(f"Invalid operator used in KeyConditionExpression: {left.name}")
            elif left.name == "begins_with" and left.args and left.args[0].kind != "path":
                self.shape("Invalid condition in KeyConditionExpression: begins_with operator must have the key "
                           "attribute as its first operand")
            return self.term_of(left.args[0] if left.args else left, "begins_with", left.args[1:])
        self.syntax_error()

    def term_of(self, subject: Operand, op: str, operands: list[Operand]) -> KeyTerm:
        for operand in [subject, *operands]:
            if operand.kind == "function":
                self.shape("KeyConditionExpressions cannot contain nested operations")
        if any(operand.kind == "path" for operand in operands):
            self.shape("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition")
        if subject.kind != "path":
            self.shape("Invalid condition in KeyConditionExpression: No key attribute specified")
            return KeyTerm("", op, ())
        if len(subject.path) != 1:
            self.shape("KeyConditionExpressions cannot have conditions on nested attributes")
        return KeyTerm(subject.path[0], op, tuple(o.value for o in operands))


_MIRROR = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}


def parse_key_condition(text: str, attrs: ExpressionAttributes, key_schema: KeySchema) -> KeyCondition:
    """Parse a KeyConditionExpression for a table or index whose key schema is ``key_schema``
    (``[(hash_name, "S"|"N"|"B"), (range_name, type)?]``)."""
    parser = KeyConditionParser(text, attrs)
    terms = parse_guarded(parser, parser.parse_terms)
    return key_condition_of(terms, key_schema)


_NOT_INDEXABLE = ("IN", "<>")  # (legacy NULL, NOT_NULL, NE, CONTAINS, NOT_CONTAINS are rejected earlier)


def key_condition_of(terms: list[KeyTerm], key_schema: KeySchema) -> KeyCondition | CompositeKeyCondition:
    """Check terms against the key schema, in DynamoDB's order; shared with KeyConditions."""
    hash_count = getattr(key_schema, "hash_count", 1)
    if hash_count > 1 or len(key_schema) > 2:
        return _composite_condition(terms, key_schema, hash_count)
    by_name = {term.name: term for term in terms}
    if len(key_schema) == 1 and len(by_name) > 1:
        raise invalid("Query key condition not supported")
    found = []
    for position, (name, kind) in enumerate(key_schema):
        term = by_name.get(name)
        if term is None:
            if position == 0 or len(by_name) > 1:
                raise invalid(f"Query condition missed key schema element: {name}")
            continue
        if term.op in _NOT_INDEXABLE:
            raise invalid("Attempted conditional constraint is not an indexable operation")
        _check_type(term.values, kind)
        if position == 0 and term.op != "=":
            raise invalid("Query key condition not supported")
        found.append(term)
    if len(found) < len(by_name):  # a condition on an attribute outside the key schema
        raise invalid("Query key condition not supported")
    hash_term = found[0]
    if len(found) == 1:
        return KeyCondition(hash_term.name, hash_term.values[0])
    range_term = found[1]
    return KeyCondition(hash_term.name, hash_term.values[0], range_term.name, range_term.op, range_term.values)


def _composite_condition(terms: list[KeyTerm], key_schema: KeySchema, hash_count: int) -> CompositeKeyCondition:
    by_name = {term.name: term for term in terms}
    hashes, ranges = list(key_schema[:hash_count]), list(key_schema[hash_count:])
    hash_terms = []
    for name, kind in hashes:
        term = by_name.get(name)
        if term is None:
            raise invalid(f"Query condition missed key schema element: {name}")
        if term.op in _NOT_INDEXABLE:
            raise invalid("Attempted conditional constraint is not an indexable operation")
        _check_type(term.values, kind)
        if term.op != "=":
            raise invalid("Query key condition not supported")
        hash_terms.append(term)
    range_terms = []
    missing = None
    for name, kind in ranges:
        term = by_name.get(name)
        if term is None:
            missing = missing or name
            continue
        if missing is not None:  # sort key attributes are given left to right, none skipped
            raise invalid(f"Query condition missed key schema element: {missing}")
        if term.op in _NOT_INDEXABLE:
            raise invalid("Attempted conditional constraint is not an indexable operation")
        _check_type(term.values, kind)
        if range_terms and range_terms[-1].op != "=":
            # Only the last sort key attribute given may have a condition other than equality.
            raise invalid(f"Query key condition not supported: the condition on {range_terms[-1].name} must be an "
                          "equality when a later sort key attribute has a condition")
        range_terms.append(term)
    if len(hash_terms) + len(range_terms) < len(by_name):  # a condition on an attribute outside the key schema
        raise invalid("Query key condition not supported")
    return CompositeKeyCondition(hash_terms, range_terms)


def _check_type(values: tuple, expected: str) -> None:
    for value in values:
        if value is not None and next(iter(value)) != expected:
            raise invalid(INVALID + "Condition parameter type does not match schema type")
