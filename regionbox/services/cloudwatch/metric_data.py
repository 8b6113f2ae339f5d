"""PutMetricData, GetMetricStatistics, ListMetrics: metrics in and out of the store, with
CloudWatch's limits and its words for what breaks them."""

from __future__ import annotations

import math
import time

from regionbox.core import clock
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.cloudwatch.series import RECENT, Dimensions, Point, Series, dimensions_of
from regionbox.services.cloudwatch.statistics import BASIC, OTHER_EXTENDED, PERCENTILE, statistics

UNITS = frozenset(['Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes',
                   'Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits', 'Percent', 'Count', 'Bytes/Second',
                   'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second',
                   'Kilobits/Second', 'Megabits/Second', 'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None'])
MAX_DATUMS = 1000
MAX_VALUES = 150
MAX_DIMENSIONS = 30
LIMIT = 2.0 ** 360  # CloudWatch rejects values beyond ±2^360
PAST, FUTURE = 14 * 86400, 2 * 3600  # timestamps accepted: two weeks back, two hours ahead
MAX_DATAPOINTS = 1440  # GetMetricStatistics
HIGH_RESOLUTION_PERIODS = (1, 5, 10, 20, 30)
METRICS_PAGE = PageRule(out_of_range=lambda n: invalid_value(n, "MaxResults"), default=500, maximum=500,
                        bad_token=lambda t: ServiceError("InvalidNextToken", "The service cannot complete the request."))


def invalid_value(value, parameter: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", f"The value {value} for parameter {parameter} is invalid.")


def too_many(collection: str, limit: int) -> ServiceError:
    return ServiceError("InvalidParameterValue", f"The collection {collection} must not have a size greater than {limit}.")


def check_period(period, parameter: str = "Period") -> int:
    if period is None or period <= 0 or (period not in HIGH_RESOLUTION_PERIODS and period % 60):
        raise ServiceError("InvalidParameterValue",
                           f"The parameter {parameter} must be 1, 5, 10, 20, 30, or any multiple of 60.")
    return int(period)


def check_dimensions(items: list[dict] | None, parameter: str) -> Dimensions:
    items = items or []
    if len(items) > MAX_DIMENSIONS:
        raise too_many(parameter, MAX_DIMENSIONS)
    names = [d["Name"] for d in items]
    for index, item in enumerate(items, 1):
        if not 1 <= len(item["Name"]) <= 255 or item["Name"].startswith(":"):
            raise invalid_value(item["Name"], f"{parameter}.member.{index}.Name")
        if not 1 <= len(item["Value"]) <= 1024:
            raise invalid_value(item["Value"], f"{parameter}.member.{index}.Value")
    if len(set(names)) != len(names):
        raise ServiceError("InvalidParameterValue", f"No metric may have duplicate dimension names. ({parameter})")
    return dimensions_of(items)


def check_value(value: float, parameter: str) -> float:
    if math.isnan(value) or math.isinf(value) or abs(value) > LIMIT or (value != 0 and abs(value) < 2.0 ** -260):
        raise invalid_value(value, parameter)
    return float(value)


def statistics_requested(params: dict) -> list[str]:
    statistics = params.get("Statistics") or []
    extended = params.get("ExtendedStatistics") or []
    if not statistics and not extended:
        raise ServiceError("MissingParameter", "Must specify either Statistics or ExtendedStatistics parameter.")
    if len(statistics) > 5:
        raise too_many("Statistics", 5)
    if len(extended) > 10:
        raise too_many("ExtendedStatistics", 10)
    for index, stat in enumerate(statistics, 1):
        if stat not in BASIC:
            raise invalid_value(stat, f"Statistics.member.{index}")
    for index, stat in enumerate(extended, 1):
        if OTHER_EXTENDED.match(stat):
            raise ServiceError("InvalidParameterValue", f"The extended statistic {stat} is not computed by regionbox "
                                                        "(percentiles pNN.NN are).")
        if not PERCENTILE.match(stat):
            raise invalid_value(stat, f"ExtendedStatistics.member.{index}")
    return [*statistics, *extended]


class MetricData:
    def __init__(self, series: Series, paginator: Paginator) -> None:
        self.series = series
        self.paginator = paginator

    # -- PutMetricData -----------------------------------------------------------------------------
    def put_metric_data(self, ctx, params: dict) -> dict:
        namespace = params["Namespace"]
        if not 1 <= len(namespace) <= 255 or namespace.startswith(":"):
            raise invalid_value(namespace, "Namespace")
        if namespace.startswith("AWS/"):
            raise ServiceError("InvalidParameterValue", "The value AWS/ for parameter Namespace is invalid.")
        datums = list(params.get("MetricData") or [])
        for entity in params.get("EntityMetricData") or []:
            datums.extend(entity.get("MetricData") or [])
        if not datums:
            raise ServiceError("MissingParameter", "The parameter MetricData is required.")
        if len(datums) > MAX_DATUMS:
            raise too_many("MetricData", MAX_DATUMS)
        now = time.time()
        data = [self._datum(datum, f"MetricData.member.{index}", now) for index, datum in enumerate(datums, 1)]
        self.series.write(ctx.scope, [(namespace, *d) for d in data])
        return {}

    def _datum(self, datum: dict, path: str, now: float) -> tuple[str, Dimensions, Point, int]:
        name = datum["MetricName"]
        if not 1 <= len(name) <= 255:
            raise invalid_value(name, f"{path}.MetricName")
        dimensions = check_dimensions(datum.get("Dimensions"), f"{path}.Dimensions")
        unit = datum.get("Unit") or "None"
        if unit not in UNITS:
            raise invalid_value(unit, f"{path}.Unit")
        resolution = datum.get("StorageResolution", 60)
        if resolution not in (1, 60):
            raise invalid_value(resolution, f"{path}.StorageResolution")
        at = clock.to_epoch(datum.get("Timestamp")) if datum.get("Timestamp") is not None else now
        if at < now - PAST or at > now + FUTURE:
            raise ServiceError("InvalidParameterValue", f"The parameter {path}.Timestamp must specify a time within "
                                                        "the past two weeks and no more than two hours in the future.")
        ts = int(at)  # kept to the second; periods group them
        given = [key for key in ("Value", "StatisticValues", "Values") if datum.get(key) is not None]
        if len(given) > 1:
            raise ServiceError("InvalidParameterCombination", f"The parameters {path}.{given[0]} and {path}.{given[1]} "
                                                              "are mutually exclusive and you have specified both.")
        if not given:
            raise ServiceError("InvalidParameterCombination", f"At least one of the parameters {path}.Value, "
                                                              f"{path}.StatisticValues or {path}.Values must be specified.")
        if "Value" in given:
            return name, dimensions, Point.of_value(ts, check_value(datum["Value"], f"{path}.Value"), unit), resolution
        if "StatisticValues" in given:
            stats = datum["StatisticValues"]
            n, total = check_value(stats["SampleCount"], f"{path}.StatisticValues.SampleCount"), \
                check_value(stats["Sum"], f"{path}.StatisticValues.Sum")
            lo, hi = check_value(stats["Minimum"], f"{path}.StatisticValues.Minimum"), \
                check_value(stats["Maximum"], f"{path}.StatisticValues.Maximum")
            if n <= 0:
                raise invalid_value(stats["SampleCount"], f"{path}.StatisticValues.SampleCount")
            if lo > hi:
                raise ServiceError("InvalidParameterValue", f"The parameter {path}.StatisticValues.Maximum must be "
                                                            f"greater than {path}.StatisticValues.Minimum.")
            return name, dimensions, Point(ts, unit, n, total, lo, hi, None), resolution
        values = [check_value(v, f"{path}.Values.member.{i}") for i, v in enumerate(datum["Values"], 1)]
        counts = datum.get("Counts") or [1.0] * len(values)
        if len(values) > MAX_VALUES:
            raise too_many(f"{path}.Values", MAX_VALUES)
        if not values:
            raise ServiceError("MissingParameter", f"The parameter {path}.Values is required.")
        if len(counts) != len(values):
            raise ServiceError("InvalidParameterValue", f"The parameters {path}.Values and {path}.Counts must be of the "
                                                        "same size.")
        for i, count in enumerate(counts, 1):
            if check_value(count, f"{path}.Counts.member.{i}") < 0:
                raise invalid_value(count, f"{path}.Counts.member.{i}")
        merged: dict[float, float] = {}
        for value, count in zip(values, counts):
            merged[value] = merged.get(value, 0.0) + count
        n = math.fsum(counts)
        if n <= 0:
            raise invalid_value(0, f"{path}.Counts")
        point = Point(ts, unit, n, math.fsum(v * c for v, c in zip(values, counts)), min(values), max(values),
                      tuple(sorted(merged.items())))
        return name, dimensions, point, resolution

    # -- GetMetricStatistics -------------------------------------------------------------------------
    def get_metric_statistics(self, ctx, params: dict) -> dict:
        stats = statistics_requested(params)
        period = check_period(params["Period"])
        start, end = clock.to_epoch(params["StartTime"]), clock.to_epoch(params["EndTime"])
        if start >= end:
            raise ServiceError("InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.")
        unit = params.get("Unit")
        if unit is not None and unit not in UNITS:
            raise invalid_value(unit, "Unit")
        first = int(start) - int(start) % period
        requested = math.ceil((end - first) / period)
        if requested > MAX_DATAPOINTS:
            raise ServiceError("InvalidParameterCombination",
                               f"You have requested up to {requested} datapoints, which exceeds the limit of {MAX_DATAPOINTS}. "
                               "You may reduce the datapoints requested by increasing Period, or decreasing the time range.")
        dimensions = check_dimensions(params.get("Dimensions"), "Dimensions")
        name = params["MetricName"]
        metric = self.series.find(ctx.scope, params["Namespace"], name, dimensions)
        found = statistics(self.series, metric, first, math.ceil(end), period, stats, unit, by_unit=True) \
            if metric is not None else {}
        datapoints = []
        for (at, point_unit), values in found.items():
            datapoint: dict = {"Timestamp": clock.from_epoch(at), "Unit": point_unit}
            datapoint.update({stat: values[stat] for stat in stats if stat in BASIC and stat in values})
            extended = {stat: values[stat] for stat in stats if stat not in BASIC and stat in values}
            if extended:
                datapoint["ExtendedStatistics"] = extended
            datapoints.append(datapoint)
        return {"Label": name, "Datapoints": datapoints}

    # -- ListMetrics ---------------------------------------------------------------------------------
    def list_metrics(self, ctx, params: dict) -> dict:
        filters = params.get("Dimensions") or []
        if len(filters) > 10:
            raise too_many("Dimensions", 10)
        recent = params.get("RecentlyActive")
        if recent is not None and recent != "PT3H":
            raise invalid_value(recent, "RecentlyActive")
        owning = params.get("OwningAccount")
        if owning is not None and owning != ctx.account_id:
            return {"Metrics": []}  # no linked source accounts (cross-account observability) here
        # ListMetrics lists what had data in the last two weeks (RecentlyActive: three hours).
        cutoff = time.time() - (RECENT if recent else PAST)
        metrics = []
        for metric in self.series.metrics(ctx.scope, params.get("Namespace"), params.get("MetricName")):
            if metric.last_put < cutoff - 60:
                continue
            have = dict(metric.dimensions)
            if all(f["Name"] in have and f.get("Value") in (None, have[f["Name"]]) for f in filters):
                metrics.append(metric.shape())
        query = [params.get("Namespace"), params.get("MetricName"), filters, recent]
        page, token = self.paginator.paginate(metrics, params, METRICS_PAGE, query=query)
        answer: dict = {"Metrics": page}
        if params.get("IncludeLinkedAccounts"):
            answer["OwningAccounts"] = [ctx.account_id] * len(page)
        if token:
            answer["NextToken"] = token
        return answer
