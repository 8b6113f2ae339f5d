"""The member clusters of replication groups on the data plane: their documents, their engine
processes and addresses, and the group's stable endpoints that follow the roles.

A member cluster has one node, an engine process on its own loopback address. The primary
endpoint is served by the primary itself where the host gives every node its own address (the
address moves with a failover), else by a proxy; reader and configuration endpoints are proxies
whose targets follow the roles (``refresh_endpoints``).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from regionbox.core import clock
from regionbox.core.store import Scope
from regionbox.services.elasticache.models import CacheCluster, CacheNode, ReplicationGroup
from regionbox.services.elasticache.nodes import RedisNodes, node_key
from regionbox.services.elasticache.state import ElastiCacheState

if TYPE_CHECKING:
    from regionbox.engines import ProxyHub, Supervisor

SYNC_TIMEOUT = 30.0


class ReplicaSyncTimeout(Exception):
    """Replicas that did not finish their first synchronisation with their primary in time."""

    def __init__(self, cluster_ids: list[str]) -> None:
        self.cluster_ids = cluster_ids
        super().__init__(f"replica {', '.join(cluster_ids)} did not synchronise with its primary within {SYNC_TIMEOUT:.0f} seconds")


class NodesNotServing(Exception):
    """Member clusters whose engine does not run (it failed to start, or its AZ went down)."""

    def __init__(self, cluster_ids: list[str]) -> None:
        self.cluster_ids = cluster_ids
        super().__init__(f"the node of {', '.join(cluster_ids)} is not running")


def endpoints_of(rg: ReplicationGroup) -> list[tuple[str, int]]:
    """The group's stable endpoints as (address, port)."""
    return [(address, port or rg.port) for address, port in ((rg.primary_address, rg.primary_port),
            (rg.reader_address, rg.reader_port), (rg.config_address, rg.config_port)) if address]


class MemberClusters:
    def __init__(self, state: ElastiCacheState, nodes: RedisNodes, supervisor: "Supervisor", proxies: "ProxyHub") -> None:
        self.state = state
        self.nodes = nodes
        self.supervisor = supervisor
        self.proxies = proxies

    # -- documents -----------------------------------------------------------------------------------
    def new_member(self, scope: Scope, rg: ReplicationGroup, cluster_id: str, zone: str, role: str,
                   node_group_id: str) -> CacheCluster:
        now = clock.epoch()
        cluster = CacheCluster(
            cluster_id=cluster_id, arn=self.state.arn(scope, f"cluster:{cluster_id}"), engine=rg.engine,
            engine_version=rg.engine_version, node_type=rg.node_type, created=now, zone=zone, port=rg.port,
            replication_group_id=rg.replication_group_id, role=role, node_group_id=node_group_id,
            parameter_group=rg.parameter_group, subnet_group=rg.subnet_group, security_group_ids=list(rg.security_group_ids),
            transit_encryption=rg.transit_encryption, at_rest_encryption=rg.at_rest_encryption,
            auth_token_enabled=rg.auth_token_enabled, snapshot_retention_limit=rg.snapshot_retention_limit,
            snapshot_window=rg.snapshot_window, preferred_maintenance_window=rg.preferred_maintenance_window,
            nodes=[CacheNode(node_id="0001", zone=zone, address="", port=rg.port, created=now)],
            tags=list(rg.tags),  # a group's tags are its member clusters' too
        )
        self.state.save_cluster(scope, cluster)
        return cluster

    @staticmethod
    def next_member_number(rg: ReplicationGroup, prefix: str) -> int:
        used = [int(cid.rsplit("-", 1)[1]) for cid in rg.member_clusters
                if cid.startswith(prefix) and cid.rsplit("-", 1)[1].isdigit()]
        return max(used, default=0) + 1

    def set_status(self, scope: Scope, cluster_ids: list[str], status: str, node_status: str | None = None) -> None:
        for cluster_id in cluster_ids:
            cluster = self.state.cache_clusters.get(scope, cluster_id)
            if cluster is not None:
                cluster.status = status
                cluster.nodes[0].status = node_status or status
                self.state.save_cluster(scope, cluster)

    # -- engines ----------------------------------------------------------------------------------------
    def allocate_addresses(self, scope: Scope, rg: ReplicationGroup) -> None:
        allocator = self.supervisor.allocator
        with self.state.transaction():
            for cluster_id in rg.member_clusters:
                cluster = self.state.cache_clusters.get(scope, cluster_id)
                node = cluster.nodes[0]
                if not node.address:
                    node.address, node.port = allocator.allocate(rg.port)
                    node.engine_node_key = node_key(scope, cluster_id)
                    self.state.save_cluster(scope, cluster)
            if rg.cluster_enabled:
                if not rg.config_address:
                    rg.config_address, rg.config_port = allocator.allocate(rg.port)
                if rg.serverless_cache and not rg.reader_address:
                    # A serverless cache's reader endpoint (port 6380 on AWS), to the replicas.
                    rg.reader_address, rg.reader_port = allocator.allocate(rg.port + 1)
            else:
                if not rg.primary_address:
                    rg.primary_address, rg.primary_port = allocator.allocate(rg.port)
                if not rg.reader_address:
                    rg.reader_address, rg.reader_port = allocator.allocate(rg.port)
            self.state.save_group(scope, rg)

    async def start_member(self, scope: Scope, rg: ReplicationGroup, cluster: CacheCluster, primary: str | None = "") -> None:
        """Start (or adopt) a member's node: a replica of its group's primary, or of ``primary``
        when given (None: it is a primary)."""
        group = rg.node_group(cluster.node_group_id)
        if primary == "":
            primary = group.primary if not rg.cluster_enabled and group.primary != cluster.cluster_id else None
        primary = self.state.cache_clusters.get(scope, primary) if primary and not rg.cluster_enabled else None
        self.state.node_owner[node_key(scope, cluster.cluster_id)] = (scope, cluster.cluster_id)
        # The primary of a global datastore's secondary group replicates from the datastore's primary.
        upstream = None
        if cluster.cluster_id == group.primary:
            source = self.state.global_upstream(scope, rg)
            upstream = (source.nodes[0].address, source.nodes[0].port) if source is not None else None
            if rg.migration_source:
                # An online migration: it replicates from the customer's Redis (migration.py).
                address, _, port = rg.migration_source.rpartition(":")
                upstream = (address, int(port))
        self.nodes.write_acl(scope, rg, cluster.cluster_id)
        await self.supervisor.start(self.nodes.spec(scope, rg, cluster, primary, upstream))

    async def stop_member(self, scope: Scope, cluster_id: str) -> None:
        """Stop a member's engine for good (its data goes). Its document is the caller's to delete,
        in the same transaction that takes it out of its group."""
        key = node_key(scope, cluster_id)
        self.state.node_owner.pop(key, None)
        await self.supervisor.stop(key, delete_data=True)

    def require_serving(self, scope: Scope, cluster_ids: list[str]) -> None:
        """A group is available only when its nodes serve: raise for members whose engine is not running."""
        down = [cid for cid in cluster_ids if not self.nodes.running_address(scope, cid)]
        if down:
            raise NodesNotServing(down)

    async def wait_replicas_synced(self, scope: Scope, rg: ReplicationGroup, cluster_ids: list[str] | None = None) -> None:
        """Wait until each replica reports its link to the primary up (first full sync done).

        Rule: a replica that has not synchronised within SYNC_TIMEOUT raises ReplicaSyncTimeout; it
        is never reported available. The caller decides what AWS would show (create-failed for a
        new group, the replicas removed again for IncreaseReplicaCount)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SYNC_TIMEOUT
        late = []
        for group in rg.node_groups:
            for cluster_id in group.members:
                if cluster_id == group.primary or (cluster_ids is not None and cluster_id not in cluster_ids):
                    continue
                while True:
                    try:
                        info = await self.nodes.command(scope, rg, cluster_id, "INFO", "replication")
                    except Exception:  # noqa: BLE001 - still starting
                        info = {}
                    if info.get("role") == "slave" and info.get("master_link_status") == "up":
                        break
                    if loop.time() >= deadline:
                        late.append(cluster_id)
                        break
                    await asyncio.sleep(0.02)
        if late:
            raise ReplicaSyncTimeout(late)

    # -- stable endpoints --------------------------------------------------------------------------
    def refresh_endpoints(self, scope: Scope, rg: ReplicationGroup) -> None:
        """Point the stable endpoints at the nodes that hold each role now."""
        running = self.nodes.running_address
        if rg.cluster_enabled:
            if rg.config_address:
                targets = [t for cid in rg.member_clusters if (t := running(scope, cid))]
                self.open_endpoint(rg.config_address, rg.config_port or rg.port, targets)
            if rg.reader_address:
                primaries = {g.primary for g in rg.node_groups}
                replicas = [t for cid in rg.member_clusters if cid not in primaries and (t := running(scope, cid))]
                self.open_endpoint(rg.reader_address, rg.reader_port or rg.port,
                                   replicas or [t for cid in primaries if (t := running(scope, cid))])
            return
        group = rg.node_groups[0]
        primary = running(scope, group.primary)
        replicas = [t for cid in group.members if cid != group.primary and (t := running(scope, cid))]
        if rg.primary_address and not self.nodes.primary_binds_endpoint(rg):
            self.open_endpoint(rg.primary_address, rg.primary_port or rg.port, [primary] if primary else [])
        if rg.reader_address:
            # As on AWS, the reader endpoint reaches the primary when there is no replica.
            self.open_endpoint(rg.reader_address, rg.reader_port or rg.port, replicas or ([primary] if primary else []))

    def open_endpoint(self, address: str, port: int, targets: list[tuple[str, int]]) -> None:
        proxy = self.state.endpoints.get((address, port))
        if proxy is None:
            self.state.endpoints[(address, port)] = self.proxies.open(address, port, targets)
        else:
            proxy.set_targets(targets)

    def close_endpoints(self, rg: ReplicationGroup) -> None:
        for address, port in endpoints_of(rg):
            proxy = self.state.endpoints.pop((address, port), None)
            if proxy is not None:
                proxy.close()
            # Also an endpoint served by a node itself (the primary endpoint): the address is free again.
            self.supervisor.allocator.release(address, port)

    def close_all_endpoints(self) -> None:
        """The cloud stops or resets: no endpoint keeps listening (addresses stay reserved in state)."""
        for proxy in list(self.state.endpoints.values()):
            proxy.close()
        self.state.endpoints.clear()
