"""DynamoDB control plane through boto3: tables, indexes, billing, TTL settings, tags."""

import time

from engine_helpers import aws_error, create_table, dynamodb_state


def test_create_describe_list_delete(cloud):
    ddb = cloud.client("dynamodb")
    out = ddb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7},
        Tags=[{"Key": "team", "Value": "core"}],
    )["TableDescription"]
    assert out["TableStatus"] == "CREATING"
    assert out["TableArn"] == "arn:aws:dynamodb:us-east-1:000000000000:table/orders"
    assert out["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    ddb.get_waiter("table_exists").wait(TableName="orders", WaiterConfig={"Delay": 0.05, "MaxAttempts": 100})
    table = ddb.describe_table(TableName="orders")["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["ItemCount"] == 0 and table["TableSizeBytes"] == 0
    assert table["KeySchema"][1] == {"AttributeName": "sk", "KeyType": "RANGE"}
    assert ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"] == [{"Key": "team", "Value": "core"}]
    assert ddb.list_tables()["TableNames"] == ["orders"]
    # A table ARN is accepted wherever a table name is.
    assert ddb.describe_table(TableName=table["TableArn"])["Table"]["TableName"] == "orders"
    deleted = ddb.delete_table(TableName="orders")["TableDescription"]
    assert deleted["TableStatus"] == "DELETING"
    with aws_error("ResourceNotFoundException", "Requested resource not found: Table: orders not found"):
        ddb.describe_table(TableName="orders")


def test_item_count_and_size(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb)
    for i in range(3):
        ddb.put_item(TableName="tbl", Item={"pk": {"S": f"k{i}"}, "v": {"N": "1"}})
    table = ddb.describe_table(TableName="tbl")["Table"]
    assert table["ItemCount"] == 3
    # "pk" (2) + "k0" (2) + "v" (1) + number 1 (2 bytes) = 7 bytes each
    assert table["TableSizeBytes"] == 21


def test_create_errors(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb)
    with aws_error("ResourceInUseException", "Table already exists: tbl"):
        create_table(ddb)
    with aws_error("ValidationException", contains="Some index key attributes are not defined in AttributeDefinitions"):
        ddb.create_table(TableName="tbx", KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "b", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    with aws_error("ValidationException", "One or more parameter values were invalid: Number of attributes in KeySchema does "
                   "not exactly match number of attributes defined in AttributeDefinitions"):
        ddb.create_table(TableName="tbx", KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"},
                                               {"AttributeName": "b", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    with aws_error("ValidationException", "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits "
                   "must both be specified when BillingMode is PROVISIONED"):
        ddb.create_table(TableName="tbx", KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}])
    with aws_error("ValidationException", "One or more parameter values were invalid: Table KeySchema does not have a range key, "
                   "which is required when specifying a LocalSecondaryIndex"):
        ddb.create_table(TableName="tbx", KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
                         LocalSecondaryIndexes=[{"IndexName": "lsi1", "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
                                                 "Projection": {"ProjectionType": "ALL"}}])
    with aws_error("ResourceNotFoundException", "Requested resource not found"):
        ddb.get_item(TableName="missing", Key={"pk": {"S": "a"}})


def test_list_tables_pagination(cloud):
    ddb = cloud.client("dynamodb")
    names = ["tab1", "tab2", "tab3", "tab4", "tab5"]
    for name in names:
        create_table(ddb, name)
    first = ddb.list_tables(Limit=2)
    assert first["TableNames"] == ["tab1", "tab2"] and first["LastEvaluatedTableName"] == "tab2"
    second = ddb.list_tables(Limit=2, ExclusiveStartTableName="tab2")
    assert second["TableNames"] == ["tab3", "tab4"]
    last = ddb.list_tables(Limit=2, ExclusiveStartTableName="tab4")
    assert last["TableNames"] == ["tab5"] and "LastEvaluatedTableName" not in last
    paged = [n for page in ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2}) for n in page["TableNames"]]
    assert paged == names


def test_gsi_added_by_update_table_is_backfilled(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb)
    for i in range(1200):  # more than one backfill chunk
        ddb.put_item(TableName="tbl", Item={"pk": {"S": f"k{i}"}, "colour": {"S": "red" if i % 3 else "blue"}})
    out = ddb.update_table(
        TableName="tbl",
        AttributeDefinitions=[{"AttributeName": "colour", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "by-colour",
                                                 "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                                                 "Projection": {"ProjectionType": "KEYS_ONLY"}}}],
    )["TableDescription"]
    index = out["GlobalSecondaryIndexes"][0]
    assert out["TableStatus"] == "UPDATING"
    assert index["IndexStatus"] == "CREATING" and index["Backfilling"] is True
    deadline = time.time() + 30
    while ddb.describe_table(TableName="tbl")["Table"]["GlobalSecondaryIndexes"][0]["IndexStatus"] != "ACTIVE":
        assert time.time() < deadline
        time.sleep(0.05)
    table = ddb.describe_table(TableName="tbl")["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["GlobalSecondaryIndexes"][0]["ItemCount"] == 1200
    blue = ddb.query(TableName="tbl", IndexName="by-colour", KeyConditionExpression="colour = :c",
                     ExpressionAttributeValues={":c": {"S": "blue"}}, Select="COUNT")
    assert blue["Count"] == 400
    out = ddb.update_table(TableName="tbl", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-colour"}}])
    assert out["TableDescription"]["GlobalSecondaryIndexes"][0]["IndexStatus"] == "DELETING"
    deadline = time.time() + 30
    while "GlobalSecondaryIndexes" in ddb.describe_table(TableName="tbl")["Table"]:
        assert time.time() < deadline
        time.sleep(0.05)
    with aws_error("ValidationException", "The table does not have the specified index: by-colour"):
        ddb.query(TableName="tbl", IndexName="by-colour", KeyConditionExpression="colour = :c",
                  ExpressionAttributeValues={":c": {"S": "blue"}})


def test_billing_mode_and_throughput_changes(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb, BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    out = ddb.update_table(TableName="tbl", BillingMode="PAY_PER_REQUEST")["TableDescription"]
    assert out["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert out["ProvisionedThroughput"]["ReadCapacityUnits"] == 0
    out = ddb.update_table(TableName="tbl", BillingMode="PROVISIONED",
                           ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4})["TableDescription"]
    assert out["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert out["ProvisionedThroughput"]["WriteCapacityUnits"] == 4


def test_deletion_protection(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb, DeletionProtectionEnabled=True)
    assert ddb.describe_table(TableName="tbl")["Table"]["DeletionProtectionEnabled"] is True
    with aws_error("ValidationException", "Resource cannot be deleted as it is currently protected against deletion. "
                                          "Disable deletion protection first."):
        ddb.delete_table(TableName="tbl")
    assert ddb.describe_table(TableName="tbl")["Table"]["TableStatus"] == "ACTIVE"
    ddb.update_table(TableName="tbl", DeletionProtectionEnabled=False)
    ddb.delete_table(TableName="tbl")


def test_ttl_settings(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb)
    assert ddb.describe_time_to_live(TableName="tbl")["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    out = ddb.update_time_to_live(TableName="tbl", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    assert out["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires"}
    assert ddb.describe_time_to_live(TableName="tbl")["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED",
                                                                                 "AttributeName": "expires"}
    with aws_error("ValidationException", "TimeToLive is already enabled"):
        ddb.update_time_to_live(TableName="tbl", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})


def test_tags(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb)
    arn = ddb.describe_table(TableName="tbl")["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    ddb.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    with aws_error("ResourceNotFoundException"):
        ddb.list_tags_of_resource(ResourceArn=arn + "x")


def test_limits_endpoints_and_isolation(cloud):
    ddb = cloud.client("dynamodb")
    assert ddb.describe_limits()["TableMaxReadCapacityUnits"] == 40000
    assert ddb.describe_endpoints()["Endpoints"][0]["CachePeriodInMinutes"] == 1440
    create_table(ddb)
    assert cloud.client("dynamodb", account="111111111111").list_tables()["TableNames"] == []
    assert cloud.client("dynamodb", region="eu-west-1").list_tables()["TableNames"] == []


def test_creating_is_a_real_state(cloud):
    ddb = cloud.client("dynamodb")
    cloud.cloud.config.dynamodb_create_delay = 0.5
    try:
        ddb.create_table(TableName="slow", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        assert ddb.describe_table(TableName="slow")["Table"]["TableStatus"] == "CREATING"
        with aws_error("ResourceNotFoundException"):
            ddb.put_item(TableName="slow", Item={"pk": {"S": "a"}})
        deadline = time.time() + 10
        while ddb.describe_table(TableName="slow")["Table"]["TableStatus"] != "ACTIVE":
            assert time.time() < deadline
            time.sleep(0.05)
    finally:
        cloud.cloud.config.dynamodb_create_delay = 0.0


BY_COLOUR = {"Create": {"IndexName": "by-colour", "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "ALL"}}}


def wait_for(ddb, done, seconds=10.0):
    """DescribeTable until ``done(table)``; the last description."""
    deadline = time.time() + seconds
    while True:
        table = ddb.describe_table(TableName="tbl")["Table"]
        if done(table):
            return table
        assert time.time() < deadline, f"still {table['TableStatus']}: {table.get('GlobalSecondaryIndexes')}"
        time.sleep(0.05)


def test_a_failed_backfill_drops_the_index_and_the_table_is_active_again(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb)
    for i in range(1200):  # more than one backfill chunk: the failure comes half way
        ddb.put_item(TableName="tbl", Item={"pk": {"S": f"k{i}"}, "colour": {"S": "red" if i % 3 else "blue"}})
    items = dynamodb_state(cloud).items
    real_chunk = items.backfill_chunk
    chunks = []

    def failing_chunk(*args, **kwargs):
        chunks.append(args)
        if len(chunks) > 1:
            raise OSError("disk I/O error")
        return real_chunk(*args, **kwargs)

    items.backfill_chunk = failing_chunk
    try:
        out = ddb.update_table(TableName="tbl", AttributeDefinitions=[{"AttributeName": "colour", "AttributeType": "S"}],
                               GlobalSecondaryIndexUpdates=[BY_COLOUR])["TableDescription"]
        assert out["TableStatus"] == "UPDATING" and out["GlobalSecondaryIndexes"][0]["IndexStatus"] == "CREATING"
        # IndexStatus has no failed value: the index goes away and the table is ACTIVE again.
        table = wait_for(ddb, lambda t: t["TableStatus"] == "ACTIVE")
    finally:
        del items.backfill_chunk
    assert "GlobalSecondaryIndexes" not in table and len(chunks) == 2
    with aws_error("ValidationException", "The table does not have the specified index: by-colour"):
        ddb.query(TableName="tbl", IndexName="by-colour", KeyConditionExpression="colour = :c",
                  ExpressionAttributeValues={":c": {"S": "blue"}})
    failures = cloud.get("/_regionbox/status")["background_failures"]
    assert any(f["owner"] == "dynamodb" and "by-colour" in f["what"] and "disk I/O error" in f["error"] for f in failures)
    # The table takes writes and the same index can be created again, complete.
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "late"}, "colour": {"S": "blue"}})
    ddb.update_table(TableName="tbl", GlobalSecondaryIndexUpdates=[BY_COLOUR])
    table = wait_for(ddb, lambda t: t["TableStatus"] == "ACTIVE" and t.get("GlobalSecondaryIndexes"))
    assert table["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"
    blue = ddb.query(TableName="tbl", IndexName="by-colour", KeyConditionExpression="colour = :c",
                     ExpressionAttributeValues={":c": {"S": "blue"}}, Select="COUNT")
    assert blue["Count"] == 401


def test_an_index_whose_rows_cannot_be_deleted_still_leaves_the_table(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb, more_attributes=[("colour", "S")], GlobalSecondaryIndexes=[
        {"IndexName": "by-colour", "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "ALL"}}])
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "a"}, "colour": {"S": "blue"}})
    items = dynamodb_state(cloud).items

    def failing_drop(xid):
        raise OSError("disk I/O error")

    items.drop_index = failing_drop
    try:
        out = ddb.update_table(TableName="tbl", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-colour"}}])
        assert out["TableDescription"]["GlobalSecondaryIndexes"][0]["IndexStatus"] == "DELETING"
        table = wait_for(ddb, lambda t: t["TableStatus"] == "ACTIVE")
    finally:
        del items.drop_index
    assert "GlobalSecondaryIndexes" not in table
    assert ddb.get_item(TableName="tbl", Key={"pk": {"S": "a"}})["Item"]["colour"] == {"S": "blue"}


def test_a_table_that_cannot_become_active_is_removed(cloud):
    ddb = cloud.client("dynamodb")
    state = dynamodb_state(cloud)
    cloud.cloud.config.dynamodb_create_delay = 0.3
    real_save = state.save

    def failing_save(scope, table):
        if table.status == "ACTIVE":
            raise OSError("disk I/O error")
        real_save(scope, table)

    state.save = failing_save
    try:
        out = ddb.create_table(TableName="tbl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                               AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                               BillingMode="PAY_PER_REQUEST")
        assert out["TableDescription"]["TableStatus"] == "CREATING"
        deadline = time.time() + 10
        while "tbl" in ddb.list_tables()["TableNames"]:
            try:  # until it is gone it is CREATING, never ACTIVE; it may go between the two calls
                assert ddb.describe_table(TableName="tbl")["Table"]["TableStatus"] == "CREATING"
            except ddb.exceptions.ResourceNotFoundException:
                break
            assert time.time() < deadline
            time.sleep(0.05)
    finally:
        del state.save
        cloud.cloud.config.dynamodb_create_delay = 0.0
    with aws_error("ResourceNotFoundException"):
        ddb.describe_table(TableName="tbl")
    create_table(ddb)  # the name is free again
    assert ddb.describe_table(TableName="tbl")["Table"]["TableStatus"] == "ACTIVE"
