"""Serverless cache snapshots: CreateServerlessCacheSnapshot, DescribeServerlessCacheSnapshots,
CopyServerlessCacheSnapshot, ExportServerlessCacheSnapshot, DeleteServerlessCacheSnapshot, a
deletion's final snapshot, and the daily automatic ones of caches with a SnapshotRetentionLimit.

They are real RDB files taken from the nodes behind the cache, the same way as node-based
snapshots (``snapshots.py``, given this module's own collection), and restore into a new serverless
cache (SnapshotArnsToRestore) with the data. A snapshot leaves its cache "available". Automatic
snapshots expire after the cache's retention limit (ExpiryTime) and go with their cache; manual
ones stay until deleted. Memcached keeps no data on disk: its serverless caches have none.
"""

from __future__ import annotations

import copy as copy_module
import dataclasses
from datetime import datetime, timezone
from typing import Any, Callable

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.models import ServerlessCache, Snapshot
from regionbox.services.elasticache.serverless import available_cache, cache_status
from regionbox.services.elasticache.snapshots import Snapshots
from regionbox.services.elasticache.state import ElastiCacheState
from regionbox.services.elasticache.tags import checked_tags

TYPES = ("automated", "manual")
DAY = 86400.0


def snapshot_exists(name: str) -> ServiceError:
    return ServiceError("ServerlessCacheSnapshotAlreadyExistsFault", f"Serverless cache snapshot {name} already exists.")


def not_available(snapshot: Snapshot) -> ServiceError:
    return ServiceError("InvalidServerlessCacheSnapshotStateFault",
                        f"Serverless cache snapshot {snapshot.name} is not in available state (current state: {snapshot.status}).")


def major_version(snapshot: Snapshot) -> str:
    return snapshot.engine_version if snapshot.engine == "memcached" else snapshot.engine_version.split(".")[0]


def describe(snapshot: Snapshot) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ServerlessCacheSnapshotName": snapshot.name, "ARN": snapshot.arn, "SnapshotType": snapshot.source,
        "Status": snapshot.status, "CreateTime": snapshot.created, "BytesUsedForCache": str(snapshot.size),
        "ServerlessCacheConfiguration": {"ServerlessCacheName": snapshot.serverless_cache, "Engine": snapshot.engine,
                                         "MajorEngineVersion": major_version(snapshot)}}
    if snapshot.kms_key_id:
        result["KmsKeyId"] = snapshot.kms_key_id
    if snapshot.expires:
        result["ExpiryTime"] = snapshot.expires
    return result


class ServerlessSnapshots:
    def __init__(self, state: ElastiCacheState, engine: Snapshots, tasks: Tasks, paginator: Paginator,
                 day_seconds: Callable[[], float]) -> None:
        self.state = state
        self.engine = engine  # Snapshots over state.serverless_snapshots: takes, copies, exports the RDB files
        self.tasks = tasks
        self.paginator = paginator
        self.day_seconds = day_seconds

    def new(self, scope: Scope, cache: ServerlessCache, name: str, source: str = "manual", tags: list | None = None,
            day: float = DAY) -> Snapshot:
        """A snapshot document of ``cache``'s nodes, status "creating"; the caller begins and takes
        it. An automatic one expires after the cache's retention limit (in days of ``day`` seconds)."""
        if self.state.serverless_snapshots.get(scope, name) is not None:
            raise snapshot_exists(name)
        if cache.engine == "memcached":
            raise check.invalid_combination("Snapshots of a Memcached serverless cache are not supported by regionbox: Memcached "
                                            "keeps no data on disk.")
        rg = self.state.group(scope, cache.backing_id)
        snapshot = self.engine.new(scope, name, rg, None, source=source, tags=list(tags if tags is not None else cache.tags))
        snapshot.kind, snapshot.serverless_cache = "serverless", cache.name
        snapshot.arn = self.state.arn(scope, f"serverlesscachesnapshot:{name}")
        snapshot.kms_key_id = cache.kms_key_id
        if source == "automated":
            snapshot.expires = snapshot.created + cache.snapshot_retention_limit * day
        return snapshot

    # -- CreateServerlessCacheSnapshot --------------------------------------------------------------------
    def create_serverless_cache_snapshot(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        name = Snapshots.checked_name(params["ServerlessCacheSnapshotName"], "ServerlessCacheSnapshotName")
        tags = checked_tags(params.get("Tags") or [])
        cache = available_cache(self.state, scope, params["ServerlessCacheName"])
        snapshot = self.new(scope, cache, name, tags=checked_tags(tags, cache.tags))
        snapshot.kms_key_id = params.get("KmsKeyId") or snapshot.kms_key_id
        with self.state.transaction():
            self.engine.begin(scope, snapshot)
        ctx.touched("ServerlessCacheSnapshot", name)
        self.engine.take_in_background(scope, name)
        return {"ServerlessCacheSnapshot": describe(snapshot)}

    # -- DescribeServerlessCacheSnapshots -----------------------------------------------------------------
    def describe_serverless_cache_snapshots(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        kind = params.get("SnapshotType")
        if kind is not None and kind not in TYPES:
            raise check.invalid(f"Invalid value for parameter SnapshotType: {kind}. Valid values are automated and manual.")
        if params.get("ServerlessCacheSnapshotName"):
            found = [self.state.serverless_snapshot(scope, params["ServerlessCacheSnapshotName"])]
        else:
            found = sorted(self.state.serverless_snapshots.values(scope), key=lambda s: (s.created, s.name))
        if params.get("ServerlessCacheName"):
            name = params["ServerlessCacheName"].lower()
            if self.state.serverless_caches.get(scope, name) is None and not any(s.serverless_cache == name for s in found):
                raise check.serverless_cache_not_found(params["ServerlessCacheName"])
            found = [s for s in found if s.serverless_cache == name]
        if kind is not None:
            found = [s for s in found if s.source == kind]
        return check.paged(self.paginator, "ServerlessCacheSnapshots", [describe(s) for s in found], params,
                           check.SERVERLESS_RESULTS)

    # -- CopyServerlessCacheSnapshot ----------------------------------------------------------------------
    def copy_serverless_cache_snapshot(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        source = self.state.serverless_snapshot(scope, params["SourceServerlessCacheSnapshotName"])
        target = Snapshots.checked_name(params["TargetServerlessCacheSnapshotName"], "TargetServerlessCacheSnapshotName")
        tags = checked_tags(params.get("Tags") or [], source.tags) if params.get("Tags") else list(source.tags)
        if source.status != "available":
            raise not_available(source)
        if self.state.serverless_snapshots.get(scope, target) is not None:
            raise snapshot_exists(target)
        copy = dataclasses.replace(copy_module.deepcopy(source), name=target,
                                   arn=ctx.arn("elasticache", f"serverlesscachesnapshot:{target}"), source="manual",
                                   status="creating", created=clock.epoch(), expires=None, copied_from=source.name,
                                   kms_key_id=params.get("KmsKeyId") or source.kms_key_id, tags=tags)
        with self.state.transaction():
            self.state.serverless_snapshots.put(scope, target, copy)
        ctx.touched("ServerlessCacheSnapshot", target)
        self.engine.copy_in_background(scope, source.name, target)
        return {"ServerlessCacheSnapshot": describe(copy)}

    # -- ExportServerlessCacheSnapshot --------------------------------------------------------------------
    def export_serverless_cache_snapshot(self, ctx: RequestContext, params: dict) -> dict:
        """The RDB files go to the bucket as ``<snapshot name>-<shard>.rdb``, with the checks of CopySnapshot's TargetBucket."""
        scope = ctx.scope
        snapshot = self.state.serverless_snapshot(scope, params["ServerlessCacheSnapshotName"])
        if snapshot.status != "available":
            raise not_available(snapshot)
        self.engine.export(scope, snapshot, params["S3BucketName"], snapshot.name)
        return {"ServerlessCacheSnapshot": describe(snapshot)}

    # -- DeleteServerlessCacheSnapshot --------------------------------------------------------------------
    def delete_serverless_cache_snapshot(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        snapshot = self.state.serverless_snapshot(scope, params["ServerlessCacheSnapshotName"])
        if snapshot.status not in ("available", "failed"):
            raise not_available(snapshot)
        with self.state.transaction():
            self.state.serverless_snapshots.delete(scope, snapshot.name)
        self.engine.files.remove(scope, snapshot)
        snapshot.status = "deleting"
        return {"ServerlessCacheSnapshot": describe(snapshot)}

    def forget_automatic(self, scope: Scope, cache_name: str) -> None:
        """A deleted cache takes its automatic snapshots with it (in the caller's transaction)."""
        for snapshot in list(self.state.serverless_snapshots.values(scope)):
            if snapshot.source == "automated" and snapshot.serverless_cache == cache_name:
                self.state.serverless_snapshots.delete(scope, snapshot.name)
                self.engine.files.remove(scope, snapshot)

    # -- automatic snapshots ------------------------------------------------------------------------------
    def tick(self, now: float, day: int) -> None:
        """Called by the automatic snapshots' clock: each cache with a retention limit is backed up
        once a day at its DailySnapshotTime; expired automatic snapshots go."""
        length = self.day_seconds()
        for scope, name, cache in list(self.state.serverless_caches.all()):
            if cache.engine == "memcached" or cache.snapshot_retention_limit <= 0:
                continue
            self._prune(scope, cache, now, length)
            take, today = clock.daily_due(cache.daily_snapshot_time, cache.last_automatic_day, now, length)
            if not take:
                if cache.last_automatic_day < 0:
                    cache.last_automatic_day = today
                    self.state.serverless_caches.put(scope, name, cache)
                continue
            if cache_status(self.state, scope, cache) != "available":
                continue  # busy: later today
            stamp = datetime.fromtimestamp(now, timezone.utc)
            snapshot_name = f"automatic.{name}-{stamp:%Y-%m-%d-%H-%M-%S}"
            if self.state.serverless_snapshots.get(scope, snapshot_name) is not None:
                continue
            snapshot = self.new(scope, cache, snapshot_name, source="automated", day=length)
            with self.state.transaction():
                cache.last_automatic_day = today
                self.state.serverless_caches.put(scope, name, cache)
                self.engine.begin(scope, snapshot)
            self.engine.take_in_background(scope, snapshot_name)

    def _prune(self, scope: Scope, cache: ServerlessCache, now: float, length: float) -> None:
        for snapshot in list(self.state.serverless_snapshots.values(scope)):
            if (snapshot.source == "automated" and snapshot.serverless_cache == cache.name and snapshot.status == "available"
                    and snapshot.expires is not None and snapshot.expires <= now):
                self.state.serverless_snapshots.delete(scope, snapshot.name)
                self.engine.files.remove(scope, snapshot)
