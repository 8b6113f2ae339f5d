"""A CloudWatch Logs Insights subset: parse a query once, run it over events.

Commands, joined by ``|``:

- ``fields f1, f2`` / ``display f1, f2``: the fields each result row shows
- ``filter <expr>``: ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``like /regex/`` or ``like "text"``,
  ``not like``, ``in [..]``, ``ispresent(f)``, ``and``, ``or``, ``not``, parentheses
- ``stats agg(f) [as name], ... [by f1, bin(5m)]`` with count(*), count, count_distinct, sum,
  avg, min, max
- ``sort f [asc|desc], ...`` and ``limit n``

Fields are ``@timestamp``, ``@message``, ``@logStream``, ``@log``, ``@ingestionTime`` and, for
JSON messages, every member by its dotted path (``user.id``), as Insights discovers them.
Anything else is a ``MalformedQuery`` with the reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from regionbox.services.logs.patterns import TokenCursor

Record = dict[str, Any]
SOURCE = "\0source"


class MalformedQuery(ValueError):
    pass


def record_of(timestamp: int, message: str, stream: str, log: str, ingestion: int, pointer: str) -> Record:
    record: Record = {"@timestamp": timestamp, "@message": message, "@logStream": stream, "@log": log,
                      "@ingestionTime": ingestion, "@ptr": pointer}
    if message.lstrip().startswith("{"):
        try:
            document = json.loads(message)
        except ValueError:
            document = None
        if isinstance(document, dict):
            _flatten(document, "", record)
    return record


def _flatten(value: Any, prefix: str, into: Record) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}{key}." if isinstance(item, (dict, list)) else f"{prefix}{key}", into)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}{index}." if isinstance(item, (dict, list)) else f"{prefix}{index}", into)
    else:
        into[prefix.rstrip(".")] = value


def format_value(name: str, value: Any) -> str:
    if name in ("@timestamp", "@ingestionTime") or name.startswith("bin("):
        moment = datetime.fromtimestamp(value / 1000, timezone.utc)
        return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


# -- tokens ------------------------------------------------------------------------------------

_TOKEN = re.compile(r"""\s*(?:
    (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<regex>/(?:[^/\\]|\\.)+/)
  | (?P<period>\d+(?:ms|s|m|h|d|w)\b)
  | (?P<number>-?\d+(?:\.\d+)?(?![\w.]))
  | (?P<op>!=|<=|>=|=|<|>|\(|\)|\[|\]|,|\*)
  | (?P<name>@?[A-Za-z_][\w.@-]*)
  )""", re.X)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise MalformedQuery(f"unexpected symbol at '{text[position:].strip()[:20]}'")
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        position = match.end()
    return tokens


def _split_commands(query: str) -> list[str]:
    """Split on | outside strings and regexes."""
    commands, current, quote = [], [], None
    for char in query:
        if quote:
            current.append(char)
            if char == quote and (len(current) < 2 or current[-2] != "\\"):
                quote = None
        elif char in "\"'/":
            quote = char
            current.append(char)
        elif char == "|":
            commands.append("".join(current))
            current = []
        else:
            current.append(char)
    commands.append("".join(current))
    return [c.strip() for c in commands if c.strip()]


class _Parser(TokenCursor):
    error_type, end_message = MalformedQuery, "unexpected end of command"

    def __init__(self, text: str):
        super().__init__(_tokens(text))

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token and token[0] == "name" and token[1].lower() == word:
            self.position += 1
            return True
        return False

    def expect(self, kind: str, text: str | None = None) -> str:
        token = self.take()
        if token[0] != kind or (text is not None and token[1] != text):
            raise MalformedQuery(f"expected {text or kind}, got '{token[1]}'")
        return token[1]

    def done(self) -> None:
        if self.peek() is not None:
            raise MalformedQuery(f"unexpected '{self.peek()[1]}'")

    # expressions: or := and ('or' and)*; and := unary ('and' unary)*; unary := 'not' unary | test
    def expression(self) -> Callable[[Record], bool]:
        terms = [self.conjunction()]
        while self.keyword("or"):
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else (lambda r, ts=terms: any(t(r) for t in ts))

    def conjunction(self):
        terms = [self.unary()]
        while self.keyword("and"):
            terms.append(self.unary())
        return terms[0] if len(terms) == 1 else (lambda r, ts=terms: all(t(r) for t in ts))

    def unary(self):
        if self.keyword("not"):
            inner = self.unary()
            return lambda r: not inner(r)
        if self.peek() == ("op", "("):
            self.take()
            inner = self.expression()
            self.expect("op", ")")
            return inner
        return self.test()

    def operand(self) -> Callable[[Record], Any]:
        kind, text = self.take()
        if kind == "name":
            return lambda r, name=text: r.get(name)
        if kind == "number":
            value = float(text)
            return lambda r: value
        if kind == "string":
            value = json.loads('"' + text[1:-1].replace('\\"', '"').replace('"', '\\"') + '"') if text[0] == "'" else json.loads(text)
            return lambda r: value
        raise MalformedQuery(f"unexpected '{text}'")

    def test(self):
        token = self.peek()
        if token and token[0] == "name" and token[1].lower() == "ispresent" and self.peek(1) == ("op", "("):
            self.take(), self.take()
            name = self.expect("name")
            self.expect("op", ")")
            return lambda r: r.get(name) is not None
        left = self.operand()
        negate = self.keyword("not")
        if self.keyword("like"):
            kind, text = self.take()
            if kind == "regex":
                try:
                    pattern = re.compile(text[1:-1])
                except re.error as exc:
                    raise MalformedQuery(f"invalid regular expression {text}: {exc}") from None
                match = lambda value: pattern.search(value) is not None  # noqa: E731
            elif kind == "string":
                needle = json.loads(text) if text[0] == '"' else text[1:-1]
                match = lambda value: needle in value  # noqa: E731
            else:
                raise MalformedQuery(f"like needs a /regex/ or a string, got '{text}'")
            return lambda r: (left(r) is not None and match(format_value("", left(r)))) != negate
        if self.keyword("in"):
            self.expect("op", "[")
            values = [self.operand()]
            while self.peek() == ("op", ","):
                self.take()
                values.append(self.operand())
            self.expect("op", "]")
            return lambda r: any(_compare(left(r), "=", v(r)) for v in values) != negate
        if negate:
            raise MalformedQuery("'not' must be followed by like or in here")
        kind, operator = self.take()
        if kind != "op" or operator not in ("=", "!=", "<", "<=", ">", ">="):
            raise MalformedQuery(f"expected a comparison, got '{operator}'")
        right = self.operand()
        return lambda r: _compare(left(r), operator, right(r))


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compare(left: Any, operator: str, right: Any) -> bool:
    if left is None or right is None:
        return False
    a, b = _number(left), _number(right)
    if a is None or b is None:
        a, b = format_value("", left), format_value("", right)
    return {"=": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[operator]


# -- commands ----------------------------------------------------------------------------------

_PERIOD = re.compile(r"(\d+)(ms|s|m|h|d|w)")
_PERIOD_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_AGGREGATES = ("count", "count_distinct", "sum", "avg", "min", "max")


@dataclass
class Aggregate:
    function: str
    argument: str | None  # None for count(*)
    name: str


@dataclass
class Query:
    filters: list[Callable[[Record], bool]] = field(default_factory=list)
    fields: list[str] | None = None
    aggregates: list[Aggregate] = field(default_factory=list)
    group_by: list[tuple[str, str, int]] = field(default_factory=list)  # (output name, field, bin ms or 0)
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    limit: int | None = None


def _names(parser: _Parser) -> list[str]:
    names = [parser.expect("name")]
    while parser.peek() == ("op", ","):
        parser.take()
        names.append(parser.expect("name"))
    return names


def parse_query(text: str) -> Query:
    query = Query()
    for command in _split_commands(text):
        word, _, rest = command.partition(" ")
        word = word.lower()
        parser = _Parser(rest)
        if word in ("fields", "display"):
            query.fields = _names(parser)
        elif word == "filter":
            query.filters.append(parser.expression())
        elif word == "stats":
            _parse_stats(parser, query)
        elif word == "sort":
            while True:
                name = parser.expect("name")
                descending = parser.keyword("desc")
                if not descending:
                    parser.keyword("asc")
                query.sort.append((name, descending))
                if parser.peek() != ("op", ","):
                    break
                parser.take()
        elif word == "limit":
            query.limit = int(float(parser.expect("number")))
            if query.limit < 1:
                raise MalformedQuery("limit must be positive")
        else:
            raise MalformedQuery(f"unknown command '{word}'")
        parser.done()
    return query


def _parse_stats(parser: _Parser, query: Query) -> None:
    while True:
        function = parser.expect("name").lower()
        if function not in _AGGREGATES:
            raise MalformedQuery(f"unknown aggregation function '{function}'")
        parser.expect("op", "(")
        if parser.peek() == ("op", "*"):
            parser.take()
            argument = None
        else:
            argument = parser.expect("name")
        parser.expect("op", ")")
        if argument is None and function != "count":
            raise MalformedQuery(f"{function}(*) is not allowed")
        name = f"{function}({argument or '*'})"
        if parser.keyword("as"):
            name = parser.expect("name")
        query.aggregates.append(Aggregate(function, argument, name))
        if parser.peek() != ("op", ","):
            break
        parser.take()
    if parser.keyword("by"):
        while True:
            name = parser.expect("name")
            if name.lower() == "bin" and parser.peek() == ("op", "("):
                parser.take()
                period = parser.expect("period")
                parser.expect("op", ")")
                match = _PERIOD.fullmatch(period)
                if match is None:
                    raise MalformedQuery(f"invalid bin period '{period}'")
                query.group_by.append((f"bin({period})", "@timestamp", int(match.group(1)) * _PERIOD_MS[match.group(2)]))
            else:
                query.group_by.append((name, name, 0))
            if parser.peek() != ("op", ","):
                break
            parser.take()


# -- running -----------------------------------------------------------------------------------

def run(query: Query, records: Iterable[Record], default_limit: int) -> tuple[list[list[dict]], int, int]:
    """Result rows as GetQueryResults gives them ([{field, value}]), records scanned, matched."""
    scanned, matched_rows = 0, []
    for record in records:
        scanned += 1
        if all(test(record) for test in query.filters):
            matched_rows.append(record)
    matched = len(matched_rows)
    if query.aggregates:
        rows = _aggregate(query, matched_rows)
    else:
        wanted = query.fields or ["@timestamp", "@message"]
        # Each row keeps its source record (under SOURCE) for sorting by fields it does not show.
        rows = [{name: r[name] for name in wanted if r.get(name) is not None} | {"@ptr": r["@ptr"], SOURCE: r}
                for r in matched_rows]
        if not query.sort:
            rows.sort(key=lambda r: r[SOURCE]["@timestamp"], reverse=True)
    for name, descending in reversed(query.sort):
        present = [r for r in rows if _value(r, name) is not None]
        absent = [r for r in rows if _value(r, name) is None]
        present.sort(key=lambda r: _sort_key(_value(r, name)), reverse=descending)
        rows = present + absent
    return [[{"field": name, "value": format_value(name, value)} for name, value in row.items()
             if name != SOURCE and value is not None] for row in rows[: query.limit or default_limit]], scanned, matched


def _value(row: Record, name: str) -> Any:
    if name in row:
        return row[name]
    source = row.get(SOURCE)
    return source.get(name) if source is not None else None


def _sort_key(value: Any) -> tuple:
    number = _number(value)
    return (0, number, "") if number is not None else (1, 0.0, format_value("", value))


def _aggregate(query: Query, records: list[Record]) -> list[Record]:
    groups: dict[tuple, list[Record]] = {}
    for record in records:
        key = []
        for _, source, bin_ms in query.group_by:
            value = record.get(source)
            key.append(value - value % bin_ms if bin_ms and value is not None else value)
        groups.setdefault(tuple(key), []).append(record)
    rows = []
    for key, members in groups.items():
        row: Record = {name: value for (name, _, _), value in zip(query.group_by, key) if value is not None}
        for aggregate in query.aggregates:
            row[aggregate.name] = _apply(aggregate, members)
        rows.append(row)
    return rows


def _apply(aggregate: Aggregate, records: list[Record]) -> Any:
    if aggregate.argument is None:
        return len(records)
    values = [r[aggregate.argument] for r in records if r.get(aggregate.argument) is not None]
    if aggregate.function == "count":
        return len(values)
    if aggregate.function == "count_distinct":
        return len({format_value("", v) for v in values})
    numbers = [n for n in (_number(v) for v in values) if n is not None]
    if not numbers:
        return None
    if aggregate.function == "sum":
        return sum(numbers)
    if aggregate.function == "avg":
        return sum(numbers) / len(numbers)
    return min(numbers) if aggregate.function == "min" else max(numbers)
