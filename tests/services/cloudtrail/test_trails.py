"""Trails through boto3 and the AWS CLI: create with its destinations checked as CloudTrail checks
them, read from the home region and (multi-region) from others, update, delete, logging status,
tags, and ListTrails' pages."""

from __future__ import annotations

import json

import pytest

from tests.services.cloudtrail.helpers import ACCOUNT, OTHER, bucket_policy, clients, error_of, trail_bucket
from tests.services.test_cli_aws import aws

LOGS_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
LOGS_WRITE = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
     "Resource": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:trail-events:log-stream:*"}]})


def logs_role(cloud, trust: str = LOGS_TRUST, permissions: str | None = LOGS_WRITE, name: str = "trail-to-logs") -> str:
    (iam,) = clients(cloud, "iam")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]
    if permissions:
        iam.put_role_policy(RoleName=name, PolicyName="write", PolicyDocument=permissions)
    return role["Arn"]


def test_create_read_update_delete(trail_cloud):
    trail_bucket(trail_cloud)
    trail_bucket(trail_cloud, "other-logs", prefix="audit")
    ct, = clients(trail_cloud, "cloudtrail")
    created = ct.create_trail(Name="main", S3BucketName="trail-logs", EnableLogFileValidation=True,
                              TagsList=[{"Key": "team", "Value": "sec"}])
    created.pop("ResponseMetadata")
    arn = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/main"
    assert created == {"Name": "main", "S3BucketName": "trail-logs", "IncludeGlobalServiceEvents": True,
                       "IsMultiRegionTrail": False, "TrailARN": arn, "LogFileValidationEnabled": True,
                       "IsOrganizationTrail": False}
    for name in ("main", arn):
        trail = ct.get_trail(Name=name)["Trail"]
        assert (trail["HomeRegion"], trail["HasCustomEventSelectors"], trail["HasInsightSelectors"]) == (
            "us-east-1", False, False)
    assert [t["Name"] for t in ct.describe_trails()["trailList"]] == ["main"]
    updated = ct.update_trail(Name="main", S3BucketName="other-logs", S3KeyPrefix="audit", EnableLogFileValidation=False)
    assert (updated["S3BucketName"], updated["S3KeyPrefix"], updated["LogFileValidationEnabled"]) == (
        "other-logs", "audit", False)
    assert ct.list_tags(ResourceIdList=[arn])["ResourceTagList"] == [
        {"ResourceId": arn, "TagsList": [{"Key": "team", "Value": "sec"}]}]
    ct.delete_trail(Name="main")
    assert ct.describe_trails()["trailList"] == []
    assert error_of(ct.get_trail, Name="main") == (
        "TrailNotFoundException", f"Unknown trail: main for the user: {ACCOUNT}")
    assert error_of(ct.get_trail_status, Name="main") == (
        "TrailNotFoundException", f"Unknown trail: {arn} for the user: {ACCOUNT}")


@pytest.mark.parametrize("name, message", [
    ("ab", "Trail name too short. Minimum allowed length: 3 characters. Specified name length: 2 characters."),
    ("a" * 129, "Trail name too long. Maximum allowed length: 128 characters. Specified name length: 129 characters."),
    ("-trail", "Trail name must starts with a letter or number."),
    ("trail!", "Trail name must ends with a letter or number."),
    ("my#trail", "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), "
                 "hyphens (-), and underscores (_)."),
    ("my--trail", "Trail name cannot contain adjacent periods, underscores or dashes."),
    ("10.0.0.1", "Trail name cannot be formatted as an IP address."),
])
def test_trail_names(trail_cloud, name, message):
    ct, = clients(trail_cloud, "cloudtrail")
    assert error_of(ct.create_trail, Name=name, S3BucketName="any-bucket") == ("InvalidTrailNameException", message)


def test_destinations_are_checked(trail_cloud):
    ct, s3 = clients(trail_cloud, "cloudtrail", "s3")
    assert error_of(ct.create_trail, Name="trail1", S3BucketName="missing-bucket") == (
        "S3BucketDoesNotExistException", "S3 bucket missing-bucket does not exist!")
    s3.create_bucket(Bucket="no-policy")
    assert error_of(ct.create_trail, Name="trail1", S3BucketName="no-policy") == (
        "InsufficientS3BucketPolicyException", "Incorrect S3 bucket policy is detected for bucket: no-policy")
    # A policy for another prefix does not let CloudTrail write where this trail writes.
    s3.put_bucket_policy(Bucket="no-policy", Policy=bucket_policy("no-policy", prefix="elsewhere"))
    assert error_of(ct.create_trail, Name="trail1", S3BucketName="no-policy")[0] == "InsufficientS3BucketPolicyException"
    assert ct.create_trail(Name="trail1", S3BucketName="no-policy", S3KeyPrefix="elsewhere")["S3KeyPrefix"] == "elsewhere"
    # An explicit Deny wins.
    denied = json.loads(bucket_policy("no-policy"))
    denied["Statement"].append({"Effect": "Deny", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                                "Action": "s3:PutObject", "Resource": "arn:aws:s3:::no-policy/*"})
    s3.put_bucket_policy(Bucket="no-policy", Policy=json.dumps(denied))
    assert error_of(ct.create_trail, Name="trail2", S3BucketName="no-policy")[0] == "InsufficientS3BucketPolicyException"
    assert error_of(ct.create_trail, Name="trail2", S3BucketName="no-policy", IsMultiRegionTrail=True,
                    IncludeGlobalServiceEvents=False) == (
        "InvalidParameterCombinationException", "Multi-Region trail must include global service events.")
    trail_bucket(trail_cloud, "good-logs")
    assert error_of(ct.create_trail, Name="trail2", S3BucketName="good-logs", SnsTopicName="alerts") == (
        "InsufficientSnsTopicPolicyException", "SNS Topic does not exist or the topic policy is incorrect!")
    assert error_of(ct.create_trail, Name="trail2", S3BucketName="good-logs", KmsKeyId="alias/trail")[0] == \
        "KmsKeyNotFoundException"
    assert error_of(ct.create_trail, Name="trail2", S3BucketName="good-logs", IsOrganizationTrail=True)[0] == \
        "OrganizationsNotInUseException"
    assert error_of(ct.create_trail, Name="trail1", S3BucketName="good-logs") == (
        "TrailAlreadyExistsException", f"Trail trail1 already exists for customer: {ACCOUNT}")
    for number in range(2, 6):
        ct.create_trail(Name=f"trail{number}", S3BucketName="good-logs")
    assert error_of(ct.create_trail, Name="trail6", S3BucketName="good-logs") == (
        "MaximumNumberOfTrailsExceededException", f"User: {ACCOUNT} already has 5 trails in us-east-1.")


def test_cloudwatch_logs_group_and_role(trail_cloud):
    trail_bucket(trail_cloud)
    ct, logs = clients(trail_cloud, "cloudtrail", "logs")
    group_arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:trail-events:*"
    good_role = logs_role(trail_cloud)
    untrusted = logs_role(trail_cloud, trust=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}), name="ec2-role")
    powerless = logs_role(trail_cloud, permissions=None, name="powerless")
    create = dict(Name="main", S3BucketName="trail-logs")
    assert error_of(ct.create_trail, **create, CloudWatchLogsLogGroupArn=group_arn) == (
        "InvalidCloudWatchLogsRoleArnException", "You must specify a role ARN as well as a log group.")
    assert error_of(ct.create_trail, **create, CloudWatchLogsLogGroupArn=group_arn, CloudWatchLogsRoleArn=untrusted) == (
        "InvalidCloudWatchLogsRoleArnException", "Access denied. Check the trust relationships for your role.")
    assert error_of(ct.create_trail, **create, CloudWatchLogsLogGroupArn=group_arn, CloudWatchLogsRoleArn=good_role) == (
        "InvalidCloudWatchLogsLogGroupArnException", "CloudTrail cannot validate the specified log group ARN.")
    logs.create_log_group(logGroupName="trail-events")
    assert error_of(ct.create_trail, **create, CloudWatchLogsLogGroupArn=group_arn, CloudWatchLogsRoleArn=powerless) == (
        "InvalidCloudWatchLogsLogGroupArnException", "Access denied. Check the permissions for your role.")
    assert error_of(ct.create_trail, **create, CloudWatchLogsLogGroupArn="arn:aws:logs:us-east-1:1:nonsense",
                    CloudWatchLogsRoleArn=good_role)[0] == "InvalidCloudWatchLogsLogGroupArnException"
    trail = ct.create_trail(**create, CloudWatchLogsLogGroupArn=group_arn, CloudWatchLogsRoleArn=good_role,
                            RecursiveLogging=False)
    assert trail["RecursiveLogging"] is False and ct.get_trail(Name="main")["Trail"]["RecursiveLogging"] is False
    assert (trail["CloudWatchLogsLogGroupArn"], trail["CloudWatchLogsRoleArn"]) == (group_arn, good_role)
    # Empty strings take CloudWatch Logs delivery off, as on AWS.
    cleared = ct.update_trail(Name="main", CloudWatchLogsLogGroupArn="", CloudWatchLogsRoleArn="")
    assert "CloudWatchLogsLogGroupArn" not in cleared


def test_logging_status(trail_cloud):
    trail_bucket(trail_cloud)
    ct, = clients(trail_cloud, "cloudtrail")
    ct.create_trail(Name="main", S3BucketName="trail-logs")
    idle = ct.get_trail_status(Name="main")
    assert idle["IsLogging"] is False and "StartLoggingTime" not in idle
    assert (idle["TimeLoggingStarted"], idle["TimeLoggingStopped"], idle["LatestDeliveryAttemptTime"]) == ("", "", "")
    ct.start_logging(Name="main")
    started = ct.get_trail_status(Name="main")
    assert started["IsLogging"] is True and started["TimeLoggingStarted"].endswith("Z") and "StartLoggingTime" in started
    ct.stop_logging(Name="main")
    stopped = ct.get_trail_status(Name="main")
    assert stopped["IsLogging"] is False and stopped["StopLoggingTime"] >= stopped["StartLoggingTime"]


def test_multi_region_trail_is_seen_but_not_changed_elsewhere(trail_cloud):
    trail_bucket(trail_cloud)
    home, = clients(trail_cloud, "cloudtrail")
    away, = clients(trail_cloud, "cloudtrail", region="eu-west-1")
    arn = home.create_trail(Name="everywhere", S3BucketName="trail-logs", IsMultiRegionTrail=True)["TrailARN"]
    local_arn = home.create_trail(Name="local", S3BucketName="trail-logs")["TrailARN"]
    assert [t["Name"] for t in away.describe_trails()["trailList"]] == ["everywhere"]
    # Another region's trail is described when named by its ARN, never by its name.
    assert [t["Name"] for t in away.describe_trails(trailNameList=[local_arn, "local"])["trailList"]] == ["local"]
    assert away.describe_trails(includeShadowTrails=False)["trailList"] == []
    assert away.get_trail(Name="everywhere")["Trail"]["HomeRegion"] == "us-east-1"
    assert away.get_trail_status(Name=arn)["IsLogging"] is False
    assert error_of(away.update_trail, Name=arn, EnableLogFileValidation=True)[0] == "InvalidHomeRegionException"
    assert error_of(away.start_logging, Name="everywhere") == (
        "TrailNotFoundException", f"Unknown trail: arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/everywhere "
                                  f"for the user: {ACCOUNT}")
    assert error_of(away.get_trail, Name="local")[0] == "TrailNotFoundException"
    other, = clients(trail_cloud, "cloudtrail", account=OTHER)
    assert error_of(other.get_trail, Name=arn) == (
        "CloudTrailARNInvalidException",
        f"AccountID in ARN is wrong, you can only access resources with AccountID {OTHER}.")


def test_list_trails_pages_across_regions(trail_cloud):
    regions = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-central-1",
               "ap-northeast-1", "ap-southeast-1", "ap-southeast-2", "sa-east-1"]
    trail_bucket(trail_cloud)
    for region in regions:
        ct, = clients(trail_cloud, "cloudtrail", region=region)
        for number in range(5):
            ct.create_trail(Name=f"t-{region}-{number}", S3BucketName="trail-logs")
    ct, = clients(trail_cloud, "cloudtrail", region="eu-west-1")
    first = ct.list_trails()
    assert len(first["Trails"]) == 50 and first["NextToken"]
    pages = list(ct.get_paginator("list_trails").paginate())
    listed = [t for page in pages for t in page["Trails"]]
    assert len(pages) == 2 and len(listed) == 55
    assert {t["HomeRegion"] for t in listed} == set(regions)
    assert error_of(ct.list_trails, NextToken="forged")[0] == "InvalidNextTokenException"


def test_tags(trail_cloud):
    trail_bucket(trail_cloud)
    ct, = clients(trail_cloud, "cloudtrail")
    arn = ct.create_trail(Name="main", S3BucketName="trail-logs")["TrailARN"]
    ct.add_tags(ResourceId=arn, TagsList=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}, {"Key": "flag"}])
    ct.add_tags(ResourceId=arn, TagsList=[{"Key": "a", "Value": "changed"}])
    ct.remove_tags(ResourceId=arn, TagsList=[{"Key": "b"}, {"Key": "flag", "Value": "not its value"}])
    assert ct.list_tags(ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"] == [
        {"Key": "a", "Value": "changed"}, {"Key": "flag"}]
    assert error_of(ct.add_tags, ResourceId=arn, TagsList=[{"Key": f"k{n}", "Value": "v"} for n in range(49)])[0] == \
        "TagsLimitExceededException"
    assert error_of(ct.add_tags, ResourceId=arn, TagsList=[{"Key": "aws:reserved", "Value": "v"}])[0] == \
        "InvalidTagParameterException"
    assert error_of(ct.add_tags, ResourceId="main", TagsList=[{"Key": "x", "Value": "y"}])[0] == \
        "CloudTrailARNInvalidException"
    assert error_of(ct.list_tags, ResourceIdList=["arn:aws:s3:::bucket"])[0] == "ResourceTypeNotSupportedException"


def test_trail_through_the_cli(trail_cloud):
    trail_bucket(trail_cloud)
    created = json.loads(aws(trail_cloud, "cloudtrail", "create-trail", "--name", "cli-trail", "--s3-bucket-name",
                             "trail-logs", "--is-multi-region-trail").stdout)
    assert created["IsMultiRegionTrail"] is True
    aws(trail_cloud, "cloudtrail", "start-logging", "--name", "cli-trail")
    status = json.loads(aws(trail_cloud, "cloudtrail", "get-trail-status", "--name", "cli-trail").stdout)
    assert status["IsLogging"] is True
    selectors = json.loads(aws(trail_cloud, "cloudtrail", "get-event-selectors", "--trail-name", "cli-trail").stdout)
    assert selectors["EventSelectors"] == [{"ReadWriteType": "All", "IncludeManagementEvents": True,
                                            "DataResources": [], "ExcludeManagementEventSources": []}]
    failed = aws(trail_cloud, "cloudtrail", "create-trail", "--name", "other-trail", "--s3-bucket-name", "nope", check=False)
    assert failed.returncode != 0 and "S3BucketDoesNotExistException" in failed.stderr
