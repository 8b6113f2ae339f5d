"""Query and Scan: key conditions, ordering, filters, paging (Limit and 1 MB), indexes, segments."""

import pytest
from boto3.dynamodb.conditions import Attr, Key
from engine_helpers import aws_error, create_table


@pytest.fixture
def ddb(cloud):
    client = cloud.client("dynamodb")
    create_table(client, "tbl", ("pk", "S"), ("sk", "N"), more_attributes=[("g", "S"), ("alt", "S")],
                 GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                                                            {"AttributeName": "sk", "KeyType": "RANGE"}],
                                          "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["v"]}}],
                 LocalSecondaryIndexes=[{"IndexName": "by-alt", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                             {"AttributeName": "alt", "KeyType": "RANGE"}],
                                         "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    with_writes = []
    for i in range(-5, 25):
        item = {"pk": {"S": "p"}, "sk": {"N": str(i)}, "v": {"N": str(i * 10)}, "extra": {"S": f"o{i}"},
                "alt": {"S": f"{29 - i:03d}"}}
        if i % 2 == 0:
            item["g"] = {"S": "even"}
        with_writes.append({"PutRequest": {"Item": item}})
    for start in range(0, len(with_writes), 25):
        client.batch_write_item(RequestItems={"tbl": with_writes[start:start + 25]})
    client.put_item(TableName="tbl", Item={"pk": {"S": "q"}, "sk": {"N": "0"}})
    return client


def sks(out):
    return [int(i["sk"]["N"]) for i in out["Items"]]


def values(**kw):
    return {f":{k}": {"N": str(v)} for k, v in kw.items()}


def test_key_conditions_and_order(ddb):
    q = lambda cond, **kw: ddb.query(TableName="tbl", KeyConditionExpression="pk = :p" + cond,
                                      ExpressionAttributeValues={":p": {"S": "p"}, **values(**kw)})
    assert sks(q("")) == list(range(-5, 25))
    assert sks(q(" AND sk = :a", a=3)) == [3]
    assert sks(q(" AND sk < :a", a=-3)) == [-5, -4]
    assert sks(q(" AND sk <= :a", a=-3)) == [-5, -4, -3]
    assert sks(q(" AND sk > :a", a=22)) == [23, 24]
    assert sks(q(" AND sk >= :a", a=22)) == [22, 23, 24]
    assert sks(q(" AND sk BETWEEN :a AND :b", a=-1, b=2)) == [-1, 0, 1, 2]
    down = ddb.query(TableName="tbl", KeyConditionExpression="pk = :p AND sk > :a", ScanIndexForward=False,
                     ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "20"}})
    assert sks(down) == [24, 23, 22, 21]


def test_begins_with_on_string_sort_key(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb, "tbs", ("pk", "S"), ("sk", "S"))
    for sk in ("a", "ab", "abc", "abd", "b", "a\u00ff", "ac"):
        ddb.put_item(TableName="tbs", Item={"pk": {"S": "x"}, "sk": {"S": sk}})
    out = ddb.query(TableName="tbs", KeyConditionExpression="pk = :p AND begins_with(sk, :b)",
                    ExpressionAttributeValues={":p": {"S": "x"}, ":b": {"S": "ab"}})
    assert [i["sk"]["S"] for i in out["Items"]] == ["ab", "abc", "abd"]
    out = ddb.query(TableName="tbs", KeyConditionExpression="pk = :p AND begins_with(sk, :b)", ScanIndexForward=False,
                    ExpressionAttributeValues={":p": {"S": "x"}, ":b": {"S": "a"}})
    assert [i["sk"]["S"] for i in out["Items"]] == ["a\u00ff", "ac", "abd", "abc", "ab", "a"]


def test_limit_paging_and_filter_counts(ddb):
    seen = []
    start = None
    pages = 0
    while True:
        kwargs = {"ExclusiveStartKey": start} if start else {}
        out = ddb.query(TableName="tbl", KeyConditionExpression="pk = :p", FilterExpression="v >= :min", Limit=7,
                        ExpressionAttributeValues={":p": {"S": "p"}, ":min": {"N": "0"}}, **kwargs)
        pages += 1
        assert out["ScannedCount"] <= 7
        seen += sks(out)
        start = out.get("LastEvaluatedKey")
        if not start:
            break
        assert set(start) == {"pk", "sk"}
    assert seen == list(range(0, 25))
    assert pages == 5  # 30 items, 7 per page: the 5th page ends the partition


def test_select_count_and_projection(ddb):
    out = ddb.query(TableName="tbl", KeyConditionExpression="pk = :p", Select="COUNT", ExpressionAttributeValues={":p": {"S": "p"}})
    assert out["Count"] == 30 and "Items" not in out
    out = ddb.query(TableName="tbl", KeyConditionExpression="pk = :p AND sk = :s", ProjectionExpression="extra",
                    ExpressionAttributeValues={":p": {"S": "p"}, ":s": {"N": "1"}})
    assert out["Items"] == [{"extra": {"S": "o1"}}]


def test_query_errors(ddb):
    with aws_error("ValidationException", contains="Query condition missed key schema element"):
        ddb.query(TableName="tbl", KeyConditionExpression="sk = :s", ExpressionAttributeValues={":s": {"N": "1"}})
    with aws_error("ValidationException", "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk"):
        ddb.query(TableName="tbl", KeyConditionExpression="pk = :p", FilterExpression="sk > :s",
                  ExpressionAttributeValues={":p": {"S": "p"}, ":s": {"N": "1"}})
    with aws_error("ValidationException", "The table does not have the specified index: nope"):
        ddb.query(TableName="tbl", IndexName="nope", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}})
    with aws_error("ValidationException", "Consistent reads are not supported on global secondary indexes"):
        ddb.query(TableName="tbl", IndexName="by-g", ConsistentRead=True, KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": {"S": "even"}})
    with aws_error("ValidationException", contains="ALL_ATTRIBUTES is not supported for global secondary index by-g"):
        ddb.query(TableName="tbl", IndexName="by-g", Select="ALL_ATTRIBUTES", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": {"S": "even"}})


def test_gsi_query_projection_and_paging(ddb):
    out = ddb.query(TableName="tbl", IndexName="by-g", KeyConditionExpression="g = :g AND sk > :s", Limit=3,
                    ExpressionAttributeValues={":g": {"S": "even"}, ":s": {"N": "0"}})
    assert sks(out) == [2, 4, 6]
    assert set(out["Items"][0]) == {"pk", "sk", "g", "v"}  # INCLUDE projection: keys plus v, not "extra"
    assert set(out["LastEvaluatedKey"]) == {"pk", "sk", "g"}
    rest = ddb.query(TableName="tbl", IndexName="by-g", KeyConditionExpression="g = :g AND sk > :s",
                     ExclusiveStartKey=out["LastEvaluatedKey"], ExpressionAttributeValues={":g": {"S": "even"}, ":s": {"N": "0"}})
    assert sks(rest) == list(range(8, 25, 2))
    # Updating the index key moves the item in the index; removing it drops it (sparse index).
    ddb.update_item(TableName="tbl", Key={"pk": {"S": "p"}, "sk": {"N": "2"}}, UpdateExpression="REMOVE g")
    out = ddb.query(TableName="tbl", IndexName="by-g", KeyConditionExpression="g = :g AND sk < :s",
                    ExpressionAttributeValues={":g": {"S": "even"}, ":s": {"N": "5"}})
    assert sks(out) == [-4, -2, 0, 4]


def test_lsi_query(ddb):
    out = ddb.query(TableName="tbl", IndexName="by-alt", KeyConditionExpression="pk = :p", Limit=3,
                    ExpressionAttributeValues={":p": {"S": "p"}})
    assert [i["alt"]["S"] for i in out["Items"]] == ["005", "006", "007"]
    assert set(out["Items"][0]) == {"pk", "sk", "alt"}
    full = ddb.query(TableName="tbl", IndexName="by-alt", KeyConditionExpression="pk = :p", Limit=1, Select="ALL_ATTRIBUTES",
                     ExpressionAttributeValues={":p": {"S": "p"}})
    assert full["Items"][0]["extra"] == {"S": "o24"}  # fetched from the table


def test_scan_paging_and_parallel_segments(ddb):
    everything = []
    for page in ddb.get_paginator("scan").paginate(TableName="tbl", PaginationConfig={"PageSize": 4}):
        everything += [(i["pk"]["S"], i["sk"]["N"]) for i in page["Items"]]
    assert len(everything) == 31 and len(set(everything)) == 31
    segments = []
    for segment in range(3):
        out = ddb.scan(TableName="tbl", Segment=segment, TotalSegments=3)
        segments += [(i["pk"]["S"], i["sk"]["N"]) for i in out["Items"]]
    assert sorted(segments) == sorted(everything)
    with aws_error("ValidationException", contains="Segment: 3 is not less than TotalSegments: 3"):
        ddb.scan(TableName="tbl", Segment=3, TotalSegments=3)
    out = ddb.scan(TableName="tbl", FilterExpression="v > :v", ExpressionAttributeValues={":v": {"N": "200"}})
    assert out["Count"] == 4 and out["ScannedCount"] == 31


def test_one_megabyte_pages(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb, "big", ("pk", "S"), ("sk", "N"))
    blob = "x" * 100_000
    for i in range(25):
        ddb.put_item(TableName="big", Item={"pk": {"S": "a"}, "sk": {"N": str(i)}, "blob": {"S": blob}})
    first = ddb.query(TableName="big", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}})
    assert 9 <= first["Count"] <= 11 and "LastEvaluatedKey" in first
    total = first["Count"]
    start = first["LastEvaluatedKey"]
    while start:
        page = ddb.query(TableName="big", KeyConditionExpression="pk = :p", ExclusiveStartKey=start,
                         ExpressionAttributeValues={":p": {"S": "a"}})
        total += page["Count"]
        start = page.get("LastEvaluatedKey")
    assert total == 25
    scanned = ddb.scan(TableName="big", ReturnConsumedCapacity="TOTAL")
    assert scanned["Count"] < 25 and "LastEvaluatedKey" in scanned


def test_resource_query_with_conditions(cloud):
    client = cloud.client("dynamodb")
    create_table(client, "tbr", ("user", "S"), ("ts", "N"))
    table = cloud.resource("dynamodb").Table("tbr")
    for ts in range(10):
        table.put_item(Item={"user": "u1", "ts": ts, "kind": "click" if ts % 2 else "view"})
    out = table.query(KeyConditionExpression=Key("user").eq("u1") & Key("ts").between(2, 6), FilterExpression=Attr("kind").eq("view"))
    assert [int(i["ts"]) for i in out["Items"]] == [2, 4, 6]


def test_number_ordering_is_numeric(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb, "tbn", ("pk", "S"), ("sk", "N"))
    numbers = ["-1e10", "-100", "-2.5", "-0.001", "0", "1e-130", "0.5", "2", "10", "100.25", "9.9999999999999999999999999999999999999E+125"]
    for n in reversed(numbers):
        ddb.put_item(TableName="tbn", Item={"pk": {"S": "x"}, "sk": {"N": n}})
    out = ddb.query(TableName="tbn", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "x"}})
    from decimal import Decimal
    assert [Decimal(i["sk"]["N"]) for i in out["Items"]] == [Decimal(n) for n in numbers]


def test_scan_select_and_consistent_read_rules(ddb):
    out = ddb.scan(TableName="tbl", Select="COUNT")
    assert out["Count"] == 31 and "Items" not in out
    out = ddb.scan(TableName="tbl", Select="SPECIFIC_ATTRIBUTES", ProjectionExpression="extra",
                   FilterExpression="sk = :s", ExpressionAttributeValues={":s": {"N": "3"}})
    assert out["Items"] == [{"extra": {"S": "o3"}}]
    out = ddb.query(TableName="tbl", Select="SPECIFIC_ATTRIBUTES", AttributesToGet=["v"], KeyConditions={
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]}}, Limit=1)
    assert out["Items"] == [{"v": {"N": "-50"}}]
    with aws_error("ValidationException", "Consistent reads are not supported on global secondary indexes"):
        ddb.scan(TableName="tbl", IndexName="by-g", ConsistentRead=True)
    with aws_error("ValidationException", contains="SPECIFIC_ATTRIBUTES"):
        ddb.scan(TableName="tbl", Select="SPECIFIC_ATTRIBUTES")  # with nothing to select
    # A strongly consistent read of an LSI is allowed, as on AWS.
    assert ddb.query(TableName="tbl", IndexName="by-alt", ConsistentRead=True, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "p"}}, Select="COUNT")["Count"] == 30
    out = ddb.scan(TableName="tbl", IndexName="by-g", Select="COUNT", Segment=0, TotalSegments=1)
    assert out["Count"] == 15


def test_consumed_capacity_by_index(ddb):
    out = ddb.query(TableName="tbl", IndexName="by-g", KeyConditionExpression="g = :g", ReturnConsumedCapacity="INDEXES",
                    ExpressionAttributeValues={":g": {"S": "even"}})
    consumed = out["ConsumedCapacity"]
    assert consumed["TableName"] == "tbl"
    assert consumed["GlobalSecondaryIndexes"]["by-g"]["CapacityUnits"] == consumed["CapacityUnits"] > 0
    total = ddb.query(TableName="tbl", KeyConditionExpression="pk = :p", ReturnConsumedCapacity="TOTAL",
                      ExpressionAttributeValues={":p": {"S": "p"}})["ConsumedCapacity"]
    assert set(total) == {"TableName", "CapacityUnits", "ReadCapacityUnits"}
    # A write that changes a GSI key and an LSI key is charged on each index.
    out = ddb.put_item(TableName="tbl", Item={"pk": {"S": "p"}, "sk": {"N": "100"}, "g": {"S": "odd"}, "alt": {"S": "x"}},
                       ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert out["Table"]["CapacityUnits"] == 1.0
    assert out["GlobalSecondaryIndexes"]["by-g"]["CapacityUnits"] == 1.0
    assert out["LocalSecondaryIndexes"]["by-alt"]["CapacityUnits"] == 1.0
    assert out["CapacityUnits"] == 3.0
