"""GetItem, PutItem, UpdateItem, DeleteItem through a node: the item cache and write-through.

Eventually consistent GetItem is answered from the item cache (hits and known-missing items)
until ``record-ttl-millis``; a miss reads DynamoDB and fills the cache. Strongly consistent
reads pass through and leave the cache alone. A write goes to DynamoDB first; when it succeeds
the node's cache takes the new item (PutItem, UpdateItem) or learns it is gone (DeleteItem).
The query cache is not touched: as on AWS, cached Query and Scan results stay until their TTL.
"""

from __future__ import annotations

import cbor2

from regionbox.protocol.dax.codes import Param, Result
from regionbox.protocol.dax.values import decode_key, decode_values, encode_projection
from regionbox.services.dax.dataplane import requests as rq
from regionbox.services.dax.dataplane.node import Node, consumed_capacity_bytes, item_collection_metrics_bytes

NULL = b"\xf6"


def get_item(node: Node, table_b, key_b, kw_raw) -> bytes:
    node.counters["GetItemRequestCount"] += 1
    kw = rq.options(kw_raw)
    table = rq.table_name(table_b)
    consistent = kw.get(Param.ConsistentRead) is True
    paths = None
    projection_request: dict = {}
    if kw.get(Param.ProjectionExpression) is not None:
        paths = rq.expressions(projection_request, kw)
    capacity = Param.ReturnConsumedCapacity in kw
    cache_key = (table_b, key_b)
    if not consistent and type(key_b) is bytes:
        entry = node.cache.get_item(cache_key)
        if entry is not None:
            node.counters["ItemCacheHits"] += 1
            if paths is not None:
                return _answer(encode_projection(entry.value, paths) if entry.value is not None else None, None)
            if entry.encoded is None:
                entry.encoded = _answer(_stream(node, table, entry.value), None)
            return entry.encoded
        node.counters["ItemCacheMisses"] += 1
    schema = node.key_schema(table)
    request = {"TableName": table, "Key": decode_key(key_b, schema), "ConsistentRead": consistent}
    rq.common(request, kw)
    out = node.dynamodb("GetItem", request)
    item = out.get("Item")
    answer_plain = None
    if not consistent:
        answer_plain = _answer(node.stream_item(item, schema) if item is not None else None, None)
        entry = node.cache.put_item(cache_key, item, node.settings().record_ttl_ms, len(answer_plain))
        entry.encoded = answer_plain
    cc = consumed_capacity_bytes(out.get("ConsumedCapacity")) if capacity else None
    if paths is not None:
        return _answer(encode_projection(item, paths) if item is not None else None, cc)
    if answer_plain is not None and cc is None:
        return answer_plain
    return _answer(node.stream_item(item, schema) if item is not None else None, cc)


def _stream(node: Node, table: str, item: dict | None) -> bytes | None:
    return node.stream_item(item, node.key_schema(table)) if item is not None else None


def _answer(item, cc: bytes | None, attributes: bytes | None = None, icm: bytes | None = None) -> bytes:
    out = {}
    if item is not None:
        out[Result.Item] = item
    if attributes is not None:
        out[Result.Attributes] = attributes
    if cc is not None:
        out[Result.ConsumedCapacity] = cc
    if icm is not None:
        out[Result.ItemCollectionMetrics] = icm
    return cbor2.dumps(out) if out else NULL


def put_item(node: Node, table_b, key_b, values_b, kw_raw) -> bytes:
    node.counters["PutItemRequestCount"] += 1
    kw = rq.options(kw_raw)
    table = rq.table_name(table_b)
    schema = node.key_schema(table)
    item = {**decode_values(values_b, node.lists), **decode_key(key_b, schema)}
    request = {"TableName": table, "Item": item}
    rq.common(request, kw)
    rq.expressions(request, kw)
    out = node.dynamodb("PutItem", request)
    node.remember((table_b, key_b), item)
    return _write_answer(node, out, schema, request.get("ReturnValues"))


def _keyed_write(node: Node, operation: str, table_b, key_b, kw_raw) -> tuple[list[dict], dict]:
    """UpdateItem's and DeleteItem's request: the key, return options and expressions."""
    node.counters[operation + "RequestCount"] += 1
    kw = rq.options(kw_raw)
    table = rq.table_name(table_b)
    schema = node.key_schema(table)
    request = {"TableName": table, "Key": decode_key(key_b, schema)}
    rq.common(request, kw)
    rq.expressions(request, kw)
    return schema, request


def update_item(node: Node, table_b, key_b, kw_raw) -> bytes:
    schema, request = _keyed_write(node, "UpdateItem", table_b, key_b, kw_raw)
    asked = request.get("ReturnValues", "NONE")
    # write-through needs the item as it is now: ask for it unless the caller wants other values
    through = asked in ("NONE", "ALL_NEW")
    if through:
        request["ReturnValues"] = "ALL_NEW"
    out = node.dynamodb("UpdateItem", request)
    if through:
        new = out.get("Attributes")
        node.remember((table_b, key_b), new)
        if asked == "NONE":
            out.pop("Attributes", None)
    else:
        node.forget((table_b, key_b))
    return _write_answer(node, out, schema, asked)


def delete_item(node: Node, table_b, key_b, kw_raw) -> bytes:
    schema, request = _keyed_write(node, "DeleteItem", table_b, key_b, kw_raw)
    out = node.dynamodb("DeleteItem", request)
    node.remember((table_b, key_b), None)
    return _write_answer(node, out, schema, request.get("ReturnValues"))


def _write_answer(node: Node, out: dict, schema: list[dict], return_values: str | None) -> bytes:
    attributes = out.get("Attributes")
    encoded = None
    if attributes:
        if return_values in ("UPDATED_OLD", "UPDATED_NEW"):
            encoded = node.updated_attributes(attributes)
        else:
            encoded = node.stream_item(attributes, schema)
    return _answer(None, consumed_capacity_bytes(out.get("ConsumedCapacity")), encoded,
                   item_collection_metrics_bytes(out.get("ItemCollectionMetrics")))
