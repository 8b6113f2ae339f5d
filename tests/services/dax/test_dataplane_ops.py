"""Every data operation through the official DAX client answers what DynamoDB answers for the
same request, against the same tables (a node of the data plane; see conftest)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def plain(response: dict) -> dict:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


ITEM = {"pk": {"S": "p1"}, "sk": {"N": "1.5"}, "g": {"S": "red"}, "s": {"S": "text"}, "n": {"N": "-42"},
        "f": {"N": "3.25"}, "b": {"B": b"\x00\x01\xff"}, "t": {"BOOL": True}, "z": {"NULL": True},
        "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": [b"\x01", b"\x02"]},
        "m": {"M": {"inner": {"L": [{"S": "x"}, {"N": "7"}, {"M": {"deep": {"BOOL": False}}}]}}},
        "l": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]}}
KEY = {"pk": {"S": "p1"}, "sk": {"N": "1.5"}}


def test_put_and_get_every_type_equal_dynamodb(dax, tables):
    assert plain(dax.put_item(TableName="dax-range", Item=ITEM)) == {}
    direct = plain(tables.get_item(TableName="dax-range", Key=KEY))
    assert direct == {"Item": ITEM}
    assert dax.get_item(TableName="dax-range", Key=KEY) == direct          # from the cache (write-through)
    assert dax.get_item(TableName="dax-range", Key=KEY, ConsistentRead=True) == direct


def test_get_missing_and_projection(dax, tables):
    tables.put_item(TableName="dax-range", Item=ITEM)
    missing = {"pk": {"S": "nobody"}, "sk": {"N": "0"}}
    assert dax.get_item(TableName="dax-range", Key=missing) == plain(tables.get_item(TableName="dax-range", Key=missing))
    request = {"TableName": "dax-range", "Key": KEY, "ProjectionExpression": "s, #m.#i[2].deep, l[1], nope",
               "ExpressionAttributeNames": {"#m": "m", "#i": "inner"}}
    assert dax.get_item(**request) == plain(tables.get_item(**request))


def test_hash_only_table_and_number_keys(dax, tables):
    for pk in ("a", "ü-unicode", "x" * 300):
        item = {"pk": {"S": pk}, "v": {"N": "1"}}
        dax.put_item(TableName="dax-hash", Item=item)
        assert dax.get_item(TableName="dax-hash", Key={"pk": {"S": pk}}) == {"Item": item}
    for sk in ("0", "-1", "1E+2", "123456789012345678901234567890", "-0.000123", "9.9E-100"):
        item = {"pk": {"S": "nums"}, "sk": {"N": sk}}
        dax.put_item(TableName="dax-range", Item=item)
        assert plain(tables.get_item(TableName="dax-range", Key={"pk": {"S": "nums"}, "sk": {"N": sk}}))["Item"]
    listed = dax.query(TableName="dax-range", KeyConditionExpression="pk = :p",
                       ExpressionAttributeValues={":p": {"S": "nums"}})
    direct = plain(tables.query(TableName="dax-range", KeyConditionExpression="pk = :p",
                                ExpressionAttributeValues={":p": {"S": "nums"}}))
    assert [float(i["sk"]["N"]) for i in listed["Items"]] == [float(i["sk"]["N"]) for i in direct["Items"]]
    assert listed["Count"] == direct["Count"] == 6


@pytest.mark.parametrize("return_values", ["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"])
def test_update_item_return_values(dax, tables, return_values):
    key = {"pk": {"S": "upd-" + return_values}, "sk": {"N": "1"}}
    for client in (tables, dax):
        client.put_item(TableName="dax-range", Item={**key, "c": {"N": "1"}, "keep": {"S": "k"}})
    request = {"TableName": "dax-range", "Key": key, "ReturnValues": return_values,
               "UpdateExpression": "SET c = c + :one, added = if_not_exists(added, :l) REMOVE keep ADD tags :t",
               "ConditionExpression": "attribute_exists(pk) AND c < :ten",
               "ExpressionAttributeValues": {":one": {"N": "1"}, ":l": {"L": [{"S": "v"}]}, ":ten": {"N": "10"},
                                             ":t": {"SS": ["x"]}}}
    via_dax = dax.update_item(**request)
    tables.put_item(TableName="dax-range", Item={**key, "c": {"N": "1"}, "keep": {"S": "k"}})
    direct = plain(tables.update_item(**request))
    assert via_dax == direct
    assert dax.get_item(TableName="dax-range", Key=key) == plain(tables.get_item(TableName="dax-range", Key=key))


def test_delete_item_returns_old_and_forgets(dax, tables):
    key = {"pk": {"S": "del"}, "sk": {"N": "1"}}
    dax.put_item(TableName="dax-range", Item={**key, "v": {"S": "old"}})
    assert dax.delete_item(TableName="dax-range", Key=key, ReturnValues="ALL_OLD") == \
        {"Attributes": {**key, "v": {"S": "old"}}}
    assert dax.get_item(TableName="dax-range", Key=key) == {}
    assert "Item" not in tables.get_item(TableName="dax-range", Key=key)


def test_query_scan_filters_indexes_and_pages(dax, tables):
    for i in range(7):
        tables.put_item(TableName="dax-range", Item={"pk": {"S": "q"}, "sk": {"N": str(i)}, "g": {"S": f"g{i % 2}"},
                                                    "v": {"N": str(i * 10)}})
    requests = [
        {"TableName": "dax-range", "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
         "FilterExpression": "v >= :min OR attribute_not_exists(v)", "ScanIndexForward": False,
         "ExpressionAttributeValues": {":p": {"S": "q"}, ":a": {"N": "1"}, ":b": {"N": "5"}, ":min": {"N": "20"}}},
        {"TableName": "dax-range", "KeyConditionExpression": "pk = :p", "Select": "COUNT",
         "ExpressionAttributeValues": {":p": {"S": "q"}}},
        {"TableName": "dax-range", "KeyConditionExpression": "pk = :p", "ProjectionExpression": "sk, v",
         "ExpressionAttributeValues": {":p": {"S": "q"}}},
        {"TableName": "dax-range", "IndexName": "by-g", "KeyConditionExpression": "g = :g",
         "ExpressionAttributeValues": {":g": {"S": "g1"}}},
    ]
    for request in requests:
        assert dax.query(**request) == plain(tables.query(**request)), request
    # pages: LastEvaluatedKey round trips, on the table and on an index
    for extra in ({}, {"IndexName": "by-g", "KeyConditionExpression": "g = :p",
                       "ExpressionAttributeValues": {":p": {"S": "g0"}}}):
        request = {"TableName": "dax-range", "KeyConditionExpression": "pk = :p",
                   "ExpressionAttributeValues": {":p": {"S": "q"}}, "Limit": 2, **extra}
        pages_dax, pages_ddb = [], []
        for client, pages in ((dax, pages_dax), (tables, pages_ddb)):
            start = None
            while True:
                page = plain(client.query(**request, **({"ExclusiveStartKey": start} if start else {})))
                pages.append(page)
                start = page.get("LastEvaluatedKey")
                if not start:
                    break
        assert pages_dax == pages_ddb
    scan = {"TableName": "dax-range", "FilterExpression": "pk = :p AND contains(g, :one)",
            "ExpressionAttributeValues": {":p": {"S": "q"}, ":one": {"S": "1"}}}
    assert dax.scan(**scan) == plain(tables.scan(**scan))
    segmented = {"TableName": "dax-range", "Segment": 0, "TotalSegments": 2, "ConsistentRead": True}
    assert dax.scan(**segmented) == plain(tables.scan(**segmented))


def test_batch_get_and_write(dax, tables):
    writes = {"dax-hash": [{"PutRequest": {"Item": {"pk": {"S": f"b{i}"}, "v": {"N": str(i)}}}} for i in range(5)],
              "dax-range": [{"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": "1"}, "v": {"B": b"\x01"}}}},
                            {"DeleteRequest": {"Key": {"pk": {"S": "b"}, "sk": {"N": "2"}}}}]}
    assert dax.batch_write_item(RequestItems=writes) == {"UnprocessedItems": {}}
    request = {"dax-hash": {"Keys": [{"pk": {"S": f"b{i}"}} for i in range(7)]},
               "dax-range": {"Keys": [{"pk": {"S": "b"}, "sk": {"N": "1"}}], "ProjectionExpression": "v"}}

    def ordered(response):
        return {t: sorted(items, key=repr) for t, items in response["Responses"].items()}
    first = dax.batch_get_item(RequestItems=request)
    assert ordered(first) == ordered(tables.batch_get_item(RequestItems=request))
    assert first["UnprocessedKeys"] == {}
    assert ordered(dax.batch_get_item(RequestItems=request)) == ordered(first)  # from the cache now


def test_transactions(dax, tables):
    key_a, key_b = {"pk": {"S": "tx-a"}}, {"pk": {"S": "tx-b"}}
    tables.put_item(TableName="dax-hash", Item={**key_b, "n": {"N": "1"}})
    result = dax.transact_write_items(TransactItems=[
        {"Put": {"TableName": "dax-hash", "Item": {**key_a, "v": {"S": "new"}},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": "dax-hash", "Key": key_b, "UpdateExpression": "SET n = n + :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"ConditionCheck": {"TableName": "dax-range", "Key": {"pk": {"S": "none"}, "sk": {"N": "0"}},
                            "ConditionExpression": "attribute_not_exists(pk)"}},
    ])
    assert result == {}
    gets = [{"Get": {"TableName": "dax-hash", "Key": key_a}},
            {"Get": {"TableName": "dax-hash", "Key": key_b, "ProjectionExpression": "n"}},
            {"Get": {"TableName": "dax-hash", "Key": {"pk": {"S": "tx-none"}}}}]
    assert dax.transact_get_items(TransactItems=gets) == plain(tables.transact_get_items(TransactItems=gets))
    with pytest.raises(ClientError) as caught:
        dax.transact_write_items(TransactItems=[
            {"Delete": {"TableName": "dax-hash", "Key": key_a, "ConditionExpression": "v = :other",
                        "ExpressionAttributeValues": {":other": {"S": "other"}}}}])
    assert caught.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert "Item" in tables.get_item(TableName="dax-hash", Key=key_a)


def test_dynamodb_errors_carry_their_codes(dax, tables):
    tables.put_item(TableName="dax-hash", Item={"pk": {"S": "exists"}})
    cases = [
        (lambda: dax.put_item(TableName="dax-hash", Item={"pk": {"S": "exists"}},
                              ConditionExpression="attribute_not_exists(pk)"),
         lambda: tables.put_item(TableName="dax-hash", Item={"pk": {"S": "exists"}},
                                 ConditionExpression="attribute_not_exists(pk)")),
        (lambda: dax.get_item(TableName="no-such-table", Key={"pk": {"S": "x"}}),
         lambda: tables.get_item(TableName="no-such-table", Key={"pk": {"S": "x"}})),
        (lambda: dax.update_item(TableName="dax-hash", Key={"pk": {"S": "exists"}}, UpdateExpression="SET pk = :v",
                                 ExpressionAttributeValues={":v": {"S": "y"}}),
         lambda: tables.update_item(TableName="dax-hash", Key={"pk": {"S": "exists"}}, UpdateExpression="SET pk = :v",
                                    ExpressionAttributeValues={":v": {"S": "y"}})),
    ]
    for through_dax, direct in cases:
        with pytest.raises(ClientError) as from_dax:
            through_dax()
        with pytest.raises(ClientError) as from_ddb:
            direct()
        assert from_dax.value.response["Error"]["Code"] == from_ddb.value.response["Error"]["Code"]
        assert from_dax.value.response["Error"]["Message"] == from_ddb.value.response["Error"]["Message"]


def test_consumed_capacity_as_the_dax_wire_carries_it(dax, tables):
    # DAX's answers carry a table's name and units (not the read/write split DynamoDB adds)
    def units(response):
        cc = response["ConsumedCapacity"]
        return [(c["TableName"], c["CapacityUnits"]) for c in (cc if isinstance(cc, list) else [cc])]
    calls = [
        ("put_item", {"TableName": "dax-hash", "Item": {"pk": {"S": "cc"}}, "ReturnConsumedCapacity": "TOTAL"}),
        ("get_item", {"TableName": "dax-hash", "Key": {"pk": {"S": "cc"}}, "ConsistentRead": True,
                      "ReturnConsumedCapacity": "TOTAL"}),
        ("query", {"TableName": "dax-hash", "KeyConditionExpression": "pk = :p",
                   "ExpressionAttributeValues": {":p": {"S": "cc"}}, "ReturnConsumedCapacity": "TOTAL"}),
        ("batch_get_item", {"RequestItems": {"dax-hash": {"Keys": [{"pk": {"S": "cc"}}], "ConsistentRead": True}},
                            "ReturnConsumedCapacity": "TOTAL"}),
        ("transact_get_items", {"TransactItems": [{"Get": {"TableName": "dax-hash", "Key": {"pk": {"S": "cc"}}}}],
                                "ReturnConsumedCapacity": "TOTAL"}),
    ]
    for name, request in calls:
        assert units(getattr(dax, name)(**request)) == units(getattr(tables, name)(**request)), name


def test_oversized_items_get_dynamodbs_limit(dax, tables):
    item = {"pk": {"S": "big"}, "blob": {"B": b"\x00" * (400 * 1024 + 1)}}
    with pytest.raises(ClientError) as from_dax:
        dax.put_item(TableName="dax-hash", Item=item)
    with pytest.raises(ClientError) as from_ddb:
        tables.put_item(TableName="dax-hash", Item=item)
    assert from_dax.value.response["Error"] == {k: from_ddb.value.response["Error"][k] for k in ("Code", "Message")}
