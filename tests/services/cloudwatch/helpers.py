"""What the CloudWatch tests share: clients that speak a chosen dialect of CloudWatch's three
(current botocore prefers json over smithy-rpc-v2-cbor; query is the oldest), error checks."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from unittest import mock

import botocore.exceptions
import botocore.model
import pytest


def client(cloud, protocol: str | None = None, **kwargs):
    """A boto3 CloudWatch client that speaks ``protocol`` ("smithy-rpc-v2-cbor", "json", "query")."""
    if protocol is None:
        return cloud.client("cloudwatch", **kwargs)
    with mock.patch.object(botocore.model, "PRIORITY_ORDERED_SUPPORTED_PROTOCOLS", (protocol,)):
        made = cloud.client("cloudwatch", **kwargs)
    assert made.meta.service_model.resolved_protocol == protocol
    return made


@contextmanager
def refused(code: str, message: str | None = None, status: int | None = None):
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        yield caught
    error = caught.value.response["Error"]
    assert error["Code"] == code, caught.value.response
    if message is not None:
        assert error["Message"] == message, error["Message"]
    if status is not None:
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def minutes_ago(minutes: float) -> datetime:
    now = datetime.now(timezone.utc)
    return now - timedelta(minutes=minutes)


def aligned(period: int, back: int = 0) -> datetime:
    """The start of the current period (minus ``back`` periods): timestamps land in known buckets."""
    now = int(datetime.now(timezone.utc).timestamp())
    return datetime.fromtimestamp(now - now % period - back * period, timezone.utc)
