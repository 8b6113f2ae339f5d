"""Global tables through boto3: replicas of version 2019.11.21 added with UpdateTable that copy the
table's items and replicate every write both ways, legacy 2017.11.29 groups with their own
operations, global table settings and replica auto scaling."""

import time

from engine_helpers import aws_error, create_table

from regionbox.testing import CloudProcess

EAST, WEST, EU = "us-east-1", "us-west-2", "eu-west-1"


def wait_for(fetch, done, attempts=400):
    for _ in range(attempts):
        value = fetch()
        if done(value):
            return value
        time.sleep(0.05)
    raise AssertionError(f"never settled: {value}")


def replica_active(ddb, name, region):
    return wait_for(lambda: ddb.describe_table(TableName=name)["Table"],
                    lambda t: any(r["RegionName"] == region and r["ReplicaStatus"] == "ACTIVE" for r in t.get("Replicas", []))
                    and t["TableStatus"] == "ACTIVE")


def global_table(cloud, name="orders", count=20):
    east, west = cloud.client("dynamodb", region=EAST), cloud.client("dynamodb", region=WEST)
    create_table(east, name, more_attributes=[("status", "S")], GlobalSecondaryIndexes=[
        {"IndexName": "by-status", "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}])
    for i in range(count):
        east.put_item(TableName=name, Item={"pk": {"S": f"k{i:03d}"}, "status": {"S": "open" if i % 2 else "closed"}, "n": {"N": str(i)}})
    answer = east.update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": WEST}}])["TableDescription"]
    assert answer["GlobalTableVersion"] == "2019.11.21"
    assert [r["RegionName"] for r in answer["Replicas"]] == [WEST]
    replica_active(east, name, WEST)
    return east, west


def scan(ddb, name):
    return {i["pk"]["S"]: i for i in ddb.scan(TableName=name, ConsistentRead=True)["Items"]}


def test_a_new_replica_has_the_items_and_replicates_both_ways(cloud):
    east, west = global_table(cloud)
    assert scan(west, "orders") == scan(east, "orders") and len(scan(west, "orders")) == 20
    described = west.describe_table(TableName="orders")["Table"]
    assert described["TableStatus"] == "ACTIVE" and described["GlobalTableVersion"] == "2019.11.21"
    assert [(r["RegionName"], r["ReplicaStatus"]) for r in described["Replicas"]] == [(EAST, "ACTIVE")]
    assert described["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert described["TableArn"].startswith(f"arn:aws:dynamodb:{WEST}:")
    assert west.query(TableName="orders", IndexName="by-status", KeyConditionExpression="#s = :o",
                      ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":o": {"S": "open"}})["Count"] == 10
    # Written in one region, read in the other.
    east.put_item(TableName="orders", Item={"pk": {"S": "from-east"}, "status": {"S": "open"}})
    west.update_item(TableName="orders", Key={"pk": {"S": "k001"}}, UpdateExpression="SET n = :n",
                     ExpressionAttributeValues={":n": {"N": "100"}})
    west.delete_item(TableName="orders", Key={"pk": {"S": "k002"}})
    assert west.get_item(TableName="orders", Key={"pk": {"S": "from-east"}}, ConsistentRead=True)["Item"]["status"] == {"S": "open"}
    assert east.get_item(TableName="orders", Key={"pk": {"S": "k001"}}, ConsistentRead=True)["Item"]["n"] == {"N": "100"}
    assert "Item" not in east.get_item(TableName="orders", Key={"pk": {"S": "k002"}}, ConsistentRead=True)
    # The last writer wins, whichever region it wrote in.
    east.put_item(TableName="orders", Item={"pk": {"S": "both"}, "v": {"S": "east"}})
    west.put_item(TableName="orders", Item={"pk": {"S": "both"}, "v": {"S": "west"}})
    assert {r.get_item(TableName="orders", Key={"pk": {"S": "both"}}, ConsistentRead=True)["Item"]["v"]["S"] for r in (east, west)} == {"west"}
    # Transactions replicate too, and each region's stream sees the writes made there and replicated.
    east.transact_write_items(TransactItems=[{"Put": {"TableName": "orders", "Item": {"pk": {"S": "tx"}}}}])
    assert "Item" in west.get_item(TableName="orders", Key={"pk": {"S": "tx"}}, ConsistentRead=True)
    streams = cloud.client("dynamodbstreams", region=WEST)
    arn = described["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records][:2] == ["from-east", "k001"]
    assert scan(west, "orders") == scan(east, "orders")


def test_a_third_replica_then_deleting_replicas(cloud):
    east, west = global_table(cloud, count=3)
    europe = cloud.client("dynamodb", region=EU)
    east.update_table(TableName="orders", ReplicaUpdates=[{"Create": {"RegionName": EU}}])
    replica_active(east, "orders", EU)
    west.put_item(TableName="orders", Item={"pk": {"S": "w"}})
    assert "Item" in europe.get_item(TableName="orders", Key={"pk": {"S": "w"}}, ConsistentRead=True)
    assert sorted(r["RegionName"] for r in europe.describe_table(TableName="orders")["Table"]["Replicas"]) == [EAST, WEST]
    # Removing a replica deletes its table there; the others stop writing to it.
    west.update_table(TableName="orders", ReplicaUpdates=[{"Delete": {"RegionName": EU}}])
    with aws_error("ResourceNotFoundException"):
        europe.describe_table(TableName="orders")
    assert [r["RegionName"] for r in east.describe_table(TableName="orders")["Table"]["Replicas"]] == [WEST]
    # Deleting a replica's table leaves the last one a plain table.
    west.delete_table(TableName="orders")
    alone = east.describe_table(TableName="orders")["Table"]
    assert "Replicas" not in alone and "GlobalTableVersion" not in alone
    east.put_item(TableName="orders", Item={"pk": {"S": "after"}})
    with aws_error("ResourceNotFoundException"):
        west.describe_table(TableName="orders")


def test_replica_updates_and_their_errors(cloud):
    east, west = global_table(cloud, count=1)
    with aws_error("ValidationException", "One or more parameter values were invalid: Replica already exists in region "
                   "us-west-2 for table orders"):
        east.update_table(TableName="orders", ReplicaUpdates=[{"Create": {"RegionName": WEST}}])
    with aws_error("ValidationException", "One or more parameter values were invalid: Invalid region: mars-east-1"):
        east.update_table(TableName="orders", ReplicaUpdates=[{"Create": {"RegionName": "mars-east-1"}}])
    with aws_error("ValidationException", "One or more parameter values were invalid: Replica does not exist in region "
                   "eu-west-1 for table orders"):
        east.update_table(TableName="orders", ReplicaUpdates=[{"Delete": {"RegionName": EU}}])
    with aws_error("ValidationException", "One or more parameter values were invalid: Disabling Stream is not allowed for "
                   "a Global Table replica."):
        west.update_table(TableName="orders", StreamSpecification={"StreamEnabled": False})
    updated = east.update_table(TableName="orders", ReplicaUpdates=[{"Update": {
        "RegionName": WEST, "TableClassOverride": "STANDARD_INFREQUENT_ACCESS",
        "OnDemandThroughputOverride": {"MaxReadRequestUnits": 50}}}])["TableDescription"]
    replica = updated["Replicas"][0]
    assert replica["ReplicaTableClassSummary"] == {"TableClass": "STANDARD_INFREQUENT_ACCESS"}
    assert replica["OnDemandThroughputOverride"] == {"MaxReadRequestUnits": 50}
    assert west.describe_table(TableName="orders")["Table"]["TableClassSummary"] == {"TableClass": "STANDARD_INFREQUENT_ACCESS"}
    # A table whose stream shows only keys cannot get replicas.
    create_table(east, "keys-only", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    with aws_error("ValidationException", "One or more parameter values were invalid: Table must have DynamoDB Streams enabled "
                   "with StreamViewType NEW_AND_OLD_IMAGES to add replicas"):
        east.update_table(TableName="keys-only", ReplicaUpdates=[{"Create": {"RegionName": WEST}}])


def test_version_2019_tables_are_not_legacy_global_tables(cloud):
    east, _ = global_table(cloud, count=1)
    with aws_error("GlobalTableNotFoundException", "Global table not found"):
        east.describe_global_table(GlobalTableName="orders")
    assert east.list_global_tables()["GlobalTables"] == []


def legacy_tables(cloud, name, regions, **extra):
    clients = {r: cloud.client("dynamodb", region=r) for r in regions}
    for client in clients.values():
        create_table(client, name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}, **extra)
    return clients


def test_legacy_global_tables(cloud):
    clients = legacy_tables(cloud, "legacy", [EAST, WEST, EU])
    east = clients[EAST]
    created = east.create_global_table(GlobalTableName="legacy", ReplicationGroup=[{"RegionName": EAST}, {"RegionName": WEST}])
    description = created["GlobalTableDescription"]
    assert description["GlobalTableArn"] == "arn:aws:dynamodb::000000000000:global-table/legacy"
    assert description["GlobalTableStatus"] == "CREATING" and description["GlobalTableName"] == "legacy"
    assert description["ReplicationGroup"] == [{"RegionName": EAST}, {"RegionName": WEST}]
    with aws_error("GlobalTableAlreadyExistsException", "Global table with this name already exists"):
        east.create_global_table(GlobalTableName="legacy", ReplicationGroup=[{"RegionName": EAST}])
    described = clients[WEST].describe_global_table(GlobalTableName="legacy")["GlobalTableDescription"]
    assert described["GlobalTableStatus"] == "ACTIVE"
    clients[WEST].put_item(TableName="legacy", Item={"pk": {"S": "a"}})
    assert "Item" in east.get_item(TableName="legacy", Key={"pk": {"S": "a"}}, ConsistentRead=True)
    # A replica joins only while its table is empty.
    clients[EU].put_item(TableName="legacy", Item={"pk": {"S": "x"}})
    with aws_error("ValidationException", "One or more parameter values were invalid: Table: legacy in region: eu-west-1 must be empty"):
        east.update_global_table(GlobalTableName="legacy", ReplicaUpdates=[{"Create": {"RegionName": EU}}])
    clients[EU].delete_item(TableName="legacy", Key={"pk": {"S": "x"}})
    updated = east.update_global_table(GlobalTableName="legacy", ReplicaUpdates=[{"Create": {"RegionName": EU}}])
    assert [r["RegionName"] for r in updated["GlobalTableDescription"]["ReplicationGroup"]] == [EAST, WEST, EU]
    east.put_item(TableName="legacy", Item={"pk": {"S": "b"}})
    assert "Item" in clients[EU].get_item(TableName="legacy", Key={"pk": {"S": "b"}}, ConsistentRead=True)
    with aws_error("ReplicaAlreadyExistsException", "Replica already exists"):
        east.update_global_table(GlobalTableName="legacy", ReplicaUpdates=[{"Create": {"RegionName": EU}}])
    with aws_error("ReplicaNotFoundException", "Replica not found"):
        east.update_global_table(GlobalTableName="legacy", ReplicaUpdates=[{"Delete": {"RegionName": "ap-northeast-1"}}])
    east.update_global_table(GlobalTableName="legacy", ReplicaUpdates=[{"Delete": {"RegionName": EU}}])
    east.put_item(TableName="legacy", Item={"pk": {"S": "c"}})
    assert "Item" not in clients[EU].get_item(TableName="legacy", Key={"pk": {"S": "c"}}, ConsistentRead=True)
    # Listing, by region and paged.
    legacy_tables(cloud, "second", [EAST])
    east.create_global_table(GlobalTableName="second", ReplicationGroup=[{"RegionName": EAST}])
    listed = east.list_global_tables()["GlobalTables"]
    assert [g["GlobalTableName"] for g in listed] == ["legacy", "second"]
    assert [g["GlobalTableName"] for g in east.list_global_tables(RegionName=WEST)["GlobalTables"]] == ["legacy"]
    first = east.list_global_tables(Limit=1)
    assert first["LastEvaluatedGlobalTableName"] == "legacy"
    rest = east.list_global_tables(ExclusiveStartGlobalTableName=first["LastEvaluatedGlobalTableName"])
    assert [g["GlobalTableName"] for g in rest["GlobalTables"]] == ["second"] and "LastEvaluatedGlobalTableName" not in rest
    with aws_error("GlobalTableNotFoundException", "Global table not found"):
        east.describe_global_table(GlobalTableName="nothing")
    with aws_error("TableNotFoundException", "Table: missing not found in region us-west-2"):
        east.create_global_table(GlobalTableName="missing", ReplicationGroup=[{"RegionName": WEST}])
    with aws_error("ValidationException", contains="The replication group must contain at least one region"):
        east.create_global_table(GlobalTableName="nowhere", ReplicationGroup=[])


def test_legacy_global_table_settings(cloud):
    throughput = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    clients = legacy_tables(cloud, "settings", [EAST, WEST], BillingMode="PROVISIONED", ProvisionedThroughput=throughput,
                            more_attributes=[("g", "S")], GlobalSecondaryIndexes=[{
                                "IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                "Projection": {"ProjectionType": "KEYS_ONLY"}, "ProvisionedThroughput": throughput}])
    east = clients[EAST]
    east.create_global_table(GlobalTableName="settings", ReplicationGroup=[{"RegionName": EAST}, {"RegionName": WEST}])
    settings = east.describe_global_table_settings(GlobalTableName="settings")
    assert [s["RegionName"] for s in settings["ReplicaSettings"]] == [EAST, WEST]
    assert settings["ReplicaSettings"][0]["ReplicaProvisionedWriteCapacityUnits"] == 5
    updated = east.update_global_table_settings(
        GlobalTableName="settings", GlobalTableProvisionedWriteCapacityUnits=12,
        GlobalTableGlobalSecondaryIndexSettingsUpdate=[{"IndexName": "by-g", "ProvisionedWriteCapacityUnits": 7}],
        ReplicaSettingsUpdate=[{"RegionName": WEST, "ReplicaProvisionedReadCapacityUnits": 9,
                                "ReplicaProvisionedReadCapacityAutoScalingSettingsUpdate": {"MinimumUnits": 1, "MaximumUnits": 20}}])
    west = next(s for s in updated["ReplicaSettings"] if s["RegionName"] == WEST)
    assert (west["ReplicaProvisionedReadCapacityUnits"], west["ReplicaProvisionedWriteCapacityUnits"]) == (9, 12)
    assert west["ReplicaProvisionedReadCapacityAutoScalingSettings"] == {"MinimumUnits": 1, "MaximumUnits": 20}
    assert west["ReplicaGlobalSecondaryIndexSettings"][0]["ProvisionedWriteCapacityUnits"] == 7
    table = clients[WEST].describe_table(TableName="settings")["Table"]
    assert (table["ProvisionedThroughput"]["ReadCapacityUnits"], table["ProvisionedThroughput"]["WriteCapacityUnits"]) == (9, 12)
    with aws_error("ReplicaNotFoundException", "Replica not found"):
        east.update_global_table_settings(GlobalTableName="settings", ReplicaSettingsUpdate=[
            {"RegionName": EU, "ReplicaProvisionedReadCapacityUnits": 3}])
    with aws_error("IndexNotFoundException", "Index not found: nope"):
        east.update_global_table_settings(GlobalTableName="settings", GlobalTableGlobalSecondaryIndexSettingsUpdate=[
            {"IndexName": "nope", "ProvisionedWriteCapacityUnits": 3}])
    with aws_error("GlobalTableNotFoundException"):
        east.describe_global_table_settings(GlobalTableName="nothing")


def test_replica_auto_scaling_settings(cloud):
    east, west = cloud.client("dynamodb", region=EAST), cloud.client("dynamodb", region=WEST)
    throughput = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    create_table(east, "scaled", BillingMode="PROVISIONED", ProvisionedThroughput=throughput)
    east.update_table(TableName="scaled", ReplicaUpdates=[{"Create": {"RegionName": WEST}}])
    replica_active(east, "scaled", WEST)
    before = east.describe_table_replica_auto_scaling(TableName="scaled")["TableAutoScalingDescription"]
    assert [r["RegionName"] for r in before["Replicas"]] == [EAST, WEST]
    assert "ReplicaProvisionedWriteCapacityAutoScalingSettings" not in before["Replicas"][0]
    policy = {"TargetTrackingScalingPolicyConfiguration": {"TargetValue": 70.0}}
    after = east.update_table_replica_auto_scaling(
        TableName="scaled",
        ProvisionedWriteCapacityAutoScalingUpdate={"MinimumUnits": 5, "MaximumUnits": 50, "ScalingPolicyUpdate": policy},
        ReplicaUpdates=[{"RegionName": WEST, "ReplicaProvisionedReadCapacityAutoScalingUpdate": {"MinimumUnits": 2, "MaximumUnits": 8}}],
    )["TableAutoScalingDescription"]
    by_region = {r["RegionName"]: r for r in after["Replicas"]}
    assert by_region[EAST]["ReplicaProvisionedWriteCapacityAutoScalingSettings"] == {
        "MinimumUnits": 5, "MaximumUnits": 50,
        "ScalingPolicies": [{"PolicyName": "DynamoDBWriteCapacityUtilization", "TargetTrackingScalingPolicyConfiguration": {"TargetValue": 70.0}}]}
    assert by_region[WEST]["ReplicaProvisionedReadCapacityAutoScalingSettings"] == {"MinimumUnits": 2, "MaximumUnits": 8}
    seen_from_west = west.describe_table_replica_auto_scaling(TableName="scaled")["TableAutoScalingDescription"]
    assert {r["RegionName"]: r for r in seen_from_west["Replicas"]}[WEST]["ReplicaProvisionedReadCapacityAutoScalingSettings"] == {
        "MinimumUnits": 2, "MaximumUnits": 8}
    with aws_error("ValidationException", "One or more parameter values were invalid: MinimumUnits must be less than or equal to MaximumUnits"):
        east.update_table_replica_auto_scaling(TableName="scaled", ProvisionedWriteCapacityAutoScalingUpdate={"MinimumUnits": 9, "MaximumUnits": 3})
    with aws_error("ResourceNotFoundException"):
        east.describe_table_replica_auto_scaling(TableName="nothing")


def test_adding_a_replica_needs_create_table_replica(cloud):
    import json

    root = cloud.client("dynamodb", account="111111111111")
    create_table(root, "guarded")
    iam = cloud.client("iam", account="111111111111")
    iam.create_user(UserName="dev")
    table = "arn:aws:dynamodb:us-east-1:111111111111:table/guarded"
    iam.put_user_policy(UserName="dev", PolicyName="update", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["dynamodb:UpdateTable", "dynamodb:DescribeTable"], "Resource": table}]}))
    pair = iam.create_access_key(UserName="dev")["AccessKey"]
    dev = cloud.client("dynamodb", access_key=pair["AccessKeyId"], secret_key=pair["SecretAccessKey"])
    with aws_error("AccessDeniedException", "User: arn:aws:iam::111111111111:user/dev is not authorized to perform: "
                   f"dynamodb:CreateTableReplica on resource: {table} because no identity-based policy allows the "
                   "dynamodb:CreateTableReplica action"):
        dev.update_table(TableName="guarded", ReplicaUpdates=[{"Create": {"RegionName": WEST}}])
    iam.put_user_policy(UserName="dev", PolicyName="replicas", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "dynamodb:CreateTableReplica", "Resource": table}]}))
    dev.update_table(TableName="guarded", ReplicaUpdates=[{"Create": {"RegionName": WEST}}])
    replica_active(dev, "guarded", WEST)


def test_settings_follow_every_replica(cloud):
    east, west = global_table(cloud, count=4)
    east.update_table(TableName="orders", AttributeDefinitions=[{"AttributeName": "n", "AttributeType": "N"}],
                      GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "by-n", "KeySchema": [{"AttributeName": "n", "KeyType": "HASH"}],
                                                               "Projection": {"ProjectionType": "KEYS_ONLY"}}}])
    index = wait_for(lambda: {i["IndexName"]: i for i in west.describe_table(TableName="orders")["Table"]["GlobalSecondaryIndexes"]},
                     lambda found: found.get("by-n", {}).get("IndexStatus") == "ACTIVE")["by-n"]
    assert index["ItemCount"] == 4
    assert west.query(TableName="orders", IndexName="by-n", KeyConditionExpression="n = :n",
                      ExpressionAttributeValues={":n": {"N": "3"}})["Items"] == [{"pk": {"S": "k003"}, "n": {"N": "3"}}]
    east.update_time_to_live(TableName="orders", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    assert west.describe_time_to_live(TableName="orders")["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    described = west.describe_table(TableName="orders")["Table"]
    assert described["MultiRegionConsistency"] == "EVENTUAL"
    assert described["GlobalTableSettingsReplicationMode"] == "ENABLED_WITH_OVERRIDES"
    assert described["Replicas"][0]["ReplicaArn"] == east.describe_table(TableName="orders")["Table"]["TableArn"]


def test_multi_region_strong_consistency_with_a_witness(cloud):
    east, ohio = cloud.client("dynamodb", region=EAST), cloud.client("dynamodb", region="us-east-2")
    create_table(east, "strong")
    with aws_error("ValidationException", "One or more parameter values were invalid: A multi-Region strong consistency global "
                   "table needs exactly three Regions: three replicas, or two replicas and one witness"):
        east.update_table(TableName="strong", MultiRegionConsistency="STRONG", ReplicaUpdates=[{"Create": {"RegionName": "us-east-2"}}])
    with aws_error("ValidationException", "One or more parameter values were invalid: MultiRegionConsistency can only be "
                   "specified when creating a global table with Create actions in ReplicaUpdates"):
        east.update_table(TableName="strong", MultiRegionConsistency="STRONG")
    east.update_table(TableName="strong", MultiRegionConsistency="STRONG", ReplicaUpdates=[{"Create": {"RegionName": "us-east-2"}}],
                      GlobalTableWitnessUpdates=[{"Create": {"RegionName": WEST}}])
    described = replica_active(east, "strong", "us-east-2")
    assert described["MultiRegionConsistency"] == "STRONG"
    assert described["GlobalTableWitnesses"] == [{"RegionName": WEST, "WitnessStatus": "ACTIVE"}]
    east.put_item(TableName="strong", Item={"pk": {"S": "x"}})
    assert ohio.get_item(TableName="strong", Key={"pk": {"S": "x"}}, ConsistentRead=True)["Item"] == {"pk": {"S": "x"}}
    assert ohio.describe_table(TableName="strong")["Table"]["GlobalTableWitnesses"][0]["RegionName"] == WEST
    with aws_error("ResourceNotFoundException"):  # a witness holds no table
        cloud.client("dynamodb", region=WEST).describe_table(TableName="strong")


def test_a_multi_account_global_table(cloud):
    import json

    owner, other = "111111111111", "222222222222"
    east = cloud.client("dynamodb", region=EAST, account=owner)
    west = cloud.client("dynamodb", region=WEST, account=other)
    create_table(east, "shared")
    for i in range(5):
        east.put_item(TableName="shared", Item={"pk": {"S": f"k{i}"}})
    source = east.describe_table(TableName="shared")["Table"]["TableArn"]
    replica = {"TableName": "shared", "GlobalTableSourceArn": source, "GlobalTableSettingsReplicationMode": "ENABLED"}
    with aws_error("AccessDeniedException", contains="dynamodb:AssociateTableReplica"):
        west.create_table(**replica)  # the source's resource policy does not let the other account in yet
    east.put_resource_policy(ResourceArn=source, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{other}:root"}, "Action": "dynamodb:AssociateTableReplica",
        "Resource": source}]}))
    with aws_error("ValidationException", "One or more parameter values were invalid: The source table's "
                   "GlobalTableSettingsReplicationMode must be ENABLED"):
        west.create_table(**replica)
    east.update_table(TableName="shared", GlobalTableSettingsReplicationMode="ENABLED")
    assert east.describe_table(TableName="shared")["Table"]["GlobalTableSettingsReplicationMode"] == "ENABLED"
    created = west.create_table(**replica)["TableDescription"]
    assert created["TableArn"] == f"arn:aws:dynamodb:{WEST}:{other}:table/shared"
    described = replica_active(west, "shared", EAST)
    assert described["Replicas"][0]["ReplicaArn"] == source and described["GlobalTableSettingsReplicationMode"] == "ENABLED"
    assert len(west.scan(TableName="shared", ConsistentRead=True)["Items"]) == 5
    west.put_item(TableName="shared", Item={"pk": {"S": "from-other"}})
    assert "Item" in east.get_item(TableName="shared", Key={"pk": {"S": "from-other"}}, ConsistentRead=True)
    east.delete_item(TableName="shared", Key={"pk": {"S": "k0"}})
    assert "Item" not in west.get_item(TableName="shared", Key={"pk": {"S": "k0"}}, ConsistentRead=True)
    seen_by_owner = east.describe_table(TableName="shared")["Table"]["Replicas"]
    assert [(r["RegionName"], r["ReplicaArn"]) for r in seen_by_owner] == [(WEST, created["TableArn"])]
    # The other account's replica leaves when its table is deleted.
    west.delete_table(TableName="shared")
    assert "Replicas" not in east.describe_table(TableName="shared")["Table"]


def test_a_global_table_replicates_after_a_kill_9(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    try:
        east = process.client("dynamodb", region=EAST)
        create_table(east, "durable")
        east.put_item(TableName="durable", Item={"pk": {"S": "before"}})
        east.update_table(TableName="durable", ReplicaUpdates=[{"Create": {"RegionName": WEST}}])
        replica_active(east, "durable", WEST)
        process.kill9()
        process.start()
        east, west = process.client("dynamodb", region=EAST), process.client("dynamodb", region=WEST)
        west.put_item(TableName="durable", Item={"pk": {"S": "after"}})
        assert {i["pk"]["S"] for i in east.scan(TableName="durable", ConsistentRead=True)["Items"]} == {"before", "after"}
        assert [r["RegionName"] for r in west.describe_table(TableName="durable")["Table"]["Replicas"]] == [EAST]
    finally:
        process.stop()


def test_disassociating_a_replica_keeps_both_tables(cloud):
    east, west = global_table(cloud, count=3)
    assert west.describe_table(TableName="orders")["Table"]["DisassociationProtectionEnabled"] is True
    disassociate = [{"Disassociate": {"RegionName": WEST, "DisassociationMode": "WAIT_FOR_REPLICATION"}}]
    with aws_error("ValidationException", "One or more parameter values were invalid: Disassociation protection is enabled "
                   "for this replica; disable it with DisassociationProtectionEnabled first"):
        west.update_table(TableName="orders", ReplicaUpdates=disassociate)
    with aws_error("ValidationException", "One or more parameter values were invalid: DisassociationProtectionEnabled cannot "
                   "be combined with any other change in the same UpdateTable request"):
        west.update_table(TableName="orders", DisassociationProtectionEnabled=False, DeletionProtectionEnabled=True)
    west.update_table(TableName="orders", DisassociationProtectionEnabled=False)
    with aws_error("ValidationException", "One or more parameter values were invalid: A Disassociate action must name the "
                   "Region of the replica the request is sent to: us-east-1"):
        east.update_table(TableName="orders", ReplicaUpdates=disassociate)
    west.update_table(TableName="orders", ReplicaUpdates=disassociate)
    for client in (east, west):
        table = client.describe_table(TableName="orders")["Table"]
        assert "Replicas" not in table and "GlobalTableVersion" not in table and table["ItemCount"] == 3
    west.put_item(TableName="orders", Item={"pk": {"S": "only-west"}})
    assert "Item" not in east.get_item(TableName="orders", Key={"pk": {"S": "only-west"}}, ConsistentRead=True)


def test_cli_replicas(cloud):
    from test_cli import aws

    aws(cloud, "dynamodb", "create-table", "--table-name", "cli-global", "--billing-mode", "PAY_PER_REQUEST",
        "--attribute-definitions", "AttributeName=id,AttributeType=S", "--key-schema", "AttributeName=id,KeyType=HASH")
    wait_for(lambda: aws(cloud, "dynamodb", "describe-table", "--table-name", "cli-global")["Table"]["TableStatus"],
             lambda status: status == "ACTIVE")
    answer = aws(cloud, "dynamodb", "update-table", "--table-name", "cli-global", "--replica-updates", f"Create={{RegionName={WEST}}}")
    assert answer["TableDescription"]["Replicas"][0]["RegionName"] == WEST
    replica_active(cloud.client("dynamodb"), "cli-global", WEST)
    aws(cloud, "dynamodb", "put-item", "--table-name", "cli-global", "--item", '{"id": {"S": "1"}}')
    west = aws(cloud, "--region", WEST, "dynamodb", "get-item", "--table-name", "cli-global", "--key", '{"id": {"S": "1"}}',
               "--consistent-read")
    assert west["Item"] == {"id": {"S": "1"}}
    assert aws(cloud, "dynamodb", "list-global-tables")["GlobalTables"] == []
