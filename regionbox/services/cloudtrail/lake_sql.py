"""Running a CloudTrail Lake query (lake_parser.py parses it) over an event data store's events:
``Execution`` takes (time, record) pairs streamed from the store, keeping only what the answer
needs: one row per group, a heap of LIMIT rows for ORDER BY ... LIMIT, and never more than
``MAX_ROWS`` rows at all. Values compare as in Trino, with SQL's three-valued logic: eventTime is
a timestamp that compares with timestamp strings, a field a record lacks is NULL.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

import orjson

from regionbox.services.cloudtrail.lake_parser import (AGGREGATES, COLUMNS, Between, Binary, Call, Column, In, IsNull,
                                                      Like, Literal, Query, RunError, Subscript, Timestamp, Unary,
                                                      aggregates_in)

MAX_ROWS = 100_000  # the most rows a query may hold (results or groups) before it fails

def _coerce(left: Any, right: Any) -> tuple[Any, Any]:
    if isinstance(left, Timestamp) and isinstance(right, str):
        return left, Timestamp.parse(right)
    if isinstance(right, Timestamp) and isinstance(left, str):
        return Timestamp.parse(left), right
    if isinstance(left, bool) != isinstance(right, bool):
        if isinstance(left, bool) and isinstance(right, str):
            return ("true" if left else "false"), right.lower()
        if isinstance(right, bool) and isinstance(left, str):
            return left.lower(), ("true" if right else "false")
    if isinstance(left, (int, float)) and isinstance(right, str) and not isinstance(left, bool):
        return left, _to_number(right)
    if isinstance(right, (int, float)) and isinstance(left, str) and not isinstance(right, bool):
        return _to_number(left), right
    return left, right


def _to_number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise RunError(f"Cannot cast '{text}' to a number") from None


def _compare(op: str, left: Any, right: Any) -> bool | None:
    if left is None or right is None:
        return None
    left, right = _coerce(left, right)
    try:
        if op == "=":
            return left == right
        if op == "!=":
            return left != right
        if op == "<":
            return left < right
        if op == "<=":
            return left <= right
        if op == ">":
            return left > right
        return left >= right
    except TypeError:
        raise RunError(f"Cannot compare {_type(left)} with {_type(right)}") from None


def _type(value: Any) -> str:
    return {str: "varchar", bool: "boolean", int: "bigint", float: "double", dict: "map", list: "array"}.get(
        type(value), "timestamp" if isinstance(value, Timestamp) else type(value).__name__)


def _like(value: Any, pattern: Any) -> bool | None:
    if value is None or pattern is None:
        return None
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in str(pattern))
    return re.fullmatch(regex, str(value), re.DOTALL) is not None


def _truth(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _lookup(container: Any, key: str) -> Any:
    if not isinstance(container, dict):
        return None
    if key in container:
        return container[key]
    lowered = key.lower()
    return next((v for k, v in container.items() if k.lower() == lowered), None)


@dataclass
class Row:
    """One event as expressions read it."""

    time: float
    record: dict

    def column(self, path: tuple[str, ...]) -> Any:
        first = COLUMNS.get(path[0].lower(), path[0])
        if first == "eventTime":
            value: Any = Timestamp(self.time)
        else:
            value = _lookup(self.record, first)
            if value is None and first in ("requestID", "eventID", "sharedEventID"):
                value = _lookup(self.record, first[:-2] + "Id")
        for part in path[1:]:
            value = _lookup(value, part)
        return value


def evaluate(expr: Any, row: Row, aggregates: dict | None = None) -> Any:
    kind = type(expr)
    if kind is Literal:
        return expr.value
    if kind is Column:
        return row.column(expr.path)
    if kind is Binary:
        if expr.op in ("and", "or"):
            left = _truth(evaluate(expr.left, row, aggregates))
            if expr.op == "and" and left is False:
                return False
            if expr.op == "or" and left is True:
                return True
            right = _truth(evaluate(expr.right, row, aggregates))
            if expr.op == "and":
                return False if right is False else (None if None in (left, right) else True)
            return True if right is True else (None if None in (left, right) else False)
        return _compare(expr.op, evaluate(expr.left, row, aggregates), evaluate(expr.right, row, aggregates))
    if kind is Unary:
        value = _truth(evaluate(expr.operand, row, aggregates))
        return None if value is None else not value
    if kind is Like:
        found = _like(evaluate(expr.operand, row, aggregates), evaluate(expr.pattern, row, aggregates))
        return None if found is None else found != expr.negated
    if kind is In:
        value = evaluate(expr.operand, row, aggregates)
        if value is None:
            return None
        hits = [_compare("=", value, evaluate(item, row, aggregates)) for item in expr.items]
        found = True if True in hits else (None if None in hits else False)
        return None if found is None else found != expr.negated
    if kind is Between:
        value = evaluate(expr.operand, row, aggregates)
        inside = _truth(evaluate(Binary("and", Binary(">=", Literal(value), expr.low), Binary("<=", Literal(value), expr.high)),
                                 row, aggregates))
        return None if inside is None else inside != expr.negated
    if kind is IsNull:
        return (evaluate(expr.operand, row, aggregates) is None) != expr.negated
    if kind is Subscript:
        return _lookup(evaluate(expr.base, row, aggregates), str(evaluate(expr.key, row, aggregates)))
    if kind is Call:
        if expr.name in AGGREGATES:
            if aggregates is None:
                raise RunError(f"{expr.name}() needs GROUP BY or a whole-result aggregation")
            return aggregates[expr].result()
        args = [evaluate(a, row, aggregates) for a in expr.args]
        return _function(expr.name, args)
    raise RunError(f"cannot evaluate {expr!r}")


def _function(name: str, args: list) -> Any:
    if name == "coalesce":
        return next((a for a in args if a is not None), None)
    if len(args) != (2 if name == "element_at" else 1):
        raise RunError(f"{name}() takes {2 if name == 'element_at' else 1} argument(s)")
    if name == "element_at":
        return _lookup(args[0], str(args[1])) if args[1] is not None else None
    value = args[0]
    if value is None:
        return None
    if name == "lower":
        return str(value).lower()
    if name == "upper":
        return str(value).upper()
    return len(value) if isinstance(value, (str, list, dict)) else len(str(value))


class Accumulator:
    def __init__(self, call: Call) -> None:
        self.call = call
        self.count = 0
        self.value: Any = None
        self.seen: set | None = set() if call.distinct else None

    def add(self, row: Row) -> None:
        call = self.call
        if call.star:
            self.count += 1
            return
        value = evaluate(call.args[0], row)
        if value is None:
            return
        if self.seen is not None:
            marker = _hashable(value)
            if marker in self.seen:
                return
            if len(self.seen) >= MAX_ROWS:
                raise RunError(f"count(DISTINCT) holds more than {MAX_ROWS} values")
            self.seen.add(marker)
        self.count += 1
        name = call.name
        if name in ("sum", "avg"):
            number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else _to_number(str(value))
            self.value = number if self.value is None else self.value + number
        elif name == "min":
            self.value = value if self.value is None or _compare("<", value, self.value) else self.value
        elif name == "max":
            self.value = value if self.value is None or _compare(">", value, self.value) else self.value

    def result(self) -> Any:
        if self.call.name == "count":
            return self.count
        if self.call.name == "avg":
            return None if self.value is None else self.value / self.count
        return self.value


def _hashable(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    return value


def render(value: Any) -> str:
    """A value as GetQueryResults shows it: text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(value)
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return str(value)


class _Reversed:
    """Sorts in the opposite order (ORDER BY ... DESC within one tuple key)."""

    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key

    def __lt__(self, other: "_Reversed") -> bool:
        return other.key < self.key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.key == other.key


def _sort_key(value: Any) -> tuple:
    # NULLs sort last, as in Trino; values of one column compare by type, then by value.
    if value is None:
        return (1, 0, "")
    if isinstance(value, bool):
        return (0, 0, value)
    if isinstance(value, (int, float)):
        return (0, 1, value)
    if isinstance(value, Timestamp):
        return (0, 2, value.epoch)
    return (0, 3, render(value))


@dataclass
class Execution:
    """One query's run over a store's rows, with its statistics."""

    query: Query
    scanned: int = 0
    matched: int = 0
    bytes_scanned: int = 0

    def time_bounds(self) -> tuple[float | None, float | None]:
        """The eventTime range the WHERE clause's top-level conditions allow (scanned first)."""
        start = end = None
        for condition in _conjuncts(self.query.where):
            bound = _time_bound(condition)
            if bound is None:
                continue
            low, high = bound
            if low is not None:
                start = low if start is None else max(start, low)
            if high is not None:
                end = high if end is None else min(end, high)
        return start, end

    def run(self, rows: Iterable[tuple[float, bytes]]) -> tuple[list[str], list[list[Any]]]:
        """(column names, result rows) of the query over (time, record) pairs."""
        query = self.query
        grouped = bool(query.group_by) or any(aggregates_in(i.expr) for i in query.items if i.expr is not None)
        source = self._matching(rows)
        if grouped:
            names, result = self._grouped(source)
        elif query.star:
            names, result = self._star(source)
        else:
            names = query.column_names()
            result = self._plain(source, names)
        if query.distinct:
            result = list({tuple(_hashable(v) for v in row): row for row in result}.values())
        if query.limit is not None:
            result = result[:query.limit]
        return names, result

    def _matching(self, rows: Iterable[tuple[float, bytes]]) -> Iterator[Row]:
        where = self.query.where
        for when, raw in rows:
            self.scanned += 1
            self.bytes_scanned += len(raw)
            row = Row(when, orjson.loads(raw))
            if where is None or evaluate(where, row) is True:
                self.matched += 1
                yield row

    def _star(self, source: Iterator[Row]) -> tuple[list[str], list[list[Any]]]:
        names: dict[str, None] = {}
        records = []
        for row in self._bounded(source, lambda r: r):
            record = dict(row.record)
            record["eventTime"] = Timestamp(row.time)
            names.update(dict.fromkeys(record))
            records.append(record)
        return list(names), [[record.get(name) for name in names] for record in records]

    def _plain(self, source: Iterator[Row], names: list[str]) -> list[list[Any]]:
        items = self.query.items
        return [[evaluate(item.expr, row) for item in items]
                for row in self._bounded(source, lambda r: r)]

    def _bounded(self, source: Iterator[Row], keep):
        """Rows in ORDER BY order, holding at most LIMIT of them when there is a LIMIT."""
        order = self.query.order_by
        names = self.query.column_names()
        if not order:
            for count, row in enumerate(source):
                if self.query.limit is not None and count >= self.query.limit and not self.query.distinct:
                    return
                if count >= MAX_ROWS:
                    raise RunError(f"The query returns more than {MAX_ROWS} rows; narrow it or add a LIMIT.")
                yield keep(row)
            return
        resolved = [(self._order_expr(expr, names), descending) for expr, descending in order]

        def key(row: Row) -> tuple:
            return tuple(_Reversed(_sort_key(evaluate(e, row))) if d else _sort_key(evaluate(e, row)) for e, d in resolved)

        if self.query.limit is not None and not self.query.distinct:
            best = heapq.nsmallest(self.query.limit, ((key(row), n, row) for n, row in enumerate(source)))
            yield from (keep(row) for _, _, row in best)
            return
        held = []
        for n, row in enumerate(source):
            if n >= MAX_ROWS:
                raise RunError(f"The query returns more than {MAX_ROWS} rows; narrow it or add a LIMIT.")
            held.append((key(row), n, row))
        held.sort()
        yield from (keep(row) for _, _, row in held)

    def _order_expr(self, expr: Any, names: list[str]) -> Any:
        """ORDER BY names an alias, an ordinal (1-based) or an expression."""
        items = self.query.items
        if isinstance(expr, Literal) and isinstance(expr.value, int) and not isinstance(expr.value, bool):
            if not 1 <= expr.value <= len(items) or items[expr.value - 1].expr is None:
                raise RunError(f"ORDER BY position {expr.value} is not in select list")
            return items[expr.value - 1].expr
        if isinstance(expr, Column) and len(expr.path) == 1:
            for item in items:
                if item.alias and item.alias.lower() == expr.path[0].lower():
                    return item.expr
        return expr

    def _grouped(self, source: Iterator[Row]) -> tuple[list[str], list[list[Any]]]:
        query = self.query
        names = query.column_names()
        keys = [self._order_expr(expr, names) for expr in query.group_by]
        calls = {call for item in query.items if item.expr is not None for call in aggregates_in(item.expr)}
        calls |= set(aggregates_in(query.having))
        order = [(self._order_expr(expr, names), descending) for expr, descending in query.order_by]
        calls |= {call for expr, _ in order for call in aggregates_in(expr)}
        groups: dict[tuple, tuple[Row, dict]] = {}
        for row in source:
            marker = tuple(_hashable(evaluate(k, row)) for k in keys)
            entry = groups.get(marker)
            if entry is None:
                if len(groups) >= MAX_ROWS:
                    raise RunError(f"The query makes more than {MAX_ROWS} groups; narrow it.")
                entry = groups[marker] = (row, {call: Accumulator(call) for call in calls})
            for accumulator in entry[1].values():
                accumulator.add(row)
        if not groups and not query.group_by:
            groups[()] = (Row(0.0, {}), {call: Accumulator(call) for call in calls})  # count(*) of nothing is 0
        result = []
        for first, accumulators in groups.values():
            if query.having is not None and evaluate(query.having, first, accumulators) is not True:
                continue
            values = [evaluate(item.expr, first, accumulators) for item in query.items]
            sort_key = tuple(_Reversed(_sort_key(evaluate(e, first, accumulators))) if d
                             else _sort_key(evaluate(e, first, accumulators)) for e, d in order)
            result.append((sort_key, values))
        if order:
            result.sort(key=lambda pair: pair[0])
        return names, [values for _, values in result]


def _conjuncts(expr: Any) -> list:
    if isinstance(expr, Binary) and expr.op == "and":
        return _conjuncts(expr.left) + _conjuncts(expr.right)
    return [] if expr is None else [expr]


def _is_event_time(expr: Any) -> bool:
    return isinstance(expr, Column) and len(expr.path) == 1 and expr.path[0].lower() == "eventtime"


def _epoch_of(expr: Any) -> float | None:
    if isinstance(expr, Literal):
        if isinstance(expr.value, Timestamp):
            return expr.value.epoch
        if isinstance(expr.value, str):
            try:
                return Timestamp.parse(expr.value).epoch
            except RunError:
                return None
    return None


def _time_bound(condition: Any) -> tuple[float | None, float | None] | None:
    """(low, high) of eventTime that one condition allows, or None when it is no plain bound."""
    if isinstance(condition, Between) and not condition.negated and _is_event_time(condition.operand):
        return _epoch_of(condition.low), _epoch_of(condition.high)
    if isinstance(condition, Binary) and condition.op in ("<", "<=", ">", ">=", "="):
        flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}
        if _is_event_time(condition.left):
            op, value = condition.op, _epoch_of(condition.right)
        elif _is_event_time(condition.right):
            op, value = flipped[condition.op], _epoch_of(condition.left)
        else:
            return None
        if value is None:
            return None
        if op in (">", ">="):
            return value, None
        if op in ("<", "<="):
            return None, value
        return value, value
    return None
