"""The time-series store: every metric of every account and region, and its data points.

Two tables of their own in the cloud's SQLite (durable like everything acknowledged):

- ``cw_metrics``: one row per metric (namespace, name, dimensions sorted by name) with the time
  of its last put, for ListMetrics' RecentlyActive; ids are cached in memory.
- ``cw_points``: one row per datum as it was put, not per value: a value is (n=1, sum=min=max);
  a Values/Counts array is one row with its distribution (``vals``, kept for percentiles); a
  statistic set is one row with no distribution. A PutMetricData of 1000 datums is one
  ``executemany`` in one transaction.

Retention follows CloudWatch's tiers: data points of a period under 60 s are kept 3 hours, then
rolled up into 1-minute points (kept 15 days), then 5-minute (63 days), then 1-hour (455 days).
``roll_up`` does it; the service runs it every few minutes.

Other services' metrics (``CloudWatchApi.put``) are buffered and written once a second in one
transaction: a kill -9 may lose that last second of AWS/* samples, never a PutMetricData that was
answered.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Iterable

import orjson

from regionbox.core.store import Scope, Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS cw_metrics (id INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL,
    namespace TEXT NOT NULL, name TEXT NOT NULL, dims TEXT NOT NULL, last_put INTEGER NOT NULL,
    UNIQUE (account, region, namespace, name, dims));
CREATE TABLE IF NOT EXISTS cw_points (metric INTEGER NOT NULL, ts INTEGER NOT NULL, resolution INTEGER NOT NULL,
    unit TEXT NOT NULL, n REAL NOT NULL, total REAL NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL, vals BLOB);
CREATE INDEX IF NOT EXISTS cw_points_at ON cw_points (metric, ts);
"""
HOUR, DAY = 3600, 86400
# (resolution of points younger than the age, the age after which they are rolled into the next tier)
TIERS = ((1, 3 * HOUR, 60), (60, 15 * DAY, 300), (300, 63 * DAY, 3600))
KEPT = 455 * DAY
RECENT = 3 * HOUR  # ListMetrics' RecentlyActive=PT3H
LAST_PUT_GRANULARITY = 60  # last_put is rewritten at most once a minute per metric


Dimensions = tuple[tuple[str, str], ...]


def dimensions_of(items: Iterable[dict] | None) -> Dimensions:
    """Dimensions in the one order the store keys them by: sorted by name."""
    return tuple(sorted((d["Name"], d["Value"]) for d in items or ()))


@dataclass(frozen=True)
class Metric:
    id: int
    namespace: str
    name: str
    dimensions: Dimensions
    last_put: int

    def shape(self) -> dict:
        return {"Namespace": self.namespace, "MetricName": self.name,
                "Dimensions": [{"Name": n, "Value": v} for n, v in self.dimensions]}


@dataclass(frozen=True)
class Point:
    """One datum: ``vals`` is its distribution [(value, count)], None for a statistic set."""

    ts: int
    unit: str
    n: float
    total: float
    lo: float
    hi: float
    vals: tuple[tuple[float, float], ...] | None

    @classmethod
    def of_value(cls, ts: int, value: float, unit: str) -> "Point":
        return cls(ts, unit, 1.0, value, value, value, None)

    def distribution(self) -> tuple[tuple[float, float], ...] | None:
        if self.vals is not None:
            return self.vals
        return ((self.lo, self.n),) if self.lo == self.hi else None


class Series:
    def __init__(self, store: Store) -> None:
        self.store = store
        store.db.executescript(SCHEMA)
        self._ids: dict[tuple, tuple[int, int]] = {}  # (account, region, ns, name, dims json) -> (id, last_put)
        self._buffer: list[tuple[Scope, str, str, Dimensions, Point, int]] = []
        self._load()
        store.on_reset(self._reset)

    def _load(self) -> None:
        self._ids = {(a, r, ns, n, d): (i, lp) for i, a, r, ns, n, d, lp in
                     self.store.execute("SELECT id, account, region, namespace, name, dims, last_put FROM cw_metrics")}

    def _reset(self) -> None:
        self.store.db.execute("DELETE FROM cw_metrics")
        self.store.db.execute("DELETE FROM cw_points")
        self._ids.clear()
        self._buffer.clear()

    # -- writing -----------------------------------------------------------------------------------
    def write(self, scope: Scope, data: list[tuple[str, str, Dimensions, Point, int]]) -> None:
        """Store (namespace, name, dimensions, point, resolution) data, in one transaction."""
        now = int(time.time())
        rows = []
        with self.store.transaction() as db:
            for namespace, name, dimensions, point, resolution in data:
                metric = self._metric_id(db, scope, namespace, name, dimensions, now)
                rows.append((metric, point.ts, resolution, point.unit, point.n, point.total, point.lo, point.hi,
                             orjson.dumps(point.vals) if point.vals is not None else None))
            db.executemany("INSERT INTO cw_points VALUES (?,?,?,?,?,?,?,?,?)", rows)

    def _metric_id(self, db, scope: Scope, namespace: str, name: str, dimensions: Dimensions, now: int) -> int:
        key = (scope[0], scope[1], namespace, name, orjson.dumps(dimensions).decode())
        known = self._ids.get(key)
        if known is None:
            cursor = db.execute("INSERT INTO cw_metrics (account, region, namespace, name, dims, last_put) VALUES (?,?,?,?,?,?)",
                                (*key, now))
            self._ids[key] = (cursor.lastrowid, now)
            return cursor.lastrowid
        metric, last_put = known
        if now - last_put >= LAST_PUT_GRANULARITY:
            db.execute("UPDATE cw_metrics SET last_put = ? WHERE id = ?", (now, metric))
            self._ids[key] = (metric, now)
        return metric

    def buffer(self, scope: Scope, namespace: str, name: str, dimensions: Dimensions, point: Point, resolution: int) -> None:
        self._buffer.append((scope, namespace, name, dimensions, point, resolution))

    def flush(self) -> int:
        """Write what other services put since the last flush, in one transaction."""
        pending, self._buffer = self._buffer, []
        by_scope: dict[Scope, list] = {}
        for scope, *datum in pending:
            by_scope.setdefault(scope, []).append(tuple(datum))
        with self.store.transaction():
            for scope, data in by_scope.items():
                self.write(scope, data)
        return len(pending)

    # -- reading -----------------------------------------------------------------------------------
    def metrics(self, scope: Scope, namespace: str | None = None, name: str | None = None) -> list[Metric]:
        found = []
        for (account, region, ns, metric_name, dims), (metric, last_put) in self._ids.items():
            if (account, region) == scope and namespace in (None, ns) and name in (None, metric_name):
                found.append(Metric(metric, ns, metric_name, tuple(tuple(d) for d in orjson.loads(dims)), last_put))
        found.sort(key=lambda m: m.id)
        return found

    def find(self, scope: Scope, namespace: str, name: str, dimensions: Dimensions) -> int | None:
        known = self._ids.get((scope[0], scope[1], namespace, name, orjson.dumps(dimensions).decode()))
        return known[0] if known else None

    def aggregates(self, metric: int, start: int, end: int, period: int, unit: str | None = None) -> dict[tuple[int, str], list[float]]:
        """[SampleCount, Sum, Minimum, Maximum] per (period start, unit) in [start, end), with what is
        still buffered. One pass over the rows in index order (SQLite's GROUP BY sorts again: 3x slower)."""
        sql = "SELECT ts, unit, n, total, lo, hi FROM cw_points WHERE metric = ? AND ts >= ? AND ts < ?"
        args: tuple = (metric, start, end)
        if unit is not None:
            sql, args = sql + " AND unit = ?", (*args, unit)
        found: dict[tuple[int, str], list[float]] = {}
        for ts, u, n, total, lo, hi in self.store.execute(sql, args):
            key = (ts - ts % period, u)
            known = found.get(key)
            if known is None:
                found[key] = [n, total, lo, hi]
            else:
                known[0] += n
                known[1] += total
                if lo < known[2]:
                    known[2] = lo
                if hi > known[3]:
                    known[3] = hi
        for point in self._buffered(metric, start, end, unit):
            key = (point.ts - point.ts % period, point.unit)
            known = found.get(key)
            if known is None:
                found[key] = [point.n, point.total, point.lo, point.hi]
            else:
                known[0] += point.n
                known[1] += point.total
                known[2], known[3] = min(known[2], point.lo), max(known[3], point.hi)
        return found

    def distributions(self, metric: int, start: int, end: int, period: int,
                      unit: str | None = None) -> dict[tuple[int, str], list[tuple[float, float]]]:
        """The (value, count) pairs per (period start, unit), for percentiles: statistic sets have
        none and are left out."""
        sql = "SELECT ts, unit, n, lo, hi, vals FROM cw_points WHERE metric = ? AND ts >= ? AND ts < ?"
        args: tuple = (metric, start, end)
        if unit is not None:
            sql, args = sql + " AND unit = ?", (*args, unit)
        rows = list(self.store.execute(sql, args))
        rows += [(p.ts, p.unit, p.n, p.lo, p.hi, orjson.dumps(p.vals) if p.vals is not None else None)
                 for p in self._buffered(metric, start, end, unit)]
        found: dict[tuple[int, str], list[tuple[float, float]]] = {}
        for ts, u, n, lo, hi, vals in rows:
            key = (ts - ts % period, u)
            if vals is not None:
                found.setdefault(key, []).extend(orjson.loads(vals))
            elif lo == hi:
                found.setdefault(key, []).append([lo, n])
        return found

    def _buffered(self, metric: int, start: int, end: int, unit: str | None) -> list[Point]:
        return [point for scope, namespace, name, dimensions, point, _ in self._buffer
                if start <= point.ts < end and (unit is None or point.unit == unit)
                and self.find(scope, namespace, name, dimensions) == metric]

    # -- retention ---------------------------------------------------------------------------------
    def roll_up(self, now: float | None = None) -> int:
        """Fold points older than their tier's age into the next tier's period; drop what is
        older than CloudWatch keeps. Returns how many rows were folded."""
        now = int(now if now is not None else time.time())
        folded = 0
        with self.store.transaction() as db:
            for _, age, coarser in TIERS:
                cutoff = now - age
                rows = db.execute("SELECT rowid, metric, ts, unit, n, total, lo, hi, vals FROM cw_points "
                                  "WHERE resolution < ? AND ts < ?", (coarser, cutoff)).fetchall()
                if not rows:
                    continue
                groups: dict[tuple, list[Point]] = {}
                for _, metric, ts, unit, n, total, lo, hi, vals in rows:
                    groups.setdefault((metric, ts - ts % coarser, unit), []).append(
                        Point(ts, unit, n, total, lo, hi, _vals(vals)))
                db.executemany("DELETE FROM cw_points WHERE rowid = ?", [(row[0],) for row in rows])
                merged = []
                for (metric, ts, unit), points in groups.items():
                    point = merge(points, ts)
                    merged.append((metric, ts, coarser, unit, point.n, point.total, point.lo, point.hi,
                                   orjson.dumps(point.vals) if point.vals is not None else None))
                db.executemany("INSERT INTO cw_points VALUES (?,?,?,?,?,?,?,?,?)", merged)
                folded += len(rows)
            db.execute("DELETE FROM cw_points WHERE ts < ?", (now - KEPT,))
        return folded


def _vals(raw: bytes | None) -> tuple[tuple[float, float], ...] | None:
    return tuple((v, c) for v, c in orjson.loads(raw)) if raw is not None else None


def merge(points: list[Point], ts: int) -> Point:
    """One point standing for several: sums, extremes, and their distribution if every point has one."""
    distribution: dict[float, float] | None = {}
    for point in points:
        values = point.distribution()
        if values is None or distribution is None:
            distribution = None
            continue
        for value, count in values:
            distribution[value] = distribution.get(value, 0.0) + count
    return Point(ts, points[0].unit, sum(p.n for p in points), math.fsum(p.total for p in points),
                 min(p.lo for p in points), max(p.hi for p in points),
                 tuple(sorted(distribution.items())) if distribution is not None else None)
