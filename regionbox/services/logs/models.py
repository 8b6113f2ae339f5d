"""CloudWatch Logs state: log groups and streams (their events live in their own table,
event_table.py), and every other resource of Logs, one document each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class LogGroup:
    name: str
    arn: str  # the group's ARN without the ":*" DescribeLogGroups appends
    gid: int  # key of the group's events in the events table
    creation_time: int  # epoch milliseconds, as Logs reports times
    retention_in_days: int | None = None
    kms_key_id: str | None = None
    log_group_class: str = "STANDARD"
    deletion_protection: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    bearer_token_authentication: bool = False


@dataclass
class LogStream:
    group: str
    name: str
    arn: str
    sid: int  # key of the stream's events in the events table
    creation_time: int
    # Event statistics are kept beside the events (events.StreamStats), not in this document.


# -- documents that belong to a log group (deleted with it) ----------------------------------------

@dataclass
class MetricFilter:
    group: str
    name: str
    pattern: str
    transformations: list[dict]  # the request's metricTransformations, as given
    creation_time: int
    apply_on_transformed_logs: bool = False
    field_selection_criteria: str | None = None
    emit_system_field_dimensions: list[str] = field(default_factory=list)


@dataclass
class SubscriptionFilter:
    group: str
    name: str
    pattern: str
    destination_arn: str
    creation_time: int
    role_arn: str | None = None
    distribution: str = "ByLogStream"
    apply_on_transformed_logs: bool = False
    field_selection_criteria: str | None = None
    emit_system_fields: list[str] = field(default_factory=list)
    account_level: bool = False  # made from the account's subscription filter policy, never stored


@dataclass
class GroupPolicy:
    """A document a log group holds one of: its data protection policy, index policy or transformer."""

    group: str
    document: Any  # the policy document (a string) or the transformer's processors (a list)
    last_updated: int
    creation_time: int = 0


# -- account resources ----------------------------------------------------------------------------

@dataclass
class Destination:
    name: str
    arn: str
    target_arn: str
    role_arn: str
    creation_time: int
    access_policy: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class ResourcePolicy:
    name: str
    document: str
    last_updated: int
    revision_id: str
    resource_arn: str | None = None  # a policy on one log group (policyScope RESOURCE), else the account's


@dataclass
class AccountPolicy:
    name: str
    policy_type: str
    document: str
    last_updated: int
    scope: str = "ALL"
    selection_criteria: str | None = None
    creation_time: int = 0


@dataclass
class DeliverySource:
    name: str
    arn: str
    resource_arns: list[str]
    service: str
    log_type: str
    configuration: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class DeliveryDestination:
    name: str
    arn: str
    destination_type: str
    output_format: str | None = None
    resource_arn: str | None = None
    role_arn: str | None = None
    policy: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Delivery:
    id: str
    arn: str
    source_name: str
    destination_arn: str
    destination_type: str
    record_fields: list[str] = field(default_factory=list)
    field_delimiter: str | None = None
    s3_configuration: dict | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class ExportTask:
    task_id: str
    name: str | None
    group: str
    start: int  # "from", epoch ms
    end: int  # "to", epoch ms
    destination: str
    destination_prefix: str
    stream_prefix: str | None
    status: str  # PENDING | RUNNING | COMPLETED | CANCELLED | FAILED | PENDING_CANCEL
    message: str
    creation_time: int
    completion_time: int | None = None


@dataclass
class AnomalyDetector:
    arn: str
    name: str
    group_arns: list[str]
    evaluation_frequency: str | None
    filter_pattern: str | None
    kms_key_id: str | None
    visibility_days: int
    status: str
    creation_time: int
    last_modified: int
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class QueryDefinition:
    id: str
    name: str
    query: str
    language: str
    group_names: list[str]
    last_modified: int
    parameters: list[dict] = field(default_factory=list)


@dataclass
class LookupTable:
    arn: str
    name: str
    description: str
    body: str
    last_updated: int
    creation_time: int
    kms_key_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class ScheduledQuery:
    arn: str
    name: str
    query: str
    language: str
    schedule: str
    execution_role_arn: str
    state: str
    creation_time: int
    last_updated: int
    description: str = ""
    group_identifiers: list[str] = field(default_factory=list)
    timezone: str | None = None
    start_offset: int | None = None
    end_offset: int | None = None
    destination: dict | None = None
    schedule_start: int | None = None
    schedule_end: int | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class AccountSetting:
    """An account-wide setting of Logs (the storage tier policy)."""

    value: str
    last_updated: int
