"""ElastiCache's errors and input checks, in one place: codes and messages as AWS answers them.

Bad input is ``invalid()`` (the kit's error; the service's dialect makes it InvalidParameterValue)
or ``invalid_combination()``; every Describe* pages with ``RECORDS`` (MaxRecords 20-100, default
100, and a Marker) through the cloud's paginator.
"""

from __future__ import annotations

import re
from typing import Any

from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.elasticache import engine_catalog as catalog

ENGINES = ("redis", "valkey")
MAX_REPLICAS = 5
MAX_NODE_GROUPS = 500
SLOT_COUNT = 16384
_IDENTIFIER = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]*(?<!-)$")
# AUTH tokens: 16-128 printable ASCII characters, except space, '"', '/' and '@'.
_AUTH_TOKEN = re.compile(r'^[!#-.0-?A-~]{16,128}$')

def invalid_combination(message: str) -> ServiceError:
    return ServiceError("InvalidParameterCombination", message)


# -- paging --------------------------------------------------------------------------------------
RECORDS = PageRule(token="Marker", size="MaxRecords", default=100, minimum=20, maximum=100,
                   out_of_range=lambda n: invalid("Invalid value for max records. Must be between 20 and 100"),
                   bad_token=lambda token: invalid("Invalid marker provided."))


# DescribeSnapshots: "Default: 50 Constraints: minimum 20; maximum 50."
SNAPSHOT_RECORDS = PageRule(token="Marker", size="MaxRecords", default=50, minimum=20, maximum=50,
                            out_of_range=lambda n: invalid("Invalid value for max records. Must be between 20 and 50"),
                            bad_token=lambda token: invalid("Invalid marker provided."))
# The serverless operations page with NextToken/MaxResults: "The default is 50 ... a maximum of 50."
SERVERLESS_RESULTS = PageRule(token="NextToken", size="MaxResults", default=50, minimum=1, maximum=50,
                              out_of_range=lambda n: invalid("Invalid value for max results. Must be between 1 and 50"),
                              bad_token=lambda token: invalid("Invalid next token provided."))


def paged(paginator: Paginator, key: str, items: list, params: dict, rule: PageRule = RECORDS) -> dict[str, Any]:
    """``{key: page, "Marker": next}`` as every Describe* of the service answers (``NextToken``
    for the serverless ones)."""
    page, marker = paginator.paginate(items, params, rule)
    result: dict[str, Any] = {key: page}
    if marker:
        result[rule.token] = marker
    return result


# -- not found, wrong state ------------------------------------------------------------------------
def replication_group_not_found(group_id: str | None) -> ServiceError:
    return ServiceError("ReplicationGroupNotFoundFault", f"Replication group {group_id} not found.", status=404)


def cache_cluster_not_found(cluster_id: str | None) -> ServiceError:
    return ServiceError("CacheClusterNotFound", f"CacheCluster not found: {cluster_id}", status=404)


def node_group_not_found(node_group_id: str, group_id: str) -> ServiceError:
    return ServiceError("NodeGroupNotFoundFault", f"The node group {node_group_id} is not found in replication group "
                                                  f"{group_id}.", status=404)


def user_not_found(user_id: str) -> ServiceError:
    return ServiceError("UserNotFound", f"User {user_id} not found.", status=404)


def user_group_not_found(group_id: str) -> ServiceError:
    return ServiceError("UserGroupNotFound", f"User group {group_id} not found.", status=404)


def parameter_group_not_found(name: str) -> ServiceError:
    return ServiceError("CacheParameterGroupNotFound", f"CacheParameterGroup not found: {name}", status=404)


def subnet_group_not_found(name: str) -> ServiceError:
    return ServiceError("CacheSubnetGroupNotFoundFault", f"Cache subnet group {name} not found.", status=404)


def snapshot_not_found(name: str | None) -> ServiceError:
    return ServiceError("SnapshotNotFoundFault", f"Snapshot {name} not found.", status=404)


def serverless_cache_not_found(name: str | None) -> ServiceError:
    return ServiceError("ServerlessCacheNotFoundFault", f"Serverless cache {name} not found.", status=404)


def serverless_snapshot_not_found(name: str | None) -> ServiceError:
    return ServiceError("ServerlessCacheSnapshotNotFoundFault", f"Serverless cache snapshot {name} not found.", status=404)


def global_group_not_found(global_id: str | None) -> ServiceError:
    return ServiceError("GlobalReplicationGroupNotFoundFault", f"Global datastore {global_id} not found.", status=404)


def group_not_available(group_id: str) -> ServiceError:
    return ServiceError("InvalidReplicationGroupState", f"Replication group {group_id} is not in available state.")


def cluster_not_available(cluster_id: str, status: str) -> ServiceError:
    return ServiceError("InvalidCacheClusterState",
                        f"Cache cluster {cluster_id} is not in available state (current state: {status}).")


def not_implemented(message: str) -> ServiceError:
    return ServiceError("NotImplemented", message, status=501, sender_fault=False)


def identifier(name: str, value: str, max_length: int = 40) -> str:
    """Ids are stored lower-case; letters, digits and hyphens; no trailing or double hyphen."""
    if not value or len(value) > max_length or not _IDENTIFIER.match(value):
        raise invalid(
            f"The parameter {name} is not a valid identifier. Identifiers must begin with a letter; must contain only "
            "ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.")
    return value.lower()


def node_type(value: str) -> str:
    """A node type ElastiCache creates clusters of (``engine_catalog.NODE_TYPES``)."""
    if value not in catalog.NODE_TYPES:
        raise invalid(f"Invalid Cache Node Type: {value}.")
    return value


def engine(value: str | None) -> str:
    value = (value or "redis").lower()
    if value not in ENGINES:
        raise invalid(f"Invalid value for parameter Engine: {value}. Replication groups support engines redis and valkey.")
    return value


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def engine_upgrade(engine: str, current: str, requested: str | None) -> str:
    """The version a cluster or group moves to: one AWS offers, never lower than the current one.

    The installed engine binary serves every version; the version is what the API reports and
    what picks the parameter group family."""
    if requested is None:
        return current
    version = catalog.resolve_version(engine, requested)
    if version is None:
        raise invalid_combination(f"Cannot find version {requested} for {engine}")
    if _version_key(version) < _version_key(current):
        # AWS allows upgrades only; going back means a new cluster from a backup.
        raise invalid_combination(f"Cannot downgrade the engine version from {current} to {version}.")
    return version


def auth_token(token: str | None, transit_encryption: bool) -> None:
    if token is None:
        return
    if not transit_encryption:
        raise invalid("The AUTH token is only supported when encryption-in-transit is enabled")
    if not _AUTH_TOKEN.match(token):
        raise invalid("Invalid AuthToken provided.")


AUTH_TOKEN_STRATEGIES = ("ROTATE", "SET", "DELETE")


def auth_token_update(token: str | None, strategy: str | None, has_token: bool, transit_encryption: bool,
                      what: str = "replication group") -> str | None:
    """The AuthTokenUpdateStrategy a Modify call asks for (ROTATE when only a token is given), or
    None when it changes no token."""
    if strategy is not None and strategy not in AUTH_TOKEN_STRATEGIES:
        raise invalid(f"Invalid value for parameter AuthTokenUpdateStrategy: {strategy}")
    if token is None and strategy is None:
        return None
    strategy = strategy or "ROTATE"
    if strategy == "DELETE":
        if token is not None:
            raise invalid_combination("AuthToken cannot be specified with AuthTokenUpdateStrategy DELETE.")
        if not has_token:
            raise invalid_combination(f"The {what} has no AUTH token to delete.")
    elif token is None:
        raise invalid(f"AuthToken is required with AuthTokenUpdateStrategy {strategy}.")
    auth_token(token, transit_encryption)
    return strategy


def updated_token_hashes(hashes: list[str], strategy: str, new_hash: str | None) -> list[str]:
    """ROTATE: the last token and the new one both work until a SET (or the next ROTATE) retires the
    old one. Unlike AWS, a ROTATE that adds the first token requires it at once: Redis cannot let
    clients in without AUTH and also accept `AUTH <token>` (with "nopass", the one-argument AUTH
    that clients send is an error). SET: only the new token. DELETE: none."""
    if strategy == "ROTATE":
        return [*hashes[-1:], new_hash]
    return [new_hash] if strategy == "SET" else []


def failover_settings(automatic_failover: bool, multi_az: bool, nodes_per_group: int, cluster_enabled: bool) -> None:
    if multi_az and not automatic_failover:
        raise invalid_combination("Multi-AZ can only be enabled when automatic failover is enabled.")
    if automatic_failover and nodes_per_group < 2 and not cluster_enabled:
        raise invalid_combination("When using automatic failover, there must be at least 2 cache clusters in the replication group.")
    if multi_az and nodes_per_group < 2:
        raise invalid_combination("To enable Multi-AZ, the replication group must have at least one replica in each node group.")


def replica_count(value: int, name: str = "ReplicasPerNodeGroup") -> int:
    if not 0 <= value <= MAX_REPLICAS:
        raise invalid(f"The parameter {name} must be between 0 and {MAX_REPLICAS}.")
    return value


def parse_slots(text: str) -> list[tuple[int, int]]:
    """'0-5460,5461-8000' -> [(0, 5460), (5461, 8000)], checked."""
    ranges = []
    for part in text.split(","):
        bounds = part.strip().split("-")
        try:
            low, high = (int(bounds[0]), int(bounds[-1])) if len(bounds) <= 2 else (None, None)
        except ValueError:
            low = high = None
        if low is None or high is None or not 0 <= low <= high < SLOT_COUNT:
            raise invalid(f"Invalid slot range {part.strip()!r}: slots must be ranges of numbers between 0 and 16383.")
        ranges.append((low, high))
    return ranges


def slot_coverage(groups_slots: list[str]) -> None:
    """Slots given per node group must cover 0-16383 exactly once."""
    seen = [False] * SLOT_COUNT
    for text in groups_slots:
        for low, high in parse_slots(text):
            for slot in range(low, high + 1):
                if seen[slot]:
                    raise invalid(f"Slot {slot} is assigned to more than one node group.")
                seen[slot] = True
    if not all(seen):
        raise invalid("The node groups' slots must cover all 16384 hash slots (0-16383).")


def format_slots(slots: list[int]) -> str:
    """Sorted slot numbers -> '0-5460,10923-16383' as DescribeReplicationGroups shows them."""
    parts: list[str] = []
    start = prev = None
    for slot in sorted(slots):
        if start is None:
            start = prev = slot
        elif slot == prev + 1:
            prev = slot
        else:
            parts.append(f"{start}-{prev}")
            start = prev = slot
    if start is not None:
        parts.append(f"{start}-{prev}")
    return ",".join(parts)


def even_slot_ranges(count: int) -> list[str]:
    """16384 slots split into ``count`` contiguous ranges, as ElastiCache distributes them."""
    bounds = [round(i * SLOT_COUNT / count) for i in range(count + 1)]
    return [f"{bounds[i]}-{bounds[i + 1] - 1}" for i in range(count)]


# -- engine versions per node type and feature -----------------------------------------------------
# The lowest engine version each node type family runs, as AWS's table of supported node types
# has it (Graviton2 types from Redis OSS 5.0.6 / Memcached 1.5.16; data tiering (r6gd) from
# Redis OSS 6.2 and not on Memcached; Graviton3 types from Redis OSS 6.2 / Memcached 1.6.6).
# Valkey runs on every type.
NODE_TYPE_MINIMUMS: dict[str, dict[str, str | None]] = {
    "t4g": {"redis": "5.0.6", "memcached": "1.5.16"}, "m6g": {"redis": "5.0.6", "memcached": "1.5.16"},
    "r6g": {"redis": "5.0.6", "memcached": "1.5.16"}, "r6gd": {"redis": "6.2", "memcached": None},
    "m7g": {"redis": "6.2", "memcached": "1.6.6"}, "r7g": {"redis": "6.2", "memcached": "1.6.6"},
    "c7gn": {"redis": "6.2", "memcached": "1.6.6"},
}
CLUSTER_MODE_MINIMUM = "3.2.4"  # Redis OSS (cluster mode enabled) exists from 3.2.4: not on 2.8


def version_key(version: str) -> tuple[int, ...]:
    return _version_key(version)


def engine_supports(engine: str, version: str, node_type: str, cluster_enabled: bool = False) -> None:
    """A node type runs only from the engine version AWS supports it on; cluster mode needs 3.2.4."""
    family = node_type.split(".")[1] if node_type.count(".") == 2 else ""
    minimum = NODE_TYPE_MINIMUMS.get(family, {}).get(engine, "") if engine != "valkey" else ""
    if family in NODE_TYPE_MINIMUMS and engine in NODE_TYPE_MINIMUMS[family] and minimum is None:
        raise invalid_combination(f"Cache node type {node_type} is not supported for engine {engine}.")
    if minimum and _version_key(version) < _version_key(minimum):
        raise invalid_combination(f"Cache node type {node_type} is not supported for engine {engine} version {version}: it needs "
                                  f"version {minimum} or later.")
    if cluster_enabled and engine == "redis" and _version_key(version) < _version_key(CLUSTER_MODE_MINIMUM):
        raise invalid_combination(f"Cluster mode is not supported for engine version {version}: Redis OSS (cluster mode "
                                  f"enabled) needs version {CLUSTER_MODE_MINIMUM} or later.")


def restorable(snapshot_engine: str, snapshot_version: str, engine: str, version: str) -> None:
    """A snapshot restores into the same engine at the same or a later version, or from Redis OSS into Valkey."""
    if snapshot_engine != engine and not (snapshot_engine == "redis" and engine == "valkey"):
        raise invalid_combination(f"A snapshot of engine {snapshot_engine} cannot be restored to engine {engine}.")
    if snapshot_engine == engine and _version_key(version) < _version_key(snapshot_version):
        raise invalid_combination(f"Cannot restore a snapshot of engine version {snapshot_version} to engine version {version}: "
                                  "the version must be the same or later.")
