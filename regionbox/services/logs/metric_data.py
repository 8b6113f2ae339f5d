"""The data points metric filters publish, kept in their own table until CloudWatch reads them.

regionbox does not serve CloudWatch metrics yet, so there is no PutMetricData to hand them to:
they are kept here, per account and region, for 15 days (CloudWatch's retention of one-minute
data) and read in-process through ``LogsApi.metric_data``, which is what CloudWatch will read
once it exists. Each point is one matching (or, with a default value, non-matching) event, at
the event's timestamp, as CloudWatch Logs emits them.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from regionbox.core.store import Scope, Store
from regionbox.services.logs.state import DAY_MS, now_ms

KEPT_MS = 15 * DAY_MS

_SCHEMA = """
CREATE TABLE IF NOT EXISTS log_metric_data (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    dimensions TEXT NOT NULL,
    ts INTEGER NOT NULL,
    value REAL NOT NULL,
    unit TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_metric_data_metric ON log_metric_data(account, region, namespace, name, ts);
CREATE INDEX IF NOT EXISTS log_metric_data_age ON log_metric_data(ts);
"""


@dataclass(frozen=True)
class DataPoint:
    namespace: str
    name: str
    dimensions: dict[str, str]
    timestamp: int  # epoch ms
    value: float
    unit: str


class MetricData:
    def __init__(self, store: Store) -> None:
        self.store = store
        store.db.executescript(_SCHEMA)
        store.on_reset(lambda: store.db.execute("DELETE FROM log_metric_data"))

    def add(self, scope: Scope, points: list[DataPoint]) -> None:
        self.store.executemany(
            "INSERT INTO log_metric_data(account, region, namespace, name, dimensions, ts, value, unit) "
            "VALUES (?,?,?,?,?,?,?,?)",
            [(*scope, p.namespace, p.name, orjson.dumps(p.dimensions, option=orjson.OPT_SORT_KEYS).decode(),
              p.timestamp, p.value, p.unit) for p in points])

    def read(self, scope: Scope, namespace: str | None = None, name: str | None = None) -> list[DataPoint]:
        sql = "SELECT namespace, name, dimensions, ts, value, unit FROM log_metric_data WHERE account=? AND region=?"
        args: list = list(scope)
        if namespace is not None:
            sql += " AND namespace=?"
            args.append(namespace)
        if name is not None:
            sql += " AND name=?"
            args.append(name)
        rows = self.store.execute(sql + " ORDER BY ts, rowid", args).fetchall()
        return [DataPoint(ns, n, orjson.loads(dims), ts, value, unit) for ns, n, dims, ts, value, unit in rows]

    def expire(self) -> None:
        self.store.execute("DELETE FROM log_metric_data WHERE ts<?", (now_ms() - KEPT_MS,))
