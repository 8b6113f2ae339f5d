"""Serverless caches: CreateServerlessCache, DescribeServerlessCaches, ModifyServerlessCache,
DeleteServerlessCache.

A Valkey/Redis OSS serverless cache is served by a real replication group with cluster mode
enabled (one shard, a primary and a replica, TLS required as on AWS), hidden from the node-based
operations: its ``Endpoint`` is the group's configuration endpoint (cluster clients discover the
nodes from it), its ``ReaderEndpoint`` (port 6380 on AWS) reaches the replica. A Memcached one
is served by a real Memcached cluster with TLS, its endpoint the cluster's configuration endpoint,
which forwards every other command to the node.

Usage limits are the cache's own: the DataStorage maximum is the nodes' ``maxmemory``, set
again when ModifyServerlessCache changes it; ECPUPerSecond is kept and returned (regionbox does
not meter processing units). The cache's status follows its backing resource's ("creating",
"available", "create-failed"), "modifying" while a change of users is being applied, and
"deleting" until its nodes are gone.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.cache_clusters import CacheClusters
from regionbox.services.elasticache.events import EventLog, Messages
from regionbox.services.elasticache.models import ServerlessCache
from regionbox.services.elasticache.nodes import RedisNodes
from regionbox.services.elasticache.replication_groups import ReplicationGroups
from regionbox.services.elasticache.restores import Restores
from regionbox.services.elasticache.snapshots import Snapshots
from regionbox.services.elasticache.state import ElastiCacheState
from regionbox.services.elasticache.tags import checked_tags
from regionbox.services.elasticache.users import UserGroups

if TYPE_CHECKING:
    from regionbox.services.elasticache.serverless_snapshots import ServerlessSnapshots

ENGINES = ("redis", "valkey", "memcached")
# engine -> major version -> the full version its nodes run
VERSIONS = {"valkey": {"8": "8.0", "7": "7.2"}, "redis": {"7": "7.1"}, "memcached": {"1.6": "1.6.22"}}
DEFAULT_MAJOR = {"valkey": "8", "redis": "7", "memcached": "1.6"}
NODE_TYPE = "cache.r7g.large"  # what the backing nodes run as (only their limits matter)
MAX_CACHES = 40  # "Serverless caches per Region"
MAX_RETENTION = 35
_NAME = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,39}(?<!-)$")
_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def backing_id(name: str) -> str:
    """The backing group's or cluster's id: a double hyphen, which no user's id may have."""
    return f"{name}--serverless"


def not_available(name: str, status: str) -> ServiceError:
    return ServiceError("InvalidServerlessCacheStateFault", f"Serverless cache {name} is not in available state "
                                                            f"(current state: {status}).")


def _checked_bounds(name: str, limit: dict, low: int, high: int) -> None:
    for bound in ("Maximum", "Minimum"):
        value = limit.get(bound)
        if value not in (None, 0) and not low <= value <= high:
            raise check.invalid(f"Invalid value for {name} limit. Must be between {low} and {high}. You can set the value to zero "
                                "to remove the limit.")
    if limit.get("Maximum") and limit.get("Minimum") and limit["Minimum"] > limit["Maximum"]:
        raise check.invalid_combination(f"{name} Minimum cannot be greater than Maximum.")


def checked_limits(limits: dict | None) -> dict[str, Any]:
    """CacheUsageLimits with AWS's ranges: DataStorage 1-5000 GB, ECPUPerSecond 1000-15000000 (0 removes a limit)."""
    limits = dict(limits or {})
    storage, ecpu = limits.get("DataStorage"), limits.get("ECPUPerSecond")
    if storage is not None:
        if storage.get("Unit") not in (None, "GB"):
            raise check.invalid(f"Invalid value for DataStorage unit: {storage.get('Unit')}. Valid value is GB.")
        _checked_bounds("DataStorage", storage, 1, 5000)
        limits["DataStorage"] = {**storage, "Unit": "GB"}
    if ecpu is not None:
        _checked_bounds("ECPUPerSecond", ecpu, 1000, 15000000)
    # A limit of zero is no limit.
    for key in ("DataStorage", "ECPUPerSecond"):
        if key in limits:
            limits[key] = {k: v for k, v in limits[key].items() if v not in (0, None)}
            if set(limits[key]) <= {"Unit"}:
                del limits[key]
    return limits


def backing_of(state: ElastiCacheState, scope: Scope, cache: ServerlessCache):
    """The replication group (or Memcached cluster) that serves a cache."""
    if cache.engine == "memcached":
        return state.cache_clusters.get(scope, cache.backing_id)
    return state.replication_groups.get(scope, cache.backing_id)


def cache_status(state: ElastiCacheState, scope: Scope, cache: ServerlessCache) -> str:
    """Its own while it is being changed or deleted, else its backing's (a snapshot leaves it available)."""
    if cache.status in ("deleting", "modifying"):
        return cache.status
    backing = backing_of(state, scope, cache)
    if backing is None:
        return cache.status
    return {"snapshotting": "available"}.get(backing.status, backing.status)


def available_cache(state: ElastiCacheState, scope: Scope, name: str | None) -> ServerlessCache:
    cache = state.serverless_cache(scope, name)
    status = cache_status(state, scope, cache)
    if status != "available":
        raise not_available(cache.name, status)
    return cache


def _checked_schedule(params: dict) -> None:
    retention = params.get("SnapshotRetentionLimit")
    if retention is not None and not 0 <= retention <= MAX_RETENTION:
        raise check.invalid(f"Invalid value for SnapshotRetentionLimit: {retention}. Must be between 0 and {MAX_RETENTION}.")
    daily = params.get("DailySnapshotTime")
    if daily is not None and not _TIME.match(daily):
        raise check.invalid(f"Invalid value for DailySnapshotTime: {daily}. The format is HH:MM (UTC).")


class ServerlessCaches:
    def __init__(self, state: ElastiCacheState, replication_groups: ReplicationGroups, cache_clusters: CacheClusters,
                 nodes: RedisNodes, user_groups: UserGroups, restores: Restores, snapshots: "ServerlessSnapshots", events: EventLog,
                 tasks: Tasks, paginator: Paginator) -> None:
        self.state = state
        self.snapshots = snapshots
        self.events = events
        self.replication_groups = replication_groups
        self.cache_clusters = cache_clusters
        self.nodes = nodes
        self.user_groups = user_groups
        self.restores = restores
        self.tasks = tasks
        self.paginator = paginator

    # -- what a cache is now --------------------------------------------------------------------------
    def endpoints(self, scope: Scope, cache: ServerlessCache) -> tuple[dict | None, dict | None]:
        backing = backing_of(self.state, scope, cache)
        if backing is None or cache_status(self.state, scope, cache) in ("creating", "create-failed"):
            return None, None
        if cache.engine == "memcached":
            endpoint = {"Address": backing.config_address, "Port": backing.config_port} if backing.config_address else None
            return endpoint, endpoint
        endpoint = {"Address": backing.config_address, "Port": backing.config_port} if backing.config_address else None
        reader = {"Address": backing.reader_address, "Port": backing.reader_port} if backing.reader_address else endpoint
        return endpoint, reader

    def describe(self, scope: Scope, cache: ServerlessCache) -> dict[str, Any]:
        result: dict[str, Any] = {
            "ServerlessCacheName": cache.name, "Description": cache.description, "CreateTime": cache.created,
            "Status": cache_status(self.state, scope, cache), "Engine": cache.engine, "MajorEngineVersion": cache.major_engine_version,
            "FullEngineVersion": cache.full_engine_version, "CacheUsageLimits": dict(cache.usage_limits),
            "SecurityGroupIds": list(cache.security_group_ids), "ARN": cache.arn, "SubnetIds": list(cache.subnet_ids),
            "NetworkType": "ipv4", "ConnectionType": "vpc",
        }
        if cache.engine != "memcached":
            result["SnapshotRetentionLimit"] = cache.snapshot_retention_limit
            result["DailySnapshotTime"] = cache.daily_snapshot_time
        if cache.kms_key_id:
            result["KmsKeyId"] = cache.kms_key_id
        if cache.user_group_id:
            result["UserGroupId"] = cache.user_group_id
        endpoint, reader = self.endpoints(scope, cache)
        if endpoint is not None:
            result["Endpoint"] = endpoint
            result["ReaderEndpoint"] = reader
        if cache.migration_status:
            # Being migrated into (serverless_migration.py).
            result["Migration"] = {"Status": cache.migration_status, "CutoverMode": cache.migration_cutover,
                                   **({"MigrationEndpoint": endpoint} if endpoint else {})}
        return {k: v for k, v in result.items() if v != {} or k == "CacheUsageLimits"}

    # -- CreateServerlessCache ------------------------------------------------------------------------
    def create_serverless_cache(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        name = params["ServerlessCacheName"]
        if not _NAME.match(name):
            raise check.invalid("The parameter ServerlessCacheName must begin with a letter, contain only ASCII letters, digits "
                                "and hyphens, not end with a hyphen nor contain two consecutive hyphens, and be at most 40 "
                                "characters long.")
        name = name.lower()
        engine = (params.get("Engine") or "").lower()
        if engine not in ENGINES:
            raise check.invalid(f"Invalid value for parameter Engine: {params.get('Engine')}. Valid values are valkey, redis "
                                "and memcached.")
        major = params.get("MajorEngineVersion") or DEFAULT_MAJOR[engine]
        if major not in VERSIONS[engine]:
            raise check.invalid_combination(f"Cannot find major version {major} for {engine}.")
        limits = checked_limits(params.get("CacheUsageLimits"))
        _checked_schedule(params)
        user_group_id = params.get("UserGroupId")
        memcached = engine == "memcached"
        if memcached:
            for option in ("UserGroupId", "SnapshotArnsToRestore", "SnapshotRetentionLimit", "DailySnapshotTime"):
                if params.get(option):
                    raise check.invalid_combination(f"{option} is not supported for engine memcached.")
        if user_group_id:
            group = self.state.user_group(scope, user_group_id)
            if group.status != "active":
                raise ServiceError("InvalidUserGroupState", f"User group {user_group_id} is not in active state.")
        tags = checked_tags(params.get("Tags") or [])
        if self.state.serverless_caches.get(scope, name) is not None:
            raise ServiceError("ServerlessCacheAlreadyExistsFault", f"Serverless cache {name} already exists.")
        if len(self.state.serverless_caches.values(scope)) >= MAX_CACHES:
            raise ServiceError("ServerlessCacheQuotaForCustomerExceededFault",
                               f"You have reached the quota of {MAX_CACHES} serverless caches in this region.")
        restore = self.restores.serverless_source(scope, params.get("SnapshotArnsToRestore") or [])
        cache = ServerlessCache(
            name=name, arn=ctx.arn("elasticache", f"serverlesscache:{name}"), engine=engine, major_engine_version=major,
            full_engine_version=VERSIONS[engine][major], created=clock.epoch(), description=params.get("Description") or "",
            usage_limits=limits, kms_key_id=params.get("KmsKeyId"), security_group_ids=list(params.get("SecurityGroupIds") or []),
            subnet_ids=list(params.get("SubnetIds") or []), user_group_id=user_group_id,
            snapshot_retention_limit=params.get("SnapshotRetentionLimit") or 0,
            daily_snapshot_time=params.get("DailySnapshotTime") or "05:00", backing_id=backing_id(name), tags=tags)
        with self.state.transaction():
            # Saved first: the backing nodes' settings (maxmemory) come from it.
            self.state.serverless_caches.put(scope, name, cache)
            if memcached:
                self.cache_clusters.create(ctx, {"Engine": "memcached", "EngineVersion": cache.full_engine_version,
                                                 "CacheNodeType": NODE_TYPE, "NumCacheNodes": 1, "TransitEncryptionEnabled": True},
                                           cache.backing_id, serverless_cache=name)
            else:
                self.replication_groups.create(ctx, {
                    "Engine": engine, "EngineVersion": cache.full_engine_version, "CacheNodeType": NODE_TYPE,
                    "ClusterMode": "enabled", "NumNodeGroups": 1, "ReplicasPerNodeGroup": 1, "TransitEncryptionEnabled": True,
                    "AtRestEncryptionEnabled": True, "KmsKeyId": params.get("KmsKeyId"), "MultiAZEnabled": True,
                    "UserGroupIds": [user_group_id] if user_group_id else [],
                    "ReplicationGroupDescription": f"serverless cache {name}"}, cache.backing_id, serverless_cache=name,
                    restore=restore)
        ctx.touched("ServerlessCache", name)
        return {"ServerlessCache": self.describe(scope, cache)}

    # -- DescribeServerlessCaches ---------------------------------------------------------------------
    def describe_serverless_caches(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        if params.get("ServerlessCacheName"):
            caches = [self.state.serverless_cache(scope, params["ServerlessCacheName"])]
        else:
            caches = sorted(self.state.serverless_caches.values(scope), key=lambda c: (c.created, c.name))
        return check.paged(self.paginator, "ServerlessCaches", [self.describe(scope, c) for c in caches], params,
                           check.SERVERLESS_RESULTS)

    # -- ModifyServerlessCache ------------------------------------------------------------------------
    def modify_serverless_cache(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        cache = available_cache(self.state, scope, params["ServerlessCacheName"])
        memcached = cache.engine == "memcached"
        if params.get("Engine") and params["Engine"].lower() != cache.engine or \
                params.get("MajorEngineVersion") and params["MajorEngineVersion"] != cache.major_engine_version:
            raise check.invalid_combination("Changing the engine or its major version of a serverless cache is not supported by "
                                            "regionbox: its nodes run the engine installed on this machine.")
        if params.get("RemoveUserGroup") and params.get("UserGroupId"):
            raise check.invalid_combination("RemoveUserGroup and UserGroupId cannot be specified together.")
        if memcached:
            for option in ("UserGroupId", "RemoveUserGroup", "SnapshotRetentionLimit", "DailySnapshotTime"):
                if params.get(option):
                    raise check.invalid_combination(f"{option} is not supported for engine memcached.")
        _checked_schedule(params)
        limits = checked_limits(params["CacheUsageLimits"]) if params.get("CacheUsageLimits") is not None else None
        new_group = cache.user_group_id
        if params.get("UserGroupId"):
            group = self.state.user_group(scope, params["UserGroupId"])
            if group.status != "active":
                raise ServiceError("InvalidUserGroupState", f"User group {group.user_group_id} is not in active state.")
            new_group = group.user_group_id
        elif params.get("RemoveUserGroup"):
            if not cache.user_group_id:
                raise check.invalid_combination(f"Serverless cache {cache.name} has no user group to remove.")
            new_group = None
        if "Description" in params:
            cache.description = params["Description"] or ""
        if params.get("SecurityGroupIds") is not None:
            cache.security_group_ids = list(params["SecurityGroupIds"])
        if params.get("SnapshotRetentionLimit") is not None:
            cache.snapshot_retention_limit = params["SnapshotRetentionLimit"]
        if params.get("DailySnapshotTime"):
            cache.daily_snapshot_time = params["DailySnapshotTime"]
        limits_changed = limits is not None and limits != cache.usage_limits
        if limits is not None:
            cache.usage_limits = limits
        users_changed = new_group != cache.user_group_id
        with self.state.transaction():
            if users_changed:
                rg = self.state.group(scope, cache.backing_id)
                for old in rg.user_group_ids:
                    self.user_groups.unlink(scope, old, rg.replication_group_id)
                rg.user_group_ids = [new_group] if new_group else []
                if new_group:
                    self.user_groups.link(scope, new_group, rg.replication_group_id)
                self.state.save_group(scope, rg)
                cache.user_group_id = new_group
                cache.status = "modifying"
            self.state.serverless_caches.put(scope, cache.name, cache)
        if limits_changed or users_changed:
            self.tasks.spawn(self._apply(scope, cache.name, limits_changed, users_changed), owner="elasticache",
                             what=f"modifying serverless cache {cache.name}",
                             on_failure=lambda error: self._applied(scope, cache.name))
        return {"ServerlessCache": self.describe(scope, cache)}

    async def _apply(self, scope: Scope, name: str, limits: bool, users: bool) -> None:
        """The nodes take the new limits (maxmemory) and users (their ACL) while they run."""
        cache = self.state.serverless_caches.get(scope, name)
        if cache is None or cache.engine == "memcached":
            return self._applied(scope, name)
        rg = self.state.group(scope, cache.backing_id)
        if limits:
            await self.nodes.config_set_many(scope, rg.member_clusters,
                                             {k: str(v) for k, v in self.nodes.maxmemory(scope, rg).items()})
        if users:
            for cluster_id in rg.member_clusters:
                self.nodes.write_acl(scope, rg, cluster_id)
            await self.nodes.reload_acl(scope, rg)
        self._applied(scope, name)

    def _applied(self, scope: Scope, name: str) -> None:
        cache = self.state.serverless_caches.get(scope, name)
        if cache is not None and cache.status == "modifying":
            cache.status = "available"
            self.state.serverless_caches.put(scope, name, cache)

    # -- DeleteServerlessCache ------------------------------------------------------------------------
    def delete_serverless_cache(self, ctx: RequestContext, params: dict) -> dict:
        """With FinalSnapshotName, the snapshot is taken first; if it fails, the cache is
        available again (its data would be lost) and an event says so."""
        scope = ctx.scope
        cache = self.state.serverless_cache(scope, params["ServerlessCacheName"])
        status = cache_status(self.state, scope, cache)
        if cache.migration_status == "syncing":
            status = "migrating"  # StopMigration or CompleteMigration first
        if status not in ("available", "create-failed"):
            raise not_available(cache.name, status)
        final = params.get("FinalSnapshotName")
        if final and cache.engine == "memcached":
            raise check.invalid_combination("FinalSnapshotName is not supported for engine memcached.")
        if final and status != "available":
            raise not_available(cache.name, status)
        if final:
            Snapshots.checked_name(final, "FinalSnapshotName")
        snapshot = self.snapshots.new(scope, cache, final) if final else None
        with self.state.transaction():
            if snapshot is not None:
                self.snapshots.engine.begin(scope, snapshot)
            cache.status = "deleting"
            self.state.serverless_caches.put(scope, cache.name, cache)
        ctx.touched("ServerlessCache", cache.name)
        self._delete_in_background(scope, cache.name, final)
        return {"ServerlessCache": self.describe(scope, cache)}

    def _delete_in_background(self, scope: Scope, name: str, final: str | None) -> None:
        self.tasks.spawn(self._delete(scope, name, final), owner="elasticache", what=f"deleting serverless cache {name}",
                         on_failure=lambda error: self.events.record(
                             scope, name, "serverless-cache", Messages.DELETE_FAILED.format(what=f"serverless cache {name}",
                                                                                            reason=error)))

    async def _delete(self, scope: Scope, name: str, final: str | None) -> None:
        cache = self.state.serverless_caches.get(scope, name)
        if cache is None:
            return
        if final and not await self.snapshots.engine.take_final(scope, final, name, "serverless-cache"):
            cache.status = "available"
            self.state.serverless_caches.put(scope, name, cache)
            return
        if cache.engine == "memcached":
            cluster = self.state.cache_clusters.get(scope, cache.backing_id)
            if cluster is not None:
                cluster.status = "deleting"
                self.state.save_cluster(scope, cluster)
                await self.cache_clusters.destroy_cluster(scope, cluster.cluster_id)
        else:
            rg = self.state.replication_groups.get(scope, cache.backing_id)
            if rg is not None:
                with self.state.transaction():
                    rg.status = "deleting"
                    self.state.save_group(scope, rg)
                    self.replication_groups.members.set_status(scope, rg.member_clusters, "deleting")
                await self.replication_groups.destroy_group(scope, rg.replication_group_id)
        with self.state.transaction():
            self.snapshots.forget_automatic(scope, name)
            self.state.serverless_caches.delete(scope, name)
            self.events.record(scope, name, "serverless-cache", f"Serverless cache {name} deleted")

    def resume(self) -> None:
        """After a restart of regionbox: deletions are finished (a final snapshot still being
        taken is taken by its deletion)."""
        for scope, name, cache in list(self.state.serverless_caches.all()):
            if cache.status == "deleting":
                pending = next((s.name for s in self.state.serverless_snapshots.values(scope)
                                if s.status == "creating" and s.serverless_cache == name), None)
                self._delete_in_background(scope, name, pending)
            elif cache.status == "modifying":
                self._applied(scope, name)
