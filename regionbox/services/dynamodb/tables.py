"""Tables: Create/Describe/Update/Delete/ListTables, secondary indexes, billing modes, stream
settings, TTL settings, tags, limits and endpoints.

Status transitions are real but short: a new table answers CREATING and becomes ACTIVE in the
background (table_work.py). A GSI added by UpdateTable is CREATING with Backfilling true while a
background task writes its rows in chunks, then ACTIVE.
"""

from __future__ import annotations

import copy
import time
import uuid
from dataclasses import asdict
from typing import Any, Callable

from regionbox.config import Config
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import PageRule
from regionbox.protocol.validate import format_message
from regionbox.services.dynamodb import throughput
from regionbox.services.dynamodb.backups import retain_deleted
from regionbox.services.dynamodb.models import INCLUDE, Index, Table
from regionbox.services.dynamodb.replicas import describe_replicas, leave_group
from regionbox.services.dynamodb.resource_policies import ResourcePolicies
from regionbox.services.dynamodb.state import DynamoDBState
from regionbox.services.dynamodb.streams import stream_label
from regionbox.services.dynamodb.table_work import TableWork
from regionbox.services.dynamodb.vectors import VectorIndexes, vector_index

INVALID = "One or more parameter values were invalid: "
MAX_GSIS = 20
MAX_LSIS = 5
MAX_PROJECTED = 100
MAX_KEY_ATTRIBUTES = 4  # of each kind in a global secondary index's multi-attribute key
# ListTagsOfResource pages by NextToken alone (no page size in the request): ten tags a page.
TAG_PAGES = PageRule(out_of_range=lambda n: invalid("Invalid Limit"), size="Limit", default=10, maximum=10,
                     bad_token=lambda token: invalid("Invalid NextToken"))


def _key_names(key_schema: list[dict]) -> list[str]:
    return [k["AttributeName"] for k in key_schema]


def _check_key_schema(key_schema: list[dict], multi: bool = False) -> None:
    """A table's or a local index's key: a HASH element, then perhaps a RANGE one. A global
    secondary index's (``multi``) may have up to four HASH elements, then up to four RANGE ones."""
    if not key_schema:
        raise invalid("1 validation error detected: Value null at 'keySchema' failed to satisfy constraint: Member must not be null")
    if multi:
        _check_multi_attribute_key(key_schema)
        return
    if len(key_schema) > 2:
        raise invalid("1 validation error detected: Value '" + str(key_schema) + "' at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2")
    if key_schema[0]["KeyType"] != "HASH":
        raise invalid("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    if len(key_schema) == 2:
        if key_schema[1]["KeyType"] != "RANGE":
            raise invalid("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
        if key_schema[0]["AttributeName"] == key_schema[1]["AttributeName"]:
            raise invalid("Both the Hash Key and the Range Key element in the KeySchema have the same name")


def _check_multi_attribute_key(key_schema: list[dict]) -> None:
    if key_schema[0]["KeyType"] != "HASH":
        raise invalid("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    kinds = [k["KeyType"] for k in key_schema]
    if "RANGE" in kinds and "HASH" in kinds[kinds.index("RANGE"):]:
        raise invalid(INVALID + "All HASH key attributes must precede RANGE key attributes in the KeySchema")
    for kind in ("HASH", "RANGE"):
        if kinds.count(kind) > MAX_KEY_ATTRIBUTES:
            raise invalid(INVALID + f"The KeySchema exceeds the maximum allowed number of {kind} key attributes")
    names = _key_names(key_schema)
    if len(set(names)) != len(names):
        if len(names) == 2:
            raise invalid("Both the Hash Key and the Range Key element in the KeySchema have the same name")
        raise invalid("The KeySchema contains multiple key attributes with the same name")


def _check_projection(projection: dict, index_name: str) -> dict:
    kind = projection.get("ProjectionType")
    non_key = projection.get("NonKeyAttributes")
    if kind is None:
        raise invalid(INVALID + "Unknown ProjectionType: null")
    if kind != INCLUDE and non_key is not None:
        raise invalid(INVALID + f"ProjectionType is {kind}, but NonKeyAttributes is specified")
    if kind == INCLUDE and not non_key:
        raise invalid(INVALID + "NonKeyAttributes must not be empty")
    return {"ProjectionType": kind, **({"NonKeyAttributes": list(non_key)} if kind == INCLUDE else {})}


def _throughput(params: dict, billing: str, where: str = "") -> tuple[int, int]:
    pt = params.get("ProvisionedThroughput")
    if billing == "PAY_PER_REQUEST":
        if pt is not None:
            raise invalid(INVALID + "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
        return 0, 0
    if pt is None:
        raise invalid(INVALID + "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
    read, write = pt.get("ReadCapacityUnits"), pt.get("WriteCapacityUnits")
    for value, name in ((read, "ReadCapacityUnits"), (write, "WriteCapacityUnits")):
        if value is None or value < 1:
            raise invalid(INVALID + f"{name} must be greater than 0 for table")
    return read, write


def _in_use(name: str) -> ServiceError:
    return ServiceError("ResourceInUseException", f"Table already exists: {name}")


class Tables:
    def __init__(self, state: DynamoDBState, work: TableWork, config: Config, policies: ResourcePolicies,
                 vectors: VectorIndexes) -> None:
        self.state = state
        self.work = work
        self.config = config
        self.policies = policies  # CreateTable's ResourcePolicy is checked as PutResourcePolicy's
        self.vectors = vectors

    # -- create ------------------------------------------------------------------------------
    def create_table(self, ctx: RequestContext, params: dict) -> dict:
        table = self.new_table(ctx, params)
        stream_spec = params.get("StreamSpecification")
        with self.state.store.transaction():
            if stream_spec and stream_spec.get("StreamEnabled"):
                self.enable_stream(ctx, table, stream_spec)
            self.state.save(ctx.scope, table)
        ctx.touched("AWS::DynamoDB::Table", table.arn)
        self.work.activate(ctx.scope, table.name, table.tid)
        return {"TableDescription": self.describe(ctx, table)}

    def new_table(self, ctx: RequestContext, params: dict, taken: Callable[[str], ServiceError] | None = None) -> Table:
        """A table CreateTable's parameters describe (restores and imports give theirs), checked
        as CreateTable checks them, not saved yet. ``taken``: the error for a name in use."""
        name = params["TableName"]
        # botocore's model lets both go (other table classes' requests share the shape); DynamoDB's
        # own validation does not.
        absent = [f"Value null at '{member}' failed to satisfy constraint: Member must not be null"
                  for member in ("attributeDefinitions", "keySchema") if params.get(member[0].upper() + member[1:]) is None]
        if absent:
            raise invalid(format_message(absent))
        key_schema = [dict(k) for k in params["KeySchema"]]
        definitions = [dict(a) for a in params["AttributeDefinitions"]]
        _check_key_schema(key_schema)
        defined = {a["AttributeName"]: a["AttributeType"] for a in definitions}
        if len(defined) != len(definitions):
            raise invalid(INVALID + "Duplicate AttributeName in AttributeDefinitions")
        billing = params.get("BillingMode") or "PROVISIONED"
        read, write = _throughput(params, billing)
        used = set(_key_names(key_schema))
        missing = [n for n in _key_names(key_schema) if n not in defined]
        if missing:
            raise invalid(INVALID + f"Some index key attributes are not defined in AttributeDefinitions. "
                          f"Keys: [{', '.join(_key_names(key_schema))}], AttributeDefinitions: [{', '.join(defined)}]")
        indexes: list[Index] = []
        range_name = key_schema[1]["AttributeName"] if len(key_schema) == 2 else None
        lsis = params.get("LocalSecondaryIndexes") or []
        gsis = params.get("GlobalSecondaryIndexes") or []
        if lsis and range_name is None:
            raise invalid(INVALID + "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex")
        if len(lsis) > MAX_LSIS:
            raise invalid(INVALID + "Number of LocalSecondaryIndexes exceeds per-table limit of 5")
        if len(gsis) > MAX_GSIS:
            raise invalid(INVALID + f"GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GSIS}")
        names: set[str] = set()
        for spec in lsis:
            index = self._new_index(spec, "LSI", defined, names, billing)
            if index.hash_name != key_schema[0]["AttributeName"]:
                raise invalid(INVALID + f"Index KeySchema does not have the same leading hash key as table KeySchema for index: "
                              f"{index.name}. index hash key: {index.hash_name}, table hash key: {key_schema[0]['AttributeName']}")
            if index.range_name is None:
                raise invalid(INVALID + f"Index KeySchema for local secondary index {index.name} must have a range key")
            indexes.append(index)
            used.update(_key_names(index.key_schema))
        for spec in gsis:
            index = self._new_index(spec, "GSI", defined, names, billing)
            indexes.append(index)
            used.update(_key_names(index.key_schema))
        vector_specs = params.get("VectorIndexes") or []
        vectors = [vector_index(spec, names) for spec in vector_specs]
        used.update(e["AttributeName"] for v in vectors for e in v["SearchSchema"])  # may be defined, need not be
        unused = set(defined) - used
        if unused:
            raise invalid(INVALID + "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
        if self.state.find_table(ctx, name) is not None:
            raise (taken or _in_use)(name)
        now = time.time()
        table = Table(
            name=name,
            tid=self.state.items.next_id(),
            table_id=str(uuid.uuid4()),
            arn=ctx.arn("dynamodb", f"table/{name}"),
            key_schema=key_schema,
            attribute_definitions=definitions,
            created=now,
            billing_mode=billing,
            read_capacity=read,
            write_capacity=write,
            billing_mode_updated=now if billing == "PAY_PER_REQUEST" else None,
            tags={t["Key"]: t["Value"] for t in params.get("Tags") or []},
            deletion_protection=bool(params.get("DeletionProtectionEnabled", False)),
            table_class=params.get("TableClass") or "STANDARD",
            sse=params.get("SSESpecification"),
            on_demand=throughput.on_demand(params.get("OnDemandThroughput"), billing, None),
            warm=throughput.warm(params.get("WarmThroughput"), None, billing, read, write, creating=True),
        )
        if params.get("ResourcePolicy"):
            table.resource_policy = self.policies.checked(params["ResourcePolicy"])
            table.policy_revision_id = str(int(now * 1000))
        for index in indexes:
            table.set_index(index)
        table.vector_indexes = vectors
        return table

    def _new_index(self, spec: dict, kind: str, defined: dict, names: set, billing: str) -> Index:
        name = spec["IndexName"]
        if name in names:
            raise invalid(INVALID + f"Duplicate index name: {name}")
        names.add(name)
        key_schema = [dict(k) for k in spec["KeySchema"]]
        _check_key_schema(key_schema, multi=kind == "GSI")
        missing = [n for n in _key_names(key_schema) if n not in defined]
        if missing:
            raise invalid(INVALID + f"Some index key attributes are not defined in AttributeDefinitions. "
                          f"Keys: [{', '.join(_key_names(key_schema))}], AttributeDefinitions: [{', '.join(defined)}]")
        projection = _check_projection(spec.get("Projection") or {}, name)
        read = write = 0
        on_demand = warm = None
        if kind == "GSI":
            read, write = _throughput(spec, billing)
            on_demand = throughput.on_demand(spec.get("OnDemandThroughput"), billing, None, name)
            warm = throughput.warm(spec.get("WarmThroughput"), None, billing, read, write, name, creating=True)
        return Index(name=name, xid=self.state.items.next_id(), kind=kind, key_schema=key_schema, projection=projection,
                     read_capacity=read, write_capacity=write, on_demand=on_demand, warm=warm)

    def enable_stream(self, ctx: RequestContext, table: Table, spec: dict) -> None:
        view = spec.get("StreamViewType")
        if not view:
            raise invalid("StreamSpecification: StreamViewType must be specified when StreamEnabled is true")
        now = time.time()
        label = stream_label(now)
        stream = self.state.streams.create(ctx.scope, table, view, self.state.items.next_id(),
                                           ctx.arn("dynamodb", f"table/{table.name}/stream/{label}"), label, now)
        table.stream = asdict(stream)

    # -- describe / list ---------------------------------------------------------------------
    def describe_table(self, ctx: RequestContext, params: dict) -> dict:
        return {"Table": self.describe(ctx, self.state.table_for_control(ctx, params["TableName"]))}

    def describe(self, ctx: RequestContext, table: Table) -> dict:
        count, size = self.state.items.stats(table.tid)
        out: dict[str, Any] = {
            "AttributeDefinitions": table.attribute_definitions,
            "TableName": table.name,
            "KeySchema": table.key_schema,
            "TableStatus": table.status,
            "CreationDateTime": table.created,
            "ProvisionedThroughput": self._throughput_out(table.read_capacity, table.write_capacity, table),
            "TableSizeBytes": size,
            "ItemCount": count,
            "TableArn": table.arn,
            "TableId": table.table_id,
            "DeletionProtectionEnabled": table.deletion_protection,
            "WarmThroughput": throughput.warm_out(table.warm, table.billing_mode, table.read_capacity, table.write_capacity),
        }
        if table.billing_mode == "PAY_PER_REQUEST":
            out["OnDemandThroughput"] = throughput.on_demand_out(table.on_demand)
        if table.billing_mode == "PAY_PER_REQUEST" or table.billing_mode_updated:
            out["BillingModeSummary"] = {"BillingMode": table.billing_mode}
            if table.billing_mode == "PAY_PER_REQUEST":
                out["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"] = table.billing_mode_updated
        lsis, gsis = [], []
        for index in table.index_objects():
            icount, isize = self.state.items.index_stats(index.xid)
            doc: dict[str, Any] = {
                "IndexName": index.name,
                "KeySchema": index.key_schema,
                "Projection": index.projection,
                "IndexSizeBytes": isize,
                "ItemCount": icount,
                "IndexArn": ctx.arn("dynamodb", f"table/{table.name}/index/{index.name}"),
            }
            if index.kind == "LSI":
                lsis.append(doc)
            else:
                doc["IndexStatus"] = index.status
                if index.status == "CREATING":
                    doc["Backfilling"] = index.backfilling
                doc["ProvisionedThroughput"] = self._throughput_out(index.read_capacity, index.write_capacity, table)
                doc["WarmThroughput"] = throughput.warm_out(index.warm, table.billing_mode, index.read_capacity,
                                                            index.write_capacity)
                if table.billing_mode == "PAY_PER_REQUEST":
                    doc["OnDemandThroughput"] = throughput.on_demand_out(index.on_demand)
                gsis.append(doc)
        if lsis:
            out["LocalSecondaryIndexes"] = lsis
        if gsis:
            out["GlobalSecondaryIndexes"] = gsis
        stream = table.stream
        if stream:
            if stream["enabled"]:
                out["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["view_type"]}
            out["LatestStreamLabel"] = stream["label"]
            out["LatestStreamArn"] = stream["arn"]
        if table.restore:
            out["RestoreSummary"] = table.restore
        describe_replicas(self.state, ctx.scope, table, out)
        if table.vector_indexes:
            out["VectorIndexes"] = self.vectors.describe(ctx, table)
        if table.table_class != "STANDARD":
            out["TableClassSummary"] = {"TableClass": table.table_class}
        if table.sse and table.sse.get("Enabled"):
            out["SSEDescription"] = {"Status": "ENABLED", "SSEType": table.sse.get("SSEType", "KMS"),
                                     "KMSMasterKeyArn": table.sse.get("KMSMasterKeyId") or ctx.arn("kms", "key/" + table.table_id)}
        return out

    @staticmethod
    def _throughput_out(read: int, write: int, table: Table) -> dict:
        out: dict[str, Any] = {"NumberOfDecreasesToday": table.throughput_decreases_today,
                               "ReadCapacityUnits": read, "WriteCapacityUnits": write}
        if table.last_increase:
            out["LastIncreaseDateTime"] = table.last_increase
        if table.last_decrease:
            out["LastDecreaseDateTime"] = table.last_decrease
        return out

    def list_tables(self, ctx: RequestContext, params: dict) -> dict:
        limit = params.get("Limit") or 100
        names = sorted(name for name, _ in self.state.tables.items(ctx.scope))
        start = params.get("ExclusiveStartTableName")
        if start is not None:
            names = [n for n in names if n > start]
        out: dict[str, Any] = {"TableNames": names[:limit]}
        if len(names) > limit:
            out["LastEvaluatedTableName"] = names[limit - 1]
        return out

    # -- update ------------------------------------------------------------------------------
    def update_table(self, ctx: RequestContext, params: dict, replicas: Callable | None = None) -> dict:
        """UpdateTable; ``replicas`` applies ReplicaUpdates (global_tables.py)."""
        # A copy: the cached document must not change if validation fails half way.
        table = copy.deepcopy(self.state.table_for_control(ctx, params["TableName"]))
        if table.status != "ACTIVE":
            raise ServiceError("ResourceInUseException", f"Attempt to change a resource which is still in use: Table is being {table.status.lower()}: {table.name}")
        changed = False
        billing_before = table.billing_mode
        warm_before = throughput.current_warm(table.warm, table.billing_mode, table.read_capacity, table.write_capacity)
        if "DeletionProtectionEnabled" in params:
            table.deletion_protection = bool(params["DeletionProtectionEnabled"])
            changed = True
        if params.get("TableClass"):
            table.table_class = params["TableClass"]
            changed = True
        for definition in params.get("AttributeDefinitions") or []:
            existing = table.attribute_type(definition["AttributeName"])
            if existing is None:
                table.attribute_definitions.append(dict(definition))
            elif existing != definition["AttributeType"]:
                raise invalid(INVALID + f"Cannot change the type of an existing key attribute: {definition['AttributeName']}")
        billing = params.get("BillingMode")
        if billing and billing != table.billing_mode:
            read, write = _throughput(params, billing)
            table.billing_mode = billing
            table.read_capacity, table.write_capacity = read, write
            table.billing_mode_updated = time.time()
            changed = True
        elif params.get("ProvisionedThroughput") is not None:
            read, write = _throughput(params, table.billing_mode)
            if (read, write) == (table.read_capacity, table.write_capacity) and not params.get("GlobalSecondaryIndexUpdates"):
                raise invalid(f"The provisioned throughput for the table will not change. The requested value equals the current value. "
                              f"Current ReadCapacityUnits provisioned for the table: {read}. Requested ReadCapacityUnits: {read}. "
                              f"Current WriteCapacityUnits provisioned for the table: {write}. Requested WriteCapacityUnits: {write}. "
                              f"Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.")
            now = time.time()
            if read > table.read_capacity or write > table.write_capacity:
                table.last_increase = now
            if read < table.read_capacity or write < table.write_capacity:
                table.last_decrease = now
                table.throughput_decreases_today += 1
            table.read_capacity, table.write_capacity = read, write
            changed = True
        if params.get("OnDemandThroughput") is not None or table.billing_mode != billing_before:
            kept = table.on_demand if table.billing_mode == billing_before else None
            table.on_demand = throughput.on_demand(params.get("OnDemandThroughput"), table.billing_mode, kept, updating=True)
            changed = True
        table.warm = throughput.warm(params.get("WarmThroughput"), warm_before, table.billing_mode, table.read_capacity,
                                     table.write_capacity)
        changed = changed or params.get("WarmThroughput") is not None
        spec = params.get("StreamSpecification")
        with self.state.store.transaction():
            if spec is not None:
                changed = True
                if spec.get("StreamEnabled"):
                    if table.stream_enabled:
                        raise invalid(f"Table already has an enabled stream: TableName: {table.name}")
                    self.enable_stream(ctx, table, spec)
                else:
                    if table.replica_regions:
                        raise invalid(INVALID + "Disabling Stream is not allowed for a Global Table replica.")
                    if not table.stream_enabled:
                        raise invalid(f"Table already has no enabled stream: TableName: {table.name}")
                    self.state.streams.disable(ctx.scope, table.stream["arn"])
                    table.stream = {**table.stream, "enabled": False}
            updates = params.get("GlobalSecondaryIndexUpdates") or []
            if len([u for u in updates if "Create" in u or "Delete" in u]) > 1:
                raise ServiceError("LimitExceededException",
                                   "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table")
            for update in updates:
                changed = True
                self._index_update(ctx, table, update)
            if params.get("VectorIndexUpdates"):
                changed = True
                self.vectors.update(ctx, table, params["VectorIndexUpdates"])
            if replicas is not None and any(params.get(k) is not None for k in (
                    "ReplicaUpdates", "GlobalTableWitnessUpdates", "MultiRegionConsistency", "DisassociationProtectionEnabled",
                    "GlobalTableSettingsReplicationMode")):
                changed = True
                replicas(ctx, table, params)
            if not changed and not params.get("AttributeDefinitions"):
                raise invalid("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates "
                              "or SSESpecification or ReplicaUpdates is required")
            self.state.save(ctx.scope, table)
        return {"TableDescription": self.describe(ctx, table)}

    def _index_update(self, ctx: RequestContext, table: Table, update: dict) -> None:
        if "Create" in update:
            spec = update["Create"]
            if table.index(spec["IndexName"]) is not None:
                raise invalid(INVALID + f"Index already exists: {spec['IndexName']}")
            if len([i for i in table.index_objects() if i.kind == "GSI"]) >= MAX_GSIS:
                raise ServiceError("LimitExceededException", f"GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GSIS}")
            defined = {a["AttributeName"]: a["AttributeType"] for a in table.attribute_definitions}
            index = self._new_index(spec, "GSI", defined, set(), table.billing_mode)
            index.status, index.backfilling = "CREATING", True
            table.set_index(index)
            table.status = "UPDATING"
            self.work.backfill(ctx.scope, table.name, index.name)
        elif "Delete" in update:
            name = update["Delete"]["IndexName"]
            index = table.index(name)
            if index is None or index.kind != "GSI":
                raise ServiceError("ResourceNotFoundException", f"Requested resource not found: Index: {name} not found")
            index.status = "DELETING"
            table.set_index(index)
            table.status = "UPDATING"
            self.work.drop_index(ctx.scope, table.name, name)
        elif "Update" in update:
            spec = update["Update"]
            index = table.index(spec["IndexName"])
            if index is None or index.kind != "GSI":
                raise ServiceError("ResourceNotFoundException", f"Requested resource not found: Index: {spec['IndexName']} not found")
            warm_before = throughput.current_warm(index.warm, table.billing_mode, index.read_capacity, index.write_capacity)
            if spec.get("ProvisionedThroughput") is not None or (spec.get("OnDemandThroughput") is None
                                                                 and spec.get("WarmThroughput") is None):
                index.read_capacity, index.write_capacity = _throughput(spec, table.billing_mode)
            if spec.get("OnDemandThroughput") is not None:
                index.on_demand = throughput.on_demand(spec["OnDemandThroughput"], table.billing_mode, index.on_demand,
                                                       index.name, updating=True)
            index.warm = throughput.warm(spec.get("WarmThroughput"), warm_before, table.billing_mode, index.read_capacity,
                                         index.write_capacity, index.name)
            table.set_index(index)

    # -- delete ------------------------------------------------------------------------------
    def delete_table(self, ctx: RequestContext, params: dict) -> dict:
        table = self.state.table_for_control(ctx, params["TableName"])
        if table.deletion_protection:
            raise invalid("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
        if table.status in ("CREATING", "UPDATING", "DELETING"):
            raise ServiceError("ResourceInUseException", f"Attempt to change a resource which is still in use: Table is being {table.status.lower()}: {table.name}")
        table.status = "DELETING"
        description = self.describe(ctx, table)
        with self.state.store.transaction():
            # With point-in-time recovery on, the rows stay as a SYSTEM backup of the deleted table.
            leave_group(self.state, ctx.scope, table)
            self.state.remove(ctx.scope, table, keep_items=retain_deleted(self.state, ctx, table))
        ctx.touched("AWS::DynamoDB::Table", table.arn)
        return {"TableDescription": description}

    # -- TTL ---------------------------------------------------------------------------------
    def update_time_to_live(self, ctx: RequestContext, params: dict) -> dict:
        table = copy.deepcopy(self.state.table_for_control(ctx, params["TableName"]))
        spec = params["TimeToLiveSpecification"]
        enabled, attribute = spec["Enabled"], spec["AttributeName"]
        if enabled and table.ttl_status == "ENABLED":
            raise invalid("TimeToLive is already enabled")
        if not enabled and table.ttl_status != "ENABLED":
            raise invalid("TimeToLive is already disabled")
        if not enabled and attribute != table.ttl_attribute:
            raise invalid(f"TimeToLive is active on a different AttributeName: current AttributeName is {table.ttl_attribute}")
        table.ttl_status = "ENABLED" if enabled else "DISABLED"
        table.ttl_attribute = attribute if enabled else None
        self.state.save(ctx.scope, table)
        self.state.items.refresh_ttl(self.state.schema(table))
        return {"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute}}

    def describe_time_to_live(self, ctx: RequestContext, params: dict) -> dict:
        table = self.state.table_for_control(ctx, params["TableName"])
        description: dict[str, Any] = {"TimeToLiveStatus": table.ttl_status}
        if table.ttl_attribute:
            description["AttributeName"] = table.ttl_attribute
        return {"TimeToLiveDescription": description}

    # -- tags --------------------------------------------------------------------------------
    def _table_by_arn(self, ctx: RequestContext, resource_arn: str) -> Table:
        table = None
        if isinstance(resource_arn, str) and ":table/" in resource_arn:
            table = self.state.tables.get(ctx.scope, resource_arn.split(":table/", 1)[1].split("/", 1)[0])
        if table is None or table.arn != resource_arn:
            raise ServiceError("ResourceNotFoundException", f"Requested resource not found: ResourcArn: {resource_arn} not found")
        return table

    def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        table = self._table_by_arn(ctx, params["ResourceArn"])
        tags = dict(table.tags)
        tags.update({t["Key"]: t["Value"] for t in params["Tags"]})
        if len(tags) > 50:
            raise ServiceError("LimitExceededException", "Too many tags: a resource can have at most 50 tags")
        table.tags = tags
        self.state.save(ctx.scope, table)
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        table = self._table_by_arn(ctx, params["ResourceArn"])
        table.tags = {k: v for k, v in table.tags.items() if k not in set(params["TagKeys"])}
        self.state.save(ctx.scope, table)
        return {}

    def list_tags_of_resource(self, ctx: RequestContext, params: dict) -> dict:
        table = self._table_by_arn(ctx, params["ResourceArn"])
        tags = [{"Key": k, "Value": v} for k, v in table.tags.items()]
        page, token = self.state.paginator.paginate(tags, params, TAG_PAGES, query=table.arn)
        return {"Tags": page, **({"NextToken": token} if token else {})}

    # -- account-level -----------------------------------------------------------------------
    def describe_limits(self, ctx: RequestContext, params: dict) -> dict:
        return {"AccountMaxReadCapacityUnits": 80000, "AccountMaxWriteCapacityUnits": 80000,
                "TableMaxReadCapacityUnits": 40000, "TableMaxWriteCapacityUnits": 40000}

    def describe_endpoints(self, ctx: RequestContext, params: dict) -> dict:
        config = self.config
        return {"Endpoints": [{"Address": f"{config.host}:{config.port}", "CachePeriodInMinutes": 1440}]}
