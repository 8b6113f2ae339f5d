"""GetMetricData: metric queries (MetricStat) and metric math over them, labels (with the common
dynamic labels), ScanBy, and pages of at most MaxDatapoints points. ``evaluate`` is also what
alarms on metric math use."""

from __future__ import annotations

import hashlib
import math
import re
from datetime import datetime, timedelta, timezone
from typing import Callable

import orjson

from regionbox.core import clock
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import InvalidToken, Paginator
from regionbox.core.store import Scope
from regionbox.services.cloudwatch import expressions
from regionbox.services.cloudwatch.expressions import Context, ExpressionError, TimeSeries
from regionbox.services.cloudwatch.metric_data import check_dimensions, check_period, invalid_value, too_many
from regionbox.services.cloudwatch.series import Series
from regionbox.services.cloudwatch.statistics import OTHER_EXTENDED, is_statistic, statistics

ID = re.compile(r"^[a-z][a-zA-Z0-9_]*$")
MAX_QUERIES = 500
MAX_DATAPOINTS = 100_800
DYNAMIC = re.compile(r"\$\{([A-Z_]+)(?:\('([^']*)'\))?\}")


def query_period(query: dict) -> int | None:
    stat = query.get("MetricStat")
    return stat["Period"] if stat else query.get("Period")


def returned_period(queries: list[dict]) -> int:
    """The period of an alarm on metric math: its returned query's, else its metrics' longest."""
    returned = next(q for q in queries if q.get("ReturnData", True))
    periods = [query_period(q) for q in queries if query_period(q)]
    return int(query_period(returned) or (max(periods) if periods else 60))


def check_queries(queries: list[dict], path: str = "MetricDataQueries") -> None:
    """The rules every list of metric data queries follows (GetMetricData, PutMetricAlarm's Metrics)."""
    if not queries:
        raise ServiceError("MissingParameter", f"The parameter {path} is required.")
    if len(queries) > MAX_QUERIES:
        raise too_many(path, MAX_QUERIES)
    seen = set()
    for index, query in enumerate(queries, 1):
        where = f"{path}.member.{index}"
        if not ID.match(query["Id"]):
            raise ServiceError("ValidationError", f"Invalid metric data query id: {query['Id']}. The id must start with "
                                                  "a lowercase letter and contain only letters, numbers and underscores.")
        if query["Id"] in seen:
            raise ServiceError("ValidationError", f"The value {query['Id']} for parameter {where}.Id is not unique.")
        seen.add(query["Id"])
        stat, expression = query.get("MetricStat"), query.get("Expression")
        if (stat is None) == (expression is None):
            raise ServiceError("ValidationError", f"Exactly one of {where}.MetricStat and {where}.Expression must be "
                                                  "specified.")
        if stat is not None:
            check_period(stat["Period"], f"{where}.MetricStat.Period")
            if OTHER_EXTENDED.match(stat["Stat"]):
                raise ServiceError("InvalidParameterValue", f"The statistic {stat['Stat']} is not computed by regionbox "
                                                            "(SampleCount, Average, Sum, Minimum, Maximum and pNN.NN are).")
            if not is_statistic(stat["Stat"]):
                raise invalid_value(stat["Stat"], f"{where}.MetricStat.Stat")
            check_dimensions(stat["Metric"].get("Dimensions"), f"{where}.MetricStat.Metric.Dimensions")
            if not stat["Metric"].get("MetricName") or not stat["Metric"].get("Namespace"):
                raise ServiceError("MissingParameter", f"The parameter {where}.MetricStat.Metric.MetricName and "
                                                       "Namespace are required.")
        elif query.get("Period") is not None:
            check_period(query["Period"], f"{where}.Period")
        if expression is not None and not 1 <= len(expression) <= 2048:
            raise invalid_value(expression, f"{where}.Expression")
    if not any(q.get("ReturnData", True) for q in queries):
        raise ServiceError("ValidationError", "At least one of the metric data queries must have ReturnData set to true.")


class Queries:
    def __init__(self, series: Series, paginator: Paginator) -> None:
        self.series = series
        self.paginator = paginator
        # (scope, rule, metric, start, end, period) -> points: Contributor Insights (insight_rules.py)
        self.insight_metric: Callable[[Scope, str, str, int, int, int], dict[int, float]] | None = None

    # -- evaluation --------------------------------------------------------------------------------
    def metric_series(self, scope: Scope, stat: dict, start: int, end: int) -> TimeSeries:
        metric = stat["Metric"]
        period = int(stat["Period"])
        metric_id = self.series.find(scope, metric["Namespace"], metric["MetricName"],
                                     check_dimensions(metric.get("Dimensions"), "Dimensions"))
        first = start - start % period
        found = statistics(self.series, metric_id, first, end, period, [stat["Stat"]], stat.get("Unit")) \
            if metric_id is not None else {}
        values = {at: v[stat["Stat"]] for (at, _), v in found.items() if stat["Stat"] in v}
        return TimeSeries(values, period=period)

    def evaluate(self, scope: Scope, queries: list[dict], start: int, end: int) -> dict[str, expressions.Value]:
        """Every query's value by id (metric stats first, expressions as they are referenced)."""
        by_id = {q["Id"]: q for q in queries}
        done: dict[str, expressions.Value] = {}
        stack: list[str] = []

        def grid(period: int) -> list[int]:
            first = start - start % period
            return list(range(first, end, period))

        def resolve(query_id: str) -> expressions.Value:
            if query_id in done:
                return done[query_id]
            query = by_id.get(query_id)
            if query is None:
                raise ExpressionError(f"Unrecognized metric or expression id: {query_id}")
            if query_id in stack:
                raise ExpressionError(f"Circular dependency between {' -> '.join([*stack, query_id])}")
            stack.append(query_id)
            try:
                if query.get("MetricStat"):
                    value: expressions.Value = self.metric_series(scope, query["MetricStat"], start, end)
                else:
                    referenced = expressions.references(query["Expression"])
                    periods = [query_period(by_id[r]) for r in referenced if r in by_id and query_period(by_id[r])]
                    period = int(query.get("Period") or (max(periods) if periods else 60))
                    context = Context(resolve, all_series, grid, period, query_id,
                                      insight_rule_metric=insight_rule_metric)
                    try:
                        value = expressions.evaluate(query["Expression"], context)
                    except (ArithmeticError, ValueError, TypeError) as error:
                        raise ExpressionError(str(error)) from None
                    if isinstance(value, str):
                        raise ExpressionError("The expression does not produce a time series")
                    if isinstance(value, float):
                        value = TimeSeries({t: value for t in grid(period)}, period=period)
                if isinstance(value, TimeSeries):  # a copy: an expression may return another query's series
                    value = TimeSeries(value.points, query_id, query.get("Label") or default_label(query), value.period)
                done[query_id] = value
                return value
            finally:
                stack.pop()

        def insight_rule_metric(rule: str, metric: str, period: int) -> TimeSeries:
            if self.insight_metric is None:
                raise ExpressionError("INSIGHT_RULE_METRIC is not available here")
            return TimeSeries(self.insight_metric(scope, rule, metric, start, end, period), period=period)

        def all_series() -> list[TimeSeries]:
            # METRICS(): every metric query's series (not expressions), in the request's order
            return [resolve(q["Id"]) for q in queries if q.get("MetricStat")]

        for query in queries:
            try:
                resolve(query["Id"])
            except ExpressionError as error:
                raise expressions.validation_error(query["Id"], str(error)) from None
        return done

    # -- GetMetricData -----------------------------------------------------------------------------
    def get_metric_data(self, ctx, params: dict) -> dict:
        queries = params["MetricDataQueries"]
        check_queries(queries)
        start, end = clock.to_epoch(params["StartTime"]), clock.to_epoch(params["EndTime"])
        if start >= end:
            raise ServiceError("ValidationError", "The parameter StartTime must be less than the parameter EndTime.")
        limit = params.get("MaxDatapoints") or MAX_DATAPOINTS
        if limit < 1:
            raise invalid_value(limit, "MaxDatapoints")
        scan = params.get("ScanBy") or "TimestampDescending"
        if scan not in ("TimestampDescending", "TimestampAscending"):
            raise invalid_value(scan, "ScanBy")
        timezone_offset = _timezone(params.get("LabelOptions", {}).get("Timezone"))
        for query in queries:
            if query.get("AccountId") not in (None, ctx.account_id):
                raise ServiceError("ValidationError", f"The account {query['AccountId']} is not a source account "
                                                      "linked to this monitoring account.")
        values = self.evaluate(ctx.scope, queries, int(start), math.ceil(end))
        results = []
        for query in queries:
            if not query.get("ReturnData", True):
                continue
            value = values[query["Id"]]
            for series in value if isinstance(value, list) else [value]:
                label = _label(series.label or query.get("Label") or default_label(query), query, series, timezone_offset)
                points = sorted(((t, v) for t, v in series.points.items() if math.isfinite(v)),
                                reverse=scan == "TimestampDescending")
                results.append((query["Id"], label, points))
        digest = hashlib.sha256(orjson.dumps([queries, start, end, scan], default=str)).hexdigest()[:16]
        offset = 0
        if params.get("NextToken"):
            try:
                payload = self.paginator.decode(params["NextToken"])
                if not isinstance(payload, dict) or payload.get("q") != digest or not isinstance(payload.get("o"), int):
                    raise InvalidToken(params["NextToken"])
                offset = payload["o"]
            except InvalidToken:
                raise ServiceError("InvalidNextToken", "The service cannot complete the request.") from None
        answer, cursor, total = [], 0, sum(len(points) for *_, points in results)
        for query_id, label, points in results:
            lo, hi = max(offset - cursor, 0), max(min(offset + limit - cursor, len(points)), 0)
            page = points[lo:hi] if lo < len(points) else []
            status = "Complete" if hi >= len(points) else "PartialData"
            answer.append({"Id": query_id, "Label": label, "Timestamps": [clock.from_epoch(t) for t, _ in page],
                           "Values": [v for _, v in page], "StatusCode": status})
            cursor += len(points)
        out: dict = {"MetricDataResults": answer, "Messages": []}
        if offset + limit < total:
            out["NextToken"] = self.paginator.encode({"o": offset + limit, "q": digest})
        return out


def default_label(query: dict) -> str:
    stat = query.get("MetricStat")
    return stat["Metric"]["MetricName"] if stat else query["Id"]


def _timezone(text: str | None) -> timezone:
    if not text:
        return timezone.utc
    match = re.fullmatch(r"([+-])(\d{2})(\d{2})", text)
    if match is None:
        raise invalid_value(text, "LabelOptions.Timezone")
    sign = 1 if match.group(1) == "+" else -1
    return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))


def _label(label: str, query: dict, series: TimeSeries, zone: timezone) -> str:
    """Dynamic labels: ${PROP('MetricName'|'Namespace'|'Stat'|'Period'|'Dim.<name>')}, ${AVG} ${MAX}
    ${MIN} ${SUM} ${FIRST} ${LAST} ${FIRST_TIME} ${LAST_TIME} ${DATAPOINT_COUNT}, ${LABEL}."""
    if "${" not in label:
        return label
    stat = query.get("MetricStat") or {}
    metric = stat.get("Metric", {})
    ordered = sorted(series.points.items())
    values = [v for _, v in ordered if math.isfinite(v)]

    def when(ts: int) -> str:
        return datetime.fromtimestamp(ts, zone).strftime("%Y-%m-%d %H:%M:%S")

    def replace(match: re.Match) -> str:
        name, argument = match.group(1), match.group(2)
        if name == "PROP" and argument:
            props = {"MetricName": metric.get("MetricName"), "Namespace": metric.get("Namespace"), "Stat": stat.get("Stat"),
                     "Period": str(series.period), "AccountId": query.get("AccountId")}
            if argument.startswith("Dim."):
                return next((d["Value"] for d in metric.get("Dimensions") or [] if d["Name"] == argument[4:]), "")
            return props.get(argument) or ""
        if name == "LABEL":
            return default_label(query)
        if name == "DATAPOINT_COUNT":
            return str(len(values))
        if not values:
            return ""
        numbers = {"AVG": sum(values) / len(values), "MAX": max(values), "MIN": min(values), "SUM": sum(values),
                   "FIRST": values[0], "LAST": values[-1]}
        if name in numbers:
            return f"{numbers[name]:g}"
        if name in ("FIRST_TIME", "LAST_TIME"):
            return when(ordered[0][0] if name == "FIRST_TIME" else ordered[-1][0])
        return match.group(0)
    return DYNAMIC.sub(replace, label)
