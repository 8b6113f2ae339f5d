"""ElastiCache state: every resource the service keeps, as documents in the store.

A Redis/Valkey replication group is made of cache clusters (one node each, as on AWS: the
member clusters ``rg-001``, ``rg-002`` ...), grouped into node groups (shards). A Memcached
cache cluster holds several nodes. Nested records (nodes, node groups) are stored as part of
their parent document; ``__post_init__`` turns them back into dataclasses after a load.

Secrets (AUTH tokens, user passwords) are kept only as SHA-256 hex digests, which is what the
engines' ACLs accept (``#<sha256>``), so state on disk never holds a clear-text password.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Collection names in the store.
CACHE_CLUSTERS = "elasticache.cache_clusters"
REPLICATION_GROUPS = "elasticache.replication_groups"
USERS = "elasticache.users"
USER_GROUPS = "elasticache.user_groups"
SUBNET_GROUPS = "elasticache.subnet_groups"
PARAMETER_GROUPS = "elasticache.parameter_groups"
EVENTS = "elasticache.events"
SNAPSHOTS = "elasticache.snapshots"
SERVERLESS_CACHES = "elasticache.serverless_caches"
SERVERLESS_SNAPSHOTS = "elasticache.serverless_snapshots"
GLOBAL_GROUPS = "elasticache.global_replication_groups"
RESERVED_NODES = "elasticache.reserved_nodes"
UPDATE_ACTIONS = "elasticache.update_actions"

REDIS_PORT = 6379
MEMCACHED_PORT = 11211
ALL_SLOTS = "0-16383"


@dataclass
class CacheNode:
    """One engine process. ``node_id`` is the cache node id inside its cluster ("0001")."""

    node_id: str
    zone: str  # CustomerAvailabilityZone
    address: str  # the node's own loopback address (its endpoint)
    port: int
    created: float
    status: str = "creating"  # creating -> available (or create-failed); rebooting, deleting; "failed" while down
    parameter_group_status: str = "in-sync"
    # Key of the engine process in the supervisor (unique across accounts and regions).
    engine_node_key: str = ""


@dataclass
class CacheCluster:
    """A cache cluster: a Memcached cluster (1-40 nodes) or a Redis/Valkey node (member of a group)."""

    cluster_id: str
    arn: str
    engine: str  # redis | valkey | memcached
    engine_version: str
    node_type: str
    created: float
    status: str = "creating"  # creating -> available (or create-failed); modifying, deleting, rebooting cache cluster nodes
    num_nodes: int = 1
    nodes: list[CacheNode] = field(default_factory=list)
    zone: str = ""  # PreferredAvailabilityZone ("Multiple" for Memcached spread over AZs)
    az_mode: str = "single-az"  # Memcached: single-az | cross-az
    port: int = REDIS_PORT
    replication_group_id: str | None = None
    # Redis member clusters: "primary" or "replica" (NodeGroupMember.CurrentRole).
    role: str | None = None
    node_group_id: str | None = None
    parameter_group: str = ""
    subnet_group: str = "default"
    security_group_ids: list[str] = field(default_factory=list)
    preferred_maintenance_window: str = "sun:05:00-sun:06:00"
    notification_topic_arn: str | None = None
    snapshot_retention_limit: int = 0
    snapshot_window: str = "05:00-06:00"
    auto_minor_version_upgrade: bool = True
    transit_encryption: bool = False
    at_rest_encryption: bool = False
    auth_token_enabled: bool = False
    auth_token_last_modified: float | None = None
    network_type: str = "ipv4"
    ip_discovery: str = "ipv4"
    # Memcached: the configuration endpoint (auto-discovery) and its config version, bumped on
    # every node change.
    config_address: str | None = None
    config_port: int = MEMCACHED_PORT
    config_version: int = 1
    # Memcached node changes asked by ModifyCacheCluster, until applied: zones of the nodes to add,
    # ids of the nodes to remove.
    nodes_to_add: list[str] = field(default_factory=list)
    nodes_to_remove: list[str] = field(default_factory=list)
    # Single-node Redis/Valkey clusters outside replication groups: SHA-256 digests of AUTH tokens.
    auth_token_hashes: list[str] = field(default_factory=list)
    pending: dict[str, Any] = field(default_factory=dict)  # PendingModifiedValues
    tags: list[dict[str, str]] = field(default_factory=list)
    # Single-node Redis/Valkey: the snapshot its node starts from (a restore), and the day of its
    # last automatic snapshot. Memcached behind a serverless cache: that cache's name.
    restore_from: str | None = None
    last_automatic_day: int = -1
    serverless_cache: str | None = None

    def __post_init__(self) -> None:
        self.nodes = [n if isinstance(n, CacheNode) else CacheNode(**n) for n in self.nodes]


@dataclass
class NodeGroup:
    """A shard: one primary and its replicas, owning a set of hash slots (cluster mode)."""

    node_group_id: str  # "0001"
    members: list[str]  # member cache cluster ids, in creation order
    primary: str | None  # the member cluster that is currently primary
    slots: str = ALL_SLOTS  # "0-5460" or "0-100,200-300" as AWS shows it
    status: str = "creating"
    # Where the user asked the members to be (NodeGroupConfiguration), kept for replacements.
    primary_zone: str | None = None
    replica_zones: list[str] = field(default_factory=list)


@dataclass
class ReplicationGroup:
    replication_group_id: str
    arn: str
    description: str
    engine: str  # redis | valkey
    engine_version: str
    node_type: str
    created: float
    status: str = "creating"  # creating -> available (or create-failed); modifying, deleting, snapshotting
    node_groups: list[NodeGroup] = field(default_factory=list)
    member_clusters: list[str] = field(default_factory=list)
    cluster_enabled: bool = False
    cluster_mode: str = "disabled"  # enabled | disabled | compatible
    automatic_failover: str = "disabled"  # enabled | disabled | enabling | disabling
    multi_az: str = "disabled"  # enabled | disabled
    port: int = REDIS_PORT
    parameter_group: str = ""
    subnet_group: str = "default"
    security_group_ids: list[str] = field(default_factory=list)
    transit_encryption: bool = False
    transit_encryption_mode: str | None = None  # preferred | required
    at_rest_encryption: bool = False
    kms_key_id: str | None = None
    # SHA-256 digests of the AUTH tokens the engine accepts (two during a ROTATE).
    auth_token_hashes: list[str] = field(default_factory=list)
    auth_token_last_modified: float | None = None
    user_group_ids: list[str] = field(default_factory=list)
    snapshot_retention_limit: int = 0
    snapshot_window: str = "05:00-06:00"
    preferred_maintenance_window: str = "sun:05:00-sun:06:00"
    auto_minor_version_upgrade: bool = True
    data_tiering: str = "disabled"
    network_type: str = "ipv4"
    ip_discovery: str = "ipv4"
    # Stable endpoints. Their ports equal ``port`` when every node has its own loopback address;
    # on hosts without that they are distinct ports on 127.0.0.1.
    primary_address: str | None = None  # cluster mode disabled
    primary_port: int | None = None
    reader_address: str | None = None  # cluster mode disabled
    reader_port: int | None = None
    config_address: str | None = None  # cluster mode enabled
    config_port: int | None = None
    pending: dict[str, Any] = field(default_factory=dict)  # ReplicationGroupPendingModifiedValues
    log_delivery: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    # The serverless cache this group serves (hidden from Describe*: AWS shows no nodes of one).
    serverless_cache: str | None = None
    # Global datastore membership: its id and this group's role there (primary | secondary).
    global_group_id: str | None = None
    global_role: str | None = None
    # Online migration: the self-managed Redis the primary replicates from ("address:port").
    migration_source: str | None = None
    # The snapshot whose RDB files the new nodes start from (restores), until they have started.
    restore_from: str | None = None
    # When the last automatic snapshot was taken (the scheduler's day number).
    last_automatic_day: int = -1

    def __post_init__(self) -> None:
        self.node_groups = [g if isinstance(g, NodeGroup) else NodeGroup(**g) for g in self.node_groups]

    @property
    def auth_token_enabled(self) -> bool:
        return bool(self.auth_token_hashes)

    def node_group(self, node_group_id: str) -> NodeGroup | None:
        return next((g for g in self.node_groups if g.node_group_id == node_group_id), None)


@dataclass
class User:
    user_id: str
    user_name: str
    arn: str
    engine: str  # redis | valkey
    access_string: str
    status: str = "active"  # active | modifying | deleting
    # "password" | "no-password" (no-password-required) | "iam"
    authentication_type: str = "password"
    password_hashes: list[str] = field(default_factory=list)  # SHA-256 hex digests
    user_group_ids: list[str] = field(default_factory=list)
    minimum_engine_version: str = "6.0"
    tags: list[dict[str, str]] = field(default_factory=list)


@dataclass
class UserGroup:
    user_group_id: str
    arn: str
    engine: str
    user_ids: list[str] = field(default_factory=list)
    status: str = "active"  # creating | active | modifying | deleting
    replication_groups: list[str] = field(default_factory=list)
    minimum_engine_version: str = "6.0"
    pending: dict[str, Any] = field(default_factory=dict)  # UserIdsToAdd / UserIdsToRemove
    tags: list[dict[str, str]] = field(default_factory=list)


@dataclass
class CacheSubnetGroup:
    name: str
    arn: str
    description: str
    vpc_id: str = ""
    subnets: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)


@dataclass
class CacheParameterGroup:
    name: str
    arn: str
    family: str
    description: str
    # Parameters changed from the family's defaults: name -> value (strings, as the API has them).
    parameters: dict[str, str] = field(default_factory=dict)
    tags: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Event:
    """An entry of DescribeEvents."""

    source_id: str
    source_type: str  # cache-cluster | replication-group | user | user-group | ...
    message: str
    date: float


@dataclass
class NodeSnapshot:
    """One node's RDB in a snapshot (one per node group): where it came from and its file."""

    cache_cluster_id: str | None
    node_group_id: str
    cache_node_id: str
    cache_size: int  # bytes of the RDB
    node_created: float
    snapshot_created: float
    slots: str = ALL_SLOTS
    replica_count: int = 0
    primary_zone: str = ""
    replica_zones: list[str] = field(default_factory=list)
    file: str = ""  # the RDB's file name in the snapshot's directory


@dataclass
class Snapshot:
    """A backup of a Redis/Valkey cluster or replication group: real RDB files, one per shard,
    under the state directory; or, for a serverless cache's snapshot (``kind`` "serverless"),
    of the cache behind it."""

    name: str
    arn: str
    source: str  # manual | automated
    status: str  # creating | available | copying | exporting | restoring | deleting | failed
    engine: str
    engine_version: str
    node_type: str
    created: float
    kind: str = "node"  # node | serverless
    cache_cluster_id: str | None = None
    replication_group_id: str | None = None
    replication_group_description: str | None = None
    serverless_cache: str | None = None
    num_cache_nodes: int = 1
    zone: str = ""
    cluster_created: float | None = None
    maintenance_window: str = "sun:05:00-sun:06:00"
    topic_arn: str | None = None
    port: int = REDIS_PORT
    parameter_group: str = ""
    subnet_group: str = "default"
    vpc_id: str = ""
    auto_minor_version_upgrade: bool = True
    retention_limit: int = 0
    window: str = "05:00-06:00"
    num_node_groups: int = 1
    automatic_failover: str = "disabled"
    cluster_enabled: bool = False
    kms_key_id: str | None = None
    data_tiering: str = "disabled"
    expires: float | None = None  # serverless snapshots: ExpiryTime
    copied_from: str | None = None  # a copy being made: its source snapshot
    node_snapshots: list[NodeSnapshot] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.node_snapshots = [n if isinstance(n, NodeSnapshot) else NodeSnapshot(**n) for n in self.node_snapshots]

    @property
    def size(self) -> int:
        return sum(n.cache_size for n in self.node_snapshots)


@dataclass
class ServerlessCache:
    """A serverless cache: an endpoint (and a reader endpoint) in front of a real cluster-mode
    replication group (Valkey/Redis) or a Memcached cluster, both hidden from Describe*."""

    name: str
    arn: str
    engine: str  # redis | valkey | memcached
    major_engine_version: str
    full_engine_version: str
    created: float
    status: str = "creating"  # creating | available | modifying | deleting | create-failed
    description: str = ""
    usage_limits: dict[str, Any] = field(default_factory=dict)  # CacheUsageLimits as given
    kms_key_id: str | None = None
    security_group_ids: list[str] = field(default_factory=list)
    subnet_ids: list[str] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)
    user_group_id: str | None = None
    snapshot_retention_limit: int = 0
    daily_snapshot_time: str = "05:00"
    backing_id: str = ""  # the replication group's (or Memcached cluster's) id
    address: str | None = None
    port: int = 6379
    reader_address: str | None = None
    reader_port: int = 6380
    # Serverless migration: the source ("address:port") and its state (preparing | syncing | stopped).
    migration_source: str | None = None
    migration_status: str | None = None
    migration_cutover: str = "manual"  # auto | manual (StartMigration's AutoCutover)
    last_automatic_day: int = -1
    tags: list[dict[str, str]] = field(default_factory=list)


@dataclass
class GlobalReplicationGroup:
    """A global datastore: a primary replication group and secondaries in other regions of the
    same cloud whose primaries replicate from it. Account-wide (scope (account, ""))."""

    global_id: str
    arn: str
    description: str
    engine: str
    engine_version: str
    node_type: str
    cluster_enabled: bool
    status: str = "creating"  # creating | modifying | primary-only | available | deleting
    # [{"ReplicationGroupId", "ReplicationGroupRegion", "Role": PRIMARY|SECONDARY, "Status": associating|associated|disassociating}]
    members: list[dict[str, str]] = field(default_factory=list)
    auth_token_enabled: bool = False
    transit_encryption: bool = False
    at_rest_encryption: bool = False
    parameter_group: str = ""


@dataclass
class ReservedCacheNode:
    reserved_id: str
    arn: str
    offering_id: str
    node_type: str
    start: float
    duration: int
    fixed_price: float
    usage_price: float
    count: int
    product: str
    offering_type: str
    state: str = "payment-pending"  # payment-pending -> active
    recurring: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)


@dataclass
class UpdateAction:
    """A service update applied (or stopped) on one replication group or cache cluster."""

    service_update: str
    target: str  # replication group id or cache cluster id
    target_kind: str  # replication-group | cache-cluster
    status: str = "not-applied"  # not-applied | waiting-to-start | in-progress | stopping | stopped | complete
    applied: float | None = None
    changed: float | None = None
