"""Transactions: TransactWriteItems and TransactGetItems.

TransactWriteItems reads and checks every item first, then commits all the writes in one SQLite
transaction or none of them (TransactionCanceledException with one reason per item, in request
order). Nothing awaits in between, so no other request sees a transaction half applied. A
ClientRequestToken makes a retry within 10 minutes answer the first call's output (tokens.py).
"""

from __future__ import annotations

from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import InvalidInput, ServiceError, invalid
from regionbox.services.dynamodb import capacity
from regionbox.services.dynamodb.expressions.request import (
    CONDITION_EXPRESSIONS,
    PROJECTION_EXPRESSIONS,
    UPDATE_EXPRESSIONS,
    compile_request,
)
from regionbox.services.dynamodb.state import DynamoDBState
from regionbox.services.dynamodb.writes import (
    Change,
    Writer,
    checked_item,
    checked_key,
    transaction_canceled,
    updated,
)

MAX_TRANSACT = 100


class Transactions:
    def __init__(self, state: DynamoDBState, writer: Writer) -> None:
        self.state = state
        self.writer = writer

    def transact_write_items(self, ctx: RequestContext, params: dict) -> dict:
        claim, previous = self.state.client_tokens.check(ctx.scope, params.get("ClientRequestToken"), params)
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
            table = self.state.table_for_items(ctx, spec["TableName"])
            schema = self.state.schema(table)
            accepted = UPDATE_EXPRESSIONS if action == "Update" else CONDITION_EXPRESSIONS
            compiled = compile_request(spec, schema.key_types, accepted)
            update, condition = compiled.update, compiled.condition
            if action == "ConditionCheck" and condition is None:
                raise invalid("The ConditionExpression can not be empty")
            if action == "Put":
                item, _ = checked_item(schema, spec["Item"])
                key = schema.key_of(item)
            else:
                item, key = None, checked_key(schema, spec["Key"])
            marker = (table.tid, schema.storage_key(key))
            if marker in seen:
                raise invalid("Transaction request cannot include multiple operations on one item")
            seen.add(marker)
            prepared.append((action, spec, table, schema, key, item, update, condition))
        reasons: list[dict] = []
        changes: list[Change] = []
        failed = False
        for action, spec, table, schema, key, item, update, condition in prepared:
            old = self.state.items.item(schema, key)
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
                    new = updated(schema, key, old, update)
                    changes.append(Change(table, schema, old, new))
            except ServiceError as error:
                if not isinstance(error, InvalidInput):
                    raise
                reason = {"Code": "ValidationError", "Message": error.message}
            failed = failed or reason["Code"] != "None"
            reasons.append(reason)
        if failed:
            raise transaction_canceled(reasons)
        self.writer.commit(ctx, changes)
        out: dict[str, Any] = {}
        mode = params.get("ReturnConsumedCapacity")
        if mode and mode != "NONE":
            usage: capacity.WriteUsage = {}
            for action, spec, table, schema, key, item, update, condition in prepared:
                capacity.add_write(usage, table, schema, 2.0 * capacity.write_units(None, item or key), None, None)
            for change in changes:
                capacity.add_write(usage, change.table, change.schema, 0.0, change.old, change.new, factor=2.0)
            out["ConsumedCapacity"] = capacity.writes_consumed(mode, usage)
        if params.get("ReturnItemCollectionMetrics") == "SIZE":
            out["ItemCollectionMetrics"] = capacity.collection_metrics_by_table(changes)
        self.state.client_tokens.remember(claim, out)
        return out

    def transact_get_items(self, ctx: RequestContext, params: dict) -> dict:
        entries = params["TransactItems"]
        if len(entries) > MAX_TRANSACT:
            raise invalid(f"1 validation error detected: Value at 'transactItems' failed to satisfy constraint: "
                          f"Member must have length less than or equal to {MAX_TRANSACT}")
        responses = []
        units: dict[str, list] = {}
        for entry in entries:
            spec = entry["Get"]
            table = self.state.table_for_items(ctx, spec["TableName"])
            schema = self.state.schema(table)
            key = checked_key(schema, spec["Key"])
            projection = compile_request(spec, schema.key_types, PROJECTION_EXPRESSIONS).projection
            found = self.state.items.get(schema, key)
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
