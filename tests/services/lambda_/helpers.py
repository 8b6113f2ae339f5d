"""Building blocks of the Lambda tests: packages, an execution role, a function, an invocation."""

from __future__ import annotations

import base64
import io
import json
import zipfile

from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from regionbox.testing.waiting import eventually  # noqa: F401 - tests import it from here

ACCOUNT = "111111111111"
OTHER = "222222222222"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def zipped(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


_CLIENTS: dict[tuple[str, str, str], object] = {}


def client(cloud, service: str = "lambda", account: str = ACCOUNT, **kwargs):
    """A boto3 client, made once per endpoint, service and account (making one costs more than a call)."""
    key = (cloud.endpoint, service, account)
    if kwargs or key not in _CLIENTS:
        made = cloud.client(service, account=account, config=BotoConfig(retries={"max_attempts": 1}, read_timeout=120),
                            **kwargs)
        if kwargs:
            return made
        _CLIENTS[key] = made
    return _CLIENTS[key]


def role(cloud, name: str = "fn-role", account: str = ACCOUNT, policy: dict | None = None) -> str:
    """An execution role Lambda may assume, with an inline policy when given."""
    iam = client(cloud, "iam", account)
    try:
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
    if policy is not None:
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(policy))
    return arn


def create(cloud, name: str, source: str | dict, *, handler: str = "app.handler", runtime: str = "python3.12",
           account: str = ACCOUNT, role_arn: str | None = None, **extra) -> dict:
    """A function from one module (or several files), waited on until Active."""
    files = source if isinstance(source, dict) else {"app.py": source}
    lam = client(cloud, account=account)
    created = lam.create_function(FunctionName=name, Runtime=runtime, Handler=handler,
                                  Role=role_arn or role(cloud, f"{name}-role", account), Code={"ZipFile": zipped(files)},
                                  **extra)
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    return created


def invoke(cloud, name: str, payload=None, *, account: str = ACCOUNT, **params) -> dict:
    """Invoke and read everything: {"status", "payload" (JSON), "error", "log", "version"}."""
    body = json.dumps(payload).encode() if payload is not None else b""
    answer = client(cloud, account=account).invoke(FunctionName=name, Payload=body, **params)
    raw = answer["Payload"].read()
    return {"status": answer["StatusCode"], "payload": json.loads(raw) if raw else None,
            "error": answer.get("FunctionError"), "version": answer.get("ExecutedVersion"),
            "log": base64.b64decode(answer["LogResult"]).decode() if "LogResult" in answer else None}


def error_of(call) -> dict:
    try:
        call()
    except ClientError as caught:
        modeled = {k: v for k, v in caught.response.items() if k not in ("Error", "ResponseMetadata")}
        return {**modeled, **caught.response["Error"], "Status": caught.response["ResponseMetadata"]["HTTPStatusCode"]}
    raise AssertionError("no error")


def log_messages(cloud, name: str, account: str = ACCOUNT) -> list[str]:
    logs = client(cloud, "logs", account)
    try:
        pages = logs.get_paginator("filter_log_events").paginate(logGroupName=f"/aws/lambda/{name}")
        return [event["message"] for page in pages for event in page["events"]]
    except ClientError:
        return []
