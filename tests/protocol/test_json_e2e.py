"""The JSON protocol through the real gateway and botocore's own client."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def test_dynamodb_round_trip_through_the_gateway(cloud):
    client = cloud.client("dynamodb")
    client.create_table(TableName="sessions", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
    client.put_item(TableName="sessions", Item={"id": {"S": "a"}, "blob": {"B": b"\x00\xff"}, "n": {"N": "1.5"}})
    item = client.get_item(TableName="sessions", Key={"id": {"S": "a"}})["Item"]
    assert item == {"id": {"S": "a"}, "blob": {"B": b"\x00\xff"}, "n": {"N": "1.5"}}
    created = client.describe_table(TableName="sessions")["Table"]["CreationDateTime"]
    assert created.tzinfo is not None


def test_modeled_and_validation_errors_through_the_gateway(cloud):
    client = cloud.client("dynamodb")
    with pytest.raises(ClientError) as caught:
        client.describe_table(TableName="missing")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as caught:
        client.create_table(TableName="t", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                            BillingMode="CHEAP")
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"] == ("1 validation error detected: Value 'CHEAP' at 'billingMode' failed to satisfy "
                                "constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]")
