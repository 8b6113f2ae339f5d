"""Query and Scan through a node: the query cache.

An eventually consistent Query or Scan is keyed by the whole request as sent (table, key
condition, every option and expression value) and its answer kept for ``query-ttl-millis``.
Writes through DAX do not invalidate it, as AWS documents; strongly consistent requests pass
through.
"""

from __future__ import annotations

import cbor2

from regionbox.protocol.dax.codes import Param, Result
from regionbox.protocol.dax.values import decode_compound_key, decode_key, encode_compound_key, encode_key, \
    encode_projection
from regionbox.services.dax.dataplane import requests as rq
from regionbox.services.dax.dataplane.node import Node, consumed_capacity_bytes


def query(node: Node, raw: bytes, table_b, key_condition, kw_raw) -> bytes:
    node.counters["QueryRequestCount"] += 1
    return _listing(node, "Query", raw, table_b, key_condition, rq.options(kw_raw))


def scan(node: Node, raw: bytes, table_b, kw_raw) -> bytes:
    node.counters["ScanRequestCount"] += 1
    return _listing(node, "Scan", raw, table_b, None, rq.options(kw_raw))


def _listing(node: Node, operation: str, raw: bytes, table_b, key_condition, kw: dict) -> bytes:
    table = rq.table_name(table_b)
    consistent = bool(kw.get(Param.ConsistentRead))
    counter = "QueryCache" if operation == "Query" else "ScanCache"
    cache_key = (operation.encode(), raw)
    if not consistent:
        entry = node.cache.get_query(cache_key)
        if entry is not None:
            node.counters[counter + "Hits"] += 1
            return entry.encoded
        node.counters[counter + "Misses"] += 1
    schema = node.key_schema(table)
    request: dict = {"TableName": table}
    rq.listing(request, kw)
    rq.common(request, kw)
    if operation == "Query" and key_condition is None:
        request["KeyConditionExpression"] = ""  # DynamoDB's own message for a query without one
    paths = rq.expressions(request, kw, key_condition if operation == "Query" else None)
    indexed = "IndexName" in request
    if Param.ExclusiveStartKey in kw:
        start = kw[Param.ExclusiveStartKey]
        request["ExclusiveStartKey"] = decode_compound_key(start) if indexed else decode_key(start, schema)
    out = node.dynamodb(operation, request)
    answer: dict = {}
    if "Items" in out:
        if paths is not None:
            answer[Result.Items] = [encode_projection(item, paths) for item in out["Items"]]
        else:
            answer[Result.Items] = [[encode_key(item, schema), node.stream_item(item, schema)] for item in out["Items"]]
    answer[Result.Count] = out.get("Count", 0)
    answer[Result.ScannedCount] = out.get("ScannedCount", 0)
    last = out.get("LastEvaluatedKey")
    if last:
        answer[Result.LastEvaluatedKey] = encode_compound_key(last) if indexed else encode_key(last, schema)
    if out.get("ConsumedCapacity"):
        answer[Result.ConsumedCapacity] = consumed_capacity_bytes(out["ConsumedCapacity"])
    encoded = cbor2.dumps(answer)
    if not consistent:
        node.cache.put_query(cache_key, encoded, node.settings().query_ttl_ms)
    return encoded
