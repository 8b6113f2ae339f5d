"""Failover: the engine's events drive roles, endpoints and recovery.

When a primary's process dies (crash, kill, AZ outage) and automatic failover is enabled, the
replica with the least replication lag (largest offset) is promoted, the other replicas follow
it, the stable endpoints move to it, and AWS's events are recorded. The dead node is told to
come back as a replica of the new primary, so when it restarts (at once after a crash, or when
its AZ is restored) it is the replacement replica. TestFailover does the same on purpose, after
letting the chosen replica catch up so that no acknowledged write is lost.
"""

from __future__ import annotations

import asyncio
import logging

from regionbox.core.errors import ServiceError
from regionbox.engines import Node
from regionbox.services.elasticache.events import Messages
from regionbox.services.elasticache.models import CacheCluster, NodeGroup, ReplicationGroup

log = logging.getLogger("regionbox.elasticache")

CATCH_UP_TIMEOUT = 5.0
RECOVERY_TIMEOUT = 60.0


class FailoverMixin:
    # -- endpoints ----------------------------------------------------------------------------
    def running_address(self, scope, cluster_id: str | None) -> tuple[str, int] | None:
        node = self.redis.node(scope, cluster_id) if cluster_id else None
        return (node.address, node.port) if node is not None and node.running else None

    def refresh_endpoints(self, scope, rg: ReplicationGroup) -> None:
        """Point the stable endpoints at the nodes that hold each role now."""
        if rg.cluster_enabled:
            if rg.config_address:
                targets = [t for cid in rg.member_clusters if (t := self.running_address(scope, cid))]
                self.open_endpoint(rg.config_address, rg.config_port or rg.port, targets)
            return
        group = rg.node_groups[0]
        primary = self.running_address(scope, group.primary)
        replicas = [t for cid in group.members if cid != group.primary and (t := self.running_address(scope, cid))]
        if rg.primary_address and not self.redis.primary_binds_endpoint(rg):
            self.open_endpoint(rg.primary_address, rg.primary_port or rg.port, [primary] if primary else [])
        if rg.reader_address:
            # As on AWS, the reader endpoint reaches the primary when there is no replica.
            self.open_endpoint(rg.reader_address, rg.reader_port or rg.port, replicas or ([primary] if primary else []))

    # -- engine events -----------------------------------------------------------------------------
    def _set_member_status(self, scope, cluster: CacheCluster, status: str) -> None:
        cluster.status = "available" if status == "available" else "rebooting cluster nodes"
        cluster.nodes[0].status = status
        self.clusters.put(scope, cluster.cluster_id, cluster)

    async def on_member_event(self, scope, cluster: CacheCluster, node: Node, event: str) -> None:
        rg = self.groups.get(scope, cluster.replication_group_id)
        if rg is None or rg.status in ("creating", "deleting"):
            return
        group = rg.node_group(cluster.node_group_id)
        if group is None or cluster.status == "creating":
            return  # a member being added: its first start is not a recovery
        node_id = cluster.nodes[0].node_id
        if event == "exited":
            self._set_member_status(scope, cluster, "rebooting")
            self.refresh_endpoints(scope, rg)
            if cluster.cluster_id == group.primary and rg.automatic_failover == "enabled":
                # Inline, not in the background: the supervisor restarts a crashed node only after
                # its listeners return, and the node must come back as a replica of the new
                # primary, never as an empty primary that its replicas would copy. It records
                # "Recovering cache nodes" after the failover events, in AWS's order.
                if await self.fail_over(scope, rg.replication_group_id, group.node_group_id, planned=False):
                    return
            self.event(scope, cluster.cluster_id, "cache-cluster", Messages.RECOVERING_NODES.format(nodes=node_id))
        elif event == "started":
            self._set_member_status(scope, cluster, "available")
            self.event(scope, cluster.cluster_id, "cache-cluster", Messages.CACHE_NODE_RESTARTED.format(node=node_id))
            self.background(self._rejoin(scope, rg.replication_group_id, cluster.cluster_id), f"rejoining {cluster.cluster_id}")

    async def _rejoin(self, scope, group_id: str, cluster_id: str) -> None:
        """A node back from a crash or an outage: make sure it follows the current primary."""
        async with self.lock(scope, group_id):
            rg = self.groups.get(scope, group_id)
            cluster = self.clusters.get(scope, cluster_id)
            if rg is None or cluster is None:
                return
            group = rg.node_group(cluster.node_group_id)
            if not rg.cluster_enabled and group.primary != cluster_id:
                primary = self.clusters.get(scope, group.primary)
                if self.running_address(scope, group.primary):
                    await self.redis.command(scope, rg, cluster_id, "REPLICAOF", primary.nodes[0].address, str(primary.nodes[0].port))
            elif not rg.cluster_enabled and group.primary == cluster_id and not self.running_address(scope, cluster_id):
                return
            if rg.cluster_enabled:
                await self.sync_cluster_roles(scope, rg)
            self.refresh_endpoints(scope, rg)
        # Back and following the primary: for a failed primary this is the replacement replica.
        self.event(scope, cluster_id, "cache-cluster", Messages.FINISHED_RECOVERY.format(nodes=cluster.nodes[0].node_id))

    # -- choosing and promoting ---------------------------------------------------------------------
    async def _best_replica(self, scope, rg: ReplicationGroup, group: NodeGroup, exclude: str | None) -> str | None:
        candidates = [cid for cid in group.members if cid != exclude and cid != group.primary and self.running_address(scope, cid)]
        if not candidates:
            return None
        offsets = await asyncio.gather(*(self.redis.replication_offset(scope, rg, cid) for cid in candidates))
        best = max(zip(offsets, candidates), key=lambda pair: pair[0])
        return best[1] if best[0] >= 0 else None

    async def fail_over(self, scope, group_id: str, node_group_id: str, planned: bool, target: str | None = None) -> bool:
        """Promote a replica of ``node_group_id``; True when a new primary took over."""
        async with self.lock(scope, group_id):
            rg = self.groups.get(scope, group_id)
            if rg is None:
                return False
            group = rg.node_group(node_group_id)
            old = group.primary
            if not planned and self.running_address(scope, old):
                return False  # the primary came back before we got here
            new = target or await self._best_replica(scope, rg, group, exclude=old)
            if new is None:
                log.warning("no replica to promote in %s/%s", group_id, node_group_id)
                return False
            old_alive = self.running_address(scope, old) is not None
            if rg.cluster_enabled:
                await self.cluster_promote(scope, rg, new, graceful=planned and old_alive)
            else:
                await self._promote_single(scope, rg, group, old, new, old_alive and planned)
            group.primary = new
            for cid in group.members:
                cluster = self.clusters.get(scope, cid)
                cluster.role = "primary" if cid == new else "replica"
                self.clusters.put(scope, cid, cluster)
            self.save_group(scope, rg)
            self.refresh_endpoints(scope, rg)
            # AWS's sequence: the failover on the cache cluster that lost the primary role and on
            # the group, then the old primary's recovery as a replica (both for TestFailover and
            # for a primary that failed).
            completed = Messages.FAILOVER_COMPLETED.format(old=old, new=new)
            self.event(scope, old, "cache-cluster", completed)
            self.event(scope, group_id, "replication-group", completed)
            old_node_id = self.clusters.get(scope, old).nodes[0].node_id
            self.event(scope, old, "cache-cluster", Messages.RECOVERING_NODES.format(nodes=old_node_id))
            if old_alive:
                self.background(self._finish_recovery(scope, rg, old, new), f"recovery of {old}")
            # Restarts of the old primary (after a crash or an outage) must come back as a replica.
            for cid in group.members:
                node = self.redis.node(scope, cid)
                if node is not None:
                    node.spec = self.redis.spec(scope, rg, self.clusters.get(scope, cid),
                                                None if cid == new else self.clusters.get(scope, new))
            return True

    async def _finish_recovery(self, scope, rg: ReplicationGroup, old: str, new: str) -> None:
        """After TestFailover: the old primary has recovered once it replicates from the new one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RECOVERY_TIMEOUT
        while loop.time() < deadline:
            try:
                info = await self.redis.command(scope, rg, old, "INFO", "replication")
            except Exception:  # noqa: BLE001 - restarting or unreachable for a moment: ask again
                info = {}
            if info.get("role") == "slave" and info.get("master_link_status") == "up":
                break
            await asyncio.sleep(0.05)
        else:
            log.warning("%s did not start replicating from %s", old, new)
            return
        cluster = self.clusters.get(scope, old)
        if cluster is not None:
            self.event(scope, old, "cache-cluster", Messages.FINISHED_RECOVERY.format(nodes=cluster.nodes[0].node_id))

    async def _promote_single(self, scope, rg: ReplicationGroup, group: NodeGroup, old: str, new: str, graceful: bool) -> None:
        new_node = self.clusters.get(scope, new).nodes[0]
        if graceful:
            # Stop writes on the old primary and let the new one catch up: nothing acknowledged is lost.
            await self.redis.command(scope, rg, old, "CLIENT", "PAUSE", str(int(CATCH_UP_TIMEOUT * 1000)), "WRITE")
            await self._catch_up(scope, rg, old, new)
        await self.redis.move_primary_endpoint(scope, rg, old, new)
        await self.redis.command(scope, rg, new, "REPLICAOF", "NO", "ONE")
        followers = [cid for cid in group.members if cid != new and self.running_address(scope, cid)]
        await asyncio.gather(*(self.redis.command(scope, rg, cid, "REPLICAOF", new_node.address, str(new_node.port))
                               for cid in followers), return_exceptions=True)
        if graceful:
            # Clients still connected to the old primary reconnect through the primary endpoint.
            await asyncio.gather(self.redis.command(scope, rg, old, "CLIENT", "KILL", "TYPE", "normal"),
                                 self.redis.command(scope, rg, old, "CLIENT", "UNPAUSE"), return_exceptions=True)

    async def _catch_up(self, scope, rg: ReplicationGroup, old: str, new: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CATCH_UP_TIMEOUT
        info = await self.redis.command(scope, rg, old, "INFO", "replication")
        target = int(info.get("master_repl_offset", 0))
        while loop.time() < deadline and await self.redis.replication_offset(scope, rg, new) < target:
            await asyncio.sleep(0.01)

    # -- TestFailover --------------------------------------------------------------------------------
    async def test_failover(self, ctx, params: dict) -> dict:
        rg = self.get_group(ctx.scope, params["ReplicationGroupId"])
        node_group_id = params["NodeGroupId"]
        group = rg.node_group(node_group_id)
        if group is None:
            raise ServiceError("NodeGroupNotFoundFault", f"The node group {node_group_id} is not found in replication group "
                                                         f"{rg.replication_group_id}.", status=404)
        if rg.status != "available":
            raise ServiceError("InvalidReplicationGroupState",
                               f"Replication group {rg.replication_group_id} is not in available state.")
        if rg.automatic_failover != "enabled":
            raise ServiceError("InvalidReplicationGroupState",
                               f"Automatic failover is not enabled for replication group {rg.replication_group_id}.")
        if len(group.members) < 2:
            raise ServiceError("InvalidParameterCombination", f"Node group {node_group_id} has no replica to fail over to.")
        self.event(ctx.scope, rg.replication_group_id, "replication-group", Messages.TEST_FAILOVER.format(node_group=node_group_id))
        self.background(self.fail_over(ctx.scope, rg.replication_group_id, node_group_id, planned=True), "test failover")
        return {"ReplicationGroup": self.describe_group(ctx.scope, rg)}
