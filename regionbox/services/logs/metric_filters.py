"""Metric filters: PutMetricFilter, DescribeMetricFilters, DeleteMetricFilter, TestMetricFilter,
and the data points they publish as their group accepts events.

A filter's metric value is a number, or a field its pattern names (``$status`` in a
space-delimited pattern, ``$.latency`` in a JSON one); so are its dimensions (at most three,
and not together with a default value, as AWS rules). Each accepted event the pattern matches
publishes one point at the event's time; with a ``defaultValue`` each event it does not match
publishes that value. Points go to CloudWatch as metrics (metric_data.py).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.services.logs.event_table import StoredEvent
from regionbox.services.logs.listing import page_of
from regionbox.services.logs.metric_data import DataPoint, MetricData
from regionbox.services.logs.models import LogGroup, LogStream, MetricFilter
from regionbox.services.logs.patterns import (Extractor, PatternError, resolve, parse_selector, compile_extractor,
                                              pattern_kind, regex_count)
from regionbox.services.logs.state import LogsState, member_key, not_found, now_ms
from regionbox.services.logs.transformers import Transformers

FILTERS_PER_GROUP = 100
MAX_DIMENSIONS = 3
MAX_REGEXES = 2


def check_pattern(pattern: str) -> Extractor:
    """The compiled pattern, or AWS's refusal of it (filters of every kind share these rules)."""
    if regex_count(pattern) > MAX_REGEXES:
        raise invalid(f"Invalid filter pattern: a filter pattern can contain at most {MAX_REGEXES} regular expressions.")
    try:
        return compile_extractor(pattern)
    except PatternError as error:
        raise invalid(str(error)) from None


def refuse_class(group: LogGroup, what: str) -> None:
    """Metric filters, subscription filters, Live Tail and anomaly detection are Standard-class
    features: AWS refuses them on Infrequent Access (and Delivery) log groups."""
    if group.log_group_class != "STANDARD":
        raise ServiceError("InvalidOperationException",
                           f"{what} are not supported for log groups in the {group.log_group_class} log class.")


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _field(reference: str, kind: str, named: set[str]) -> None:
    """A ``$field`` a transformation refers to must be one its pattern can give."""
    if kind == "json":
        try:
            parse_selector(reference)
        except PatternError:
            raise invalid(f"Invalid metric value or dimension: {reference} is not a JSON selector.") from None
    elif kind == "space-delimited":
        if reference not in named:
            raise invalid(f"Invalid metric value or dimension: {reference} is not a field of the filter pattern.")
    else:
        raise invalid(f"Invalid metric value or dimension: {reference} can be used only with a JSON or "
                      "space-delimited filter pattern.")


def _space_fields(pattern: str) -> set[str]:
    names = set()
    for spec in pattern.strip()[1:-1].split(","):
        name = spec.strip().split("||")[0].split("&&")[0].strip()
        for operator in ("!=", "<=", ">=", "=", "<", ">"):
            name = name.split(operator)[0]
        if name.strip() and name.strip() != "...":
            names.add(f"${name.strip()}")
    return names


class MetricFilters:
    def __init__(self, state: LogsState, metric_data: MetricData, transformers: Transformers, paginator: Paginator) -> None:
        self.state = state
        self.transformers = transformers
        self.filters = state.metric_filters
        self.metric_data = metric_data
        self.paginator = paginator
        self._compiled: dict[str, Extractor] = {}
        state.listeners.append(self._accepted)

    def count(self, scope: Scope, group: str) -> int:
        return sum(1 for f in self.filters.values(scope) if f.group == group)

    def put_metric_filter(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group(ctx.scope, params["logGroupName"])
        refuse_class(group, "Metric filters")
        pattern = params["filterPattern"]
        check_pattern(pattern)
        kind, named = pattern_kind(pattern), _space_fields(pattern) if pattern_kind(pattern) == "space-delimited" else set()
        for transformation in params["metricTransformations"]:
            value, dimensions = transformation["metricValue"], transformation.get("dimensions") or {}
            if len(dimensions) > MAX_DIMENSIONS:
                raise invalid(f"Invalid metric transformation: a metric filter can have at most {MAX_DIMENSIONS} dimensions.")
            if dimensions and transformation.get("defaultValue") is not None:
                raise invalid("Invalid metric transformation: a metric filter with dimensions cannot have a default value.")
            if value.startswith("$"):
                _field(value, kind, named)
            elif _number(value) is None:
                raise invalid(f"Invalid metric value: {value}. It must be a number or a $field of the filter pattern.")
            for dimension in dimensions.values():
                if not dimension.startswith("$"):
                    raise invalid(f"Invalid dimension value: {dimension}. It must be a $field of the filter pattern.")
                _field(dimension, kind, named)
        key = member_key(group.name, params["filterName"])
        existing = self.filters.get(ctx.scope, key)
        if existing is None and self.count(ctx.scope, group.name) >= FILTERS_PER_GROUP:
            raise ServiceError("LimitExceededException", "Resource limit exceeded.")
        self.filters.put(ctx.scope, key, MetricFilter(
            group=group.name, name=params["filterName"], pattern=pattern,
            transformations=[dict(t) for t in params["metricTransformations"]],
            creation_time=existing.creation_time if existing else now_ms(),
            apply_on_transformed_logs=bool(params.get("applyOnTransformedLogs")),
            field_selection_criteria=params.get("fieldSelectionCriteria"),
            emit_system_field_dimensions=list(params.get("emitSystemFieldDimensions") or [])))
        self._compiled.pop(pattern, None)
        return {}

    def delete_metric_filter(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group(ctx.scope, params["logGroupName"])
        if self.filters.delete(ctx.scope, member_key(group.name, params["filterName"])) is None:
            raise not_found("The specified metric filter does not exist.")
        return {}

    def describe_metric_filters(self, ctx: RequestContext, params: dict) -> dict:
        name, namespace = params.get("metricName"), params.get("metricNamespace")
        if bool(name) != bool(namespace):
            raise invalid("metricName and metricNamespace must be specified together.")
        found = self.filters.values(ctx.scope)
        if params.get("logGroupName"):
            group = self.state.group(ctx.scope, params["logGroupName"])
            found = [f for f in found if f.group == group.name]
            # filterNamePrefix counts only together with logGroupName, as AWS documents.
            if params.get("filterNamePrefix"):
                found = [f for f in found if f.name.startswith(params["filterNamePrefix"])]
        if name:
            found = [f for f in found if any(t["metricName"] == name and t["metricNamespace"] == namespace
                                             for t in f.transformations)]
        found.sort(key=lambda f: (f.name, f.group))
        return page_of(self.paginator, found, params, "metricFilters", self._shape)

    @staticmethod
    def _shape(found: MetricFilter) -> dict:
        shape: dict[str, Any] = {"filterName": found.name, "filterPattern": found.pattern,
                                 "metricTransformations": found.transformations, "creationTime": found.creation_time,
                                 "logGroupName": found.group, "applyOnTransformedLogs": found.apply_on_transformed_logs}
        if found.field_selection_criteria is not None:
            shape["fieldSelectionCriteria"] = found.field_selection_criteria
        if found.emit_system_field_dimensions:
            shape["emitSystemFieldDimensions"] = found.emit_system_field_dimensions
        return shape

    def test_metric_filter(self, ctx: RequestContext, params: dict) -> dict:
        extract = check_pattern(params["filterPattern"])
        matches = []
        for number, message in enumerate(params["logEventMessages"], start=1):
            found = extract(message)
            if found is not None:
                matches.append({"eventNumber": number, "eventMessage": message,
                                "extractedValues": {k: _text(v) for k, v in found.items()}})
        return {"matches": matches}

    # -- publishing ------------------------------------------------------------------------------
    def _accepted(self, scope: Scope, group: LogGroup, stream: LogStream, events: list[StoredEvent]) -> None:
        filters = [f for f in self.filters.values(scope) if f.group == group.name]
        points: list[DataPoint] = []
        for found in filters:
            extract = self._compiled.get(found.pattern) or self._compiled.setdefault(found.pattern,
                                                                                     compile_extractor(found.pattern))
            for event in events:
                if found.apply_on_transformed_logs:
                    event = replace(event, message=self.transformers.transformed(scope, group, event.message))
                fields = extract(event.message)
                for transformation in found.transformations:
                    point = self._point(scope, found, transformation, event, fields)
                    if point is not None:
                        points.append(point)
        if points:
            self.metric_data.add(scope, points)

    @staticmethod
    def _point(scope: Scope, found: MetricFilter, transformation: dict, event: StoredEvent,
               fields: dict | None) -> DataPoint | None:
        unit = transformation.get("unit") or "None"
        if fields is None:
            default = transformation.get("defaultValue")
            if default is None:
                return None
            return DataPoint(transformation["metricNamespace"], transformation["metricName"], {}, event.timestamp,
                             float(default), unit)
        value = _value(transformation["metricValue"], fields, event.message)
        number = _number(_text(value)) if value is not None else None
        if number is None:
            return None  # a field that is missing or not a number publishes nothing
        dimensions = {}
        for name, reference in (transformation.get("dimensions") or {}).items():
            dimension = _value(reference, fields, event.message)
            if dimension is None:
                return None
            dimensions[name] = _text(dimension)
        for system in found.emit_system_field_dimensions:
            dimensions[system] = scope[0] if system == "@aws.account" else scope[1]
        return DataPoint(transformation["metricNamespace"], transformation["metricName"], dimensions,
                         event.timestamp, number, unit)


def _value(reference: str, fields: dict, message: str) -> Any:
    if not reference.startswith("$"):
        return reference
    if reference in fields:
        return fields[reference]
    if reference.startswith("$."):
        # A JSON filter's value may name any member of the event, not only those its pattern tests.
        try:
            values = resolve(json.loads(message), parse_selector(reference))
        except (ValueError, PatternError):
            return None
        return values[0] if values else None
    return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else json.dumps(value)
