"""DynamoDB Streams through the dynamodbstreams API: records, view types, iterators, rollover."""

import time

import pytest
from engine_helpers import aws_error, create_table, dynamodb_state


def stream_table(cloud, view="NEW_AND_OLD_IMAGES", name="tbl"):
    ddb = cloud.client("dynamodb")
    create_table(ddb, name, StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
    return ddb, ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]


def read_all(streams, arn, iterator_type="TRIM_HORIZON"):
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType=iterator_type)["ShardIterator"]
        while iterator:
            out = streams.get_records(ShardIterator=iterator)
            records += out["Records"]
            if not out["Records"]:
                break
            iterator = out.get("NextShardIterator")
    return records


def test_insert_modify_remove_with_images(cloud):
    ddb, arn = stream_table(cloud)
    streams = cloud.client("dynamodbstreams")
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    ddb.update_item(TableName="tbl", Key={"pk": {"S": "a"}}, UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "2"}})
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "a"}, "v": {"N": "2"}})  # no change: no record, as on AWS
    ddb.delete_item(TableName="tbl", Key={"pk": {"S": "a"}})
    records = read_all(streams, arn)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    insert, modify, remove = records
    assert insert["eventSource"] == "aws:dynamodb" and insert["awsRegion"] == "us-east-1"
    assert insert["dynamodb"]["Keys"] == {"pk": {"S": "a"}}
    assert insert["dynamodb"]["NewImage"] == {"pk": {"S": "a"}, "v": {"N": "1"}} and "OldImage" not in insert["dynamodb"]
    assert modify["dynamodb"]["OldImage"]["v"] == {"N": "1"} and modify["dynamodb"]["NewImage"]["v"] == {"N": "2"}
    assert remove["dynamodb"]["OldImage"]["v"] == {"N": "2"} and "NewImage" not in remove["dynamodb"]
    sequence = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert sequence == sorted(sequence) and len(set(sequence)) == 3
    assert all(r["dynamodb"]["SizeBytes"] > 0 for r in records)
    assert all(r["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES" for r in records)


@pytest.mark.parametrize("view,new,old", [("KEYS_ONLY", False, False), ("NEW_IMAGE", True, False), ("OLD_IMAGE", False, True)])
def test_view_types(cloud, view, new, old):
    ddb, arn = stream_table(cloud, view)
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "a"}, "v": {"N": "2"}})
    modify = read_all(cloud.client("dynamodbstreams"), arn)[1]["dynamodb"]
    assert ("NewImage" in modify) is new and ("OldImage" in modify) is old
    assert modify["Keys"] == {"pk": {"S": "a"}}


def test_iterator_types_and_limit(cloud):
    ddb, arn = stream_table(cloud)
    streams = cloud.client("dynamodbstreams")
    for i in range(5):
        ddb.put_item(TableName="tbl", Item={"pk": {"S": f"k{i}"}})
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    first = streams.get_records(ShardIterator=it, Limit=2)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in first["Records"]] == ["k0", "k1"]
    second = streams.get_records(ShardIterator=first["NextShardIterator"], Limit=10)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in second["Records"]] == ["k2", "k3", "k4"]
    seq = first["Records"][1]["dynamodb"]["SequenceNumber"]
    at = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=seq)
    assert streams.get_records(ShardIterator=at["ShardIterator"])["Records"][0]["dynamodb"]["SequenceNumber"] == seq
    after = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=seq)
    assert streams.get_records(ShardIterator=after["ShardIterator"])["Records"][0]["dynamodb"]["Keys"] == {"pk": {"S": "k2"}}
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    empty = streams.get_records(ShardIterator=latest)
    assert empty["Records"] == [] and empty["NextShardIterator"]
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "new"}})
    assert streams.get_records(ShardIterator=empty["NextShardIterator"])["Records"][0]["dynamodb"]["Keys"] == {"pk": {"S": "new"}}


def test_list_streams_and_errors(cloud):
    ddb, arn = stream_table(cloud, name="orders")
    stream_table(cloud, name="other")
    streams = cloud.client("dynamodbstreams")
    listed = streams.list_streams(TableName="orders")["Streams"]
    assert listed == [{"StreamArn": arn, "TableName": "orders", "StreamLabel": arn.split("/stream/")[1]}]
    assert len(streams.list_streams()["Streams"]) == 2
    page = streams.list_streams(Limit=1)
    assert len(page["Streams"]) == 1 and "LastEvaluatedStreamArn" in page
    with aws_error("ResourceNotFoundException"):
        streams.describe_stream(StreamArn=arn + "x")
    with aws_error("ValidationException"):
        streams.get_records(ShardIterator="not-an-iterator" * 2)


def test_expired_iterator(cloud):
    ddb, arn = stream_table(cloud)
    streams = cloud.client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    state = dynamodb_state(cloud)
    iterator = state.streams._encode_iterator(("000000000000", "us-east-1"), arn, shard, 0)
    payload = cloud.cloud.paginator.decode(iterator)
    payload["t"] -= 16 * 60  # issued 16 minutes ago
    with aws_error("ExpiredIteratorException", contains="Iterator expired"):
        streams.get_records(ShardIterator=cloud.cloud.paginator.encode(payload))


def test_shard_rollover_keeps_every_record_in_order(cloud):
    state = dynamodb_state(cloud)
    state.streams.shard_max_records = 4
    try:
        ddb, arn = stream_table(cloud)
        for i in range(10):
            ddb.put_item(TableName="tbl", Item={"pk": {"S": "k"}, "n": {"N": str(i)}})
        streams = cloud.client("dynamodbstreams")
        shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        assert len(shards) == 3
        assert "ParentShardId" not in shards[0]
        assert shards[1]["ParentShardId"] == shards[0]["ShardId"] and shards[2]["ParentShardId"] == shards[1]["ShardId"]
        assert "EndingSequenceNumber" in shards[0]["SequenceNumberRange"]
        assert "EndingSequenceNumber" not in shards[2]["SequenceNumberRange"]
        # A closed shard read to its end has no NextShardIterator: the reader moves to the child.
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shards[0]["ShardId"], ShardIteratorType="TRIM_HORIZON")
        out = streams.get_records(ShardIterator=it["ShardIterator"])
        assert len(out["Records"]) == 4 and "NextShardIterator" not in out
        records = read_all(streams, arn)
        assert [r["dynamodb"]["NewImage"]["n"]["N"] for r in records] == [str(i) for i in range(10)]
        children = streams.describe_stream(StreamArn=arn, ShardFilter={"Type": "CHILD_SHARDS", "ShardId": shards[0]["ShardId"]})
        assert [s["ShardId"] for s in children["StreamDescription"]["Shards"]] == [shards[1]["ShardId"]]
    finally:
        state.streams.shard_max_records = 0


def test_disable_and_reenable_stream(cloud):
    ddb, arn = stream_table(cloud)
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "a"}})
    ddb.update_table(TableName="tbl", StreamSpecification={"StreamEnabled": False})
    streams = cloud.client("dynamodbstreams")
    assert streams.describe_stream(StreamArn=arn)["StreamDescription"]["StreamStatus"] == "DISABLED"
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "b"}})
    assert len(read_all(streams, arn)) == 1  # still readable, nothing new
    out = ddb.update_table(TableName="tbl", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    assert out["TableDescription"]["LatestStreamArn"] != arn
    with aws_error("ValidationException", contains="already has an enabled stream"):
        ddb.update_table(TableName="tbl", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})


def test_records_are_published_on_the_bus(cloud):
    seen = []
    unsubscribe = cloud.cloud.bus.subscribe("dynamodb.stream", lambda topic, payload: seen.append(payload))
    try:
        ddb, arn = stream_table(cloud)
        ddb.put_item(TableName="tbl", Item={"pk": {"S": "a"}})
        deadline = time.time() + 5
        while not seen and time.time() < deadline:
            time.sleep(0.01)
        assert seen[0]["stream_arn"] == arn and seen[0]["table_name"] == "tbl"
        assert seen[0]["account"] == "000000000000" and seen[0]["record"]["eventName"] == "INSERT"
    finally:
        unsubscribe()


def test_records_carry_creation_time_and_keep_write_order_per_item(cloud):
    ddb, arn = stream_table(cloud)
    before = time.time()
    for n in range(3):
        for key in ("a", "b"):
            ddb.put_item(TableName="tbl", Item={"pk": {"S": key}, "n": {"N": str(n)}})
    after = time.time()
    records = read_all(cloud.client("dynamodbstreams"), arn)
    for key in ("a", "b"):
        mine = [r for r in records if r["dynamodb"]["Keys"]["pk"]["S"] == key]
        assert [r["eventName"] for r in mine] == ["INSERT", "MODIFY", "MODIFY"]
        assert [r["dynamodb"]["NewImage"]["n"]["N"] for r in mine] == ["0", "1", "2"]
    for record in records:
        created = record["dynamodb"]["ApproximateCreationDateTime"].timestamp()
        assert int(before) - 1 <= created <= after + 1  # whole seconds, as AWS rounds them
        # SizeBytes counts the keys and images: {"pk": "a"} is 3 bytes, an image adds pk + n.
        assert record["dynamodb"]["SizeBytes"] >= 3


def test_trimmed_records_raise_trimmed_data_access(cloud):
    ddb, arn = stream_table(cloud)
    streams = cloud.client("dynamodbstreams")
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "old"}})
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    early = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    seq = streams.get_records(ShardIterator=early)["Records"][0]["dynamodb"]["SequenceNumber"]
    state = dynamodb_state(cloud)
    state.streams.trim(now=time.time() + 24 * 3600 + 60)  # as the sweeper would a day later
    message = "The operation attempted to read past the oldest stream record in a shard."
    with aws_error("TrimmedDataAccessException", message):
        streams.get_records(ShardIterator=early)
    with aws_error("TrimmedDataAccessException", message):
        streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=seq)
    # TRIM_HORIZON now starts after the trimmed records and sees only new ones.
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "new"}})
    horizon = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in streams.get_records(ShardIterator=horizon)["Records"]] == ["new"]


def test_iterating_across_rollover_with_a_polling_reader(cloud):
    """A reader that follows shards as a consumer does (children after the parent ends) sees every record once."""
    state = dynamodb_state(cloud)
    state.streams.shard_max_records = 3
    try:
        ddb, arn = stream_table(cloud, "KEYS_ONLY")
        streams = cloud.client("dynamodbstreams")
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
        seen = []
        for i in range(8):
            ddb.put_item(TableName="tbl", Item={"pk": {"S": f"k{i}"}})
            out = streams.get_records(ShardIterator=iterator, Limit=2)
            seen += [r["dynamodb"]["Keys"]["pk"]["S"] for r in out["Records"]]
            iterator = out.get("NextShardIterator")
            while iterator is None:  # the shard closed and is read to its end: move to its child
                children = streams.describe_stream(StreamArn=arn, ShardFilter={"Type": "CHILD_SHARDS", "ShardId": shard})
                shard = children["StreamDescription"]["Shards"][0]["ShardId"]
                iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
                out = streams.get_records(ShardIterator=iterator)
                seen += [r["dynamodb"]["Keys"]["pk"]["S"] for r in out["Records"]]
                iterator = out.get("NextShardIterator")
        while True:
            out = streams.get_records(ShardIterator=iterator)
            if not out["Records"]:
                break
            seen += [r["dynamodb"]["Keys"]["pk"]["S"] for r in out["Records"]]
            iterator = out["NextShardIterator"]
        assert seen == [f"k{i}" for i in range(8)]
        shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        for parent, child in zip(shards, shards[1:]):
            assert child["ParentShardId"] == parent["ShardId"]
            ending = int(parent["SequenceNumberRange"]["EndingSequenceNumber"])
            assert int(child["SequenceNumberRange"]["StartingSequenceNumber"]) > ending
    finally:
        state.streams.shard_max_records = 0


def test_disabling_a_stream_closes_its_shard(cloud):
    ddb, arn = stream_table(cloud)
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "a"}})
    label = arn.split("/stream/")[1]
    ddb.update_table(TableName="tbl", StreamSpecification={"StreamEnabled": False})
    streams = cloud.client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][-1]
    assert "EndingSequenceNumber" in shard["SequenceNumberRange"]
    table = ddb.update_table(TableName="tbl", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    description = table["TableDescription"]
    assert description["LatestStreamLabel"] != label and description["LatestStreamArn"].endswith(description["LatestStreamLabel"])
    assert description["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}


def test_concurrent_counter_updates_stream_in_write_order(cloud):
    """Eight clients incrementing one counter: its records read back 1, 2, 3 ... with no gap or swap."""
    import threading

    ddb, arn = stream_table(cloud, "NEW_AND_OLD_IMAGES")
    errors = []

    def bump():
        client = cloud.client("dynamodb")
        try:
            for _ in range(15):
                client.update_item(TableName="tbl", Key={"pk": {"S": "counter"}}, UpdateExpression="ADD n :one",
                                   ExpressionAttributeValues={":one": {"N": "1"}})
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    records = read_all(cloud.client("dynamodbstreams"), arn)
    assert [int(r["dynamodb"]["NewImage"]["n"]["N"]) for r in records] == list(range(1, 121))
    assert [r["dynamodb"]["OldImage"]["n"]["N"] for r in records[1:]] == [str(n) for n in range(1, 120)]


def test_shards_roll_over_by_age(cloud):
    state = dynamodb_state(cloud)
    saved = state.streams.shard_seconds
    state.streams.shard_seconds = 0.0  # every shard is "old" at its next write (AWS: about 4 hours)
    try:
        ddb, arn = stream_table(cloud, "KEYS_ONLY")
        for i in range(3):
            ddb.put_item(TableName="tbl", Item={"pk": {"S": f"k{i}"}})
        shards = cloud.client("dynamodbstreams").describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        assert len(shards) == 3 and [s.get("ParentShardId") for s in shards[1:]] == [s["ShardId"] for s in shards[:2]]
        assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(cloud.client("dynamodbstreams"), arn)] == ["k0", "k1", "k2"]
    finally:
        state.streams.shard_seconds = saved
