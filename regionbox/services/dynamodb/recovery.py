"""Point-in-time recovery: UpdateContinuousBackups, DescribeContinuousBackups and
RestoreTableToPointInTime.

While PITR is on, every item write of the table records the item's previous image (history.py),
so any moment of the recovery window can be restored: from EarliestRestorableDateTime (when PITR
was turned on, or RecoveryPeriodInDays ago, 35 by default) to LatestRestorableDateTime. AWS's
latest restorable time lags about five minutes; here every committed write is restorable at
once, so the latest time is now. A deleted table restores from the SYSTEM backup its deletion
left (addressed by SourceTableArn) within the window it had.
"""

from __future__ import annotations

import time
from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.services.dynamodb.backups import Backups, table_not_found
from regionbox.services.dynamodb.models import Table
from regionbox.services.dynamodb.restores import Restores
from regionbox.services.dynamodb.state import DynamoDBState

DAY = 24 * 3600
DEFAULT_DAYS = 35


def window(pitr: dict[str, Any], now: float) -> tuple[float, float]:
    """(earliest, latest) restorable moments of a recovery setting, at ``now`` (a deleted table's
    window ends at its deletion)."""
    latest = min(now, pitr.get("deleted_at") or now)
    return max(pitr["enabled_at"], now - pitr["days"] * DAY), latest


class PointInTimeRecovery:
    def __init__(self, state: DynamoDBState, restores: Restores, backups: Backups) -> None:
        self.state = state
        self.restores = restores
        self.backups = backups

    def _table(self, ctx: RequestContext, name: Any) -> Table:
        table = self.state.find_table(ctx, name)
        if table is None:
            raise table_not_found(name)
        return table

    @staticmethod
    def _description(table: Table) -> dict:
        recovery: dict[str, Any] = {"PointInTimeRecoveryStatus": "ENABLED" if table.pitr else "DISABLED"}
        if table.pitr:
            earliest, latest = window(table.pitr, time.time())
            recovery.update(RecoveryPeriodInDays=table.pitr["days"], EarliestRestorableDateTime=earliest,
                            LatestRestorableDateTime=latest)
        return {"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": recovery}

    def describe_continuous_backups(self, ctx: RequestContext, params: dict) -> dict:
        return {"ContinuousBackupsDescription": self._description(self._table(ctx, params["TableName"]))}

    def update_continuous_backups(self, ctx: RequestContext, params: dict) -> dict:
        table = self._table(ctx, params["TableName"])
        if table.status == "CREATING":
            raise ServiceError("ContinuousBackupsUnavailableException",
                               f"Backups are being enabled for the table: {table.name}. Please retry later")
        spec = params["PointInTimeRecoverySpecification"]
        days = spec.get("RecoveryPeriodInDays")
        if spec["PointInTimeRecoveryEnabled"]:
            if table.pitr is None:
                table.pitr = {"enabled_at": time.time(), "days": days or DEFAULT_DAYS}
            elif days is not None:
                table.pitr = {**table.pitr, "days": days}
            self.state.save(ctx.scope, table)
        else:
            if days is not None:
                raise invalid("Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery.")
            if table.pitr is not None:
                with self.state.store.transaction():  # the history goes with the setting, as on AWS
                    table.pitr = None
                    self.state.history.drop(table.tid)
                    self.state.save(ctx.scope, table)
        return {"ContinuousBackupsDescription": self._description(table)}

    def trim(self, now: float | None = None) -> None:
        """Forget history older than each table's recovery window (the sweeper calls this)."""
        now = now or time.time()
        for _, _, table in list(self.state.tables.all()):
            if table.pitr is not None:
                self.state.history.trim(table.tid, window(table.pitr, now)[0])

    def restore_table_to_point_in_time(self, ctx: RequestContext, params: dict) -> dict:
        arn, name = params.get("SourceTableArn"), params.get("SourceTableName")
        if (arn is None) == (name is None):
            raise invalid("Invalid Request: Must provide exactly one of: sourceTableArn, sourceTableName")
        source = self.state.find_table(ctx, arn or name)
        if source is not None and arn is not None and source.arn != arn:
            source = None
        rows, pitr, kept = (source.tid, source.pitr, None) if source is not None else (None, None, None)
        if source is None and arn is not None:
            kept = self.backups.system_backup(ctx.scope, arn)
            if kept is not None:
                source, rows, pitr = Table(**kept.table), kept.tid, kept.pitr
        if source is None:
            raise table_not_found(arn or name)
        if pitr is None:
            raise ServiceError("PointInTimeRecoveryUnavailableException",
                               f"Point in time recovery is not enabled for table '{source.name}'")
        latest_wanted, moment = bool(params.get("UseLatestRestorableTime")), params.get("RestoreDateTime")
        if latest_wanted == (moment is not None):
            raise invalid("Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be specified, "
                          "but not both")
        earliest, latest = window(pitr, time.time())
        if latest_wanted:
            until = latest
        else:
            until = moment.timestamp()
            if not earliest <= until <= latest:
                raise ServiceError("InvalidRestoreTimeException", "Invalid restore time specified. RestoreDateTime must be "
                                   "between EarliestRestorableDateTime and LatestRestorableDateTime.")
        summary = {"SourceTableArn": source.arn, "RestoreDateTime": until}
        if kept is not None:
            summary["SourceBackupArn"] = kept.arn
        return self.restores.start(ctx, params, source, summary, rows, until)

