"""OnDemandThroughput and WarmThroughput of tables and indexes; global secondary indexes with
multi-attribute keys (up to four partition and four sort key attributes), queried through boto3."""

from decimal import Decimal

from engine_helpers import aws_error, create_table


def table(ddb, name="tbl"):
    return ddb.describe_table(TableName=name)["Table"]


def test_on_demand_throughput_is_stored_validated_and_returned(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb)
    assert table(ddb)["OnDemandThroughput"] == {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": -1}
    create_table(ddb, "capped", OnDemandThroughput={"MaxReadRequestUnits": 100})
    assert table(ddb, "capped")["OnDemandThroughput"] == {"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": -1}
    ddb.update_table(TableName="capped", OnDemandThroughput={"MaxWriteRequestUnits": 50})
    assert table(ddb, "capped")["OnDemandThroughput"] == {"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 50}
    ddb.update_table(TableName="capped", OnDemandThroughput={"MaxReadRequestUnits": -1})  # -1 removes the maximum
    assert table(ddb, "capped")["OnDemandThroughput"] == {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": 50}
    with aws_error("ValidationException", "One or more parameter values were invalid: Requested MaxReadRequestUnits for "
                   "OnDemandThroughput for table is outside of valid range"):
        ddb.update_table(TableName="capped", OnDemandThroughput={"MaxReadRequestUnits": 0})
    with aws_error("ValidationException", contains="Requested MaxWriteRequestUnits for OnDemandThroughput for table is outside"):
        create_table(ddb, "negative", OnDemandThroughput={"MaxWriteRequestUnits": -1})  # -1 only clears a maximum
    create_table(ddb, "fixed", BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    assert "OnDemandThroughput" not in table(ddb, "fixed")
    with aws_error("ValidationException", "One or more parameter values were invalid: MaxReadRequestUnits for "
                   "OnDemandThroughput cannot be specified when the table BillingMode is PROVISIONED"):
        ddb.update_table(TableName="fixed", OnDemandThroughput={"MaxReadRequestUnits": 10})


def test_warm_throughput_starts_at_the_defaults_and_only_rises(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb)
    assert table(ddb)["WarmThroughput"] == {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"}
    create_table(ddb, "prewarmed", WarmThroughput={"ReadUnitsPerSecond": 30000, "WriteUnitsPerSecond": 10000})
    assert table(ddb, "prewarmed")["WarmThroughput"]["ReadUnitsPerSecond"] == 30000
    ddb.update_table(TableName="prewarmed", WarmThroughput={"WriteUnitsPerSecond": 12000})
    assert table(ddb, "prewarmed")["WarmThroughput"] == {"ReadUnitsPerSecond": 30000, "WriteUnitsPerSecond": 12000,
                                                         "Status": "ACTIVE"}
    with aws_error("ValidationException", "One or more parameter values were invalid: Requested ReadUnitsPerSecond for "
                   "WarmThroughput for table is lower than current WarmThroughput, decreasing WarmThroughput is not supported"):
        ddb.update_table(TableName="prewarmed", WarmThroughput={"ReadUnitsPerSecond": 20000})
    with aws_error("ValidationException", contains="Requested ReadUnitsPerSecond for WarmThroughput for table is lower than "
                   "initial throughput for OnDemand"):
        create_table(ddb, "cold", WarmThroughput={"ReadUnitsPerSecond": 100})
    # A provisioned table is as warm as its capacity has ever been.
    create_table(ddb, "fixed", BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    assert table(ddb, "fixed")["WarmThroughput"]["ReadUnitsPerSecond"] == 5
    ddb.update_table(TableName="fixed", ProvisionedThroughput={"ReadCapacityUnits": 20, "WriteCapacityUnits": 5})
    ddb.update_table(TableName="fixed", ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 5})
    assert table(ddb, "fixed")["WarmThroughput"]["ReadUnitsPerSecond"] == 20


def test_index_throughput_settings(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb, more_attributes=[("g", "S")], GlobalSecondaryIndexes=[{
        "IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"},
        "OnDemandThroughput": {"MaxWriteRequestUnits": 7}, "WarmThroughput": {"ReadUnitsPerSecond": 13000}}])
    index = table(ddb)["GlobalSecondaryIndexes"][0]
    assert index["OnDemandThroughput"] == {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": 7}
    assert index["WarmThroughput"] == {"ReadUnitsPerSecond": 13000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"}
    ddb.update_table(TableName="tbl", GlobalSecondaryIndexUpdates=[{"Update": {
        "IndexName": "by-g", "OnDemandThroughput": {"MaxReadRequestUnits": 3}, "WarmThroughput": {"WriteUnitsPerSecond": 5000}}}])
    index = table(ddb)["GlobalSecondaryIndexes"][0]
    assert index["OnDemandThroughput"] == {"MaxReadRequestUnits": 3, "MaxWriteRequestUnits": 7}
    assert index["WarmThroughput"]["WriteUnitsPerSecond"] == 5000
    with aws_error("ValidationException", contains="Requested ReadUnitsPerSecond for WarmThroughput for index by-g is lower "
                   "than current WarmThroughput"):
        ddb.update_table(TableName="tbl", GlobalSecondaryIndexUpdates=[{"Update": {
            "IndexName": "by-g", "WarmThroughput": {"ReadUnitsPerSecond": 12000}}}])


# -- multi-attribute keys ------------------------------------------------------------------------

MULTI = {"IndexName": "by-place", "Projection": {"ProjectionType": "ALL"},
         "KeySchema": [{"AttributeName": "country", "KeyType": "HASH"}, {"AttributeName": "city", "KeyType": "HASH"},
                       {"AttributeName": "street", "KeyType": "RANGE"}, {"AttributeName": "number", "KeyType": "RANGE"}]}
PLACE_ATTRIBUTES = [("country", "S"), ("city", "S"), ("street", "S"), ("number", "N")]
HOUSES = [("jp", "tokyo", "a", 1), ("jp", "tokyo", "a", 12), ("jp", "tokyo", "a", -3), ("jp", "tokyo", "ab", 2),
          ("jp", "tokyo", "b", 5), ("jp", "tokyo", "a\u00e9", 1), ("jp", "osaka", "a", 1), ("fr", "tokyo", "a", 1)]


def houses_table(ddb):
    create_table(ddb, more_attributes=PLACE_ATTRIBUTES, GlobalSecondaryIndexes=[MULTI])
    for n, (country, city, street, number) in enumerate(HOUSES):
        ddb.put_item(TableName="tbl", Item={"pk": {"S": f"h{n}"}, "country": {"S": country}, "city": {"S": city},
                                            "street": {"S": street}, "number": {"N": str(number)}})
    # Sparse: an item without one of the index's key attributes is not in the index.
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "nostreet"}, "country": {"S": "jp"}, "city": {"S": "tokyo"}, "number": {"N": "1"}})


def query(ddb, condition, values, **extra):
    names = {"#n": "number"} if "#n" in condition else {}
    out = ddb.query(TableName="tbl", IndexName="by-place", KeyConditionExpression=condition,
                    ExpressionAttributeValues={k: ({"N": str(v)} if isinstance(v, int) else {"S": v}) for k, v in values.items()},
                    **({"ExpressionAttributeNames": names} if names else {}), **extra)
    return out, [(i["street"]["S"], int(i["number"]["N"])) for i in out["Items"]]


def expected(predicate, reverse=False):
    rows = [(s, n) for c, city, s, n in HOUSES if c == "jp" and city == "tokyo" and predicate(s, n)]
    return sorted(rows, key=lambda r: (r[0].encode(), Decimal(r[1])), reverse=reverse)


def test_a_multi_attribute_index_is_described_and_queried_in_key_order(cloud):
    ddb = cloud.client("dynamodb")
    houses_table(ddb)
    assert table(ddb)["GlobalSecondaryIndexes"][0]["KeySchema"] == MULTI["KeySchema"]
    base = "country = :c AND city = :t"
    where = {":c": "jp", ":t": "tokyo"}
    # Sorted by street, then number: "a" < "ab" < "a\u00e9" < "b" by UTF-8 bytes, numbers numerically.
    assert query(ddb, base, where)[1] == expected(lambda s, n: True)
    assert query(ddb, base, where, ScanIndexForward=False)[1] == expected(lambda s, n: True, reverse=True)
    assert query(ddb, base + " AND street = :s", {**where, ":s": "a"})[1] == expected(lambda s, n: s == "a")
    assert query(ddb, base + " AND street > :s", {**where, ":s": "a"})[1] == expected(lambda s, n: s.encode() > b"a")
    assert query(ddb, base + " AND street <= :s", {**where, ":s": "ab"})[1] == expected(lambda s, n: s.encode() <= b"ab")
    assert query(ddb, base + " AND begins_with(street, :s)", {**where, ":s": "a"})[1] == expected(lambda s, n: s.startswith("a"))
    assert query(ddb, base + " AND street = :s AND #n >= :n", {**where, ":s": "a", ":n": 1})[1] == \
        expected(lambda s, n: s == "a" and n >= 1)
    assert query(ddb, base + " AND street = :s AND #n BETWEEN :lo AND :hi", {**where, ":s": "a", ":lo": -3, ":hi": 1})[1] == \
        expected(lambda s, n: s == "a" and -3 <= n <= 1)
    assert query(ddb, base + " AND street = :s AND #n < :n", {**where, ":s": "a", ":n": 1})[1] == [("a", -3)]
    # KeyConditions address it the same way.
    legacy = ddb.query(TableName="tbl", IndexName="by-place", KeyConditions={
        "country": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "jp"}]},
        "city": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "tokyo"}]},
        "street": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]},
        "number": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "1"}]}})
    assert [int(i["number"]["N"]) for i in legacy["Items"]] == [12]


def test_a_multi_attribute_index_pages_with_its_whole_key(cloud):
    ddb = cloud.client("dynamodb")
    houses_table(ddb)
    seen, start = [], None
    while True:
        out, rows = query(ddb, "country = :c AND city = :t", {":c": "jp", ":t": "tokyo"}, Limit=2,
                          **({"ExclusiveStartKey": start} if start else {}))
        seen += rows
        start = out.get("LastEvaluatedKey")
        if not start:
            break
        assert set(start) == {"pk", "country", "city", "street", "number"}
    assert seen == expected(lambda s, n: True)


def test_a_multi_attribute_key_condition_follows_the_rules(cloud):
    ddb = cloud.client("dynamodb")
    houses_table(ddb)
    with aws_error("ValidationException", "Query condition missed key schema element: city"):
        query(ddb, "country = :c", {":c": "jp"})
    with aws_error("ValidationException", "Query condition missed key schema element: street"):
        query(ddb, "country = :c AND city = :t AND #n = :n", {":c": "jp", ":t": "tokyo", ":n": 1})
    with aws_error("ValidationException", contains="the condition on street must be an equality"):
        query(ddb, "country = :c AND city = :t AND street > :s AND #n = :n", {":c": "jp", ":t": "tokyo", ":s": "a", ":n": 1})
    with aws_error("ValidationException", "Query key condition not supported"):
        query(ddb, "country = :c AND city > :t", {":c": "jp", ":t": "tokyo"})


def test_multi_attribute_key_schemas_are_checked(cloud):
    ddb = cloud.client("dynamodb")
    five = [{"AttributeName": f"h{i}", "KeyType": "HASH"} for i in range(5)]
    with aws_error("ValidationException", "One or more parameter values were invalid: The KeySchema exceeds the maximum "
                   "allowed number of HASH key attributes"):
        ddb.create_table(TableName="many", BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}] +
                         [{"AttributeName": f"h{i}", "AttributeType": "S"} for i in range(5)],
                         GlobalSecondaryIndexes=[{"IndexName": "wide", "KeySchema": five, "Projection": {"ProjectionType": "ALL"}}])
    with aws_error("ValidationException", "One or more parameter values were invalid: All HASH key attributes must precede "
                   "RANGE key attributes in the KeySchema"):
        ddb.create_table(TableName="many", BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "a", "b", "c")],
                         GlobalSecondaryIndexes=[{"IndexName": "mixed", "Projection": {"ProjectionType": "ALL"}, "KeySchema": [
                             {"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"},
                             {"AttributeName": "c", "KeyType": "HASH"}]}])
    # A table's own key stays a partition key and at most one sort key.
    with aws_error("ValidationException", contains="Member must have length less than or equal to 2"):
        ddb.create_table(TableName="many", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "HASH"},
                                    {"AttributeName": "c", "KeyType": "RANGE"}],
                         AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("a", "b", "c")])


def test_a_multi_attribute_index_added_later_is_backfilled(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb)
    for n, (country, city, street, number) in enumerate(HOUSES):
        ddb.put_item(TableName="tbl", Item={"pk": {"S": f"h{n}"}, "country": {"S": country}, "city": {"S": city},
                                            "street": {"S": street}, "number": {"N": str(number)}})
    ddb.update_table(TableName="tbl", AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in PLACE_ATTRIBUTES],
                     GlobalSecondaryIndexUpdates=[{"Create": MULTI}])
    ddb.get_waiter("table_exists").wait(TableName="tbl", WaiterConfig={"Delay": 0.05, "MaxAttempts": 100})
    for _ in range(100):
        if table(ddb)["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE":
            break
    assert query(ddb, "country = :c AND city = :t", {":c": "jp", ":t": "tokyo"})[1] == expected(lambda s, n: True)
    # Writes keep it up to date: an item moved to another street moves in the index.
    ddb.update_item(TableName="tbl", Key={"pk": {"S": "h0"}}, UpdateExpression="SET street = :z",
                    ExpressionAttributeValues={":z": {"S": "z"}})
    rows = query(ddb, "country = :c AND city = :t AND street = :s", {":c": "jp", ":t": "tokyo", ":s": "z"})[1]
    assert rows == [("z", 1)]
