"""DB clusters: CreateDBCluster, DescribeDBClusters, ModifyDBCluster, DeleteDBCluster,
RebootDBCluster, StopDBCluster, StartDBCluster.

Two kinds, on the same PostgreSQL servers as DB instances (cluster_members.py holds the members,
endpoints and failovers):

- Aurora PostgreSQL (engine ``aurora-postgresql``): the cluster is made with no instance; the
  first CreateDBInstance naming it makes the writer, later ones readers. With no instance left,
  the data stays with the cluster (its volume) for the next writer, as Aurora's storage does.
- Multi-AZ DB clusters (engine ``postgres`` with DBClusterInstanceClass): RDS makes a writer and
  two readers in three AZs itself, and deleting the cluster deletes them.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import string

from regionbox.core import clock
from regionbox.core.errors import NotImplementedOperation, ServiceError, invalid
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.services.rds import validation as check
from regionbox.services.rds.cluster_members import ClusterMembers, cluster_invalid_state
from regionbox.services.rds.instances import HOSTED_ZONE
from regionbox.services.rds.models import DBCluster

CREATED = ("RDS-EVENT-0170", ["creation"], "DB cluster created")
DELETED = ("RDS-EVENT-0171", ["deletion"], "DB cluster deleted")
STOPPED = ("RDS-EVENT-0150", ["notification"], "DB cluster stopped")
STARTED = ("RDS-EVENT-0151", ["notification"], "DB cluster started")
REBOOTED = ("RDS-EVENT-0157", ["notification"], "DB cluster restarted")
ENGINES = ("aurora-postgresql", "postgres")
MULTI_AZ_MEMBERS = 3  # a Multi-AZ DB cluster: one writer and two readers, each in its own AZ
# What a cluster caught in a transition when regionbox died is once its instances are back.
TRANSITIONS = {"failing-over": "available", "rebooting": "available", "modifying": "available", "starting": "available",
               "creating": "available", "stopping": "stopped", "backing-up": "available"}


def cluster_resource_id() -> str:
    return "cluster-" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(26))


def describe_cluster(members: ClusterMembers, scope: Scope, cluster: DBCluster) -> dict:
    instances = members.members(scope, cluster.identifier)
    zones = sorted({i.primary.zone for i in instances if i.primary is not None})
    described = {
        "DBClusterIdentifier": cluster.identifier, "DBClusterArn": cluster.arn, "DbClusterResourceId": cluster.resource_id,
        "Engine": cluster.engine, "EngineVersion": cluster.engine_version, "EngineMode": "provisioned", "Status": cluster.status,
        "Endpoint": cluster.endpoint_address, "ReaderEndpoint": cluster.reader_address,
        "CustomEndpoints": [e.address for e in members.state.cluster_endpoints.values(scope) if e.cluster_identifier == cluster.identifier],
        "Port": cluster.port, "MasterUsername": cluster.master_username, "HostedZoneId": HOSTED_ZONE,
        "DBClusterParameterGroup": cluster.parameter_group, "DBSubnetGroup": cluster.subnet_group,
        "AvailabilityZones": cluster.zones, "MultiAZ": len(zones) > 1, "BackupRetentionPeriod": cluster.backup_retention,
        "PreferredBackupWindow": cluster.backup_window, "PreferredMaintenanceWindow": check.MAINTENANCE_WINDOW,
        "DBClusterMembers": [{"DBInstanceIdentifier": i.identifier, "IsClusterWriter": i.identifier == cluster.writer,
                              "DBClusterParameterGroupStatus": i.parameter_apply_status, "PromotionTier": i.promotion_tier}
                             for i in instances],
        "VpcSecurityGroups": [{"VpcSecurityGroupId": g, "Status": "active"} for g in cluster.vpc_security_groups],
        "StorageEncrypted": cluster.storage_encrypted, "DeletionProtection": cluster.deletion_protection,
        "CopyTagsToSnapshot": cluster.copy_tags_to_snapshot, "TagList": cluster.tags,
        "ClusterCreateTime": clock.from_epoch(cluster.created_at), "AllocatedStorage": cluster.allocated_storage,
        "StorageType": cluster.storage_type, "IAMDatabaseAuthenticationEnabled": False, "CrossAccountClone": False,
        "HttpEndpointEnabled": False, "AssociatedRoles": [], "ReadReplicaIdentifiers": [], "DBClusterOptionGroupMemberships": [],
        "NetworkType": "IPV4", "AutoMinorVersionUpgrade": True, "PendingModifiedValues": {},
    }
    if cluster.database_name:
        described["DatabaseName"] = cluster.database_name
    if cluster.instance_class:
        described["DBClusterInstanceClass"] = cluster.instance_class
    if cluster.iops:
        described["Iops"] = cluster.iops
    return described


class Clusters:
    def __init__(self, members: ClusterMembers, parameter_groups, subnet_groups, addresses, paginator: Paginator) -> None:
        self.members = members
        self.instances = members.instances
        self.state = members.state
        self.nodes = members.nodes
        self.events = members.events
        self.tasks = members.tasks
        self.parameter_groups = parameter_groups  # ClusterParameterGroups
        self.subnet_groups = subnet_groups
        self.addresses = addresses
        self.paginator = paginator
        self.final_snapshot = None  # ClusterSnapshots.take_final(scope, cluster, identifier), set in load
        self.deleted: list = []  # told (scope, cluster) when a cluster is gone: its custom endpoints go too

    def describe(self, scope: Scope, cluster: DBCluster) -> dict:
        return describe_cluster(self.members, scope, cluster)

    def spawn(self, scope: Scope, identifier: str, coroutine, what: str) -> None:
        self.tasks.spawn(coroutine, owner="rds", what=f"{what} DB cluster {identifier}",
                         on_failure=lambda error: self._failed(scope, identifier, error))

    def _failed(self, scope: Scope, identifier: str, error: BaseException) -> None:
        cluster = self.state.clusters.get(scope, identifier)
        if cluster is not None and cluster.status != "deleting":
            cluster.status = "failed"
            self.members.save(scope, cluster)
            self.events.record(scope, identifier, "db-cluster", ("RDS-EVENT-0031", ["failure"], "DB cluster failed: {reason}"),
                               cluster.arn, reason=error)

    # -- CreateDBCluster -------------------------------------------------------------------------
    def engine_version(self, engine: str, wanted: str | None) -> str:
        engine = engine.lower()
        if engine not in ENGINES:
            if engine.startswith("aurora") or engine in ("mysql", "mariadb", "neptune", "docdb"):
                raise invalid(f"Engine {engine} is not served by regionbox: its DB clusters run aurora-postgresql and "
                              "postgres on the installed PostgreSQL.")
            raise invalid(f"Invalid DB engine: {engine}")
        return self.instances._engine_version("postgres", wanted)

    def create_db_cluster(self, ctx, params: dict, *, restored_from=None) -> dict:
        """CreateDBCluster, and the cluster a restore makes (``restored_from``: the snapshot, whose
        data becomes the cluster's volume)."""
        scope = ctx.scope
        identifier = check.identifier(params["DBClusterIdentifier"], "DBClusterIdentifier")
        engine = params["Engine"].lower()
        version = self.engine_version(engine, params.get("EngineVersion"))
        if params.get("ManageMasterUserPassword"):
            raise NotImplementedOperation("rds", "CreateDBCluster", "ManageMasterUserPassword needs Secrets Manager, which "
                                          "regionbox does not serve yet")
        if params.get("EngineMode") not in (None, "provisioned"):
            raise NotImplementedOperation("rds", "CreateDBCluster", f"EngineMode {params['EngineMode']} is not built yet")
        if params.get("GlobalClusterIdentifier") or params.get("ReplicationSourceIdentifier"):
            raise NotImplementedOperation("rds", "CreateDBCluster", "global databases and cross-region replicas are not built yet")
        instance_class = params.get("DBClusterInstanceClass")
        if engine == "postgres":
            if not instance_class:
                raise check.combination("The DBClusterInstanceClass parameter is required to create a Multi-AZ DB cluster.")
            check.instance_class(instance_class)
        elif instance_class:
            raise check.combination("The DBClusterInstanceClass parameter isn't supported for Aurora DB clusters.")
        if restored_from is None:
            if params.get("MasterUsername") is None:
                raise invalid("The parameter MasterUsername must be provided and must not be blank.")
            username = check.master_username(params["MasterUsername"])
            if params.get("MasterUserPassword") is None:
                raise invalid("The parameter MasterUserPassword must be provided and must not be blank.")
            password = check.master_password(params["MasterUserPassword"])
        else:
            username, password = restored_from.master_username, ""
        storage_type, storage = "aurora", 1
        if engine == "postgres":
            storage_type = params.get("StorageType") or "io1"
            storage = params.get("AllocatedStorage") or (restored_from.allocated_storage if restored_from else None)
            if storage is None:
                raise invalid("The parameter AllocatedStorage must be provided and must not be null.")
            check.storage(engine, storage_type, storage)
        if (scope, identifier) in self.state.clusters:
            raise ServiceError("DBClusterAlreadyExistsFault", "DB Cluster already exists")
        port = params.get("Port") or 5432
        if not 1150 <= port <= 65535:
            raise invalid(f"Invalid port {port}: the port must be between 1150 and 65535")
        group = params.get("DBClusterParameterGroupName") or self.parameter_groups.default_name(engine, version)
        group = self.parameter_groups.group(scope, group).name  # it must exist
        subnet_group = (params.get("DBSubnetGroupName") or "default").lower()
        zones = self.subnet_groups.zones_of(scope, subnet_group) or [z.name for z in self.instances.topology.zones(scope[1])]
        endpoint, _ = self.addresses.allocate(port)
        reader, _ = self.addresses.allocate(port)
        cluster = DBCluster(
            identifier=identifier, arn=ctx.arn("rds", f"cluster:{identifier}"), resource_id=cluster_resource_id(), engine=engine,
            engine_version=version, master_username=username, port=port, endpoint_address=endpoint, reader_address=reader,
            master_password=password, database_name=params.get("DatabaseName") or (restored_from.database_name if restored_from else None),
            parameter_group=group, subnet_group=subnet_group, zones=list(zones)[:3],
            backup_retention=params.get("BackupRetentionPeriod") or 1,
            backup_window=check.backup_window(params["PreferredBackupWindow"]) if params.get("PreferredBackupWindow") else "03:00-03:30",
            deletion_protection=bool(params.get("DeletionProtection")), copy_tags_to_snapshot=bool(params.get("CopyTagsToSnapshot")),
            storage_encrypted=bool(params.get("StorageEncrypted")), instance_class=instance_class, allocated_storage=storage,
            storage_type=storage_type, iops=params.get("Iops"), created_at=clock.epoch(), tags=params.get("Tags") or [],
            vpc_security_groups=params.get("VpcSecurityGroupIds") or [])
        if restored_from is not None:
            cluster.volume = str(self.members.volume_path(scope, identifier))
        self.state.clusters.put(scope, identifier, cluster)
        self.members.open_endpoints(scope, cluster)
        self.spawn(scope, identifier, self._create(scope, identifier, restored_from.path if restored_from else None), "creating")
        if engine == "postgres":
            for number in range(1, MULTI_AZ_MEMBERS + 1):
                self.members.add_member(ctx, {"DBClusterIdentifier": identifier, "DBInstanceIdentifier": f"{identifier}-instance-{number}",
                                              "Engine": engine, "DBInstanceClass": instance_class},
                                        zone=zones[(number - 1) % len(zones)] if zones else None, by_rds=True)
        return {"DBCluster": self.describe(scope, self.state.clusters.get(scope, identifier))}

    async def _create(self, scope: Scope, identifier: str, source: str | None) -> None:
        cluster = self.members.cluster(scope, identifier)
        if source is not None:  # a restore: the snapshot's data becomes the cluster's volume (whole once renamed)
            partial = f"{cluster.volume}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            shutil.rmtree(cluster.volume, ignore_errors=True)
            await asyncio.to_thread(shutil.copytree, source, partial, symlinks=True)
            os.rename(partial, cluster.volume)
        while cluster.engine == "postgres" and any(m.status == "creating" for m in self.members.members(scope, identifier)):
            await asyncio.sleep(0.1)  # a Multi-AZ DB cluster is available once its three instances are
            cluster = self.members.cluster(scope, identifier)
        cluster = self.members.cluster(scope, identifier)
        if cluster.status == "creating":
            cluster.status = "available"
            self.members.save(scope, cluster)
            self.events.record(scope, identifier, "db-cluster", CREATED, cluster.arn)

    # -- DescribeDBClusters ----------------------------------------------------------------------
    def describe_db_clusters(self, ctx, params: dict) -> dict:
        identifier = params.get("DBClusterIdentifier")
        if identifier:
            clusters = [self.members.cluster(ctx.scope, identifier.rsplit(":", 1)[-1] if identifier.startswith("arn:") else identifier)]
        else:
            clusters = self.state.clusters.values(ctx.scope)
        for spec in params.get("Filters") or []:
            name, values = spec["Name"], set(spec.get("Values") or [])
            key = {"db-cluster-id": lambda c: {c.identifier, c.arn}, "engine": lambda c: {c.engine},
                   "db-cluster-resource-id": lambda c: {c.resource_id}}.get(name)
            if key is None:
                raise invalid(f"Unrecognized filter name: {name}")
            clusters = [c for c in clusters if key(c) & values]
        return check.paged(self.paginator, "DBClusters", [self.describe(ctx.scope, c) for c in clusters], params)

    # -- ModifyDBCluster -------------------------------------------------------------------------
    def modify_db_cluster(self, ctx, params: dict) -> dict:
        scope = ctx.scope
        cluster = self.members.cluster(scope, params["DBClusterIdentifier"])
        if cluster.status != "available":
            raise cluster_invalid_state(cluster.identifier)
        for member in ("NewDBClusterIdentifier", "Port", "EngineVersion", "DBClusterInstanceClass", "AllocatedStorage"):
            if params.get(member) not in (None, getattr(cluster, {"NewDBClusterIdentifier": "identifier", "Port": "port",
                                                                   "EngineVersion": "engine_version",
                                                                   "DBClusterInstanceClass": "instance_class",
                                                                   "AllocatedStorage": "allocated_storage"}[member])):
                raise NotImplementedOperation("rds", "ModifyDBCluster", f"changing {member} is not built yet")
        password = params.get("MasterUserPassword")
        if password is not None:
            check.master_password(password)
            if self.members.writer(scope, cluster) is None:
                raise cluster_invalid_state(cluster.identifier)
        if params.get("PreferredBackupWindow"):
            cluster.backup_window = check.backup_window(params["PreferredBackupWindow"])
        group = params.get("DBClusterParameterGroupName")
        if group:
            group = self.parameter_groups.group(scope, group).name
        for member, attribute in (("BackupRetentionPeriod", "backup_retention"), ("DeletionProtection", "deletion_protection"),
                                  ("CopyTagsToSnapshot", "copy_tags_to_snapshot"), ("VpcSecurityGroupIds", "vpc_security_groups")):
            if params.get(member) is not None:
                setattr(cluster, attribute, params[member])
        changed_group = group and group != cluster.parameter_group
        if changed_group:
            cluster.parameter_group = group
        if password is not None:
            cluster.status = "resetting-master-credentials"
        self.members.save(scope, cluster)
        if changed_group:
            self.parameter_groups.apply_to_cluster(scope, cluster.identifier, static=True)
        if password is not None:
            self.spawn(scope, cluster.identifier, self._set_password(scope, cluster.identifier, password), "modifying")
        return {"DBCluster": self.describe(scope, cluster)}

    async def _set_password(self, scope: Scope, identifier: str, password: str) -> None:
        cluster = self.members.cluster(scope, identifier)
        await self.nodes.set_password(self.members.writer(scope, cluster), password)  # the readers replay it
        cluster = self.members.cluster(scope, identifier)
        cluster.status = "available"
        self.members.save(scope, cluster)

    # -- DeleteDBCluster -------------------------------------------------------------------------
    def delete_db_cluster(self, ctx, params: dict) -> dict:
        scope = ctx.scope
        cluster = self.members.cluster(scope, params["DBClusterIdentifier"])
        skip, final = bool(params.get("SkipFinalSnapshot")), params.get("FinalDBSnapshotIdentifier")
        if cluster.deletion_protection:
            raise check.combination("Cannot delete protected Cluster, please disable deletion protection and try again.")
        if cluster.status == "deleting":
            raise cluster_invalid_state(cluster.identifier)
        members = self.members.members(scope, cluster.identifier)
        if cluster.engine == "aurora-postgresql" and any(m.status != "deleting" for m in members):
            raise ServiceError("InvalidDBClusterStateFault", "Cluster cannot be deleted, it still contains DB instances in "
                                                             "non-deleting state.")
        if not skip and not final:
            raise check.combination("FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.")
        if skip and final:
            raise check.combination("FinalDBSnapshotIdentifier can not be specified when SkipFinalSnapshot is true.")
        if final:
            final = check.identifier(final, "FinalDBSnapshotIdentifier")
            if (scope, final) in self.state.cluster_snapshots:
                raise ServiceError("DBClusterSnapshotAlreadyExistsFault", f"Cannot create the cluster snapshot because one "
                                   f"with the identifier {final} already exists.")
            if cluster.status not in ("available", "stopped"):
                raise cluster_invalid_state(cluster.identifier)
        cluster.status = "deleting"
        with self.state.store.transaction():
            self.members.save(scope, cluster)
            for member in members:  # a Multi-AZ DB cluster's instances go with it
                member.status = "deleting"
                self.instances.save(scope, member)
        self.spawn(scope, cluster.identifier, self._delete(scope, cluster.identifier, final), "deleting")
        return {"DBCluster": self.describe(scope, cluster)}

    async def _delete(self, scope: Scope, identifier: str, final: str | None) -> None:
        cluster = self.members.cluster(scope, identifier)
        if cluster.engine == "postgres":
            for member in sorted(self.members.members(scope, identifier), key=lambda m: m.identifier == cluster.writer):
                await self.instances._delete(scope, member.identifier, None)
        while self.members.members(scope, identifier):  # an Aurora cluster's instances being deleted
            await asyncio.sleep(0.1)
        cluster = self.members.cluster(scope, identifier)
        if final and cluster.volume:
            await self.final_snapshot(scope, cluster, final)
        self.members.close_endpoints(scope, identifier)
        for hook in self.deleted:
            hook(scope, cluster)
        for address in (cluster.endpoint_address, cluster.reader_address):
            self.addresses.release(address, cluster.port)
        if cluster.volume:
            shutil.rmtree(cluster.volume, ignore_errors=True)
        self.state.clusters.delete(scope, identifier)
        self.events.record(scope, identifier, "db-cluster", DELETED, cluster.arn)

    # -- StopDBCluster / StartDBCluster / RebootDBCluster ---------------------------------------
    def _transition(self, ctx, params: dict, wanted: str, status: str, member_status: str, work, what: str) -> dict:
        scope = ctx.scope
        cluster = self.members.cluster(scope, params["DBClusterIdentifier"])
        if cluster.status != wanted:
            raise cluster_invalid_state(cluster.identifier, wanted)
        members = self.members.members(scope, cluster.identifier)
        busy = next((m for m in members if m.status != wanted), None)
        if busy is not None:
            raise check.invalid_state(busy.identifier, wanted)
        cluster.status = status
        with self.state.store.transaction():
            self.members.save(scope, cluster)
            for member in members:
                member.status = member_status
                self.instances.save(scope, member)
        # The writer first when starting (the readers stream from it), last when stopping.
        writer_last = what == "stopping"
        order = sorted(members, key=lambda m: (m.identifier == cluster.writer) if writer_last else (m.identifier != cluster.writer))
        self.spawn(scope, cluster.identifier, work(scope, cluster.identifier, [m.identifier for m in order]), what)
        return {"DBCluster": self.describe(scope, cluster)}

    def stop_db_cluster(self, ctx, params: dict) -> dict:
        return self._transition(ctx, params, "available", "stopping", "stopping", self._stop, "stopping")

    def start_db_cluster(self, ctx, params: dict) -> dict:
        return self._transition(ctx, params, "stopped", "starting", "starting", self._start, "starting")

    def reboot_db_cluster(self, ctx, params: dict) -> dict:
        return self._transition(ctx, params, "available", "rebooting", "rebooting", self._reboot, "rebooting")

    async def _stop(self, scope: Scope, identifier: str, members: list[str]) -> None:
        for member in members:
            await self.instances._stop(scope, member)
        self._settle(scope, identifier, "stopped", STOPPED)

    async def _start(self, scope: Scope, identifier: str, members: list[str]) -> None:
        for member in members:
            await self.instances._start(scope, member)
        self._settle(scope, identifier, "available", STARTED)

    async def _reboot(self, scope: Scope, identifier: str, members: list[str]) -> None:
        for member in members:
            await self.instances._reboot(scope, member, False)
        self._settle(scope, identifier, "available", REBOOTED)

    def _settle(self, scope: Scope, identifier: str, status: str, event: tuple) -> None:
        cluster = self.members.cluster(scope, identifier)
        cluster.status = status
        self.members.save(scope, cluster)
        self.members.route(scope, identifier)
        self.events.record(scope, identifier, "db-cluster", event, cluster.arn)

    # -- the cloud starting again ----------------------------------------------------------------
    def start(self) -> None:
        """After the instances are back (Lifecycle): each cluster's endpoints listen again, and a
        cluster caught in a transition when regionbox died settles, or finishes its deletion."""
        for scope, identifier, cluster in list(self.state.clusters.all()):
            for address in (cluster.endpoint_address, cluster.reader_address):
                self.addresses.reserve(address, cluster.port)
            self.members.open_endpoints(scope, cluster)
            if cluster.status == "deleting":
                self.spawn(scope, identifier, self._delete(scope, identifier, None), "deleting")
            elif cluster.status in TRANSITIONS:
                cluster.status = TRANSITIONS[cluster.status]
                self.state.clusters.put(scope, identifier, cluster)
