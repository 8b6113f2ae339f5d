"""What ElastiCache offers: engine versions, parameter group families and their parameters.

The data is AWS's (DescribeCacheEngineVersions / DescribeEngineDefaultParameters), trimmed to the
parameters people set. ``ChangeType`` says whether a change reaches running nodes at once
("immediate": CONFIG SET on Redis/Valkey) or at the next reboot ("requires-reboot": Memcached
flags, Redis static settings).
"""

from __future__ import annotations

from dataclasses import dataclass

# engine -> [(version, family)], newest first (DescribeCacheEngineVersions lists them so).
ENGINE_VERSIONS: dict[str, list[tuple[str, str]]] = {
    "memcached": [("1.6.22", "memcached1.6"), ("1.6.17", "memcached1.6"), ("1.6.12", "memcached1.6"),
                  ("1.6.6", "memcached1.6"), ("1.5.16", "memcached1.5"), ("1.5.10", "memcached1.5"),
                  ("1.4.34", "memcached1.4"), ("1.4.33", "memcached1.4"), ("1.4.24", "memcached1.4"),
                  ("1.4.14", "memcached1.4"), ("1.4.5", "memcached1.4")],
    "redis": [("7.1", "redis7"), ("7.0", "redis7"), ("6.2", "redis6.x"), ("6.0", "redis6.x"), ("5.0.6", "redis5.0"),
              ("5.0.5", "redis5.0"), ("5.0.4", "redis5.0"), ("5.0.3", "redis5.0"), ("5.0.0", "redis5.0"),
              ("4.0.10", "redis4.0"), ("3.2.10", "redis3.2"), ("3.2.6", "redis3.2"), ("2.8.24", "redis2.8"),
              ("2.8.23", "redis2.8"), ("2.8.22", "redis2.8"), ("2.8.21", "redis2.8"), ("2.8.19", "redis2.8"), ("2.8.6", "redis2.8")],
    "valkey": [("8.0", "valkey8"), ("7.2", "valkey7")],
}
DEFAULT_VERSION = {"memcached": "1.6.22", "redis": "7.1", "valkey": "8.0"}
ENGINE_DESCRIPTIONS = {"memcached": "memcached", "redis": "Redis", "valkey": "Valkey"}
FAMILIES = sorted({family for versions in ENGINE_VERSIONS.values() for _, family in versions})


def engine_of_family(family: str) -> str:
    return next(engine for engine in ENGINE_VERSIONS if family.startswith(engine))


def family_of(engine: str, version: str) -> str | None:
    """The parameter group family of an engine version ("1.6.17" -> memcached1.6); versions may be
    given as "6.x" or as a prefix of a listed one, as the API accepts."""
    for listed, family in ENGINE_VERSIONS.get(engine, []):
        if version == listed or (version.endswith(".x") and listed.startswith(version[:-1])) or listed.startswith(version + "."):
            return family
    return None


def resolve_version(engine: str, version: str | None) -> str | None:
    """The full version a request means (None: not offered)."""
    if not version:
        return DEFAULT_VERSION[engine]
    for listed, _ in ENGINE_VERSIONS.get(engine, []):
        if version == listed:
            return listed
    for listed, _ in ENGINE_VERSIONS.get(engine, []):
        if (version.endswith(".x") and listed.startswith(version[:-1])) or listed.startswith(version + "."):
            return listed
    return None


def default_parameter_group(engine: str, version: str, cluster_enabled: bool = False) -> str:
    """The default group of a version, in its cluster-mode variant when sharded (as AWS names them)."""
    return f"default.{family_of(engine, version)}" + (".cluster.on" if cluster_enabled else "")


@dataclass(frozen=True)
class ParameterSpec:
    name: str
    default: str
    data_type: str  # integer | string | boolean | float
    allowed: str
    modifiable: bool
    change_type: str  # immediate | requires-reboot
    description: str
    minimum_version: str


def _p(name, default, data_type, allowed, description, change="requires-reboot", modifiable=True, minimum=""):
    return ParameterSpec(name, default, data_type, allowed, modifiable, change, description, minimum)


_MEMCACHED_BASE = [
    _p("backlog_queue_limit", "1024", "integer", "1-10000", "The backlog queue limit.", modifiable=False, minimum="1.4.5"),
    _p("binding_protocol", "auto", "string", "auto,binary,ascii", "Binding protocol.", minimum="1.4.5"),
    _p("cas_disabled", "0", "boolean", "0,1", "If true (1), the check and set (CAS) operations will be disabled, and items stored will consume 8 fewer bytes than with CAS enabled.", minimum="1.4.5"),
    _p("chunk_size", "48", "integer", "1-", "The minimum amount, in bytes, of space to allocate for the smallest item's key, value, and flags.", minimum="1.4.5"),
    _p("chunk_size_growth_factor", "1.25", "float", "1-2", "The growth factor that controls the size of each successive memcached chunk.", minimum="1.4.5"),
    _p("error_on_memory_exhausted", "0", "boolean", "0,1", "If true (1), when there is no more memory to store items, memcached will return an error rather than evicting items.", minimum="1.4.5"),
    _p("large_memory_pages", "0", "boolean", "0,1", "If true (1), ElastiCache will try to use large memory pages.", modifiable=False, minimum="1.4.5"),
    _p("lock_down_paged_memory", "0", "boolean", "0,1", "If true (1), ElastiCache will lock down all paged memory.", modifiable=False, minimum="1.4.5"),
    _p("max_item_size", "1048576", "integer", "1048576-134217728", "The size, in bytes, of the largest item that can be stored in the cluster.", minimum="1.4.5"),
    _p("max_simultaneous_connections", "65000", "integer", "3-65000", "The maximum number of simultaneous connections.", modifiable=False, minimum="1.4.5"),
    _p("maximize_core_file_limit", "0", "boolean", "0,1", "If true (1), ElastiCache will maximize the core file limit.", modifiable=False, minimum="1.4.5"),
    _p("memcached_connections_overhead", "100", "integer", "0-", "The amount of memory to be reserved for memcached connections and other miscellaneous overhead.", minimum="1.4.5"),
    _p("idle_timeout", "0", "integer", "0-", "The number of seconds a client may be idle before it is disconnected. 0 means never.", minimum="1.4.33"),
    _p("lru_crawler", "0", "boolean", "0,1", "Cleans slab classes of items that have expired.", minimum="1.4.33"),
    _p("lru_maintainer", "0", "boolean", "0,1", "A background thread that shuffles items between the LRUs as capacities are reached.", minimum="1.4.33"),
    _p("slab_automove", "0", "integer", "0,1,2", "Adjusts the slab automove algorithm.", change="immediate", minimum="1.4.33"),
    _p("slab_reassign", "0", "boolean", "0,1", "Enable or disable slab reassignment.", minimum="1.4.33"),
    _p("hash_algorithm", "jenkins", "string", "jenkins,murmur3", "The hash algorithm to be used for hashing items.", minimum="1.4.33"),
]
_MEMCACHED_15 = [_p("modern", "1", "boolean", "0,1", "An alias for multiple features (slab_reassign, slab_automove, lru_crawler, lru_maintainer ...).", minimum="1.5.10")]

_MEMCACHED_1424 = [
    _p("config_max", "16", "integer", "1-", "Maximum number of ElastiCache configuration entries.", modifiable=False, minimum="1.4.24"),
    _p("config_size_max", "65536", "integer", "1-", "Maximum size of the configuration entries, in bytes.", modifiable=False, minimum="1.4.24"),
    _p("hashpower_init", "16", "integer", "1-64", "The initial size of the ElastiCache hash table, expressed as a power of two.", minimum="1.4.24"),
    _p("maxconns_fast", "0", "boolean", "0,1", "Changes the way in which new connection requests are handled when the maximum connection limit is reached.", minimum="1.4.24"),
]
_MEMCACHED_1433 = [
    _p("expirezero_does_not_evict", "0", "boolean", "0,1", "When used with lru_maintainer, makes items with an expiration time of 0 unevictable.", minimum="1.4.33"),
    _p("slab_chunk_max", "524288", "integer", "-", "Specifies the maximum size of a slab.", minimum="1.4.33"),
    _p("track_sizes", "0", "boolean", "0,1", "Shows the sizes each slab group has consumed.", minimum="1.4.33"),
    _p("watcher_logbuf_size", "256", "integer", "0-", "Specifies the logging buffer size, in kilobytes.", minimum="1.4.33"),
    _p("worker_logbuf_size", "64", "integer", "0-", "Specifies the logging buffer size, in kilobytes, for each worker thread.", minimum="1.4.33"),
]


def _redis(rows: str, minimum: str) -> list[ParameterSpec]:
    """Redis/Valkey parameters from AWS's tables, one a line: name | default | type | allowed values |
    change (i: immediate, r: requires-reboot, -: not modifiable) | description."""
    specs = []
    for line in rows.strip().splitlines():
        name, default, data_type, allowed, change, description = (part.strip() for part in line.split("|"))
        specs.append(ParameterSpec(name, default, data_type, allowed, change != "-",
                                   "requires-reboot" if change == "r" else "immediate", description, minimum))
    return specs


# AWS's families list appendonly and appendfsync, not modifiable: "not supported on Valkey, or on
# Redis OSS version 2.8.22 and later" (every version offered here).
_REDIS_26 = _redis("""
activerehashing | yes | string | yes,no | r | Apply rehashing or not.
appendfsync | everysec | string | always,everysec,no | - | fsync policy for AOF persistence
appendonly | no | string | yes,no | - | Enable Redis persistence.
client-output-buffer-limit-normal-hard-limit | 0 | integer | 0- | i | Normal client output buffer hard limit in bytes.
client-output-buffer-limit-normal-soft-limit | 0 | integer | 0- | i | Normal client output buffer soft limit in bytes.
client-output-buffer-limit-normal-soft-seconds | 0 | integer | 0- | i | Normal client output buffer soft limit in seconds.
client-output-buffer-limit-pubsub-hard-limit | 33554432 | integer | 0- | i | Pubsub client output buffer hard limit in bytes.
client-output-buffer-limit-pubsub-soft-limit | 8388608 | integer | 0- | i | Pubsub client output buffer soft limit in bytes.
client-output-buffer-limit-pubsub-soft-seconds | 60 | integer | 0- | i | Pubsub client output buffer soft limit in seconds.
client-output-buffer-limit-slave-soft-seconds | 60 | integer | 0- | - | Slave client output buffer soft limit in seconds.
databases | 16 | integer | 1-1200000 | r | Set the number of databases.
hash-max-ziplist-entries | 512 | integer | 0- | i | The maximum number of hash entries in order for the dataset to be compressed.
hash-max-ziplist-value | 64 | integer | 0- | i | The threshold of biggest hash entries in order for the dataset to be compressed.
lua-time-limit | 5000 | integer | 5000 | - | Max execution time of a Lua script in milliseconds. 0 or negative for unlimited execution without warnings.
maxclients | 65000 | integer | 1-65000 | - | The maximum number of Redis clients.
maxmemory-policy | volatile-lru | string | volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,volatile-ttl,noeviction | i | Max memory policy.
maxmemory-samples | 3 | integer | 1- | i | Max memory samples.
reserved-memory | 0 | integer | 0- | i | The amount of memory reserved for non-cache memory usage, in bytes. You may want to increase this parameter for nodes with read replicas, AOF enabled, etc, to reduce swap usage.
set-max-intset-entries | 512 | integer | 0- | i | The limit in the size of the set in order for the dataset to be compressed.
slave-allow-chaining | no | string | no | - | Configures if chaining of slaves is allowed
slowlog-log-slower-than | 10000 | integer | - | i | The execution time, in microseconds, to exceed in order for the command to get logged. Note that a negative number disables the slow log, while a value of zero forces the logging of every command.
slowlog-max-len | 128 | integer | 0- | i | The length of the slow log. There is no limit to this length. Just be aware that it will consume memory. You can reclaim memory used by the slow log with SLOWLOG RESET.
tcp-keepalive | 300 | integer | 0- | i | If non-zero, send ACKs every given number of seconds.
timeout | 0 | integer | 0,20- | i | Close connection if client is idle for a given number of seconds, or never if 0.
zset-max-ziplist-entries | 128 | integer | 0- | i | The maximum number of sorted set entries in order for the dataset to be compressed.
zset-max-ziplist-value | 64 | integer | 0- | i | The threshold of biggest sorted set entries in order for the dataset to be compressed.
""", "2.6.13")
_REDIS_28 = _redis("""
close-on-slave-write | yes | string | yes,no | i | If enabled, clients who attempt to write to a read-only slave will be disconnected. Applicable to 2.8.23 and higher.
min-slaves-max-lag | 10 | integer | 0- | i | The maximum amount of replica lag in seconds beyond which the master would stop taking writes. A value of 0 means the master always takes writes.
min-slaves-to-write | 0 | integer | 0- | i | Number of replicas which must be present and connected in order for the master to take writes.
notify-keyspace-events |  | string |  | i | The keyspace events for Redis to notify Pub/Sub clients about. By default all notifications are disabled
repl-backlog-size | 1048576 | integer | 16384- | i | The replication backlog size in bytes for PSYNC. This is the size of the buffer which accumulates slave data when slave is disconnected for some time, so that when slave reconnects again, only transfer the portion of data which the slave missed. Minimum value is 16K.
repl-backlog-ttl | 3600 | integer | 0- | i | The amount of time in seconds after the master no longer have any slaves connected for the master to free the replication backlog. A value of 0 means to never release the backlog.
repl-timeout | 60 | integer | 5- | i | The timeout in seconds for bulk transfer I/O during sync and master timeout from the perspective of the slave, and slave timeout from the perspective of the master.
reserved-memory-percent | 25 | integer | 0-100 | i | The percent of memory reserved for non-cache memory usage. You may want to increase this parameter for nodes with read replicas, AOF enabled, etc, to reduce swap usage.
""", "2.8.6")
_REDIS_32 = _redis("""
cluster-enabled | no | string | yes,no | r | Enable cluster mode
cluster-require-full-coverage | no | string | yes,no | i | Whether cluster becomes unavailable if one or more slots are not covered
hll-sparse-max-bytes | 3000 | integer | 1-16000 | i | HyperLogLog sparse representation bytes limit
list-compress-depth | 0 | integer | 0- | i | Number of entries on each end of a list to leave uncompressed
list-max-ziplist-size | -2 | integer | -5,-4,-3,-2,-1,1- | i | The number of entries allowed per internal list node can be specified as a fixed maximum size or a maximum number of elements.
""", "3.2.4")
_REDIS_40 = _redis("""
activedefrag | no | string | yes,no | i | Enabled active memory defragmentation
active-defrag-cycle-max | 75 | integer | 1-75 | i | Maximal effort for defrag in CPU percentage
active-defrag-cycle-min | 5 | integer | 1-75 | i | Minimal effort for defrag in CPU percentage
active-defrag-ignore-bytes | 104857600 | integer | 1048576- | i | Minimum amount of fragmentation waste to start active defrag
active-defrag-max-scan-fields | 1000 | integer | 1-1000000 | i | Maximum number of set/hash/zset/list fields that will be processed from the main dictionary scan
active-defrag-threshold-lower | 10 | integer | 1-100 | i | Minimum percentage of fragmentation to start active defrag
active-defrag-threshold-upper | 100 | integer | 1-100 | i | Maximum percentage of fragmentation at which we use maximum effort
client-query-buffer-limit | 1073741824 | integer | 1048576-1073741824 | i | Max size of a single client query buffer
lazyfree-lazy-eviction | no | string | yes,no | i | Perform an asynchronous delete on evictions
lazyfree-lazy-expire | no | string | yes,no | i | Perform an asynchronous delete on expired keys
lazyfree-lazy-server-del | no | string | yes,no | i | Perform an asynchronous delete on key updates
lfu-decay-time | 1 | integer | 0- | i | The amount of time in minutes to decrement the key counter for LFU eviction policy
lfu-log-factor | 10 | integer | 1- | i | The log factor for incrementing key counter for LFU eviction policy
proto-max-bulk-len | 536870912 | integer | 1048576-536870912 | i | Max size of a single element request
slave-lazy-flush | no | string | no | - | Perform an asynchronous flushDB during slave sync
""", "4.0.10")
_REDIS_50 = _redis("""
rename-commands |  | string |  | i | Redis commands that can be dynamically renamed by the customer
stream-node-max-bytes | 4096 | integer | 0- | i | The stream data structure is a radix tree of nodes that encode multiple items inside. Use this configuration to specify the maximum size of a single node in radix tree in Bytes. If set to 0, the size of the tree node is unlimited
stream-node-max-entries | 100 | integer | 0- | i | The stream data structure is a radix tree of nodes that encode multiple items inside. Use this configuration to specify the maximum number of items a single node can contain before switching to a new node when appending new stream entries. If set to 0, the number of items in the tree node is unlimited
client-output-buffer-limit-replica-soft-seconds | 60 | integer | 0- | - | Replica client output buffer soft limit in seconds.
min-replicas-max-lag | 10 | integer | 0- | i | The maximum amount of replica lag in seconds beyond which the master would stop taking writes. A value of 0 means the master always takes writes.
min-replicas-to-write | 0 | integer | 0- | i | Number of replicas which must be present and connected in order for the master to take writes.
replica-allow-chaining | no | string | no | - | Configures if chaining of replicas is allowed
replica-lazy-flush | no | string | no | - | Perform an asynchronous flushDB during replica sync
""", "5.0.0")
_REDIS_60 = _redis("""
acllog-max-len | 128 | integer | 1-10000 | i | The maximum number of entries in the ACL log.
active-expire-effort | 1 | integer | 1-10 | i | The amount of effort that redis uses to expire items in the active expiration job.
cluster-allow-reads-when-down | no | string | yes,no | i | Enables reads during a cluster that is down.
lazyfree-lazy-user-del | no | string | yes,no | i | Specifies whether the default behavior of DEL command acts the same as UNLINK.
tracking-table-max-keys | 1000000 | integer | 1-100000000 | i | The maximum number of keys allowed for the tracking table.
""", "6.0.0")
_REDIS_70 = _redis("""
acl-pubsub-default | allchannels | string | resetchannels,allchannels | i | Default pubsub channel permissions for ACL users on the cache.
cluster-allow-pubsubshard-when-down | yes | string | yes,no | i | Allow pubsubshard when the cluster is down.
cluster-preferred-endpoint-type | ip | string | ip,tls-dynamic | i | The endpoint type used for cluster redirections.
hash-max-listpack-entries | 512 | integer | 0- | i | The maximum number of hash entries in order for the dataset to be compressed.
hash-max-listpack-value | 64 | integer | 0- | i | The threshold of biggest hash entries in order for the dataset to be compressed.
latency-tracking | no | string | yes,no | i | Enables the extended latency monitoring.
lazyfree-lazy-user-flush | no | string | yes,no | i | Specifies whether FLUSHDB and FLUSHALL without ASYNC or SYNC act as FLUSHALL ASYNC.
list-max-listpack-size | -2 | integer | -5,-4,-3,-2,-1,1- | i | The number of entries allowed per internal list node can be specified as a fixed maximum size or a maximum number of elements.
zset-max-listpack-entries | 128 | integer | 0- | i | The maximum number of sorted set entries in order for the dataset to be compressed.
zset-max-listpack-value | 64 | integer | 0- | i | The threshold of biggest sorted set entries in order for the dataset to be compressed.
""", "7.0.0")


def _family(*parts: list[ParameterSpec], without: tuple[str, ...] = ()) -> list[ParameterSpec]:
    """A family's parameters by name; a name given twice keeps its first definition."""
    specs: dict[str, ParameterSpec] = {}
    for spec in (p for part in parts for p in part if p.name not in without):
        specs.setdefault(spec.name, spec)
    return sorted(specs.values(), key=lambda p: p.name)


# 5.0 renamed "slave" to "replica"; 7.0 renamed ziplist encodings to listpack.
_SLAVE_NAMES = ("min-slaves-max-lag", "min-slaves-to-write", "client-output-buffer-limit-slave-soft-seconds", "slave-allow-chaining",
                "slave-lazy-flush")
_ZIPLIST_NAMES = ("hash-max-ziplist-entries", "hash-max-ziplist-value", "zset-max-ziplist-entries", "zset-max-ziplist-value",
                  "list-max-ziplist-size")
_REDIS_32_UP = _family(_REDIS_26, _REDIS_28, _REDIS_32)
_REDIS_50_UP = _family(_REDIS_32_UP, _REDIS_40, _REDIS_50, without=_SLAVE_NAMES)
_REDIS_70_UP = _family(_REDIS_50_UP, _REDIS_60, _REDIS_70, without=_ZIPLIST_NAMES)
# The one family where AOF is a setting (it takes effect up to 2.8.21: ``RedisNodes.persistence``).
_AOF = _redis("""
appendfsync | everysec | string | always,everysec,no | i | fsync policy for AOF persistence
appendonly | no | string | yes,no | i | Enable Redis persistence.
""", "2.6.13")
PARAMETERS: dict[str, list[ParameterSpec]] = {
    "memcached1.4": _MEMCACHED_BASE + _MEMCACHED_1424 + _MEMCACHED_1433,
    "memcached1.5": _MEMCACHED_BASE + _MEMCACHED_1424 + _MEMCACHED_1433 + _MEMCACHED_15,
    "memcached1.6": _MEMCACHED_BASE + _MEMCACHED_1424 + _MEMCACHED_1433 + _MEMCACHED_15,
    "redis2.8": _family(_AOF, _REDIS_26, _REDIS_28),
    "redis3.2": _REDIS_32_UP,
    "redis4.0": _family(_REDIS_32_UP, _REDIS_40),
    "redis5.0": _REDIS_50_UP,
    "redis6.x": _family(_REDIS_50_UP, _REDIS_60),
    "redis7": _REDIS_70_UP,
    "valkey7": _REDIS_70_UP,
    "valkey8": _REDIS_70_UP,
}
MAX_PARAMETERS_PER_CALL = 20  # "Cannot modify more than 20 parameters in a single request"
# The node types ElastiCache creates clusters of (current generation; earlier ones serve existing
# clusters only): type -> (vCPUs, memory in GiB), as AWS's table of supported node types lists them.
_SIZES = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
NODE_TYPES: dict[str, tuple[int, float]] = {
    "cache.t2.micro": (1, 0.555), "cache.t2.small": (1, 1.55), "cache.t2.medium": (2, 3.22),
    **{f"cache.{family}.{size}": (2, memory) for family in ("t3", "t4g")
       for size, memory in (("micro", 0.5), ("small", 1.37), ("medium", 3.09))},
    **{f"cache.m4.{size}": spec for size, spec in (("large", (2, 6.42)), ("xlarge", (4, 14.28)), ("2xlarge", (8, 29.7)),
                                                  ("4xlarge", (16, 60.78)), ("10xlarge", (40, 154.64)))},
    **{f"cache.m5.{size}": spec for size, spec in (("large", (2, 6.38)), ("xlarge", (4, 12.93)), ("2xlarge", (8, 26.04)),
                                                  ("4xlarge", (16, 52.26)), ("12xlarge", (48, 157.12)), ("24xlarge", (96, 314.32)))},
    **{f"cache.{family}.{size}": spec for family in ("m6g", "m7g") for size, spec in zip(_SIZES, (
        (2, 6.38), (4, 12.93), (8, 26.04), (16, 52.26), (32, 103.68), (48, 157.12), (64, 209.55)))},
    **{f"cache.r4.{size}": spec for size, spec in (("large", (2, 12.3)), ("xlarge", (4, 25.05)), ("2xlarge", (8, 50.47)),
                                                  ("4xlarge", (16, 101.38)), ("8xlarge", (32, 203.26)), ("16xlarge", (64, 407.0)))},
    **{f"cache.r5.{size}": spec for size, spec in (("large", (2, 13.07)), ("xlarge", (4, 26.32)), ("2xlarge", (8, 52.82)),
                                                  ("4xlarge", (16, 105.81)), ("12xlarge", (48, 317.77)), ("24xlarge", (96, 635.61)))},
    **{f"cache.{family}.{size}": spec for family in ("r6g", "r7g") for size, spec in zip(_SIZES, (
        (2, 13.07), (4, 26.32), (8, 52.82), (16, 105.81), (32, 209.55), (48, 317.77), (64, 419.09)))},
    # r6gd: data tiering (memory plus SSD), from xlarge up.
    **{f"cache.r6gd.{size}": spec for size, spec in zip(_SIZES[1:], ((4, 26.32), (8, 52.82), (16, 105.81), (32, 209.55),
                                                                     (48, 317.77), (64, 419.1)))},
    **{f"cache.c7gn.{size}": spec for size, spec in zip(_SIZES, (
        (2, 3.09), (4, 6.38), (8, 12.94), (16, 26.05), (32, 52.26), (48, 78.56), (64, 105.81)))},
}


def node_resources(node_type: str) -> tuple[int, float]:
    """(vCPUs, memory GiB) of a node type; a type from state written before node types were checked
    gets what its size suggests."""
    if node_type in NODE_TYPES:
        return NODE_TYPES[node_type]
    size = node_type.rsplit(".", 1)[-1]
    if size.endswith("xlarge"):
        factor = int(size[:-6]) if size[:-6].isdigit() else 1
        return 4 * factor, 13.0 * factor
    return 2, {"micro": 0.5, "small": 1.37, "medium": 3.09}.get(size, 6.38)


def maxmemory(node_type: str) -> int:
    """The node type's maxmemory (ElastiCache's node-type-specific parameter), in bytes."""
    return int(node_resources(node_type)[1] * 1024 ** 3)


# Memcached: the cache memory each node type gets (CacheNodeTypeSpecificParameters), in MB.
MAX_CACHE_MEMORY = {"cache.t2.micro": "213", "cache.t2.small": "1024", "cache.t2.medium": "3164",
                    "cache.t3.micro": "416", "cache.t3.small": "1304", "cache.t3.medium": "3072",
                    "cache.t4g.micro": "416", "cache.t4g.small": "1304", "cache.t4g.medium": "3072",
                    "cache.m5.large": "6537", "cache.m5.xlarge": "13248", "cache.r6g.large": "13387"}


# Parameters that are redis-server / valkey-server directives of the same name. The others are
# ElastiCache's own (reserved-memory-percent, rename-commands, close-on-slave-write ...), composed
# into other directives (client-output-buffer-limit-*), or decided by the service (cluster-enabled,
# cluster-require-full-coverage, maxclients, replication, persistence), and never reach the engine as such.
_NOT_DIRECTIVES = frozenset({"appendfsync", "appendonly", "close-on-slave-write", "cluster-enabled", "cluster-require-full-coverage",
                             "cluster-preferred-endpoint-type", "maxclients", "rename-commands", "reserved-memory",
                             "reserved-memory-percent", "slave-allow-chaining", "replica-allow-chaining", "slave-lazy-flush",
                             "replica-lazy-flush", "databases"})
ENGINE_DIRECTIVES = frozenset(p.name for family, specs in PARAMETERS.items() if not family.startswith("memcached")
                              for p in specs if p.name not in _NOT_DIRECTIVES
                              and not p.name.startswith("client-output-buffer-limit"))


def parameter(family: str, name: str) -> ParameterSpec | None:
    return next((p for p in PARAMETERS.get(family, []) if p.name == name), None)
