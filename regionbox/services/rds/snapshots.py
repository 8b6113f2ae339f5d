"""DB snapshots: the final snapshot DeleteDBInstance takes (a copy of the stopped primary's data
directory), listed and deleted. Taking snapshots of running instances and restoring them are
not built yet (they answer 501)."""

from __future__ import annotations

import shutil

from regionbox.core import clock
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.services.rds import validation as check
from regionbox.services.rds.models import DBSnapshot, RdsState


def not_found(identifier: str) -> ServiceError:
    return ServiceError("DBSnapshotNotFound", f"DBSnapshot {identifier} not found.", 404)


class Snapshots:
    def __init__(self, state: RdsState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    @staticmethod
    def describe(snapshot: DBSnapshot) -> dict:
        return {"DBSnapshotIdentifier": snapshot.identifier, "DBInstanceIdentifier": snapshot.instance_identifier,
                "SnapshotCreateTime": clock.from_epoch(snapshot.created_at), "Engine": snapshot.engine,
                "AllocatedStorage": snapshot.allocated_storage, "Status": snapshot.status, "Port": snapshot.port,
                "AvailabilityZone": snapshot.zone, "InstanceCreateTime": clock.from_epoch(snapshot.instance_created_at),
                "MasterUsername": snapshot.master_username, "EngineVersion": snapshot.engine_version,
                "LicenseModel": "postgresql-license", "SnapshotType": snapshot.snapshot_type, "PercentProgress": 100,
                "StorageType": "gp2", "Encrypted": False, "DBSnapshotArn": snapshot.arn, "DbiResourceId": snapshot.resource_id,
                "IAMDatabaseAuthenticationEnabled": False, "ProcessorFeatures": [], "TagList": [], "SnapshotTarget": "region"}

    def describe_db_snapshots(self, ctx, params: dict) -> dict:
        identifier = params.get("DBSnapshotIdentifier")
        if identifier:
            snapshot = self.state.snapshots.get(ctx.scope, identifier.lower())
            if snapshot is None:
                raise not_found(identifier)
            snapshots = [snapshot]
        else:
            snapshots = self.state.snapshots.values(ctx.scope)
        if params.get("DBInstanceIdentifier"):
            snapshots = [s for s in snapshots if s.instance_identifier == params["DBInstanceIdentifier"].lower()]
        if params.get("SnapshotType"):
            snapshots = [s for s in snapshots if s.snapshot_type == params["SnapshotType"]]
        return check.paged(self.paginator, "DBSnapshots", [self.describe(s) for s in snapshots], params)

    def delete_db_snapshot(self, ctx, params: dict) -> dict:
        identifier = params["DBSnapshotIdentifier"].lower()
        snapshot = self.state.snapshots.get(ctx.scope, identifier)
        if snapshot is None:
            raise not_found(identifier)
        self.state.snapshots.delete(ctx.scope, identifier)
        shutil.rmtree(snapshot.path, ignore_errors=True)
        snapshot.status = "deleted"
        return {"DBSnapshot": self.describe(snapshot)}
