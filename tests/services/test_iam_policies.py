"""Managed policies through boto3: AWS's own (listed with Scope=AWS, per-account attachment
counts, not changeable), versions and the default, tags on policies and instance profiles,
service-linked roles, the policy simulator, authorization reports, and ARNs in other partitions."""

from __future__ import annotations

import json

import pytest

from tests.services.iam_support import error_of

ACCOUNT = "123456789012"
OTHER = "210987654321"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def document(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture
def iam(cloud):
    return cloud.client("iam", account=ACCOUNT)


NAMED_IN_ISSUE_9 = ["AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess", "IAMFullAccess", "AmazonS3FullAccess",
                    "AmazonS3ReadOnlyAccess", "AmazonDynamoDBFullAccess", "AmazonDynamoDBReadOnlyAccess",
                    "AmazonElastiCacheFullAccess", "AmazonElastiCacheReadOnlyAccess", "AmazonRDSFullAccess",
                    "AmazonRDSReadOnlyAccess", "AWSLambda_FullAccess", "AWSLambda_ReadOnlyAccess", "CloudWatchFullAccess",
                    "CloudWatchReadOnlyAccess", "AWSLambdaBasicExecutionRole", "AWSLambdaDynamoDBExecutionRole",
                    "AmazonRDSEnhancedMonitoringRole", "AWSTransferLoggingAccess"]


def test_aws_managed_policies_are_in_every_account(cloud, iam):
    listed = iam.get_paginator("list_policies").paginate(Scope="AWS", PaginationConfig={"PageSize": 7}).build_full_result()["Policies"]
    names = [p["PolicyName"] for p in listed]
    assert set(NAMED_IN_ISSUE_9) <= set(names) and names == sorted(names, key=str.lower)
    assert all(p["Arn"] == f"arn:aws:iam::aws:policy{p['Path']}{p['PolicyName']}" for p in listed)
    role_policy = "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole"
    assert iam.get_policy(PolicyArn=role_policy)["Policy"]["AttachmentCount"] == 0
    iam.create_role(RoleName="fn", AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName="fn", PolicyArn=role_policy)
    policy = iam.get_policy(PolicyArn=role_policy)["Policy"]
    assert (policy["AttachmentCount"], policy["Path"], policy["IsAttachable"]) == (1, "/service-role/", True)
    # counts are per account
    assert cloud.client("iam", account=OTHER).get_policy(PolicyArn=role_policy)["Policy"]["AttachmentCount"] == 0
    attached = iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]
    assert [p["PolicyName"] for p in attached] == ["AWSLambdaDynamoDBExecutionRole"]
    version = iam.get_policy_version(PolicyArn=role_policy, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    assert "dynamodb:GetRecords" in version["Document"]["Statement"][0]["Action"] and version["IsDefaultVersion"]
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=role_policy)["Versions"]] == [policy["DefaultVersionId"]]
    assert error_of(lambda: iam.delete_policy(PolicyArn=role_policy))[0] == "AccessDenied"
    assert error_of(lambda: iam.create_policy_version(PolicyArn=role_policy, PolicyDocument=document(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"})))[0] == "AccessDenied"
    entities = iam.list_entities_for_policy(PolicyArn=role_policy)
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == ["fn"] and entities["PolicyUsers"] == []
    local = iam.list_policies(Scope="Local")["Policies"]
    assert local == []


def test_policy_versions_and_the_default(iam):
    first = document({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    arn = iam.create_policy(PolicyName="app", PolicyDocument=first, Tags=[{"Key": "Team", "Value": "a"}])["Policy"]["Arn"]
    for index in range(2, 6):
        created = iam.create_policy_version(PolicyArn=arn, PolicyDocument=document(
            {"Effect": "Allow", "Action": f"s3:Get{index}", "Resource": "*"}), SetAsDefault=index == 3)["PolicyVersion"]
        assert created["VersionId"] == f"v{index}"
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    assert error_of(lambda: iam.create_policy_version(PolicyArn=arn, PolicyDocument=first)) == (
        "LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")
    page = iam.list_policy_versions(PolicyArn=arn, MaxItems=2)
    assert [v["VersionId"] for v in page["Versions"]] == ["v5", "v4"] and page["IsTruncated"]
    assert error_of(lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v3")) == (
        "DeleteConflict", "Cannot delete the default version of a policy.")
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v5")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    assert iam.create_policy_version(PolicyArn=arn, PolicyDocument=first)["PolicyVersion"]["VersionId"] == "v6"
    assert error_of(lambda: iam.get_policy_version(PolicyArn=arn, VersionId="v3")) == (
        "NoSuchEntity", f"Policy {arn} version v3 does not exist or is not attachable.")
    # tags on policies are case sensitive
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "team", "Value": "b"}])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "Team", "Value": "a"}, {"Key": "team", "Value": "b"}]
    iam.untag_policy(PolicyArn=arn, TagKeys=["Team"])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "team", "Value": "b"}]


def test_instance_profile_tags(iam):
    iam.create_instance_profile(InstanceProfileName="web", Tags=[{"Key": "a", "Value": "1"}])
    iam.tag_instance_profile(InstanceProfileName="web", Tags=[{"Key": "b", "Value": "2"}])
    assert iam.list_instance_profile_tags(InstanceProfileName="web")["Tags"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    iam.untag_instance_profile(InstanceProfileName="web", TagKeys=["a"])
    assert iam.list_instance_profile_tags(InstanceProfileName="web")["Tags"] == [{"Key": "b", "Value": "2"}]
    assert error_of(lambda: iam.tag_instance_profile(InstanceProfileName="none", Tags=[{"Key": "a", "Value": "1"}]))[0] == "NoSuchEntity"


def test_service_linked_roles(iam):
    role = iam.create_service_linked_role(AWSServiceName="elasticache.amazonaws.com", Description="for ElastiCache")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForElastiCache"
    assert role["Path"] == "/aws-service-role/elasticache.amazonaws.com/"
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/elasticache.amazonaws.com/AWSServiceRoleForElastiCache"
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "elasticache.amazonaws.com"}
    attached = iam.list_attached_role_policies(RoleName="AWSServiceRoleForElastiCache")["AttachedPolicies"]
    assert attached == [{"PolicyName": "ElastiCacheServiceRolePolicy",
                         "PolicyArn": "arn:aws:iam::aws:policy/aws-service-role/ElastiCacheServiceRolePolicy"}]
    assert error_of(lambda: iam.create_service_linked_role(AWSServiceName="elasticache.amazonaws.com")) == (
        "InvalidInput", "Service role name AWSServiceRoleForElastiCache has been taken in this account, please try a different suffix.")
    assert error_of(lambda: iam.delete_role(RoleName="AWSServiceRoleForElastiCache")) == (
        "UnmodifiableEntity", "Cannot perform the operation on the protected role 'AWSServiceRoleForElastiCache' - this role is only modifiable by AWS")
    assert error_of(lambda: iam.detach_role_policy(RoleName="AWSServiceRoleForElastiCache", PolicyArn=attached[0]["PolicyArn"]))[0] == (
        "UnmodifiableEntity")
    autoscaling = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="web")["Role"]
    assert autoscaling["RoleName"] == "AWSServiceRoleForAutoScaling_web"
    assert error_of(lambda: iam.create_service_linked_role(AWSServiceName="nothing.amazonaws.com"))[0] == "InvalidInput"
    task = iam.delete_service_linked_role(RoleName="AWSServiceRoleForElastiCache")["DeletionTaskId"]
    assert task.startswith("task/aws-service-role/elasticache.amazonaws.com/AWSServiceRoleForElastiCache/")
    assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
    assert error_of(lambda: iam.get_role(RoleName="AWSServiceRoleForElastiCache"))[0] == "NoSuchEntity"


def test_policy_simulator(iam):
    iam.create_user(UserName="sim")
    iam.put_user_policy(UserName="sim", PolicyName="reads", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Reads", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}},
        {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/secret/*"}]}, indent=2))
    iam.create_group(GroupName="writers")
    iam.put_group_policy(GroupName="writers", PolicyName="w", PolicyDocument=document(
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}))
    iam.add_user_to_group(GroupName="writers", UserName="sim")
    results = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/sim", ActionNames=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        ResourceArns=["arn:aws:s3:::data/report.csv", "arn:aws:s3:::data/secret/key"],
        ContextEntries=[{"ContextKeyName": "aws:RequestedRegion", "ContextKeyValues": ["eu-west-1"], "ContextKeyType": "string"}],
    )["EvaluationResults"]
    decisions = {(r["EvalActionName"], r["EvalResourceName"]): r["EvalDecision"] for r in results}
    assert decisions == {("s3:GetObject", "arn:aws:s3:::data/report.csv"): "allowed",
                         ("s3:GetObject", "arn:aws:s3:::data/secret/key"): "explicitDeny",
                         ("s3:PutObject", "arn:aws:s3:::data/report.csv"): "allowed",
                         ("s3:PutObject", "arn:aws:s3:::data/secret/key"): "allowed",
                         ("s3:DeleteObject", "arn:aws:s3:::data/report.csv"): "implicitDeny",
                         ("s3:DeleteObject", "arn:aws:s3:::data/secret/key"): "implicitDeny"}
    allowed = results[0]["MatchedStatements"]
    assert allowed == [{"SourcePolicyId": "reads", "SourcePolicyType": "user",
                        "StartPosition": {"Line": 4, "Column": 5}, "EndPosition": {"Line": 14, "Column": 5}}]
    # without the region in the context, the condition fails and the key is reported missing
    bare = iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/sim", ActionNames=["s3:GetObject"],
                                         ResourceArns=["arn:aws:s3:::data/x"])["EvaluationResults"][0]
    assert (bare["EvalDecision"], bare["MissingContextValues"]) == ("implicitDeny", ["aws:RequestedRegion"])
    custom = iam.simulate_custom_policy(
        PolicyInputList=[document({"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"})],
        PermissionsBoundaryPolicyInputList=[document({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"})],
        ActionNames=["dynamodb:GetItem", "dynamodb:PutItem"], MaxItems=1)
    assert custom["IsTruncated"] and custom["EvaluationResults"][0]["EvalDecision"] == "allowed"
    assert custom["EvaluationResults"][0]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    rest = iam.simulate_custom_policy(
        PolicyInputList=[document({"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"})],
        PermissionsBoundaryPolicyInputList=[document({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"})],
        ActionNames=["dynamodb:GetItem", "dynamodb:PutItem"], Marker=custom["Marker"])["EvaluationResults"]
    assert rest[0]["EvalDecision"] == "implicitDeny"
    assert error_of(lambda: iam.simulate_custom_policy(PolicyInputList=["{bad"], ActionNames=["s3:GetObject"])) == (
        "InvalidInput", "PolicyInputList: Syntax errors in policy.")
    assert error_of(lambda: iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/ghost",
                                                          ActionNames=["s3:GetObject"])) == (
        "NoSuchEntity", "The user with name ghost cannot be found.")
    assert error_of(lambda: iam.simulate_principal_policy(PolicySourceArn="arn:aws:s3:::bucket/user/x",
                                                          ActionNames=["s3:GetObject"])) == (
        "InvalidInput", "Invalid ARN: arn:aws:s3:::bucket/user/x")
    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/sim")["ContextKeyNames"]
    assert keys == ["aws:RequestedRegion"]
    assert iam.get_context_keys_for_custom_policy(PolicyInputList=[document(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::${aws:username}/*",
         "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}, "StringLike": {"s3:prefix": "home/"}}})])["ContextKeyNames"] == [
        "aws:SourceIp", "s3:prefix", "aws:username"]


def test_authorization_details_and_granting_policies(iam):
    iam.create_user(UserName="u")
    iam.put_user_policy(UserName="u", PolicyName="logs", PolicyDocument=document({"Effect": "Allow", "Action": "logs:*", "Resource": "*"}))
    iam.create_group(GroupName="g")
    iam.add_user_to_group(GroupName="g", UserName="u")
    iam.attach_group_policy(GroupName="g", PolicyArn="arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    local = iam.create_policy(PolicyName="mine", PolicyDocument=document({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="r", PolicyArn=local)
    details = iam.get_account_authorization_details()
    assert [u["UserName"] for u in details["UserDetailList"]] == ["u"]
    assert details["UserDetailList"][0]["GroupList"] == ["g"]
    assert details["UserDetailList"][0]["UserPolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"] == "logs:*"
    assert [g["GroupName"] for g in details["GroupDetailList"]] == ["g"]
    assert [r["RoleName"] for r in details["RoleDetailList"]] == ["r"]
    assert sorted(p["PolicyName"] for p in details["Policies"]) == ["AmazonDynamoDBReadOnlyAccess", "mine"]
    only_roles = iam.get_account_authorization_details(Filter=["Role"])
    assert only_roles["UserDetailList"] == [] and len(only_roles["RoleDetailList"]) == 1
    paged = iam.get_account_authorization_details(MaxItems=2)
    assert paged["IsTruncated"]
    granting = iam.list_policies_granting_service_access(Arn=f"arn:aws:iam::{ACCOUNT}:user/u", ServiceNamespaces=["logs", "dynamodb", "s3"])
    by_service = {g["ServiceNamespace"]: g["Policies"] for g in granting["PoliciesGrantingServiceAccess"]}
    assert by_service["logs"] == [{"PolicyName": "logs", "PolicyType": "INLINE", "EntityType": "USER", "EntityName": "u"}]
    assert by_service["dynamodb"][0]["PolicyArn"] == "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"
    assert by_service["s3"] == []
    ghost = f"arn:aws:iam::{ACCOUNT}:user/ghost"
    assert error_of(lambda: iam.list_policies_granting_service_access(Arn=ghost, ServiceNamespaces=["s3"])) == (
        "NoSuchEntity", f"The entity {ghost} cannot be found.")
    assert error_of(lambda: iam.list_policies_granting_service_access(Arn="not-an-arn-at-all-really", ServiceNamespaces=["s3"])) == (
        "InvalidInput", "ARN not-an-arn-at-all-really is not valid.")


def test_arns_in_the_regions_partition(cloud):
    iam = cloud.client("iam", region="cn-north-1", account=ACCOUNT)
    user = iam.create_user(UserName="cn-user")["User"]
    assert user["Arn"] == f"arn:aws-cn:iam::{ACCOUNT}:user/cn-user"
    role = iam.create_role(RoleName="cn-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}]}))["Role"]
    assert role["Arn"] == f"arn:aws-cn:iam::{ACCOUNT}:role/cn-role"
    aws_policies = iam.list_policies(Scope="AWS", MaxItems=3)["Policies"]
    assert all(p["Arn"].startswith("arn:aws-cn:iam::aws:policy/") for p in aws_policies)
    assert iam.get_policy(PolicyArn="arn:aws-cn:iam::aws:policy/ReadOnlyAccess")["Policy"]["PolicyName"] == "ReadOnlyAccess"
    iam.attach_role_policy(RoleName="cn-role", PolicyArn="arn:aws-cn:iam::aws:policy/IAMReadOnlyAccess")
    sts = cloud.client("sts", region="cn-north-1", account=ACCOUNT)
    assert sts.get_caller_identity()["Arn"] == f"arn:aws-cn:iam::{ACCOUNT}:root"
    session = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="cn")
    assert session["AssumedRoleUser"]["Arn"] == f"arn:aws-cn:sts::{ACCOUNT}:assumed-role/cn-role/cn"
    gov = cloud.client("iam", region="us-gov-west-1", account=ACCOUNT).create_group(GroupName="gov")["Group"]
    assert gov["Arn"] == f"arn:aws-us-gov:iam::{ACCOUNT}:group/gov"
    linked = cloud.client("iam", region="cn-north-1", account=OTHER).create_service_linked_role(
        AWSServiceName="elasticache.amazonaws.com")["Role"]
    assert linked["Arn"].startswith(f"arn:aws-cn:iam::{OTHER}:role/aws-service-role/")
    assert cloud.client("iam", region="cn-north-1", account=OTHER).list_attached_role_policies(
        RoleName=linked["RoleName"])["AttachedPolicies"][0]["PolicyArn"] == "arn:aws-cn:iam::aws:policy/aws-service-role/ElastiCacheServiceRolePolicy"
