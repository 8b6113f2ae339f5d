"""The data points metric filters publish, handed to CloudWatch as the metrics AWS makes of them.

Each point is one matching (or, with a default value, non-matching) event, at the event's
timestamp, as CloudWatch Logs emits them; CloudWatch buffers them and writes them within a second
(``cloudwatch/api.py``), so GetMetricData and alarms see them as they see PutMetricData's.

Before CloudWatch was served, points were kept here in a table of their own (``log_metric_data``);
a state directory that still has it gives its points to CloudWatch once, then drops it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import orjson

from regionbox.core.store import Scope, Store

if TYPE_CHECKING:  # logs does not import CloudWatch at load
    from regionbox.services.cloudwatch.api import CloudWatchApi


@dataclass(frozen=True)
class DataPoint:
    namespace: str
    name: str
    dimensions: dict[str, str]
    timestamp: int  # epoch ms
    value: float
    unit: str


class MetricData:
    def __init__(self, store: Store, cloudwatch: Callable[[], "CloudWatchApi"]) -> None:
        self.store = store
        self.cloudwatch = cloudwatch  # CloudWatch loads when a filter first publishes

    def add(self, scope: Scope, points: list[DataPoint]) -> None:
        cloudwatch = self.cloudwatch()
        for p in points:
            cloudwatch.put(*scope, p.namespace, p.name, p.dimensions, p.value, p.unit, p.timestamp / 1000)

    def adopt_stored(self) -> None:
        """Give CloudWatch the points an older regionbox kept in its own table, then drop it."""
        if not self.store.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='log_metric_data'").fetchone():
            return
        rows = self.store.execute("SELECT account, region, namespace, name, dimensions, ts, value, unit "
                                  "FROM log_metric_data ORDER BY ts, rowid").fetchall()
        cloudwatch = self.cloudwatch()
        for account, region, namespace, name, dimensions, ts, value, unit in rows:
            cloudwatch.put(account, region, namespace, name, orjson.loads(dimensions), value, unit, ts / 1000)
        cloudwatch.flush()
        self.store.execute("DROP TABLE log_metric_data")
