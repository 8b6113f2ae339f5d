"""Failover: the engine's events drive roles, endpoints and recovery.

When a primary's process dies (crash, kill, AZ outage) and automatic failover is enabled, the
replica with the least replication lag (largest offset) is promoted, the other replicas follow
it, the stable endpoints move to it, and AWS's events are recorded. The dead node is told to
come back as a replica of the new primary, so when it restarts (at once after a crash, or when
its AZ is restored) it is the replacement replica. TestFailover does the same on purpose, after
letting the chosen replica catch up so that no acknowledged write is lost (or, when it cannot
catch up in time, not at all: the failover is reported aborted). What any member that died comes
back with is decided in one place (``prepare_return``), whether it died under regionbox's eyes or
while regionbox itself was down (``bring_back``, after a restart).
"""

from __future__ import annotations

import asyncio
import logging

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.engines import Node
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.events import EventLog, Messages
from regionbox.services.elasticache.members import MemberClusters
from regionbox.services.elasticache.models import CacheCluster, NodeGroup, ReplicationGroup
from regionbox.services.elasticache.nodes import RedisNodes, node_key
from regionbox.services.elasticache.replication_groups import describe_group
from regionbox.services.elasticache.sharding import Sharding
from regionbox.services.elasticache.state import ElastiCacheState

log = logging.getLogger("regionbox.elasticache")

CATCH_UP_TIMEOUT = 5.0
RECOVERY_TIMEOUT = 60.0


class Failover:
    """TestFailover, and what engine events mean for a replication group's members: automatic
    failover of a primary that died, recovery of a node that comes back."""

    def __init__(self, state: ElastiCacheState, nodes: RedisNodes, members: MemberClusters, sharding: Sharding,
                 events: EventLog, tasks: Tasks) -> None:
        self.state = state
        self.nodes = nodes
        self.members = members
        self.sharding = sharding
        self.events = events
        self.tasks = tasks

    # -- engine events -----------------------------------------------------------------------------
    async def on_engine_event(self, node: Node, event: str) -> None:
        """The supervisor's listener: events of replication group members' nodes."""
        owner = self.state.node_owner.get(node.node_id)
        if owner is None:
            return
        scope, cluster_id = owner
        cluster = self.state.cache_clusters.get(scope, cluster_id)
        if cluster is not None and cluster.replication_group_id:
            await self.on_member_event(scope, cluster, node, event)

    def _set_member_status(self, scope: Scope, cluster: CacheCluster, status: str) -> None:
        cluster.status = "available" if status == "available" else "rebooting cluster nodes"
        cluster.nodes[0].status = status
        self.state.save_cluster(scope, cluster)

    async def on_member_event(self, scope, cluster: CacheCluster, node: Node, event: str) -> None:
        rg = self.state.replication_groups.get(scope, cluster.replication_group_id)
        if rg is None or rg.status in ("creating", "create-failed", "deleting"):
            return
        group = rg.node_group(cluster.node_group_id)
        if group is None or cluster.status == "creating":
            return  # a member being added: its first start is not a recovery
        node_id = cluster.nodes[0].node_id
        if event == "exited":
            self._set_member_status(scope, cluster, "rebooting")
            self.members.refresh_endpoints(scope, rg)
            if cluster.cluster_id == group.primary and rg.automatic_failover == "enabled":
                # Inline, not in the background: the supervisor restarts a crashed node only after
                # its listeners return, and the node must come back as a replica of the new
                # primary, never as an empty primary that its replicas would copy. It records
                # "Recovering cache nodes" after the failover events, in AWS's order.
                if await self.fail_over(scope, rg.replication_group_id, group.node_group_id, planned=False):
                    return
            self.events.record(scope, cluster.cluster_id, "cache-cluster", Messages.RECOVERING_NODES.format(nodes=node_id))
            await self.prepare_return(scope, rg, cluster)
        elif event == "started":
            self._set_member_status(scope, cluster, "available")
            if not node.adopted:  # a node adopted after a restart of regionbox never stopped
                self.events.record(scope, cluster.cluster_id, "cache-cluster", Messages.CACHE_NODE_RESTARTED.format(node=node_id))
            group_id, cluster_id = rg.replication_group_id, cluster.cluster_id
            self.tasks.spawn(self._rejoin(scope, group_id, cluster_id, node.adopted), owner="elasticache",
                             what=f"rejoining {cluster_id}", on_failure=lambda error: self._recovery_failed(scope, cluster_id, error))

    async def prepare_return(self, scope: Scope, rg: ReplicationGroup, cluster: CacheCluster) -> None:
        """What a member that died comes back with, decided before it starts again (rules, as on
        AWS, where a node keeps its data in memory only, ``RedisNodes.persistence`` aside):

        - a replica resyncs from its primary (its spec says replicaof the current primary);
        - a primary whose replicas run, with automatic failover, was replaced by one of them
          (``fail_over``) and is a replica now; without, it first copies the data from the replica
          with the least lag, then takes its role back (``_rejoin``): nothing is lost;
        - a primary with no replica running has no copy of its data anywhere: it comes back from
          its append-only file if it keeps one, else empty, and the event says the data is lost.
        """
        group = rg.node_group(cluster.node_group_id)
        if cluster.cluster_id != group.primary:
            return
        key = node_key(scope, cluster.cluster_id)
        source = await self._best_replica(scope, rg, group, exclude=cluster.cluster_id)
        node = self.nodes.node(scope, cluster.cluster_id)
        if source is not None and not rg.cluster_enabled:
            # A replica serves no copy while it waits for its own primary (NOMASTERLINK): the
            # source stops following the dead one for the time the copy takes.
            await self.nodes.command(scope, rg, source, "REPLICAOF", "NO", "ONE")
            self.state.resync_from[key] = source
            if node is not None:
                node.spec = self.nodes.spec(scope, rg, cluster, self.state.cache_clusters.get(scope, source))
        elif source is None and not self.nodes.persistence(scope, rg):
            self.nodes.forget_stale_data(self.nodes.data_dir(scope, cluster.cluster_id))
            self.state.losing_data.add(key)

    async def bring_back(self, scope: Scope, group_id: str, cluster_id: str) -> None:
        """After a restart of regionbox: a member whose node died while regionbox was down comes
        back as one that died under its eyes would (``prepare_return``); its survivors run already."""
        rg = self.state.replication_groups.get(scope, group_id)
        cluster = self.state.cache_clusters.get(scope, cluster_id)
        if rg is None or cluster is None:
            return
        group = rg.node_group(cluster.node_group_id)
        # AWS's order, as for a node that dies under regionbox's eyes: the failover, then "Recovering".
        if not (cluster_id == group.primary and rg.automatic_failover == "enabled"
                and await self.fail_over(scope, group_id, group.node_group_id, planned=False)):
            self.events.record(scope, cluster_id, "cache-cluster", Messages.RECOVERING_NODES.format(nodes=cluster.nodes[0].node_id))
        rg = self.state.replication_groups.get(scope, group_id)
        group = rg.node_group(cluster.node_group_id)
        await self.prepare_return(scope, rg, cluster)
        source = self.state.resync_from.get(node_key(scope, cluster_id))
        primary = source if source is not None else (None if group.primary == cluster_id else group.primary)
        await self.members.start_member(scope, rg, cluster, primary=primary)

    async def _rejoin(self, scope, group_id: str, cluster_id: str, adopted: bool = False) -> None:
        """A node back from a crash or an outage (or adopted after a restart of regionbox): make
        sure it follows the current primary, or, a primary that copied its data from a replica,
        give it its role back."""
        key = node_key(scope, cluster_id)
        async with self.state.lock(scope, group_id):
            rg = self.state.replication_groups.get(scope, group_id)
            cluster = self.state.cache_clusters.get(scope, cluster_id)
            if rg is None or cluster is None:
                return
            group = rg.node_group(cluster.node_group_id)
            source = self.state.resync_from.pop(key, None)
            if not rg.cluster_enabled and group.primary != cluster_id:
                primary = self.state.cache_clusters.get(scope, group.primary)
                if self.nodes.running_address(scope, group.primary):
                    await self.nodes.command(scope, rg, cluster_id, "REPLICAOF", primary.nodes[0].address, str(primary.nodes[0].port))
            elif not rg.cluster_enabled and not self.nodes.running_address(scope, cluster_id):
                return
            elif source is not None and not rg.cluster_enabled:
                await self._take_role_back(scope, rg, group, source, cluster_id)
            if adopted:
                # Changes whose engine part a crash of regionbox cut short reach the node now.
                failures = await self.nodes.reload_acl(scope, rg)
                if failures:
                    raise RuntimeError(f"the nodes did not load their users: {'; '.join(failures)}")
                await self.nodes.apply_parameter_group(scope, cluster_id)
            if rg.cluster_enabled:
                await self.sharding.sync_cluster_roles(scope, rg)
            self.members.refresh_endpoints(scope, rg)
        if key in self.state.losing_data:
            self.state.losing_data.discard(key)
            self.events.record(scope, cluster_id, "cache-cluster", Messages.DATA_LOST.format(node=cluster.nodes[0].node_id))
        if not adopted:
            # Back and following the primary: for a failed primary this is the replacement replica.
            self.events.record(scope, cluster_id, "cache-cluster", Messages.FINISHED_RECOVERY.format(nodes=cluster.nodes[0].node_id))

    async def _take_role_back(self, scope: Scope, rg: ReplicationGroup, group: NodeGroup, source: str, cluster_id: str) -> None:
        """A primary that came back as a replica of ``source`` to copy its data: once in sync,
        the primary again, with the others following it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RECOVERY_TIMEOUT
        while True:
            info = await self.nodes.command(scope, rg, cluster_id, "INFO", "replication")
            if info.get("role") == "slave" and info.get("master_link_status") == "up":
                break
            if loop.time() >= deadline:
                raise TimeoutError(f"{cluster_id} did not copy the data of {source} within {RECOVERY_TIMEOUT:.0f} seconds")
            await asyncio.sleep(0.05)
        await self._promote_single(scope, rg, group, source, cluster_id, graceful=False)
        self._respec(scope, rg, group, cluster_id)

    def _respec(self, scope: Scope, rg: ReplicationGroup, group: NodeGroup, primary: str) -> None:
        """Restarts of the group's nodes (after a crash or an outage) come back in today's roles."""
        for cid in group.members:
            node = self.nodes.node(scope, cid)
            if node is not None:
                node.spec = self.nodes.spec(scope, rg, self.state.cache_clusters.get(scope, cid),
                                            None if cid == primary else self.state.cache_clusters.get(scope, primary))

    def _recovery_failed(self, scope: Scope, cluster_id: str, error: BaseException) -> None:
        """Rule: a node that came back but could not be made to follow the current primary (it died
        again, or never replicated) is shown, as AWS shows a failed node replacement: an event."""
        cluster = self.state.cache_clusters.get(scope, cluster_id)
        node_id = cluster.nodes[0].node_id if cluster is not None else "0001"
        self.events.record(scope, cluster_id, "cache-cluster", Messages.RECOVERY_FAILED.format(nodes=node_id, reason=error))

    # -- choosing and promoting ---------------------------------------------------------------------
    async def _best_replica(self, scope, rg: ReplicationGroup, group: NodeGroup, exclude: str | None) -> str | None:
        candidates = [cid for cid in group.members if cid != exclude and cid != group.primary and self.nodes.running_address(scope, cid)]
        if not candidates:
            return None
        offsets = await asyncio.gather(*(self.nodes.replication_offset(scope, rg, cid) for cid in candidates))
        best = max(zip(offsets, candidates), key=lambda pair: pair[0])
        return best[1] if best[0] >= 0 else None

    async def fail_over(self, scope, group_id: str, node_group_id: str, planned: bool, target: str | None = None) -> bool:
        """Promote a replica of ``node_group_id``; True when a new primary took over."""
        async with self.state.lock(scope, group_id):
            rg = self.state.replication_groups.get(scope, group_id)
            if rg is None:
                return False
            group = rg.node_group(node_group_id)
            old = group.primary
            if not planned and self.nodes.running_address(scope, old):
                return False  # the primary came back before we got here
            new = target or await self._best_replica(scope, rg, group, exclude=old)
            if new is None:
                # Unplanned, the node is restarted in place ("Recovering cache nodes"); planned, say why nothing happened.
                if planned:
                    self.events.record(scope, group_id, "replication-group", Messages.FAILOVER_FAILED.format(
                        node_group=node_group_id, reason="no replica is available to promote"))
                return False
            old_alive = self.nodes.running_address(scope, old) is not None
            if rg.cluster_enabled:
                await self.sharding.cluster_promote(scope, rg, new, graceful=planned and old_alive)
            elif not await self._promote_single(scope, rg, group, old, new, old_alive and planned):
                self.events.record(scope, group_id, "replication-group",
                                   Messages.FAILOVER_ABORTED.format(old=old, new=new, seconds=int(CATCH_UP_TIMEOUT)))
                return False
            # AWS's sequence: the failover on the cache cluster that lost the primary role and on
            # the group, then the old primary's recovery as a replica (both for TestFailover and
            # for a primary that failed).
            completed = Messages.FAILOVER_COMPLETED.format(old=old, new=new)
            old_node_id = self.state.cache_clusters.get(scope, old).nodes[0].node_id
            with self.state.transaction():
                group.primary = new
                for cid in group.members:
                    cluster = self.state.cache_clusters.get(scope, cid)
                    cluster.role = "primary" if cid == new else "replica"
                    self.state.save_cluster(scope, cluster)
                self.state.save_group(scope, rg)
                self.events.record(scope, old, "cache-cluster", completed)
                self.events.record(scope, group_id, "replication-group", completed)
                self.events.record(scope, old, "cache-cluster", Messages.RECOVERING_NODES.format(nodes=old_node_id))
            self.members.refresh_endpoints(scope, rg)
            if old_alive:
                self.tasks.spawn(self._finish_recovery(scope, rg, old, new), owner="elasticache", what=f"recovery of {old}",
                                 on_failure=lambda error: self._recovery_failed(scope, old, error))
            # Restarts of the old primary (after a crash or an outage) must come back as a replica.
            self._respec(scope, rg, group, new)
            return True

    async def _finish_recovery(self, scope, rg: ReplicationGroup, old: str, new: str) -> None:
        """After TestFailover: the old primary has recovered once it replicates from the new one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RECOVERY_TIMEOUT
        while loop.time() < deadline:
            try:
                info = await self.nodes.command(scope, rg, old, "INFO", "replication")
            except Exception:  # noqa: BLE001 - restarting or unreachable for a moment: ask again
                info = {}
            if info.get("role") == "slave" and info.get("master_link_status") == "up":
                break
            await asyncio.sleep(0.05)
        else:
            raise TimeoutError(f"{old} did not start replicating from {new} within {RECOVERY_TIMEOUT:.0f} seconds")
        cluster = self.state.cache_clusters.get(scope, old)
        if cluster is not None:
            self.events.record(scope, old, "cache-cluster", Messages.FINISHED_RECOVERY.format(nodes=cluster.nodes[0].node_id))

    async def _promote_single(self, scope: Scope, rg: ReplicationGroup, group: NodeGroup, old: str, new: str,
                              graceful: bool) -> bool:
        """Make ``new`` the primary; False (nothing changed) when a graceful one could not catch up."""
        new_node = self.state.cache_clusters.get(scope, new).nodes[0]
        if graceful:
            # Stop writes on the old primary and let the new one catch up: nothing acknowledged is lost.
            # Rule: a replica that has not caught up within CATCH_UP_TIMEOUT is not promoted; the old
            # primary takes writes again and the failover is reported aborted (an event).
            await self.nodes.command(scope, rg, old, "CLIENT", "PAUSE", str(int(CATCH_UP_TIMEOUT * 1000)), "WRITE")
            if not await self._catch_up(scope, rg, old, new):
                await self.nodes.command(scope, rg, old, "CLIENT", "UNPAUSE")
                return False
        await self.nodes.move_primary_endpoint(scope, rg, old, new)
        upstream = self.state.global_upstream(scope, rg)
        if upstream is not None:
            # A global datastore's secondary: its new primary replicates from the primary region.
            await self.nodes.command(scope, rg, new, "REPLICAOF", upstream.nodes[0].address, str(upstream.nodes[0].port))
        else:
            await self.nodes.command(scope, rg, new, "REPLICAOF", "NO", "ONE")
        followers = [cid for cid in group.members if cid != new and self.nodes.running_address(scope, cid)]
        await asyncio.gather(*(self.nodes.command(scope, rg, cid, "REPLICAOF", new_node.address, str(new_node.port))
                               for cid in followers), return_exceptions=True)
        if graceful:
            # Clients still connected to the old primary reconnect through the primary endpoint.
            await asyncio.gather(self.nodes.command(scope, rg, old, "CLIENT", "KILL", "TYPE", "normal"),
                                 self.nodes.command(scope, rg, old, "CLIENT", "UNPAUSE"), return_exceptions=True)
        return True

    async def _catch_up(self, scope: Scope, rg: ReplicationGroup, old: str, new: str) -> bool:
        """Whether ``new`` has everything the (paused) old primary acknowledged."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CATCH_UP_TIMEOUT
        info = await self.nodes.command(scope, rg, old, "INFO", "replication")
        target = int(info.get("master_repl_offset", 0))
        while await self.nodes.replication_offset(scope, rg, new) < target:
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    # -- TestFailover --------------------------------------------------------------------------------
    def test_failover(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        rg = self.state.visible_group(scope, params["ReplicationGroupId"])
        node_group_id = params["NodeGroupId"]
        group = rg.node_group(node_group_id)
        if group is None:
            raise check.node_group_not_found(node_group_id, rg.replication_group_id)
        if rg.status != "available":
            raise check.group_not_available(rg.replication_group_id)
        if rg.automatic_failover != "enabled":
            raise ServiceError("InvalidReplicationGroupState",
                               f"Automatic failover is not enabled for replication group {rg.replication_group_id}.")
        if len(group.members) < 2:
            raise check.invalid_combination(f"Node group {node_group_id} has no replica to fail over to.")
        group_id = rg.replication_group_id
        self.events.record(scope, group_id, "replication-group", Messages.TEST_FAILOVER.format(node_group=node_group_id))
        self.tasks.spawn(self.fail_over(scope, group_id, node_group_id, planned=True), owner="elasticache",
                         what=f"test failover of {group_id}/{node_group_id}",
                         on_failure=lambda error: self.events.record(
                             scope, group_id, "replication-group", Messages.FAILOVER_FAILED.format(node_group=node_group_id, reason=error)))
        return {"ReplicationGroup": describe_group(self.state, scope, rg)}
