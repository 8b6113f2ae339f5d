"""Asynchronous invocations (InvocationType Event): queued, retried twice on a function error as
AWS does, records to OnSuccess / OnFailure destinations (a function, an S3 bucket); S3 event
notifications reach a function its policy lets S3 invoke."""

from __future__ import annotations

import json

from tests.services.lambda_.helpers import ACCOUNT, client, create, error_of, eventually
from tests.services.lambda_.test_event_source_mappings import events

# Appends each event to OUT; fails when the event says so.
RECORDER = """import json, os
def handler(event, context):
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps(event) + "\\n")
    if isinstance(event, dict) and event.get("fail"):
        raise RuntimeError("failed on purpose")
    return {"seen": event}
"""


def recorder(cloud, tmp_path, name: str):
    out = tmp_path / f"{name}.jsonl"
    create(cloud, name, RECORDER, Environment={"Variables": {"OUT": str(out)}})
    return out


def test_an_event_invocation_runs_later_and_a_failure_is_retried_twice(cloud, tmp_path):
    out = recorder(cloud, tmp_path, "worker")
    failures = recorder(cloud, tmp_path, "failures")
    successes = recorder(cloud, tmp_path, "successes")
    lam = client(cloud)
    lam.put_function_event_invoke_config(FunctionName="worker", DestinationConfig={
        "OnSuccess": {"Destination": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:successes"},
        "OnFailure": {"Destination": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:failures"}})
    accepted = lam.invoke(FunctionName="worker", InvocationType="Event", Payload=b'{"n": 1}')
    assert accepted["StatusCode"] == 202 and accepted["Payload"].read() == b""
    success = eventually(lambda: events(successes), timeout=60)[0]
    assert success["requestContext"]["condition"] == "Success"
    assert success["requestPayload"] == {"n": 1} and success["responsePayload"] == {"seen": {"n": 1}}
    lam.invoke(FunctionName="worker", InvocationType="Event", Payload=b'{"fail": true}')
    failure = eventually(lambda: events(failures), timeout=60)[0]
    assert [e for e in events(out) if e.get("fail")] == [{"fail": True}] * 3  # the first attempt and two retries
    assert failure["requestContext"]["condition"] == "RetriesExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert failure["responseContext"]["functionError"] == "Unhandled"
    assert failure["responsePayload"]["errorMessage"] == "failed on purpose"


def test_maximum_retry_attempts_and_an_s3_destination(cloud, tmp_path):
    out = recorder(cloud, tmp_path, "worker")
    s3 = client(cloud, "s3")
    s3.create_bucket(Bucket="records")
    lam = client(cloud)
    config = lam.put_function_event_invoke_config(FunctionName="worker", MaximumRetryAttempts=0, DestinationConfig={
        "OnFailure": {"Destination": "arn:aws:s3:::records"}})
    assert config["MaximumRetryAttempts"] == 0
    assert lam.get_function_event_invoke_config(FunctionName="worker")["DestinationConfig"]["OnFailure"] == \
        {"Destination": "arn:aws:s3:::records"}
    lam.invoke(FunctionName="worker", InvocationType="Event", Payload=b'{"fail": true}')
    listed = eventually(lambda: s3.list_objects_v2(Bucket="records").get("Contents"), timeout=60)
    assert listed[0]["Key"].startswith("aws/lambda/async/worker/")
    record = json.loads(s3.get_object(Bucket="records", Key=listed[0]["Key"])["Body"].read())
    assert (record["requestContext"]["condition"], record["requestContext"]["approximateInvokeCount"]) == \
        ("RetriesExhausted", 1)
    assert events(out) == [{"fail": True}]  # no retry
    bad = error_of(lambda: lam.put_function_event_invoke_config(FunctionName="worker", DestinationConfig={
        "OnFailure": {"Destination": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t"}}))
    assert bad["Code"] == "InvalidParameterValueException"


def test_s3_notifications_invoke_a_function_s3_may_invoke(cloud, tmp_path):
    out = recorder(cloud, tmp_path, "on-upload")
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:on-upload"
    lam, s3 = client(cloud), client(cloud, "s3")
    s3.create_bucket(Bucket="uploads")
    lam.add_permission(FunctionName="on-upload", StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::uploads", SourceAccount=ACCOUNT)
    s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"Id": "uploads", "LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
    s3.put_object(Bucket="uploads", Key="photos/cat one.jpg", Body=b"meow")
    record = eventually(lambda: events(out), timeout=60)[0]["Records"][0]
    assert (record["eventSource"], record["eventName"]) == ("aws:s3", "ObjectCreated:Put")
    assert record["s3"]["bucket"]["name"] == "uploads" and record["s3"]["object"]["key"] == "photos/cat+one.jpg"
    assert record["s3"]["configurationId"] == "uploads"
