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
              ("4.0.10", "redis4.0"), ("3.2.10", "redis3.2"), ("3.2.6", "redis3.2")],
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

_REDIS_BASE = [
    _p("activerehashing", "yes", "string", "yes,no", "Apply rehashing or not.", change="requires-reboot"),
    _p("client-output-buffer-limit-normal-hard-limit", "0", "integer", "0-", "Normal client output buffer hard limit in bytes.", change="immediate"),
    _p("cluster-enabled", "no", "string", "yes,no", "Enable cluster mode", modifiable=True, minimum="3.2.4"),
    _p("databases", "16", "integer", "1-1200000", "Set the number of databases.", minimum="2.6.13"),
    _p("lua-time-limit", "5000", "integer", "5000", "Max execution time of a Lua script in milliseconds. 0 or negative for unlimited execution without warnings.", modifiable=False),
    _p("maxclients", "65000", "integer", "1-65000", "The maximum number of Redis clients.", modifiable=False),
    _p("maxmemory-policy", "volatile-lru", "string", "volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,volatile-ttl,noeviction", "Max memory policy.", change="immediate"),
    _p("maxmemory-samples", "3", "integer", "1-", "Max memory samples.", change="immediate"),
    _p("notify-keyspace-events", "", "string", "", "The keyspace events for Redis to notify Pub/Sub clients about. By default all notifications are disabled", change="immediate"),
    _p("reserved-memory-percent", "25", "integer", "0-100", "The percent of memory reserved for non-cache memory usage. You may want to increase this parameter for nodes with read replicas, AOF enabled, etc, to reduce swap usage.", change="immediate"),
    _p("slowlog-log-slower-than", "10000", "integer", "-", "The execution time, in microseconds, to exceed in order for the command to get logged. Note that a negative number disables the slow log, while a value of zero forces the logging of every command.", change="immediate"),
    _p("slowlog-max-len", "128", "integer", "0-", "The length of the slow log. There is no limit to this length. Just be aware that it will consume memory. You can reclaim memory used by the slow log with SLOWLOG RESET.", change="immediate"),
    _p("tcp-keepalive", "300", "integer", "0-", "If non-zero, send ACKs every given number of seconds.", change="immediate"),
    _p("timeout", "0", "integer", "0,20-", "Close connection if client is idle for a given number of seconds, or never if 0.", change="immediate"),
]
_REDIS_4 = [
    _p("activedefrag", "no", "string", "yes,no", "Enabled active memory defragmentation", change="immediate", minimum="4.0.10"),
    _p("lazyfree-lazy-eviction", "no", "string", "yes,no", "Perform an asynchronous delete on evictions", change="immediate", minimum="4.0.10"),
    _p("lfu-log-factor", "10", "integer", "1-", "The log factor for incrementing key counter for LFU eviction policy", change="immediate", minimum="4.0.10"),
]
_REDIS_6 = [_p("acllog-max-len", "128", "integer", "1-10000", "The maximum number of entries in the ACL log.", change="immediate", minimum="6.0.0")]
_REDIS_7 = [_p("cluster-allow-pubsubshard-when-down", "yes", "string", "yes,no", "Allow pubsubshard when the cluster is down.", change="immediate", minimum="7.0.0")]

PARAMETERS: dict[str, list[ParameterSpec]] = {
    "memcached1.4": _MEMCACHED_BASE,
    "memcached1.5": _MEMCACHED_BASE + _MEMCACHED_15,
    "memcached1.6": _MEMCACHED_BASE + _MEMCACHED_15,
    "redis3.2": _REDIS_BASE,
    "redis4.0": _REDIS_BASE + _REDIS_4,
    "redis5.0": _REDIS_BASE + _REDIS_4,
    "redis6.x": _REDIS_BASE + _REDIS_4 + _REDIS_6,
    "redis7": _REDIS_BASE + _REDIS_4 + _REDIS_6 + _REDIS_7,
    "valkey7": _REDIS_BASE + _REDIS_4 + _REDIS_6 + _REDIS_7,
    "valkey8": _REDIS_BASE + _REDIS_4 + _REDIS_6 + _REDIS_7,
}
# Memcached: the cache memory each node type gets (CacheNodeTypeSpecificParameters), in MB.
MAX_CACHE_MEMORY = {"cache.t2.micro": "213", "cache.t2.small": "1024", "cache.t2.medium": "3164",
                    "cache.t3.micro": "416", "cache.t3.small": "1304", "cache.t3.medium": "3072",
                    "cache.t4g.micro": "416", "cache.t4g.small": "1304", "cache.t4g.medium": "3072",
                    "cache.m5.large": "6537", "cache.m5.xlarge": "13248", "cache.r6g.large": "13387"}


# Parameters that are redis-server / valkey-server directives of the same name. The others are
# ElastiCache's own (reserved-memory-percent, client-output-buffer-limit-normal-hard-limit ...) or
# decided by the service (cluster-enabled, maxclients), and never reach the engine as such.
ENGINE_DIRECTIVES = frozenset({
    "activerehashing", "lua-time-limit", "maxmemory-policy", "maxmemory-samples", "notify-keyspace-events",
    "slowlog-log-slower-than", "slowlog-max-len", "tcp-keepalive", "timeout", "activedefrag", "lazyfree-lazy-eviction",
    "lfu-log-factor", "acllog-max-len", "cluster-allow-pubsubshard-when-down",
})


def parameter(family: str, name: str) -> ParameterSpec | None:
    return next((p for p in PARAMETERS.get(family, []) if p.name == name), None)
