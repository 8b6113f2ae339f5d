"""DB cluster snapshots: Create/Describe/Copy/Delete DBClusterSnapshot, the final snapshot of
DeleteDBCluster, RestoreDBClusterFromSnapshot, and sharing them with other accounts
(Describe/ModifyDBClusterSnapshotAttribute's ``restore`` attribute).

A snapshot is a consistent copy of the cluster's data: an online base backup of the writer
(``pg_basebackup`` with the WAL it needs), or, with no instance running, a copy of the cluster's
volume. A restore makes a new cluster whose volume is that copy; its first instance starts from it.
Snapshots live under ``<state>/engines/rds-cluster-snapshots``.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from regionbox.core import clock
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.store import Scope
from regionbox.services.rds import validation as check
from regionbox.services.rds.cluster_members import cluster_invalid_state
from regionbox.services.rds.clusters import Clusters
from regionbox.services.rds.models import DBCluster, DBClusterSnapshot

CREATING = ("RDS-EVENT-0074", ["backup"], "Creating manual cluster snapshot")
CREATED = ("RDS-EVENT-0075", ["backup"], "Manual cluster snapshot created")
COPIED = ("RDS-EVENT-0076", ["notification"], "Finished copying cluster snapshot")
MAX_SHARED_ACCOUNTS = 20


def not_found(identifier: str) -> ServiceError:
    return ServiceError("DBClusterSnapshotNotFoundFault", f"DBClusterSnapshot {identifier} not found.", 404)


def invalid_snapshot_state(message: str) -> ServiceError:
    return ServiceError("InvalidDBClusterSnapshotStateFault", message)


class ClusterSnapshots:
    def __init__(self, clusters: Clusters, root: Path) -> None:
        self.clusters = clusters
        self.members = clusters.members
        self.state = clusters.state
        self.nodes = clusters.nodes
        self.events = clusters.events
        self.tasks = clusters.tasks
        self.paginator = clusters.paginator
        self.root = root

    # -- finding ---------------------------------------------------------------------------------
    def find(self, scope: Scope, name: str, shared: bool = False) -> tuple[Scope, DBClusterSnapshot]:
        """A snapshot by identifier, or by ARN; ``shared``: another account's it shares with this one."""
        owner, identifier = scope, name
        if name.startswith("arn:"):
            parts = name.split(":")
            if len(parts) != 7 or parts[5] != "cluster-snapshot":
                raise invalid(f"Invalid cluster snapshot identifier: {name}")
            owner, identifier = (parts[4], parts[3]), parts[6]
        snapshot = self.state.cluster_snapshots.get(owner, identifier.lower())
        if snapshot is None or owner != scope and not (shared and owner[1] == scope[1] and
                                                       ({scope[0], "all"} & set(snapshot.shared_with))):
            raise not_found(name)
        return owner, snapshot

    def _new(self, scope: Scope, identifier: str, cluster: DBCluster, snapshot_type: str, tags: list) -> DBClusterSnapshot:
        return DBClusterSnapshot(
            identifier=identifier, arn=f"arn:aws:rds:{scope[1]}:{scope[0]}:cluster-snapshot:{identifier}",
            cluster_identifier=cluster.identifier, cluster_resource_id=cluster.resource_id, engine=cluster.engine,
            engine_version=cluster.engine_version, master_username=cluster.master_username, port=cluster.port,
            zones=list(cluster.zones), snapshot_type=snapshot_type, status="creating", created_at=clock.epoch(),
            cluster_created_at=cluster.created_at, path=str(self.root / f"{scope[0]}.{scope[1]}.{identifier}"),
            allocated_storage=cluster.allocated_storage, storage_type=cluster.storage_type, database_name=cluster.database_name,
            tags=tags)

    def _unused(self, scope: Scope, identifier: str) -> None:
        if (scope, identifier) in self.state.cluster_snapshots:
            raise ServiceError("DBClusterSnapshotAlreadyExistsFault", f"Cannot create the cluster snapshot because one with "
                               f"the identifier {identifier} already exists.")

    @staticmethod
    def describe(snapshot: DBClusterSnapshot) -> dict:
        described = {
            "DBClusterSnapshotIdentifier": snapshot.identifier, "DBClusterIdentifier": snapshot.cluster_identifier,
            "DBClusterSnapshotArn": snapshot.arn, "SnapshotCreateTime": clock.from_epoch(snapshot.created_at),
            "ClusterCreateTime": clock.from_epoch(snapshot.cluster_created_at), "Engine": snapshot.engine,
            "EngineMode": "provisioned", "EngineVersion": snapshot.engine_version, "AllocatedStorage": snapshot.allocated_storage,
            "Status": snapshot.status, "Port": snapshot.port, "AvailabilityZones": snapshot.zones,
            "MasterUsername": snapshot.master_username, "LicenseModel": snapshot.engine if snapshot.engine != "postgres"
            else "postgresql-license", "SnapshotType": snapshot.snapshot_type,
            "PercentProgress": 100 if snapshot.status == "available" else 0, "StorageEncrypted": False,
            "IAMDatabaseAuthenticationEnabled": False, "TagList": snapshot.tags, "DbClusterResourceId": snapshot.cluster_resource_id,
            "StorageType": snapshot.storage_type,
        }
        if snapshot.source_arn:
            described["SourceDBClusterSnapshotArn"] = snapshot.source_arn
        return described

    def _finish(self, scope: Scope, identifier: str, status: str, event: tuple | None) -> None:
        snapshot = self.state.cluster_snapshots.get(scope, identifier)
        if snapshot is not None:
            snapshot.status = status
            self.state.cluster_snapshots.put(scope, identifier, snapshot)
            if event is not None:
                self.events.record(scope, identifier, "db-cluster-snapshot", event, snapshot.arn)

    def _spawn(self, scope: Scope, identifier: str, coroutine, what: str) -> None:
        self.tasks.spawn(coroutine, owner="rds", what=f"{what} {identifier}",
                         on_failure=lambda error: self._finish(scope, identifier, "failed", None))

    @staticmethod
    async def _copy(source: str, target: str) -> None:
        shutil.rmtree(target, ignore_errors=True)
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(shutil.copytree, source, target, symlinks=True)

    # -- CreateDBClusterSnapshot -----------------------------------------------------------------
    def create_db_cluster_snapshot(self, ctx, params: dict) -> dict:
        scope = ctx.scope
        identifier = check.identifier(params["DBClusterSnapshotIdentifier"], "DBClusterSnapshotIdentifier")
        cluster = self.members.cluster(scope, params["DBClusterIdentifier"])
        self._unused(scope, identifier)
        if cluster.status != "available":
            raise cluster_invalid_state(cluster.identifier)
        writer = self.members.writer(scope, cluster)
        if (writer is None or writer.status != "available") and not cluster.volume:
            raise cluster_invalid_state(cluster.identifier)
        tags = params.get("Tags") or (cluster.tags if cluster.copy_tags_to_snapshot else [])
        snapshot = self._new(scope, identifier, cluster, "manual", tags)
        self.state.cluster_snapshots.put(scope, identifier, snapshot)
        self.events.record(scope, identifier, "db-cluster-snapshot", CREATING, snapshot.arn)
        self._spawn(scope, identifier, self._take(scope, cluster.identifier, identifier), "cluster snapshot")
        return {"DBClusterSnapshot": self.describe(snapshot)}

    async def _take(self, scope: Scope, cluster_id: str, identifier: str) -> None:
        cluster = self.members.cluster(scope, cluster_id)
        snapshot = self.state.cluster_snapshots.get(scope, identifier)
        writer = self.members.writer(scope, cluster)
        if writer is not None:
            shutil.rmtree(snapshot.path, ignore_errors=True)
            Path(snapshot.path).parent.mkdir(parents=True, exist_ok=True)
            await self.nodes.backup(writer, Path(snapshot.path))
        else:
            await self._copy(cluster.volume, snapshot.path)
        self._finish(scope, identifier, "available", CREATED)

    async def take_final(self, scope: Scope, cluster: DBCluster, identifier: str) -> None:
        """DeleteDBCluster's final snapshot: a copy of the volume its last instance left."""
        snapshot = self._new(scope, identifier, cluster, "manual", cluster.tags if cluster.copy_tags_to_snapshot else [])
        self.state.cluster_snapshots.put(scope, identifier, snapshot)
        await self._copy(cluster.volume, snapshot.path)
        self._finish(scope, identifier, "available", CREATED)

    # -- DescribeDBClusterSnapshots / DeleteDBClusterSnapshot / CopyDBClusterSnapshot ------------
    def describe_db_cluster_snapshots(self, ctx, params: dict) -> dict:
        scope = ctx.scope
        identifier, snapshot_type = params.get("DBClusterSnapshotIdentifier"), params.get("SnapshotType")
        if identifier:
            snapshots = [self.find(scope, identifier, shared=True)[1]]
        else:
            snapshots = [] if snapshot_type == "shared" else self.state.cluster_snapshots.values(scope)
            if params.get("IncludeShared") or snapshot_type == "shared":
                snapshots += [s for owner, _, s in self.state.cluster_snapshots.all()
                              if owner != scope and owner[1] == scope[1] and {scope[0], "all"} & set(s.shared_with)]
        if params.get("DBClusterIdentifier"):
            cluster_id = params["DBClusterIdentifier"].lower()
            snapshots = [s for s in snapshots if s.cluster_identifier == cluster_id]
        if snapshot_type in ("manual", "automated"):
            snapshots = [s for s in snapshots if s.snapshot_type == snapshot_type]
        elif snapshot_type == "public":
            snapshots = [s for s in snapshots if "all" in s.shared_with]
        return check.paged(self.paginator, "DBClusterSnapshots", [self.describe(s) for s in snapshots], params)

    def delete_db_cluster_snapshot(self, ctx, params: dict) -> dict:
        _, snapshot = self.find(ctx.scope, params["DBClusterSnapshotIdentifier"])
        if snapshot.status == "creating":
            raise invalid_snapshot_state(f"Cannot delete the snapshot {snapshot.identifier} while it is being created.")
        self.state.cluster_snapshots.delete(ctx.scope, snapshot.identifier)
        shutil.rmtree(snapshot.path, ignore_errors=True)
        snapshot.status = "deleted"
        return {"DBClusterSnapshot": self.describe(snapshot)}

    def copy_db_cluster_snapshot(self, ctx, params: dict) -> dict:
        scope = ctx.scope
        _, source = self.find(scope, params["SourceDBClusterSnapshotIdentifier"], shared=True)
        if source.status != "available":
            raise invalid_snapshot_state(f"Cannot copy the snapshot {source.identifier} because it is not available.")
        identifier = check.identifier(params["TargetDBClusterSnapshotIdentifier"], "TargetDBClusterSnapshotIdentifier")
        self._unused(scope, identifier)
        tags = params.get("Tags") or (source.tags if params.get("CopyTags") else [])
        copy = DBClusterSnapshot(**{**source.__dict__, "identifier": identifier, "shared_with": [], "tags": tags,
                                    "arn": f"arn:aws:rds:{scope[1]}:{scope[0]}:cluster-snapshot:{identifier}",
                                    "path": str(self.root / f"{scope[0]}.{scope[1]}.{identifier}"), "status": "creating",
                                    "snapshot_type": "manual", "created_at": clock.epoch(), "source_arn": source.arn})
        self.state.cluster_snapshots.put(scope, identifier, copy)

        async def copy_data() -> None:
            await self._copy(source.path, copy.path)
            self._finish(scope, identifier, "available", COPIED)
        self._spawn(scope, identifier, copy_data(), "copying cluster snapshot")
        return {"DBClusterSnapshot": self.describe(copy)}

    # -- RestoreDBClusterFromSnapshot ------------------------------------------------------------
    def restore_db_cluster_from_snapshot(self, ctx, params: dict) -> dict:
        name = params["SnapshotIdentifier"]
        try:
            _, snapshot = self.find(ctx.scope, name, shared=True)
        except ServiceError:
            if not name.startswith("arn:") and (ctx.scope, name.lower()) in self.state.snapshots:
                raise ServiceError("InvalidRestoreFault", "Restoring a DB cluster from a DB instance snapshot is not built "
                                   "yet: restore it with RestoreDBInstanceFromDBSnapshot") from None
            raise
        if snapshot.status != "available":
            raise invalid_snapshot_state(f"Snapshot {snapshot.identifier} is not in available state.")
        engine = params["Engine"].lower()
        if engine != snapshot.engine:
            raise check.combination(f"The engine name requested for your DB cluster ({engine}) doesn't match the engine "
                                    f"name of the snapshot ({snapshot.engine}).")
        return self.clusters.create_db_cluster(ctx, {**params, "EngineVersion": params.get("EngineVersion") or snapshot.engine_version,
                                                     "Port": params.get("Port") or snapshot.port}, restored_from=snapshot)

    # -- snapshot attributes ---------------------------------------------------------------------
    def _attributes(self, snapshot: DBClusterSnapshot) -> dict:
        return {"DBClusterSnapshotAttributesResult": {
            "DBClusterSnapshotIdentifier": snapshot.identifier,
            "DBClusterSnapshotAttributes": [{"AttributeName": "restore", "AttributeValues": list(snapshot.shared_with)}]}}

    def describe_db_cluster_snapshot_attributes(self, ctx, params: dict) -> dict:
        return self._attributes(self.find(ctx.scope, params["DBClusterSnapshotIdentifier"])[1])

    def modify_db_cluster_snapshot_attribute(self, ctx, params: dict) -> dict:
        _, snapshot = self.find(ctx.scope, params["DBClusterSnapshotIdentifier"])
        if params["AttributeName"] != "restore":
            raise invalid(f"Invalid attribute name: {params['AttributeName']}. The only valid attribute name is restore.")
        if snapshot.snapshot_type == "automated":
            raise invalid_snapshot_state("Automated snapshots cannot be shared: copy it to a manual snapshot first.")
        adding, removing = params.get("ValuesToAdd") or [], set(params.get("ValuesToRemove") or [])
        for value in adding:
            if value != "all" and not (len(value) == 12 and value.isdigit()):
                raise invalid(f"Invalid AWS account ID: {value}")
        shared = [v for v in dict.fromkeys([*snapshot.shared_with, *adding]) if v not in removing]
        if len([v for v in shared if v != "all"]) > MAX_SHARED_ACCOUNTS:
            raise ServiceError("SharedSnapshotQuotaExceeded", f"You have exceeded the maximum number of accounts "
                               f"({MAX_SHARED_ACCOUNTS}) that you can share a manual DB snapshot with.")
        snapshot.shared_with = shared
        self.state.cluster_snapshots.put(ctx.scope, snapshot.identifier, snapshot)
        return self._attributes(snapshot)
