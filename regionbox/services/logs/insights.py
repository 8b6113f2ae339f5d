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

import heapq
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator

from regionbox.services.logs.patterns import TokenCursor

Record = dict[str, Any]


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
#
# Records stream through once and only what the answer needs is kept: the best ``limit`` rows so
# far (a bounded heap), or one set of accumulators per stats group. A query over millions of
# events holds at most ``limit`` rows (AWS caps results at 10,000).

class _Descending:
    """Reverses the order of a sort key inside a larger key tuple."""

    __slots__ = ("key",)

    def __init__(self, key: tuple) -> None:
        self.key = key

    def __lt__(self, other: "_Descending") -> bool:
        return other.key < self.key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.key == other.key


class _Accumulator:
    """One aggregate of one stats group, updated record by record."""

    __slots__ = ("aggregate", "count", "total", "low", "high", "distinct")

    def __init__(self, aggregate: Aggregate) -> None:
        self.aggregate = aggregate
        self.count = 0  # records (count(*)), values (count), or numbers (sum, avg, min, max)
        self.total = 0.0
        self.low: float | None = None
        self.high: float | None = None
        self.distinct: set[str] = set()

    def add(self, record: Record) -> None:
        function, argument = self.aggregate.function, self.aggregate.argument
        if argument is None:
            self.count += 1
            return
        value = record.get(argument)
        if value is None:
            return
        if function == "count":
            self.count += 1
        elif function == "count_distinct":
            self.distinct.add(format_value("", value))
        else:
            number = _number(value)
            if number is None:
                return
            self.count += 1
            self.total += number
            self.low = number if self.low is None else min(self.low, number)
            self.high = number if self.high is None else max(self.high, number)

    def value(self) -> Any:
        function = self.aggregate.function
        if function == "count" or self.aggregate.argument is None:
            return self.count
        if function == "count_distinct":
            return len(self.distinct)
        if not self.count:
            return None
        if function == "sum":
            return self.total
        if function == "avg":
            return self.total / self.count
        return self.low if function == "min" else self.high


class Execution:
    """One run of a parsed query. ``scanned`` and ``matched`` count as it goes, so they can be
    read (from another thread) while it runs."""

    def __init__(self, query: Query, default_limit: int) -> None:
        self.query = query
        self.limit = query.limit or default_limit
        self.scanned = 0
        self.matched = 0

    def run(self, records: Iterable[Record]) -> list[list[dict]]:
        """Result rows as GetQueryResults gives them: [[{"field", "value"}, ...], ...]."""
        matching = self._matching(records)
        if self.query.aggregates:
            rows = self._aggregate(matching)
            ranked = sorted(((self._rank(row.get, seq), row) for seq, row in enumerate(rows)), key=_first)
            best = [row for _, row in ranked[: self.limit]]
        else:
            wanted = self.query.fields or ["@timestamp", "@message"]
            # Ranked by the source record (a sort may use fields the row does not show), kept slim.
            candidates = ((self._rank(record.get, seq),
                           {name: record[name] for name in wanted if record.get(name) is not None} | {"@ptr": record["@ptr"]})
                          for seq, record in enumerate(matching))
            best = [row for _, row in heapq.nsmallest(self.limit, candidates, key=_first)]
        return [[{"field": name, "value": format_value(name, value)} for name, value in row.items() if value is not None]
                for row in best]

    def _matching(self, records: Iterable[Record]) -> Iterator[Record]:
        filters = self.query.filters
        for record in records:
            self.scanned += 1
            if all(test(record) for test in filters):
                self.matched += 1
                yield record

    def _rank(self, value_of: Callable[[str], Any], seq: int) -> tuple:
        """The row's place in the answer: by the sort fields (missing values last whichever the
        direction), then by the order rows came in. Without a sort, plain rows are newest first."""
        if not self.query.sort and not self.query.aggregates:
            return (-value_of("@timestamp"), seq)
        parts: list[Any] = []
        for name, descending in self.query.sort:
            value = value_of(name)
            if value is None:
                parts.append((1,))
            else:
                key = _sort_key(value)
                parts.append((0, _Descending(key) if descending else key))
        parts.append(seq)
        return tuple(parts)

    def _aggregate(self, records: Iterable[Record]) -> list[Record]:
        groups: dict[tuple, list[_Accumulator]] = {}
        for record in records:
            key = []
            for _, source, bin_ms in self.query.group_by:
                value = record.get(source)
                key.append(value - value % bin_ms if bin_ms and value is not None else value)
            accumulators = groups.get(tuple(key))
            if accumulators is None:
                accumulators = groups[tuple(key)] = [_Accumulator(a) for a in self.query.aggregates]
            for accumulator in accumulators:
                accumulator.add(record)
        rows = []
        for key, accumulators in groups.items():
            row: Record = {name: value for (name, _, _), value in zip(self.query.group_by, key) if value is not None}
            for accumulator in accumulators:
                row[accumulator.aggregate.name] = accumulator.value()
            rows.append(row)
        return rows


def _first(item: tuple) -> Any:
    return item[0]


def _sort_key(value: Any) -> tuple:
    number = _number(value)
    return (0, number, "") if number is not None else (1, 0.0, format_value("", value))
