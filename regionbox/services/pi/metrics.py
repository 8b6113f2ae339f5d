"""GetResourceMetrics, DescribeDimensionKeys, GetDimensionKeyDetails, GetResourceMetadata,
ListAvailableResourceDimensions, ListAvailableResourceMetrics over RDS's samples.

db.load is the average number of active sessions: the sessions counted each second, summed over
a period and divided by its length. Grouped, the top groups (``Limit``, default 10) by load over
the whole interval each get a series; ``Filter`` keeps samples whose dimensions match. Counter
metrics (db.Transactions.xact_commit, os.cpuUtilization.total ...) are per-second values; the
statistic suffix (.avg, .min, .max, .sum) says how a period combines them.
"""

from __future__ import annotations

from typing import Any, Callable

from regionbox.core import clock
from regionbox.core.errors import ServiceError
from regionbox.services.rds.insights import COUNTERS, GAUGES, OS_METRICS

PERIODS = (1, 60, 300, 3600, 86400)
# Dimension group -> {dimension -> column of a load sample}.
COLUMNS = {"second": 0, "wait_event": 1, "wait_type": 2, "sql_id": 3, "user": 4, "host": 5, "application": 6, "db": 7,
           "tokenized_id": 8}
GROUPS = {
    "db.wait_event": {"db.wait_event.name": "wait_event", "db.wait_event.type": "wait_type"},
    "db.wait_event_type": {"db.wait_event_type.name": "wait_type"},
    "db.sql": {"db.sql.id": "sql_id", "db.sql.db_id": "sql_id", "db.sql.statement": "statement",
               "db.sql.tokenized_id": "tokenized_id"},
    "db.sql_tokenized": {"db.sql_tokenized.id": "tokenized_id", "db.sql_tokenized.db_id": "tokenized_id",
                         "db.sql_tokenized.statement": "tokenized_statement"},
    "db.user": {"db.user.name": "user"},
    "db.host": {"db.host.name": "host"},
    "db.application": {"db.application.name": "application"},
    "db": {"db.name": "db"},
}
DESCRIPTIONS = {"db.load": "Database load in average active sessions", "db.sampledload": "Sampled database load"}


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidArgumentException", message)


class Insights:
    def __init__(self, rds: Callable[[], Any]) -> None:
        self.rds = rds

    # -- the resource ----------------------------------------------------------------------------
    def _instance(self, ctx, params: dict):
        if params.get("ServiceType") != "RDS":
            raise invalid(f"ServiceType {params.get('ServiceType')} is not supported: only RDS")
        identifier = params["Identifier"]
        instance = self.rds().instance(*ctx.scope, identifier)
        if instance is None:
            raise ServiceError("NotAuthorizedException", f"The resource {identifier} does not exist or you are not authorized.")
        if not instance.performance_insights:
            raise invalid(f"Performance Insights is not enabled for resource {identifier}")
        return instance

    def _window(self, params: dict, period: int | None) -> tuple[int, int, int]:
        start, end = int(clock.to_epoch(params["StartTime"])), int(clock.to_epoch(params["EndTime"]))
        if start >= end:
            raise invalid("StartTime must be before EndTime")
        if period is None:
            span = end - start
            period = 1 if span <= 3600 else 60 if span <= 86400 * 1 else 300 if span <= 86400 * 7 else 3600
        if period not in PERIODS:
            raise invalid(f"PeriodInSeconds {period} is not valid; valid values are 1, 60, 300, 3600, 86400")
        return start - start % period, end + (-end % period), period

    def _load_samples(self, instance, start: int, end: int, filters: dict) -> list[dict]:
        sampler = self.rds().sampler
        rows = []
        for row in sampler.load(instance.resource_id, start, end):
            sample = {name: row[index] for name, index in COLUMNS.items()}
            sample["sessions"] = row[9]
            if all(self._value(sampler, instance, sample, dimension) == value for dimension, value in filters.items()):
                rows.append(sample)
        return rows

    @staticmethod
    def _value(sampler, instance, sample: dict, dimension: str) -> str | None:
        group = dimension.rsplit(".", 1)[0] if dimension != "db.name" else "db"
        column = GROUPS.get(group, {}).get(dimension)
        if column is None:
            raise invalid(f"Unknown dimension: {dimension}")
        if column == "statement":
            return sampler.statement(instance.resource_id, sample["sql_id"]) or ""
        if column == "tokenized_statement":
            return sampler.statement(instance.resource_id, sample["tokenized_id"], tokenized=True) or ""
        return sample[column]

    def _group_keys(self, instance, samples: list[dict], group_by: dict) -> list[tuple[dict, float, list[dict]]]:
        group = group_by.get("Group")
        if group not in GROUPS:
            raise invalid(f"Unknown dimension group: {group}")
        dimensions = group_by.get("Dimensions") or list(GROUPS[group])
        for dimension in dimensions:
            if dimension not in GROUPS[group]:
                raise invalid(f"Dimension {dimension} is not in group {group}")
        sampler = self.rds().sampler
        found: dict[tuple, tuple[dict, float, list[dict]]] = {}
        for sample in samples:
            key = tuple(self._value(sampler, instance, sample, d) for d in dimensions)
            if key not in found:
                found[key] = ({d: v for d, v in zip(dimensions, key)}, 0.0, [])
            dims, total, members = found[key]
            members.append(sample)
            found[key] = (dims, total + sample["sessions"], members)
        ranked = sorted(found.values(), key=lambda item: -item[1])
        return ranked[:group_by.get("Limit") or 10]

    # -- GetResourceMetrics ----------------------------------------------------------------------
    def get_resource_metrics(self, ctx, params: dict) -> dict:
        instance = self._instance(ctx, params)
        start, end, period = self._window(params, params.get("PeriodInSeconds"))
        buckets = list(range(start, end, period))
        metric_list = []
        for query in params["MetricQueries"]:
            metric = query["Metric"]
            base, _, statistic = metric.rpartition(".")
            if statistic not in ("avg", "min", "max", "sum"):
                raise invalid(f"Metric {metric} must end with a statistic: .avg, .min, .max or .sum")
            if base in ("db.load", "db.sampledload"):
                samples = self._load_samples(instance, start, end, query.get("Filter") or {})
                series = [({}, samples)]
                if query.get("GroupBy"):
                    series += [(dims, members) for dims, _, members in self._group_keys(instance, samples, query["GroupBy"])]
                for dims, members in series:
                    per_second: dict[int, float] = {}
                    for sample in members:
                        per_second[sample["second"]] = per_second.get(sample["second"], 0) + sample["sessions"]
                    points = [{"Timestamp": clock.from_epoch(b), "Value": self._combine(
                        [per_second.get(s, 0.0) for s in range(b, b + period)], statistic)} for b in buckets]
                    key = {"Metric": metric, **({"Dimensions": dims} if dims else {})}
                    metric_list.append({"Key": key, "DataPoints": points})
            elif base in COUNTERS or base in GAUGES or base in OS_METRICS:
                values: dict[int, float] = dict(self.rds().sampler.counters(instance.resource_id, base, start, end))
                points = []
                for b in buckets:
                    inside = [values[s] for s in range(b, b + period) if s in values]
                    point = {"Timestamp": clock.from_epoch(b)}
                    if inside:
                        point["Value"] = self._combine(inside, statistic)
                    points.append(point)
                metric_list.append({"Key": {"Metric": metric}, "DataPoints": points})
            else:
                raise invalid(f"Unknown metric: {metric}")
        return {"AlignedStartTime": clock.from_epoch(start), "AlignedEndTime": clock.from_epoch(end), "Identifier": params["Identifier"],
                "MetricList": metric_list}

    @staticmethod
    def _combine(values: list[float], statistic: str) -> float:
        if not values:
            return 0.0
        if statistic == "sum":
            return float(sum(values))
        if statistic == "min":
            return float(min(values))
        if statistic == "max":
            return float(max(values))
        return float(sum(values)) / len(values)

    # -- DescribeDimensionKeys / GetDimensionKeyDetails ------------------------------------------
    def describe_dimension_keys(self, ctx, params: dict) -> dict:
        instance = self._instance(ctx, params)
        start, end, period = self._window(params, params.get("PeriodInSeconds"))
        if not params["Metric"].startswith(("db.load", "db.sampledload")):
            raise invalid(f"DescribeDimensionKeys takes db.load metrics, not {params['Metric']}")
        samples = self._load_samples(instance, start, end, params.get("Filter") or {})
        span = max(end - start, 1)
        keys = []
        partition_by = params.get("PartitionBy")
        partitions: list[dict] = []
        if partition_by:
            partitions = [dims for dims, _, _ in self._group_keys(instance, samples, {**partition_by, "Limit": 10})]
        for dims, total, members in self._group_keys(instance, samples, {**params["GroupBy"],
                                                                         "Limit": params.get("MaxResults") or 10}):
            key = {"Dimensions": dims, "Total": total / span}
            if partition_by:
                sampler = self.rds().sampler
                key["Partitions"] = [sum(m["sessions"] for m in members if all(
                    self._value(sampler, instance, m, d) == v for d, v in p.items())) / span for p in partitions]
            keys.append(key)
        result = {"AlignedStartTime": clock.from_epoch(start), "AlignedEndTime": clock.from_epoch(end), "Keys": keys}
        if partition_by:
            result["PartitionKeys"] = [{"Dimensions": p} for p in partitions]
        return result

    def get_dimension_key_details(self, ctx, params: dict) -> dict:
        instance = self._instance(ctx, params)
        if params["Group"] not in ("db.sql", "db.sql_tokenized"):
            raise invalid(f"Group {params['Group']} has no dimension key details; use db.sql or db.sql_tokenized")
        statement = self.rds().sampler.statement(instance.resource_id, params["GroupIdentifier"],
                                                 tokenized=params["Group"] == "db.sql_tokenized")
        if statement is None:
            raise ServiceError("InvalidArgumentException", f"No such {params['Group']} id: {params['GroupIdentifier']}")
        dimension = f"{params['Group']}.statement"
        return {"Dimensions": [{"Dimension": dimension, "Value": statement, "Status": "AVAILABLE"}]}

    # -- metadata and catalogues -------------------------------------------------------------------
    def get_resource_metadata(self, ctx, params: dict) -> dict:
        self._instance(ctx, params)
        return {"Identifier": params["Identifier"], "Features": {"pg_stat_statements": {"Status": "ENABLED"}}}

    def list_available_resource_dimensions(self, ctx, params: dict) -> dict:
        self._instance(ctx, params)
        return {"MetricDimensions": [{"Metric": metric, "Groups": [
            {"Group": group, "Dimensions": [{"Identifier": d} for d in dims]} for group, dims in GROUPS.items()]}
            for metric in params["Metrics"]]}

    def list_available_resource_metrics(self, ctx, params: dict) -> dict:
        self._instance(ctx, params)
        types = params["MetricTypes"]
        metrics = []
        if "db" in types:
            metrics += [{"Metric": name, "Description": DESCRIPTIONS.get(name, name), "Unit": "Sessions"}
                        for name in ("db.load", "db.sampledload")]
            metrics += [{"Metric": name, "Description": f"PostgreSQL {column} per second", "Unit": "Per second"}
                        for name, column in COUNTERS.items()]
            metrics += [{"Metric": name, "Description": f"PostgreSQL {column}", "Unit": "Sessions"} for name, column in GAUGES.items()]
        if "os" in types:
            metrics += [{"Metric": name, "Description": name, "Unit": "Percent" if "cpu" in name else "Kilobytes"}
                        for name in OS_METRICS]
        return {"Metrics": metrics}
