"""CloudTrail's resources as stored documents: trails, event data stores, channels, dashboards
and imports. Times are epoch seconds; shapes on the wire are built by the handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass
class Trail:
    SCHEMA_VERSION: ClassVar[int] = 1

    name: str
    arn: str
    account: str
    home_region: str
    s3_bucket: str
    s3_key_prefix: str | None = None
    sns_topic_name: str | None = None
    include_global_service_events: bool = True
    multi_region: bool = False
    log_file_validation: bool = False
    log_group_arn: str | None = None
    logs_role_arn: str | None = None
    kms_key_id: str | None = None
    organization: bool = False
    recursive_logging: bool | None = None  # None: never set (AWS's default, true)
    # None: never set (the default: every management event); [] is a stored empty list.
    event_selectors: list[dict] | None = None
    advanced_event_selectors: list[dict] | None = None
    insight_selectors: list[dict] = field(default_factory=list)
    aggregation_configurations: list[dict] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)
    created: float = 0.0
    # logging status (GetTrailStatus)
    logging: bool = False
    start_logging_time: float | None = None
    stop_logging_time: float | None = None
    latest_delivery_time: float | None = None
    latest_delivery_attempt_time: float | None = None
    latest_delivery_error: str | None = None
    latest_cloudwatch_time: float | None = None
    latest_cloudwatch_error: str | None = None
    latest_digest_time: float | None = None
    latest_digest_error: str | None = None
    # The audit trail position delivered up to (core/audit.py's rowid), and where StopLogging
    # left it (events before it are still delivered).
    cursor: int = 0
    stop_cursor: int = 0
    # Log file validation: the log files delivered since each region's last digest, and each
    # region's last digest (the chain the next one continues): region -> dict.
    undigested: dict[str, list[dict]] = field(default_factory=dict)
    digests: dict[str, dict] = field(default_factory=dict)
    digest_period_start: float | None = None


@dataclass
class EventDataStore:
    SCHEMA_VERSION: ClassVar[int] = 1

    store_id: str  # the ARN's last part (a UUID), what queries name in FROM
    arn: str
    name: str
    account: str
    region: str
    status: str  # ENABLED, STOPPED_INGESTION, PENDING_DELETION ...
    advanced_event_selectors: list[dict]
    multi_region: bool = True
    organization: bool = False
    retention_days: int = 366
    termination_protection: bool = True
    billing_mode: str = "EXTENDABLE_RETENTION_PRICING"
    kms_key_id: str | None = None
    tags: list[dict] = field(default_factory=list)
    created: float = 0.0
    updated: float = 0.0
    deleted_at: float | None = None
    status_before_deletion: str | None = None
    resource_policy: str | None = None
    max_event_size: str = "Standard"
    context_key_selectors: list[dict] = field(default_factory=list)
    insight_selectors: list[dict] = field(default_factory=list)
    insights_destination: str | None = None
    cursor: int = 0  # audit trail position ingested up to


@dataclass
class Channel:
    SCHEMA_VERSION: ClassVar[int] = 1

    channel_id: str
    arn: str
    name: str
    source: str
    destinations: list[dict]
    tags: list[dict] = field(default_factory=list)
    created: float = 0.0
    resource_policy: str | None = None
    latest_success_time: float | None = None
    latest_success_event_id: str | None = None
    latest_attempt_time: float | None = None
    latest_attempt_event_id: str | None = None
    latest_error_code: str | None = None


@dataclass
class Dashboard:
    SCHEMA_VERSION: ClassVar[int] = 1

    name: str
    arn: str
    type: str  # CUSTOM or MANAGED
    widgets: list[dict]
    refresh_schedule: dict | None = None
    termination_protection: bool = False
    tags: list[dict] = field(default_factory=list)
    status: str = "CREATED"
    created: float = 0.0
    updated: float = 0.0
    last_refresh_id: str | None = None
    last_refresh_failure: str | None = None
    resource_policy: str | None = None
    # refresh id -> {query alias: query id}
    refreshes: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class Import:
    SCHEMA_VERSION: ClassVar[int] = 1

    import_id: str
    destinations: list[str]
    source: dict[str, Any]  # {"S3": {"S3LocationUri", "S3BucketRegion", "S3BucketAccessRoleArn"}}
    status: str
    created: float
    updated: float
    start_event_time: float | None = None
    end_event_time: float | None = None
    prefixes_found: int = 0
    prefixes_completed: int = 0
    files_completed: int = 0
    events_completed: int = 0
    failed_entries: int = 0
    failures: list[dict] = field(default_factory=list)
