"""A new table made from a source table's definition: what RestoreTableFromBackup and
RestoreTableToPointInTime share.

The restored table has the source's key schema, indexes, capacity, encryption and table class,
with the request's overrides (billing mode, throughput, which indexes, encryption); it has no
tags, stream, TTL, point-in-time recovery or deletion protection, as AWS says these are set up
by hand. It answers CREATING with RestoreSummary.RestoreInProgress true while TableWork copies
the items (and puts a point in time back from the change history), then becomes ACTIVE.
"""

from __future__ import annotations

from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.services.dynamodb.models import Table
from regionbox.services.dynamodb.state import DynamoDBState
from regionbox.services.dynamodb.table_work import TableWork
from regionbox.services.dynamodb.tables import Tables

REQUEST = "Invalid Request: "


def _taken(name: str) -> ServiceError:
    return ServiceError("TableAlreadyExistsException", f"Table already exists: {name}")


def _overridden(source: list[dict], override: list[dict] | None) -> list[dict]:
    """The indexes to restore: the override's (each one of the source's), or the source's."""
    if override is None:
        return source
    names = {doc["name"] for doc in source}
    for spec in override:
        if spec["IndexName"] not in names:
            raise invalid(REQUEST + f"Index {spec['IndexName']} does not match a secondary index that existed in the "
                          "source table and cannot be created during the restore operation")
    return override


def _check_overrides(params: dict, source: Table, billing: str) -> None:
    """The billing overrides a restore accepts, in AWS's words."""
    overridden = params.get("BillingModeOverride")
    pt = params.get("ProvisionedThroughputOverride")
    if pt is not None and overridden == "PAY_PER_REQUEST":
        raise invalid(REQUEST + "Cannot override ProvisionedThroughput if BillingMode is overridden to PAY_PER_REQUEST")
    if pt is not None and billing != "PROVISIONED":
        raise invalid(REQUEST + "Cannot override ProvisionedThroughput unless BillingMode is PROVISIONED")
    if pt is None and overridden == "PROVISIONED" and source.billing_mode != "PROVISIONED":
        raise invalid(REQUEST + "Must override ProvisionedThroughput if BillingMode is overridden to PROVISIONED")
    on_demand = params.get("OnDemandThroughputOverride") or {}
    given = [name for name in ("MaxReadRequestUnits", "MaxWriteRequestUnits") if on_demand.get(name) is not None]
    if given and billing != "PAY_PER_REQUEST":
        raise invalid(REQUEST + f"Cannot override {given[0]} for OnDemandThroughput unless BillingModeOverride is PAY_PER_REQUEST")
    for name in given:
        if on_demand[name] < 1:
            raise invalid(REQUEST + f"Requested {name} for OnDemandThroughput is outside of valid range")


def index_spec(index, billing: str, table_throughput: dict | None) -> dict:
    """CreateTable's spec of one of the source's indexes."""
    spec: dict[str, Any] = {"IndexName": index.name, "KeySchema": index.key_schema, "Projection": index.projection}
    if index.kind == "GSI" and billing == "PROVISIONED":
        if not index.read_capacity and table_throughput is None:
            raise invalid(REQUEST + f"Must specify provisioned throughput for index {index.name}")
        spec["ProvisionedThroughput"] = ({"ReadCapacityUnits": index.read_capacity, "WriteCapacityUnits": index.write_capacity}
                                         if index.read_capacity else table_throughput)
    if index.kind == "GSI" and billing == "PAY_PER_REQUEST" and index.on_demand:
        spec["OnDemandThroughput"] = index.on_demand
    return spec


class Restores:
    def __init__(self, state: DynamoDBState, tables: Tables, work: TableWork) -> None:
        self.state = state
        self.tables = tables
        self.work = work

    def start(self, ctx: RequestContext, params: dict, source: Table, summary: dict[str, Any],
              rows: int, until: float | None) -> dict:
        """Create ``params["TargetTableName"]`` from ``source`` (its definition) and start filling
        it from the rows stored under ``rows`` (as they were at ``until``, when given)."""
        billing = params.get("BillingModeOverride") or source.billing_mode
        _check_overrides(params, source, billing)
        table_throughput = params.get("ProvisionedThroughputOverride")
        if billing == "PROVISIONED" and table_throughput is None and source.read_capacity:
            table_throughput = {"ReadCapacityUnits": source.read_capacity, "WriteCapacityUnits": source.write_capacity}
        indexes = source.index_objects()
        lsis = _overridden([{"name": i.name} for i in indexes if i.kind == "LSI"], params.get("LocalSecondaryIndexOverride"))
        gsis = _overridden([{"name": i.name} for i in indexes if i.kind == "GSI"], params.get("GlobalSecondaryIndexOverride"))
        by_name = {i.name: i for i in indexes}
        lsi_specs = [spec if "KeySchema" in spec else index_spec(by_name[spec["name"]], billing, None) for spec in lsis]
        gsi_specs = [spec if "KeySchema" in spec else index_spec(by_name[spec["name"]], billing, table_throughput) for spec in gsis]
        used = {k["AttributeName"] for spec in [{"KeySchema": source.key_schema}, *lsi_specs, *gsi_specs] for k in spec["KeySchema"]}
        create: dict[str, Any] = {
            "TableName": params["TargetTableName"],
            "KeySchema": source.key_schema,
            "AttributeDefinitions": [d for d in source.attribute_definitions if d["AttributeName"] in used],
            "BillingMode": billing,
            "TableClass": source.table_class,
        }
        if billing == "PROVISIONED" and table_throughput is not None:
            create["ProvisionedThroughput"] = table_throughput
        if lsi_specs:
            create["LocalSecondaryIndexes"] = lsi_specs
        if gsi_specs:
            create["GlobalSecondaryIndexes"] = gsi_specs
        vectors = [{k: v for k, v in spec.items() if k != "IndexStatus"} for spec in source.vector_indexes]
        override = params.get("VectorIndexOverride")
        if override is not None:
            known = {spec["IndexName"] for spec in vectors}
            for spec in override:
                if spec["IndexName"] not in known:
                    raise invalid(REQUEST + f"Index {spec['IndexName']} does not match a vector index that existed in the "
                                  "source table and cannot be created during the restore operation")
            vectors = override
        if vectors:
            create["VectorIndexes"] = vectors
        sse = params.get("SSESpecificationOverride", source.sse)
        if sse is not None:
            create["SSESpecification"] = sse
        on_demand = params.get("OnDemandThroughputOverride", source.on_demand if billing == "PAY_PER_REQUEST" else None)
        if on_demand:
            create["OnDemandThroughput"] = on_demand
        table = self.tables.new_table(ctx, create, taken=_taken)
        table.restore = {**summary, "RestoreInProgress": True}
        table.restore_source = {"tid": rows, "until": until}
        self.state.save(ctx.scope, table)
        ctx.touched("AWS::DynamoDB::Table", table.arn)
        self.work.restore(ctx.scope, table.name, table.tid)
        return {"TableDescription": self.tables.describe(ctx, table)}

    def in_progress_from(self, scope, backup_arn: str) -> bool:
        """Whether a table of ``scope`` is being restored from this backup."""
        return any(t.restore_source is not None and (t.restore or {}).get("SourceBackupArn") == backup_arn
                   for t in self.state.tables.values(scope))
