"""Items: Put/Get/Update/DeleteItem, BatchGetItem and BatchWriteItem.

Each operation reads, checks and prepares its writes without awaiting, then commits them through
the write path (writes.py): the item, its index rows and its stream record in one SQLite
transaction.
"""

from __future__ import annotations

from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import invalid
from regionbox.services.dynamodb import capacity
from regionbox.services.dynamodb.expressions.request import (
    CONDITION_EXPRESSIONS,
    PROJECTION_EXPRESSIONS,
    UPDATE_EXPRESSIONS,
    compile_request,
)
from regionbox.services.dynamodb.models import Table
from regionbox.services.dynamodb.state import DynamoDBState
from regionbox.services.dynamodb.storage import Item, Schema
from regionbox.services.dynamodb.writes import (
    Change,
    Writer,
    checked_item,
    checked_key,
    conditional_failed,
    return_values,
    updated,
)

MAX_BATCH_WRITE = 25
MAX_BATCH_GET = 100
MAX_BATCH_GET_BYTES = 16 * 1024 * 1024


class Items:
    def __init__(self, state: DynamoDBState, writer: Writer) -> None:
        self.state = state
        self.writer = writer

    # -- single-item operations ------------------------------------------------------------
    def put_item(self, ctx: RequestContext, params: dict) -> dict:
        table = self.state.table_for_items(ctx, params["TableName"])
        schema = self.state.schema(table)
        item, size = checked_item(schema, params["Item"])
        condition = compile_request(params, schema.key_types, CONDITION_EXPRESSIONS).condition
        kind = params.get("ReturnValues")
        return_values(kind, ("NONE", "ALL_OLD"), None, None)
        old = self.state.items.item(schema, schema.key_of(item))
        if condition is not None and not condition.evaluate(old or {}):
            raise conditional_failed(old, params.get("ReturnValuesOnConditionCheckFailure"))
        self.writer.commit(ctx, [Change(table, schema, old, item)])
        out: dict[str, Any] = {}
        attributes = return_values(kind, ("ALL_OLD",), old, item)
        if attributes:
            out["Attributes"] = attributes
        capacity.write_output(out, params, table, schema, old, item)
        return out

    def get_item(self, ctx: RequestContext, params: dict) -> dict:
        table = self.state.table_for_items(ctx, params["TableName"])
        schema = self.state.schema(table)
        key = checked_key(schema, params["Key"])
        projection = compile_request(params, schema.key_types, PROJECTION_EXPRESSIONS).projection
        found = self.state.items.get(schema, key)
        out: dict[str, Any] = {}
        if found is not None:
            item = found[0]
            out["Item"] = projection.apply(item) if projection is not None else item
        mode = params.get("ReturnConsumedCapacity")
        if mode and mode != "NONE":
            units = capacity.read_units(found[1] if found else 0, params.get("ConsistentRead", False))
            out["ConsumedCapacity"] = capacity.consumed(mode, table, units, read=True)
        return out

    def delete_item(self, ctx: RequestContext, params: dict) -> dict:
        table = self.state.table_for_items(ctx, params["TableName"])
        schema = self.state.schema(table)
        key = checked_key(schema, params["Key"])
        condition = compile_request(params, schema.key_types, CONDITION_EXPRESSIONS).condition
        kind = params.get("ReturnValues")
        return_values(kind, ("NONE", "ALL_OLD"), None, None)
        old = self.state.items.item(schema, key)
        if condition is not None and not condition.evaluate(old or {}):
            raise conditional_failed(old, params.get("ReturnValuesOnConditionCheckFailure"))
        if old is not None:
            self.writer.commit(ctx, [Change(table, schema, old, None)])
        out: dict[str, Any] = {}
        attributes = return_values(kind, ("ALL_OLD",), old, None)
        if attributes:
            out["Attributes"] = attributes
        capacity.write_output(out, params, table, schema, old, None, key=key)
        return out

    def update_item(self, ctx: RequestContext, params: dict) -> dict:
        table = self.state.table_for_items(ctx, params["TableName"])
        schema = self.state.schema(table)
        key = checked_key(schema, params["Key"])
        compiled = compile_request(params, schema.key_types, UPDATE_EXPRESSIONS)
        update, condition = compiled.update, compiled.condition
        kind = params.get("ReturnValues")
        return_values(kind, ("NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"), None, None)
        old = self.state.items.item(schema, key)
        if condition is not None and not condition.evaluate(old or {}):
            raise conditional_failed(old, params.get("ReturnValuesOnConditionCheckFailure"))
        new = updated(schema, key, old, update)
        self.writer.commit(ctx, [Change(table, schema, old, new)])
        out: dict[str, Any] = {}
        attributes = return_values(kind, ("ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"), old, new, update)
        if attributes:
            out["Attributes"] = attributes
        capacity.write_output(out, params, table, schema, old, new)
        return out

    # -- batches ---------------------------------------------------------------------------
    def batch_get_item(self, ctx: RequestContext, params: dict) -> dict:
        request = params["RequestItems"]
        total = sum(len(spec.get("Keys") or []) for spec in request.values())
        if total > MAX_BATCH_GET:
            raise invalid("Too many items requested for the BatchGetItem call")
        if total == 0:
            raise invalid("1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null")
        # DynamoDB checks every table's expressions (syntax, placeholders used) before it looks
        # any table up: a projection needs no key schema.
        projections = {name: compile_request(spec, (), PROJECTION_EXPRESSIONS).projection for name, spec in request.items()}
        responses: dict[str, list] = {}
        unprocessed: dict[str, dict] = {}
        consumed = []
        mode = params.get("ReturnConsumedCapacity")
        read_bytes = 0
        for name, spec in request.items():
            table = self.state.table_for_items(ctx, name)
            schema = self.state.schema(table)
            projection = projections[name]
            keys = [checked_key(schema, raw) for raw in spec["Keys"]]
            seen = set()
            for key in keys:
                marker = schema.storage_key(key)
                if marker in seen:
                    raise invalid("Provided list of item keys contains duplicates")
                seen.add(marker)
            units = 0.0
            found_items = responses.setdefault(name, [])
            for position, key in enumerate(keys):
                if read_bytes > MAX_BATCH_GET_BYTES:
                    # A response holds up to 16 MB: the keys not read yet come back to be asked again.
                    unprocessed[name] = {**spec, "Keys": spec["Keys"][position:]}
                    break
                found = self.state.items.get(schema, key)
                units += capacity.read_units(found[1] if found else 0, spec.get("ConsistentRead", False))
                if found is not None:
                    read_bytes += found[1]
                    found_items.append(projection.apply(found[0]) if projection is not None else found[0])
            if mode and mode != "NONE" and units:
                consumed.append(capacity.consumed(mode, table, units, read=True))
        out: dict[str, Any] = {"Responses": responses, "UnprocessedKeys": unprocessed}
        if consumed:
            out["ConsumedCapacity"] = consumed
        return out

    def batch_write_item(self, ctx: RequestContext, params: dict) -> dict:
        request = params["RequestItems"]
        total = sum(len(ops) for ops in request.values())
        if total > MAX_BATCH_WRITE:
            raise invalid("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: "
                          "Map value must satisfy constraint: [Member must have length less than or equal to 25, "
                          "Member must have length greater than or equal to 1]")
        writes: list[tuple[Table, Schema, Item, Item | None]] = []
        tables: dict[str, Table] = {}
        for name, ops in request.items():
            table = self.state.table_for_items(ctx, name)
            tables[table.name] = table
            schema = self.state.schema(table)
            seen = set()
            for op in ops:
                if len(op) != 1:
                    raise invalid("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
                if "PutRequest" in op:
                    item, _ = checked_item(schema, op["PutRequest"]["Item"])
                    key, new = schema.key_of(item), item
                else:
                    key, new = checked_key(schema, op["DeleteRequest"]["Key"]), None
                marker = schema.storage_key(key)
                if marker in seen:
                    raise invalid("Provided list of item keys contains duplicates")
                seen.add(marker)
                writes.append((table, schema, key, new))
        changes: list[Change] = []
        usage: capacity.WriteUsage = {}
        for table, schema, key, new in writes:
            change = Change(table, schema, self.state.items.item(schema, key), new)
            changes.append(change)
            capacity.add_write(usage, table, schema, capacity.write_units(change.old, change.new), change.old, change.new)
        self.writer.commit(ctx, [c for c in changes if not (c.old is None and c.new is None)])
        out: dict[str, Any] = {"UnprocessedItems": {}}
        mode = params.get("ReturnConsumedCapacity")
        if mode and mode != "NONE":
            out["ConsumedCapacity"] = capacity.writes_consumed(mode, usage)
        if params.get("ReturnItemCollectionMetrics") == "SIZE":
            out["ItemCollectionMetrics"] = capacity.collection_metrics_by_table(changes)
        return out

