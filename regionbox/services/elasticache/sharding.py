"""Sharding (cluster mode enabled): 16384 hash slots over node groups of real cluster-enabled nodes.

Nodes are joined with CLUSTER MEET, primaries get their slots with CLUSTER ADDSLOTSRANGE and
replicas attach with CLUSTER REPLICATE; each node announces its own loopback address, so
CLUSTER SLOTS / SHARDS, MOVED and ASK send clients to node endpoints they can reach, and
redis-py's RedisCluster works from the configuration endpoint.

Online resharding (ModifyReplicationGroupShardConfiguration) moves slots with the engine's own
migration (``slot_migration.py``: IMPORTING/MIGRATING and MIGRATE key by key), so clients keep
working through MOVED/ASK while slots move.
"""

from __future__ import annotations

import asyncio
import logging

from regionbox.core.context import RequestContext
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.events import EventLog, Messages
from regionbox.services.elasticache.members import MemberClusters
from regionbox.services.elasticache.models import NodeGroup, ReplicationGroup
from regionbox.services.elasticache.nodes import RedisNodes
from regionbox.services.elasticache.placement import Placement
from regionbox.services.elasticache.replication_groups import describe_group
from regionbox.services.elasticache.slot_migration import SlotMigration, rebalance_plan
from regionbox.services.elasticache.state import ElastiCacheState

log = logging.getLogger("regionbox.elasticache")

JOIN_TIMEOUT = 30.0


class Sharding:
    """The cluster bus of cluster-mode groups (joining, promoting, reading who owns which slots),
    used by creation, replica counts and failover; and ModifyReplicationGroupShardConfiguration."""

    def __init__(self, state: ElastiCacheState, nodes: RedisNodes, members: MemberClusters, placement: Placement,
                 slots: SlotMigration, events: EventLog, tasks: Tasks) -> None:
        self.state = state
        self.nodes = nodes
        self.members = members
        self.slots = slots
        self.placement = placement
        self.events = events
        self.tasks = tasks

    # -- talking to the cluster --------------------------------------------------------------------
    async def _node_id(self, scope, rg: ReplicationGroup, cluster_id: str) -> str:
        return await self.nodes.command(scope, rg, cluster_id, "CLUSTER", "MYID")

    async def _cluster_info(self, scope, rg: ReplicationGroup, cluster_id: str) -> dict[str, str]:
        text = await self.nodes.command(scope, rg, cluster_id, "CLUSTER", "INFO")
        return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)

    async def _cluster_nodes_of(self, scope, rg: ReplicationGroup, cluster_id: str) -> list[dict]:
        return parse_cluster_nodes(await self.nodes.command(scope, rg, cluster_id, "CLUSTER", "NODES"))

    async def cluster_nodes(self, scope, rg: ReplicationGroup) -> list[dict]:
        """CLUSTER NODES from the first node that answers."""
        for cluster_id in rg.member_clusters:
            if self.nodes.running_address(scope, cluster_id):
                try:
                    return await self._cluster_nodes_of(scope, rg, cluster_id)
                except Exception:  # noqa: BLE001 - ask the next node
                    continue
        return []

    async def _wait(self, what: str, predicate, timeout: float = JOIN_TIMEOUT) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not await predicate():
            if loop.time() > deadline:
                raise TimeoutError(f"cluster did not converge: {what}")
            await asyncio.sleep(0.05)

    async def _meet(self, scope, rg: ReplicationGroup, via: str, cluster_ids: list[str]) -> None:
        for cluster_id in cluster_ids:
            node = self.state.cache_clusters.get(scope, cluster_id).nodes[0]
            await self.nodes.command(scope, rg, via, "CLUSTER", "MEET", node.address, str(node.port))

        async def everyone_known() -> bool:
            counts = await asyncio.gather(*(self._cluster_info(scope, rg, cid) for cid in [via, *cluster_ids]),
                                          return_exceptions=True)
            wanted = len(set([via, *cluster_ids]))
            return all(not isinstance(c, BaseException) and int(c.get("cluster_known_nodes", 0)) >= wanted for c in counts)

        await self._wait("nodes meeting", everyone_known)

    async def _replicate(self, scope, rg: ReplicationGroup, replicas: list[str]) -> None:
        for cluster_id in replicas:
            group = rg.node_group(self.state.cache_clusters.get(scope, cluster_id).node_group_id)
            primary_id = await self._node_id(scope, rg, group.primary)

            async def knows_primary(cid=cluster_id, pid=primary_id) -> bool:
                nodes = await self._cluster_nodes_of(scope, rg, cid)
                return any(n["id"] == pid and "master" in n["flags"] for n in nodes)

            await self._wait(f"{cluster_id} learning its primary", knows_primary)
            await self.nodes.command(scope, rg, cluster_id, "CLUSTER", "REPLICATE", primary_id)

    async def _wait_consistent(self, scope, rg: ReplicationGroup) -> None:
        """Until every running node has the same view of nodes and slots (gossip has spread)."""
        async def agreed() -> bool:
            running = [cid for cid in rg.member_clusters if self.nodes.running_address(scope, cid)]
            views = await asyncio.gather(*(self._cluster_nodes_of(scope, rg, cid) for cid in running), return_exceptions=True)
            if any(isinstance(v, BaseException) for v in views):
                return False
            signatures = {tuple(sorted((n["id"], n["master"], tuple(n["slots"])) for n in view
                                       if "fail" not in n["flags"] and "handshake" not in n["flags"])) for view in views}
            return len(signatures) == 1 and all(len(v) >= len(running) for v in views)

        await self._wait("nodes agreeing on the configuration", agreed)

    async def _wait_ok(self, scope, rg: ReplicationGroup) -> None:
        async def all_ok() -> bool:
            infos = await asyncio.gather(*(self._cluster_info(scope, rg, cid) for cid in rg.member_clusters
                                           if self.nodes.running_address(scope, cid)), return_exceptions=True)
            # With cluster-require-full-coverage off a node says "ok" before it knows every slot's owner.
            return all(not isinstance(i, BaseException) and i.get("cluster_state") == "ok"
                       and i.get("cluster_slots_assigned") == "16384" for i in infos)

        await self._wait("cluster state ok", all_ok)

    # -- creation -------------------------------------------------------------------------------
    async def bootstrap_cluster(self, scope, rg: ReplicationGroup) -> None:
        first = rg.node_groups[0].primary
        await self._meet(scope, rg, first, [cid for cid in rg.member_clusters if cid != first])
        for group in rg.node_groups:
            ranges = [str(v) for low, high in check.parse_slots(group.slots) for v in (low, high)]
            await self.nodes.command(scope, rg, group.primary, "CLUSTER", "ADDSLOTSRANGE", *ranges)
        await self._replicate(scope, rg, [cid for g in rg.node_groups for cid in g.members if cid != g.primary])
        await self._wait_ok(scope, rg)
        # Every node must know every replica before clients ask any of them for CLUSTER SLOTS.
        await self._wait_consistent(scope, rg)

    async def join_replicas(self, scope, rg: ReplicationGroup, added: list[str]) -> None:
        via = next(cid for cid in rg.member_clusters if cid not in added and self.nodes.running_address(scope, cid))
        await self._meet(scope, rg, via, added)
        await self._replicate(scope, rg, added)
        await self._wait_consistent(scope, rg)

    async def forget_nodes(self, scope, rg: ReplicationGroup, removed: list[str]) -> None:
        ids = []
        for cluster_id in removed:
            try:
                ids.append(await self._node_id(scope, rg, cluster_id))
            except Exception:  # noqa: BLE001 - a dead node is forgotten by address below
                pass
        staying = [cid for cid in rg.member_clusters if cid not in removed and self.nodes.running_address(scope, cid)]
        for node_id in ids:
            await asyncio.gather(*(self.nodes.command(scope, rg, cid, "CLUSTER", "FORGET", node_id) for cid in staying),
                                 return_exceptions=True)

    # -- roles and failover ----------------------------------------------------------------------------
    async def cluster_promote(self, scope, rg: ReplicationGroup, new: str, graceful: bool) -> None:
        # TAKEOVER needs no vote from the other primaries: a one-shard cluster fails over too.
        await self.nodes.command(scope, rg, new, "CLUSTER", "FAILOVER", *([] if graceful else ["TAKEOVER"]))

        async def promoted() -> bool:
            info = await self.nodes.command(scope, rg, new, "INFO", "replication")
            return info.get("role") == "master"

        await self._wait(f"{new} promoted", promoted, timeout=10)

    async def sync_cluster_roles(self, scope, rg: ReplicationGroup) -> None:
        """Take primaries and slots from what the cluster itself says."""
        nodes = await self.cluster_nodes(scope, rg)
        by_address = {f"{c.nodes[0].address}:{c.nodes[0].port}": c for c in self.state.members(scope, rg)}
        with self.state.transaction():
            changed = False
            for info in nodes:
                cluster = by_address.get(info["address"])
                if cluster is None or "fail" in info["flags"]:
                    continue
                group = rg.node_group(cluster.node_group_id)
                if "master" in info["flags"] and info["slots"]:
                    text = check.format_slots(info["slots"])
                    if group.primary != cluster.cluster_id or group.slots != text:
                        group.primary, group.slots, changed = cluster.cluster_id, text, True
                    cluster.role = "primary"
                elif "slave" in info["flags"]:
                    cluster.role = "replica"
                self.state.save_cluster(scope, cluster)
            if changed:
                self.state.save_group(scope, rg)

    # -- ModifyReplicationGroupShardConfiguration -----------------------------------------------------
    def modify_replication_group_shard_configuration(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        rg = self.state.visible_group(scope, params["ReplicationGroupId"])
        if not rg.cluster_enabled:
            raise check.invalid("Modifying the shard configuration is only supported for Redis (cluster mode enabled).")
        if rg.status != "available":
            raise check.group_not_available(rg.replication_group_id)
        if not params.get("ApplyImmediately"):
            raise check.invalid("ApplyImmediately must be true to modify the shard configuration.")
        count = params["NodeGroupCount"]
        current = len(rg.node_groups)
        if not 1 <= count <= check.MAX_NODE_GROUPS:
            raise check.invalid(f"The parameter NodeGroupCount must be between 1 and {check.MAX_NODE_GROUPS}.")
        if count == current:
            raise check.invalid(f"The replication group already has {count} node groups.")
        known = {g.node_group_id for g in rg.node_groups}
        to_remove = list(params.get("NodeGroupsToRemove") or [])
        to_retain = list(params.get("NodeGroupsToRetain") or [])
        for ng_id in to_remove + to_retain:
            if ng_id not in known:
                raise check.node_group_not_found(ng_id, rg.replication_group_id)
        if count < current:
            if to_retain:
                to_remove = [g.node_group_id for g in rg.node_groups if g.node_group_id not in to_retain]
            if not to_remove:
                raise check.invalid("NodeGroupsToRemove or NodeGroupsToRetain is required when decreasing NodeGroupCount.")
            if current - len(to_remove) != count:
                raise check.invalid(f"Removing {len(to_remove)} node groups from {current} does not leave {count}.")
            with self.state.transaction():
                rg.status = "modifying"
                self.state.save_group(scope, rg)
            work = self._remove_shards(scope, rg.replication_group_id, to_remove)
        else:
            configs = params.get("ReshardingConfiguration") or []
            replicas = len(rg.node_groups[0].members) - 1
            next_number = max(int(g.node_group_id) for g in rg.node_groups) + 1
            plans = []
            for index in range(count - current):
                config = configs[index] if index < len(configs) else {}
                zones = self.placement.zones(scope, 1 + replicas, config.get("PreferredAvailabilityZones"), start=current + index,
                                             subnet_group=rg.subnet_group)
                plans.append((f"{next_number + index:04d}", zones))
            with self.state.transaction():
                for ng_id, zones in plans:
                    members = []
                    for number, zone in enumerate(zones, start=1):
                        cluster_id = f"{rg.replication_group_id}-{ng_id}-{number:03d}"
                        self.members.new_member(scope, rg, cluster_id, zone, "primary" if number == 1 else "replica", ng_id)
                        members.append(cluster_id)
                    rg.node_groups.append(NodeGroup(node_group_id=ng_id, members=members, primary=members[0], slots="",
                                                    status="creating", primary_zone=zones[0], replica_zones=zones[1:]))
                rg.status = "modifying"
                self.state.save_group(scope, rg)
            work = self._add_shards(scope, rg.replication_group_id, [ng_id for ng_id, _ in plans])
        group_id = rg.replication_group_id
        self.tasks.spawn(self._reshard(scope, group_id, work), owner="elasticache", what=f"resharding {group_id}",
                         on_failure=lambda error: self.events.record(
                             scope, group_id, "replication-group", Messages.RESHARDING_FAILED.format(group=group_id, reason=error)))
        return {"ReplicationGroup": describe_group(self.state, scope, rg)}

    async def _reshard(self, scope: Scope, group_id: str, work) -> None:
        """Rule: whatever happens, the group serves again ("available"), slots half-migrated are
        closed, new shards that got no slot are removed again, and its Slots show where the slots
        really are; a failure is also an event on the group (the task's on_failure)."""
        try:
            await work
        except BaseException:
            rg = self.state.replication_groups.get(scope, group_id)
            if rg is not None:
                try:
                    await self.slots.close_open_slots(scope, rg)
                except Exception:  # noqa: BLE001 - the original failure is the one to report
                    log.warning("closing the open slots of %s failed", group_id, exc_info=True)
            raise
        finally:
            rg = self.state.replication_groups.get(scope, group_id)
            if rg is not None and rg.status == "modifying":
                try:
                    await self.sync_cluster_roles(scope, rg)
                    await self._drop_shards_without_slots(scope, rg)
                finally:
                    rg.status = "available"
                    self.state.save_group(scope, rg)
                    self.members.refresh_endpoints(scope, rg)

    async def _drop_shards_without_slots(self, scope: Scope, rg: ReplicationGroup) -> None:
        """Shards being added that own no slot after a failure: forgotten, stopped, removed."""
        empty = [g for g in rg.node_groups if g.status == "creating" and not g.slots]
        if not empty:
            return
        removed = [cid for g in empty for cid in g.members]
        await self.forget_nodes(scope, rg, removed)
        await asyncio.gather(*(self.members.stop_member(scope, cid) for cid in removed), return_exceptions=True)
        with self.state.transaction():
            for cid in removed:
                self.state.cache_clusters.delete(scope, cid)
            rg.node_groups = [g for g in rg.node_groups if g not in empty]
            self.state.save_group(scope, rg)

    async def _add_shards(self, scope: Scope, group_id: str, added_groups: list[str]) -> None:
        async with self.state.lock(scope, group_id):
            rg = self.state.replication_groups.get(scope, group_id)
            new_groups = [rg.node_group(ng) for ng in added_groups]
            added = [cid for g in new_groups for cid in g.members]
            clusters = [self.state.cache_clusters.get(scope, cid) for cid in added]
            # A zone asked for that is down: no capacity there, as on AWS; nothing is started.
            self.placement.require_up({c.cluster_id: c.nodes[0].zone for c in clusters})
            self.members.allocate_addresses(scope, rg)
            await asyncio.gather(*(self.members.start_member(scope, rg, c) for c in clusters))
            self.members.require_serving(scope, added)
            via = rg.node_groups[0].primary
            await self._meet(scope, rg, via, added)
            await self._replicate(scope, rg, [cid for g in new_groups for cid in g.members if cid != g.primary])
            await self._wait_consistent(scope, rg)
            # A new primary refuses imports for its first two seconds (CLUSTER_WRITABLE_DELAY).
            await self._wait_ok(scope, rg)
            await self._rebalance(scope, rg)
            with self.state.transaction():
                for cluster in clusters:
                    cluster.status = cluster.nodes[0].status = "available"
                    self.state.save_cluster(scope, cluster)
                for group in new_groups:
                    group.status = "available"
                self.state.save_group(scope, rg)
            await self._finish_resharding(scope, rg)

    async def _remove_shards(self, scope: Scope, group_id: str, to_remove: list[str]) -> None:
        async with self.state.lock(scope, group_id):
            rg = self.state.replication_groups.get(scope, group_id)
            leaving = [rg.node_group(ng) for ng in to_remove]
            staying = [g for g in rg.node_groups if g.node_group_id not in to_remove]
            await self._wait_consistent(scope, rg)
            for group in leaving:
                slots = [s for low, high in check.parse_slots(group.slots) for s in range(low, high + 1)] if group.slots else []
                # Spread the leaving shard's slots evenly over the shards that stay.
                shares = [len(slots) // len(staying) + (1 if i < len(slots) % len(staying) else 0) for i in range(len(staying))]
                start = 0
                for target, share in zip(staying, shares):
                    if share:
                        await self._wait_consistent(scope, rg)
                        await self.slots.move(scope, rg, group.primary, target.primary, slots[start:start + share])
                    start += share
            removed = [cid for g in leaving for cid in g.members]
            await self.forget_nodes(scope, rg, removed)
            await asyncio.gather(*(self.members.stop_member(scope, cid) for cid in removed))
            with self.state.transaction():
                for cid in removed:
                    self.state.cache_clusters.delete(scope, cid)
                rg.node_groups = staying
                self.state.save_group(scope, rg)
            await self._finish_resharding(scope, rg)

    async def _finish_resharding(self, scope: Scope, rg: ReplicationGroup) -> None:
        await self._wait_ok(scope, rg)
        await self.sync_cluster_roles(scope, rg)
        rg.status = "available"
        self.state.save_group(scope, rg)
        self.members.refresh_endpoints(scope, rg)

    async def _rebalance(self, scope: Scope, rg: ReplicationGroup) -> None:
        """Even out the slots over every primary, the new empty ones included."""
        by_address = {f"{c.nodes[0].address}:{c.nodes[0].port}": c.cluster_id for c in self.state.members(scope, rg)}
        owned = {g.primary: [] for g in rg.node_groups}
        for info in await self.cluster_nodes(scope, rg):
            cluster_id = by_address.get(info["address"])
            if cluster_id in owned and "master" in info["flags"]:
                owned[cluster_id] = info["slots"]
        for source, target, slots in rebalance_plan(owned):
            await self.slots.move(scope, rg, source, target, slots)


def parse_cluster_nodes(text: str) -> list[dict]:
    """CLUSTER NODES lines -> [{"id", "address" ("ip:port"), "flags" (set), "master", "slots" (list of ints)}]."""
    nodes = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 8:
            continue
        slots: list[int] = []
        for item in fields[8:]:
            if item.startswith("["):
                continue  # a slot being imported or migrated
            low, _, high = item.partition("-")
            slots.extend(range(int(low), int(high or low) + 1))
        nodes.append({"id": fields[0], "address": fields[1].split("@")[0], "flags": set(fields[2].split(",")),
                      "master": fields[3], "slots": slots})
    return nodes
