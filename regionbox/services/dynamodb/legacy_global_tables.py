"""Global tables of version 2017.11.29 (legacy): CreateGlobalTable joins existing empty tables of
one name, each with a NEW_AND_OLD_IMAGES stream, into a replication group; UpdateGlobalTable adds
and removes members; Describe/ListGlobalTables and Describe/UpdateGlobalTableSettings answer for
such groups only, as AWS restricts them to this version. Members replicate as every global table
does (writes.py).
"""

from __future__ import annotations

import copy
import time
from typing import Any

from regionbox.core.arns import arn as make_arn
from regionbox.core.arns import partition_of
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.services.dynamodb.models import Table
from regionbox.services.dynamodb.replicas import (
    INVALID,
    LEGACY,
    REPLICA_STATUS,
    index_settings,
    region_named,
    scaling_out,
    scope_in,
    store_scaling,
)
from regionbox.services.dynamodb.state import DynamoDBState


class LegacyGlobalTables:
    def __init__(self, state: DynamoDBState) -> None:
        self.state = state

    def _legacy(self, ctx: RequestContext, name: str) -> Table:
        table = self.state.tables.get(ctx.scope, name)
        if table is None or table.global_version != LEGACY:
            raise ServiceError("GlobalTableNotFoundException", "Global table not found")
        return table

    def _joinable(self, ctx: RequestContext, name: str, region: str, key_schema: list | None) -> Table:
        table = self.state.tables.get(scope_in(ctx.scope, region), name)
        if table is None:
            raise ServiceError("TableNotFoundException", f"Table: {name} not found in region {region}")
        if table.replica_regions:
            raise ServiceError("GlobalTableAlreadyExistsException", "Global table with this name already exists")
        if not table.stream_enabled or table.stream["view_type"] != "NEW_AND_OLD_IMAGES":
            raise invalid(INVALID + f"Table: {name} in region: {region} must have DynamoDB Streams enabled with "
                          "StreamViewType NEW_AND_OLD_IMAGES")
        if self.state.items.stats(table.tid)[0]:
            raise invalid(INVALID + f"Table: {name} in region: {region} must be empty")
        if key_schema is not None and table.key_schema != key_schema:
            raise invalid(INVALID + f"Table: {name} in region: {region} must have the same key schema as the other replicas")
        return table

    def _global_description(self, ctx: RequestContext, table: Table, status: str = "ACTIVE") -> dict:
        return {"ReplicationGroup": [{"RegionName": r} for r in table.replica_regions],
                "GlobalTableArn": make_arn("dynamodb", "", ctx.account_id, f"global-table/{table.name}", ctx.partition),
                "CreationDateTime": table.global_created, "GlobalTableStatus": status, "GlobalTableName": table.name}

    def _join(self, ctx: RequestContext, name: str, regions: list[str], created: float) -> None:
        for region in regions:
            there = scope_in(ctx.scope, region)
            table = copy.deepcopy(self.state.tables.get(there, name))
            table.replica_regions, table.global_version, table.global_created = regions, LEGACY, created
            self.state.save(there, table)

    def create_global_table(self, ctx: RequestContext, params: dict) -> dict:
        name = params["GlobalTableName"]
        missing = [n for n, r in enumerate(params["ReplicationGroup"], 1) if not r.get("RegionName")]
        if missing:  # the model lets a Replica go without its region; DynamoDB does not
            raise invalid(f"1 validation error detected: Value null at 'replicationGroup.{missing[0]}.member.regionName' "
                          "failed to satisfy constraint: Member must not be null")
        regions = [region_named(ctx, r["RegionName"]) for r in params["ReplicationGroup"]]
        if not regions:  # the model allows an empty list; a global table without a replica is none
            raise invalid(INVALID + "The replication group must contain at least one region")
        if len(set(regions)) != len(regions):
            raise invalid(INVALID + "Duplicate region in the replication group")
        key_schema = None
        for region in regions:
            key_schema = self._joinable(ctx, name, region, key_schema).key_schema
        with self.state.store.transaction():
            self._join(ctx, name, regions, time.time())
        ctx.touched("AWS::DynamoDB::GlobalTable", name)
        return {"GlobalTableDescription": self._global_description(ctx, self.state.tables.get(ctx.scope, name)
                                                                   or self.state.tables.get(scope_in(ctx.scope, regions[0]), name),
                                                                   "CREATING")}

    def describe_global_table(self, ctx: RequestContext, params: dict) -> dict:
        return {"GlobalTableDescription": self._global_description(ctx, self._legacy(ctx, params["GlobalTableName"]))}

    def list_global_tables(self, ctx: RequestContext, params: dict) -> dict:
        limit = params.get("Limit") or 100
        if not 1 <= limit <= 100:
            raise invalid(f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
                          "Member must have value less than or equal to 100")
        region = params.get("RegionName")
        groups = {}
        for _, _, table in self.state.tables.all():
            if (table.global_version == LEGACY and table.arn.split(":")[4] == ctx.account_id
                    and partition_of(table.arn.split(":")[3]) == ctx.partition and (region is None or region in table.replica_regions)):
                groups[table.name] = table.replica_regions
        names = sorted(n for n in groups if params.get("ExclusiveStartGlobalTableName") is None
                       or n > params["ExclusiveStartGlobalTableName"])
        out: dict[str, Any] = {"GlobalTables": [{"GlobalTableName": n, "ReplicationGroup": [{"RegionName": r} for r in groups[n]]}
                                                for n in names[:limit]]}
        if len(names) > limit:
            out["LastEvaluatedGlobalTableName"] = names[limit - 1]
        return out

    def update_global_table(self, ctx: RequestContext, params: dict) -> dict:
        name = params["GlobalTableName"]
        table = self._legacy(ctx, name)
        regions = list(table.replica_regions)
        for update in params["ReplicaUpdates"]:
            if "Create" in update:
                region = region_named(ctx, update["Create"]["RegionName"])
                if region in regions:
                    raise ServiceError("ReplicaAlreadyExistsException", "Replica already exists")
                self._joinable(ctx, name, region, table.key_schema)
                regions.append(region)
            elif "Delete" in update:
                region = update["Delete"]["RegionName"]
                if region not in regions:
                    raise ServiceError("ReplicaNotFoundException", "Replica not found")
                regions.remove(region)
        with self.state.store.transaction():
            for region in set(table.replica_regions) - set(regions):
                there = scope_in(ctx.scope, region)
                left = copy.deepcopy(self.state.tables.get(there, name))
                if left is not None:
                    left.replica_regions, left.global_version, left.global_created = [], None, None
                    self.state.save(there, left)
            if len(regions) > 0:
                self._join(ctx, name, regions, table.global_created)
        described = copy.copy(table)
        described.replica_regions = regions
        return {"GlobalTableDescription": self._global_description(ctx, described)}

    def _settings(self, ctx: RequestContext, table: Table) -> dict:
        replicas = []
        for region in table.replica_regions:
            replica = self.state.tables.get(scope_in(ctx.scope, region), table.name)
            if replica is None:
                continue
            scaling = replica.replica.get("AutoScaling") or {}
            entry: dict[str, Any] = {
                "RegionName": region, "ReplicaStatus": REPLICA_STATUS.get(replica.status, "ACTIVE"),
                "ReplicaBillingModeSummary": {"BillingMode": replica.billing_mode},
                "ReplicaProvisionedReadCapacityUnits": replica.read_capacity,
                "ReplicaProvisionedWriteCapacityUnits": replica.write_capacity,
                "ReplicaTableClassSummary": {"TableClass": replica.table_class},
                "ReplicaGlobalSecondaryIndexSettings": [
                    {"IndexName": i.name, "IndexStatus": i.status, "ProvisionedReadCapacityUnits": i.read_capacity,
                     "ProvisionedWriteCapacityUnits": i.write_capacity,
                     **scaling_out(scaling.get("indexes", {}).get(i.name, {}), "Provisioned")}
                    for i in replica.index_objects() if i.kind == "GSI"],
                **scaling_out(scaling, "ReplicaProvisioned"),
            }
            replicas.append(entry)
        return {"GlobalTableName": table.name, "ReplicaSettings": replicas}

    def describe_global_table_settings(self, ctx: RequestContext, params: dict) -> dict:
        return self._settings(ctx, self._legacy(ctx, params["GlobalTableName"]))

    def update_global_table_settings(self, ctx: RequestContext, params: dict) -> dict:
        table = self._legacy(ctx, params["GlobalTableName"])
        replicas = {r: copy.deepcopy(self.state.tables.get(scope_in(ctx.scope, r), table.name)) for r in table.replica_regions}
        replicas = {r: t for r, t in replicas.items() if t is not None}
        billing = params.get("GlobalTableBillingMode")
        write = params.get("GlobalTableProvisionedWriteCapacityUnits")
        for replica in replicas.values():
            if billing and billing != replica.billing_mode:
                replica.billing_mode, replica.billing_mode_updated = billing, time.time()
                if billing == "PAY_PER_REQUEST":
                    replica.read_capacity = replica.write_capacity = 0
            if write is not None:
                if replica.billing_mode != "PROVISIONED":
                    raise invalid(INVALID + "Provisioned write capacity can only be set for tables in PROVISIONED billing mode")
                replica.write_capacity = write
            if params.get("GlobalTableProvisionedWriteCapacityAutoScalingSettingsUpdate"):
                store_scaling(replica, None, "write", params["GlobalTableProvisionedWriteCapacityAutoScalingSettingsUpdate"])
            for update in params.get("GlobalTableGlobalSecondaryIndexSettingsUpdate") or []:
                index_settings(replica, update, "write")
        for update in params.get("ReplicaSettingsUpdate") or []:
            replica = replicas.get(update["RegionName"])
            if replica is None:
                raise ServiceError("ReplicaNotFoundException", "Replica not found")
            if update.get("ReplicaProvisionedReadCapacityUnits") is not None:
                replica.read_capacity = update["ReplicaProvisionedReadCapacityUnits"]
            if update.get("ReplicaTableClass"):
                replica.table_class = update["ReplicaTableClass"]
            if update.get("ReplicaProvisionedReadCapacityAutoScalingSettingsUpdate"):
                store_scaling(replica, None, "read", update["ReplicaProvisionedReadCapacityAutoScalingSettingsUpdate"])
            for index_update in update.get("ReplicaGlobalSecondaryIndexSettingsUpdate") or []:
                index_settings(replica, index_update, "read")
        with self.state.store.transaction():
            for region, replica in replicas.items():
                self.state.save(scope_in(ctx.scope, region), replica)
        return self._settings(ctx, self.state.tables.get(ctx.scope, table.name) or next(iter(replicas.values())))
