"""DynamoDB's API for other services (AppSync's data sources): item operations in-process with
the wire's decoding, validation and IAM, answered as the JSON a client reads."""

from __future__ import annotations

import json

import pytest

from regionbox.core.context import Caller, RequestContext
from regionbox.core.errors import ServiceError


def _ctx(caller: Caller) -> RequestContext:
    return RequestContext(caller=caller, region="us-east-1", request_id="r", service="dynamodb")


def test_item_operations_run_as_over_the_wire(cloud):
    ddb = cloud.client("dynamodb", account="111111111111")
    ddb.create_table(TableName="tbl", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    ddb.get_waiter("table_exists").wait(TableName="tbl", WaiterConfig={"Delay": 0.1})
    api = cloud.cloud.services.api("dynamodb")
    root = _ctx(Caller.root("111111111111"))
    api.call(root, "PutItem", {"TableName": "tbl", "Item": {"id": {"S": "a"}, "b": {"B": "AAE="}, "n": {"N": "1"}}})
    got = api.call(root, "GetItem", {"TableName": "tbl", "Key": {"id": {"S": "a"}}})
    assert got["Item"]["n"] == {"N": "1"} and got["Item"]["b"]["B"] in ("AAE=", b"\x00\x01")
    assert ddb.get_item(TableName="tbl", Key={"id": {"S": "a"}})["Item"]["b"] == {"B": b"\x00\x01"}
    with pytest.raises(ServiceError) as failed:
        api.call(root, "PutItem", {"TableName": "tbl", "Item": {"id": {"S": "a"}},
                                   "ConditionExpression": "attribute_not_exists(id)"})
    assert failed.value.code == "ConditionalCheckFailedException"
    with pytest.raises(ServiceError) as bad:
        api.call(root, "GetItem", {"TableName": "tbl"})
    assert bad.value.code == "ValidationException"


def test_a_role_session_is_authorized_by_its_policies(cloud):
    iam = cloud.client("iam", account="111111111111")
    ddb = cloud.client("dynamodb", account="111111111111")
    ddb.create_table(
        TableName="tbl", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    ddb.get_waiter("table_exists").wait(TableName="tbl", WaiterConfig={"Delay": 0.1})
    role = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "appsync.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]
    iam.put_role_policy(RoleName="reader", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]}))
    session = Caller(account_id="111111111111", arn="arn:aws:sts::111111111111:assumed-role/reader/APPSYNC_ASSUME_ROLE",
                     user_id=f"{role['RoleId']}:APPSYNC_ASSUME_ROLE", type="AssumedRole", role_arn=role["Arn"],
                     session_name="APPSYNC_ASSUME_ROLE")
    api = cloud.cloud.services.api("dynamodb")
    assert api.call(_ctx(session), "GetItem", {"TableName": "tbl", "Key": {"id": {"S": "x"}}}) == {}
    with pytest.raises(ServiceError) as denied:
        api.call(_ctx(session), "PutItem", {"TableName": "tbl", "Item": {"id": {"S": "x"}}})
    assert denied.value.code == "AccessDeniedException" and "dynamodb:PutItem" in denied.value.message
