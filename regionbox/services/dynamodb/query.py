"""Query and Scan: index-driven reads with DynamoDB's paging rules.

A Query reads one partition of the table or an index as a range of the storage B-tree (never a
scan); the key condition on the sort key becomes bounds on the encoded sort key. Both Query and
Scan stop after ``Limit`` items *evaluated* (before the filter) or once 1 MB of items has been
read, and then return LastEvaluatedKey, which carries the table's key attributes plus the
index's when reading an index, as AWS's does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import invalid
from regionbox.services.dynamodb import capacity
from regionbox.services.dynamodb.expressions.request import compile_request
from regionbox.services.dynamodb.models import ALL, Index, Table
from regionbox.services.dynamodb.storage import Item, Position, Schema, hash32
from regionbox.services.dynamodb.types import sort_key, validate_item

if TYPE_CHECKING:
    from regionbox.services.dynamodb.provider import DynamoDBProvider

PAGE_BYTES = 1024 * 1024
SEGMENT_SPACE = 1 << 32
_QUERY_EXPRESSIONS = ("KeyConditionExpression", "FilterExpression", "ProjectionExpression")
_SCAN_EXPRESSIONS = ("FilterExpression", "ProjectionExpression")


class QueryOperations:
    def _read_target(self: "DynamoDBProvider", table: Table, params: dict) -> tuple[Schema, Index | None]:
        schema = self.schema(table)
        name = params.get("IndexName")
        if name is None:
            return schema, None
        index = schema.by_name.get(name)
        if index is None:
            raise invalid(f"The table does not have the specified index: {name}")
        if index.status == "CREATING":
            raise invalid(f"Cannot read from backfilling global secondary index: {name}")
        if index.kind == "GSI" and params.get("ConsistentRead"):
            raise invalid("Consistent reads are not supported on global secondary indexes")
        return schema, index

    def _check_select(self, params: dict, index: Index | None, has_projection: bool) -> str:
        select = params.get("Select")
        if select is None:
            select = "SPECIFIC_ATTRIBUTES" if has_projection else ("ALL_PROJECTED_ATTRIBUTES" if index else "ALL_ATTRIBUTES")
        if has_projection and select != "SPECIFIC_ATTRIBUTES":
            what = "ProjectionExpression" if params.get("ProjectionExpression") is not None else "AttributesToGet"
            raise invalid(f"Cannot specify the {what} when choosing to get {select}" if what == "AttributesToGet" else
                           "One or more parameter values were invalid: Select type " + select + " is not supported with ProjectionExpression" )
        if select == "SPECIFIC_ATTRIBUTES" and not has_projection:
            # AWS refuses this (ValidationException); the wording here follows its other Select messages.
            raise invalid("One or more parameter values were invalid: Select type SPECIFIC_ATTRIBUTES requires "
                           "AttributesToGet or ProjectionExpression")
        if select == "ALL_PROJECTED_ATTRIBUTES" and index is None:
            raise invalid("One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is supported only for index queries")
        if select == "ALL_ATTRIBUTES" and index is not None and index.kind == "GSI" and index.projection.get("ProjectionType") != ALL:
            raise invalid(f"One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global "
                           f"secondary index {index.name} because its projection type is not ALL")
        return select

    def _start_position(self, schema: Schema, index: Index | None, raw: Any, key_types: tuple) -> Position | None:
        if raw is None:
            return None
        start = validate_item(raw)
        wanted = set(schema.key_names) | ({n for n, _ in key_types} if index else set())
        if set(start) != wanted or any(start[n].keys() != {t} for n, t in schema.key_types):
            raise invalid("The provided starting key is invalid: The provided key element does not match the schema")
        h, hk, rk = schema.storage_key(start)
        if index is None:
            return Position(h, hk, rk)
        ihk = sort_key(start[index.hash_name])
        irk = sort_key(start[index.range_name]) if index.range_name else b""
        return Position(hash32(ihk), ihk, irk, hk, rk)

    def _last_key(self, schema: Schema, index: Index | None, item: Item) -> Item:
        key = schema.key_of(item)
        if index is not None:
            key[index.hash_name] = item[index.hash_name]
            if index.range_name:
                key[index.range_name] = item[index.range_name]
        return key

    def _page(self: "DynamoDBProvider", table: Table, schema: Schema, index: Index | None, rows, params: dict,
              filter_, projection, select: str) -> dict:
        limit = params.get("Limit")
        if limit is not None and limit < 1:
            raise invalid(f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
                           "Member must have value greater than or equal to 1")
        fetch_base = (index is not None and index.kind == "LSI" and select == "ALL_ATTRIBUTES"
                      and index.projection.get("ProjectionType") != ALL)
        items: list[Item] = []
        scanned = 0
        read_bytes = 0
        last: Item | None = None
        for row in rows:
            item = row.item
            if fetch_base:
                item = self.read(schema, schema.key_of(item)) or item
            scanned += 1
            read_bytes += row.size
            if filter_ is None or filter_.evaluate(item):
                items.append(item)
            if (limit is not None and scanned >= limit) or read_bytes >= PAGE_BYTES:
                last = item
                break
        out: dict[str, Any] = {"Count": len(items), "ScannedCount": scanned}
        if select != "COUNT":
            out["Items"] = [projection.apply(i) for i in items] if projection is not None else items
        if last is not None:
            out["LastEvaluatedKey"] = self._last_key(schema, index, last)
        mode = params.get("ReturnConsumedCapacity")
        if mode and mode != "NONE":
            units = capacity.read_units(read_bytes, bool(params.get("ConsistentRead")))
            index_units = {index.name: units} if index is not None else {}
            out["ConsumedCapacity"] = capacity.consumed(mode, table, units, read=True, index_units=index_units,
                                                        index_name=index.name if index else None)
        return out

    def query(self: "DynamoDBProvider", ctx: RequestContext, params: dict) -> dict:
        table = self.table_for_items(ctx, params["TableName"])
        schema, index = self._read_target(table, params)
        key_types = schema.key_types if index is None else next(k for ix, k in schema.index_key_types if ix.name == index.name)
        compiled = compile_request(params, key_types, _QUERY_EXPRESSIONS)
        key_condition, filter_, projection = compiled.key_condition, compiled.filter, compiled.projection
        if key_condition is None:
            raise invalid("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
        select = self._check_select(params, index, projection is not None)
        start = self._start_position(schema, index, params.get("ExclusiveStartKey"), key_types)
        if start is not None and start.hk != sort_key(key_condition.hash_value):
            raise invalid("The provided starting key is outside query boundaries based on provided conditions")
        forward = params.get("ScanIndexForward", True)
        rows = self.items.query(schema, index, key_condition.hash_value, key_condition.lower, key_condition.upper, forward, start)
        return self._page(table, schema, index, rows, params, filter_, projection, select)

    def scan(self: "DynamoDBProvider", ctx: RequestContext, params: dict) -> dict:
        table = self.table_for_items(ctx, params["TableName"])
        schema, index = self._read_target(table, params)
        key_types = schema.key_types if index is None else next(k for ix, k in schema.index_key_types if ix.name == index.name)
        segment, total = params.get("Segment"), params.get("TotalSegments")
        if segment is not None and total is None:
            raise invalid("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
        if total is not None and segment is None:
            raise invalid("The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
        if total is not None and segment >= total:
            raise invalid(f"The Segment parameter is zero-based and must be less than parameter TotalSegments: "
                           f"Segment: {segment} is not less than TotalSegments: {total}")
        h_range = (0, SEGMENT_SPACE)
        if total is not None:
            h_range = (segment * SEGMENT_SPACE // total, (segment + 1) * SEGMENT_SPACE // total)
        compiled = compile_request(params, key_types, _SCAN_EXPRESSIONS)
        filter_, projection = compiled.filter, compiled.projection
        select = self._check_select(params, index, projection is not None)
        start = self._start_position(schema, index, params.get("ExclusiveStartKey"), key_types)
        rows = self.items.scan(schema, index, h_range, start)
        return self._page(table, schema, index, rows, params, filter_, projection, select)
