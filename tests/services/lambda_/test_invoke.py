"""Invoking Python functions: the handler contract, warm environments, errors and logs as AWS
reports them, payload limits, reserved concurrency, and bad functions contained."""

from __future__ import annotations

import base64
import json
import threading

from tests.services.lambda_.helpers import ACCOUNT, client, create, error_of, eventually, invoke, log_messages

CONTEXT = """import os, time
loaded_at = time.time()
calls = 0
def handler(event, context):
    global calls
    calls += 1
    print("got", event)
    return {
        "event": event, "calls": calls, "loaded_at": loaded_at,
        "request_id": context.aws_request_id, "name": context.function_name, "version": context.function_version,
        "arn": context.invoked_function_arn, "memory": context.memory_limit_in_mb,
        "remaining": context.get_remaining_time_in_millis(), "group": context.log_group_name,
        "stream": context.log_stream_name,
        "env": {k: os.environ.get(k) for k in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_EXECUTION_ENV", "STAGE",
                "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_ENDPOINT_URL", "LAMBDA_TASK_ROOT", "_HANDLER")},
        "has_keys": all(os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")),
    }
"""


def test_the_handler_gets_event_context_and_environment(cloud):
    create(cloud, "ctx", CONTEXT, MemorySize=256, Timeout=9, Environment={"Variables": {"STAGE": "test"}})
    first = invoke(cloud, "ctx", {"hello": "world"})
    assert (first["status"], first["error"], first["version"]) == (200, None, "$LATEST")
    answer = first["payload"]
    assert answer["event"] == {"hello": "world"}
    assert (answer["name"], answer["version"], answer["memory"]) == ("ctx", "$LATEST", "256")
    assert answer["arn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:ctx"
    assert 8000 < answer["remaining"] <= 9000
    assert answer["group"] == "/aws/lambda/ctx" and "/[$LATEST]" in answer["stream"]
    env = answer["env"]
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert (env["AWS_LAMBDA_FUNCTION_NAME"], env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]) == ("ctx", "256")
    assert (env["AWS_EXECUTION_ENV"], env["STAGE"], env["_HANDLER"]) == ("AWS_Lambda_python3.12", "test", "app.handler")
    assert env["AWS_ENDPOINT_URL"] == cloud.endpoint and answer["has_keys"]
    assert len(answer["request_id"]) == 36
    second = invoke(cloud, "ctx", {})["payload"]  # the same warm environment: module state kept
    assert (second["calls"], second["loaded_at"], second["stream"]) == (2, answer["loaded_at"], answer["stream"])
    assert invoke(cloud, "ctx")["payload"]["event"] == {}  # no payload is an empty object
    client(cloud).update_function_configuration(FunctionName="ctx", Environment={"Variables": {"STAGE": "prod"}})
    client(cloud).get_waiter("function_updated_v2").wait(FunctionName="ctx", WaiterConfig={"Delay": 0.05})
    after = invoke(cloud, "ctx", {})["payload"]  # an update: a cold start with the new configuration
    assert (after["calls"], after["env"]["STAGE"]) == (1, "prod") and after["loaded_at"] != answer["loaded_at"]


def test_log_tail_and_cloudwatch_logs_have_lambda_lines(cloud):
    create(cloud, "talk", "def handler(event, context):\n    print('line one')\n    print('line two')\n    return 1\n")
    answer = invoke(cloud, "talk", {}, LogType="Tail")
    request_id = answer["log"].split("START RequestId: ", 1)[1].split(" ", 1)[0]
    lines = answer["log"].splitlines()
    start = lines.index(f"START RequestId: {request_id} Version: $LATEST")
    assert lines[start + 1:start + 4] == ["line one", "line two", f"END RequestId: {request_id}"]
    assert lines[start + 4].startswith(f"REPORT RequestId: {request_id}\tDuration: ")
    assert "\tMemory Size: 128 MB\tMax Memory Used: " in lines[start + 4] and "Init Duration: " in lines[start + 4]
    assert invoke(cloud, "talk", {})["log"] is None  # only when asked
    messages = eventually(lambda: (m := log_messages(cloud, "talk")) and any(x.startswith("REPORT") for x in m) and m)
    assert [m for m in messages if not m.startswith(("INIT_START", "REPORT"))][:4] == [
        f"START RequestId: {request_id} Version: $LATEST", "line one", "line two", f"END RequestId: {request_id}"]


def test_a_handler_error_is_function_error_unhandled(cloud):
    create(cloud, "fails", "def handler(event, context):\n    raise ValueError('bad input: ' + event['x'])\n")
    answer = invoke(cloud, "fails", {"x": "42"}, LogType="Tail")
    assert (answer["status"], answer["error"]) == (200, "Unhandled")
    document = answer["payload"]
    assert (document["errorType"], document["errorMessage"]) == ("ValueError", "bad input: 42")
    assert document["stackTrace"] and "line 2, in handler" in document["stackTrace"][0]
    assert document["requestId"] in answer["log"]
    assert "[ERROR] ValueError: bad input: 42\rTraceback (most recent call last):" in answer["log"]
    assert invoke(cloud, "fails", {"x": "again"})["payload"]["errorMessage"] == "bad input: again"  # still warm and well


def test_payload_limits_and_bad_payloads(cloud):
    create(cloud, "echo", "def handler(event, context):\n    return len(str(event))\n")
    lam = client(cloud)
    big = error_of(lambda: lam.invoke(FunctionName="echo", Payload=json.dumps("x" * 6_300_000).encode()))
    assert (big["Code"], big["Status"]) == ("RequestEntityTooLargeException", 413)
    assert big["Message"] == "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    assert lam.invoke(FunctionName="echo", Payload=json.dumps("x" * 6_000_000).encode())["StatusCode"] == 200
    too_big_async = error_of(lambda: lam.invoke(FunctionName="echo", InvocationType="Event",
                                               Payload=json.dumps("x" * 300_000).encode()))
    assert too_big_async["Message"] == "Request must be smaller than 262144 bytes for the InvokeFunction operation"
    not_json = error_of(lambda: lam.invoke(FunctionName="echo", Payload=b"{not json"))
    assert (not_json["Code"], not_json["Status"]) == ("InvalidRequestContentException", 400)
    assert lam.invoke(FunctionName="echo", InvocationType="DryRun")["StatusCode"] == 204
    missing = error_of(lambda: lam.invoke(FunctionName="nope"))
    assert (missing["Code"], missing["Status"]) == ("ResourceNotFoundException", 404)


def test_client_context_reaches_the_handler(cloud):
    create(cloud, "cc", "def handler(event, context):\n    return context.client_context.custom\n")
    context = base64.b64encode(json.dumps({"custom": {"user": "ann"}}).encode()).decode()
    assert invoke(cloud, "cc", {}, ClientContext=context)["payload"] == {"user": "ann"}


def test_reserved_concurrency_throttles_beyond_it(cloud, tmp_path):
    create(cloud, "slow", "import os, time\ndef handler(event, context):\n    if 'until' in event:\n"
                          "        open(event['started'], 'w').close()\n"
                          "        while not os.path.exists(event['until']):\n            time.sleep(0.01)\n"
                          "    return 'done'\n", Timeout=900)
    lam = client(cloud)
    lam.put_function_concurrency(FunctionName="slow", ReservedConcurrentExecutions=1)
    started, until = tmp_path / "started", tmp_path / "until"
    results: list = []
    busy = threading.Thread(target=lambda: results.append(invoke(cloud, "slow", {"started": str(started),
                                                                                 "until": str(until)})))
    busy.start()
    eventually(started.exists, timeout=60)  # the first invocation holds the only slot
    throttled = error_of(lambda: lam.invoke(FunctionName="slow", Payload=b'{}'))
    until.touch()
    busy.join()
    assert (throttled["Code"], throttled["Status"], throttled["Message"]) == ("TooManyRequestsException", 429, "Rate Exceeded.")
    assert throttled["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert results[0]["payload"] == "done"
    assert invoke(cloud, "slow", {})["payload"] == "done"  # the slot is free again
    lam.put_function_concurrency(FunctionName="slow", ReservedConcurrentExecutions=0)
    assert error_of(lambda: lam.invoke(FunctionName="slow", Payload=b'{}'))["Code"] == "TooManyRequestsException"


def test_boto3_inside_the_function_reaches_this_cloud_as_the_role(cloud):
    source = """import boto3
def handler(event, context):
    identity = boto3.client("sts").get_caller_identity()
    boto3.client("dynamodb").put_item(TableName="notes", Item={"id": {"S": event["id"]}})
    return identity["Arn"]
"""
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:PutItem",
                                                      "Resource": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/notes"}]}
    from tests.services.lambda_.helpers import role
    create(cloud, "writer", source, role_arn=role(cloud, "writer-role", policy=policy), Timeout=30)
    ddb = client(cloud, "dynamodb")
    ddb.create_table(TableName="notes", BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    answer = invoke(cloud, "writer", {"id": "n1"})
    assert answer["error"] is None, answer
    assert answer["payload"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/writer-role/writer"
    assert ddb.get_item(TableName="notes", Key={"id": {"S": "n1"}})["Item"] == {"id": {"S": "n1"}}
    ddb.create_table(TableName="other", BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    client(cloud).update_function_code(FunctionName="writer", ZipFile=__import__(
        "tests.services.lambda_.helpers", fromlist=["zipped"]).zipped({"app.py": source.replace('"notes"', '"other"')}))
    client(cloud).get_waiter("function_updated_v2").wait(FunctionName="writer", WaiterConfig={"Delay": 0.05})
    refused = invoke(cloud, "writer", {"id": "n2"})  # the role may not write there: IAM says no
    assert refused["error"] == "Unhandled" and "AccessDeniedException" in refused["payload"]["errorMessage"]
