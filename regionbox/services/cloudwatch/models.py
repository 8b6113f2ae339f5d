"""CloudWatch's typed state: alarms, dashboards, anomaly detectors as documents; metrics and alarm
history in tables of their own (``series.py``, ``history.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from regionbox.core.store import Store


@dataclass
class Alarm:
    """A metric alarm or a composite alarm: its Put* parameters as given, and its state."""

    SCHEMA_VERSION: ClassVar[int] = 1
    name: str
    arn: str
    kind: str  # "MetricAlarm" | "CompositeAlarm"
    config: dict  # the Put*Alarm parameters (without Tags)
    created: float
    configuration_updated: float
    state: str = "INSUFFICIENT_DATA"
    reason: str = "Unchecked: Initial alarm creation"
    reason_data: str | None = None
    state_updated: float = 0.0
    state_transitioned: float = 0.0
    evaluated: float = 0.0
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def actions_enabled(self) -> bool:
        return self.config.get("ActionsEnabled", True)


@dataclass
class Dashboard:
    SCHEMA_VERSION: ClassVar[int] = 1
    name: str
    arn: str
    body: str
    modified: float


@dataclass
class AnomalyDetector:
    SCHEMA_VERSION: ClassVar[int] = 1
    key: str
    config: dict  # SingleMetricAnomalyDetector / MetricMathAnomalyDetector / Configuration / MetricCharacteristics
    arn: str = ""


@dataclass
class InsightRule:
    """A Contributor Insights rule: its definition as given, and when it was enabled (it reads
    the events ingested while it is, as CloudWatch's rules analyse log events as they arrive)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    name: str
    arn: str
    definition: str
    state: str  # ENABLED | DISABLED
    created: float
    apply_on_transformed_logs: bool = False
    windows: list[list] = field(default_factory=list)  # [enabled from, until or None] in epoch ms
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class MetricStream:
    SCHEMA_VERSION: ClassVar[int] = 1
    name: str
    arn: str
    config: dict  # the PutMetricStream parameters (without Name and Tags)
    state: str  # running | stopped
    created: float
    updated: float
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class MuteRule:
    SCHEMA_VERSION: ClassVar[int] = 1
    name: str
    arn: str
    config: dict  # Description, Rule, MuteTargets, StartDate / ExpireDate (epoch seconds)
    updated: float
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class QueryDefinition:
    SCHEMA_VERSION: ClassVar[int] = 1
    id: str
    arn: str
    path: str
    expression: str
    type: str  # PROMQL | SQL | METRIC_MATH
    created: float
    updated: float
    tags: dict[str, str] = field(default_factory=dict)


class CloudWatchState:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.alarms = store.collection("cloudwatch.alarms", Alarm)
        self.dashboards = store.collection("cloudwatch.dashboards", Dashboard)
        self.anomaly_detectors = store.collection("cloudwatch.anomaly_detectors", AnomalyDetector)
        self.insight_rules = store.collection("cloudwatch.insight_rules", InsightRule)
        self.metric_streams = store.collection("cloudwatch.metric_streams", MetricStream)
        self.mute_rules = store.collection("cloudwatch.alarm_mute_rules", MuteRule)
        self.query_definitions = store.collection("cloudwatch.query_definitions", QueryDefinition)
