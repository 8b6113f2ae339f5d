"""Retained automated backups: DeleteDBInstance with DeleteAutomatedBackups=false keeps the
instance's base backups and WAL archive (under its DbiResourceId) after the instance is gone; they
are listed by DescribeDBInstanceAutomatedBackups with status ``retained``, restored from with
RestoreDBInstanceToPointInTime (SourceDbiResourceId or SourceDBInstanceAutomatedBackupsArn) and
removed by DeleteDBInstanceAutomatedBackup. The automated snapshots of the instance go (AWS lists
retained backups, not their snapshots); their data stays as the retained backup's base backups.
"""

from __future__ import annotations

import shutil

from regionbox.core import clock
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.store import Scope
from regionbox.services.rds.models import DBInstance, DbNode, RdsState, RetainedBackup
from regionbox.services.rds.postgres import PostgresNodes


def backups_arn(scope: Scope, resource_id: str) -> str:
    return f"arn:aws:rds:{scope[1]}:{scope[0]}:auto-backup:ab-{resource_id[3:].lower()}"


def stand_in(backup: RetainedBackup) -> DBInstance:
    """The deleted instance as a restore needs it: its engine, settings and DbiResourceId."""
    instance = DBInstance(identifier=backup.instance_identifier, arn=backup.instance_arn, resource_id=backup.resource_id,
                          instance_class=backup.instance_class, engine=backup.engine, engine_version=backup.engine_version,
                          master_username=backup.master_username, master_password="", allocated_storage=backup.allocated_storage,
                          storage_type=backup.storage_type, port=backup.port, status="deleted", db_name=backup.db_name,
                          parameter_group=backup.parameter_group, backup_retention=backup.retention,
                          created_at=backup.instance_created_at)
    instance.nodes = [DbNode(node_id="", zone=backup.zone, address="", role="primary")]
    return instance


class RetainedBackups:
    def __init__(self, state: RdsState, nodes: PostgresNodes) -> None:
        self.state = state
        self.nodes = nodes

    def retain(self, scope: Scope, instance: DBInstance) -> None:
        backup = RetainedBackup(
            resource_id=instance.resource_id, arn=backups_arn(scope, instance.resource_id), instance_arn=instance.arn,
            instance_identifier=instance.identifier, engine=instance.engine, engine_version=instance.engine_version,
            master_username=instance.master_username, allocated_storage=instance.allocated_storage,
            storage_type=instance.storage_type, port=instance.port, zone=instance.primary.zone if instance.primary else "",
            instance_created_at=instance.created_at, retention=instance.backup_retention,
            parameter_group=instance.parameter_group, instance_class=instance.instance_class, db_name=instance.db_name)
        self.state.retained_backups.put(scope, instance.resource_id, backup)

    def find(self, scope: Scope, resource_id: str | None = None, arn: str | None = None) -> RetainedBackup | None:
        for backup in self.state.retained_backups.values(scope):
            if backup.resource_id == resource_id or backup.arn == arn:
                return backup
        return None

    def delete_db_instance_automated_backup(self, ctx, params: dict) -> dict:
        resource_id, arn = params.get("DbiResourceId"), params.get("DBInstanceAutomatedBackupsArn")
        if not resource_id and not arn:
            raise invalid("One of DbiResourceId or DBInstanceAutomatedBackupsArn must be specified.")
        backup = self.find(ctx.scope, resource_id, arn)
        if backup is None:
            live = [i for i in self.state.instances.values(ctx.scope)
                    if i.resource_id == resource_id or backups_arn(ctx.scope, i.resource_id) == arn]
            if live:
                raise ServiceError("InvalidDBInstanceAutomatedBackupState", f"The automated backup {resource_id or arn} "
                                   f"belongs to DB instance {live[0].identifier}, which exists: set its BackupRetentionPeriod "
                                   "to 0 to delete its automated backups.")
            raise ServiceError("DBInstanceAutomatedBackupNotFound", f"No automated backup found for {resource_id or arn}.", 404)
        with self.state.store.transaction():
            self.state.retained_backups.delete(ctx.scope, backup.resource_id)
        shutil.rmtree(self.nodes.backups_dir(backup.resource_id), ignore_errors=True)
        shutil.rmtree(self.nodes.archive_dir(backup.resource_id), ignore_errors=True)
        backup.status = "deleting"
        return {"DBInstanceAutomatedBackup": self.describe(ctx.scope, stand_in(backup), backup.status, None)}

    @staticmethod
    def describe(scope: Scope, instance: DBInstance, status: str, window: tuple[float, float] | None) -> dict:
        """A DBInstanceAutomatedBackup, of a live instance (active) or a deleted one (retained)."""
        row = {"DBInstanceArn": instance.arn, "DbiResourceId": instance.resource_id, "Region": scope[1],
               "DBInstanceIdentifier": instance.identifier, "AllocatedStorage": instance.allocated_storage, "Status": status,
               "Port": instance.port, "AvailabilityZone": instance.primary.zone if instance.primary else "",
               "Engine": instance.engine, "EngineVersion": instance.engine_version, "MasterUsername": instance.master_username,
               "InstanceCreateTime": clock.from_epoch(instance.created_at), "LicenseModel": "postgresql-license",
               "StorageType": instance.storage_type, "Encrypted": instance.storage_encrypted,
               "BackupRetentionPeriod": instance.backup_retention,
               "DBInstanceAutomatedBackupsArn": backups_arn(scope, instance.resource_id), "BackupTarget": "region"}
        if window is not None:
            row["RestoreWindow"] = {"EarliestTime": clock.from_epoch(window[0]), "LatestTime": clock.from_epoch(window[1])}
        return row
