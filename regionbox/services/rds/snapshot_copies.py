"""CopyDBSnapshot and ModifyDBSnapshot.

A copy is a real copy of the snapshot's data directory, made in the background (the copy is
``creating``, then ``available``): of a snapshot of the caller's own (a manual copy of an automated
snapshot outlives its instance's retention), of another region's (``SourceDBSnapshotIdentifier`` its
ARN), or of another account's that shares it. A copy is always a manual snapshot.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from pathlib import Path

from regionbox.core import clock
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.rds import validation as check
from regionbox.services.rds.account import quota
from regionbox.services.rds.events import EventLog
from regionbox.services.rds.models import RdsState
from regionbox.services.rds.snapshot_sharing import find
from regionbox.services.rds.snapshots import Snapshots

# RDS's db-snapshot notifications for copies.
COPY_STARTED = ("RDS-EVENT-0059", ["notification"], "Started copy of snapshot {source} from region {region}")
COPY_FINISHED = ("RDS-EVENT-0060", ["notification"], "Finished copy of snapshot {source} from region {region}")


class SnapshotCopies:
    def __init__(self, state: RdsState, events: EventLog, tasks: Tasks, root: Path, option_group_of) -> None:
        self.state = state
        self.events = events
        self.tasks = tasks
        self.root = root
        # option_group_of(ctx, name, engine, version) -> the option group's name, or AWS's error
        self.option_group_of = option_group_of

    def copy_db_snapshot(self, ctx, params: dict) -> dict:
        source_id = params["SourceDBSnapshotIdentifier"]
        source_scope, source = find(self.state, ctx, source_id, any_region=True)
        target = check.identifier(params["TargetDBSnapshotIdentifier"], "TargetDBSnapshotIdentifier")
        if target.startswith("rds:"):
            raise invalid("The parameter TargetDBSnapshotIdentifier is not a valid identifier.")
        if source.status != "available":
            raise ServiceError("InvalidDBSnapshotState", f"DBSnapshot {source.identifier} is not in available state.")
        if (ctx.scope, target) in self.state.snapshots:
            raise ServiceError("DBSnapshotAlreadyExists", f"Cannot create the snapshot because a snapshot with the identifier "
                               f"{target} already exists.")
        manual = [s for s in self.state.snapshots.values(ctx.scope) if s.snapshot_type == "manual"]
        if len(manual) >= quota("ManualSnapshots"):
            raise ServiceError("SnapshotQuotaExceeded", "Cannot create more than 100 manual snapshots")
        option_group = source.option_group
        if params.get("OptionGroupName"):
            option_group = self.option_group_of(ctx, params["OptionGroupName"], source.engine, source.engine_version)
        tags = list(params.get("Tags") or [])
        if params.get("CopyTags") and source_scope == ctx.scope:
            given = {t["Key"] for t in tags}
            tags = [t for t in source.tags if t["Key"] not in given] + tags
        cross_region = source_scope[1] != ctx.region
        copy = dataclasses.replace(
            source, identifier=target, arn=ctx.arn("rds", f"snapshot:{target}"), snapshot_type="manual", status="creating",
            created_at=clock.epoch(), path=str(self.root / f"{ctx.account_id}.{ctx.region}.{target}"), tags=tags,
            restore_accounts=[], source_arn=source.arn, source_region=source_scope[1] if cross_region else None,
            option_group=option_group)
        self.state.snapshots.put(ctx.scope, target, copy)
        self.events.record(ctx.scope, target, "db-snapshot", COPY_STARTED, copy.arn, source=source.arn, region=source_scope[1])
        self.tasks.spawn(self._copy(ctx.scope, target, source.path, source.arn, source_scope[1]), owner="rds",
                         what=f"copying snapshot {target}", on_failure=lambda error: self._failed(ctx.scope, target))
        return {"DBSnapshot": Snapshots.describe(copy)}

    async def _copy(self, scope: Scope, target: str, source_path: str, source_arn: str, source_region: str) -> None:
        path = Path(self.state.snapshots.get(scope, target).path)
        shutil.rmtree(path, ignore_errors=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")  # a copy cut short by a crash is never taken for a whole one
        shutil.rmtree(partial, ignore_errors=True)
        await asyncio.to_thread(shutil.copytree, source_path, partial, symlinks=True)
        partial.rename(path)
        copy = self.state.snapshots.get(scope, target)
        if copy is None:  # deleted while it was being copied
            shutil.rmtree(path, ignore_errors=True)
            return
        copy.status = "available"
        self.state.snapshots.put(scope, target, copy)
        self.events.record(scope, target, "db-snapshot", COPY_FINISHED, copy.arn, source=source_arn, region=source_region)

    def _failed(self, scope: Scope, target: str) -> None:
        copy = self.state.snapshots.get(scope, target)
        if copy is not None:
            copy.status = "failed"
            self.state.snapshots.put(scope, target, copy)

    def modify_db_snapshot(self, ctx, params: dict) -> dict:
        snapshot = self.state.snapshots.get(ctx.scope, params["DBSnapshotIdentifier"].lower())
        if snapshot is None:
            raise ServiceError("DBSnapshotNotFound", f"DBSnapshot {params['DBSnapshotIdentifier']} not found.", 404)
        if snapshot.status != "available":
            raise ServiceError("InvalidDBSnapshotState", f"DBSnapshot {snapshot.identifier} is not in available state.")
        if snapshot.snapshot_type != "manual":
            raise ServiceError("InvalidDBSnapshotState", "Only manual snapshots can be modified.")
        version = params.get("EngineVersion")
        if version is not None and version != snapshot.engine_version:
            if snapshot.restore_accounts:
                raise ServiceError("InvalidDBSnapshotState", "A shared or public snapshot cannot be upgraded.")
            # The one PostgreSQL installed is the version every snapshot here was taken with: it
            # has no upgrade target (DescribeDBEngineVersions' ValidUpgradeTarget is empty).
            raise invalid(f"Cannot upgrade {snapshot.engine} from {snapshot.engine_version} to {version}: it is not a valid "
                          "upgrade target for this snapshot.")
        if params.get("OptionGroupName"):
            snapshot.option_group = self.option_group_of(ctx, params["OptionGroupName"], snapshot.engine, snapshot.engine_version)
        self.state.snapshots.put(ctx.scope, snapshot.identifier, snapshot)
        return {"DBSnapshot": Snapshots.describe(snapshot)}
