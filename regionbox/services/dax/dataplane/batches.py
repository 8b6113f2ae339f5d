"""BatchGetItem, BatchWriteItem, TransactGetItems, TransactWriteItems through a node.

BatchGetItem serves eventually consistent keys from the item cache and reads the rest from
DynamoDB in one call, caching what it found and what it did not (negative entries).
BatchWriteItem writes through like the single-item writes. Transactions pass through to
DynamoDB; a successful TransactWriteItems updates the node's item cache as the single writes do.
"""

from __future__ import annotations

import cbor2

from regionbox.protocol.dax.codes import RETURN_VALUES_ON_CONDITION_CHECK_FAILURE, TRANSACT_OPERATIONS, Param
from regionbox.protocol.dax.expressions import Expressions
from regionbox.protocol.dax.values import BadValue, decode_key, decode_values, encode_key, encode_projection
from regionbox.services.dax.dataplane import requests as rq
from regionbox.services.dax.dataplane.node import Node, consumed_capacity_bytes, consumed_capacity_map, \
    item_collection_metrics_bytes, item_size

MAX_BATCH_GET_KEYS = 100


def _check_request_items(request_items) -> None:
    if type(request_items) is not dict or not request_items:
        raise BadValue("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: "
                       "Member must have length greater than or equal to 1")


def batch_get_item(node: Node, request_items, kw_raw) -> bytes:
    node.counters["BatchGetItemRequestCount"] += 1
    kw = rq.options(kw_raw)
    _check_request_items(request_items)
    tables = {}
    fetch: dict = {}
    total = 0
    for table, spec in request_items.items():
        table = rq.table_name(table)
        if type(spec) is not list or len(spec) != 3 or type(spec[2]) is not list:
            raise BadValue("Malformed BatchGetItem request")
        consistent, projection, keys = bool(spec[0]), spec[1], spec[2]
        total += len(keys)
        schema = node.key_schema(table)
        paths = Expressions().projection(projection)[1] if projection is not None else None
        found, wanted = [], {}
        for key_b in keys:
            entry = None if consistent else node.cache.get_item((table.encode(), key_b))
            if entry is not None:
                node.counters["ItemCacheHits"] += 1
                if entry.value is not None:
                    found.append(entry.value)
                continue
            if not consistent:
                node.counters["ItemCacheMisses"] += 1
            key = decode_key(key_b, schema)
            wanted[rq.key_identity(key, schema)] = (key_b, key)
        tables[table] = (schema, paths, found, wanted, consistent)
        if wanted:
            fetch[table] = {"Keys": [key for _, key in wanted.values()], "ConsistentRead": consistent}
    if total > MAX_BATCH_GET_KEYS:
        raise BadValue("Too many items requested for the BatchGetItem call")
    capacities, unprocessed = [], {}
    if fetch:
        request = {"RequestItems": fetch}
        rq.common(request, kw)
        out = node.dynamodb("BatchGetItem", request)
        capacities = out.get("ConsumedCapacity") or []
        ttl = node.settings().record_ttl_ms
        for table, items in out.get("Responses", {}).items():
            schema, _, found, wanted, consistent = tables[table]
            for item in items:
                found.append(item)
                match = wanted.pop(rq.key_identity(item, schema), None)
                if match is not None and not consistent:
                    node.cache.put_item((table.encode(), match[0]), item, ttl, item_size(item))
        for table, spec in out.get("UnprocessedKeys", {}).items():
            schema = tables[table][0]
            unprocessed[table] = []
            for key in spec.get("Keys", []):
                tables[table][3].pop(rq.key_identity(key, schema), None)
                unprocessed[table].append(encode_key(key, schema))
        for table, (schema, _, _, wanted, consistent) in tables.items():
            if not consistent:
                for key_b, _ in wanted.values():  # asked, processed, not found: remembered missing
                    node.cache.put_item((table.encode(), key_b), None, ttl, 0)
    responses = {}
    for table, (schema, paths, found, _, _) in tables.items():
        if paths is not None:
            responses[table] = [encode_projection(item, paths) for item in found]
        else:
            flat = []
            for item in found:
                flat += [encode_key(item, schema), node.stream_item(item, schema)]
            responses[table] = flat
    return (b"\x82" + cbor2.dumps(responses) + cbor2.dumps(unprocessed)
            + cbor2.dumps([consumed_capacity_bytes(cc) for cc in capacities]))


def batch_write_item(node: Node, request_items, kw_raw) -> bytes:
    node.counters["BatchWriteItemRequestCount"] += 1
    kw = rq.options(kw_raw)
    _check_request_items(request_items)
    writes: dict = {}
    plan = []
    for table, pairs in request_items.items():
        table = rq.table_name(table)
        if type(pairs) is not list or len(pairs) % 2:
            raise BadValue("Malformed BatchWriteItem request")
        schema = node.key_schema(table)
        writes[table] = []
        for key_b, values_b in zip(pairs[0::2], pairs[1::2]):
            key = decode_key(key_b, schema)
            if values_b is None:
                writes[table].append({"DeleteRequest": {"Key": key}})
                plan.append((table, key_b, None))
            else:
                item = {**decode_values(values_b, node.lists), **key}
                writes[table].append({"PutRequest": {"Item": item}})
                plan.append((table, key_b, item))
    request = {"RequestItems": writes}
    rq.common(request, kw)
    out = node.dynamodb("BatchWriteItem", request)
    left = out.get("UnprocessedItems") or {}
    for table, key_b, item in plan:
        if table in left:
            node.forget((table.encode(), key_b))  # some of this table's writes did not happen
        else:
            node.remember((table.encode(), key_b), item)
    unprocessed = {}
    for table, requests in left.items():
        schema = node.key_schema(table)
        flat = []
        for write in requests:
            if "PutRequest" in write:
                item = write["PutRequest"]["Item"]
                flat += [encode_key(item, schema), node.stream_item(item, schema)]
            else:
                flat += [encode_key(write["DeleteRequest"]["Key"], schema), None]
        unprocessed[table] = flat
    metrics = {table: [item_collection_metrics_bytes(m) for m in ms]
               for table, ms in (out.get("ItemCollectionMetrics") or {}).items()}
    return (cbor2.dumps(unprocessed) + cbor2.dumps([consumed_capacity_bytes(cc) for cc in out.get("ConsumedCapacity") or []])
            + cbor2.dumps(metrics))


def transact_get_items(node: Node, table_names, keys, projections, kw_raw) -> bytes:
    node.counters["TransactGetItemsRequestCount"] += 1
    kw = rq.options(kw_raw)
    if type(table_names) is not list or type(keys) is not list or len(table_names) != len(keys) \
            or not (projections is None or (type(projections) is list and len(projections) == len(keys))):
        raise BadValue("Malformed TransactGetItems request")
    transact, shapes = [], []
    for i, (table_b, key_b) in enumerate(zip(table_names, keys)):
        table = rq.table_name(table_b)
        schema = node.key_schema(table)
        get = {"TableName": table, "Key": decode_key(key_b, schema)}
        paths = None
        if projections is not None and projections[i] is not None:
            paths = rq.expressions(get, {Param.ProjectionExpression: projections[i]})
        transact.append({"Get": get})
        shapes.append((schema, paths))
    request = {"TransactItems": transact}
    rq.common(request, kw)
    out = node.dynamodb("TransactGetItems", request)
    responses = []
    for (schema, paths), response in zip(shapes, out.get("Responses", [])):
        item = response.get("Item")
        if item is None:
            responses.append(None)
        elif paths is not None:
            responses.append(encode_projection(item, paths))
        else:
            responses.append(node.stream_item(item, schema))
    return cbor2.dumps([responses, [consumed_capacity_map(cc) for cc in out.get("ConsumedCapacity") or []]])


def transact_write_items(node: Node, operations, table_names, keys, values, _return_values, on_failure,
                         conditions, updates, kw_raw) -> bytes:
    node.counters["TransactWriteItemsRequestCount"] += 1
    kw = rq.options(kw_raw)
    n = len(operations) if type(operations) is list else -1
    if n < 0 or any(type(a) is not list or len(a) != n for a in (table_names, keys)) \
            or any(not (a is None or (type(a) is list and len(a) == n)) for a in (values, on_failure, conditions, updates)):
        raise BadValue("Malformed TransactWriteItems request")
    transact, plan = [], []
    for i in range(n):
        kind = TRANSACT_OPERATIONS.get(operations[i])
        if kind is None:
            raise BadValue("Invalid Request: TransactWriteRequest should contain Delete or Put or Update request")
        table = rq.table_name(table_names[i])
        schema = node.key_schema(table)
        key = decode_key(keys[i], schema)
        detail: dict = {"TableName": table}
        item = None
        if kind == "Put":
            if values is None or values[i] is None:
                raise BadValue("A Put needs its item")
            item = detail["Item"] = {**decode_values(values[i], node.lists), **key}
        else:
            detail["Key"] = key
        expression_options = {}
        if conditions is not None and conditions[i] is not None:
            expression_options[Param.ConditionExpression] = conditions[i]
        if updates is not None and updates[i] is not None:
            expression_options[Param.UpdateExpression] = updates[i]
        rq.expressions(detail, expression_options)
        if on_failure is not None and on_failure[i] is not None:
            detail["ReturnValuesOnConditionCheckFailure"] = RETURN_VALUES_ON_CONDITION_CHECK_FAILURE.get(on_failure[i], "NONE")
        transact.append({kind: detail})
        plan.append((kind, table, keys[i], item))
    request: dict = {"TransactItems": transact}
    rq.common(request, kw)
    if type(kw.get(Param.ClientRequestToken)) is str:
        request["ClientRequestToken"] = kw[Param.ClientRequestToken]
    out = node.dynamodb("TransactWriteItems", request)
    for kind, table, key_b, item in plan:
        if kind in ("Put", "Delete"):
            node.remember((table.encode(), key_b), item)
        elif kind == "Update":
            node.forget((table.encode(), key_b))
    metrics = {table: [item_collection_metrics_bytes(m) for m in ms]
               for table, ms in (out.get("ItemCollectionMetrics") or {}).items()}
    return cbor2.dumps([None, [consumed_capacity_map(cc) for cc in out.get("ConsumedCapacity") or []], metrics])
