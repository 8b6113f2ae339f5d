"""Automated backups and point-in-time restore: RestoreDBInstanceToPointInTime,
DescribeDBInstanceAutomatedBackups.

Every instance with a BackupRetentionPeriod is backed up when it is created (a base backup, as
RDS's first automated snapshot) and archives every WAL segment (``postgres.py``); a restore to a
point in time copies the last base backup taken before it and replays the archive up to that
moment, then the new instance's server is promoted."""

from __future__ import annotations


from regionbox.core import clock
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.services.rds import validation as check
from regionbox.services.rds.instances import Instances
from regionbox.services.rds.retained_backups import RetainedBackups, backups_arn, stand_in


class Backups:
    def __init__(self, instances: Instances, paginator: Paginator, retained: RetainedBackups) -> None:
        self.instances = instances
        self.retained = retained
        self.nodes = instances.nodes
        self.paginator = paginator

    def restore_db_instance_to_point_in_time(self, ctx, params: dict) -> dict:
        scope = ctx.scope
        source_id = params.get("SourceDBInstanceIdentifier")
        retained = None
        if source_id is None and (params.get("SourceDbiResourceId") or params.get("SourceDBInstanceAutomatedBackupsArn")):
            found = self.instances.state.instance_by_resource_id(params.get("SourceDbiResourceId") or "")
            retained = self.retained.find(scope, params.get("SourceDbiResourceId"), params.get("SourceDBInstanceAutomatedBackupsArn"))
            source_id = found[1].identifier if found is not None and found[0] == scope else \
                params.get("SourceDbiResourceId") or params["SourceDBInstanceAutomatedBackupsArn"]
        if source_id is None:
            raise check.combination("One of SourceDBInstanceIdentifier, SourceDbiResourceId or "
                                    "SourceDBInstanceAutomatedBackupsArn must be specified.")
        # A deleted instance whose automated backups were retained is restored from them.
        source = stand_in(retained) if retained is not None else self.instances.get(scope, source_id)
        restore_time, latest = params.get("RestoreTime"), bool(params.get("UseLatestRestorableTime"))
        if restore_time is not None and latest:
            raise check.combination("Cannot specify both RestoreTime and UseLatestRestorableTime.")
        if restore_time is None and not latest:
            raise check.combination("Either RestoreTime or UseLatestRestorableTime must be specified.")
        if source.backup_retention == 0:
            raise ServiceError("PointInTimeRestoreNotEnabled", f"Automated backups are not enabled for DB instance "
                               f"{source.identifier}.")
        window = self.nodes.restorable_window(source.resource_id)
        target = clock.to_epoch(restore_time) if restore_time is not None else None
        if window is None or target is not None and not window[0] <= target <= clock.epoch():
            raise ServiceError("InvalidRestoreFault", f"Restore time {restore_time} is outside the restorable window "
                               f"of DB instance {source.identifier}.")
        backup = [path for ended, path in self.nodes.base_backups(source.resource_id) if target is None or ended <= target][-1]
        identifier = check.identifier(params["TargetDBInstanceIdentifier"], "TargetDBInstanceIdentifier")
        # The source's parameter group unless another is named: the restored server replays WAL
        # written under the source's settings, and PostgreSQL pauses a recovery whose
        # max_connections (and the like) are lower than the source's were.
        params = {**params, "DBParameterGroupName": params.get("DBParameterGroupName") or source.parameter_group}
        return self.instances.new_instance(
            ctx, params, identifier=identifier,
            instance_class=check.instance_class(params.get("DBInstanceClass") or source.instance_class),
            engine=source.engine, version=source.engine_version, username=source.master_username, password="",
            storage=params.get("AllocatedStorage") or source.allocated_storage,
            storage_type=params.get("StorageType") or source.storage_type, db_name=source.db_name,
            source=str(backup), recovery=(source.resource_id, target), before_start=self._archive(scope, source.identifier))

    def _archive(self, scope, source_id: str):
        async def archive() -> None:
            source = self.instances.state.instances.get(scope, source_id)
            if source is not None and self.nodes.running(source.primary):
                await self.nodes.archive_now(source)
        return archive

    def describe_db_instance_automated_backups(self, ctx, params: dict) -> dict:
        live = [(i, "active") for i in self.instances.state.instances.values(ctx.scope)]
        retained = [(stand_in(b), "retained") for b in self.instances.state.retained_backups.values(ctx.scope)]
        rows = []
        for instance, status in live + retained:
            if params.get("DBInstanceIdentifier") not in (None, instance.identifier):
                continue
            if params.get("DbiResourceId") not in (None, instance.resource_id):
                continue
            if params.get("DBInstanceAutomatedBackupsArn") not in (None, backups_arn(ctx.scope, instance.resource_id)):
                continue
            window = self.nodes.restorable_window(instance.resource_id)
            if window is None:
                continue
            rows.append(RetainedBackups.describe(ctx.scope, instance, status, window))
        return check.paged(self.paginator, "DBInstanceAutomatedBackups", rows, params)
