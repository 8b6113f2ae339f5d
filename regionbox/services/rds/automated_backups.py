"""Automated backups: once a day, in its PreferredBackupWindow, every instance with a
BackupRetentionPeriod (read replicas excepted) gets an automated snapshot
``rds:<instance>-YYYY-MM-DD-HH-MM``, which is also a base backup of its point-in-time restore
window; automated snapshots older than the retention period are deleted, and with it the start
of the window moves on, as on AWS. The backup an instance gets when it is created is its first
automated snapshot.

The day lasts ``rds_backup_day`` seconds (a setting: a test shortens it); a window "03:00-03:30"
opens 3/24 of the way into it (``clock.daily_due``). Automated snapshots cannot be deleted by
DeleteDBSnapshot; they go with their instance, or when the retention period is set to 0.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from regionbox.core import clock
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.rds.events import EventLog, Messages
from regionbox.services.rds.instances import Instances
from regionbox.services.rds.models import DBInstance, RdsState
from regionbox.services.rds.snapshots import make_snapshot

log = logging.getLogger("regionbox.rds")


class AutomatedBackups:
    def __init__(self, state: RdsState, instances: Instances, events: EventLog, tasks: Tasks,
                 day_seconds: Callable[[], float], retained) -> None:
        self.state = state
        self.retained = retained
        self.instances = instances
        self.nodes = instances.nodes
        self.events = events
        self.tasks = tasks
        self.day_seconds = day_seconds

    def start(self) -> None:
        self.tasks.spawn(self._run(), owner="rds", what="automated backups")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(max(0.2, min(30.0, self.day_seconds() / 48)))
            try:
                await self.tick()
            except Exception:  # noqa: BLE001 - the next tick tries again
                log.exception("automated backups failed")

    async def tick(self, now: float | None = None) -> None:
        now = now if now is not None else clock.epoch()
        day = self.day_seconds()
        for scope, identifier, instance in list(self.state.instances.all()):
            if instance.replica_source:
                continue
            self._adopt(scope, instance)
            if instance.backup_retention:
                take, today = clock.daily_due(instance.backup_window, instance.last_backup_day, now, day)
                if take and instance.status == "available":
                    await self._take(scope, identifier, today)
                elif not take and instance.last_backup_day < 0:
                    instance.last_backup_day = today
                    self.instances.save(scope, instance)
            self.prune(scope, identifier, now)

    def _adopt(self, scope: Scope, instance: DBInstance) -> None:
        """Base backups with no snapshot yet (the one taken at creation) become automated snapshots."""
        known = {s.path for s in self.state.snapshots.values(scope) if s.snapshot_type == "automated"}
        for ended, path in self.nodes.base_backups(instance.resource_id):
            if str(path) not in known:
                self._record(scope, instance, path, ended)

    def _record(self, scope: Scope, instance: DBInstance, path: Path, at: float) -> None:
        stamp = datetime.fromtimestamp(at, timezone.utc)
        name = f"rds:{instance.identifier}-{stamp:%Y-%m-%d-%H-%M}"
        if (scope, name) in self.state.snapshots:  # days shorter than a minute (tests)
            name = f"{name}-{stamp:%S}-{int(at * 1000) % 1000:03d}"
        snapshot = make_snapshot(instance, scope, name, path.parent, "automated",
                                 instance.tags if instance.copy_tags_to_snapshot else [])
        snapshot.path, snapshot.created_at, snapshot.status = str(path), at, "available"
        self.state.snapshots.put(scope, name, snapshot)

    async def _take(self, scope: Scope, identifier: str, today: int) -> None:
        instance = self.state.instances.get(scope, identifier)
        instance.status, instance.last_backup_day = "backing-up", today
        self.instances.save(scope, instance)
        self.events.record(scope, identifier, "db-instance", Messages.BACKING_UP, instance.arn)
        try:
            await self.nodes.automated_backup(instance)
        finally:
            instance = self.state.instances.get(scope, identifier)
            if instance is not None and instance.status == "backing-up":
                instance.status = "available"
                self.instances.save(scope, instance)
        self.events.record(scope, identifier, "db-instance", Messages.BACKUP_DONE, instance.arn)
        self._adopt(scope, instance)

    def prune(self, scope: Scope, identifier: str, now: float | None = None) -> None:
        """Automated snapshots older than the instance's retention go (all of them with retention 0)."""
        instance = self.state.instances.get(scope, identifier)
        if instance is None:
            return
        cutoff = (now if now is not None else time.time()) - instance.backup_retention * self.day_seconds()
        automated = self.automated(scope, identifier)
        for snapshot in automated[:-1] if instance.backup_retention else automated:  # the newest stays while retained
            if snapshot.created_at < cutoff or not instance.backup_retention:
                self._forget(scope, snapshot)

    def automated(self, scope: Scope, identifier: str) -> list:
        return sorted((s for s in self.state.snapshots.values(scope)
                       if s.snapshot_type == "automated" and s.instance_identifier == identifier), key=lambda s: s.created_at)

    def _forget(self, scope: Scope, snapshot) -> None:
        self.state.snapshots.delete(scope, snapshot.identifier)
        shutil.rmtree(snapshot.path, ignore_errors=True)

    async def instance_deleted(self, scope: Scope, identifier: str) -> None:
        """An instance's automated snapshots go with it, or their data stays as its retained
        automated backup (DeleteAutomatedBackups=false)."""
        instance = self.state.instances.get(scope, identifier)
        retain = instance is not None and not instance.delete_automated_backups and instance.backup_retention > 0
        if retain:
            self.retained.retain(scope, instance)
        for snapshot in self.automated(scope, identifier):
            if retain:
                self.state.snapshots.delete(scope, snapshot.identifier)
            else:
                self._forget(scope, snapshot)
