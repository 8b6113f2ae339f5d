"""Automatic snapshots: every Redis/Valkey cluster and replication group with a
SnapshotRetentionLimit above 0 (and every serverless cache, through ``serverless_snapshots``) is
backed up once a day in its SnapshotWindow, and its automatic snapshots beyond the limit are
deleted, oldest first.

The day lasts ``elasticache_snapshot_day`` seconds (a setting: a test shortens it to watch a week
in seconds); a window "05:00-06:00" starts 5/24 of the way into it. A cluster seen for the first
time after today's window has started gets its first backup in tomorrow's window, as on AWS;
a backup missed while regionbox was down (or while the cluster was busy) is taken later the same
day. Names are AWS's: ``automatic.<cluster or group id>-YYYY-MM-DD-HH-MM``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from typing import Callable

from regionbox.core import clock
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.elasticache.models import CacheCluster, ReplicationGroup
from regionbox.services.elasticache.snapshots import Snapshots
from regionbox.services.elasticache.state import ElastiCacheState

log = logging.getLogger("regionbox.elasticache")


class AutomaticSnapshots:
    def __init__(self, state: ElastiCacheState, snapshots: Snapshots, tasks: Tasks, day_seconds: Callable[[], float],
                 serverless: Callable[[float, int], None] | None = None) -> None:
        self.state = state
        self.snapshots = snapshots
        self.tasks = tasks
        self.day_seconds = day_seconds
        # The serverless caches' own daily snapshots (``serverless_snapshots.py``), run by the same clock.
        self.serverless = serverless
        self._loop: asyncio.Task | None = None

    def start(self) -> None:
        self._loop = self.tasks.spawn(self._run(), owner="elasticache", what="automatic snapshots")

    def day(self, now: float | None = None) -> int:
        return int((now if now is not None else clock.epoch()) // self.day_seconds())

    def due(self, window: str, last_day: int, now: float) -> tuple[bool, int]:
        """(whether today's backup is due, the day to record as last) for a window."""
        return clock.daily_due(window, last_day, now, self.day_seconds())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(max(0.2, min(30.0, self.day_seconds() / 48)))
            try:
                await self.tick()
            except Exception:  # noqa: BLE001 - the next tick tries again; a backup's failure is its event
                log.exception("automatic snapshots failed")

    async def tick(self, now: float | None = None) -> None:
        now = now if now is not None else clock.epoch()
        for scope, _, rg in list(self.state.replication_groups.all()):
            if rg.snapshot_retention_limit > 0 and not rg.serverless_cache:
                await self._consider(scope, rg, rg.replication_group_id, now)
        for scope, _, cluster in list(self.state.cache_clusters.all()):
            if cluster.snapshot_retention_limit > 0 and not cluster.replication_group_id and cluster.engine != "memcached":
                await self._consider(scope, cluster, cluster.cluster_id, now)
        if self.serverless is not None:
            self.serverless(now, self.day(now))

    async def _consider(self, scope: Scope, holder: ReplicationGroup | CacheCluster, source_id: str, now: float) -> None:
        take, day = self.due(holder.snapshot_window, holder.last_automatic_day, now)
        if not take:
            if day != holder.last_automatic_day and holder.last_automatic_day < 0:
                holder.last_automatic_day = day
                self._save(scope, holder)
            return
        if holder.status != "available":
            return  # busy: later today
        name = self._name(scope, source_id, now)
        rg = holder if isinstance(holder, ReplicationGroup) else None
        snapshot = self.snapshots.new(scope, name, rg, None if rg else holder, source="automated")
        with self.state.transaction():
            holder.last_automatic_day = day
            self._save(scope, holder)
            self.snapshots.begin(scope, snapshot)
        try:
            await self.snapshots.take(scope, name)
        except Exception as error:  # noqa: BLE001 - the snapshot is "failed", with its event
            self.snapshots.failed(scope, name, error)
            return
        self.prune(scope, source_id, holder.snapshot_retention_limit)

    def prune(self, scope: Scope, source_id: str, keep: int) -> None:
        """Automatic snapshots of a source beyond its retention limit go, oldest first."""
        automatic = sorted((s for s in self.state.snapshots.values(scope) if s.source == "automated"
                            and source_id in (s.replication_group_id, s.cache_cluster_id) and s.status == "available"),
                           key=lambda s: s.created)
        for snapshot in automatic[:max(0, len(automatic) - keep)]:
            self.state.snapshots.delete(scope, snapshot.name)
            self.snapshots.files.remove(scope, snapshot)

    def _name(self, scope: Scope, source_id: str, now: float) -> str:
        stamp = datetime.fromtimestamp(now, timezone.utc)
        name = f"automatic.{source_id}-{stamp:%Y-%m-%d-%H-%M}"
        if self.state.snapshots.get(scope, name) is not None:  # days shorter than a minute
            name = f"{name}-{stamp:%S}-{int(time.monotonic() * 1000) % 1000:03d}"
        return name

    def _save(self, scope: Scope, holder: ReplicationGroup | CacheCluster) -> None:
        if isinstance(holder, ReplicationGroup):
            self.state.save_group(scope, holder)
        else:
            self.state.save_cluster(scope, holder)
