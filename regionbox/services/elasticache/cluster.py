"""Cluster mode: 16384 hash slots over node groups of real cluster-enabled nodes.

Nodes are joined with CLUSTER MEET, primaries get their slots with CLUSTER ADDSLOTSRANGE and
replicas attach with CLUSTER REPLICATE; each node announces its own loopback address, so
CLUSTER SLOTS / SHARDS, MOVED and ASK send clients to node endpoints they can reach, and
redis-py's RedisCluster works from the configuration endpoint.

Online resharding (ModifyReplicationGroupShardConfiguration) moves slots with the engine's own
migration (``redis-cli --cluster rebalance`` / ``reshard``: IMPORTING/MIGRATING and MIGRATE key
by key), so clients keep working through MOVED/ASK while slots move.
"""

from __future__ import annotations

import asyncio
import logging
import shutil

from regionbox.core.errors import ServiceError
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.models import NodeGroup, ReplicationGroup
from regionbox.services.elasticache.nodes import ADMIN_USER

log = logging.getLogger("regionbox.elasticache")

JOIN_TIMEOUT = 30.0


class ClusterModeMixin:
    # -- talking to the cluster --------------------------------------------------------------------
    async def _node_id(self, scope, rg: ReplicationGroup, cluster_id: str) -> str:
        return await self.redis.command(scope, rg, cluster_id, "CLUSTER", "MYID")

    async def _cluster_info(self, scope, rg: ReplicationGroup, cluster_id: str) -> dict[str, str]:
        text = await self.redis.command(scope, rg, cluster_id, "CLUSTER", "INFO")
        return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)

    async def _cluster_nodes_of(self, scope, rg: ReplicationGroup, cluster_id: str) -> list[dict]:
        return parse_cluster_nodes(await self.redis.command(scope, rg, cluster_id, "CLUSTER", "NODES"))

    async def cluster_nodes(self, scope, rg: ReplicationGroup) -> list[dict]:
        """CLUSTER NODES from the first node that answers."""
        for cluster_id in rg.member_clusters:
            if self.running_address(scope, cluster_id):
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
            node = self.clusters.get(scope, cluster_id).nodes[0]
            await self.redis.command(scope, rg, via, "CLUSTER", "MEET", node.address, str(node.port))

        async def everyone_known() -> bool:
            counts = await asyncio.gather(*(self._cluster_info(scope, rg, cid) for cid in [via, *cluster_ids]),
                                          return_exceptions=True)
            wanted = len(set([via, *cluster_ids]))
            return all(not isinstance(c, BaseException) and int(c.get("cluster_known_nodes", 0)) >= wanted for c in counts)

        await self._wait("nodes meeting", everyone_known)

    async def _replicate(self, scope, rg: ReplicationGroup, replicas: list[str]) -> None:
        for cluster_id in replicas:
            group = rg.node_group(self.clusters.get(scope, cluster_id).node_group_id)
            primary_id = await self._node_id(scope, rg, group.primary)

            async def knows_primary(cid=cluster_id, pid=primary_id) -> bool:
                nodes = await self._cluster_nodes_of(scope, rg, cid)
                return any(n["id"] == pid and "master" in n["flags"] for n in nodes)

            await self._wait(f"{cluster_id} learning its primary", knows_primary)
            await self.redis.command(scope, rg, cluster_id, "CLUSTER", "REPLICATE", primary_id)

    async def _wait_consistent(self, scope, rg: ReplicationGroup) -> None:
        """Until every running node has the same view of nodes and slots (gossip has spread)."""
        async def agreed() -> bool:
            running = [cid for cid in rg.member_clusters if self.running_address(scope, cid)]
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
                                           if self.running_address(scope, cid)), return_exceptions=True)
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
            await self.redis.command(scope, rg, group.primary, "CLUSTER", "ADDSLOTSRANGE", *ranges)
        await self._replicate(scope, rg, [cid for g in rg.node_groups for cid in g.members if cid != g.primary])
        await self._wait_ok(scope, rg)
        # Every node must know every replica before clients ask any of them for CLUSTER SLOTS.
        await self._wait_consistent(scope, rg)

    async def join_replicas(self, scope, rg: ReplicationGroup, added: list[str]) -> None:
        via = next(cid for cid in rg.member_clusters if cid not in added and self.running_address(scope, cid))
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
        staying = [cid for cid in rg.member_clusters if cid not in removed and self.running_address(scope, cid)]
        for node_id in ids:
            await asyncio.gather(*(self.redis.command(scope, rg, cid, "CLUSTER", "FORGET", node_id) for cid in staying),
                                 return_exceptions=True)

    # -- roles and failover ----------------------------------------------------------------------------
    async def cluster_promote(self, scope, rg: ReplicationGroup, new: str, graceful: bool) -> None:
        # TAKEOVER needs no vote from the other primaries: a one-shard cluster fails over too.
        await self.redis.command(scope, rg, new, "CLUSTER", "FAILOVER", *([] if graceful else ["TAKEOVER"]))

        async def promoted() -> bool:
            info = await self.redis.command(scope, rg, new, "INFO", "replication")
            return info.get("role") == "master"

        await self._wait(f"{new} promoted", promoted, timeout=10)

    async def sync_cluster_roles(self, scope, rg: ReplicationGroup) -> None:
        """Take primaries and slots from what the cluster itself says."""
        nodes = await self.cluster_nodes(scope, rg)
        by_address = {f"{c.nodes[0].address}:{c.nodes[0].port}": c for c in self.members_of(scope, rg)}
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
            self.clusters.put(scope, cluster.cluster_id, cluster)
        if changed:
            self.save_group(scope, rg)

    # -- ModifyReplicationGroupShardConfiguration -----------------------------------------------------
    def modify_replication_group_shard_configuration(self, ctx, params: dict) -> dict:
        scope = ctx.scope
        rg = self.get_group(scope, params["ReplicationGroupId"])
        if not rg.cluster_enabled:
            raise check.invalid_value("Modifying the shard configuration is only supported for Redis (cluster mode enabled).")
        self._require_available(rg)
        if not params.get("ApplyImmediately"):
            raise check.invalid_value("ApplyImmediately must be true to modify the shard configuration.")
        count = params["NodeGroupCount"]
        current = len(rg.node_groups)
        if not 1 <= count <= check.MAX_NODE_GROUPS:
            raise check.invalid_value(f"The parameter NodeGroupCount must be between 1 and {check.MAX_NODE_GROUPS}.")
        if count == current:
            raise check.invalid_value(f"The replication group already has {count} node groups.")
        known = {g.node_group_id for g in rg.node_groups}
        to_remove = list(params.get("NodeGroupsToRemove") or [])
        to_retain = list(params.get("NodeGroupsToRetain") or [])
        for ng_id in to_remove + to_retain:
            if ng_id not in known:
                raise ServiceError("NodeGroupNotFoundFault", f"The node group {ng_id} is not found in replication group "
                                                             f"{rg.replication_group_id}.", status=404)
        if count < current:
            if to_retain:
                to_remove = [g.node_group_id for g in rg.node_groups if g.node_group_id not in to_retain]
            if not to_remove:
                raise check.invalid_value("NodeGroupsToRemove or NodeGroupsToRetain is required when decreasing NodeGroupCount.")
            if current - len(to_remove) != count:
                raise check.invalid_value(f"Removing {len(to_remove)} node groups from {current} does not leave {count}.")
            work = self._remove_shards(scope, rg.replication_group_id, to_remove)
        else:
            configs = params.get("ReshardingConfiguration") or []
            replicas = len(rg.node_groups[0].members) - 1
            added_groups = []
            next_number = max(int(g.node_group_id) for g in rg.node_groups) + 1
            for index in range(count - current):
                ng_id = f"{next_number + index:04d}"
                config = configs[index] if index < len(configs) else {}
                zones = self.spread_zones(scope, 1 + replicas, config.get("PreferredAvailabilityZones") or None, start=current + index)
                members = []
                for number, zone in enumerate(zones, start=1):
                    cluster_id = f"{rg.replication_group_id}-{ng_id}-{number:03d}"
                    self.new_member(scope, rg, cluster_id, zone, "primary" if number == 1 else "replica", ng_id)
                    members.append(cluster_id)
                group = NodeGroup(node_group_id=ng_id, members=members, primary=members[0], slots="", status="creating",
                                  primary_zone=zones[0], replica_zones=zones[1:])
                rg.node_groups.append(group)
                added_groups.append(ng_id)
            work = self._add_shards(scope, rg.replication_group_id, added_groups)
        rg.status = "modifying"
        self.save_group(scope, rg)
        self.background(self._resharding(scope, rg.replication_group_id, work), f"resharding {rg.replication_group_id}")
        return {"ReplicationGroup": self.describe_group(scope, rg)}

    async def _resharding(self, scope, group_id: str, work) -> None:
        try:
            await work
        except Exception:
            # Close slots left half-migrated so the cluster serves every slot again.
            rg = self.groups.get(scope, group_id)
            if rg is not None:
                via = next((g.primary for g in rg.node_groups if self.running_address(scope, g.primary)), None)
                if via is not None:
                    await self._redis_cli(scope, rg, via, "fix", check=False)
            raise
        finally:
            # Whatever happened, the group serves again; its Slots show where the slots really are.
            rg = self.groups.get(scope, group_id)
            if rg is not None and rg.status == "modifying":
                try:
                    await self.sync_cluster_roles(scope, rg)
                finally:
                    rg.status = "available"
                    self.save_group(scope, rg)

    async def _add_shards(self, scope, group_id: str, added_groups: list[str]) -> None:
        async with self.lock(scope, group_id):
            rg = self.groups.get(scope, group_id)
            self.allocate_addresses(scope, rg)
            new_groups = [rg.node_group(ng) for ng in added_groups]
            added = [cid for g in new_groups for cid in g.members]
            clusters = [self.clusters.get(scope, cid) for cid in added]
            await asyncio.gather(*(self.start_member(scope, rg, c) for c in clusters))
            via = rg.node_groups[0].primary
            await self._meet(scope, rg, via, added)
            await self._replicate(scope, rg, [cid for g in new_groups for cid in g.members if cid != g.primary])
            await self._wait_consistent(scope, rg)
            # A new primary refuses imports for its first two seconds (CLUSTER_WRITABLE_DELAY).
            await self._wait_ok(scope, rg)
            await self._redis_cli(scope, rg, via, "rebalance", "--cluster-use-empty-masters")
            for cluster in clusters:
                cluster.status = cluster.nodes[0].status = "available"
                self.clusters.put(scope, cluster.cluster_id, cluster)
            for group in new_groups:
                group.status = "available"
            await self._finish_resharding(scope, rg)

    async def _remove_shards(self, scope, group_id: str, to_remove: list[str]) -> None:
        async with self.lock(scope, group_id):
            rg = self.groups.get(scope, group_id)
            leaving = [rg.node_group(ng) for ng in to_remove]
            staying = [g for g in rg.node_groups if g.node_group_id not in to_remove]
            staying_ids = [await self._node_id(scope, rg, g.primary) for g in staying]
            await self._wait_consistent(scope, rg)
            for index, group in enumerate(leaving):
                source_id = await self._node_id(scope, rg, group.primary)
                slots = sum(high - low + 1 for low, high in check.parse_slots(group.slots)) if group.slots else 0
                # Spread the leaving shard's slots evenly over the shards that stay.
                shares = [slots // len(staying) + (1 if i < slots % len(staying) else 0) for i in range(len(staying))]
                for target_id, share in zip(staying_ids, shares):
                    if share:
                        await self._wait_consistent(scope, rg)
                        await self._redis_cli(scope, rg, group.primary, "reshard", "--cluster-from", source_id,
                                              "--cluster-to", target_id, "--cluster-slots", str(share), "--cluster-yes")
            removed = [cid for g in leaving for cid in g.members]
            await self.forget_nodes(scope, rg, removed)
            rg.node_groups = staying
            self.save_group(scope, rg)
            await asyncio.gather(*(self.stop_member(scope, cid) for cid in removed))
            await self._finish_resharding(scope, rg)

    async def _finish_resharding(self, scope, rg: ReplicationGroup) -> None:
        await self._wait_ok(scope, rg)
        await self.sync_cluster_roles(scope, rg)
        rg.status = "available"
        self.save_group(scope, rg)
        self.refresh_endpoints(scope, rg)

    async def _redis_cli(self, scope, rg: ReplicationGroup, via: str, command: str, *args: str, check: bool = True) -> None:
        """Run ``redis-cli --cluster <command>`` against the cluster through node ``via``."""
        exe = shutil.which("redis-cli") or shutil.which("valkey-cli")
        if exe is None:
            raise RuntimeError("redis-cli is required for resharding: install redis-tools")
        node = self.clusters.get(scope, via).nodes[0]
        argv = [exe, "--no-auth-warning", "--user", ADMIN_USER, "--pass", self.redis.admin_password]
        if rg.transit_encryption:
            argv += ["--tls", "--cacert", str(self.ca.ensure())]
        argv += ["--cluster", command, f"{node.address}:{node.port}", *args]
        process = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                                                       stdin=asyncio.subprocess.DEVNULL)
        output, _ = await process.communicate()
        if process.returncode != 0 and check:
            raise RuntimeError(f"redis-cli --cluster {command} failed: {output.decode(errors='replace')[-1500:]}")


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
