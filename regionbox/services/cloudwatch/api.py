"""What CloudWatch offers other services (``cloud.services.api("cloudwatch")``): publishing their
AWS/* metrics the way AWS services do, without PutMetricData's rules (the AWS/ namespace is
theirs). Points are buffered and written once a second in one transaction (``series.py``)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Mapping

from regionbox.core import clock
from regionbox.services.cloudwatch.series import Point, Series, dimensions_of


class CloudWatchApi:
    def __init__(self, series: Series) -> None:
        self._series = series

    def put(self, account: str, region: str, namespace: str, name: str, dimensions: Mapping[str, str], value: float,
            unit: str = "None", timestamp: datetime | float | None = None, resolution: int = 60) -> None:
        """One data point of a metric, e.g. ``put(account, region, "AWS/RDS", "CPUUtilization",
        {"DBInstanceIdentifier": "app"}, 12.5, "Percent")``; ``resolution=1`` makes it a
        high-resolution (detailed) metric."""
        at = clock.to_epoch(timestamp) if timestamp is not None else time.time()
        self._series.buffer((account, region), namespace, name,
                            dimensions_of({"Name": k, "Value": v} for k, v in dimensions.items()),
                            Point.of_value(int(at), float(value), unit), resolution)

    def flush(self) -> int:
        """Write the buffered points now (the service does it every second)."""
        return self._series.flush()
