"""The issue's story with the AWS CLI: create-function from a zip, invoke, FunctionError, the log
tail, a nodejs20.x function when node is installed, an event source mapping on a DynamoDB stream."""

from __future__ import annotations

import base64
import json
import shutil

import pytest

from tests.services.lambda_.helpers import ACCOUNT, eventually, role, zipped
from tests.services.test_cli_aws import aws

APP = """import json, os
def handler(event, context):
    print("event:", json.dumps(event))
    if event.get("fail"):
        raise KeyError("missing " + event["fail"])
    return {"greeting": "hello " + event["name"], "stage": os.environ["STAGE"]}
"""


def cli(cloud, *args: str, check: bool = True):
    return aws(cloud, *args, account=ACCOUNT, check=check)


def test_create_invoke_fail_and_tail_with_the_cli(cloud, tmp_path):
    package = tmp_path / "fn.zip"
    package.write_bytes(zipped({"app.py": APP}))
    created = json.loads(cli(cloud, "lambda", "create-function", "--function-name", "fn", "--runtime", "python3.12",
                             "--handler", "app.handler", "--zip-file", f"fileb://{package}", "--role", role(cloud),
                             "--timeout", "10", "--environment", "Variables={STAGE=cli}").stdout)
    assert created["FunctionName"] == "fn" and created["State"] == "Pending"
    cli(cloud, "lambda", "wait", "function-active-v2", "--function-name", "fn")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"name": "ann"}))
    answer = tmp_path / "answer.json"
    result = json.loads(cli(cloud, "lambda", "invoke", "--function-name", "fn", "--payload", f"fileb://{event}",
                            "--log-type", "Tail", str(answer)).stdout)
    assert (result["StatusCode"], result["ExecutedVersion"]) == (200, "$LATEST") and "FunctionError" not in result
    assert json.loads(answer.read_text()) == {"greeting": "hello ann", "stage": "cli"}
    tail = base64.b64decode(result["LogResult"]).decode()
    assert 'event: {"name": "ann"}' in tail and "REPORT RequestId: " in tail
    event.write_text(json.dumps({"fail": "key"}))
    failed = json.loads(cli(cloud, "lambda", "invoke", "--function-name", "fn", "--payload", f"fileb://{event}",
                            "--log-type", "Tail", str(answer)).stdout)
    assert failed["FunctionError"] == "Unhandled"
    document = json.loads(answer.read_text())
    assert (document["errorType"], document["errorMessage"]) == ("KeyError", "'missing key'")
    assert "[ERROR] KeyError: 'missing key'" in base64.b64decode(failed["LogResult"]).decode()
    missing = cli(cloud, "lambda", "invoke", "--function-name", "nope", str(answer), check=False)
    assert missing.returncode != 0 and "(ResourceNotFoundException)" in missing.stderr
    listed = json.loads(cli(cloud, "lambda", "list-functions").stdout)["Functions"]
    assert [f["FunctionName"] for f in listed] == ["fn"]
    logs = json.loads(cli(cloud, "logs", "filter-log-events", "--log-group-name", "/aws/lambda/fn").stdout)["events"]
    assert any(e["message"].startswith("START RequestId: ") for e in logs)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_a_nodejs20_function_with_the_cli(cloud, tmp_path):
    package = tmp_path / "fn.zip"
    package.write_bytes(zipped({"index.mjs": "export const handler = async (event) => ({sum: event.a + event.b});\n"}))
    cli(cloud, "lambda", "create-function", "--function-name", "js", "--runtime", "nodejs20.x", "--handler",
        "index.handler", "--zip-file", f"fileb://{package}", "--role", role(cloud))
    cli(cloud, "lambda", "wait", "function-active-v2", "--function-name", "js")
    event, answer = tmp_path / "event.json", tmp_path / "answer.json"
    event.write_text(json.dumps({"a": 2, "b": 3}))
    result = json.loads(cli(cloud, "lambda", "invoke", "--function-name", "js", "--payload", f"fileb://{event}",
                            str(answer)).stdout)
    assert result["StatusCode"] == 200 and json.loads(answer.read_text()) == {"sum": 5}


def test_an_event_source_mapping_with_the_cli(cloud, tmp_path):
    out = tmp_path / "got.jsonl"
    package = tmp_path / "fn.zip"
    package.write_bytes(zipped({"app.py": "import json, os\ndef handler(event, context):\n"
                                          "    with open(os.environ['OUT'], 'a') as f:\n"
                                          "        f.write(json.dumps(event) + '\\n')\n"}))
    cli(cloud, "lambda", "create-function", "--function-name", "fn", "--runtime", "python3.12", "--handler",
        "app.handler", "--zip-file", f"fileb://{package}", "--role", role(cloud),
        "--environment", f"Variables={{OUT={out}}}")
    cli(cloud, "lambda", "wait", "function-active-v2", "--function-name", "fn")
    stream = json.loads(cli(cloud, "dynamodb", "create-table", "--table-name", "events", "--billing-mode", "PAY_PER_REQUEST",
                            "--key-schema", "AttributeName=id,KeyType=HASH",
                            "--attribute-definitions", "AttributeName=id,AttributeType=S",
                            "--stream-specification", "StreamEnabled=true,StreamViewType=NEW_IMAGE").stdout)
    arn = stream["TableDescription"]["LatestStreamArn"]
    uuid = json.loads(cli(cloud, "lambda", "create-event-source-mapping", "--event-source-arn", arn, "--function-name",
                          "fn", "--starting-position", "LATEST").stdout)["UUID"]
    eventually(lambda: json.loads(cli(cloud, "lambda", "get-event-source-mapping", "--uuid", uuid).stdout)["State"]
               == "Enabled", timeout=60)
    cli(cloud, "dynamodb", "put-item", "--table-name", "events", "--item", '{"id": {"S": "x"}, "v": {"N": "7"}}')
    got = eventually(lambda: out.exists() and out.read_text(), timeout=60)
    record = json.loads(got.splitlines()[0])["Records"][0]
    assert (record["eventName"], record["eventSourceARN"]) == ("INSERT", arn)
    assert record["dynamodb"]["NewImage"] == {"id": {"S": "x"}, "v": {"N": "7"}}
