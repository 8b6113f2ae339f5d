"""ElastiCache's one state object: the stored collections and what lives only while it runs.

Built once in ``load()`` and handed to every handler. The collections keep the names they had
before the service kit (``elasticache.*``), so state directories from earlier versions load.
Lookups that answer AWS's not-found errors live here because every handler needs them.

Writes of one operation go through ``transaction()`` as one commit, so ``kill -9`` never leaves
half an operation behind. A transaction never spans an ``await``: the store's lock is per thread,
and every coroutine runs on the same thread, so another request's writes would join it.
"""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from regionbox.core.arns import arn
from regionbox.core.store import Scope, Store
from regionbox.services.elasticache import engine_catalog as catalog
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.models import (CACHE_CLUSTERS, EVENTS, GLOBAL_GROUPS, PARAMETER_GROUPS, REPLICATION_GROUPS,
                                                   RESERVED_NODES, SERVERLESS_CACHES, SERVERLESS_SNAPSHOTS, SNAPSHOTS, SUBNET_GROUPS,
                                                   UPDATE_ACTIONS, USER_GROUPS, USERS, CacheCluster, CacheParameterGroup,
                                                   CacheSubnetGroup, Event, GlobalReplicationGroup, NodeGroup, ReplicationGroup,
                                                   ReservedCacheNode, ServerlessCache, Snapshot, UpdateAction, User, UserGroup)

if TYPE_CHECKING:
    from regionbox.engines import EndpointProxy
    from regionbox.services.elasticache.memcached import ConfigurationEndpoint

DEFAULT_USER = "default"
DEFAULT_ACCESS = "on ~* +@all"


class ElastiCacheState:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.cache_clusters = store.collection(CACHE_CLUSTERS, CacheCluster)
        self.replication_groups = store.collection(REPLICATION_GROUPS, ReplicationGroup)
        self.users = store.collection(USERS, User)
        self.user_groups = store.collection(USER_GROUPS, UserGroup)
        self.subnet_groups = store.collection(SUBNET_GROUPS, CacheSubnetGroup)
        self.parameter_groups = store.collection(PARAMETER_GROUPS, CacheParameterGroup)
        self.events = store.collection(EVENTS, Event)
        self.snapshots = store.collection(SNAPSHOTS, Snapshot)
        self.serverless_caches = store.collection(SERVERLESS_CACHES, ServerlessCache)
        self.serverless_snapshots = store.collection(SERVERLESS_SNAPSHOTS, Snapshot)
        # Global datastores are account-wide: scope (account, "").
        self.global_groups = store.collection(GLOBAL_GROUPS, GlobalReplicationGroup)
        self.reserved_nodes = store.collection(RESERVED_NODES, ReservedCacheNode)
        self.update_actions = store.collection(UPDATE_ACTIONS, UpdateAction)
        # -- runtime only ------------------------------------------------------------------------
        # Engine node id -> (scope, member cluster id): engine events of replication group members.
        self.node_owner: dict[str, tuple[Scope, str]] = {}
        # Engine node id -> (scope, cluster id, cache node id): Memcached and single-node Redis.
        self.cache_node_owner: dict[str, tuple[Scope, str, str]] = {}
        # Stable endpoints by address: primary, reader and configuration endpoints of groups.
        self.endpoints: dict[tuple[str, int], "EndpointProxy"] = {}
        # Memcached configuration endpoints by (scope, cluster id).
        self.config_endpoints: dict[tuple[Scope, str], "ConfigurationEndpoint"] = {}
        self.locks: dict[tuple[Scope, str], asyncio.Lock] = {}
        # Engine node id -> what became of it while regionbox was down (the supervisor's claim):
        # "running" (adopted, data in memory), "died" (killed or crashed), "" (stopped cleanly).
        self.survival: dict[str, str] = {}
        # Engine node ids of nodes coming back without their data (no copy anywhere): the event says so.
        self.losing_data: set[str] = set()
        # Engine node id of a primary coming back -> the replica it copies its data from first.
        self.resync_from: dict[str, str] = {}
        # Engine node ids being replaced on purpose (a node type change): their exits are no failure.
        self.replacing: set[str] = set()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.store.transaction():
            yield

    def lock(self, scope: Scope, group_id: str) -> asyncio.Lock:
        """One control-plane change at a time per replication group (failover, resharding ...)."""
        return self.locks.setdefault((scope, group_id), asyncio.Lock())

    def forget_runtime(self) -> None:
        self.node_owner.clear()
        self.cache_node_owner.clear()
        self.endpoints.clear()
        self.config_endpoints.clear()
        self.locks.clear()
        self.survival.clear()
        self.losing_data.clear()
        self.resync_from.clear()
        self.replacing.clear()

    @staticmethod
    def arn(scope: Scope, resource: str) -> str:
        """The ARN of a resource made in the background, where there is no request context."""
        return arn("elasticache", scope[1], scope[0], resource)

    # -- lookups ---------------------------------------------------------------------------------
    def group(self, scope: Scope, group_id: str | None) -> ReplicationGroup:
        rg = self.replication_groups.get(scope, (group_id or "").lower())
        if rg is None:
            raise check.replication_group_not_found(group_id)
        return rg

    def cluster(self, scope: Scope, cluster_id: str | None) -> CacheCluster:
        cluster = self.cache_clusters.get(scope, (cluster_id or "").lower())
        if cluster is None:
            raise check.cache_cluster_not_found(cluster_id)
        return cluster

    def members(self, scope: Scope, rg: ReplicationGroup, node_group: NodeGroup | None = None) -> list[CacheCluster]:
        """The member clusters of a group (or of one of its node groups) that exist."""
        ids = node_group.members if node_group is not None else rg.member_clusters
        return [c for c in (self.cache_clusters.get(scope, cid) for cid in ids) if c is not None]

    def save_group(self, scope: Scope, rg: ReplicationGroup) -> None:
        rg.member_clusters = [cid for g in rg.node_groups for cid in g.members]
        self.replication_groups.put(scope, rg.replication_group_id, rg)

    def save_cluster(self, scope: Scope, cluster: CacheCluster) -> None:
        self.cache_clusters.put(scope, cluster.cluster_id, cluster)

    def builtin_default_user(self, scope: Scope) -> User:
        """AWS's user ``default`` (no password, full access) that every account has."""
        return User(user_id=DEFAULT_USER, user_name=DEFAULT_USER, arn=self.arn(scope, f"user:{DEFAULT_USER}"), engine="redis",
                    access_string=DEFAULT_ACCESS, authentication_type="no-password")

    def user(self, scope: Scope, user_id: str) -> User:
        user = self.users.get(scope, user_id)
        if user is None and user_id == DEFAULT_USER:
            return self.builtin_default_user(scope)
        if user is None:
            raise check.user_not_found(user_id)
        return user

    def user_group(self, scope: Scope, group_id: str) -> UserGroup:
        group = self.user_groups.get(scope, group_id)
        if group is None:
            raise check.user_group_not_found(group_id)
        return group

    def parameter_group(self, scope: Scope, name: str | None) -> CacheParameterGroup:
        """A user's group or a default one (built on the fly: defaults are not stored)."""
        name = name or ""
        group = self.parameter_groups.get(scope, name)
        if group is None and name.startswith("default."):
            family = name[len("default."):]
            if family in catalog.FAMILIES:
                group = CacheParameterGroup(name=name, arn=self.arn(scope, f"parametergroup:{name}"), family=family,
                                            description=f"Default parameter group for {family}")
        if group is None:
            raise check.parameter_group_not_found(name)
        return group

    def subnet_group(self, scope: Scope, name: str) -> CacheSubnetGroup:
        group = self.subnet_groups.get(scope, (name or "").lower())
        if group is None:
            raise check.subnet_group_not_found(name)
        return group

    def snapshot(self, scope: Scope, name: str | None) -> Snapshot:
        snapshot = self.snapshots.get(scope, name or "")
        if snapshot is None:
            raise check.snapshot_not_found(name)
        return snapshot

    def serverless_cache(self, scope: Scope, name: str | None) -> ServerlessCache:
        cache = self.serverless_caches.get(scope, (name or "").lower())
        if cache is None:
            raise check.serverless_cache_not_found(name)
        return cache

    def serverless_snapshot(self, scope: Scope, name: str | None) -> Snapshot:
        snapshot = self.serverless_snapshots.get(scope, name or "")
        if snapshot is None:
            raise check.serverless_snapshot_not_found(name)
        return snapshot

    def global_upstream(self, scope: Scope, rg: ReplicationGroup) -> CacheCluster | None:
        """The primary node (member cluster) of the global datastore's primary group, which the
        primary of a secondary group ``rg`` replicates from; None for any other group."""
        if rg.global_role != "secondary" or not rg.global_group_id:
            return None
        datastore = self.global_groups.get((scope[0], ""), rg.global_group_id)
        primary = next((m for m in datastore.members if m["Role"] == "PRIMARY"), None) if datastore else None
        if primary is None:
            return None
        primary_scope = (scope[0], primary["ReplicationGroupRegion"])
        primary_group = self.replication_groups.get(primary_scope, primary["ReplicationGroupId"])
        if primary_group is None:
            return None
        return self.cache_clusters.get(primary_scope, primary_group.node_groups[0].primary)

    def visible_groups(self, scope: Scope) -> list[ReplicationGroup]:
        """The replication groups DescribeReplicationGroups lists: not the ones behind serverless caches."""
        return [rg for rg in self.replication_groups.values(scope) if not rg.serverless_cache]

    def visible_group(self, scope: Scope, group_id: str | None) -> ReplicationGroup:
        """A replication group the caller may name (the one behind a serverless cache is not found)."""
        rg = self.group(scope, group_id)
        if rg.serverless_cache:
            raise check.replication_group_not_found(group_id)
        return rg

    def visible_cluster(self, scope: Scope, cluster_id: str | None) -> CacheCluster:
        cluster = self.cluster(scope, cluster_id)
        if self.hidden(scope, cluster):
            raise check.cache_cluster_not_found(cluster_id)
        return cluster

    def hidden(self, scope: Scope, cluster: CacheCluster) -> bool:
        """A node of a serverless cache: AWS shows no cluster for it."""
        if cluster.serverless_cache:
            return True
        if cluster.replication_group_id:
            rg = self.replication_groups.get(scope, cluster.replication_group_id)
            return rg is not None and bool(rg.serverless_cache)
        return False
