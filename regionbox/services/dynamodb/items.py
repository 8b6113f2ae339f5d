"""Item operations: Put/Get/Update/DeleteItem, BatchGet/BatchWriteItem and TransactGet/
TransactWriteItems. PartiQL statements (partiql_ops.py) run through the same write path.

Every write goes through ``commit_write``: the item, its index rows and its stream record in
the current SQLite transaction. Reads, condition checks and writes of one request happen
without awaiting, so no other request can interleave (that is what makes conditional writes,
counters and transactions atomic).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from regionbox.core.context import RequestContext
from regionbox.core.errors import InvalidInput, ServiceError, invalid
from regionbox.services.dynamodb import capacity
from regionbox.services.dynamodb.expressions.request import compile_request
from regionbox.services.dynamodb.models import Table
from regionbox.services.dynamodb.storage import Item, Schema
from regionbox.services.dynamodb.types import (
    check_item_size,
    validate_index_keys,
    validate_item,
    validate_item_keys,
    validate_key,
)

if TYPE_CHECKING:
    from regionbox.services.dynamodb.provider import DynamoDBProvider

IDEMPOTENCY_WINDOW = 600  # ClientRequestToken is remembered for 10 minutes
MAX_BATCH_WRITE = 25
MAX_BATCH_GET = 100
MAX_TRANSACT = 100
# The expression members each kind of request accepts (for compile_request's messages).
_CONDITION = ("ConditionExpression",)
_UPDATE = ("UpdateExpression", "ConditionExpression")
_PROJECTION = ("ProjectionExpression",)


def conditional_failed(old: Item | None, return_on_failure: str | None) -> ServiceError:
    fields = {"Item": old} if return_on_failure == "ALL_OLD" and old else {}
    return ServiceError("ConditionalCheckFailedException", "The conditional request failed", **fields)


def return_values(kind: str | None, allowed: tuple[str, ...], old: Item | None, new: Item | None,
                  update=None) -> Item | None:
    """The Attributes output for ReturnValues."""
    if kind in (None, "NONE"):
        return None
    if kind not in allowed:
        raise invalid("Return values set to invalid value")
    if kind == "ALL_OLD":
        return old or None
    if kind == "ALL_NEW":
        return new or None
    if update is None:
        return None
    return (update.updated_old(old) if kind == "UPDATED_OLD" else update.updated_new(new)) or None


@dataclass
class Change:
    """One item write prepared and checked, waiting to be committed."""

    table: Table
    schema: Schema
    old: Item | None
    new: Item | None


class ItemOperations:
    # -- the write path shared by every operation -----------------------------------------
    def commit_write(self: "DynamoDBProvider", scope, table: Table, schema: Schema, old: Item | None,
                     new: Item | None, identity: dict | None = None) -> list[dict]:
        """Write one change (inside the caller's transaction, if any); return bus payloads."""
        if old is None and new is None:
            return []
        if old == new:
            # DynamoDB writes no stream record for a write that changes nothing.
            return []
        self.items.write(schema, old, new)
        if not table.stream_enabled:
            return []
        event = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
        payload = self.streams.append(scope[1], table, event, schema.key_of(new if new is not None else old), old, new, identity)
        payload["account"], payload["region"] = scope
        return [payload]

    def publish(self: "DynamoDBProvider", scope, payloads: list[dict]) -> None:
        for payload in payloads:
            self.cloud.bus.publish_nowait("dynamodb.stream", payload)

    def commit(self: "DynamoDBProvider", ctx: RequestContext, changes: list[Change]) -> None:
        payloads: list[dict] = []
        if len(changes) == 1:
            change = changes[0]
            with self.store.transaction():
                payloads = self.commit_write(ctx.scope, change.table, change.schema, change.old, change.new)
        else:
            with self.store.transaction():
                for change in changes:
                    payloads += self.commit_write(ctx.scope, change.table, change.schema, change.old, change.new)
        if payloads:
            self.publish(ctx.scope, payloads)

    def read(self: "DynamoDBProvider", schema: Schema, key: Item) -> Item | None:
        found = self.items.get(schema, key)
        return found[0] if found else None

    # -- validation helpers ----------------------------------------------------------------
    def checked_item(self: "DynamoDBProvider", table: Table, schema: Schema, raw: Any) -> tuple[Item, int]:
        item = validate_item(raw)
        validate_item_keys(item, schema.key_types)
        for index, key_types in schema.index_key_types:
            validate_index_keys(item, index.name, key_types)
        return item, check_item_size(item)

    def checked_key(self: "DynamoDBProvider", schema: Schema, raw: Any) -> Item:
        return validate_key(raw, schema.key_types)

    def checked_updated(self: "DynamoDBProvider", schema: Schema, item: Item) -> None:
        for index, key_types in schema.index_key_types:
            validate_index_keys(item, index.name, key_types)
        check_item_size(item, updating=True)

    # -- single-item operations ------------------------------------------------------------
    def put_item(self: "DynamoDBProvider", ctx: RequestContext, params: dict) -> dict:
        table = self.table_for_items(ctx, params["TableName"])
        schema = self.schema(table)
        item, size = self.checked_item(table, schema, params["Item"])
        condition = compile_request(params, schema.key_types, _CONDITION).condition
        kind = params.get("ReturnValues")
        return_values(kind, ("NONE", "ALL_OLD"), None, None)
        old = self.read(schema, schema.key_of(item))
        if condition is not None and not condition.evaluate(old or {}):
            raise conditional_failed(old, params.get("ReturnValuesOnConditionCheckFailure"))
        self.commit(ctx, [Change(table, schema, old, item)])
        out: dict[str, Any] = {}
        attributes = return_values(kind, ("ALL_OLD",), old, item)
        if attributes:
            out["Attributes"] = attributes
        capacity.write_output(out, params, table, schema, old, item)
        return out

    def get_item(self: "DynamoDBProvider", ctx: RequestContext, params: dict) -> dict:
        table = self.table_for_items(ctx, params["TableName"])
        schema = self.schema(table)
        key = self.checked_key(schema, params["Key"])
        projection = compile_request(params, schema.key_types, _PROJECTION).projection
        found = self.items.get(schema, key)
        out: dict[str, Any] = {}
        if found is not None:
            item = found[0]
            out["Item"] = projection.apply(item) if projection is not None else item
        mode = params.get("ReturnConsumedCapacity")
        if mode and mode != "NONE":
            units = capacity.read_units(found[1] if found else 0, params.get("ConsistentRead", False))
            out["ConsumedCapacity"] = capacity.consumed(mode, table, units, read=True)
        return out

    def delete_item(self: "DynamoDBProvider", ctx: RequestContext, params: dict) -> dict:
        table = self.table_for_items(ctx, params["TableName"])
        schema = self.schema(table)
        key = self.checked_key(schema, params["Key"])
        condition = compile_request(params, schema.key_types, _CONDITION).condition
        kind = params.get("ReturnValues")
        return_values(kind, ("NONE", "ALL_OLD"), None, None)
        old = self.read(schema, key)
        if condition is not None and not condition.evaluate(old or {}):
            raise conditional_failed(old, params.get("ReturnValuesOnConditionCheckFailure"))
        if old is not None:
            self.commit(ctx, [Change(table, schema, old, None)])
        out: dict[str, Any] = {}
        attributes = return_values(kind, ("ALL_OLD",), old, None)
        if attributes:
            out["Attributes"] = attributes
        capacity.write_output(out, params, table, schema, old, None, key=key)
        return out

    def update_item(self: "DynamoDBProvider", ctx: RequestContext, params: dict) -> dict:
        table = self.table_for_items(ctx, params["TableName"])
        schema = self.schema(table)
        key = self.checked_key(schema, params["Key"])
        compiled = compile_request(params, schema.key_types, _UPDATE)
        update, condition = compiled.update, compiled.condition
        kind = params.get("ReturnValues")
        return_values(kind, ("NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"), None, None)
        old = self.read(schema, key)
        if condition is not None and not condition.evaluate(old or {}):
            raise conditional_failed(old, params.get("ReturnValuesOnConditionCheckFailure"))
        new = self.updated(schema, key, old, update)
        self.commit(ctx, [Change(table, schema, old, new)])
        out: dict[str, Any] = {}
        attributes = return_values(kind, ("ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"), old, new, update)
        if attributes:
            out["Attributes"] = attributes
        capacity.write_output(out, params, table, schema, old, new)
        return out

    def updated(self: "DynamoDBProvider", schema: Schema, key: Item, old: Item | None, update) -> Item:
        """Apply an update to the stored item (or to just the key when there is none)."""
        base = old if old is not None else dict(key)
        if update is None:
            return dict(base)
        new = update.apply(base)
        self.checked_updated(schema, new)
        return new

    # -- batches ---------------------------------------------------------------------------
    def batch_get_item(self: "DynamoDBProvider", ctx: RequestContext, params: dict) -> dict:
        request = params["RequestItems"]
        total = sum(len(spec.get("Keys") or []) for spec in request.values())
        if total > MAX_BATCH_GET:
            raise invalid("Too many items requested for the BatchGetItem call")
        if total == 0:
            raise invalid("1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null")
        responses: dict[str, list] = {}
        consumed = []
        mode = params.get("ReturnConsumedCapacity")
        for name, spec in request.items():
            table = self.table_for_items(ctx, name)
            schema = self.schema(table)
            projection = compile_request(spec, schema.key_types, _PROJECTION).projection
            keys = [self.checked_key(schema, raw) for raw in spec["Keys"]]
            seen = set()
            for key in keys:
                marker = schema.storage_key(key)
                if marker in seen:
                    raise invalid("Provided list of item keys contains duplicates")
                seen.add(marker)
            units = 0.0
            found_items = responses.setdefault(table.name if name == table.name else name, [])
            for key in keys:
                found = self.items.get(schema, key)
                units += capacity.read_units(found[1] if found else 0, spec.get("ConsistentRead", False))
                if found is not None:
                    found_items.append(projection.apply(found[0]) if projection is not None else found[0])
            if mode and mode != "NONE":
                consumed.append(capacity.consumed(mode, table, units, read=True))
        out: dict[str, Any] = {"Responses": responses, "UnprocessedKeys": {}}
        if consumed:
            out["ConsumedCapacity"] = consumed
        return out

    def batch_write_item(self: "DynamoDBProvider", ctx: RequestContext, params: dict) -> dict:
        request = params["RequestItems"]
        total = sum(len(ops) for ops in request.values())
        if total > MAX_BATCH_WRITE:
            raise invalid("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: "
                           "Map value must satisfy constraint: [Member must have length less than or equal to 25, "
                           "Member must have length greater than or equal to 1]")
        writes: list[tuple[Table, Schema, Item, Item | None]] = []
        tables: dict[str, Table] = {}
        for name, ops in request.items():
            table = self.table_for_items(ctx, name)
            tables[table.name] = table
            schema = self.schema(table)
            seen = set()
            for op in ops:
                if len(op) != 1:
                    raise invalid("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
                if "PutRequest" in op:
                    item, _ = self.checked_item(table, schema, op["PutRequest"]["Item"])
                    key, new = schema.key_of(item), item
                else:
                    key, new = self.checked_key(schema, op["DeleteRequest"]["Key"]), None
                marker = schema.storage_key(key)
                if marker in seen:
                    raise invalid("Provided list of item keys contains duplicates")
                seen.add(marker)
                writes.append((table, schema, key, new))
        changes: list[Change] = []
        units: dict[str, float] = {}
        for table, schema, key, new in writes:
            change = Change(table, schema, self.read(schema, key), new)
            changes.append(change)
            units[table.name] = units.get(table.name, 0) + capacity.write_units(change.old, change.new)
        self.commit(ctx, [c for c in changes if not (c.old is None and c.new is None)])
        out: dict[str, Any] = {"UnprocessedItems": {}}
        mode = params.get("ReturnConsumedCapacity")
        if mode and mode != "NONE":
            out["ConsumedCapacity"] = [capacity.consumed(mode, tables[n], u, read=False) for n, u in units.items()]
        if params.get("ReturnItemCollectionMetrics") == "SIZE":
            out["ItemCollectionMetrics"] = _collection_metrics_by_table(changes)
        return out

    # -- transactions ----------------------------------------------------------------------
    def _init_transactions(self) -> None:
        # ClientRequestToken -> (time, fingerprint of the request, output)
        self._idempotency: dict[tuple, tuple[float, str, dict]] = {}

    def _idempotent(self, ctx: RequestContext, token: str | None, params: dict):
        if not token:
            return None, None
        now = time.time()
        for key, (at, _, _) in list(self._idempotency.items()):
            if now - at > IDEMPOTENCY_WINDOW:
                del self._idempotency[key]
        fingerprint = hashlib.sha256(orjson.dumps({k: v for k, v in params.items() if k != "ClientRequestToken"},
                                                  default=repr, option=orjson.OPT_SORT_KEYS)).hexdigest()
        key = (ctx.scope, token)
        seen = self._idempotency.get(key)
        if seen is not None:
            if seen[1] != fingerprint:
                raise ServiceError("IdempotentParameterMismatchException",
                                   "The request uses the same client token as a previous, but non-identical request.")
            return key, seen[2]
        return (key, fingerprint), None

    def _remember(self, remembered, out: dict) -> None:
        """Keep a transaction's output under its ClientRequestToken (from ``_idempotent``)."""
        if remembered is not None:
            key, fingerprint = remembered
            self._idempotency[key] = (time.time(), fingerprint, out)

    def transact_write_items(self: "DynamoDBProvider", ctx: RequestContext, params: dict) -> dict:
        remembered, previous = self._idempotent(ctx, params.get("ClientRequestToken"), params)
        if previous is not None:
            return previous
        entries = params["TransactItems"]
        if len(entries) > MAX_TRANSACT:
            raise invalid(f"1 validation error detected: Value at 'transactItems' failed to satisfy constraint: "
                           f"Member must have length less than or equal to {MAX_TRANSACT}")
        prepared = []
        seen = set()
        for entry in entries:
            if len(entry) != 1:
                raise invalid("TransactItems can only contain one of Check, Put, Update or Delete")
            ((action, spec),) = entry.items()
            table = self.table_for_items(ctx, spec["TableName"])
            schema = self.schema(table)
            compiled = compile_request(spec, schema.key_types, _UPDATE if action == "Update" else _CONDITION)
            update, condition = compiled.update, compiled.condition
            if action == "ConditionCheck" and condition is None:
                raise invalid("The ConditionExpression can not be empty")
            if action == "Put":
                item, _ = self.checked_item(table, schema, spec["Item"])
                key = schema.key_of(item)
            else:
                item, key = None, self.checked_key(schema, spec["Key"])
            marker = (table.tid, schema.storage_key(key))
            if marker in seen:
                raise invalid("Transaction request cannot include multiple operations on one item")
            seen.add(marker)
            prepared.append((action, spec, table, schema, key, item, update, condition))
        reasons: list[dict] = []
        changes: list[Change] = []
        failed = False
        for action, spec, table, schema, key, item, update, condition in prepared:
            old = self.read(schema, key)
            reason: dict[str, Any] = {"Code": "None"}
            try:
                if condition is not None and not condition.evaluate(old or {}):
                    reason = {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}
                    if spec.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and old:
                        reason["Item"] = old
                elif action == "Put":
                    changes.append(Change(table, schema, old, item))
                elif action == "Delete":
                    changes.append(Change(table, schema, old, None))
                elif action == "Update":
                    new = self.updated(schema, key, old, update)
                    changes.append(Change(table, schema, old, new))
            except ServiceError as error:
                if not isinstance(error, InvalidInput):
                    raise
                reason = {"Code": "ValidationError", "Message": error.message}
            failed = failed or reason["Code"] != "None"
            reasons.append(reason)
        if failed:
            codes = ", ".join(r["Code"] for r in reasons)
            raise ServiceError("TransactionCanceledException",
                               f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
                               CancellationReasons=reasons)
        self.commit(ctx, changes)
        out: dict[str, Any] = {}
        mode = params.get("ReturnConsumedCapacity")
        if mode and mode != "NONE":
            units: dict[str, list] = {}
            for action, spec, table, schema, key, item, update, condition in prepared:
                units.setdefault(table.name, [table, 0.0])[1] += 2.0 * capacity.write_units(None, item or key)
            out["ConsumedCapacity"] = [capacity.consumed(mode, t, u, read=False) for t, u in units.values()]
        if params.get("ReturnItemCollectionMetrics") == "SIZE":
            out["ItemCollectionMetrics"] = _collection_metrics_by_table(changes)
        self._remember(remembered, out)
        return out

    def transact_get_items(self: "DynamoDBProvider", ctx: RequestContext, params: dict) -> dict:
        entries = params["TransactItems"]
        if len(entries) > MAX_TRANSACT:
            raise invalid(f"1 validation error detected: Value at 'transactItems' failed to satisfy constraint: "
                           f"Member must have length less than or equal to {MAX_TRANSACT}")
        responses = []
        units: dict[str, list] = {}
        for entry in entries:
            spec = entry["Get"]
            table = self.table_for_items(ctx, spec["TableName"])
            schema = self.schema(table)
            key = self.checked_key(schema, spec["Key"])
            projection = compile_request(spec, schema.key_types, _PROJECTION).projection
            found = self.items.get(schema, key)
            units.setdefault(table.name, [table, 0.0])[1] += 2.0 * capacity.read_units(found[1] if found else 0, True)
            if found is None:
                responses.append({})
            else:
                responses.append({"Item": projection.apply(found[0]) if projection is not None else found[0]})
        out: dict[str, Any] = {"Responses": responses}
        mode = params.get("ReturnConsumedCapacity")
        if mode and mode != "NONE":
            out["ConsumedCapacity"] = [capacity.consumed(mode, t, u, read=True) for t, u in units.values()]
        return out


def _collection_metrics_by_table(changes: list[Change]) -> dict[str, list]:
    """ItemCollectionMetrics of a multi-item write: per table, one entry per item written to a table with LSIs."""
    metrics: dict[str, list] = {}
    for change in changes:
        entry = capacity.collection_metrics(change.table, change.schema, change.new or change.old)
        if entry:
            metrics.setdefault(change.table.name, []).append(entry)
    return metrics
