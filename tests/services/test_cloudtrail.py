"""CloudTrail LookupEvents through boto3 over what the gateway records: attributes, time range,
pages newest first, the CloudTrailEvent document, and account/region isolation."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
OTHER = "210987654321"
LOGS_FULL_ACCESS = "arn:aws:iam::aws:policy/CloudWatchLogsFullAccess"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}]})


_clients: dict = {}


def lookup(cloud, account=ACCOUNT, region="us-east-1", **kwargs) -> list[dict]:
    # boto3 clients are slow to build and hold no state between tests: reuse them.
    key = (cloud.endpoint, account, region)
    if key not in _clients:
        _clients[key] = cloud.client("cloudtrail", account=account, region=region)
    return _clients[key].lookup_events(**kwargs)["Events"]


def by(key: str, value: str) -> dict:
    return {"LookupAttributes": [{"AttributeKey": key, "AttributeValue": value}]}


def test_iam_call_is_recorded_with_its_resource(cloud):
    role = cloud.client("iam", account=ACCOUNT, region="eu-west-1").create_role(
        RoleName="audited", AssumeRolePolicyDocument=TRUST)["Role"]
    events = lookup(cloud, **by("EventName", "CreateRole"))
    assert len(events) == 1
    event = events[0]
    assert (event["EventSource"], event["Username"], event["ReadOnly"], event["AccessKeyId"]) == (
        "iam.amazonaws.com", "root", "false", ACCOUNT)
    assert event["Resources"] == [{"ResourceType": "AWS::IAM::Role", "ResourceName": "audited"}]
    assert abs(event["EventTime"] - datetime.now(timezone.utc)) < timedelta(minutes=5)
    record = json.loads(event["CloudTrailEvent"])
    assert record["eventID"] == event["EventId"]
    assert record["userIdentity"] == {"type": "Root", "principalId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root",
                                      "accountId": ACCOUNT, "accessKeyId": ACCOUNT}
    # IAM is global: its events are recorded in us-east-1 whichever endpoint region was called.
    assert record["awsRegion"] == "us-east-1"
    assert record["eventSource"] == "iam.amazonaws.com" and record["eventName"] == "CreateRole"
    assert record["requestParameters"]["RoleName"] == "audited"
    assert record["responseElements"]["Role"]["Arn"] == role["Arn"]
    assert record["sourceIPAddress"] == "127.0.0.1" and "Boto3" in record["userAgent"]
    assert lookup(cloud, region="eu-west-1", **by("EventName", "CreateRole")) == []


def test_every_lookup_attribute(cloud):
    cloud.client("iam", account=ACCOUNT).create_role(RoleName="r1", AssumeRolePolicyDocument=TRUST)
    cloud.client("logs", account=ACCOUNT).create_log_group(logGroupName="/audited")
    iam_event = lookup(cloud, **by("EventName", "CreateRole"))[0]
    cases = {
        "EventId": (iam_event["EventId"], ["CreateRole"]),
        "EventName": ("CreateLogGroup", ["CreateLogGroup"]),
        "EventSource": ("logs.amazonaws.com", ["CreateLogGroup"]),
        "ResourceName": ("r1", ["CreateRole"]),
        "ResourceType": ("AWS::Logs::LogGroup", ["CreateLogGroup"]),
        "Username": ("root", ["CreateLogGroup", "CreateRole"]),
        "AccessKeyId": (ACCOUNT, ["CreateLogGroup", "CreateRole"]),
        "ReadOnly": ("false", ["CreateLogGroup", "CreateRole"]),
    }
    for key, (value, names) in cases.items():
        # the lookups themselves are read-only events too (as on AWS); compare the writes
        writes = [e["EventName"] for e in lookup(cloud, **by(key, value)) if e["ReadOnly"] == "false"]
        assert writes == names, key
    # Reads are management events as well; item and log-event reads are data events, not here.
    cloud.client("logs", account=ACCOUNT).describe_log_groups()
    cloud.client("logs", account=ACCOUNT).filter_log_events(logGroupName="/audited")
    reads = {e["EventName"] for e in lookup(cloud, **by("ReadOnly", "true"))}
    assert reads == {"DescribeLogGroups", "LookupEvents"}
    assert all(json.loads(e["CloudTrailEvent"])["readOnly"] is True for e in lookup(cloud, **by("EventName", "DescribeLogGroups")))
    assert lookup(cloud, **by("EventName", "DeleteRole")) == []


def test_assumed_role_identity(cloud):
    role = cloud.client("iam", account=ACCOUNT).create_role(RoleName="deployer", AssumeRolePolicyDocument=TRUST)["Role"]
    cloud.client("iam", account=ACCOUNT).attach_role_policy(RoleName="deployer", PolicyArn=LOGS_FULL_ACCESS)
    credentials = cloud.client("sts", account=ACCOUNT).assume_role(RoleArn=role["Arn"], RoleSessionName="ci-job")["Credentials"]
    assumed = lookup(cloud, **by("EventName", "AssumeRole"))[0]
    record = json.loads(assumed["CloudTrailEvent"])
    assert record["responseElements"]["Credentials"]["SecretAccessKey"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert {"ResourceType": "AWS::IAM::Role", "ResourceName": role["Arn"]} in assumed["Resources"]
    logs = cloud.client("logs", region="us-east-1", access_key=credentials["AccessKeyId"],
                        secret_key=credentials["SecretAccessKey"], session_token=credentials["SessionToken"])
    logs.create_log_group(logGroupName="/by-role")
    event = lookup(cloud, **by("Username", "ci-job"))[0]
    assert (event["EventName"], event["AccessKeyId"]) == ("CreateLogGroup", credentials["AccessKeyId"])
    identity = json.loads(event["CloudTrailEvent"])["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/ci-job"
    assert identity["principalId"] == f"{role['RoleId']}:ci-job"
    assert identity["sessionContext"]["sessionIssuer"] == {
        "type": "Role", "principalId": role["RoleId"], "arn": role["Arn"], "accountId": ACCOUNT, "userName": "deployer"}


def test_failed_calls_are_recorded_with_the_error(cloud):
    with pytest.raises(ClientError):
        cloud.client("logs", account=ACCOUNT).delete_log_group(logGroupName="/missing")
    record = json.loads(lookup(cloud, **by("EventName", "DeleteLogGroup"))[0]["CloudTrailEvent"])
    assert (record["errorCode"], record["errorMessage"]) == (
        "ResourceNotFoundException", "The specified log group does not exist.")


def test_pages_newest_first_and_time_range(cloud):
    logs = cloud.client("logs", account=ACCOUNT, region="eu-central-1")
    for i in range(5):
        logs.create_log_group(logGroupName=f"/g/{i}")
    client = cloud.client("cloudtrail", account=ACCOUNT, region="eu-central-1")
    logs_events = by("EventSource", "logs.amazonaws.com")  # not the lookups, which are recorded too
    first = client.lookup_events(MaxResults=2, **logs_events)
    assert len(first["Events"]) == 2 and first["NextToken"]
    names = [e["Resources"][0]["ResourceName"] for page in client.get_paginator("lookup_events").paginate(
        PaginationConfig={"PageSize": 2}, **logs_events) for e in page["Events"]]
    assert names == [f"/g/{i}" for i in reversed(range(5))]
    past = datetime.now(timezone.utc) - timedelta(days=1)
    assert client.lookup_events(EndTime=past)["Events"] == []
    assert len(client.lookup_events(StartTime=past, **logs_events)["Events"]) == 5
    with pytest.raises(ClientError) as info:
        client.lookup_events(NextToken="forged")
    assert info.value.response["Error"]["Code"] == "InvalidNextTokenException"
    with pytest.raises(ClientError) as info:
        client.lookup_events(StartTime=datetime.now(timezone.utc), EndTime=past)
    assert info.value.response["Error"]["Code"] == "InvalidTimeRangeException"


def test_only_one_lookup_attribute(cloud):
    with pytest.raises(ClientError) as info:
        cloud.client("cloudtrail").lookup_events(LookupAttributes=[
            {"AttributeKey": "EventName", "AttributeValue": "CreateRole"},
            {"AttributeKey": "Username", "AttributeValue": "root"}])
    assert info.value.response["Error"]["Code"] == "InvalidLookupAttributesException"


def test_events_are_isolated_per_account_and_region(cloud):
    cloud.client("logs", account=ACCOUNT, region="us-west-2").create_log_group(logGroupName="/mine")
    assert len(lookup(cloud, region="us-west-2")) == 1
    assert lookup(cloud, account=OTHER, region="us-west-2") == []
    assert lookup(cloud, region="us-west-1") == []


def test_cross_account_assume_role_is_in_both_trails(cloud):
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "sts:AssumeRole"}]})
    role = cloud.client("iam", account=ACCOUNT).create_role(RoleName="for-other", AssumeRolePolicyDocument=trust)["Role"]
    cloud.client("sts", account=OTHER).assume_role(RoleArn=role["Arn"], RoleSessionName="visitor")
    for account in (ACCOUNT, OTHER):
        events = lookup(cloud, account=account, **by("EventName", "AssumeRole"))
        assert len(events) == 1, account
        record = json.loads(events[0]["CloudTrailEvent"])
        assert record["recipientAccountId"] == account
        assert record["userIdentity"]["arn"] == f"arn:aws:iam::{OTHER}:root"


def test_iam_user_identity(cloud):
    iam = cloud.client("iam", account=ACCOUNT)
    iam.create_user(UserName="dev")
    key = iam.create_access_key(UserName="dev")["AccessKey"]
    iam.attach_user_policy(UserName="dev", PolicyArn=LOGS_FULL_ACCESS)
    cloud.client("logs", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"]).create_log_group(logGroupName="/dev")
    event = lookup(cloud, **by("Username", "dev"))[0]
    assert (event["EventName"], event["AccessKeyId"]) == ("CreateLogGroup", key["AccessKeyId"])
    identity = json.loads(event["CloudTrailEvent"])["userIdentity"]
    assert (identity["type"], identity["arn"], identity["userName"]) == ("IAMUser", f"arn:aws:iam::{ACCOUNT}:user/dev", "dev")
