"""IAM roles and inline policies through boto3, with AWS's errors and messages."""

from __future__ import annotations

import json
import re

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::bucket/*"}]})


@pytest.fixture
def iam(cloud):
    return cloud.client("iam", account=ACCOUNT)


def error_of(call) -> dict:
    with pytest.raises(ClientError) as info:
        call()
    return {**info.value.response["Error"], "Status": info.value.response["ResponseMetadata"]["HTTPStatusCode"]}


def test_create_get_role(iam):
    created = iam.create_role(RoleName="worker", Path="/service/", AssumeRolePolicyDocument=TRUST,
                              Description="runs jobs", MaxSessionDuration=7200,
                              Tags=[{"Key": "team", "Value": "data"}])["Role"]
    assert re.fullmatch(r"AROA[A-Z2-7]{17}", created["RoleId"])
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/service/worker"
    assert created["Path"] == "/service/"
    role = iam.get_role(RoleName="worker")["Role"]
    # boto3 decodes the URL-encoded document IAM returns.
    assert role["AssumeRolePolicyDocument"] == json.loads(TRUST)
    assert (role["Description"], role["MaxSessionDuration"], role["RoleId"]) == ("runs jobs", 7200, created["RoleId"])
    assert role["Tags"] == [{"Key": "team", "Value": "data"}]
    assert role["CreateDate"] == created["CreateDate"]


def test_role_document_is_url_encoded_on_the_wire(cloud, iam):
    iam.create_role(RoleName="raw", AssumeRolePolicyDocument=TRUST)
    raw = cloud.client("iam", account=ACCOUNT)
    captured = {}
    raw.meta.events.register("after-call.iam.GetRole", lambda http_response, **_: captured.update(body=http_response.text))
    raw.get_role(RoleName="raw")
    assert "<AssumeRolePolicyDocument>%7B%22Version%22%3A%20%222012-10-17%22" in captured["body"]


def test_role_names_are_unique_regardless_of_case(iam):
    iam.create_role(RoleName="Builder", AssumeRolePolicyDocument=TRUST)
    error = error_of(lambda: iam.create_role(RoleName="builder", AssumeRolePolicyDocument=TRUST))
    assert error == {"Type": "Sender", "Code": "EntityAlreadyExists",
                     "Message": "Role with name builder already exists.", "Status": 409}


def test_missing_role(iam):
    error = error_of(lambda: iam.get_role(RoleName="ghost"))
    assert (error["Code"], error["Message"], error["Status"]) == ("NoSuchEntity", "The role with name ghost cannot be found.", 404)
    assert error_of(lambda: iam.delete_role(RoleName="ghost"))["Code"] == "NoSuchEntity"


@pytest.mark.parametrize("document, message", [
    ("{not json", "This policy contains invalid Json"),
    (json.dumps({"Version": "2012-10-17"}), "Missing required field Statement"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}),
     "AssumeRolepolicy contained an invalid principal: Missing required field Principal"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                          "Action": "sts:AssumeRole", "Resource": "*"}]}),
     "Has prohibited field Resource"),
    (json.dumps({"Version": "2019-01-01", "Statement": []}), "The policy failed legacy parsing"),
])
def test_malformed_trust_policies(iam, document, message):
    error = error_of(lambda: iam.create_role(RoleName="r", AssumeRolePolicyDocument=document))
    assert (error["Code"], error["Message"]) == ("MalformedPolicyDocument", message)


def test_invalid_role_name_and_session_duration(cloud):
    iam = cloud.client("iam", account=ACCOUNT, config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    error = error_of(lambda: iam.create_role(RoleName="bad name", AssumeRolePolicyDocument=TRUST))
    assert error["Code"] == "ValidationError"
    assert "roleName" in error["Message"] and "regular expression pattern" in error["Message"]
    error = error_of(lambda: iam.create_role(RoleName="x" * 65, AssumeRolePolicyDocument=TRUST))
    assert error["Code"] == "ValidationError" and "length less than or equal to 64" in error["Message"]
    error = error_of(lambda: iam.create_role(RoleName="ok", AssumeRolePolicyDocument=TRUST, MaxSessionDuration=60))
    assert error["Code"] == "ValidationError" and "maxSessionDuration" in error["Message"]


def test_trust_policy_size_limit(iam):
    big = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/r{i:04d}"}, "Action": "sts:AssumeRole"}
        for i in range(40)]})
    error = error_of(lambda: iam.create_role(RoleName="big", AssumeRolePolicyDocument=big))
    assert (error["Code"], error["Message"], error["Status"]) == (
        "LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048", 409)


def test_list_roles_paginates_with_marker(iam):
    for i in range(7):
        iam.create_role(RoleName=f"role-{i}", AssumeRolePolicyDocument=TRUST, Path="/app/" if i % 2 else "/")
    first = iam.list_roles(MaxItems=3)
    assert first["IsTruncated"] is True and len(first["Roles"]) == 3
    second = iam.list_roles(MaxItems=3, Marker=first["Marker"])
    third = iam.list_roles(MaxItems=3, Marker=second["Marker"])
    assert third["IsTruncated"] is False and "Marker" not in third
    names = [r["RoleName"] for page in (first, second, third) for r in page["Roles"]]
    assert names == [f"role-{i}" for i in range(7)]
    paginated = [r["RoleName"] for page in iam.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 2})
                 for r in page["Roles"]]
    assert paginated == names
    assert [r["RoleName"] for r in iam.list_roles(PathPrefix="/app/")["Roles"]] == ["role-1", "role-3", "role-5"]
    assert error_of(lambda: iam.list_roles(Marker="forged-marker"))["Code"] == "ValidationError"
    error = error_of(lambda: iam.list_users(Marker="forged-marker"))
    assert (error["Code"], error["Message"], error["Status"]) == ("ValidationError", "Invalid Marker.", 400)


def test_inline_policies_and_delete_conflict(iam):
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(RoleName="app", PolicyName="s3-write", PolicyDocument=POLICY)
    iam.put_role_policy(RoleName="app", PolicyName="a-first", PolicyDocument=POLICY)
    got = iam.get_role_policy(RoleName="app", PolicyName="s3-write")
    assert (got["RoleName"], got["PolicyName"], got["PolicyDocument"]) == ("app", "s3-write", json.loads(POLICY))
    assert iam.list_role_policies(RoleName="app")["PolicyNames"] == ["a-first", "s3-write"]
    error = error_of(lambda: iam.delete_role(RoleName="app"))
    assert error == {"Type": "Sender", "Code": "DeleteConflict",
                     "Message": "Cannot delete entity, must delete policies first.", "Status": 409}
    iam.delete_role_policy(RoleName="app", PolicyName="s3-write")
    iam.delete_role_policy(RoleName="app", PolicyName="a-first")
    error = error_of(lambda: iam.get_role_policy(RoleName="app", PolicyName="s3-write"))
    assert (error["Code"], error["Message"]) == ("NoSuchEntity", "The role policy with name s3-write cannot be found.")
    iam.delete_role(RoleName="app")
    assert error_of(lambda: iam.get_role(RoleName="app"))["Code"] == "NoSuchEntity"


@pytest.mark.parametrize("document, message", [
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}),
     "Policy statement must contain resources."),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}),
     "Policy statement must contain actions."),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}),
     "Policy document should not specify a principal."),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}]}),
     "Invalid effect: Maybe"),
])
def test_malformed_inline_policies(iam, document, message):
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST)
    error = error_of(lambda: iam.put_role_policy(RoleName="app", PolicyName="p", PolicyDocument=document))
    assert (error["Code"], error["Message"]) == ("MalformedPolicyDocument", message)


def test_inline_policy_size_limit(iam):
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST)
    big = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::bucket-{i:05d}/*"} for i in range(200)]})
    error = error_of(lambda: iam.put_role_policy(RoleName="app", PolicyName="big", PolicyDocument=big))
    assert (error["Code"], error["Message"]) == ("LimitExceeded", "Maximum policy size of 10240 bytes exceeded for role app")


def test_update_role_and_trust_policy_and_tags(iam):
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST)
    iam.update_role(RoleName="app", Description="new", MaxSessionDuration=43200)
    new_trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}]})
    iam.update_assume_role_policy(RoleName="app", PolicyDocument=new_trust)
    iam.tag_role(RoleName="app", Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    iam.untag_role(RoleName="app", TagKeys=["a"])
    role = iam.get_role(RoleName="app")["Role"]
    assert (role["Description"], role["MaxSessionDuration"]) == ("new", 43200)
    assert role["AssumeRolePolicyDocument"] == json.loads(new_trust)
    assert iam.list_role_tags(RoleName="app")["Tags"] == [{"Key": "b", "Value": "2"}]
    described = iam.update_role_description(RoleName="app", Description="described")["Role"]
    assert (described["RoleName"], described["Description"]) == ("app", "described")
    assert iam.get_role(RoleName="app")["Role"]["Description"] == "described"
    error = error_of(lambda: iam.update_role_description(RoleName="nope", Description="x"))
    assert (error["Code"], error["Message"]) == ("NoSuchEntity", "The role with name nope cannot be found.")


def test_iam_is_global(cloud):
    cloud.client("iam", account=ACCOUNT, region="eu-west-1").create_role(RoleName="global", AssumeRolePolicyDocument=TRUST)
    assert cloud.client("iam", account=ACCOUNT, region="ap-northeast-1").get_role(RoleName="global")["Role"]["RoleName"] == "global"


def test_managed_policies_versions_and_attachments(iam):
    created = iam.create_policy(PolicyName="s3-rw", Path="/team/", PolicyDocument=POLICY, Description="bucket access")["Policy"]
    arn = created["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:policy/team/s3-rw"
    assert re.fullmatch(r"ANPA[A-Z2-7]{17}", created["PolicyId"])
    assert (created["DefaultVersionId"], created["AttachmentCount"], created["IsAttachable"]) == ("v1", 0, True)
    error = error_of(lambda: iam.create_policy(PolicyName="S3-RW", PolicyDocument=POLICY))
    assert (error["Code"], error["Message"], error["Status"]) == (
        "EntityAlreadyExists", "A policy called S3-RW already exists. Duplicate names are not allowed.", 409)
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"] == json.loads(POLICY)
    newer = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    assert iam.create_policy_version(PolicyArn=arn, PolicyDocument=newer, SetAsDefault=True)["PolicyVersion"]["VersionId"] == "v2"
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == ["v2", "v1"]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    error = error_of(lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v2"))
    assert (error["Code"], error["Message"]) == ("DeleteConflict", "Cannot delete the default version of a policy.")

    iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST)
    lambda_basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    iam.attach_role_policy(RoleName="app", PolicyArn=arn)
    iam.attach_role_policy(RoleName="app", PolicyArn=lambda_basic)
    assert iam.list_attached_role_policies(RoleName="app")["AttachedPolicies"] == [
        {"PolicyName": "s3-rw", "PolicyArn": arn}, {"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": lambda_basic}]
    assert [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName="app", PathPrefix="/team/")["AttachedPolicies"]] == ["s3-rw"]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    assert [p["PolicyName"] for p in iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]] == ["s3-rw"]
    error = error_of(lambda: iam.delete_role(RoleName="app"))
    assert (error["Code"], error["Message"]) == ("DeleteConflict", "Cannot delete entity, must detach all policies first.")
    error = error_of(lambda: iam.delete_policy(PolicyArn=arn))
    assert (error["Code"], error["Message"]) == ("DeleteConflict", "Cannot delete a policy attached to entities.")
    missing = f"arn:aws:iam::{ACCOUNT}:policy/nope"
    error = error_of(lambda: iam.attach_role_policy(RoleName="app", PolicyArn=missing))
    assert (error["Code"], error["Message"]) == ("NoSuchEntity", f"Policy {missing} does not exist or is not attachable.")
    error = error_of(lambda: iam.detach_role_policy(RoleName="app", PolicyArn=missing))
    assert (error["Code"], error["Message"]) == ("NoSuchEntity", f"Policy {missing} was not found.")

    iam.detach_role_policy(RoleName="app", PolicyArn=arn)
    iam.detach_role_policy(RoleName="app", PolicyArn=lambda_basic)
    iam.delete_role(RoleName="app")
    error = error_of(lambda: iam.delete_policy(PolicyArn=arn))
    assert error["Code"] == "DeleteConflict" and "more than one version" in error["Message"]
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    iam.delete_policy(PolicyArn=arn)
    assert error_of(lambda: iam.get_policy(PolicyArn=arn))["Code"] == "NoSuchEntity"


def test_managed_policy_limits(iam):
    arn = iam.create_policy(PolicyName="p", PolicyDocument=POLICY)["Policy"]["Arn"]
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=POLICY)
    error = error_of(lambda: iam.create_policy_version(PolicyArn=arn, PolicyDocument=POLICY))
    assert error["Code"] == "LimitExceeded" and "up to 5 versions" in error["Message"]
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST)
    for i in range(10):
        iam.attach_role_policy(RoleName="app", PolicyArn=f"arn:aws:iam::aws:policy/Example{i}")
    error = error_of(lambda: iam.attach_role_policy(RoleName="app", PolicyArn=arn))
    assert (error["Code"], error["Message"]) == ("LimitExceeded", "Cannot exceed quota for PoliciesPerRole: 10")
    error = error_of(lambda: iam.create_policy(PolicyName="bad", PolicyDocument=TRUST))
    assert error["Code"] == "MalformedPolicyDocument"


def test_users_and_their_policies(iam):
    user = iam.create_user(UserName="alice", Path="/staff/", Tags=[{"Key": "team", "Value": "ops"}])["User"]
    assert re.fullmatch(r"AIDA[A-Z2-7]{17}", user["UserId"])
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/staff/alice"
    error = error_of(lambda: iam.create_user(UserName="ALICE"))
    assert (error["Code"], error["Message"], error["Status"]) == ("EntityAlreadyExists", "User with name ALICE already exists.", 409)
    assert iam.get_user(UserName="alice")["User"]["Tags"] == [{"Key": "team", "Value": "ops"}]
    assert [u["UserName"] for u in iam.list_users(PathPrefix="/staff/")["Users"]] == ["alice"]
    error = error_of(lambda: iam.get_user(UserName="bob"))
    assert (error["Code"], error["Message"]) == ("NoSuchEntity", "The user with name bob cannot be found.")
    assert iam.get_user()["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"

    iam.put_user_policy(UserName="alice", PolicyName="read", PolicyDocument=POLICY)
    assert iam.get_user_policy(UserName="alice", PolicyName="read")["PolicyDocument"] == json.loads(POLICY)
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == ["read"]
    big = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::bucket-{i:05d}/*"} for i in range(40)]})
    error = error_of(lambda: iam.put_user_policy(UserName="alice", PolicyName="big", PolicyDocument=big))
    assert (error["Code"], error["Message"]) == ("LimitExceeded", "Maximum policy size of 2048 bytes exceeded for user alice")
    error = error_of(lambda: iam.delete_user_policy(UserName="alice", PolicyName="nope"))
    assert (error["Code"], error["Message"]) == ("NoSuchEntity", "The user policy with name nope cannot be found.")
    iam.attach_user_policy(UserName="alice", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert [p["PolicyName"] for p in iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"]] == ["ReadOnlyAccess"]
    assert error_of(lambda: iam.delete_user(UserName="alice"))["Message"] == "Cannot delete entity, must delete policies first."
    iam.delete_user_policy(UserName="alice", PolicyName="read")
    assert error_of(lambda: iam.delete_user(UserName="alice"))["Message"] == "Cannot delete entity, must detach all policies first."
    iam.detach_user_policy(UserName="alice", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.delete_user(UserName="alice")
    assert iam.list_users()["Users"] == []


def test_access_keys_act_as_the_user(cloud, iam):
    iam.create_user(UserName="ci")
    # what a user needs to see itself and make its own keys (IAM's self-management example)
    iam.put_user_policy(UserName="ci", PolicyName="self", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:GetUser", "iam:CreateAccessKey"],
         "Resource": "arn:aws:iam::*:user/${aws:username}"}]}))
    key = iam.create_access_key(UserName="ci")["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["SecretAccessKey"]) == 40 and key["Status"] == "Active"
    as_user = dict(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    identity = cloud.client("sts", **as_user).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/ci"
    assert identity["Account"] == ACCOUNT and identity["UserId"].startswith("AIDA")
    user_iam = cloud.client("iam", **as_user)
    assert user_iam.get_user()["User"]["UserName"] == "ci"
    second = user_iam.create_access_key()["AccessKey"]
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName="ci")["AccessKeyMetadata"]] == [
        key["AccessKeyId"], second["AccessKeyId"]]
    error = error_of(lambda: iam.create_access_key(UserName="ci"))
    assert (error["Code"], error["Message"]) == ("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
    # A role that trusts the user can be assumed with the user's key.
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/ci"}, "Action": "sts:AssumeRole"}]})
    role = iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=trust)["Role"]
    assert cloud.client("sts", **as_user).assume_role(RoleArn=role["Arn"], RoleSessionName="ci")["AssumedRoleUser"]
    iam.update_access_key(UserName="ci", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    error = error_of(lambda: cloud.client("sts", **as_user).get_caller_identity())
    assert (error["Code"], error["Status"]) == ("InvalidClientTokenId", 403)
    error = error_of(lambda: cloud.client("logs", **as_user).describe_log_groups())
    assert (error["Code"], error["Status"]) == ("UnrecognizedClientException", 400)
    assert error_of(lambda: iam.delete_user(UserName="ci"))["Message"] == "Cannot delete entity, must delete access keys first."
    iam.delete_access_key(UserName="ci", AccessKeyId=key["AccessKeyId"])
    iam.delete_access_key(UserName="ci", AccessKeyId=second["AccessKeyId"])
    iam.delete_user_policy(UserName="ci", PolicyName="self")
    error = error_of(lambda: iam.delete_access_key(UserName="ci", AccessKeyId=key["AccessKeyId"]))
    assert (error["Code"], error["Message"]) == ("NoSuchEntity", f"The Access Key with id {key['AccessKeyId']} cannot be found.")
    iam.delete_user(UserName="ci")
    # A deleted key is just an unknown key: the default account's root.
    assert cloud.client("sts", **as_user).get_caller_identity()["Account"] == "000000000000"


def test_instance_profiles(iam):
    iam.create_role(RoleName="web", AssumeRolePolicyDocument=TRUST)
    iam.create_role(RoleName="other", AssumeRolePolicyDocument=TRUST)
    profile = iam.create_instance_profile(InstanceProfileName="web-profile", Path="/ec2/")["InstanceProfile"]
    assert profile["Arn"] == f"arn:aws:iam::{ACCOUNT}:instance-profile/ec2/web-profile"
    assert re.fullmatch(r"AIPA[A-Z2-7]{17}", profile["InstanceProfileId"]) and profile["Roles"] == []
    error = error_of(lambda: iam.create_instance_profile(InstanceProfileName="web-profile"))
    assert (error["Code"], error["Message"]) == ("EntityAlreadyExists", "Instance Profile web-profile already exists.")
    iam.add_role_to_instance_profile(InstanceProfileName="web-profile", RoleName="web")
    error = error_of(lambda: iam.add_role_to_instance_profile(InstanceProfileName="web-profile", RoleName="other"))
    assert (error["Code"], error["Message"]) == ("LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
    got = iam.get_instance_profile(InstanceProfileName="web-profile")["InstanceProfile"]
    assert [r["RoleName"] for r in got["Roles"]] == ["web"]
    assert [p["InstanceProfileName"] for p in iam.list_instance_profiles_for_role(RoleName="web")["InstanceProfiles"]] == ["web-profile"]
    assert [p["InstanceProfileName"] for p in iam.list_instance_profiles(PathPrefix="/ec2/")["InstanceProfiles"]] == ["web-profile"]
    message = "Cannot delete entity, must remove roles from instance profile first."
    assert error_of(lambda: iam.delete_role(RoleName="web"))["Message"] == message
    assert error_of(lambda: iam.delete_instance_profile(InstanceProfileName="web-profile"))["Message"] == message
    iam.remove_role_from_instance_profile(InstanceProfileName="web-profile", RoleName="web")
    iam.delete_instance_profile(InstanceProfileName="web-profile")
    iam.delete_role(RoleName="web")
    error = error_of(lambda: iam.get_instance_profile(InstanceProfileName="web-profile"))
    assert (error["Code"], error["Message"]) == ("NoSuchEntity", "Instance Profile web-profile cannot be found.")


def test_operations_left_out_say_why(cloud, iam):
    error = error_of(lambda: iam.enable_organizations_root_sessions())
    assert (error["Code"], error["Status"]) == ("NotImplemented", 501)
    assert error["Message"].endswith("(needs AWS Organizations, which regionbox does not serve yet)")
    reasons = cloud.get("/_regionbox/coverage")["services"]["iam"]["not_implemented"]
    # Only what needs a service regionbox does not serve is left out, each with its reason.
    assert "CreateLoginProfile" not in reasons and "CreateVirtualMFADevice" not in reasons
    assert "Organizations" in reasons["EnableOrganizationsRootSessions"]
    assert all(reasons.values()) and not any("issue #9" in reason for reason in reasons.values())
    organizations = {"DisableOrganizationsRootCredentialsManagement", "DisableOrganizationsRootSessions",
                     "EnableOrganizationsRootCredentialsManagement", "EnableOrganizationsRootSessions",
                     "GenerateOrganizationsAccessReport", "GetOrganizationsAccessReport", "ListOrganizationsFeatures"}
    delegation = {"AcceptDelegationRequest", "AssociateDelegationRequest", "CreateDelegationRequest", "GetDelegationRequest",
                  "ListDelegationRequests", "RejectDelegationRequest", "SendDelegationToken", "UpdateDelegationRequest",
                  "GetHumanReadableSummary"}
    assert set(reasons) == organizations | delegation | {"AcquireRole", "GetRoleTemplateVersion"}
    assert all("SNS" in reasons[name] for name in delegation - {"GetHumanReadableSummary"})
    sts = cloud.get("/_regionbox/coverage")["services"]["sts"]["not_implemented"]
    assert set(sts) == {"AssumeRoot", "GetDelegatedAccessToken"} and "Organizations" in sts["AssumeRoot"]
