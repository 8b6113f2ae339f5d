"""IAM groups, their members and policies (which count for their users), UpdateUser, DeleteUser's
conflicts, permissions boundaries and tags on users, through boto3."""

from __future__ import annotations

import json
import re

import pytest

from tests.services.iam_support import error_of
from tests.services.test_iam_credentials import enable

ACCOUNT = "123456789012"
READ = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]})


@pytest.fixture
def iam(cloud):
    return cloud.client("iam", account=ACCOUNT)


def test_group_lifecycle_and_members(iam):
    group = iam.create_group(GroupName="devs", Path="/eng/")["Group"]
    assert group["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/eng/devs" and re.fullmatch(r"AGPA[A-Z2-7]{17}", group["GroupId"])
    assert error_of(lambda: iam.create_group(GroupName="DEVS")) == ("EntityAlreadyExists", "Group with name DEVS already exists.")
    assert error_of(lambda: iam.get_group(GroupName="ops")) == ("NoSuchEntity", "The group with name ops cannot be found.")
    for name in ("carol", "alice", "bob"):
        iam.create_user(UserName=name)
        iam.add_user_to_group(GroupName="devs", UserName=name)
    iam.add_user_to_group(GroupName="devs", UserName="bob")  # twice changes nothing
    page = iam.get_group(GroupName="devs", MaxItems=2)
    assert [u["UserName"] for u in page["Users"]] == ["alice", "bob"] and page["IsTruncated"]
    rest = iam.get_group(GroupName="devs", Marker=page["Marker"])
    assert [u["UserName"] for u in rest["Users"]] == ["carol"] and not rest["IsTruncated"]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="alice")["Groups"]] == ["devs"]
    assert error_of(lambda: iam.delete_group(GroupName="devs")) == (
        "DeleteConflict", "Cannot delete entity, must remove users from group first.")
    assert error_of(lambda: iam.delete_user(UserName="alice")) == (
        "DeleteConflict", "Cannot delete entity, must remove user from all groups first.")
    iam.update_group(GroupName="devs", NewGroupName="developers", NewPath="/")
    assert iam.get_group(GroupName="developers")["Group"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/developers"
    for name in ("alice", "bob", "carol"):
        iam.remove_user_from_group(GroupName="developers", UserName=name)
    assert error_of(lambda: iam.remove_user_from_group(GroupName="developers", UserName="alice")) == (
        "NoSuchEntity", "The user with name alice cannot be found.")
    iam.delete_group(GroupName="developers")
    assert iam.list_groups()["Groups"] == []


def test_list_groups_pages_and_filters_by_path(iam):
    for index in range(5):
        iam.create_group(GroupName=f"g{index}", Path="/team/" if index % 2 else "/")
    assert [g["GroupName"] for g in iam.list_groups(PathPrefix="/team/")["Groups"]] == ["g1", "g3"]
    seen, marker = [], None
    while True:
        page = iam.list_groups(MaxItems=2, **({"Marker": marker} if marker else {}))
        seen += [g["GroupName"] for g in page["Groups"]]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert seen == ["g0", "g1", "g2", "g3", "g4"]
    assert error_of(lambda: iam.list_groups(Marker="bogus"))[0] == "ValidationError"
    assert iam.get_paginator("list_groups").paginate(PaginationConfig={"PageSize": 1}).build_full_result()["Groups"][4]["GroupName"] == "g4"


def test_group_policies_count_for_their_users(cloud, iam):
    iam.create_user(UserName="dana")
    key = iam.create_access_key(UserName="dana")["AccessKey"]
    as_dana = cloud.client("iam", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert error_of(lambda: as_dana.list_users())[0] == "AccessDenied"
    iam.create_group(GroupName="readers")
    iam.put_group_policy(GroupName="readers", PolicyName="list", PolicyDocument=READ)
    iam.add_user_to_group(GroupName="readers", UserName="dana")
    assert [u["UserName"] for u in as_dana.list_users()["Users"]] == ["dana"]
    assert iam.get_group_policy(GroupName="readers", PolicyName="list")["PolicyDocument"] == json.loads(READ)
    assert iam.list_group_policies(GroupName="readers")["PolicyNames"] == ["list"]
    iam.delete_group_policy(GroupName="readers", PolicyName="list")
    assert error_of(lambda: as_dana.list_users())[0] == "AccessDenied"
    # attached managed policies too, AWS's included
    iam.attach_group_policy(GroupName="readers", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    assert as_dana.list_users()["Users"]
    assert iam.list_attached_group_policies(GroupName="readers")["AttachedPolicies"] == [
        {"PolicyName": "IAMReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}]
    assert error_of(lambda: iam.delete_group(GroupName="readers")) == (
        "DeleteConflict", "Cannot delete entity, must remove users from group first.")
    iam.remove_user_from_group(GroupName="readers", UserName="dana")
    assert error_of(lambda: iam.delete_group(GroupName="readers")) == (
        "DeleteConflict", "Cannot delete entity, must detach all policies first.")
    iam.detach_group_policy(GroupName="readers", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.delete_group(GroupName="readers")


def test_update_user_moves_keys_groups_and_policies(cloud, iam):
    iam.create_user(UserName="erin")
    iam.put_user_policy(UserName="erin", PolicyName="list", PolicyDocument=READ)
    iam.create_group(GroupName="g")
    iam.add_user_to_group(GroupName="g", UserName="erin")
    key = iam.create_access_key(UserName="erin")["AccessKey"]
    iam.create_user(UserName="frank")
    assert error_of(lambda: iam.update_user(UserName="erin", NewUserName="frank")) == (
        "EntityAlreadyExists", "User with name frank already exists.")
    iam.update_user(UserName="erin", NewUserName="erin2", NewPath="/moved/")
    user = iam.get_user(UserName="erin2")["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/moved/erin2"
    assert error_of(lambda: iam.get_user(UserName="erin"))[0] == "NoSuchEntity"
    assert [u["UserName"] for u in iam.get_group(GroupName="g")["Users"]] == ["erin2"]
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName="erin2")["AccessKeyMetadata"]] == [key["AccessKeyId"]]
    as_user = dict(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert cloud.client("sts", **as_user).get_caller_identity()["Arn"] == user["Arn"]
    assert cloud.client("iam", **as_user).list_users()["Users"]  # its policy moved with it


def test_delete_user_refuses_what_it_would_orphan(iam):
    iam.create_user(UserName="gil")
    iam.create_login_profile(UserName="gil", Password="Correct-Horse-9")
    assert error_of(lambda: iam.delete_user(UserName="gil")) == ("DeleteConflict", "Cannot delete entity, must delete login profile first.")
    iam.delete_login_profile(UserName="gil")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="gil-phone")["VirtualMFADevice"]
    serial = device["SerialNumber"]
    enable(iam, "gil", serial, device["Base32StringSeed"])
    assert error_of(lambda: iam.delete_user(UserName="gil")) == ("DeleteConflict", "Cannot delete entity, must delete MFA device first.")
    iam.deactivate_mfa_device(UserName="gil", SerialNumber=serial)
    iam.delete_user(UserName="gil")


def test_permissions_boundaries(iam):
    boundary = iam.create_policy(PolicyName="cap", PolicyDocument=READ)["Policy"]["Arn"]
    iam.create_user(UserName="hal")
    iam.put_user_permissions_boundary(UserName="hal", PermissionsBoundary=boundary)
    assert iam.get_user(UserName="hal")["User"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
    assert iam.get_policy(PolicyArn=boundary)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    assert iam.list_entities_for_policy(PolicyArn=boundary, PolicyUsageFilter="PermissionsBoundary")["PolicyUsers"][0]["UserName"] == "hal"
    iam.delete_user_permissions_boundary(UserName="hal")
    assert "PermissionsBoundary" not in iam.get_user(UserName="hal")["User"]
    missing = f"arn:aws:iam::{ACCOUNT}:policy/nope"
    assert error_of(lambda: iam.put_user_permissions_boundary(UserName="hal", PermissionsBoundary=missing)) == (
        "NoSuchEntity", f"Policy {missing} does not exist or is not attachable.")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_permissions_boundary(RoleName="r", PermissionsBoundary="arn:aws:iam::aws:policy/PowerUserAccess")
    assert iam.get_role(RoleName="r")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == "arn:aws:iam::aws:policy/PowerUserAccess"
    iam.delete_role_permissions_boundary(RoleName="r")
    assert "PermissionsBoundary" not in iam.get_role(RoleName="r")["Role"]
    assert error_of(lambda: iam.create_user(UserName="x", PermissionsBoundary="arn:aws:s3:::not-a-policy")) == (
        "InvalidInput", "ARN arn:aws:s3:::not-a-policy is not valid.")


def test_user_tags_ignore_case_of_keys(iam):
    iam.create_user(UserName="ivy", Tags=[{"Key": "Department", "Value": "finance"}])
    iam.tag_user(UserName="ivy", Tags=[{"Key": "department", "Value": "hr"}, {"Key": "team", "Value": "a"}])
    assert iam.list_user_tags(UserName="ivy")["Tags"] == [{"Key": "department", "Value": "hr"}, {"Key": "team", "Value": "a"}]
    page = iam.list_user_tags(UserName="ivy", MaxItems=1)
    assert page["IsTruncated"] and len(page["Tags"]) == 1
    iam.untag_user(UserName="ivy", TagKeys=["DEPARTMENT"])
    assert iam.list_user_tags(UserName="ivy")["Tags"] == [{"Key": "team", "Value": "a"}]
    assert error_of(lambda: iam.tag_user(UserName="ivy", Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}])) == (
        "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    assert error_of(lambda: iam.tag_user(UserName="ivy", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])) == (
        "LimitExceeded", "The number of tags has reached the maximum limit.")
    code, message = error_of(lambda: iam.tag_user(UserName="ivy", Tags=[{"Key": "bad#key", "Value": "v"}]))
    assert code == "ValidationError" and "at 'tags.1.member.key' failed to satisfy constraint" in message
