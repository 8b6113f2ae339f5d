"""Global tables of version 2019.11.21: replicas of a table in other regions of the same cloud that
really replicate.

UpdateTable's ReplicaUpdates creates a replica (a table of the same name, key schema, indexes and
billing in the other region, with a NEW_AND_OLD_IMAGES stream, CREATING while TableWork copies the
source's items into it and builds its indexes), updates its overrides, deletes it, or disassociates
the local one; another account's CreateTable with GlobalTableSourceArn adds a replica in that
account (multi-account global tables). MultiRegionConsistency STRONG makes an MRSC group with a
witness or a third replica. DescribeTable lists the other regions under Replicas, each with the
status of its table there. New indexes, billing, write capacity and TTL follow every replica.

Every member keeps the group's regions (``Table.replica_regions``, and the accounts of those in
other accounts); writes.py applies each write to the other members in the writer's transaction.
DescribeTableReplicaAutoScaling and UpdateTableReplicaAutoScaling keep the auto scaling settings
per replica and index: regionbox never throttles on provisioned capacity, so they scale nothing,
which is what a table that never runs short sees on AWS too. legacy_global_tables.py has version
2017.11.29.
"""
from __future__ import annotations

import copy
import dataclasses
from typing import Any, Callable

from regionbox.core.arns import Arn
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.store import Scope
from regionbox.services.dynamodb.models import Table
from regionbox.services.dynamodb.replicas import (
    CURRENT,
    INVALID,
    LEGACY,
    REPLICA_STATUS,
    leave_group,
    members,
    region_named,
    scaling_out,
    scope_in,
    store_scaling,
)
from regionbox.services.dynamodb.restores import index_spec
from regionbox.services.dynamodb.state import DynamoDBState, table_name
from regionbox.services.dynamodb.table_work import TableWork
from regionbox.services.dynamodb.tables import Tables

_SYNCED = ("AttributeDefinitions", "GlobalSecondaryIndexUpdates", "BillingMode", "ProvisionedThroughput", "OnDemandThroughput")


class GlobalTables:
    def __init__(self, state: DynamoDBState, tables: Tables, work: TableWork) -> None:
        self.state = state
        self.tables = tables
        self.work = work

    # -- multi-account global tables: CreateTable with GlobalTableSourceArn ---------------------
    def create_table(self, ctx: RequestContext, params: dict) -> dict:
        """CreateTable; with GlobalTableSourceArn, a replica in the caller's account and Region of a
        table (or global table) of another account, whose resource policy let the caller associate
        it (access.py asks IAM for dynamodb:AssociateTableReplica on the source)."""
        source_arn = params.get("GlobalTableSourceArn")
        if not source_arn:
            return self.tables.create_table(ctx, params)
        if params.get("GlobalTableSettingsReplicationMode") != "ENABLED":
            raise invalid(INVALID + "GlobalTableSettingsReplicationMode must be ENABLED to create a multi-account "
                          "global table")
        try:
            parsed = Arn.parse(source_arn)
        except ValueError:
            raise invalid(INVALID + f"Invalid GlobalTableSourceArn: {source_arn}") from None
        source_scope = (parsed.account, parsed.region)
        source = self.state.tables.get(source_scope, table_name(source_arn))
        if source is None or source.arn != source_arn:
            raise ServiceError("ResourceNotFoundException", f"Requested resource not found: Table: {source_arn} not found")
        if table_name(params["TableName"]) != source.name:
            raise invalid(INVALID + "A replica of a multi-account global table must have its source table's name: "
                          f"{source.name}")
        if source_scope[1] == ctx.region or ctx.region in source.replica_regions:
            raise invalid(INVALID + f"The global table already has a replica in region {ctx.region}")
        if source.settings_replication != "ENABLED" and not source.group_accounts:
            raise invalid(INVALID + "The source table's GlobalTableSettingsReplicationMode must be ENABLED")
        if source.global_version == LEGACY or source.consistency == "STRONG":
            raise invalid(INVALID + "Multi-account global tables are multi-Region eventual consistency tables of "
                          "version 2019.11.21")
        if source.status != "ACTIVE":
            raise ServiceError("ResourceInUseException", f"Attempt to change a resource which is still in use: "
                               f"Table is being {source.status.lower()}: {source.name}")
        source_ctx = dataclasses.replace(ctx, region=source_scope[1], resources=[],
                                         caller=dataclasses.replace(ctx.caller, account_id=source_scope[0]))
        source = copy.deepcopy(source)
        with self.state.store.transaction():
            if not source.stream_enabled:
                self.tables.enable_stream(source_ctx, source, {"StreamViewType": "NEW_AND_OLD_IMAGES"})
            create = {**self._create_params(source, {}), **{k: params[k] for k in ("Tags", "ResourcePolicy",
                                                                                  "DeletionProtectionEnabled") if k in params}}
            replica = self.tables.new_table(ctx, create)
            self.tables.enable_stream(ctx, replica, {"StreamViewType": "NEW_AND_OLD_IMAGES"})
            replica.restore_source = {"tid": source.tid, "until": None}
            group = [*(source.replica_regions or [source_scope[1]]), ctx.region]
            self._regroup(source_ctx, source, group, extra=[(ctx.scope, replica)], accounts={ctx.region: ctx.account_id})
            self.state.save(source_scope, source)
        self.work.restore(ctx.scope, replica.name, replica.tid)
        ctx.touched("AWS::DynamoDB::Table", replica.arn)
        return {"TableDescription": self.tables.describe(ctx, self.state.tables.get(ctx.scope, replica.name))}

    # -- version 2019.11.21: UpdateTable's ReplicaUpdates ---------------------------------------
    def update_table(self, ctx: RequestContext, params: dict) -> dict:
        """UpdateTable, whose settings a 2019.11.21 global table keeps the same in every replica
        (ENABLED_WITH_OVERRIDES: indexes, billing mode and write capacity follow; a replica's read
        capacity and table class are its own)."""
        answer = self.tables.update_table(ctx, params, replicas=self.update_replicas)
        synced = {k: params[k] for k in _SYNCED if params.get(k)}
        table = self.state.tables.get(ctx.scope, table_name(params["TableName"]))
        if synced and table is not None and table.global_version == CURRENT:
            for region, replica in members(self.state, ctx.scope, table):
                update = {**synced, "TableName": replica.name}
                if "ProvisionedThroughput" in update and replica.read_capacity:
                    update["ProvisionedThroughput"] = {**update["ProvisionedThroughput"],
                                                       "ReadCapacityUnits": replica.read_capacity}
                self._follow(ctx, region, lambda remote, u=update: self.tables.update_table(remote, u))
        return answer

    def update_time_to_live(self, ctx: RequestContext, params: dict) -> dict:
        """UpdateTimeToLive, followed by every replica (expired items are deleted in each region,
        and the deletions replicate like any other)."""
        answer = self.tables.update_time_to_live(ctx, params)
        table = self.state.tables.get(ctx.scope, table_name(params["TableName"]))
        if table is not None and table.global_version == CURRENT:
            for region, replica in members(self.state, ctx.scope, table):
                update = {**params, "TableName": replica.name}
                self._follow(ctx, region, lambda remote, u=update: self.tables.update_time_to_live(remote, u))
        return answer

    @staticmethod
    def _follow(ctx: RequestContext, region: str, change: Callable[[RequestContext], Any]) -> None:
        # A replica that cannot take the change now (still being filled, say) keeps its settings.
        try:
            change(dataclasses.replace(ctx, region=region, resources=[]))
        except ServiceError:
            pass

    def update_replicas(self, ctx: RequestContext, table: Table, params: dict) -> None:
        """Apply ReplicaUpdates, GlobalTableWitnessUpdates and MultiRegionConsistency to ``table``
        (UpdateTable's copy, saved by the caller) and its replicas, inside the caller's transaction."""
        updates = params.get("ReplicaUpdates") or []
        if params.get("DisassociationProtectionEnabled") is not None:
            self._protect(table, params)
            return
        mode = params.get("GlobalTableSettingsReplicationMode")
        if mode is not None:
            if table.replica_regions or mode == "ENABLED_WITH_OVERRIDES":
                raise invalid(INVALID + "GlobalTableSettingsReplicationMode can only be set to ENABLED or DISABLED on a "
                              "regional table")
            table.settings_replication = mode
            if not updates:
                return
        if table.global_version == LEGACY:
            raise invalid(INVALID + "ReplicaUpdates are not supported for global tables of version 2017.11.29; "
                          "use UpdateGlobalTable")
        creates = [u["Create"]["RegionName"] for u in updates if "Create" in u]
        strong = params.get("MultiRegionConsistency") == "STRONG"
        if params.get("MultiRegionConsistency") and (not creates or table.replica_regions):
            raise invalid(INVALID + "MultiRegionConsistency can only be specified when creating a global table with "
                          "Create actions in ReplicaUpdates")
        witnesses = params.get("GlobalTableWitnessUpdates") or []
        if strong:
            # MRSC: three regions, all replicas or two and a witness, made at once from an empty table. Every
            # write reaches every replica in its own transaction here, so reads anywhere are strongly consistent.
            if len(creates) + len([w for w in witnesses if "Create" in w]) != 2:
                raise invalid(INVALID + "A multi-Region strong consistency global table needs exactly three Regions: "
                              "three replicas, or two replicas and one witness")
            if self.state.items.stats(table.tid)[0]:
                raise invalid(INVALID + "A multi-Region strong consistency global table can only be created from an "
                              "empty table")
        elif len(updates) > 1 and any("Create" in u or "Delete" in u for u in updates):
            raise invalid(INVALID + "Only one replica can be created or deleted at a time")
        if witnesses and not strong and table.consistency != "STRONG":
            raise invalid(INVALID + "Witnesses can only be part of a multi-Region strong consistency global table")
        for update in witnesses:
            self._witness(ctx, table, update)
        if strong:
            table.consistency = "STRONG"
        for update in updates:
            if "Create" in update:
                self._create_replica(ctx, table, update["Create"])
            elif "Delete" in update:
                self._delete_replica(ctx, table, update["Delete"]["RegionName"])
            elif "Update" in update:
                self._update_replica(ctx, table, update["Update"])
            elif "Disassociate" in update:
                self._disassociate(ctx, table, update["Disassociate"])

    @staticmethod
    def _protect(table: Table, params: dict) -> None:
        others = [k for k, v in params.items() if v is not None and k not in ("TableName", "DisassociationProtectionEnabled")]
        if others:
            raise invalid(INVALID + "DisassociationProtectionEnabled cannot be combined with any other change in the "
                          "same UpdateTable request")
        if table.global_version != CURRENT or table.consistency == "STRONG":
            raise invalid(INVALID + "DisassociationProtectionEnabled applies only to a replica of a multi-Region "
                          "eventual consistency global table of version 2019.11.21")
        table.disassociation_protection = bool(params["DisassociationProtectionEnabled"])

    def _disassociate(self, ctx: RequestContext, table: Table, spec: dict) -> None:
        """The local replica leaves its global table with its data and settings (a group of two
        leaves two single-Region tables)."""
        if spec.get("RegionName") != ctx.region:
            raise invalid(INVALID + "A Disassociate action must name the Region of the replica the request is sent to: "
                          f"{ctx.region}")
        if table.global_version != CURRENT or table.consistency == "STRONG":
            raise invalid(INVALID + "Only a replica of a multi-Region eventual consistency global table of version "
                          "2019.11.21 can be disassociated")
        if table.disassociation_protection:
            raise invalid(INVALID + "Disassociation protection is enabled for this replica; disable it with "
                          "DisassociationProtectionEnabled first")
        leave_group(self.state, ctx.scope, table)
        table.replica_regions, table.global_version, table.group_accounts = [], None, {}
        table.consistency = table.witness = None

    def _create_replica(self, ctx: RequestContext, table: Table, spec: dict) -> None:
        region = region_named(ctx, spec["RegionName"])
        if region == ctx.region or region in table.replica_regions:
            raise invalid(INVALID + f"Replica already exists in region {region} for table {table.name}")
        there = scope_in(ctx.scope, region)
        if self.state.tables.get(there, table.name) is not None:
            raise invalid(INVALID + f"Table {table.name} already exists in region {region}; a new replica must be "
                          "created by DynamoDB")
        if table.stream_enabled and table.stream["view_type"] != "NEW_AND_OLD_IMAGES":
            raise invalid(INVALID + "Table must have DynamoDB Streams enabled with StreamViewType NEW_AND_OLD_IMAGES "
                          "to add replicas")
        if not table.stream_enabled:  # DynamoDB turns the stream on, as global tables replicate through it
            self.tables.enable_stream(ctx, table, {"StreamViewType": "NEW_AND_OLD_IMAGES"})
        remote = dataclasses.replace(ctx, region=region, resources=[])
        replica = self.tables.new_table(remote, self._create_params(table, spec))
        self.tables.enable_stream(remote, replica, {"StreamViewType": "NEW_AND_OLD_IMAGES"})
        group = [*(table.replica_regions or [ctx.region]), region]
        replica.replica = self._overrides(spec)
        replica.restore_source = {"tid": table.tid, "until": None}
        self._regroup(ctx, table, group, extra=[(there, replica)])
        self.work.restore(there, replica.name, replica.tid)
        ctx.touched("AWS::DynamoDB::Table", replica.arn)

    def _regroup(self, ctx: RequestContext, table: Table, group: list[str], extra: list[tuple[Scope, Table]] = (),
                 accounts: dict[str, str] | None = None) -> None:
        """Every member (and ``extra`` new ones, in ``accounts`` when not in ``ctx``'s account) told the
        group's regions, accounts, consistency and witness."""
        owners = {r: table.group_accounts.get(r, ctx.account_id) for r in group}
        owners.update(accounts or {})
        for member_scope, member in [*extra, *((scope_in(ctx.scope, r, table), copy.deepcopy(t))
                                                for r, t in members(self.state, ctx.scope, table))]:
            member.replica_regions, member.global_version = group, CURRENT
            member.consistency, member.witness = table.consistency, table.witness
            member.group_accounts = {r: a for r, a in owners.items() if a != member_scope[0]}
            self.state.save(member_scope, member)
        table.replica_regions, table.global_version = group, CURRENT
        table.group_accounts = {r: a for r, a in owners.items() if a != ctx.account_id}

    def _witness(self, ctx: RequestContext, table: Table, update: dict) -> None:
        if "Create" in update:
            region = region_named(ctx, update["Create"]["RegionName"])
            if table.witness or region == ctx.region or region in table.replica_regions:
                raise invalid(INVALID + f"A witness cannot be added in region {region}: the global table already has "
                              "a witness or a replica there")
            table.witness = region
        elif "Delete" in update:
            if table.witness != update["Delete"]["RegionName"]:
                raise invalid(INVALID + f"There is no witness in region {update['Delete']['RegionName']}")
            table.witness = None
        self._regroup(ctx, table, table.replica_regions or [ctx.region])

    @staticmethod
    def _create_params(table: Table, spec: dict) -> dict:
        billing = table.billing_mode
        params: dict[str, Any] = {"TableName": table.name, "KeySchema": table.key_schema,
                                  "AttributeDefinitions": table.attribute_definitions, "BillingMode": billing,
                                  "TableClass": spec.get("TableClassOverride") or table.table_class}
        throughput = {"ReadCapacityUnits": table.read_capacity, "WriteCapacityUnits": table.write_capacity}
        if billing == "PROVISIONED":
            read = (spec.get("ProvisionedThroughputOverride") or {}).get("ReadCapacityUnits")
            params["ProvisionedThroughput"] = {**throughput, **({"ReadCapacityUnits": read} if read else {})}
        elif table.on_demand or spec.get("OnDemandThroughputOverride"):
            params["OnDemandThroughput"] = {**(table.on_demand or {}), **(spec.get("OnDemandThroughputOverride") or {})}
        lsis = [index_spec(i, billing, throughput) for i in table.index_objects() if i.kind == "LSI"]
        gsis = [index_spec(i, billing, throughput) for i in table.index_objects() if i.kind == "GSI"]
        overrides = {g["IndexName"]: g for g in spec.get("GlobalSecondaryIndexes") or []}
        for gsi in gsis:
            override = overrides.pop(gsi["IndexName"], {})
            read = (override.get("ProvisionedThroughputOverride") or {}).get("ReadCapacityUnits")
            if read and "ProvisionedThroughput" in gsi:
                gsi["ProvisionedThroughput"] = {**gsi["ProvisionedThroughput"], "ReadCapacityUnits": read}
        if overrides:
            raise ServiceError("ResourceNotFoundException", f"Requested resource not found: Index: {next(iter(overrides))} not found")
        if lsis:
            params["LocalSecondaryIndexes"] = lsis
        if gsis:
            params["GlobalSecondaryIndexes"] = gsis
        if table.sse is not None:
            params["SSESpecification"] = {**table.sse, **({"KMSMasterKeyId": spec["KMSMasterKeyId"]}
                                                            if spec.get("KMSMasterKeyId") else {})}
        return params

    @staticmethod
    def _overrides(spec: dict) -> dict:
        return {k: v for k, v in spec.items() if k in ("KMSMasterKeyId", "ProvisionedThroughputOverride",
                                                        "OnDemandThroughputOverride", "GlobalSecondaryIndexes") and v}

    def _replica(self, ctx: RequestContext, table: Table, region: str) -> tuple[Scope, Table]:
        there = scope_in(ctx.scope, region, table)
        replica = self.state.tables.get(there, table.name) if region != ctx.region else None
        if replica is None or region not in table.replica_regions:
            raise invalid(INVALID + f"Replica does not exist in region {region} for table {table.name}")
        return there, copy.deepcopy(replica)

    def _delete_replica(self, ctx: RequestContext, table: Table, region: str) -> None:
        region_named(ctx, region)
        there, replica = self._replica(ctx, table, region)
        if replica.deletion_protection:
            raise invalid("Resource cannot be deleted as it is currently protected against deletion. "
                          "Disable deletion protection first.")
        leave_group(self.state, there, replica)
        self.state.remove(there, replica)
        table.replica_regions = [r for r in table.replica_regions if r != region]
        if len(table.replica_regions) < 2:
            table.replica_regions, table.global_version = [], None

    def _update_replica(self, ctx: RequestContext, table: Table, spec: dict) -> None:
        there, replica = self._replica(ctx, table, region_named(ctx, spec["RegionName"]))
        if spec.get("TableClassOverride"):
            replica.table_class = spec["TableClassOverride"]
        read = (spec.get("ProvisionedThroughputOverride") or {}).get("ReadCapacityUnits")
        if read and replica.billing_mode == "PROVISIONED":
            replica.read_capacity = read
        for override in spec.get("GlobalSecondaryIndexes") or []:
            index = replica.index(override["IndexName"])
            if index is None:
                raise ServiceError("ResourceNotFoundException", f"Requested resource not found: Index: {override['IndexName']} not found")
            read = (override.get("ProvisionedThroughputOverride") or {}).get("ReadCapacityUnits")
            if read and replica.billing_mode == "PROVISIONED":
                index.read_capacity = read
                replica.set_index(index)
        replica.replica = {**replica.replica, **self._overrides(spec)}
        self.state.save(there, replica)

    # -- replica auto scaling (version 2019.11.21) ----------------------------------------------
    def _auto_scaling(self, ctx: RequestContext, table: Table) -> dict:
        replicas = []
        for region, replica in [(ctx.region, table), *members(self.state, ctx.scope, table)]:
            scaling = replica.replica.get("AutoScaling") or {}
            replicas.append({
                "RegionName": region, "ReplicaStatus": REPLICA_STATUS.get(replica.status, "ACTIVE"),
                **scaling_out(scaling, "ReplicaProvisioned"),
                "GlobalSecondaryIndexes": [{"IndexName": i.name, "IndexStatus": i.status,
                                            **scaling_out(scaling.get("indexes", {}).get(i.name, {}), "Provisioned")}
                                           for i in replica.index_objects() if i.kind == "GSI"],
            })
        return {"TableAutoScalingDescription": {"TableName": table.name, "TableStatus": table.status, "Replicas": replicas}}

    def describe_table_replica_auto_scaling(self, ctx: RequestContext, params: dict) -> dict:
        return self._auto_scaling(ctx, self.state.table_for_control(ctx, params["TableName"]))

    def update_table_replica_auto_scaling(self, ctx: RequestContext, params: dict) -> dict:
        table = copy.deepcopy(self.state.table_for_control(ctx, params["TableName"]))
        if table.status != "ACTIVE":
            raise ServiceError("ResourceInUseException", f"Attempt to change a resource which is still in use: "
                               f"Table is being {table.status.lower()}: {table.name}")
        everyone = {ctx.region: table, **{r: copy.deepcopy(t) for r, t in members(self.state, ctx.scope, table)}}
        if table.billing_mode != "PROVISIONED":
            raise invalid(INVALID + "Auto scaling can only be configured for tables in PROVISIONED billing mode")
        for replica in everyone.values():
            if params.get("ProvisionedWriteCapacityAutoScalingUpdate"):
                store_scaling(replica, None, "write", params["ProvisionedWriteCapacityAutoScalingUpdate"])
            for update in params.get("GlobalSecondaryIndexUpdates") or []:
                if replica.index(update["IndexName"]) is None:
                    raise ServiceError("ResourceNotFoundException", f"Requested resource not found: Index: {update['IndexName']} not found")
                if update.get("ProvisionedWriteCapacityAutoScalingUpdate"):
                    store_scaling(replica, update["IndexName"], "write", update["ProvisionedWriteCapacityAutoScalingUpdate"])
        for update in params.get("ReplicaUpdates") or []:
            replica = everyone.get(update["RegionName"])
            if replica is None:
                raise invalid(INVALID + f"Replica does not exist in region {update['RegionName']} for table {table.name}")
            if update.get("ReplicaProvisionedReadCapacityAutoScalingUpdate"):
                store_scaling(replica, None, "read", update["ReplicaProvisionedReadCapacityAutoScalingUpdate"])
            for index_update in update.get("ReplicaGlobalSecondaryIndexUpdates") or []:
                if replica.index(index_update["IndexName"]) is None:
                    raise ServiceError("ResourceNotFoundException",
                                       f"Requested resource not found: Index: {index_update['IndexName']} not found")
                if index_update.get("ProvisionedReadCapacityAutoScalingUpdate"):
                    store_scaling(replica, index_update["IndexName"], "read", index_update["ProvisionedReadCapacityAutoScalingUpdate"])
        with self.state.store.transaction():
            for region, replica in everyone.items():
                self.state.save(scope_in(ctx.scope, region, table), replica)
        return self._auto_scaling(ctx, table)
