"""PartiQL: ExecuteStatement, BatchExecuteStatement and ExecuteTransaction run the plans that
``partiql.py`` parses, through the same reads, checks and write path as the item operations.

A SELECT whose WHERE fixes the partition key (by equality, on the table or the named index)
runs as a Query; anything else is a Scan with the WHERE as a filter, as DynamoDB does. UPDATE
and DELETE must name the whole primary key; the rest of their WHERE is a condition.
"""

from __future__ import annotations

from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import InvalidInput, ServiceError, invalid
from regionbox.core.pagination import InvalidToken, Paginator
from regionbox.services.dynamodb.expressions.paths import project
from regionbox.services.dynamodb.partiql import DeletePlan, InsertPlan, SelectPlan, UpdatePlan, parse_statement
from regionbox.services.dynamodb.reads import SEGMENT_SPACE, key_types_of, page, read_target, start_position
from regionbox.services.dynamodb.state import DynamoDBState
from regionbox.services.dynamodb.writes import (
    Change,
    Writer,
    checked_item,
    checked_key,
    checked_updated,
    conditional_failed,
    transaction_canceled,
)


def _duplicate() -> ServiceError:
    return ServiceError("DuplicateItemException", "Duplicate primary key exists in table")


# Error codes of BatchExecuteStatement's per-statement errors and of cancellation reasons.
_BATCH_CODES = {
    "ConditionalCheckFailedException": "ConditionalCheckFailed",
    "DuplicateItemException": "DuplicateItem",
    "ResourceNotFoundException": "ResourceNotFound",
}


def _batch_code(error: ServiceError) -> str | None:
    """The code a statement's error has in a batch response or a cancellation reason; bad input
    (``invalid()``, answered as ValidationException on its own) is ValidationError there."""
    return "ValidationError" if isinstance(error, InvalidInput) else _BATCH_CODES.get(error.code)


class Statements:
    def __init__(self, state: DynamoDBState, writer: Writer, paginator: Paginator) -> None:
        self.state = state
        self.writer = writer
        self.paginator = paginator  # NextToken of ExecuteStatement

    # -- planning helpers ------------------------------------------------------------------
    def _plan_write(self, ctx: RequestContext, plan) -> tuple[Any, Any, dict, dict | None, Any]:
        """(table, schema, key, new item or None, condition) of an INSERT/UPDATE/DELETE, before reading."""
        table = self.state.table_for_items(ctx, plan.table)
        schema = self.state.schema(table)
        if isinstance(plan, InsertPlan):
            item, _ = checked_item(schema, plan.item)
            return table, schema, schema.key_of(item), item, None
        key = checked_key(schema, plan.where.key(schema.key_types))
        if isinstance(plan, UpdatePlan):
            plan.check_keys(schema.key_names)
        return table, schema, key, None, plan.where

    def _resolve_write(self, plan, schema, key: dict, item: dict | None, where,
                       old: dict | None, on_failure: str | None) -> dict | None:
        """The new item for a write plan given the stored ``old`` one; raises the statement's error."""
        if isinstance(plan, InsertPlan):
            if old is not None:
                raise _duplicate()
            return item
        if old is None:
            if isinstance(plan, DeletePlan):
                return None
            raise conditional_failed(None, on_failure)
        if not where.evaluate(old):
            raise conditional_failed(old, on_failure)
        if isinstance(plan, DeletePlan):
            return None
        new = plan.apply(old)
        checked_updated(schema, new)
        return new

    @staticmethod
    def _returning(plan, old: dict | None, new: dict | None) -> list[dict]:
        kind = getattr(plan, "returning", None)
        if kind is None:
            return []
        if kind == "ALL_OLD":
            return [old] if old else []
        if kind == "ALL_NEW":
            return [new] if new else []
        source = old if kind == "UPDATED_OLD" else new
        return [project(source or {}, plan.paths)]

    def _execute_write(self, ctx: RequestContext, plan, on_failure: str | None) -> list[dict]:
        table, schema, key, item, where = self._plan_write(ctx, plan)
        old = self.state.items.item(schema, key)
        new = self._resolve_write(plan, schema, key, item, where, old, on_failure)
        self.writer.commit(ctx, [Change(table, schema, old, new)])
        return self._returning(plan, old, new)

    # -- SELECT ----------------------------------------------------------------------------
    def _execute_select(self, ctx: RequestContext, plan: SelectPlan, params: dict) -> dict:
        table = self.state.table_for_items(ctx, plan.table)
        schema = self.state.schema(table)
        index = read_target(schema, {"IndexName": plan.index, "ConsistentRead": params.get("ConsistentRead")})
        key_types = key_types_of(schema, index)
        start = None
        token = params.get("NextToken")
        if token:
            try:
                start = self.paginator.decode(token)
            except InvalidToken:
                raise invalid("Given NextToken is not valid") from None
        position = start_position(schema, index, _from_plain(start["k"]), key_types) if start else None
        key_condition = plan.where.key_condition(key_types) if plan.where is not None else None
        if key_condition is not None:
            rows = self.state.items.query(schema, index, key_condition.hash_key, key_condition.lower,
                                          key_condition.upper, True, position)
        else:
            rows = self.state.items.scan(schema, index, (0, SEGMENT_SPACE), position)
        limits = {"Limit": params.get("Limit"), "ReturnConsumedCapacity": params.get("ReturnConsumedCapacity"),
                  "ConsistentRead": params.get("ConsistentRead")}
        found = page(self.state.items, table, schema, index, rows, limits, plan.where, None, "ALL_ATTRIBUTES")
        out: dict[str, Any] = {"Items": [plan.project(item) for item in found["Items"]]}
        if "LastEvaluatedKey" in found:
            out["LastEvaluatedKey"] = found["LastEvaluatedKey"]
            out["NextToken"] = self.paginator.encode({"k": _plain(found["LastEvaluatedKey"])})
        if "ConsumedCapacity" in found:
            out["ConsumedCapacity"] = found["ConsumedCapacity"]
        return out

    # -- operations ------------------------------------------------------------------------
    def execute_statement(self, ctx: RequestContext, params: dict) -> dict:
        plan = parse_statement(params["Statement"], params.get("Parameters"))
        if isinstance(plan, SelectPlan):
            return self._execute_select(ctx, plan, params)
        items = self._execute_write(ctx, plan, params.get("ReturnValuesOnConditionCheckFailure"))
        return {"Items": items}

    def batch_execute_statement(self, ctx: RequestContext, params: dict) -> dict:
        statements = params["Statements"]
        if len(statements) > 25:
            raise invalid("1 validation error detected: Value at 'statements' failed to satisfy constraint: "
                          "Member must have length less than or equal to 25")
        responses = []
        for request in statements:
            response: dict[str, Any] = {}
            try:
                plan = parse_statement(request["Statement"], request.get("Parameters"))
                response["TableName"] = plan.table
                if isinstance(plan, SelectPlan):
                    table = self.state.table_for_items(ctx, plan.table)
                    schema = self.state.schema(table)
                    key = checked_key(schema, plan.where.key(schema.key_types) if plan.where else {})
                    found = self.state.items.item(schema, key)
                    if found is not None and plan.where.evaluate(found):
                        response["Item"] = plan.project(found)
                else:
                    self._execute_write(ctx, plan, request.get("ReturnValuesOnConditionCheckFailure"))
            except ServiceError as error:
                code = _batch_code(error)
                if code is None:
                    raise
                response["Error"] = {"Code": code, "Message": error.message}
                if error.fields.get("Item"):
                    response["Error"]["Item"] = error.fields["Item"]
            responses.append(response)
        return {"Responses": responses}

    def execute_transaction(self, ctx: RequestContext, params: dict) -> dict:
        claim, previous = self.state.client_tokens.check(ctx.scope, params.get("ClientRequestToken"), params)
        if previous is not None:
            return previous
        statements = params["TransactStatements"]
        if len(statements) > 100:
            raise invalid("1 validation error detected: Value at 'transactStatements' failed to satisfy constraint: "
                          "Member must have length less than or equal to 100")
        plans = [parse_statement(s["Statement"], s.get("Parameters")) for s in statements]
        reads = [isinstance(p, SelectPlan) for p in plans]
        if any(reads) and not all(reads):
            raise invalid("Transaction must contain either only reads or only writes")
        if all(reads):
            responses = []
            for plan in plans:
                table = self.state.table_for_items(ctx, plan.table)
                schema = self.state.schema(table)
                key = checked_key(schema, plan.where.key(schema.key_types) if plan.where else {})
                found = self.state.items.item(schema, key)
                responses.append({"Item": plan.project(found)} if found is not None and plan.where.evaluate(found) else {})
            return {"Responses": responses}
        prepared = []
        seen = set()
        for plan, statement in zip(plans, statements):
            table, schema, key, item, where = self._plan_write(ctx, plan)
            marker = (table.tid, schema.storage_key(key))
            if marker in seen:
                raise invalid("Transaction request cannot include multiple operations on one item")
            seen.add(marker)
            prepared.append((plan, statement, table, schema, key, item, where))
        changes, reasons = [], []
        for plan, statement, table, schema, key, item, where in prepared:
            old = self.state.items.item(schema, key)
            reason: dict[str, Any] = {"Code": "None"}
            try:
                new = self._resolve_write(plan, schema, key, item, where, old,
                                          statement.get("ReturnValuesOnConditionCheckFailure"))
                changes.append(Change(table, schema, old, new))
            except ServiceError as error:
                code = _batch_code(error)
                if code is None:
                    raise
                reason = {"Code": code, "Message": error.message}
                if error.fields.get("Item"):
                    reason["Item"] = error.fields["Item"]
            reasons.append(reason)
        if any(r["Code"] != "None" for r in reasons):
            raise transaction_canceled(reasons)
        self.writer.commit(ctx, changes)
        out: dict[str, Any] = {"Responses": [{} for _ in plans]}
        self.state.client_tokens.remember(claim, out)
        return out


def _plain(key: dict) -> dict:
    """A key as JSON for a NextToken (binary values as hex)."""
    return {name: ({"Bhex": value["B"].hex()} if "B" in value else value) for name, value in key.items()}


def _from_plain(key: Any) -> dict:
    if not isinstance(key, dict):
        raise invalid("Given NextToken is not valid")
    return {name: ({"B": bytes.fromhex(value["Bhex"])} if "Bhex" in value else value) for name, value in key.items()}
