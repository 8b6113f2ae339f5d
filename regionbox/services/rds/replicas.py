"""Read replicas: CreateDBInstanceReadReplica and PromoteReadReplica.

A read replica is an instance of its own (endpoint, AZ, DbiResourceId) whose server is an
asynchronous streaming replica of the source's primary, answering read-only queries. It follows
the source's primary across failovers (``follow``: primary_conninfo changed and reloaded), and is
promoted to a standalone instance by PromoteReadReplica, or when its source is deleted, as RDS does
for PostgreSQL.
"""

from __future__ import annotations

from regionbox.core.errors import NotImplementedOperation, ServiceError
from regionbox.core.store import Scope
from regionbox.services.rds import validation as check
from regionbox.services.rds.events import Messages
from regionbox.services.rds.instances import Instances
from regionbox.services.rds.models import DBInstance

PROMOTED = ("RDS-EVENT-0046", ["read replica"], "Read replica has been promoted to a standalone instance")


class Replicas:
    def __init__(self, instances: Instances) -> None:
        self.instances = instances
        self.state = instances.state
        self.nodes = instances.nodes

    def of(self, scope: Scope, source: str) -> list[DBInstance]:
        return [i for i in self.state.instances.values(scope) if i.replica_source == source]

    def create_db_instance_read_replica(self, ctx, params: dict) -> dict:
        scope = ctx.scope
        # The model lets SourceDBClusterIdentifier stand instead; regionbox serves no DB clusters.
        source_id = check.required(params, "SourceDBInstanceIdentifier")
        if source_id.startswith("arn:"):
            source_id = source_id.rsplit(":", 1)[-1]
        source = self.instances.get(scope, source_id)
        if source.cluster:
            raise check.combination(f"DB instance {source.identifier} is a member of DB cluster {source.cluster}: add a reader "
                                    "to the cluster with CreateDBInstance instead.")
        if source.replica_source:
            raise NotImplementedOperation("rds", "CreateDBInstanceReadReplica", "replicas of read replicas are not built yet")
        if params.get("MultiAZ"):
            raise NotImplementedOperation("rds", "CreateDBInstanceReadReplica", "Multi-AZ read replicas are not built yet")
        if source.status != "available":
            raise check.invalid_state(source.identifier)
        if source.backup_retention == 0:
            raise ServiceError("InvalidDBInstanceState", "Automated backups are not enabled for this database instance. To "
                               "enable automated backups, use ModifyDBInstance to set the backup retention period to a "
                               "non-zero value.")
        identifier = check.identifier(params["DBInstanceIdentifier"])
        return self.instances.new_instance(
            ctx, {**params, "DBParameterGroupName": params.get("DBParameterGroupName") or source.parameter_group,
                  "BackupRetentionPeriod": 0},
            identifier=identifier, instance_class=check.instance_class(params.get("DBInstanceClass") or source.instance_class),
            engine=source.engine, version=source.engine_version, username=source.master_username, password="",
            storage=source.allocated_storage, storage_type=params.get("StorageType") or source.storage_type,
            db_name=source.db_name, replica_of=source)

    def promote_read_replica(self, ctx, params: dict) -> dict:
        replica = self.instances.get(ctx.scope, params["DBInstanceIdentifier"])
        if not replica.replica_source:
            raise ServiceError("InvalidDBInstanceState", f"DB Instance {replica.identifier} is not a read replica.")
        if replica.status != "available":
            raise check.invalid_state(replica.identifier)
        replica.status = "modifying"
        if params.get("BackupRetentionPeriod") is not None:
            replica.backup_retention = params["BackupRetentionPeriod"]
        self.instances.save(ctx.scope, replica)
        self.instances.spawn(ctx.scope, replica.identifier, self.promote(ctx.scope, replica.identifier), "promoting")
        return {"DBInstance": self.instances.describe(ctx.scope, replica)}

    async def promote(self, scope: Scope, identifier: str) -> None:
        """The replica's server restarts without standby.signal, and so comes up writable."""
        replica = self.instances.get(scope, identifier)
        (self.nodes.pgdata(replica.primary.node_id) / "standby.signal").unlink(missing_ok=True)
        replica.replica_source = None
        self.instances.save(scope, replica)
        await self.nodes.restart_as(replica, replica.primary)
        replica = self.instances.get(scope, identifier)
        if replica.status in ("modifying", "available"):
            replica.status = "available"
            self.instances.save(scope, replica)
        self.instances.events.record(scope, identifier, "db-instance", PROMOTED, replica.arn)

    async def follow(self, scope: Scope, source_id: str) -> None:
        """After a failover of ``source_id``: its replicas stream from the new primary."""
        source = self.state.instances.get(scope, source_id)
        for replica in self.of(scope, source_id):
            if source is not None and self.nodes.running(replica.primary):
                try:
                    await self.nodes.follow(replica, source)
                except Exception as error:  # noqa: BLE001 - the replica lags; the source serves
                    self.instances.events.record(scope, replica.identifier, "db-instance", Messages.FAILED, replica.arn,
                                                 reason=f"could not follow the new primary of {source_id}: {error}")

    async def orphaned(self, scope: Scope, source_id: str) -> None:
        """The source is being deleted: its replicas become standalone instances."""
        for replica in self.of(scope, source_id):
            await self.promote(scope, replica.identifier)
