"""Event source mappings on DynamoDB streams: every write reaches the function as the event JSON
Lambda delivers, in order per shard; a failing batch blocks its shard until it succeeds or is
retried out (then its record goes to the on-failure destination); filters; state transitions."""

from __future__ import annotations

import json

from tests.services.lambda_.helpers import ACCOUNT, client, create, error_of, eventually

# The function appends each event it gets to the file named by OUT, and fails while a record's
# item has "fail" set and the file named by its value does not exist.
RECORDER = """import json, os
def handler(event, context):
    for record in event["Records"]:
        release = record["dynamodb"].get("NewImage", {}).get("fail", {}).get("S")
        if release and not os.path.exists(release):
            with open(os.environ["OUT"] + ".failed", "a") as out:
                out.write(json.dumps(event) + "\\n")
            raise RuntimeError("not yet")
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps(event) + "\\n")
    return {"ok": len(event["Records"])}
"""


def events(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def records(path) -> list[dict]:
    return [r for e in events(path) for r in e["Records"]]


def table(cloud, name: str = "notes", view: str = "NEW_AND_OLD_IMAGES") -> str:
    ddb = client(cloud, "dynamodb")
    created = ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                               KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                               AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                               StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
    return created["TableDescription"]["LatestStreamArn"]


def mapping(cloud, stream: str, function: str = "rec", **params) -> dict:
    lam = client(cloud)
    created = lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=function, **params)
    eventually(lambda: lam.get_event_source_mapping(UUID=created["UUID"])["State"] == "Enabled", timeout=30)
    return created


def recorder(cloud, tmp_path, name: str = "rec"):
    out = tmp_path / f"{name}.jsonl"
    create(cloud, name, RECORDER, Timeout=30, Environment={"Variables": {"OUT": str(out)}})
    return out


def test_writes_reach_the_function_as_lambdas_event_json_in_order(cloud, tmp_path):
    out = recorder(cloud, tmp_path)
    stream = table(cloud)
    ddb = client(cloud, "dynamodb")
    ddb.put_item(TableName="notes", Item={"id": {"S": "before"}})  # LATEST: not delivered
    created = mapping(cloud, stream, StartingPosition="LATEST", BatchSize=100)
    assert (created["State"], created["StartingPosition"], created["BatchSize"]) == ("Creating", "LATEST", 100)
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:rec"
    ddb.put_item(TableName="notes", Item={"id": {"S": "a"}, "n": {"N": "1"}, "b": {"B": b"\x00\x01"}})
    ddb.update_item(TableName="notes", Key={"id": {"S": "a"}}, UpdateExpression="SET n = :two",
                    ExpressionAttributeValues={":two": {"N": "2"}})
    ddb.delete_item(TableName="notes", Key={"id": {"S": "a"}})
    for i in range(20):
        ddb.put_item(TableName="notes", Item={"id": {"S": f"k{i:02d}"}})
    delivered = eventually(lambda: len(r := records(out)) >= 23 and r, timeout=60)
    assert len(delivered) == 23
    assert [r["eventName"] for r in delivered[:3]] == ["INSERT", "MODIFY", "REMOVE"]
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in delivered[3:]] == [f"k{i:02d}" for i in range(20)]
    sequences = [int(r["dynamodb"]["SequenceNumber"]) for r in delivered]
    assert sequences == sorted(sequences)  # one shard: in the stream's order
    insert, modify, remove = delivered[:3]
    assert set(insert) == {"eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "dynamodb",
                           "eventSourceARN"}
    assert (insert["eventSource"], insert["eventVersion"], insert["awsRegion"]) == ("aws:dynamodb", "1.1", "us-east-1")
    assert insert["eventSourceARN"] == stream
    body = insert["dynamodb"]
    assert set(body) == {"ApproximateCreationDateTime", "Keys", "NewImage", "SequenceNumber", "SizeBytes",
                         "StreamViewType"}
    assert isinstance(body["ApproximateCreationDateTime"], int) and body["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert body["NewImage"] == {"id": {"S": "a"}, "n": {"N": "1"}, "b": {"B": "AAE="}}  # binary in base64
    assert (modify["dynamodb"]["OldImage"]["n"], modify["dynamodb"]["NewImage"]["n"]) == ({"N": "1"}, {"N": "2"})
    assert "NewImage" not in remove["dynamodb"] and remove["dynamodb"]["OldImage"]["n"] == {"N": "2"}
    # the same records the stream itself gives, with the source ARN added
    streams = client(cloud, "dynamodbstreams")
    shard = streams.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    raw = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    assert [r["eventID"] for r in raw[1:24]] == [r["eventID"] for r in delivered]
    assert all(e["Records"] for e in events(out))


def test_trim_horizon_and_batch_size(cloud, tmp_path):
    out = recorder(cloud, tmp_path)
    stream = table(cloud)
    ddb = client(cloud, "dynamodb")
    for i in range(7):
        ddb.put_item(TableName="notes", Item={"id": {"S": f"k{i}"}})
    mapping(cloud, stream, StartingPosition="TRIM_HORIZON", BatchSize=3)
    eventually(lambda: len(records(out)) >= 7, timeout=60)
    assert [len(e["Records"]) for e in events(out)] == [3, 3, 1]  # written before: read in full batches
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in records(out)] == [f"k{i}" for i in range(7)]


def test_a_failing_batch_blocks_its_shard_until_it_succeeds(cloud, tmp_path):
    out = recorder(cloud, tmp_path)
    stream = table(cloud)
    mapping(cloud, stream, StartingPosition="LATEST", BatchSize=1)
    ddb = client(cloud, "dynamodb")
    release = tmp_path / "release"
    ddb.put_item(TableName="notes", Item={"id": {"S": "first"}, "fail": {"S": str(release)}})
    ddb.put_item(TableName="notes", Item={"id": {"S": "second"}})
    failed = tmp_path / "rec.jsonl.failed"
    eventually(lambda: len(events(failed)) >= 3, timeout=60)  # retried, and retried again
    assert records(out) == []  # "second" waits behind "first"
    release.touch()
    eventually(lambda: len(records(out)) >= 2, timeout=60)
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in records(out)] == ["first", "second"]


def test_retried_out_batches_go_to_the_on_failure_destination(cloud, tmp_path):
    out = recorder(cloud, tmp_path)
    stream = table(cloud)
    s3 = client(cloud, "s3")
    s3.create_bucket(Bucket="failures")
    created = mapping(cloud, stream, StartingPosition="LATEST", BatchSize=1, MaximumRetryAttempts=1,
                      DestinationConfig={"OnFailure": {"Destination": "arn:aws:s3:::failures"}})
    assert created["MaximumRetryAttempts"] == 1
    ddb = client(cloud, "dynamodb")
    ddb.put_item(TableName="notes", Item={"id": {"S": "doomed"}, "fail": {"S": str(tmp_path / "never")}})
    ddb.put_item(TableName="notes", Item={"id": {"S": "next"}})
    eventually(lambda: records(out), timeout=60)
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in records(out)] == ["next"]
    assert len(events(tmp_path / "rec.jsonl.failed")) == 2  # the first attempt and one retry
    keys = eventually(lambda: s3.list_objects_v2(Bucket="failures").get("Contents"), timeout=30)
    assert keys[0]["Key"].startswith(f"aws/lambda/{created['UUID']}/")
    record = json.loads(s3.get_object(Bucket="failures", Key=keys[0]["Key"])["Body"].read())
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["DDBStreamBatchInfo"]["batchSize"] == 1 and record["DDBStreamBatchInfo"]["streamArn"] == stream


def test_filter_criteria_drop_what_does_not_match(cloud, tmp_path):
    out = recorder(cloud, tmp_path)
    stream = table(cloud)
    pattern = {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"kind": {"S": [{"prefix": "keep"}]}}}}
    created = mapping(cloud, stream, StartingPosition="LATEST", FilterCriteria={"Filters": [{"Pattern": json.dumps(pattern)}]})
    assert created["FilterCriteria"] == {"Filters": [{"Pattern": json.dumps(pattern)}]}
    ddb = client(cloud, "dynamodb")
    ddb.put_item(TableName="notes", Item={"id": {"S": "1"}, "kind": {"S": "drop-me"}})
    ddb.put_item(TableName="notes", Item={"id": {"S": "2"}, "kind": {"S": "keep-me"}})
    ddb.delete_item(TableName="notes", Key={"id": {"S": "2"}})
    ddb.put_item(TableName="notes", Item={"id": {"S": "3"}, "kind": {"S": "keep-too"}})
    eventually(lambda: len(records(out)) >= 2, timeout=60)
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in records(out)] == ["2", "3"]
    bad = error_of(lambda: client(cloud).create_event_source_mapping(
        EventSourceArn=stream, FunctionName="rec", StartingPosition="LATEST",
        FilterCriteria={"Filters": [{"Pattern": "{not json"}]}))
    assert bad["Code"] == "InvalidParameterValueException"


def test_disable_enable_delete_and_bad_input(cloud, tmp_path):
    out = recorder(cloud, tmp_path)
    stream = table(cloud)
    lam = client(cloud)
    uuid = mapping(cloud, stream, StartingPosition="LATEST")["UUID"]
    assert lam.update_event_source_mapping(UUID=uuid, Enabled=False)["State"] == "Disabling"
    eventually(lambda: lam.get_event_source_mapping(UUID=uuid)["State"] == "Disabled", timeout=30)
    ddb = client(cloud, "dynamodb")
    ddb.put_item(TableName="notes", Item={"id": {"S": "while-disabled"}})
    assert lam.update_event_source_mapping(UUID=uuid, Enabled=True)["State"] == "Enabling"
    eventually(lambda: lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled", timeout=30)
    eventually(lambda: records(out), timeout=60)  # kept its place: what was written meanwhile comes now
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in records(out)] == ["while-disabled"]
    listed = lam.list_event_source_mappings(FunctionName="rec")["EventSourceMappings"]
    assert [m["UUID"] for m in listed] == [uuid]
    assert lam.delete_event_source_mapping(UUID=uuid)["State"] == "Deleting"
    missing = error_of(lambda: lam.get_event_source_mapping(UUID=uuid))
    assert (missing["Code"], missing["Status"]) == ("ResourceNotFoundException", 404)
    no_position = error_of(lambda: lam.create_event_source_mapping(EventSourceArn=stream, FunctionName="rec"))
    assert no_position["Code"] == "InvalidParameterValueException"
    no_stream = error_of(lambda: lam.create_event_source_mapping(
        EventSourceArn=stream.replace("notes", "nothere"), FunctionName="rec", StartingPosition="LATEST"))
    assert no_stream["Code"] == "InvalidParameterValueException" and "Stream not found" in no_stream["Message"]
    no_function = error_of(lambda: lam.create_event_source_mapping(EventSourceArn=stream, FunctionName="nope",
                                                                    StartingPosition="LATEST"))
    assert (no_function["Code"], no_function["Status"]) == ("ResourceNotFoundException", 404)
    sqs = error_of(lambda: lam.create_event_source_mapping(
        EventSourceArn=f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue", FunctionName="rec"))
    assert sqs["Status"] == 501


def keys(batch: dict) -> list[str]:
    return [r["dynamodb"]["Keys"]["id"]["S"] for r in batch["Records"]]


def test_bisect_on_function_error_isolates_the_bad_record(cloud, tmp_path):
    out = recorder(cloud, tmp_path)
    stream = table(cloud)
    ddb = client(cloud, "dynamodb")
    for name in "abcd":
        item = {"id": {"S": name}}
        if name == "c":
            item["fail"] = {"S": str(tmp_path / "never")}
        ddb.put_item(TableName="notes", Item=item)
    s3 = client(cloud, "s3")
    s3.create_bucket(Bucket="failures")
    mapping(cloud, stream, StartingPosition="TRIM_HORIZON", BatchSize=4, BisectBatchOnFunctionError=True,
            MaximumRetryAttempts=3, DestinationConfig={"OnFailure": {"Destination": "arn:aws:s3:::failures"}})
    eventually(lambda: len(records(out)) >= 3, timeout=60)
    assert [keys(e) for e in events(out)] == [["a", "b"], ["d"]]  # split in halves until "c" stood alone
    failed = [keys(e) for e in events(tmp_path / "rec.jsonl.failed")]
    assert failed[:3] == [["a", "b", "c", "d"], ["c", "d"], ["c"]]
    listed = eventually(lambda: s3.list_objects_v2(Bucket="failures").get("Contents"), timeout=30)
    record = json.loads(s3.get_object(Bucket="failures", Key=listed[0]["Key"])["Body"].read())
    assert record["DDBStreamBatchInfo"]["batchSize"] == 1


PARTIAL = """import json, os
def handler(event, context):
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps(event) + "\\n")
    marker = os.environ["OUT"] + ".reported"
    for record in event["Records"]:
        if record["dynamodb"]["Keys"]["id"]["S"] == "c" and not os.path.exists(marker):
            open(marker, "w").close()
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    return {"batchItemFailures": []}
"""


def test_report_batch_item_failures_resumes_from_the_first_failed_record(cloud, tmp_path):
    out = tmp_path / "partial.jsonl"
    create(cloud, "partial", PARTIAL, Environment={"Variables": {"OUT": str(out)}})
    stream = table(cloud)
    ddb = client(cloud, "dynamodb")
    for name in "abcd":
        ddb.put_item(TableName="notes", Item={"id": {"S": name}})
    created = mapping(cloud, stream, "partial", StartingPosition="TRIM_HORIZON", BatchSize=4,
                      FunctionResponseTypes=["ReportBatchItemFailures"])
    assert created["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    eventually(lambda: len(events(out)) >= 2, timeout=60)
    assert [keys(e) for e in events(out)] == [["a", "b", "c", "d"], ["c", "d"]]


def test_batching_window_gathers_writes_into_one_batch(cloud, tmp_path):
    out = recorder(cloud, tmp_path)
    stream = table(cloud)
    lam = client(cloud)
    uuid = mapping(cloud, stream, StartingPosition="LATEST", BatchSize=3, MaximumBatchingWindowInSeconds=300)["UUID"]
    ddb = client(cloud, "dynamodb")
    for name in "ab":
        ddb.put_item(TableName="notes", Item={"id": {"S": name}})
    assert lam.get_event_source_mapping(UUID=uuid)["MaximumBatchingWindowInSeconds"] == 300
    ddb.put_item(TableName="notes", Item={"id": {"S": "c"}})  # the batch is full: it goes before the window ends
    eventually(lambda: events(out), timeout=60)
    assert [keys(e) for e in events(out)] == [["a", "b", "c"]]
