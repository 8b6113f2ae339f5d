"""RDS's state: DB instances and the nodes behind them, subnet and parameter groups, snapshots,
events. Documents in the store, keyed by account and region (``RdsState``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from regionbox.core.store import Scope, Store


@dataclass
class DbNode:
    """One PostgreSQL server of an instance: the primary, or the Multi-AZ standby."""

    node_id: str  # the supervisor's id: <account>.<region>.<instance>.<n>
    zone: str
    address: str
    role: str  # primary | standby


@dataclass
class DBInstance:
    SCHEMA_VERSION: ClassVar[int] = 1
    identifier: str
    arn: str
    resource_id: str  # DbiResourceId: db-<26 upper alnum>
    instance_class: str
    engine: str
    engine_version: str
    master_username: str
    master_password: str
    allocated_storage: int
    storage_type: str
    port: int
    status: str = "creating"
    db_name: str | None = None
    endpoint_address: str = ""
    nodes: list[DbNode] = field(default_factory=list)
    multi_az: bool = False
    subnet_group: str = "default"
    parameter_group: str = "default.postgres15"
    parameter_apply_status: str = "in-sync"
    backup_retention: int = 1
    backup_window: str = "03:00-03:30"  # PreferredBackupWindow, UTC: the daily automated snapshot
    last_backup_day: int = -1  # the (rds_backup_day long) day of the last automated snapshot
    monitoring_interval: int = 0
    monitoring_role_arn: str | None = None
    performance_insights: bool = False
    pi_retention: int = 7
    deletion_protection: bool = False
    publicly_accessible: bool = False
    auto_minor_version_upgrade: bool = True
    copy_tags_to_snapshot: bool = False
    storage_encrypted: bool = False
    created_at: float = 0.0
    tags: list[dict] = field(default_factory=list)
    vpc_security_groups: list[str] = field(default_factory=list)
    pending: dict = field(default_factory=dict)  # PendingModifiedValues waiting for the maintenance window
    replica_source: str | None = None  # a read replica: the instance it follows
    cluster: str | None = None  # a DB cluster's member: the cluster (its writer or a reader, DBCluster.writer says)
    promotion_tier: int = 1  # a cluster member's priority for becoming the writer (0 first)

    def __post_init__(self) -> None:
        # The store gives nested documents back as dicts.
        self.nodes = [DbNode(**n) if isinstance(n, dict) else n for n in self.nodes]

    def node(self, role: str) -> DbNode | None:
        return next((n for n in self.nodes if n.role == role), None)

    @property
    def primary(self) -> DbNode | None:
        return self.node("primary")

    @property
    def standby(self) -> DbNode | None:
        return self.node("standby")


@dataclass
class DBSubnetGroup:
    name: str
    arn: str
    description: str
    vpc_id: str
    subnets: list[dict]
    tags: list[dict] = field(default_factory=list)


@dataclass
class DBParameterGroup:
    name: str
    arn: str
    family: str
    description: str
    values: dict[str, str] = field(default_factory=dict)  # parameter -> value the user set
    methods: dict[str, str] = field(default_factory=dict)  # parameter -> immediate | pending-reboot
    tags: list[dict] = field(default_factory=list)


@dataclass
class DBSnapshot:
    identifier: str
    arn: str
    instance_identifier: str
    resource_id: str
    engine: str
    engine_version: str
    master_username: str
    allocated_storage: int
    port: int
    zone: str
    snapshot_type: str  # manual | automated
    status: str
    created_at: float
    instance_created_at: float
    path: str  # the copy of the data directory
    db_name: str | None = None
    tags: list[dict] = field(default_factory=list)


@dataclass
class DBCluster:
    """An Aurora PostgreSQL or Multi-AZ DB cluster: its members are the DB instances whose
    ``cluster`` names it; one of them, ``writer``, has the primary's role, the others stream from it.
    With no instances, the cluster's data waits in ``volume`` (a stopped server's data directory)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    identifier: str
    arn: str
    resource_id: str  # DbClusterResourceId: cluster-<26 upper alnum>
    engine: str  # aurora-postgresql | postgres (a Multi-AZ DB cluster)
    engine_version: str
    master_username: str
    port: int
    endpoint_address: str  # the writer endpoint
    reader_address: str  # the reader endpoint: round robin over the readers
    status: str = "creating"
    master_password: str = ""  # until the first writer has made the master user
    database_name: str | None = None
    writer: str | None = None
    parameter_group: str = ""
    subnet_group: str = "default"
    zones: list[str] = field(default_factory=list)
    backup_retention: int = 1
    backup_window: str = "03:00-03:30"
    deletion_protection: bool = False
    copy_tags_to_snapshot: bool = False
    storage_encrypted: bool = False
    instance_class: str | None = None  # DBClusterInstanceClass: a Multi-AZ DB cluster's
    allocated_storage: int = 1
    storage_type: str = "aurora"
    iops: int | None = None
    created_at: float = 0.0
    volume: str = ""  # where the data is while no instance holds it
    tags: list[dict] = field(default_factory=list)
    vpc_security_groups: list[str] = field(default_factory=list)


@dataclass
class DBClusterSnapshot:
    identifier: str
    arn: str
    cluster_identifier: str
    cluster_resource_id: str
    engine: str
    engine_version: str
    master_username: str
    port: int
    zones: list[str]
    snapshot_type: str  # manual | automated
    status: str
    created_at: float
    cluster_created_at: float
    path: str
    allocated_storage: int = 1
    storage_type: str = "aurora"
    database_name: str | None = None
    source_arn: str | None = None  # a copy: the snapshot it was copied from
    shared_with: list[str] = field(default_factory=list)  # the "restore" attribute: account ids, or "all"
    tags: list[dict] = field(default_factory=list)


@dataclass
class DBClusterEndpoint:
    """A custom endpoint: its own address, forwarding to the members it selects in turn."""

    identifier: str
    arn: str
    resource_id: str  # DBClusterEndpointResourceIdentifier: cluster-endpoint-<26 lower alnum>
    cluster_identifier: str
    address: str
    endpoint_type: str  # READER | ANY
    static_members: list[str] = field(default_factory=list)
    excluded_members: list[str] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)


@dataclass
class Event:
    source_id: str
    source_type: str  # db-instance | db-parameter-group | db-snapshot | db-subnet-group ...
    message: str
    date: float
    categories: list[str] = field(default_factory=list)
    event_id: str = ""  # RDS-EVENT-0049 ...: in notifications, not DescribeEvents' output
    source_arn: str = ""


class RdsState:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.instances = store.collection("rds.instances", DBInstance)
        self.subnet_groups = store.collection("rds.subnet_groups", DBSubnetGroup)
        self.parameter_groups = store.collection("rds.parameter_groups", DBParameterGroup)
        self.snapshots = store.collection("rds.snapshots", DBSnapshot)
        self.events = store.collection("rds.events", Event)
        self.clusters = store.collection("rds.clusters", DBCluster)
        self.cluster_parameter_groups = store.collection("rds.cluster_parameter_groups", DBParameterGroup)
        self.cluster_snapshots = store.collection("rds.cluster_snapshots", DBClusterSnapshot)
        self.cluster_endpoints = store.collection("rds.cluster_endpoints", DBClusterEndpoint)

    def instance_by_resource_id(self, resource_id: str) -> tuple[Scope, DBInstance] | None:
        for scope, _, instance in self.instances.all():
            if instance.resource_id == resource_id:
                return scope, instance
        return None
