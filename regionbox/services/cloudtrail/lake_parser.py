"""CloudTrail Lake's SQL, the subset regionbox runs over an event data store's events:

    SELECT [DISTINCT] * | expr [[AS] alias], ...   (nested fields: userIdentity.arn, map['key'])
    FROM <event data store ID or ARN>
    [WHERE condition]      =, !=, <>, <, <=, >, >=, [NOT] LIKE, [NOT] IN (...), [NOT] BETWEEN ... AND ...,
                           IS [NOT] NULL, AND, OR, NOT; eventTime compares with timestamp strings
    [GROUP BY expr | alias | ordinal, ...]   COUNT(*), COUNT([DISTINCT] x), MIN, MAX, SUM, AVG
    [HAVING condition]
    [ORDER BY expr | alias | ordinal [ASC|DESC], ...]
    [LIMIT n]

Functions: lower, upper, length, coalesce, element_at(map, key). Identifiers are case-insensitive,
as in Trino (which AWS's Lake runs on); a column CloudTrail's schema does not have is refused, a
field a record lacks is NULL. Comparisons follow SQL's three-valued logic. Anything else (joins,
subqueries, arithmetic) is InvalidQueryStatementException, as a statement Lake cannot run is.

``parse`` turns a statement into a ``Query`` (this module); ``lake_sql.Execution`` runs it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

# CloudTrail Lake's columns: CloudTrail events', and those of events put through channels.
COLUMNS = {c.lower(): c for c in (
    "eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
    "userAgent", "errorCode", "errorMessage", "requestParameters", "responseElements", "additionalEventData",
    "requestID", "eventID", "readOnly", "resources", "eventType", "apiVersion", "managementEvent",
    "recipientAccountId", "sharedEventID", "annotation", "vpcEndpointId", "serviceEventDetails", "addendum",
    "edgeDeviceDetails", "insightDetails", "eventCategory", "tlsDetails", "sessionCredentialFromConsole",
    "eventData", "metadata", "eventJson")}
AGGREGATES = {"count", "min", "max", "sum", "avg"}
FUNCTIONS = AGGREGATES | {"lower", "upper", "length", "coalesce", "element_at"}
KEYWORDS = {"select", "distinct", "from", "where", "group", "by", "having", "order", "asc", "desc", "limit", "and",
            "or", "not", "like", "in", "between", "is", "null", "true", "false", "as", "join", "union", "timestamp",
            "escape"}
_TOKEN = re.compile(r"""
    (?P<space>\s+|--[^\n]*)
  | (?P<number>\d+(\.\d+)?)
  | (?P<string>'(?:[^']|'')*')
  | (?P<quoted>"(?:[^"]|"")+")
  | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<op><>|!=|<=|>=|\|\||[=<>(),.*\[\];+\-/%])
""", re.VERBOSE)
_TARGET = re.compile(r"[A-Za-z0-9_:/.\-]+")


class QueryError(Exception):
    """A statement Lake cannot run (InvalidQueryStatementException)."""


class RunError(Exception):
    """A query that failed while running (its status becomes FAILED with this message)."""


@dataclass(frozen=True)
class Token:
    kind: str
    value: str
    column: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        if tokens and tokens[-1].kind == "name" and tokens[-1].value.lower() == "from":
            space = re.match(r"\s*", text[position:]).end()
            target = _TARGET.match(text, position + space)
            if target:  # the event data store: an ID (a UUID) or an ARN
                tokens.append(Token("target", target.group(), target.start() + 1))
                position = target.end()
                continue
        found = _TOKEN.match(text, position)
        if found is None:
            raise QueryError(f"line 1:{position + 1}: token recognition error at: '{text[position]}'")
        kind = found.lastgroup
        if kind != "space":
            tokens.append(Token(kind, found.group(), position + 1))
        position = found.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


# -- the tree --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Column:
    path: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.path[-1]


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple
    distinct: bool = False
    star: bool = False


@dataclass(frozen=True)
class Subscript:
    base: Any
    key: Any


@dataclass(frozen=True)
class Unary:
    op: str
    operand: Any


@dataclass(frozen=True)
class Binary:
    op: str
    left: Any
    right: Any


@dataclass(frozen=True)
class Like:
    operand: Any
    pattern: Any
    negated: bool


@dataclass(frozen=True)
class In:
    operand: Any
    items: tuple
    negated: bool


@dataclass(frozen=True)
class Between:
    operand: Any
    low: Any
    high: Any
    negated: bool


@dataclass(frozen=True)
class IsNull:
    operand: Any
    negated: bool


@dataclass(frozen=True)
class Item:
    expr: Any  # None for "*"
    alias: str | None


@dataclass
class Query:
    items: list[Item]
    target: str
    where: Any = None
    group_by: list = field(default_factory=list)
    having: Any = None
    order_by: list[tuple[Any, bool]] = field(default_factory=list)  # (expr, descending)
    limit: int | None = None
    distinct: bool = False

    @property
    def star(self) -> bool:
        return any(item.expr is None for item in self.items)

    def column_names(self) -> list[str]:
        names = []
        for index, item in enumerate(self.items):
            if item.alias:
                names.append(item.alias)
            elif isinstance(item.expr, Column):
                names.append(item.expr.name)
            else:
                names.append(f"_col{index}")
        return names


class Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.at = 0
        self.aliases: set[str] = set()  # select aliases, which GROUP BY, HAVING and ORDER BY may name

    # -- tokens --------------------------------------------------------------------------------
    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def _fail(self, message: str | None = None) -> QueryError:
        token = self.token
        shown = token.value or "<EOF>"
        return QueryError(f"line 1:{token.column}: {message or f'mismatched input {shown!r}'}")

    def keyword(self, *words: str) -> bool:
        token = self.token
        if token.kind == "name" and token.value.lower() in words:
            self.at += 1
            return True
        return False

    def expect_keyword(self, word: str) -> None:
        if not self.keyword(word):
            raise self._fail(f"mismatched input '{self.token.value or '<EOF>'}'. Expecting: '{word.upper()}'")

    def op(self, *ops: str) -> str | None:
        token = self.token
        if token.kind == "op" and token.value in ops:
            self.at += 1
            return token.value
        return None

    def expect_op(self, op: str) -> None:
        if not self.op(op):
            raise self._fail(f"mismatched input '{self.token.value or '<EOF>'}'. Expecting: '{op}'")

    # -- statement -----------------------------------------------------------------------------
    def query(self) -> Query:
        self.expect_keyword("select")
        distinct = self.keyword("distinct")
        items = [self.item()]
        while self.op(","):
            items.append(self.item())
        self.aliases = {item.alias.lower() for item in items if item.alias}
        self.expect_keyword("from")
        if self.token.kind != "target":
            raise self._fail("FROM must name an event data store")
        target = self.token.value
        self.at += 1
        if self.token.kind == "name" and self.token.value.lower() in ("join", "union") or self.op(","):
            raise self._fail("joins, unions and subqueries are not in regionbox's Lake SQL subset")
        query = Query(items=items, target=target, distinct=distinct)
        if self.keyword("where"):
            query.where = self.expr()
        if self.keyword("group"):
            self.expect_keyword("by")
            query.group_by = [self.expr()]
            while self.op(","):
                query.group_by.append(self.expr())
        if self.keyword("having"):
            query.having = self.expr()
        if self.keyword("order"):
            self.expect_keyword("by")
            query.order_by = [self.order_item()]
            while self.op(","):
                query.order_by.append(self.order_item())
        if self.keyword("limit"):
            if self.token.kind != "number" or "." in self.token.value:
                raise self._fail("LIMIT must be a whole number")
            query.limit = int(self.token.value)
            self.at += 1
        self.op(";")
        if self.token.kind != "end":
            raise self._fail(f"extraneous input '{self.token.value}'")
        return query

    def item(self) -> Item:
        if self.op("*"):
            return Item(None, None)
        expr = self.expr()
        alias = None
        if self.keyword("as"):
            alias = self.identifier()
        elif self.token.kind in ("name", "quoted") and self.token.value.lower() not in KEYWORDS:
            alias = self.identifier()
        return Item(expr, alias)

    def order_item(self) -> tuple[Any, bool]:
        expr = self.expr()
        descending = False
        if self.keyword("desc"):
            descending = True
        else:
            self.keyword("asc")
        return expr, descending

    def identifier(self) -> str:
        token = self.token
        if token.kind == "quoted":
            self.at += 1
            return token.value[1:-1].replace('""', '"')
        if token.kind == "name" and token.value.lower() not in KEYWORDS:
            self.at += 1
            return token.value
        raise self._fail()

    # -- expressions ---------------------------------------------------------------------------
    def expr(self):
        left = self.conjunction()
        while self.keyword("or"):
            left = Binary("or", left, self.conjunction())
        return left

    def conjunction(self):
        left = self.negation()
        while self.keyword("and"):
            left = Binary("and", left, self.negation())
        return left

    def negation(self):
        if self.keyword("not"):
            return Unary("not", self.negation())
        return self.predicate()

    def predicate(self):
        left = self.primary()
        operator = self.op("=", "!=", "<>", "<", "<=", ">", ">=")
        if operator:
            return Binary("!=" if operator == "<>" else operator, left, self.primary())
        if self.keyword("is"):
            negated = self.keyword("not")
            self.expect_keyword("null")
            return IsNull(left, negated)
        negated = self.keyword("not")
        if self.keyword("like"):
            pattern = self.primary()
            if self.keyword("escape"):
                raise self._fail("LIKE ... ESCAPE is not in regionbox's Lake SQL subset")
            return Like(left, pattern, negated)
        if self.keyword("in"):
            self.expect_op("(")
            if self.token.kind == "name" and self.token.value.lower() == "select":
                raise self._fail("subqueries are not in regionbox's Lake SQL subset")
            items = [self.primary()]
            while self.op(","):
                items.append(self.primary())
            self.expect_op(")")
            return In(left, tuple(items), negated)
        if self.keyword("between"):
            low = self.primary()
            self.expect_keyword("and")
            return Between(left, low, self.primary(), negated)
        if negated:
            raise self._fail()
        return left

    def primary(self):
        token = self.token
        if self.op("("):
            inner = self.expr()
            self.expect_op(")")
            return self.postfix(inner)
        if self.op("-"):
            number = self.token
            if number.kind != "number":
                raise self._fail()
            self.at += 1
            return Literal(-_number(number.value))
        if token.kind == "number":
            self.at += 1
            return Literal(_number(token.value))
        if token.kind == "string":
            self.at += 1
            return Literal(token.value[1:-1].replace("''", "'"))
        if token.kind == "name":
            word = token.value.lower()
            if word in ("true", "false"):
                self.at += 1
                return Literal(word == "true")
            if word == "null":
                self.at += 1
                return Literal(None)
            if word == "timestamp" and self.tokens[self.at + 1].kind == "string":
                self.at += 2
                return Literal(Timestamp.parse(self.tokens[self.at - 1].value[1:-1]))
            if self.tokens[self.at + 1].kind == "op" and self.tokens[self.at + 1].value == "(":
                return self.postfix(self.call())
        if token.kind in ("name", "quoted"):
            path = [self.identifier()]
            while self.op("."):
                path.append(self.identifier())
            if path[0].lower() not in COLUMNS and not (len(path) == 1 and path[0].lower() in self.aliases):
                raise QueryError(f"line 1:{token.column}: Column '{'.'.join(path)}' cannot be resolved")
            return self.postfix(Column(tuple(path)))
        raise self._fail()

    def postfix(self, expr):
        while self.op("["):
            key = self.expr()
            self.expect_op("]")
            expr = Subscript(expr, key)
        return expr

    def call(self) -> Call:
        token = self.token
        name = token.value.lower()
        self.at += 1
        self.expect_op("(")
        if name not in FUNCTIONS:
            raise QueryError(f"line 1:{token.column}: Function '{name}' not registered")
        if name == "count" and self.op("*"):
            self.expect_op(")")
            return Call(name, (), star=True)
        distinct = self.keyword("distinct")
        args = []
        if not self.op(")"):
            args.append(self.expr())
            while self.op(","):
                args.append(self.expr())
            self.expect_op(")")
        if name in AGGREGATES and len(args) != 1:
            raise QueryError(f"line 1:{token.column}: {name}() takes one argument")
        if distinct and name != "count":
            raise QueryError(f"line 1:{token.column}: DISTINCT is supported in count() only")
        return Call(name, tuple(args), distinct=distinct)


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def parse(text: str) -> Query:
    query = Parser(text).query()
    has_aggregates = any(aggregates_in(item.expr) for item in query.items if item.expr is not None)
    if query.star and (query.group_by or has_aggregates):
        raise QueryError("line 1:8: SELECT * cannot be used with GROUP BY or aggregate functions")
    if query.where is not None and aggregates_in(query.where):
        raise QueryError("line 1:1: WHERE clause cannot contain aggregations")
    return query


def aggregates_in(expr: Any) -> list[Call]:
    if expr is None:
        return []
    if isinstance(expr, Call):
        if expr.name in AGGREGATES:
            return [expr]
        return [found for arg in expr.args for found in aggregates_in(arg)]
    children = []
    for name in ("left", "right", "operand", "pattern", "low", "high", "base", "key"):
        children.append(getattr(expr, name, None))
    children.extend(getattr(expr, "items", ()) or ())
    return [found for child in children if child is not None and not isinstance(child, (str, bool))
            for found in aggregates_in(child)]


@dataclass(frozen=True, order=True)
class Timestamp:
    epoch: float

    @classmethod
    def parse(cls, text: str) -> "Timestamp":
        cleaned = text.strip().replace("T", " ").removesuffix("Z").removesuffix("z")
        try:
            parsed = datetime.fromisoformat(cleaned)
        except ValueError:
            raise RunError(f"Value cannot be cast to timestamp: {text}") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return cls(parsed.timestamp())

    def __str__(self) -> str:
        when = datetime.fromtimestamp(self.epoch, timezone.utc)
        return when.strftime("%Y-%m-%d %H:%M:%S.") + f"{when.microsecond // 1000:03d}"
