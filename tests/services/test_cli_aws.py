"""The AWS CLI (v1, a real subprocess) against the cloud: what users type works unchanged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ACCOUNT = "123456789012"


def aws_cli() -> list[str]:
    """The `aws` installed beside this Python (the project's .venv), not whichever is first on PATH."""
    script = Path(sys.executable).with_name("aws")
    return [str(script)] if script.exists() else [sys.executable, "-m", "awscli"]


def aws(cloud, *args: str, account: str = ACCOUNT, region: str = "us-east-1", check: bool = True):
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": account,
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_PAGER": "",
    }
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    command = [*aws_cli(), "--endpoint-url", cloud.endpoint, "--output", "json", *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_sts_get_caller_identity(cloud):
    identity = json.loads(aws(cloud, "sts", "get-caller-identity").stdout)
    assert identity == {"UserId": ACCOUNT, "Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:root"}


def test_iam_role_and_assume_role(cloud):
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "222222222222"}, "Action": "sts:AssumeRole"}]})
    role = json.loads(aws(cloud, "iam", "create-role", "--role-name", "cli-role",
                          "--assume-role-policy-document", trust).stdout)["Role"]
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/cli-role"
    assumed = json.loads(aws(cloud, "sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name", "cli",
                             account="222222222222").stdout)
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/cli-role/cli"
    denied = aws(cloud, "sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name", "cli",
                 account="333333333333", check=False)
    assert denied.returncode != 0
    assert "(AccessDenied)" in denied.stderr and "is not authorized to perform: sts:AssumeRole" in denied.stderr


def test_ec2_describe_availability_zones(cloud):
    zones = json.loads(aws(cloud, "ec2", "describe-availability-zones", region="ap-northeast-1").stdout)["AvailabilityZones"]
    assert [z["ZoneName"] for z in zones] == ["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"]
    assert {z["State"] for z in zones} == {"available"}


def test_logs_round_trip(cloud):
    aws(cloud, "logs", "create-log-group", "--log-group-name", "/cli/app")
    aws(cloud, "logs", "create-log-stream", "--log-group-name", "/cli/app", "--log-stream-name", "main")
    now = int(time.time() * 1000)
    events = json.dumps([{"timestamp": now, "message": "hello from the cli"}, {"timestamp": now + 1, "message": "ERROR boom"}])
    aws(cloud, "logs", "put-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "main", "--log-events", events)
    found = json.loads(aws(cloud, "logs", "filter-log-events", "--log-group-name", "/cli/app",
                           "--filter-pattern", "ERROR").stdout)["events"]
    assert [e["message"] for e in found] == ["ERROR boom"]
    exists = aws(cloud, "logs", "create-log-group", "--log-group-name", "/cli/app", check=False)
    assert "(ResourceAlreadyExistsException)" in exists.stderr
