"""Single-item operations end to end: boto3 client and resource layers."""

from decimal import Decimal

import pytest
from boto3.dynamodb.conditions import Attr, Key
from engine_helpers import aws_error, create_table


@pytest.fixture
def ddb(cloud):
    client = cloud.client("dynamodb")
    create_table(client, "tbl", ("pk", "S"), ("sk", "N"))
    return client


def key(pk="a", sk="1"):
    return {"pk": {"S": pk}, "sk": {"N": sk}}


def test_put_get_delete_round_trip(ddb):
    item = {**key(), "s": {"S": "text"}, "n": {"N": "1.50"}, "b": {"B": b"\x00\xff"}, "ss": {"SS": ["x", "y"]},
            "ns": {"NS": ["1", "2"]}, "bs": {"BS": [b"a"]}, "m": {"M": {"in": {"L": [{"S": "q"}, {"NULL": True}]}}},
            "t": {"BOOL": True}, "e": {"S": ""}}
    assert set(ddb.put_item(TableName="tbl", Item=item)) == {"ResponseMetadata"}  # ReturnValues NONE: nothing else
    got = ddb.get_item(TableName="tbl", Key=key())["Item"]
    assert got["n"] == {"N": "1.5"}  # numbers come back canonical
    assert got["b"] == {"B": b"\x00\xff"} and got["bs"] == {"BS": [b"a"]}
    assert got["m"] == item["m"] and got["e"] == {"S": ""}
    assert "Item" not in ddb.get_item(TableName="tbl", Key=key("zz"))
    old = ddb.delete_item(TableName="tbl", Key=key(), ReturnValues="ALL_OLD")["Attributes"]
    assert old["s"] == {"S": "text"}
    assert "Item" not in ddb.get_item(TableName="tbl", Key=key())


def test_projection_expression(ddb):
    ddb.put_item(TableName="tbl", Item={**key(), "a": {"M": {"b": {"L": [{"S": "0"}, {"S": "1"}]}, "c": {"S": "x"}}}, "d": {"S": "y"}})
    got = ddb.get_item(TableName="tbl", Key=key(), ProjectionExpression="a.b[1], #d", ExpressionAttributeNames={"#d": "d"})["Item"]
    assert got == {"a": {"M": {"b": {"L": [{"S": "1"}]}}}, "d": {"S": "y"}}


def test_conditional_put_and_return_on_failure(ddb):
    ddb.put_item(TableName="tbl", Item={**key(), "v": {"N": "1"}})
    with aws_error("ConditionalCheckFailedException", "The conditional request failed") as info:
        ddb.put_item(TableName="tbl", Item={**key(), "v": {"N": "2"}}, ConditionExpression="attribute_not_exists(pk)",
                     ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert info.value.response["Item"]["v"] == {"N": "1"}
    ddb.put_item(TableName="tbl", Item={**key(), "v": {"N": "2"}}, ConditionExpression="v = :one",
                 ExpressionAttributeValues={":one": {"N": "1"}})
    assert ddb.get_item(TableName="tbl", Key=key())["Item"]["v"] == {"N": "2"}


def test_update_expression_and_return_values(ddb):
    out = ddb.update_item(TableName="tbl", Key=key(), UpdateExpression="SET c = if_not_exists(c, :zero) + :one, l = :l",
                          ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "1"}, ":l": {"L": [{"S": "a"}]}},
                          ReturnValues="ALL_NEW")
    assert out["Attributes"] == {**key(), "c": {"N": "1"}, "l": {"L": [{"S": "a"}]}}
    out = ddb.update_item(TableName="tbl", Key=key(), UpdateExpression="SET l = list_append(l, :more) ADD c :one, tags :t",
                          ExpressionAttributeValues={":more": {"L": [{"S": "b"}]}, ":one": {"N": "5"}, ":t": {"SS": ["x"]}},
                          ReturnValues="UPDATED_NEW")
    assert out["Attributes"] == {"l": {"L": [{"S": "a"}, {"S": "b"}]}, "c": {"N": "6"}, "tags": {"SS": ["x"]}}
    out = ddb.update_item(TableName="tbl", Key=key(), UpdateExpression="REMOVE l DELETE tags :t",
                          ExpressionAttributeValues={":t": {"SS": ["x"]}}, ReturnValues="UPDATED_OLD")
    assert out["Attributes"]["l"] == {"L": [{"S": "a"}, {"S": "b"}]}
    assert ddb.get_item(TableName="tbl", Key=key())["Item"] == {**key(), "c": {"N": "6"}}
    with aws_error("ValidationException", contains="key"):
        ddb.update_item(TableName="tbl", Key=key(), UpdateExpression="SET pk = :v", ExpressionAttributeValues={":v": {"S": "b"}})
    with aws_error("ConditionalCheckFailedException"):
        ddb.update_item(TableName="tbl", Key=key(), UpdateExpression="SET c = :v", ConditionExpression="c > :v",
                        ExpressionAttributeValues={":v": {"N": "100"}})


def test_validation_messages(ddb):
    with aws_error("ValidationException", "The provided key element does not match the schema"):
        ddb.get_item(TableName="tbl", Key={"pk": {"S": "a"}})
    with aws_error("ValidationException", "The provided key element does not match the schema"):
        ddb.get_item(TableName="tbl", Key={"pk": {"S": "a"}, "sk": {"S": "1"}})
    with aws_error("ValidationException", "One or more parameter values were invalid: Missing the key sk in the item"):
        ddb.put_item(TableName="tbl", Item={"pk": {"S": "a"}})
    with aws_error("ValidationException", "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}"):
        ddb.put_item(TableName="tbl", Item=key(), ConditionExpression="attribute_not_exists(pk)",
                     ExpressionAttributeValues={":x": {"S": "1"}})
    with aws_error("ValidationException", "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"):
        ddb.put_item(TableName="tbl", Item=key(), ExpressionAttributeValues={":x": {"S": "1"}})
    with aws_error("ValidationException", contains="Can not use both expression and non-expression parameters"):
        ddb.put_item(TableName="tbl", Item=key(), ConditionExpression="attribute_not_exists(pk)",
                     Expected={"pk": {"Exists": False}})
    with aws_error("ValidationException", "Return values set to invalid value"):
        ddb.put_item(TableName="tbl", Item=key(), ReturnValues="ALL_NEW")


def test_item_size_limit(ddb):
    ddb.put_item(TableName="tbl", Item={**key(), "big": {"S": "x" * (400 * 1024 - 100)}})
    with aws_error("ValidationException", "Item size has exceeded the maximum allowed size"):
        ddb.put_item(TableName="tbl", Item={**key(), "big": {"S": "x" * (400 * 1024)}})
    with aws_error("ValidationException", "Item size to update has exceeded the maximum allowed size"):
        ddb.update_item(TableName="tbl", Key=key(), UpdateExpression="SET more = :v",
                        ExpressionAttributeValues={":v": {"S": "y" * 200}})


def test_consumed_capacity_and_collection_metrics(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb, "lsi", ("pk", "S"), ("sk", "S"), more_attributes=[("alt", "S")],
                 LocalSecondaryIndexes=[{"IndexName": "by-alt", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                             {"AttributeName": "alt", "KeyType": "RANGE"}],
                                         "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    out = ddb.put_item(TableName="lsi", Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "alt": {"S": "z"}, "pad": {"S": "p" * 1500}},
                       ReturnConsumedCapacity="INDEXES", ReturnItemCollectionMetrics="SIZE")
    consumed = out["ConsumedCapacity"]
    assert consumed["TableName"] == "lsi"
    assert consumed["Table"]["CapacityUnits"] == 2.0
    assert consumed["LocalSecondaryIndexes"]["by-alt"]["CapacityUnits"] == 1.0
    assert consumed["CapacityUnits"] == 3.0
    assert out["ItemCollectionMetrics"]["ItemCollectionKey"] == {"pk": {"S": "a"}}
    read = ddb.get_item(TableName="lsi", Key={"pk": {"S": "a"}, "sk": {"S": "1"}}, ReturnConsumedCapacity="TOTAL")
    assert read["ConsumedCapacity"] == {"TableName": "lsi", "CapacityUnits": 0.5, "ReadCapacityUnits": 0.5}
    read = ddb.get_item(TableName="lsi", Key={"pk": {"S": "a"}, "sk": {"S": "1"}}, ReturnConsumedCapacity="TOTAL",
                        ConsistentRead=True)
    assert read["ConsumedCapacity"]["CapacityUnits"] == 1.0


def test_legacy_parameters(ddb):
    ddb.put_item(TableName="tbl", Item={**key(), "v": {"N": "1"}}, Expected={"pk": {"Exists": False}})
    with aws_error("ConditionalCheckFailedException"):
        ddb.put_item(TableName="tbl", Item=key(), Expected={"pk": {"Exists": False}})
    ddb.update_item(TableName="tbl", Key=key(), AttributeUpdates={"v": {"Action": "ADD", "Value": {"N": "2"}},
                                                                "w": {"Action": "PUT", "Value": {"S": "x"}}})
    got = ddb.get_item(TableName="tbl", Key=key(), AttributesToGet=["v", "w"])["Item"]
    assert got == {"v": {"N": "3"}, "w": {"S": "x"}}


def test_resource_layer(cloud):
    ddb = cloud.resource("dynamodb")
    table = ddb.create_table(TableName="people", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    table.wait_until_exists()
    table.put_item(Item={"id": "1", "name": "Ann", "age": 30, "score": Decimal("1.25"), "tags": {"a", "b"}})
    item = table.get_item(Key={"id": "1"})["Item"]
    assert item == {"id": "1", "name": "Ann", "age": Decimal(30), "score": Decimal("1.25"), "tags": {"a", "b"}}
    table.update_item(Key={"id": "1"}, UpdateExpression="SET age = age + :one", ExpressionAttributeValues={":one": 1},
                      ConditionExpression=Attr("name").eq("Ann"))
    assert table.get_item(Key={"id": "1"})["Item"]["age"] == 31
    with table.batch_writer() as batch:
        for i in range(60):
            batch.put_item(Item={"id": f"b{i}", "n": i})
    assert table.scan(Select="COUNT")["Count"] == 61
    assert table.scan(FilterExpression=Attr("n").gte(50))["Count"] == 10


def test_return_values_on_condition_check_failure_for_update_and_delete(ddb):
    ddb.put_item(TableName="tbl", Item={**key(), "v": {"N": "1"}})
    with aws_error("ConditionalCheckFailedException") as info:
        ddb.update_item(TableName="tbl", Key=key(), UpdateExpression="SET v = :two", ConditionExpression="v = :two",
                        ExpressionAttributeValues={":two": {"N": "2"}}, ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert info.value.response["Item"] == {**key(), "v": {"N": "1"}}
    with aws_error("ConditionalCheckFailedException") as info:
        ddb.delete_item(TableName="tbl", Key=key(), ConditionExpression="attribute_not_exists(v)",
                        ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert info.value.response["Item"]["v"] == {"N": "1"}
    with aws_error("ConditionalCheckFailedException") as info:
        ddb.delete_item(TableName="tbl", Key=key(), ConditionExpression="attribute_not_exists(v)",
                        ReturnValuesOnConditionCheckFailure="NONE")
    assert "Item" not in info.value.response
    # A table without local secondary indexes has no item collections to report on.
    out = ddb.put_item(TableName="tbl", Item={**key(), "v": {"N": "3"}}, ReturnItemCollectionMetrics="SIZE")
    assert "ItemCollectionMetrics" not in out


def test_resource_layer_queries_pages_and_batch_deletes(cloud):
    client = cloud.client("dynamodb")
    create_table(client, "events", ("user", "S"), ("ts", "N"))
    table = cloud.resource("dynamodb").Table("events")
    with table.batch_writer(overwrite_by_pkeys=["user", "ts"]) as batch:
        for ts in range(30):
            batch.put_item(Item={"user": "u1", "ts": ts, "kind": "click" if ts % 3 else "view"})
        batch.put_item(Item={"user": "u1", "ts": 0, "kind": "replaced"})  # same key in one batch: last one wins
        batch.put_item(Item={"user": "u2", "ts": 1, "kind": "view"})
    pages, items, start = 0, [], {}
    while True:
        out = table.query(KeyConditionExpression=Key("user").eq("u1") & Key("ts").gte(0), Limit=8, **start)
        items += out["Items"]
        pages += 1
        if "LastEvaluatedKey" not in out:
            break
        start = {"ExclusiveStartKey": out["LastEvaluatedKey"]}
    assert [int(i["ts"]) for i in items] == list(range(30)) and pages == 4
    assert items[0]["kind"] == "replaced"
    out = table.query(KeyConditionExpression=Key("user").eq("u1") & Key("ts").lt(10), FilterExpression=Attr("kind").eq("view"),
                      ScanIndexForward=False, ProjectionExpression="ts")
    assert out["Items"] == [{"ts": 9}, {"ts": 6}, {"ts": 3}]
    with table.batch_writer() as batch:
        for ts in range(30):
            batch.delete_item(Key={"user": "u1", "ts": ts})
    assert table.scan()["Items"] == [{"user": "u2", "ts": 1, "kind": "view"}]
    with aws_error("ValidationException"):
        table.put_item(Item={"user": "u3", "ts": 1}, ConditionExpression=Attr("user").not_exists() | Attr("ts").eq(2),
                       ReturnValues="ALL_NEW")  # PutItem accepts only NONE or ALL_OLD


def test_item_collection_metrics_of_multi_item_writes(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb, "lsi", ("pk", "S"), ("sk", "S"), more_attributes=[("alt", "S")],
                 LocalSecondaryIndexes=[{"IndexName": "by-alt", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                             {"AttributeName": "alt", "KeyType": "RANGE"}],
                                         "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    create_table(ddb, "plain")
    out = ddb.batch_write_item(RequestItems={
        "lsi": [{"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"S": str(i)}, "alt": {"S": "z"}}}} for i in range(2)],
        "plain": [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}]}, ReturnItemCollectionMetrics="SIZE")
    metrics = out["ItemCollectionMetrics"]
    assert list(metrics) == ["lsi"] and len(metrics["lsi"]) == 2
    assert metrics["lsi"][0]["ItemCollectionKey"] == {"pk": {"S": "a"}} and len(metrics["lsi"][0]["SizeEstimateRangeGB"]) == 2
    out = ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": "lsi", "Key": {"pk": {"S": "b"}, "sk": {"S": "1"}}, "UpdateExpression": "SET alt = :a",
                    "ExpressionAttributeValues": {":a": {"S": "y"}}}},
        {"Delete": {"TableName": "plain", "Key": {"pk": {"S": "a"}}}}], ReturnItemCollectionMetrics="SIZE")
    assert out["ItemCollectionMetrics"] == {"lsi": [{"ItemCollectionKey": {"pk": {"S": "b"}}, "SizeEstimateRangeGB": [0.0, 1.0]}]}
