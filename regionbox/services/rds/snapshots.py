"""DB snapshots: CreateDBSnapshot (an online base backup of the primary, ``pg_basebackup`` with the
WAL it needs), the final snapshot DeleteDBInstance takes (a copy of the stopped primary's data
directory), RestoreDBInstanceFromDBSnapshot (a new instance whose server starts from a copy),
DescribeDBSnapshots and DeleteDBSnapshot. Snapshots live under ``<state>/engines/rds-snapshots``."""

from __future__ import annotations

import shutil
from pathlib import Path

from regionbox.core import clock
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.rds import snapshot_sharing as sharing
from regionbox.services.rds import validation as check
from regionbox.services.rds.events import EventLog, Messages
from regionbox.services.rds.instances import Instances
from regionbox.services.rds.models import DBInstance, DBSnapshot, RdsState


def not_found(identifier: str) -> ServiceError:
    return ServiceError("DBSnapshotNotFound", f"DBSnapshot {identifier} not found.", 404)


def make_snapshot(instance: DBInstance, scope: Scope, identifier: str, root: Path, snapshot_type: str, tags: list[dict]) -> DBSnapshot:
    return DBSnapshot(identifier=identifier, arn=f"arn:aws:rds:{scope[1]}:{scope[0]}:snapshot:{identifier}",
                      instance_identifier=instance.identifier, resource_id=instance.resource_id, engine=instance.engine,
                      engine_version=instance.engine_version, master_username=instance.master_username,
                      allocated_storage=instance.allocated_storage, port=instance.port,
                      zone=instance.primary.zone if instance.primary else "", snapshot_type=snapshot_type, status="creating",
                      created_at=clock.epoch(), instance_created_at=instance.created_at,
                      path=str(root / f"{scope[0]}.{scope[1]}.{identifier}"), db_name=instance.db_name, tags=tags)


class Snapshots:
    def __init__(self, state: RdsState, instances: Instances, events: EventLog, tasks: Tasks, root: Path,
                 paginator: Paginator) -> None:
        self.state = state
        self.instances = instances
        self.events = events
        self.tasks = tasks
        self.root = root
        self.paginator = paginator

    def create_db_snapshot(self, ctx, params: dict) -> dict:
        scope = ctx.scope
        identifier = check.identifier(params["DBSnapshotIdentifier"], "DBSnapshotIdentifier")
        instance = self.instances.get(scope, params["DBInstanceIdentifier"])
        if (scope, identifier) in self.state.snapshots:
            raise ServiceError("DBSnapshotAlreadyExists", f"Cannot create the snapshot because a snapshot with the identifier "
                               f"{identifier} already exists.")
        if instance.status != "available":
            raise check.invalid_state(instance.identifier)
        tags = params.get("Tags") or (instance.tags if instance.copy_tags_to_snapshot else [])
        snapshot = make_snapshot(instance, scope, identifier, self.root, "manual", tags)
        instance.status = "backing-up"
        with self.state.store.transaction():
            self.state.snapshots.put(scope, identifier, snapshot)
            self.instances.save(scope, instance)
        self.events.record(scope, identifier, "db-snapshot", Messages.SNAPSHOT_CREATING, snapshot.arn)
        self.tasks.spawn(self._take(scope, instance.identifier, identifier), owner="rds", what=f"snapshot {identifier}",
                         on_failure=lambda error: self._failed(scope, instance.identifier, identifier))
        return {"DBSnapshot": self.describe(snapshot)}

    async def _take(self, scope: Scope, instance_id: str, identifier: str) -> None:
        snapshot = self.state.snapshots.get(scope, identifier)
        shutil.rmtree(snapshot.path, ignore_errors=True)
        Path(snapshot.path).parent.mkdir(parents=True, exist_ok=True)
        await self.instances.nodes.backup(self.instances.get(scope, instance_id), Path(snapshot.path))
        snapshot = self.state.snapshots.get(scope, identifier)
        snapshot.status = "available"
        self.state.snapshots.put(scope, identifier, snapshot)
        self.events.record(scope, identifier, "db-snapshot", Messages.SNAPSHOT_CREATED, snapshot.arn)
        self._instance_available(scope, instance_id)

    def _instance_available(self, scope: Scope, instance_id: str) -> None:
        instance = self.state.instances.get(scope, instance_id)
        if instance is not None and instance.status == "backing-up":
            instance.status = "available"
            self.instances.save(scope, instance)

    def _failed(self, scope: Scope, instance_id: str, identifier: str) -> None:
        snapshot = self.state.snapshots.get(scope, identifier)
        if snapshot is not None:
            snapshot.status = "failed"
            self.state.snapshots.put(scope, identifier, snapshot)
        self._instance_available(scope, instance_id)

    def restore_db_instance_from_db_snapshot(self, ctx, params: dict) -> dict:
        # The model lets DBClusterSnapshotIdentifier stand instead; regionbox serves no DB clusters.
        # A name, or the ARN of a snapshot another account shares with the caller.
        _, snapshot = sharing.find(self.state, ctx, check.required(params, "DBSnapshotIdentifier"))
        if snapshot.status != "available":
            raise ServiceError("InvalidDBSnapshotState", f"DBSnapshot {snapshot.identifier} is not in available state.")
        identifier = check.identifier(params["DBInstanceIdentifier"])
        instance_class = check.instance_class(params.get("DBInstanceClass") or "db.t4g.micro")
        return self.instances.new_instance(
            ctx, params, identifier=identifier, instance_class=instance_class, engine=snapshot.engine,
            version=snapshot.engine_version, username=snapshot.master_username, password="",
            storage=params.get("AllocatedStorage") or snapshot.allocated_storage, storage_type=params.get("StorageType") or "gp2",
            db_name=snapshot.db_name, source=snapshot.path)

    @staticmethod
    def describe(snapshot: DBSnapshot) -> dict:
        return {"DBSnapshotIdentifier": snapshot.identifier, "DBInstanceIdentifier": snapshot.instance_identifier,
                "SnapshotCreateTime": clock.from_epoch(snapshot.created_at), "Engine": snapshot.engine,
                "AllocatedStorage": snapshot.allocated_storage, "Status": snapshot.status, "Port": snapshot.port,
                "AvailabilityZone": snapshot.zone, "InstanceCreateTime": clock.from_epoch(snapshot.instance_created_at),
                "MasterUsername": snapshot.master_username, "EngineVersion": snapshot.engine_version,
                "LicenseModel": "postgresql-license", "SnapshotType": snapshot.snapshot_type, "PercentProgress": 100,
                "StorageType": "gp2", "Encrypted": False, "DBSnapshotArn": snapshot.arn, "DbiResourceId": snapshot.resource_id,
                "IAMDatabaseAuthenticationEnabled": False, "ProcessorFeatures": [], "TagList": snapshot.tags,
                "SnapshotTarget": "region", **({"SourceDBSnapshotIdentifier": snapshot.source_arn} if snapshot.source_arn else {}),
                **({"SourceRegion": snapshot.source_region} if snapshot.source_region else {}),
                **({"OptionGroupName": snapshot.option_group} if snapshot.option_group else {})}

    def describe_db_snapshots(self, ctx, params: dict) -> dict:
        identifier = params.get("DBSnapshotIdentifier")
        if identifier:
            snapshots = [sharing.find(self.state, ctx, identifier)[1]]
        else:
            snapshots = self.state.snapshots.values(ctx.scope)
        kind = params.get("SnapshotType")
        if kind in ("shared", "public"):  # other accounts' snapshots the caller may restore
            snapshots = sharing.shared_snapshots(self.state, ctx, public=kind == "public", shared=kind == "shared")
        elif not identifier and (params.get("IncludeShared") or params.get("IncludePublic")):
            snapshots = snapshots + sharing.shared_snapshots(self.state, ctx, bool(params.get("IncludePublic")),
                                                             bool(params.get("IncludeShared")))
        if params.get("DBInstanceIdentifier"):
            snapshots = [s for s in snapshots if s.instance_identifier == params["DBInstanceIdentifier"].lower()]
        if kind and kind not in ("shared", "public"):
            snapshots = [s for s in snapshots if s.snapshot_type == kind]
        return check.paged(self.paginator, "DBSnapshots", [self.describe(s) for s in snapshots], params)

    def delete_db_snapshot(self, ctx, params: dict) -> dict:
        identifier = params["DBSnapshotIdentifier"].lower()
        snapshot = self.state.snapshots.get(ctx.scope, identifier)
        if snapshot is None:
            raise not_found(identifier)
        if snapshot.status == "creating":
            raise ServiceError("InvalidDBSnapshotState", f"Cannot delete the snapshot {identifier} while it is being created.")
        if snapshot.snapshot_type == "automated":  # they expire with the retention period, or go with the instance
            raise ServiceError("InvalidDBSnapshotState", "Only manual snapshots may be deleted.")
        self.state.snapshots.delete(ctx.scope, identifier)
        shutil.rmtree(snapshot.path, ignore_errors=True)
        snapshot.status = "deleted"
        return {"DBSnapshot": self.describe(snapshot)}
