"""Snapshot files: real RDB files taken from the nodes, kept under the state directory, and what
restores do with them.

A snapshot holds one RDB per node group (shard), in its own directory
``<state>/elasticache/snapshots/<account>.<region>.<kind>.<name>/``, named ``<node group id>.rdb``.
An RDB is taken from a node the way an ElastiCache node takes a backup: ``BGSAVE`` (through
regionbox's admin path: the command is renamed on every node, ``restricted.py``), then the node's
``dump.rdb`` is copied once the background save has finished.

A restore starts the new nodes from these files: a single node, or the primary of a group with
cluster mode disabled, finds the RDB as its ``dump.rdb`` and loads it at its first start (its
replicas copy it from the primary). A cluster-mode group gets its keys after its cluster has
formed, each key on the shard owning its slot (the shard layout may differ from the snapshot's,
as AWS allows): a temporary engine process loads each RDB, and every key is copied from it with
DUMP / RESTORE, its time to live kept.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, AsyncIterator

import redis.asyncio as aioredis
from redis.crc import key_slot

from regionbox.core.store import Scope
from regionbox.engines import NodeSpec
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.models import ReplicationGroup, Snapshot
from regionbox.services.elasticache.nodes import Encrypted, RedisNodes

if TYPE_CHECKING:
    from regionbox.engines import Supervisor

log = logging.getLogger("regionbox.elasticache")

SAVE_TIMEOUT = 120.0
KEYS_PER_ROUND = 500
CHUNK = 1024 * 1024


class SnapshotFiles:
    def __init__(self, root: Path, nodes: RedisNodes, supervisor: "Supervisor") -> None:
        self.root = root
        self.nodes = nodes
        self.supervisor = supervisor
        self._saving: dict[str, asyncio.Lock] = {}

    # -- where ------------------------------------------------------------------------------------
    def directory(self, scope: Scope, snapshot: Snapshot) -> Path:
        return self.root / f"{scope[0]}.{scope[1]}.{snapshot.kind}.{snapshot.name}"

    def path(self, scope: Scope, snapshot: Snapshot, node_group_id: str) -> Path:
        return self.directory(scope, snapshot) / f"{node_group_id}.rdb"

    def remove(self, scope: Scope, snapshot: Snapshot) -> None:
        shutil.rmtree(self.directory(scope, snapshot), ignore_errors=True)

    def reset(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    async def copy(self, scope: Scope, source: Snapshot, target: Snapshot) -> None:
        """A snapshot's files for another snapshot (CopySnapshot)."""
        directory = self.directory(scope, target)
        await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
        for node in source.node_snapshots:
            await asyncio.to_thread(shutil.copyfile, self.path(scope, source, node.node_group_id),
                                    self.path(scope, target, node.node_group_id))

    async def chunks(self, path: Path) -> AsyncIterator[bytes]:
        """A file as a stream (exports to S3): never whole in memory."""
        with path.open("rb") as handle:
            while True:
                chunk = await asyncio.to_thread(handle.read, CHUNK)
                if not chunk:
                    return
                yield chunk

    # -- taking an RDB from a node -------------------------------------------------------------------
    async def take(self, scope: Scope, holder: Encrypted, cluster_id: str, destination: Path) -> int:
        """BGSAVE on the node of ``cluster_id``, wait for it, copy its RDB to ``destination``;
        returns the RDB's size in bytes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SAVE_TIMEOUT
        while not self.nodes.running_address(scope, cluster_id):
            if loop.time() > deadline:  # a node coming back (a restart of regionbox, an AZ returning)
                raise ConnectionError(f"node {cluster_id} is not running")
            await asyncio.sleep(0.1)
        lock = self._saving.setdefault(f"{scope}.{cluster_id}", asyncio.Lock())
        async with lock:
            await self._background_save(scope, holder, cluster_id)
            source = self.nodes.data_dir(scope, cluster_id) / "dump.rdb"
            await asyncio.to_thread(destination.parent.mkdir, parents=True, exist_ok=True)
            await asyncio.to_thread(shutil.copyfile, source, destination)
        return destination.stat().st_size

    async def _background_save(self, scope: Scope, holder: Encrypted, cluster_id: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SAVE_TIMEOUT
        while True:
            try:
                await self.nodes.command(scope, holder, cluster_id, "BGSAVE")
                break
            except aioredis.ResponseError as error:
                # A save of its own (a replica's first sync, an earlier BGSAVE) is running: after it.
                if "in progress" not in str(error) or loop.time() > deadline:
                    raise
                await asyncio.sleep(0.05)
        while True:
            info = await self.nodes.command(scope, holder, cluster_id, "INFO", "persistence")
            if str(info.get("rdb_bgsave_in_progress")) == "0":
                if info.get("rdb_last_bgsave_status") != "ok":
                    raise RuntimeError(f"the background save of {cluster_id} failed")
                return
            if loop.time() > deadline:
                raise TimeoutError(f"the background save of {cluster_id} did not finish within {SAVE_TIMEOUT:.0f} seconds")
            await asyncio.sleep(0.02)

    # -- restoring --------------------------------------------------------------------------------------
    def place(self, scope: Scope, snapshot: Snapshot, node_group_id: str, data_dir: Path) -> None:
        """A new node's first start loads the snapshot's RDB: it is its ``dump.rdb``."""
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.path(scope, snapshot, node_group_id), data_dir / "dump.rdb")

    async def load_into_cluster(self, scope: Scope, snapshot: Snapshot, rg: ReplicationGroup, engine_version: str) -> int:
        """Every key of the snapshot onto the primary of the shard owning its slot; returns how
        many keys were restored. Keys of databases other than 0 have no place in cluster mode:
        they are left out (the caller says so in an event)."""
        owners: list[tuple[int, int, str]] = [(low, high, g.primary) for g in rg.node_groups
                                              for low, high in check.parse_slots(g.slots) if g.slots]
        targets: dict[str, aioredis.Redis] = {}
        restored = 0
        try:
            for group_primary in {primary for _, _, primary in owners}:
                node = self.nodes.node(scope, group_primary)
                if node is None or not node.running:
                    raise ConnectionError(f"node {group_primary} is not running")
                targets[group_primary] = self.nodes.client(rg, node, decode=False)
            for index, node_snapshot in enumerate(snapshot.node_snapshots):
                async with self._loaded(scope, snapshot, node_snapshot.node_group_id, rg.engine, engine_version, index) as source:
                    restored += await self._copy_keys(source, targets, owners)
        finally:
            await asyncio.gather(*(client.aclose() for client in targets.values()), return_exceptions=True)
        return restored

    def _loaded(self, scope: Scope, snapshot: Snapshot, node_group_id: str, engine: str, version: str, index: int):
        return _TemporaryNode(self, scope, snapshot, node_group_id, engine, version, index)

    @staticmethod
    async def _copy_keys(source: aioredis.Redis, targets: dict[str, aioredis.Redis], owners: list[tuple[int, int, str]]) -> int:
        def owner(key: bytes) -> str:
            slot = key_slot(key)
            return next(primary for low, high, primary in owners if low <= slot <= high)

        copied = 0
        cursor = 0
        while True:
            cursor, keys = await source.scan(cursor, count=KEYS_PER_ROUND)
            if keys:
                pipe = source.pipeline(transaction=False)
                for key in keys:
                    pipe.dump(key)
                    pipe.pttl(key)
                answers = await pipe.execute()
                batches: dict[str, list] = {}
                for position, key in enumerate(keys):
                    payload, ttl = answers[2 * position], answers[2 * position + 1]
                    if payload is None or ttl == -2:
                        continue  # expired meanwhile
                    batches.setdefault(owner(key), []).append((key, max(ttl, 0), payload))
                for primary, entries in batches.items():
                    target = targets[primary].pipeline(transaction=False)
                    for key, ttl, payload in entries:
                        target.restore(key, ttl, payload, replace=True)
                    await target.execute()
                    copied += len(entries)
            if cursor == 0:
                return copied


class _TemporaryNode:
    """An engine process of its own, on a free address, serving one snapshot RDB for the loader;
    stopped and its files deleted afterwards (an unclaimed one left by a crash is reaped)."""

    def __init__(self, files: SnapshotFiles, scope: Scope, snapshot: Snapshot, node_group_id: str, engine: str, version: str,
                 index: int) -> None:
        self.files = files
        self.key = f"{scope[0]}.{scope[1]}.restore.{snapshot.name}.{index}"
        self.spec = NodeSpec(node_id=self.key, engine=engine, version=version, zone="", port=6379,
                             data_dir=files.root / "restoring" / self.key)
        self.source = files.path(scope, snapshot, node_group_id)
        self.client: aioredis.Redis | None = None

    async def __aenter__(self) -> aioredis.Redis:
        await asyncio.to_thread(self.spec.data_dir.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(shutil.copyfile, self.source, self.spec.data_dir / "dump.rdb")
        node = await self.files.supervisor.start(self.spec)
        self.client = aioredis.Redis(host=node.address, port=node.port, socket_timeout=30)
        return self.client

    async def __aexit__(self, *exc) -> None:
        if self.client is not None:
            await self.client.aclose()
        await self.files.supervisor.stop(self.key, delete_data=True)
