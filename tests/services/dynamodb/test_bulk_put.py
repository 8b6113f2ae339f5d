"""Bulk puts from S3 into an existing table through boto3: items written as PutItem writes them,
per-item conditions, errors and condition failures reported to the output bucket, listing and
cancelling."""

import gzip
import json
import time

from engine_helpers import aws_error, create_table

OUTPUT = {"S3Bucket": "reports", "S3KeyPrefix": "runs", "OutputType": ["ERROR", "CONDITION_CHECK_FAILURE"]}


def settle(ddb, arn):
    for _ in range(400):
        described = ddb.describe_bulk_operation(BulkOperationArn=arn)["BulkOperationDescription"]
        if described["BulkOperationStatus"] not in ("IN_PROGRESS", "CANCELLING"):
            return described
        time.sleep(0.05)
    raise AssertionError("still in progress")


def report(s3, described):
    arn = described["BulkOperationArn"]
    manifest = json.loads(s3.get_object(Bucket="reports", Key=f"runs/AWSDynamoDB/{arn.rsplit('/', 1)[1]}/manifest.json")["Body"].read())
    records = {}
    for entry in manifest["files"]:
        body = gzip.decompress(s3.get_object(Bucket="reports", Key=entry["dataFileS3Key"])["Body"].read())
        records.setdefault(entry["type"], []).extend(json.loads(line) for line in body.splitlines())
    return manifest, records


def test_bulk_put_writes_items_checks_conditions_and_reports(cloud):
    ddb, s3 = cloud.client("dynamodb"), cloud.client("s3")
    create_table(ddb, "orders", more_attributes=[("status", "S")], StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
                 GlobalSecondaryIndexes=[{"IndexName": "by-status", "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                                          "Projection": {"ProjectionType": "ALL"}}])
    ddb.put_item(TableName="orders", Item={"pk": {"S": "kept"}, "v": {"N": "1"}})
    for bucket in ("source", "reports"):
        s3.create_bucket(Bucket=bucket)
    lines = [json.dumps({"Item": {"pk": {"S": f"k{i}"}, "status": {"S": "open"}}}) for i in range(30)]
    lines += [
        json.dumps({"Item": {"pk": {"S": "kept"}, "v": {"N": "2"}}, "ConditionExpression": "attribute_not_exists(pk)"}),
        json.dumps({"Item": {"pk": {"S": "cond-ok"}, "v": {"N": "3"}}, "ConditionExpression": "attribute_not_exists(#p)",
                    "ExpressionAttributeNames": {"#p": "pk"}}),
        "not json",
        json.dumps({"Item": {"status": {"S": "no key"}}}),
    ]
    s3.put_object(Bucket="source", Key="in/a.json.gz", Body=gzip.compress("\n".join(lines[:20]).encode()))
    s3.put_object(Bucket="source", Key="in/b.json.gz", Body=gzip.compress("\n".join(lines[20:]).encode()))
    started = ddb.start_bulk_put_items(TableName="orders", InputS3Configuration={
        "S3Bucket": "source", "S3KeyPrefix": "in/", "InputFormat": "DYNAMODB_JSON", "InputCompressionType": "GZIP"},
        OutputS3Configuration=OUTPUT, ClientToken="load-1")["BulkOperationDescription"]
    assert started["BulkOperationStatus"] == "IN_PROGRESS" and started["TableDetails"][0]["TableName"] == "orders"
    done = settle(ddb, started["BulkOperationArn"])
    assert done["BulkOperationStatus"] == "COMPLETED_WITH_ERRORS"
    assert (done["ProcessedItemCount"], done["FailedItemCount"]) == (34, 2)
    assert done["TotalInputBytes"] == done["ProcessedInputBytes"] > 0 and "EndTime" in done
    items = {i["pk"]["S"]: i for i in ddb.scan(TableName="orders")["Items"]}
    assert len(items) == 32 and items["kept"]["v"] == {"N": "1"} and items["cond-ok"]["v"] == {"N": "3"}
    assert ddb.query(TableName="orders", IndexName="by-status", KeyConditionExpression="#s = :o",
                     ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":o": {"S": "open"}})["Count"] == 30
    manifest, records = report(s3, done)
    assert manifest["bulkOperationArn"] == done["BulkOperationArn"]
    assert [r["SourceLine"] for r in records["ERROR"]] == [13, 14] and {r["SourceObject"] for r in records["ERROR"]} == {"in/b.json.gz"}
    assert records["ERROR"][1]["Reason"] == "One or more parameter values were invalid: Missing the key pk in the item"
    failure, = records["CONDITION_CHECK_FAILURE"]
    assert failure["Item"]["v"] == {"N": "2"} and failure["ExistingItem"]["v"] == {"N": "1"}
    # The writes reached the table's stream, as PutItem's do.
    streams = cloud.client("dynamodbstreams")
    arn = ddb.describe_table(TableName="orders")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert len(streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]) == 32
    # The same token and request: the same operation; other parameters: refused.
    again = ddb.start_bulk_put_items(TableName="orders", InputS3Configuration={
        "S3Bucket": "source", "S3KeyPrefix": "in/", "InputFormat": "DYNAMODB_JSON", "InputCompressionType": "GZIP"},
        OutputS3Configuration=OUTPUT, ClientToken="load-1")["BulkOperationDescription"]
    assert again["BulkOperationArn"] == started["BulkOperationArn"]
    with aws_error("IdempotentParameterMismatchException"):
        ddb.start_bulk_put_items(TableName="orders", InputS3Configuration={"S3Bucket": "source", "InputFormat": "ION"},
                                 OutputS3Configuration=OUTPUT, ClientToken="load-1")


def test_bulk_put_from_ion_and_failures(cloud):
    ddb, s3 = cloud.client("dynamodb"), cloud.client("s3")
    create_table(ddb, "ion")
    s3.create_bucket(Bucket="source")
    s3.create_bucket(Bucket="reports")
    s3.put_object(Bucket="source", Key="data.ion", Body=b'$ion_1_0 {Item:{pk:"a",n:1.5,tags:$dynamodb_SS::["x"]}}\n'
                                                          b'$ion_1_0 {Item:{pk:"b"},ConditionExpression:"attribute_exists(pk)"}\n')
    done = settle(ddb, ddb.start_bulk_put_items(TableName="ion", InputS3Configuration={"S3Bucket": "source", "InputFormat": "ION"},
                                                OutputS3Configuration={"S3Bucket": "reports", "OutputType": ["ERROR"]})
                  ["BulkOperationDescription"]["BulkOperationArn"])
    assert done["BulkOperationStatus"] == "COMPLETED" and done["ProcessedItemCount"] == 2 and done["FailedItemCount"] == 0
    assert ddb.scan(TableName="ion")["Items"] == [{"pk": {"S": "a"}, "n": {"N": "1.5"}, "tags": {"SS": ["x"]}}]
    failed = settle(ddb, ddb.start_bulk_put_items(TableName="ion", InputS3Configuration={"S3Bucket": "nowhere", "InputFormat": "ION"},
                                                  OutputS3Configuration={"S3Bucket": "reports", "OutputType": ["ERROR"]})
                    ["BulkOperationDescription"]["BulkOperationArn"])
    assert (failed["BulkOperationStatus"], failed["FailureCode"]) == ("FAILED", "S3NoSuchBucket")
    with aws_error("ResourceNotFoundException"):
        ddb.start_bulk_put_items(TableName="nothing", InputS3Configuration={"S3Bucket": "source", "InputFormat": "ION"},
                                 OutputS3Configuration={"S3Bucket": "reports", "OutputType": ["ERROR"]})
    with aws_error("ResourceNotFoundException"):
        ddb.describe_bulk_operation(BulkOperationArn=failed["BulkOperationArn"][:-8] + "00000000")
    with aws_error("ValidationException", "Invalid Request: Bulk operation cannot be cancelled in status FAILED"):
        ddb.cancel_bulk_operation(BulkOperationArn=failed["BulkOperationArn"])
    # Listed newest first, paged.
    seen, token = [], None
    while True:
        page = ddb.list_bulk_operations(MaxResults=1, **({"NextToken": token} if token else {}))
        seen += [s["BulkOperationArn"] for s in page["BulkOperationsSummaryList"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == [failed["BulkOperationArn"], done["BulkOperationArn"]]


def test_a_cancelled_operation_writes_nothing_more(cloud):
    from regionbox.core.context import Caller, RequestContext

    ddb, s3 = cloud.client("dynamodb"), cloud.client("s3")
    create_table(ddb, "big")
    s3.create_bucket(Bucket="source")
    s3.create_bucket(Bucket="reports")
    s3.put_object(Bucket="source", Key="one.json", Body=b"\n".join(json.dumps({"Item": {"pk": {"S": f"k{i}"}}}).encode()
                                                                  for i in range(3000)))
    # Start and cancel as two requests arriving before the operation's task first runs: handled on the
    # cloud's loop back to back, so the cancellation is seen before any chunk (not a race with the task).
    service = cloud.run(cloud.cloud.services.ready("dynamodb"))
    ctx = RequestContext(caller=Caller.root("000000000000", access_key_id="000000000000"), region="us-east-1",
                         request_id="test", service="dynamodb")

    async def start_and_cancel():
        started = service.operations["StartBulkPutItems"](ctx, {
            "TableName": "big", "InputS3Configuration": {"S3Bucket": "source", "InputFormat": "DYNAMODB_JSON"},
            "OutputS3Configuration": {"S3Bucket": "reports", "OutputType": ["ERROR"]}})
        arn = started["BulkOperationDescription"]["BulkOperationArn"]
        return arn, service.operations["CancelBulkOperation"](ctx, {"BulkOperationArn": arn})

    arn, answer = cloud.run(start_and_cancel())
    assert answer == {"BulkOperationArn": arn, "BulkOperationStatus": "CANCELLING"}
    done = settle(ddb, arn)
    assert (done["BulkOperationStatus"], done["FailureCode"], done["ProcessedItemCount"]) == ("CANCELLED", "BulkOperationCancelled", 0)
    assert ddb.scan(TableName="big")["Count"] == 0
