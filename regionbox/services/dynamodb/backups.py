"""On-demand backups: CreateBackup, DescribeBackup, ListBackups, DeleteBackup and
RestoreTableFromBackup, and the SYSTEM backup DynamoDB keeps of a deleted table that had
point-in-time recovery.

A backup is a real copy: its items are copied in one statement under a storage id of their own
(so it is exactly the table at the moment of the request, and survives the table), with the
table's definition (key schema, indexes, capacity, stream and TTL settings, encryption) as it
was. It is CREATING for the moment it takes to mark it AVAILABLE. Restoring builds the indexes
again from the items, as the overrides ask. A SYSTEM backup keeps the deleted table's own rows
(no copy) and its change history for the rest of the recovery window, then expires (35 days).
"""

from __future__ import annotations

import asyncio
import copy
import secrets
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.dynamodb import throughput
from regionbox.services.dynamodb.models import Backup, Table
from regionbox.services.dynamodb.state import DynamoDBState, table_name

if TYPE_CHECKING:
    from regionbox.services.dynamodb.restores import Restores

SYSTEM_RETENTION = 35 * 24 * 3600
_TYPES = {"USER": ("USER",), "SYSTEM": ("SYSTEM",), "AWS_BACKUP": ("AWS_BACKUP",), "ALL": ("USER", "SYSTEM", "AWS_BACKUP")}


def backup_not_found() -> ServiceError:
    return ServiceError("BackupNotFoundException", "Backup not found for the given BackupARN. ")


def table_not_found(name: Any) -> ServiceError:
    return ServiceError("TableNotFoundException", f"Table not found: {table_name(name)}")


def _throughput(read: int, write: int) -> dict:
    return {"ReadCapacityUnits": read, "WriteCapacityUnits": write}


class Backups:
    def __init__(self, state: DynamoDBState, restores: "Restores", tasks: Tasks) -> None:
        self.state = state
        self.restores = restores
        self.tasks = tasks

    # -- create ------------------------------------------------------------------------------
    def create_backup(self, ctx: RequestContext, params: dict) -> dict:
        table = self.state.find_table(ctx, params["TableName"])
        if table is None:
            raise table_not_found(params["TableName"])
        if table.status == "CREATING":
            raise ServiceError("ContinuousBackupsUnavailableException",
                               f"Backups are being enabled for the table: {table.name}. Please retry later")
        if table.status != "ACTIVE":
            raise ServiceError("TableInUseException", f"Table is being {table.status.lower()}: {table.name}")
        now = time.time()
        backup = Backup(arn=self._arn(ctx, table.name, now), name=params["BackupName"], tid=self.state.items.next_id(),
                        kind="USER", created=now, table=asdict(table))
        with self.state.store.transaction():
            self.state.items.snapshot(table.tid, backup.tid)
            backup.item_count, backup.size = self.state.items.stats(backup.tid)
            self.state.backups.put(ctx.scope, backup.arn, backup)
        ctx.touched("AWS::DynamoDB::Backup", backup.arn)
        self.tasks.spawn(self._available(ctx.scope, backup.arn), owner="dynamodb", what=f"backing up table {table.name}")
        return {"BackupDetails": self._details(backup)}

    async def _available(self, scope: Scope, arn: str) -> None:
        # The copy is made; the backup becomes AVAILABLE once the request has answered CREATING.
        await asyncio.sleep(0)
        backup = self.state.backups.get(scope, arn)
        if backup is not None and backup.status == "CREATING":
            backup.status = "AVAILABLE"
            self.state.backups.put(scope, arn, backup)

    @staticmethod
    def _arn(ctx: RequestContext, name: str, now: float) -> str:
        return ctx.arn("dynamodb", f"table/{name}/backup/{int(now * 1000):014d}-{secrets.token_hex(4)}")

    def expire(self, now: float | None = None) -> None:
        """Drop SYSTEM backups past their expiry, with their rows and history."""
        now = now or time.time()
        for scope, arn, backup in list(self.state.backups.all()):
            if backup.expires is not None and backup.expires <= now:
                with self.state.store.transaction():
                    self.state.backups.delete(scope, arn)
                    self.state.items.drop_table(backup.tid, [])
                    self.state.history.drop(backup.tid)

    # -- describe / list ---------------------------------------------------------------------
    def _backup(self, ctx: RequestContext, arn: str) -> Backup:
        backup = self.state.backups.get(ctx.scope, arn) if isinstance(arn, str) else None
        if backup is None:
            raise backup_not_found()
        return backup

    def describe_backup(self, ctx: RequestContext, params: dict) -> dict:
        return {"BackupDescription": self._description(self._backup(ctx, params["BackupArn"]))}

    @staticmethod
    def _details(backup: Backup, status: str | None = None) -> dict:
        details: dict[str, Any] = {"BackupArn": backup.arn, "BackupName": backup.name, "BackupSizeBytes": backup.size,
                                   "BackupStatus": status or backup.status, "BackupType": backup.kind,
                                   "BackupCreationDateTime": backup.created}
        if backup.expires is not None:
            details["BackupExpiryDateTime"] = backup.expires
        return details

    def _description(self, backup: Backup, status: str | None = None) -> dict:
        table = Table(**backup.table)
        source: dict[str, Any] = {
            "TableName": table.name, "TableId": table.table_id, "TableArn": table.arn, "TableSizeBytes": backup.size,
            "KeySchema": table.key_schema, "TableCreationDateTime": table.created,
            "ProvisionedThroughput": _throughput(table.read_capacity, table.write_capacity), "ItemCount": backup.item_count,
            "BillingMode": table.billing_mode,
        }
        if table.billing_mode == "PAY_PER_REQUEST":
            source["OnDemandThroughput"] = throughput.on_demand_out(table.on_demand)
        features: dict[str, Any] = {}
        lsis = [{"IndexName": i.name, "KeySchema": i.key_schema, "Projection": i.projection}
                for i in table.index_objects() if i.kind == "LSI"]
        gsis = [{"IndexName": i.name, "KeySchema": i.key_schema, "Projection": i.projection,
                 "ProvisionedThroughput": _throughput(i.read_capacity, i.write_capacity),
                 **({"OnDemandThroughput": throughput.on_demand_out(i.on_demand)} if table.billing_mode == "PAY_PER_REQUEST" else {})}
                for i in table.index_objects() if i.kind == "GSI"]
        if lsis:
            features["LocalSecondaryIndexes"] = lsis
        if gsis:
            features["GlobalSecondaryIndexes"] = gsis
        if table.stream_enabled:
            features["StreamDescription"] = {"StreamEnabled": True, "StreamViewType": table.stream["view_type"]}
        features["TimeToLiveDescription"] = {"TimeToLiveStatus": table.ttl_status,
                                             **({"AttributeName": table.ttl_attribute} if table.ttl_attribute else {})}
        if table.sse and table.sse.get("Enabled"):
            features["SSEDescription"] = {"Status": "ENABLED", "SSEType": table.sse.get("SSEType", "KMS")}
        return {"BackupDetails": self._details(backup, status), "SourceTableDetails": source,
                "SourceTableFeatureDetails": features}

    def list_backups(self, ctx: RequestContext, params: dict) -> dict:
        kinds = _TYPES[params.get("BackupType") or "USER"]
        wanted = table_name(params["TableName"]) if params.get("TableName") else None
        lower, upper = params.get("TimeRangeLowerBound"), params.get("TimeRangeUpperBound")
        if lower is not None and upper is not None and _epoch(lower) > _epoch(upper):
            raise invalid("One or more parameter values were invalid: Time range lower bound must be less than or equal "
                          "to upper bound")
        backups = [b for b in self.state.backups.values(ctx.scope)
                   if b.kind in kinds and (wanted is None or b.table["name"] == wanted)
                   and (lower is None or b.created >= _epoch(lower)) and (upper is None or b.created < _epoch(upper))]
        backups.sort(key=lambda b: (b.created, b.arn))
        start = params.get("ExclusiveStartBackupArn")
        if start is not None:
            arns = [b.arn for b in backups]
            if start not in arns:
                raise invalid(f"Invalid ExclusiveStartBackupArn: {start}")
            backups = backups[arns.index(start) + 1:]
        limit = params.get("Limit")
        out: dict[str, Any] = {"BackupSummaries": [self._summary(b) for b in backups[:limit]]}
        if limit is not None and len(backups) > limit:
            out["LastEvaluatedBackupArn"] = backups[limit - 1].arn
        return out

    def _summary(self, backup: Backup) -> dict:
        table = backup.table
        summary = {"TableName": table["name"], "TableId": table["table_id"], "TableArn": table["arn"],
                   **self._details(backup)}
        return summary

    # -- delete ------------------------------------------------------------------------------
    def delete_backup(self, ctx: RequestContext, params: dict) -> dict:
        backup = self._backup(ctx, params["BackupArn"])
        if backup.kind == "SYSTEM":
            raise invalid(f"Invalid Request: User is not allowed to delete the system backup with arn {backup.arn}. "
                          f"It will automatically expire on {clock.iso(backup.expires)}")
        if self.restores.in_progress_from(ctx.scope, backup.arn):
            raise ServiceError("BackupInUseException", f"Backup is being used to restore a table: {backup.arn}")
        description = self._description(backup, "DELETED")
        with self.state.store.transaction():
            self.state.backups.delete(ctx.scope, backup.arn)
            self.state.items.drop_table(backup.tid, [])
            self.state.history.drop(backup.tid)
        ctx.touched("AWS::DynamoDB::Backup", backup.arn)
        return {"BackupDescription": description}

    # -- restore -----------------------------------------------------------------------------
    def restore_table_from_backup(self, ctx: RequestContext, params: dict) -> dict:
        backup = self._backup(ctx, params["BackupArn"])
        if backup.status != "AVAILABLE":
            raise ServiceError("BackupInUseException", f"Backup is being created: {backup.arn}")
        source = Table(**backup.table)
        summary = {"SourceBackupArn": backup.arn, "SourceTableArn": source.arn, "RestoreDateTime": backup.created}
        return self.restores.start(ctx, params, source, summary, backup.tid, None)

    def system_backup(self, scope: Scope, table_arn: str) -> Backup | None:
        """The newest SYSTEM backup of a deleted table, for a point-in-time restore of it."""
        kept = [b for b in self.state.backups.values(scope) if b.kind == "SYSTEM" and b.table["arn"] == table_arn]
        return max(kept, key=lambda b: b.created, default=None)


def retain_deleted(state: DynamoDBState, ctx: RequestContext, table: Table) -> bool:
    """DeleteTable of a table with point-in-time recovery keeps it as a SYSTEM backup (its own
    rows and history, inside DeleteTable's transaction); True when the rows are to stay."""
    if table.pitr is None:
        return False
    now = time.time()
    count, size = state.items.stats(table.tid)
    backup = Backup(arn=Backups._arn(ctx, table.name, now), name=f"{table.name}$DeletedTableBackup", tid=table.tid,
                    kind="SYSTEM", created=now, table=asdict(copy.deepcopy(table)), status="AVAILABLE", size=size,
                    item_count=count, expires=now + SYSTEM_RETENTION, pitr={**table.pitr, "deleted_at": now})
    state.backups.put(ctx.scope, backup.arn, backup)
    ctx.touched("AWS::DynamoDB::Backup", backup.arn)
    return True


def _epoch(value: Any) -> float:
    return value.timestamp() if hasattr(value, "timestamp") else float(value)
