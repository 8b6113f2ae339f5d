"""Durability: every acknowledged write survives kill -9; tables, indexes and streams survive restarts."""

import threading
import time

import botocore.exceptions

from regionbox.testing import CloudProcess


def test_acknowledged_writes_survive_kill_9(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    try:
        ddb = process.client("dynamodb")
        ddb.create_table(TableName="tbl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                               {"AttributeName": "g", "AttributeType": "S"}],
                         GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                                  "Projection": {"ProjectionType": "ALL"}}],
                         BillingMode="PAY_PER_REQUEST",
                         StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
        ddb.get_waiter("table_exists").wait(TableName="tbl", WaiterConfig={"Delay": 0.05, "MaxAttempts": 100})
        # Every kind of write, acknowledged just before the crash: update, delete, transaction, TTL setting.
        ddb.put_item(TableName="tbl", Item={"pk": {"S": "gone"}})
        ddb.put_item(TableName="tbl", Item={"pk": {"S": "counter"}, "n": {"N": "1"}})
        ddb.update_item(TableName="tbl", Key={"pk": {"S": "counter"}}, UpdateExpression="ADD n :one",
                        ExpressionAttributeValues={":one": {"N": "1"}})
        ddb.delete_item(TableName="tbl", Key={"pk": {"S": "gone"}})
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": "tbl", "Item": {"pk": {"S": "tx1"}}}},
            {"Update": {"TableName": "tbl", "Key": {"pk": {"S": "counter"}}, "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}}])
        ddb.update_time_to_live(TableName="tbl", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
        acknowledged: list[str] = []
        stop = threading.Event()

        def writer() -> None:
            i = 0
            while not stop.is_set():
                try:
                    ddb.put_item(TableName="tbl", Item={"pk": {"S": f"k{i}"}, "g": {"S": "all"}, "n": {"N": str(i)}})
                except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
                    return  # the server died mid-call: never acknowledged
                acknowledged.append(f"k{i}")
                i += 1

        thread = threading.Thread(target=writer)
        thread.start()
        while len(acknowledged) < 300:
            time.sleep(0.01)
        process.kill9()
        stop.set()
        thread.join(30)

        process.start()
        ddb = process.client("dynamodb")
        stored = set()
        for page in ddb.get_paginator("scan").paginate(TableName="tbl"):
            stored |= {i["pk"]["S"] for i in page["Items"]}
        missing = [k for k in acknowledged if k not in stored]
        assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {missing[:5]}"
        assert "gone" not in stored and "tx1" in stored
        assert ddb.get_item(TableName="tbl", Key={"pk": {"S": "counter"}})["Item"]["n"] == {"N": "3"}
        assert ddb.describe_time_to_live(TableName="tbl")["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"
        indexed = ddb.query(TableName="tbl", IndexName="by-g", KeyConditionExpression="g = :g",
                            ExpressionAttributeValues={":g": {"S": "all"}}, Select="COUNT")["Count"]
        assert indexed == len([k for k in stored if k.startswith("k")])  # counter and tx1 have no "g"
        # The stream has a record for every stored item, and new writes keep increasing sequence numbers.
        streams = process.client("dynamodbstreams")
        arn = ddb.describe_table(TableName="tbl")["Table"]["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][-1]["ShardId"]
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        keys, last_seq = set(), 0
        while iterator:
            out = streams.get_records(ShardIterator=iterator)
            if not out["Records"]:
                break
            keys |= {r["dynamodb"]["Keys"]["pk"]["S"] for r in out["Records"]}
            last_seq = int(out["Records"][-1]["dynamodb"]["SequenceNumber"])
            iterator = out.get("NextShardIterator")
        assert keys == stored | {"gone"}  # "gone" was written, then deleted: two records
        ddb.put_item(TableName="tbl", Item={"pk": {"S": "after"}, "g": {"S": "all"}})
        out = streams.get_records(ShardIterator=iterator)
        assert int(out["Records"][0]["dynamodb"]["SequenceNumber"]) > last_seq
    finally:
        process.cleanup()
