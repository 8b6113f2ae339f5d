"""Accounts and regions are isolated: what one account or region creates, another cannot see."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

A, B = "111111111111", "222222222222"
LOGS_READ_ONLY = "arn:aws:iam::aws:policy/CloudWatchLogsReadOnlyAccess"
LOGS_FULL_ACCESS = "arn:aws:iam::aws:policy/CloudWatchLogsFullAccess"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def test_iam_roles_are_per_account(cloud):
    cloud.client("iam", account=A).create_role(RoleName="shared-name", AssumeRolePolicyDocument=TRUST, Description="A's")
    iam_b = cloud.client("iam", account=B)
    assert iam_b.list_roles()["Roles"] == []
    with pytest.raises(ClientError) as info:
        iam_b.get_role(RoleName="shared-name")
    assert info.value.response["Error"]["Code"] == "NoSuchEntity"
    # The same name is free in B, with its own id and ARN.
    role_b = iam_b.create_role(RoleName="shared-name", AssumeRolePolicyDocument=TRUST)["Role"]
    role_a = cloud.client("iam", account=A).get_role(RoleName="shared-name")["Role"]
    assert role_b["Arn"] == f"arn:aws:iam::{B}:role/shared-name" and role_a["Arn"] == f"arn:aws:iam::{A}:role/shared-name"
    assert role_a["RoleId"] != role_b["RoleId"] and role_a["Description"] == "A's"


def test_log_groups_are_per_account_and_region(cloud):
    cloud.client("logs", account=A, region="eu-west-1").create_log_group(logGroupName="/isolated")
    assert [g["logGroupName"] for g in cloud.client("logs", account=A, region="eu-west-1").describe_log_groups()["logGroups"]] == ["/isolated"]
    assert cloud.client("logs", account=B, region="eu-west-1").describe_log_groups()["logGroups"] == []
    assert cloud.client("logs", account=A, region="eu-west-2").describe_log_groups()["logGroups"] == []
    # The same name can be created in another region and in another account.
    cloud.client("logs", account=A, region="eu-west-2").create_log_group(logGroupName="/isolated")
    cloud.client("logs", account=B, region="eu-west-1").create_log_group(logGroupName="/isolated")
    with pytest.raises(ClientError) as info:
        cloud.client("logs", account=B, region="eu-west-2").create_log_stream(logGroupName="/isolated", logStreamName="s")
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_log_events_do_not_cross_accounts(cloud):
    now = int(time.time() * 1000)
    for account, text in ((A, "from A"), (B, "from B")):
        logs = cloud.client("logs", account=account)
        logs.create_log_group(logGroupName="/same")
        logs.create_log_stream(logGroupName="/same", logStreamName="s")
        logs.put_log_events(logGroupName="/same", logStreamName="s", logEvents=[{"timestamp": now, "message": text}])
    for account, text in ((A, "from A"), (B, "from B")):
        logs = cloud.client("logs", account=account)
        assert [e["message"] for e in logs.filter_log_events(logGroupName="/same")["events"]] == [text]
        assert [e["message"] for e in logs.get_log_events(logGroupName="/same", logStreamName="s")["events"]] == [text]


def test_assumed_role_session_sees_only_the_roles_account(cloud):
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": B}, "Action": "sts:AssumeRole"}]})
    role = cloud.client("iam", account=A).create_role(RoleName="cross", AssumeRolePolicyDocument=trust)["Role"]
    cloud.client("iam", account=A).attach_role_policy(RoleName="cross", PolicyArn=LOGS_READ_ONLY)
    cloud.client("logs", account=A).create_log_group(logGroupName="/in-A")
    cloud.client("logs", account=B).create_log_group(logGroupName="/in-B")
    credentials = cloud.client("sts", account=B).assume_role(RoleArn=role["Arn"], RoleSessionName="x-acct")["Credentials"]
    logs = cloud.client("logs", access_key=credentials["AccessKeyId"], secret_key=credentials["SecretAccessKey"],
                        session_token=credentials["SessionToken"])
    assert [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]] == ["/in-A"]


def test_delegated_access_is_audited_in_the_target_account(cloud):
    """The architecture notes' "no direct login" pattern: the security account's team assumes a
    role in the network account; the network account's trail names the session and the role."""
    security, network = "333333333333", "444444444444"
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{security}:root"}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:ExternalId": "netops"}}}]})
    role = cloud.client("iam", account=network).create_role(RoleName="NetworkOperator", AssumeRolePolicyDocument=trust)["Role"]
    cloud.client("iam", account=network).attach_role_policy(RoleName="NetworkOperator", PolicyArn=LOGS_FULL_ACCESS)
    credentials = cloud.client("sts", account=security).assume_role(
        RoleArn=role["Arn"], RoleSessionName="alice", ExternalId="netops")["Credentials"]
    session = dict(access_key=credentials["AccessKeyId"], secret_key=credentials["SecretAccessKey"],
                   session_token=credentials["SessionToken"])
    cloud.client("logs", region="ap-northeast-1", **session).create_log_group(logGroupName="/network/flow-logs")
    assert cloud.client("logs", account=network, region="ap-northeast-1").describe_log_groups()["logGroups"][0][
        "logGroupName"] == "/network/flow-logs"
    assert cloud.client("logs", account=security, region="ap-northeast-1").describe_log_groups()["logGroups"] == []
    trail = cloud.client("cloudtrail", account=network, region="ap-northeast-1").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateLogGroup"}])["Events"]
    identity = json.loads(trail[0]["CloudTrailEvent"])["userIdentity"]
    assert identity["arn"] == f"arn:aws:sts::{network}:assumed-role/NetworkOperator/alice"
    assert identity["sessionContext"]["sessionIssuer"]["arn"] == role["Arn"]
    assumed = cloud.client("cloudtrail", account=security).lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AssumeRole"}])["Events"]
    assert json.loads(assumed[0]["CloudTrailEvent"])["requestParameters"]["RoleArn"] == role["Arn"]
