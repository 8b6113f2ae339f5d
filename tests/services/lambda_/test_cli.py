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


WEB = """import json
def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "text/plain"},
            "body": event["requestContext"]["http"]["method"] + " " + event["rawPath"] + " " + (event.get("body") or "")}
"""


def test_function_url_provisioned_concurrency_and_code_signing_with_the_cli(cloud, tmp_path):
    import subprocess

    package = tmp_path / "fn.zip"
    package.write_bytes(zipped({"app.py": WEB}))
    cli(cloud, "lambda", "create-function", "--function-name", "web", "--runtime", "python3.12", "--handler",
        "app.handler", "--zip-file", f"fileb://{package}", "--role", role(cloud))
    cli(cloud, "lambda", "wait", "function-active-v2", "--function-name", "web")
    url = json.loads(cli(cloud, "lambda", "create-function-url-config", "--function-name", "web", "--auth-type", "NONE",
                         "--cors", "AllowOrigins=https://app.example,MaxAge=30").stdout)
    assert url["AuthType"] == "NONE" and url["Cors"] == {"AllowOrigins": ["https://app.example"], "MaxAge": 30}
    cli(cloud, "lambda", "add-permission", "--function-name", "web", "--statement-id", "url", "--action",
        "lambda:InvokeFunctionUrl", "--principal", "*", "--function-url-auth-type", "NONE")
    url_id = url["FunctionUrl"].split("//", 1)[1].split(".", 1)[0]
    curled = subprocess.run(["curl", "-s", "-X", "POST", "--data", "hello",
                             f"{cloud.endpoint}/_aws/lambda-url/{url_id}/greet"], capture_output=True, text=True, timeout=60)
    assert curled.stdout == "POST /greet hello"
    hosted = subprocess.run(["curl", "-s", "--resolve", f"{url['FunctionUrl'].split('//')[1].split(':')[0]}:"
                             f"{cloud.endpoint.rsplit(':', 1)[1]}:127.0.0.1", url["FunctionUrl"] + "x"],
                            capture_output=True, text=True, timeout=60)
    assert hosted.stdout == "GET /x "
    got = json.loads(cli(cloud, "lambda", "get-function-url-config", "--function-name", "web").stdout)
    assert got["FunctionUrl"] == url["FunctionUrl"]
    cli(cloud, "lambda", "update-function-url-config", "--function-name", "web", "--auth-type", "AWS_IAM")
    listed = json.loads(cli(cloud, "lambda", "list-function-url-configs", "--function-name", "web").stdout)
    assert [c["AuthType"] for c in listed["FunctionUrlConfigs"]] == ["AWS_IAM"]
    unsigned = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                               f"{cloud.endpoint}/_aws/lambda-url/{url_id}/"], capture_output=True, text=True, timeout=60)
    assert unsigned.stdout == "403"
    cli(cloud, "lambda", "delete-function-url-config", "--function-name", "web")
    missing = cli(cloud, "lambda", "get-function-url-config", "--function-name", "web", check=False)
    assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr

    version = json.loads(cli(cloud, "lambda", "publish-version", "--function-name", "web").stdout)["Version"]
    put = json.loads(cli(cloud, "lambda", "put-provisioned-concurrency-config", "--function-name", "web", "--qualifier",
                         version, "--provisioned-concurrent-executions", "2").stdout)
    assert put["RequestedProvisionedConcurrentExecutions"] == 2
    got = json.loads(cli(cloud, "lambda", "get-provisioned-concurrency-config", "--function-name", "web", "--qualifier",
                         version).stdout)
    assert got["Status"] == "READY"
    listed = json.loads(cli(cloud, "lambda", "list-provisioned-concurrency-configs", "--function-name", "web").stdout)
    assert len(listed["ProvisionedConcurrencyConfigs"]) == 1
    cli(cloud, "lambda", "delete-provisioned-concurrency-config", "--function-name", "web", "--qualifier", version)

    csc = json.loads(cli(cloud, "lambda", "create-code-signing-config", "--allowed-publishers",
                         "SigningProfileVersionArns=arn:aws:signer:us-east-1:111111111111:/signing-profiles/p/abcdefghij",
                         "--code-signing-policies", "UntrustedArtifactOnDeployment=Enforce").stdout)["CodeSigningConfig"]
    cli(cloud, "lambda", "put-function-code-signing-config", "--function-name", "web", "--code-signing-config-arn",
        csc["CodeSigningConfigArn"])
    refused = cli(cloud, "lambda", "update-function-code", "--function-name", "web", "--zip-file", f"fileb://{package}",
                  check=False)
    assert refused.returncode != 0 and "CodeVerificationFailedException" in refused.stderr
    listed = json.loads(cli(cloud, "lambda", "list-functions-by-code-signing-config", "--code-signing-config-arn",
                            csc["CodeSigningConfigArn"]).stdout)
    assert [arn.rsplit(":", 1)[-1] for arn in listed["FunctionArns"]] == ["web"]
    cli(cloud, "lambda", "delete-function-code-signing-config", "--function-name", "web")
    cli(cloud, "lambda", "delete-code-signing-config", "--code-signing-config-arn", csc["CodeSigningConfigArn"])
    assert json.loads(cli(cloud, "lambda", "list-code-signing-configs").stdout)["CodeSigningConfigs"] == []
