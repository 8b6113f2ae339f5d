"""What the CloudWatch Logs tests share: the account they act in, the error a call answers, the
time as Logs counts it, and a group with a stream (and events) to work on."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"


def error_of(call) -> dict:
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]


def now_ms() -> int:
    return int(time.time() * 1000)


def make_group(logs, name="/app/web", stream="main", messages=(), **kwargs) -> str:
    """A log group with one stream (and ``messages`` in it, a millisecond apart); its ARN."""
    logs.create_log_group(logGroupName=name, **kwargs)
    logs.create_log_stream(logGroupName=name, logStreamName=stream)
    if messages:
        now = now_ms()
        logs.put_log_events(logGroupName=name, logStreamName=stream,
                            logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)])
    return logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["logGroupArn"]
