"""Helpers shared by the DynamoDB engine tests (tables in one call, error assertions)."""

from __future__ import annotations

import contextlib

import botocore.exceptions
import pytest


def create_table(client, name="tbl", hash_key=("pk", "S"), range_key=None, **extra):
    definitions = [{"AttributeName": hash_key[0], "AttributeType": hash_key[1]}]
    schema = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    if range_key:
        definitions.append({"AttributeName": range_key[0], "AttributeType": range_key[1]})
        schema.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
    for name_type in extra.pop("more_attributes", ()):
        definitions.append({"AttributeName": name_type[0], "AttributeType": name_type[1]})
    extra.setdefault("BillingMode", "PAY_PER_REQUEST")
    client.create_table(TableName=name, KeySchema=schema, AttributeDefinitions=definitions, **extra)
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    return name


@contextlib.contextmanager
def aws_error(code: str, message: str | None = None, contains: str | None = None):
    """Expect a ClientError with this code (and exact message / fragment)."""
    with pytest.raises(botocore.exceptions.ClientError) as info:
        yield info
    error = info.value.response["Error"]
    assert error["Code"] == code, error
    if message is not None:
        assert error["Message"] == message, error
    if contains is not None:
        assert contains in error["Message"], error


def dynamodb_state(cloud):
    """The DynamoDBState behind an in-process cloud's handlers, for tests that tune or break what
    no API reaches (shard rollover, the clock of trimming, a failing item store)."""
    service = cloud.run(cloud.cloud.services.ready("dynamodb"))  # loaded on the cloud's loop, as a request would
    handler = service.operations["DescribeTable"]
    return getattr(handler, "__wrapped__", handler).__self__.state  # under access.py's wrapper
