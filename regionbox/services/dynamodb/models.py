"""DynamoDB state kept as documents: tables with their indexes, streams and TTL settings.

Items themselves live in SQLite tables of their own (storage.py); a ``Table`` document holds
what DescribeTable shows plus the internal integer ids (``tid`` for the table, ``xid`` per
index) under which storage keeps its rows. Ids are never reused, so a table deleted and
created again under the same name never sees the old rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Projection types that decide what an index row carries.
KEYS_ONLY, INCLUDE, ALL = "KEYS_ONLY", "INCLUDE", "ALL"


class Keyed:
    """Key schema accessors shared by tables and indexes (both have ``key_schema``)."""

    key_schema: list[dict[str, str]]

    @property
    def hash_name(self) -> str:
        return next(k["AttributeName"] for k in self.key_schema if k["KeyType"] == "HASH")

    @property
    def range_name(self) -> str | None:
        return next((k["AttributeName"] for k in self.key_schema if k["KeyType"] == "RANGE"), None)


@dataclass
class Index(Keyed):
    """A global or local secondary index. A global one's key may have up to four partition key
    attributes and four sort key attributes (multi-attribute keys): ``hash_names`` and
    ``range_names`` list them in key schema order, and ``composite`` says there is more than
    one of either."""

    name: str
    xid: int
    kind: str  # "GSI" or "LSI"
    key_schema: list[dict[str, str]]
    projection: dict[str, Any]
    status: str = "ACTIVE"  # GSIs: CREATING -> ACTIVE, DELETING
    backfilling: bool = False
    read_capacity: int = 0
    write_capacity: int = 0
    # OnDemandThroughput (MaxRead/WriteRequestUnits) and requested WarmThroughput (Read/WriteUnitsPerSecond).
    on_demand: dict[str, int] | None = None
    warm: dict[str, int] | None = None

    def __post_init__(self) -> None:
        self.hash_names = tuple(k["AttributeName"] for k in self.key_schema if k["KeyType"] == "HASH")
        self.range_names = tuple(k["AttributeName"] for k in self.key_schema if k["KeyType"] == "RANGE")
        self.composite = len(self.hash_names) > 1 or len(self.range_names) > 1


@dataclass
class Stream:
    """One stream of a table (a table that disables and re-enables streams gets a new one)."""

    arn: str
    label: str
    table_name: str
    sid: int
    view_type: str
    created: float
    enabled: bool = True
    disabled_at: float | None = None
    key_schema: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Table(Keyed):
    name: str
    tid: int
    table_id: str
    arn: str
    key_schema: list[dict[str, str]]
    attribute_definitions: list[dict[str, str]]
    created: float
    status: str = "CREATING"
    billing_mode: str = "PROVISIONED"
    read_capacity: int = 0
    write_capacity: int = 0
    billing_mode_updated: float | None = None
    indexes: list[dict[str, Any]] = field(default_factory=list)  # Index documents
    stream: dict[str, Any] | None = None  # the current Stream document, enabled or not
    ttl_attribute: str | None = None
    ttl_status: str = "DISABLED"
    tags: dict[str, str] = field(default_factory=dict)
    deletion_protection: bool = False
    table_class: str = "STANDARD"
    sse: dict[str, Any] | None = None
    throughput_decreases_today: int = 0
    last_increase: float | None = None
    last_decrease: float | None = None
    # The table's resource-based policy (PutResourcePolicy) and its revision id.
    resource_policy: str | None = None
    policy_revision_id: str | None = None
    # OnDemandThroughput (MaxRead/WriteRequestUnits) and requested WarmThroughput (Read/WriteUnitsPerSecond).
    on_demand: dict[str, int] | None = None
    warm: dict[str, int] | None = None
    # Point-in-time recovery when on: {"enabled_at": epoch, "days": RecoveryPeriodInDays}.
    pitr: dict[str, Any] | None = None
    # A restored table's RestoreSummary, and while it is restoring where its items come from:
    # {"tid": storage id of the source rows, "until": the point in time (None: a backup's rows as they are)}.
    restore: dict[str, Any] | None = None
    restore_source: dict[str, Any] | None = None
    # Contributor Insights per target ("" = the table, else a GSI's name): {"status", "mode", "updated", "since"}.
    insights: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Kinesis Data Streams destinations, newest first (KinesisDataStreamDestination documents).
    kinesis: list[dict[str, Any]] = field(default_factory=list)
    # Global tables: every region of the table's replication group, its own included (empty: not
    # global), the version ("2019.11.21": replicas added by UpdateTable; "2017.11.29": CreateGlobalTable)
    # and, for 2017.11.29, when the global table was made. ``replica`` keeps what this replica was
    # asked to differ in (ReplicaUpdates' overrides) and its auto scaling settings.
    replica_regions: list[str] = field(default_factory=list)
    global_version: str | None = None
    global_created: float | None = None
    replica: dict[str, Any] = field(default_factory=dict)
    # A 2019.11.21 group's MultiRegionConsistency ("STRONG": MRSC) and its witness region, if any.
    consistency: str | None = None
    witness: str | None = None
    # The account of each member region whose replica is in another account (multi-account global
    # tables; every other member is in this table's account), and a regional table's
    # GlobalTableSettingsReplicationMode (ENABLED: it may be the source of a multi-account one).
    group_accounts: dict[str, str] = field(default_factory=dict)
    settings_replication: str | None = None
    # An MREC replica's disassociation protection (on by default; off before a Disassociate).
    disassociation_protection: bool = True
    # Vector indexes (vectors.py): their specs as DescribeTable shows them, with IndexStatus.
    vector_indexes: list[dict[str, Any]] = field(default_factory=list)

    # -- key schema --------------------------------------------------------------------------

    @property
    def key_names(self) -> tuple[str, ...]:
        return (self.hash_name,) if self.range_name is None else (self.hash_name, self.range_name)

    def attribute_type(self, name: str) -> str | None:
        return next((a["AttributeType"] for a in self.attribute_definitions if a["AttributeName"] == name), None)

    # -- indexes -----------------------------------------------------------------------------
    def index_objects(self) -> list[Index]:
        return [Index(**doc) for doc in self.indexes]

    def index(self, name: str) -> Index | None:
        return next((Index(**doc) for doc in self.indexes if doc["name"] == name), None)

    def set_index(self, index: Index) -> None:
        from dataclasses import asdict

        self.indexes = [doc for doc in self.indexes if doc["name"] != index.name] + [asdict(index)]

    def drop_index(self, name: str) -> None:
        self.indexes = [doc for doc in self.indexes if doc["name"] != name]

    @property
    def stream_obj(self) -> Stream | None:
        return Stream(**self.stream) if self.stream else None

    @property
    def stream_enabled(self) -> bool:
        return bool(self.stream and self.stream["enabled"])


@dataclass
class Backup:
    """An on-demand backup (USER) or the backup DynamoDB keeps of a deleted table that had
    point-in-time recovery (SYSTEM). ``tid`` is the storage id of its items; ``table`` the
    source table's document as it was then."""

    arn: str
    name: str
    tid: int
    kind: str  # USER | SYSTEM
    created: float
    table: dict[str, Any]
    status: str = "CREATING"  # CREATING -> AVAILABLE
    size: int = 0
    item_count: int = 0
    expires: float | None = None  # SYSTEM backups: 35 days after the table's deletion
    # A SYSTEM backup's recovery window (the deleted table's), for RestoreTableToPointInTime.
    pitr: dict[str, Any] | None = None


@dataclass
class Export:
    """An export of a table to S3 (ExportTableToPointInTime); ``request`` keeps what was asked,
    for ClientToken idempotency."""

    arn: str
    table_arn: str
    table_id: str
    started: float
    export_time: float
    bucket: str
    request: dict[str, Any]
    status: str = "IN_PROGRESS"  # IN_PROGRESS -> COMPLETED | FAILED
    ended: float | None = None
    manifest: str | None = None
    item_count: int = 0
    billed_size: int = 0
    failure_code: str | None = None
    failure_message: str | None = None
    copy: int | None = None  # while a full export runs: the storage id of its copy of the table


@dataclass
class Import:
    """An import of S3 objects into a new table (ImportTable)."""

    arn: str
    table_arn: str
    table_id: str
    started: float
    request: dict[str, Any]
    status: str = "IN_PROGRESS"  # IN_PROGRESS -> COMPLETED | FAILED | CANCELLED
    ended: float | None = None
    error_count: int = 0
    processed_bytes: int = 0
    processed_items: int = 0
    imported_items: int = 0
    failure_code: str | None = None
    failure_message: str | None = None


@dataclass
class BulkOperation:
    """A bulk put of S3 objects into an existing table (StartBulkPutItems); ``request`` keeps what
    was asked (ClientToken aside), for idempotency."""

    arn: str
    table_name: str
    table_id: str
    started: float
    request: dict[str, Any]
    client_token: str | None = None
    status: str = "IN_PROGRESS"  # -> COMPLETED | COMPLETED_WITH_ERRORS | FAILED; CANCELLING -> CANCELLED
    ended: float | None = None
    processed: int = 0
    failed: int = 0
    processed_bytes: int = 0
    total_bytes: int | None = None
    failure_code: str | None = None
    failure_message: str | None = None
