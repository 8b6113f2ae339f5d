"""Query and Scan: index-driven reads with DynamoDB's paging rules (reads.py).

A Query reads one partition of the table or an index as a range of the storage B-tree (never a
scan); the key condition on the sort key becomes bounds on the encoded sort key. A Scan reads in
hash order, and a parallel Scan's segment is a slice of the hash space, as the real service does.
"""

from __future__ import annotations

from regionbox.core.context import RequestContext
from regionbox.core.errors import invalid
from regionbox.services.dynamodb.expressions.request import QUERY_EXPRESSIONS, SCAN_EXPRESSIONS, compile_request
from regionbox.services.dynamodb.reads import SEGMENT_SPACE, check_select, key_types_of, page, read_target, start_position
from regionbox.services.dynamodb.state import DynamoDBState


class Queries:
    def __init__(self, state: DynamoDBState) -> None:
        self.state = state

    def query(self, ctx: RequestContext, params: dict) -> dict:
        table = self.state.table_for_items(ctx, params["TableName"])
        schema = self.state.schema(table)
        index = read_target(schema, params)
        key_types = schema.key_types if index is None else key_types_of(schema, index)
        compiled = compile_request(params, key_types, QUERY_EXPRESSIONS)
        key_condition, filter_, projection = compiled.key_condition, compiled.filter, compiled.projection
        if key_condition is None:
            raise invalid("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
        select = check_select(params, index, projection is not None)
        start = start_position(schema, index, params.get("ExclusiveStartKey"), key_types)
        if start is not None and start.hk != key_condition.hash_key:
            raise invalid("The provided starting key is outside query boundaries based on provided conditions")
        forward = params.get("ScanIndexForward", True)
        rows = self.state.items.query(schema, index, key_condition.hash_key, key_condition.lower, key_condition.upper, forward, start)
        return page(self.state.items, table, schema, index, rows, params, filter_, projection, select)

    def scan(self, ctx: RequestContext, params: dict) -> dict:
        table = self.state.table_for_items(ctx, params["TableName"])
        schema = self.state.schema(table)
        index = read_target(schema, params)
        key_types = schema.key_types if index is None else key_types_of(schema, index)
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
        compiled = compile_request(params, key_types, SCAN_EXPRESSIONS)
        filter_, projection = compiled.filter, compiled.projection
        select = check_select(params, index, projection is not None)
        start = start_position(schema, index, params.get("ExclusiveStartKey"), key_types)
        rows = self.state.items.scan(schema, index, h_range, start)
        return page(self.state.items, table, schema, index, rows, params, filter_, projection, select)
