"""Statistics per period: the five basic ones, summed by SQLite (``Series.aggregates``), and
percentiles (pNN, pNN.NN) from the points' distributions (``Series.distributions``).

Single values and Values/Counts arrays have a distribution, statistic sets do not: a period made
only of statistic sets has no percentile. Periods are aligned to multiples of the period since the
epoch, as CloudWatch aligns them.
"""

from __future__ import annotations

import re

from regionbox.services.cloudwatch.series import Series

BASIC = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d{1,10})?|100(\.0{1,10})?)$")
# Other extended statistics CloudWatch has (trimmed mean, winsorized mean, trimmed count/sum,
# percentile rank, IQM) are not computed here.
OTHER_EXTENDED = re.compile(r"^(tm|wm|tc|ts|TM|WM|TC|TS|PR)\(?[\d.:%]*\)?$|^IQM$")


def is_statistic(stat: str) -> bool:
    return stat in BASIC or PERCENTILE.match(stat) is not None


def basic(aggregate: list[float], stat: str) -> float | None:
    count, total, low, high = aggregate
    if stat == "SampleCount":
        return count
    if stat == "Sum":
        return total
    if stat == "Minimum":
        return low
    if stat == "Maximum":
        return high
    return total / count if count else None


def percentile(values: list, rank: float) -> float | None:
    """Nearest rank over (value, count) pairs."""
    if not values:
        return None
    values = sorted(values)
    wanted = rank / 100 * sum(c for _, c in values)
    seen = 0.0
    for value, count in values:
        seen += count
        if seen >= wanted and seen > 0:
            return value
    return values[-1][0]


def statistics(series: Series, metric: int, start: int, end: int, period: int, stats: list[str], unit: str | None = None,
               by_unit: bool = False) -> dict[tuple[int, str], dict[str, float]]:
    """{(period start, unit or ""): {stat: value}} for the periods with data in [start, end); units
    apart with ``by_unit`` (GetMetricStatistics), else together."""
    aggregates = series.aggregates(metric, start, end, period, unit)
    if by_unit or len({u for _, u in aggregates}) <= 1:
        merged = {(at, u if by_unit else ""): a for (at, u), a in aggregates.items()}
    else:
        merged = {}
        for (at, _), aggregate in aggregates.items():
            known = merged.get((at, ""))
            merged[(at, "")] = aggregate if known is None else [
                known[0] + aggregate[0], known[1] + aggregate[1], min(known[2], aggregate[2]), max(known[3], aggregate[3])]
    wanted = [s for s in stats if s in BASIC]
    found = {k: {s: v for s in wanted if (v := basic(a, s)) is not None} for k, a in merged.items()}
    ranks = [s for s in stats if s not in BASIC]
    if ranks:
        values: dict[tuple[int, str], list] = {}
        for (at, point_unit), pairs in series.distributions(metric, start, end, period, unit).items():
            values.setdefault((at, point_unit if by_unit else ""), []).extend(pairs)
        for k, pairs in values.items():
            for stat in ranks:
                value = percentile(pairs, float(stat[1:]))
                if value is not None and k in found:
                    found[k][stat] = value
    return dict(sorted(found.items()))
