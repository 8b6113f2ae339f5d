"""Managed workflows through boto3 and a real upload: COPY, TAG and DELETE steps run after an SFTP
upload as the workflow's execution role, a failing step runs the exception steps, a CUSTOM step
waits for SendWorkflowStepState (its function a real Lambda function the workflow's execution role
may invoke), and what ran is logged."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from regionbox.testing.waiting import eventually as wait_for
from tests.services.lambda_.helpers import create
from tests.services.transfer.helpers import ACCOUNT, ALL_S3, calls, key_pair, log_events, online, role, sftp

LOGS = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/transfer/workflows:*"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:step"
RECORD_STEP = """import json, os
def handler(event, context):
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps(event) + "\\n")
    return {}
"""


@pytest.fixture
def flow(lambda_cloud, tmp_path):
    cloud = lambda_cloud
    cloud.reset()
    transfer, s3 = cloud.client("transfer", account=ACCOUNT), cloud.client("s3", account=ACCOUNT)
    for bucket in ("inbox", "archive"):
        s3.create_bucket(Bucket=bucket)
    key, public = key_pair(tmp_path)
    # The execution role of a workflow with a custom step may invoke its function (AWS requires it).
    user_role, execution_role = role(cloud, "user"), role(cloud, "workflow", {**ALL_S3, "Statement": [
        *ALL_S3["Statement"], {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"}]})

    def server(steps, exception_steps=None, execution=execution_role) -> tuple[str, str]:
        workflow = transfer.create_workflow(Description="after upload", Steps=steps,
                                            OnExceptionSteps=exception_steps or [])["WorkflowId"]
        server_id = transfer.create_server(StructuredLogDestinations=[LOGS], WorkflowDetails={
            "OnUpload": [{"WorkflowId": workflow, "ExecutionRole": execution}]})["ServerId"]
        online(transfer, server_id)
        transfer.create_user(ServerId=server_id, UserName="ann", Role=user_role, HomeDirectory="/inbox/in",
                             SshPublicKeyBody=public)
        return server_id, workflow

    def upload(server_id: str, name: str = "data.csv") -> None:
        endpoint = cloud.cloud.services.api("transfer").endpoints(ACCOUNT, "us-east-1", server_id)[0]
        local = tmp_path / name
        local.write_bytes(b"id,value\n1,2\n")
        assert sftp(key, "ann", endpoint.address, endpoint.sftp_port, f"put {local}\n").returncode == 0

    return {"cloud": cloud, "transfer": transfer, "s3": s3, "server": server, "upload": upload, "role": execution_role,
            "tmp": tmp_path}


def keys(s3, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_workflows_crud(flow):
    transfer = flow["transfer"]
    steps = [{"Type": "COPY", "CopyStepDetails": {"Name": "archive", "DestinationFileLocation": {
        "S3FileLocation": {"Bucket": "archive", "Key": "copies/"}}, "OverwriteExisting": "TRUE"}}]
    workflow_id = transfer.create_workflow(Steps=steps, Description="copy it", Tags=[{"Key": "k", "Value": "v"}])["WorkflowId"]
    described = transfer.describe_workflow(WorkflowId=workflow_id)["Workflow"]
    assert described["Steps"] == steps and described["Description"] == "copy it"
    assert described["Arn"] == f"arn:aws:transfer:us-east-1:{ACCOUNT}:workflow/{workflow_id}"
    assert transfer.list_workflows()["Workflows"] == [{"WorkflowId": workflow_id, "Description": "copy it",
                                                       "Arn": described["Arn"]}]
    with pytest.raises(ClientError, match="InvalidRequestException"):
        transfer.create_workflow(Steps=[{"Type": "COPY", "TagStepDetails": {"Tags": [{"Key": "a", "Value": "b"}]}}])
    transfer.delete_workflow(WorkflowId=workflow_id)
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        transfer.describe_workflow(WorkflowId=workflow_id)


def test_copy_tag_delete_after_an_upload(flow):
    server_id, workflow = flow["server"]([
        {"Type": "COPY", "CopyStepDetails": {"Name": "archive", "DestinationFileLocation": {
            "S3FileLocation": {"Bucket": "archive", "Key": "copies/"}}}},
        {"Type": "TAG", "TagStepDetails": {"Name": "mark", "SourceFileLocation": "${previous.file}",
                                           "Tags": [{"Key": "stage", "Value": "archived"}]}},
        {"Type": "DELETE", "DeleteStepDetails": {"Name": "clean", "SourceFileLocation": "${original.file}"}}])
    flow["upload"](server_id)
    s3 = flow["s3"]
    wait_for(lambda: keys(s3, "inbox") == [] and keys(s3, "archive") == ["copies/data.csv"])
    tags = s3.get_object_tagging(Bucket="archive", Key="copies/data.csv")["TagSet"]
    assert tags == [{"Key": "stage", "Value": "archived"}]
    events = log_events(flow["cloud"], "/aws/transfer/workflows", wait_for="ExecutionCompleted")
    kinds = [e["type"] for e in events if "type" in e]
    assert kinds == ["ExecutionStarted"] + ["StepStarted", "StepCompleted"] * 3 + ["ExecutionCompleted"]
    assert flow["transfer"].list_executions(WorkflowId=workflow)["Executions"] == []  # only in-progress ones are listed


def test_a_failing_step_runs_the_exception_steps(flow):
    server_id, _ = flow["server"](
        [{"Type": "COPY", "CopyStepDetails": {"Name": "to-nowhere", "DestinationFileLocation": {
            "S3FileLocation": {"Bucket": "no-such-bucket", "Key": "x/"}}}}],
        [{"Type": "COPY", "CopyStepDetails": {"Name": "quarantine", "DestinationFileLocation": {
            "S3FileLocation": {"Bucket": "archive", "Key": "failed/"}}}}])
    flow["upload"](server_id)
    wait_for(lambda: keys(flow["s3"], "archive") == ["failed/data.csv"])
    events = log_events(flow["cloud"], "/aws/transfer/workflows", wait_for="ExecutionErrored")
    errored = [e for e in events if e.get("type") == "StepErrored"]
    assert errored[0]["details"]["errorType"] == "NOT_FOUND"


def test_the_execution_role_is_enforced(flow):
    limited = role(flow["cloud"], "limited", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    server_id, _ = flow["server"]([{"Type": "DELETE", "DeleteStepDetails": {"Name": "rm"}}], execution=limited)
    flow["upload"](server_id)
    events = log_events(flow["cloud"], "/aws/transfer/workflows", wait_for="ExecutionErrored")
    assert [e["details"]["errorType"] for e in events if e.get("type") == "StepErrored"] == ["PERMISSION_DENIED"]
    assert keys(flow["s3"], "inbox") == ["in/data.csv"]


def test_a_custom_step_waits_for_send_workflow_step_state(flow):
    transfer = flow["transfer"]
    out = flow["tmp"] / "step-events.jsonl"
    create(flow["cloud"], "step", RECORD_STEP, account=ACCOUNT, Environment={"Variables": {"OUT": str(out)}})
    server_id, workflow = flow["server"]([
        {"Type": "CUSTOM", "CustomStepDetails": {"Name": "scan", "Target": FUNCTION, "TimeoutSeconds": 60}},
        {"Type": "COPY", "CopyStepDetails": {"Name": "archive", "DestinationFileLocation": {
            "S3FileLocation": {"Bucket": "archive", "Key": "clean/"}}}}])
    flow["upload"](server_id)
    event = wait_for(lambda: calls(out) and calls(out)[0], timeout=60)
    assert event["fileLocation"]["key"] == "in/data.csv" and event["serviceMetadata"]["transferDetails"]["userName"] == "ann"
    running = transfer.list_executions(WorkflowId=workflow)["Executions"]
    assert len(running) == 1 and running[0]["Status"] == "IN_PROGRESS"
    execution_id = running[0]["ExecutionId"]
    assert execution_id == event["serviceMetadata"]["executionId"]
    described = transfer.describe_execution(WorkflowId=workflow, ExecutionId=execution_id)["Execution"]
    assert described["InitialFileLocation"]["S3FileLocation"]["Key"] == "in/data.csv"
    assert described["ServiceMetadata"]["UserDetails"]["ServerId"] == server_id and described["ExecutionRole"] == flow["role"]
    with pytest.raises(ClientError, match="InvalidRequestException"):
        transfer.send_workflow_step_state(WorkflowId=workflow, ExecutionId=execution_id, Token="wrong", Status="SUCCESS")
    transfer.send_workflow_step_state(WorkflowId=workflow, ExecutionId=execution_id, Token=event["token"], Status="SUCCESS")
    wait_for(lambda: keys(flow["s3"], "archive") == ["clean/data.csv"])
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        transfer.describe_execution(WorkflowId=workflow, ExecutionId=execution_id)


def test_a_custom_step_without_its_function_fails_as_on_aws(flow):
    server_id, _ = flow["server"]([{"Type": "CUSTOM", "CustomStepDetails": {
        "Name": "scan", "Target": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:missing"}}])
    flow["upload"](server_id)
    events = log_events(flow["cloud"], "/aws/transfer/workflows", wait_for="ExecutionErrored")
    errored = [e for e in events if e.get("type") == "StepErrored"][0]
    assert errored["details"]["errorType"] == "CUSTOM_STEP_FAILED" and "Function not found" in errored["details"]["errorMessage"]
