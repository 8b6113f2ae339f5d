"""Moving hash slots between the primaries of a cluster-mode group, with the engine's own
migration, as ``redis-cli --cluster reshard`` does it: the target marks a slot IMPORTING, the source
MIGRATING, the source MIGRATEs the slot's keys to the target a batch at a time, then every primary
learns the slot's new owner (the target first). Clients keep working meanwhile: a key already
moved is answered with ASK, a slot moved with MOVED.

regionbox does it itself, over its admin path, because MIGRATE is one of the commands ElastiCache
keeps from clients (``restricted.py``): its name on the nodes is a secret redis-cli does not know.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import AsyncIterator

import redis.asyncio as aioredis

from regionbox.core.store import Scope
from regionbox.services.elasticache.models import ReplicationGroup
from regionbox.services.elasticache.nodes import ADMIN_USER, RedisNodes
from regionbox.services.elasticache.state import ElastiCacheState

SLOTS_PER_ROUND = 256  # slots opened (IMPORTING/MIGRATING) and closed (NODE) together
KEYS_PER_MIGRATE = 100
MIGRATE_TIMEOUT_MS = 10_000


def rebalance_plan(owned: dict[str, list[int]]) -> list[tuple[str, str, list[int]]]:
    """(source, target, slots) moves that leave every primary of ``owned`` (cluster id -> its
    slots; new, empty primaries included) with an even share, the first ones one more slot when
    the slots do not divide evenly. A source gives its highest slots, so ranges stay contiguous."""
    order = sorted(owned, key=lambda cid: (-len(owned[cid]), cid))
    total = sum(len(slots) for slots in owned.values())
    share = {cid: total // len(order) + (1 if index < total % len(order) else 0) for index, cid in enumerate(order)}
    giving = [(cid, sorted(owned[cid])[share[cid]:]) for cid in order if len(owned[cid]) > share[cid]]
    needing = [(cid, share[cid] - len(owned[cid])) for cid in order if len(owned[cid]) < share[cid]]
    moves: list[tuple[str, str, list[int]]] = []
    for target, need in needing:
        while need:
            source, slots = giving[0]
            taken, rest = slots[:need], slots[need:]
            moves.append((source, target, taken))
            need -= len(taken)
            giving[0] = (source, rest)
            if not rest:
                giving.pop(0)
    return moves


def open_slots(cluster_nodes_text: str) -> tuple[dict[int, str], dict[int, str]]:
    """From a node's own CLUSTER NODES line ("myself"): (slot -> node id it migrates to, slot ->
    node id it imports from)."""
    migrating: dict[int, str] = {}
    importing: dict[int, str] = {}
    for line in cluster_nodes_text.splitlines():
        fields = line.split()
        if len(fields) < 8 or "myself" not in fields[2]:
            continue
        for item in fields[8:]:
            if item.startswith("[") and "->-" in item:
                slot, node_id = item[1:-1].split("->-")
                migrating[int(slot)] = node_id
            elif item.startswith("[") and "-<-" in item:
                slot, node_id = item[1:-1].split("-<-")
                importing[int(slot)] = node_id
    return migrating, importing


class SlotMigration:
    def __init__(self, state: ElastiCacheState, nodes: RedisNodes) -> None:
        self.state = state
        self.nodes = nodes

    @contextlib.asynccontextmanager
    async def _connections(self, scope: Scope, rg: ReplicationGroup, cluster_ids: list[str]) -> AsyncIterator[dict[str, aioredis.Redis]]:
        """One admin connection per running node (thousands of commands: no connection each)."""
        clients = {}
        for cluster_id in dict.fromkeys(cluster_ids):
            node = self.nodes.node(scope, cluster_id)
            if node is not None and node.running:
                clients[cluster_id] = self.nodes.client(rg, node, decode=False)
        try:
            yield clients
        finally:
            await asyncio.gather(*(client.aclose() for client in clients.values()), return_exceptions=True)

    async def _each(self, client: aioredis.Redis, commands: list[tuple], raise_on_error: bool = True) -> list:
        pipe = client.pipeline(transaction=False)
        for command in commands:
            pipe.execute_command(*self.nodes.admin_names.args(command))
        return await pipe.execute(raise_on_error=raise_on_error)

    async def _migrate_keys(self, source: aioredis.Redis, target: str, slot: int, scope: Scope) -> None:
        """Every key of ``slot`` from ``source`` to the node of cluster ``target``. REPLACE: during
        a migration the source's copy is the one that counts."""
        node = self.state.cache_clusters.get(scope, target).nodes[0]
        while True:
            keys = await source.execute_command("CLUSTER", "GETKEYSINSLOT", slot, KEYS_PER_MIGRATE)
            if not keys:
                return
            await source.execute_command(*self.nodes.admin_names.args((
                "MIGRATE", node.address, node.port, "", 0, MIGRATE_TIMEOUT_MS, "REPLACE", "AUTH2", ADMIN_USER,
                self.nodes.admin_password, "KEYS", *keys)))

    async def move(self, scope: Scope, rg: ReplicationGroup, source: str, target: str, slots: list[int]) -> None:
        """Move ``slots`` from primary ``source`` to primary ``target`` (member cluster ids)."""
        primaries = [g.primary for g in rg.node_groups]
        async with self._connections(scope, rg, [source, target, *primaries]) as clients:
            if source not in clients or target not in clients:
                raise ConnectionError(f"moving slots from {source} to {target}: a node is not running")
            src, dst = clients[source], clients[target]
            source_id, target_id = (await src.execute_command("CLUSTER", "MYID")).decode(), \
                (await dst.execute_command("CLUSTER", "MYID")).decode()
            others = [client for cid, client in clients.items() if cid not in (source, target)]
            for start in range(0, len(slots), SLOTS_PER_ROUND):
                batch = slots[start:start + SLOTS_PER_ROUND]
                await self._each(dst, [("CLUSTER", "SETSLOT", s, "IMPORTING", source_id) for s in batch])
                await self._each(src, [("CLUSTER", "SETSLOT", s, "MIGRATING", target_id) for s in batch])
                for slot in batch:
                    await self._migrate_keys(src, target, slot, scope)
                # The target first: once it owns the slot, the source's MOVED sends clients to a node that answers.
                await self._each(dst, [("CLUSTER", "SETSLOT", s, "NODE", target_id) for s in batch])
                await self._each(src, [("CLUSTER", "SETSLOT", s, "NODE", target_id) for s in batch])
                # The others learn it from gossip too; telling them now shortens the MOVED detours.
                await asyncio.gather(*(self._each(o, [("CLUSTER", "SETSLOT", s, "NODE", target_id) for s in batch],
                                                  raise_on_error=False) for o in others), return_exceptions=True)

    async def close_open_slots(self, scope: Scope, rg: ReplicationGroup) -> None:
        """After a failed resharding: a slot left MIGRATING is finished when its target runs (the
        rest of its keys moved, the target its owner), else it stays with its source; a slot left
        IMPORTING with no migration behind it stays where it is (STABLE)."""
        primaries = [g.primary for g in rg.node_groups]
        async with self._connections(scope, rg, primaries) as clients:
            ids = {}
            for cid, client in clients.items():
                ids[(await client.execute_command("CLUSTER", "MYID")).decode()] = cid
            for cid, client in clients.items():
                migrating, _ = open_slots((await client.execute_command("CLUSTER", "NODES")).decode())
                for slot, target_id in migrating.items():
                    target = ids.get(target_id)
                    if target is None:
                        await client.execute_command("CLUSTER", "SETSLOT", slot, "STABLE")
                        continue
                    await self._migrate_keys(client, target, slot, scope)
                    for owner in [clients[target], client, *(c for k, c in clients.items() if k not in (cid, target))]:
                        await self._each(owner, [("CLUSTER", "SETSLOT", slot, "NODE", target_id)], raise_on_error=False)
            for client in clients.values():
                _, importing = open_slots((await client.execute_command("CLUSTER", "NODES")).decode())
                if importing:
                    await self._each(client, [("CLUSTER", "SETSLOT", s, "STABLE") for s in importing], raise_on_error=False)
