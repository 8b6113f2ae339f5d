"""Statistics of the points of one period: the five basic ones and percentiles (pNN, pNN.NN).

A percentile needs each point's distribution: single values and Values/Counts arrays have one,
statistic sets do not, and a period made only of statistic sets has no percentile (CloudWatch
answers none either unless the set's minimum equals its maximum). Points are grouped into periods
aligned to multiples of the period since the epoch, as CloudWatch aligns them.
"""

from __future__ import annotations

import math
import re

from regionbox.services.cloudwatch.series import Point

BASIC = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d{1,10})?|100(\.0{1,10})?)$")
# Other extended statistics CloudWatch has (trimmed mean, winsorized mean, trimmed count/sum,
# percentile rank, IQM) are not computed here.
OTHER_EXTENDED = re.compile(r"^(tm|wm|tc|ts|TM|WM|TC|TS|PR)\(?[\d.:%]*\)?$|^IQM$")


def is_statistic(stat: str) -> bool:
    return stat in BASIC or PERCENTILE.match(stat) is not None


def buckets(points: list[Point], period: int) -> dict[int, list[Point]]:
    grouped: dict[int, list[Point]] = {}
    for point in points:
        grouped.setdefault(point.ts - point.ts % period, []).append(point)
    return dict(sorted(grouped.items()))


def compute(points: list[Point], stat: str) -> float | None:
    """The statistic over the points of one period; None when it has no value there."""
    if not points:
        return None
    if stat == "SampleCount":
        return math.fsum(p.n for p in points)
    if stat == "Sum":
        return math.fsum(p.total for p in points)
    if stat == "Minimum":
        return min(p.lo for p in points)
    if stat == "Maximum":
        return max(p.hi for p in points)
    if stat == "Average":
        count = math.fsum(p.n for p in points)
        return math.fsum(p.total for p in points) / count if count else None
    return percentile(points, float(stat[1:]))


def percentile(points: list[Point], rank: float) -> float | None:
    values: list[tuple[float, float]] = []
    for point in points:
        distribution = point.distribution()
        if distribution is not None:
            values.extend(distribution)
    if not values:
        return None
    values.sort()
    total = math.fsum(c for _, c in values)
    wanted = max(rank / 100 * total, min(c for _, c in values) if rank == 0 else 0.0)
    seen = 0.0
    for value, count in values:
        seen += count
        if seen >= wanted:
            return value
    return values[-1][0]
