"""ElastiCache: Redis/Valkey replication groups and Memcached clusters on real engine processes.

The provider is composed from one mixin per resource (replication groups, failover, cluster
mode, users, cache clusters, parameter/subnet groups, events). This module holds what they
share: the collections, the engine supervisor, the endpoint proxies, background work, and the
restore of every node after a restart of regionbox.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Coroutine

from regionbox.core.arns import arn
from regionbox.engines import EndpointProxy, Node, kinds
from regionbox.services.base import Provider
from regionbox.services.elasticache.cache_clusters import CacheClustersMixin
from regionbox.services.elasticache.cluster import ClusterModeMixin
from regionbox.services.elasticache.events import EventsMixin, record_event
from regionbox.services.elasticache.failover import FailoverMixin
from regionbox.services.elasticache.groups import GroupsMixin
from regionbox.services.elasticache.modify import ModifyMixin
from regionbox.services.elasticache.models import (CACHE_CLUSTERS, REPLICATION_GROUPS, USER_GROUPS, USERS, CacheCluster,
                                                   ReplicationGroup, User, UserGroup)
from regionbox.services.elasticache.nodes import RedisNodes
from regionbox.services.elasticache.replication_groups import ReplicationGroupsMixin
from regionbox.services.elasticache.users import UsersMixin

log = logging.getLogger("regionbox.elasticache")


class ElastiCacheProvider(ReplicationGroupsMixin, ModifyMixin, FailoverMixin, ClusterModeMixin, UsersMixin, CacheClustersMixin,
                          GroupsMixin, EventsMixin, Provider):
    service = "elasticache"

    def __init__(self, cloud) -> None:
        super().__init__(cloud)
        self.clusters = self.store.collection(CACHE_CLUSTERS, CacheCluster)
        self.groups = self.store.collection(REPLICATION_GROUPS, ReplicationGroup)
        self.users = self.store.collection(USERS, User)
        self.user_groups = self.store.collection(USER_GROUPS, UserGroup)
        self.supervisor = cloud.supervisor
        # Where this service's nodes keep their data: <state>/engines/elasticache/<node key>.
        self.engine_root = cloud.supervisor.root / "elasticache"
        self.supervisor.listen(self._on_engine_event)
        self.ca = cloud.ca
        self.redis = RedisNodes(self)
        self.proxies = cloud.proxies
        # Stable endpoints by address: primary, reader and configuration endpoints of groups.
        self.endpoints: dict[tuple[str, int], EndpointProxy] = {}
        # Engine node id -> (scope, cache cluster id), to route engine events to their resource.
        self.node_owner: dict[str, tuple[tuple[str, str], str]] = {}
        self._tasks: set[asyncio.Task] = set()
        self._locks: dict[tuple, asyncio.Lock] = {}

    # -- shared helpers -------------------------------------------------------------------------
    def arn(self, ctx_or_scope, resource: str) -> str:
        scope = ctx_or_scope if isinstance(ctx_or_scope, tuple) else ctx_or_scope.scope
        return arn("elasticache", scope[1], scope[0], resource)

    def event(self, scope, source_id: str, source_type: str, message: str) -> None:
        record_event(self, scope, source_id, source_type, message)

    def background(self, coroutine: Coroutine[Any, Any, Any], what: str) -> asyncio.Task:
        """Run slow work (starting engines, migrating slots) after the API call has answered."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)

        def done(t: asyncio.Task) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("%s failed", what, exc_info=t.exception())

        task.add_done_callback(done)
        return task

    def lock(self, scope, group_id: str) -> asyncio.Lock:
        """One control-plane change at a time per replication group (failover, resharding ...)."""
        return self._locks.setdefault((scope, group_id), asyncio.Lock())

    def open_endpoint(self, address: str, port: int, targets: list[tuple[str, int]]) -> None:
        proxy = self.endpoints.get((address, port))
        if proxy is None:
            self.endpoints[(address, port)] = self.proxies.open(address, port, targets)
        else:
            proxy.set_targets(targets)

    def close_endpoint(self, address: str | None, port: int) -> None:
        if not address:
            return
        proxy = self.endpoints.pop((address, port), None)
        if proxy is not None:
            proxy.close()
        # Also an endpoint served by a node itself (the primary endpoint): the address is free again.
        self.supervisor.allocator.release(address, port)

    async def _on_engine_event(self, node: Node, event: str) -> None:
        owner = self.node_owner.get(node.node_id)
        if owner is None:
            return
        scope, cluster_id = owner
        cluster = self.clusters.get(scope, cluster_id)
        if cluster is not None and cluster.replication_group_id:
            await self.on_member_event(scope, cluster, node, event)

    # -- lifecycle ------------------------------------------------------------------------------
    def engines(self) -> dict[str, str]:
        found = {}
        for engine in ("redis", "valkey", "memcached"):
            found[f"elasticache.{engine}"] = kinds.describe(engine)
        # TLS clients trust this CA (TransitEncryptionEnabled): `regionbox status` prints where it is.
        found["elasticache.tls-ca"] = f"local CA certificate {self.ca.cert_path} (printed by: regionbox elasticache ca-cert)"
        return found

    async def start(self) -> None:
        """Bring back every replication group's nodes and endpoints after a restart."""
        # The CA exists from the start, so `regionbox elasticache ca-cert` can print it before the
        # first TLS cluster is created (clients configure their trust store once).
        self.ca.ensure()
        for scope, _, rg in list(self.groups.all()):
            self.background(self.restore_group(scope, rg), f"restoring {rg.replication_group_id}")
        await self.restore_cache_clusters()

    async def _cancel_tasks(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    def _close_endpoints(self) -> None:
        for proxy in list(self.endpoints.values()):
            proxy.close()
        self.endpoints.clear()
        self.close_configuration_endpoints()

    async def stop(self) -> None:
        await self._cancel_tasks()
        self._close_endpoints()

    async def reset(self) -> None:
        await self._cancel_tasks()
        self._close_endpoints()
        self.node_owner.clear()
        self._locks.clear()
