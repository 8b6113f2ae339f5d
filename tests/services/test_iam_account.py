"""The account's side of IAM through boto3: aliases, GetAccountSummary, the credential report
(parsed as CSV), access keys' last use, service last accessed details from the audit trail."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.services.iam_support import error_of

ACCOUNT = "123456789012"
OTHER = "210987654321"


@pytest.fixture
def iam(cloud):
    return cloud.client("iam", account=ACCOUNT)


def test_account_aliases_are_unique_everywhere(cloud, iam):
    assert iam.list_account_aliases()["AccountAliases"] == []
    iam.create_account_alias(AccountAlias="acme-prod")
    assert iam.list_account_aliases()["AccountAliases"] == ["acme-prod"]
    assert error_of(lambda: cloud.client("iam", account=OTHER).create_account_alias(AccountAlias="acme-prod")) == (
        "EntityAlreadyExists", "The account alias acme-prod already exists.")
    assert error_of(lambda: iam.create_account_alias(AccountAlias="acme-two")) == (
        "LimitExceeded", "Cannot exceed quota for AccountAliasesPerAccount: 1")
    code, message = error_of(lambda: iam.create_account_alias(AccountAlias="Bad_Alias"))
    assert code == "ValidationError" and "accountAlias" in message
    assert error_of(lambda: iam.delete_account_alias(AccountAlias="nope")) == ("NoSuchEntity", "The account alias nope cannot be found.")
    iam.delete_account_alias(AccountAlias="acme-prod")
    cloud.client("iam", account=OTHER).create_account_alias(AccountAlias="acme-prod")


def test_account_summary_counts_what_exists(iam):
    before = iam.get_account_summary()["SummaryMap"]
    assert before["Users"] == 0 and before["UsersQuota"] == 5000 and before["AccessKeysPerUserQuota"] == 2
    iam.create_user(UserName="a")
    iam.create_group(GroupName="g")
    iam.create_policy(PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
    iam.create_virtual_mfa_device(VirtualMFADeviceName="d")
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["Users"], summary["Groups"], summary["Policies"], summary["MFADevices"], summary["MFADevicesInUse"]) == (1, 1, 1, 1, 0)
    assert summary["PolicyVersionsInUse"] == 1 and summary["GlobalEndpointTokenVersion"] == 1
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 2


def test_access_key_last_used_is_recorded_on_every_request(cloud, iam):
    iam.create_user(UserName="worker")
    iam.attach_user_policy(UserName="worker", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    key = iam.create_access_key(UserName="worker")["AccessKey"]
    never = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert never == {"UserName": "worker", "AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"},
                     "ResponseMetadata": never["ResponseMetadata"]}
    as_worker = dict(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    cloud.client("dynamodb", region="eu-west-1", **as_worker).list_tables()
    used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert (used["ServiceName"], used["Region"]) == ("dynamodb", "eu-west-1") and used["LastUsedDate"]
    cloud.client("sts", **as_worker).get_caller_identity()
    assert iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]["ServiceName"] == "sts"
    assert error_of(lambda: iam.get_access_key_last_used(AccessKeyId="AKIAEXAMPLEEXAMPLE12"))[0] == "NoSuchEntity"


def test_credential_report_is_the_csv_aws_generates(cloud, iam):
    assert error_of(lambda: iam.get_credential_report())[0] == "ReportNotPresent"
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Correct-Horse-9")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    iam.attach_user_policy(UserName="alice", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    cloud.client("iam", region="us-west-2", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"]).list_users()
    iam.create_user(UserName="bob")
    started = iam.generate_credential_report()
    assert (started["State"], started["Description"]) == ("STARTED", "No report exists. Starting a new report generation task")
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    report = iam.get_credential_report()
    assert report["ReportFormat"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(report["Content"].decode())))
    assert list(rows[0]) == [
        "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
        "password_next_rotation", "mfa_active", "access_key_1_active", "access_key_1_last_rotated",
        "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
        "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
        "access_key_2_last_used_region", "access_key_2_last_used_service",
        "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated"]
    assert [r["user"] for r in rows] == ["<root_account>", "alice", "bob"]
    root, alice, bob = rows
    assert (root["arn"], root["password_enabled"]) == (f"arn:aws:iam::{ACCOUNT}:root", "not_supported")
    assert (alice["password_enabled"], alice["password_last_used"], alice["mfa_active"]) == ("true", "no_information", "false")
    assert (alice["access_key_1_active"], alice["access_key_1_last_used_region"], alice["access_key_1_last_used_service"]) == (
        "true", "us-west-2", "iam")
    assert alice["access_key_1_last_used_date"].endswith("+00:00") and alice["access_key_2_active"] == "false"
    assert (bob["password_enabled"], bob["password_last_used"], bob["access_key_1_last_rotated"]) == ("false", "N/A", "N/A")


def test_service_last_accessed_details_from_the_audit_trail(cloud, iam):
    iam.create_user(UserName="svc")
    iam.put_user_policy(UserName="svc", PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["dynamodb:ListTables", "logs:DescribeLogGroups", "s3:ListAllMyBuckets"], "Resource": "*"}]}))
    key = iam.create_access_key(UserName="svc")["AccessKey"]
    iam.create_group(GroupName="team")
    iam.add_user_to_group(GroupName="team", UserName="svc")
    as_svc = dict(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    cloud.client("dynamodb", region="eu-west-1", **as_svc).list_tables()
    cloud.client("logs", **as_svc).describe_log_groups()
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/svc"
    job = iam.generate_service_last_accessed_details(Arn=user_arn, Granularity="ACTION_LEVEL")["JobId"]
    details = iam.get_service_last_accessed_details(JobId=job)
    assert (details["JobStatus"], details["JobType"]) == ("COMPLETED", "ACTION_LEVEL")
    services = {s["ServiceNamespace"]: s for s in details["ServicesLastAccessed"]}
    assert set(services) == {"dynamodb", "logs", "s3"}
    assert services["dynamodb"]["ServiceName"] == "Amazon DynamoDB"
    assert (services["dynamodb"]["LastAuthenticatedEntity"], services["dynamodb"]["LastAuthenticatedRegion"]) == (user_arn, "eu-west-1")
    assert [a["ActionName"] for a in services["dynamodb"]["TrackedActionsLastAccessed"]] == ["ListTables"]
    assert "LastAuthenticated" not in services["s3"] and services["s3"]["TotalAuthenticatedEntities"] == 0
    page = iam.get_service_last_accessed_details(JobId=job, MaxItems=2)
    assert page["IsTruncated"] and len(page["ServicesLastAccessed"]) == 2
    group_job = iam.generate_service_last_accessed_details(Arn=f"arn:aws:iam::{ACCOUNT}:group/team")["JobId"]
    entities = iam.get_service_last_accessed_details_with_entities(JobId=group_job, ServiceNamespace="logs")["EntityDetailsList"]
    assert [(e["EntityInfo"]["Name"], e["EntityInfo"]["Type"]) for e in entities] == [("svc", "USER")]
    assert error_of(lambda: iam.generate_service_last_accessed_details(Arn=f"arn:aws:iam::{ACCOUNT}:user/ghost"))[0] == "NoSuchEntity"
    assert error_of(lambda: iam.get_service_last_accessed_details(JobId="00000000-0000-0000-0000-000000000000"))[0] == "NoSuchEntity"


def test_account_properties(cloud):
    iam = cloud.client("iam", account="345678901234")
    assert iam.get_account_properties()["Properties"] == {}
    iam.put_account_properties(Properties={"RoleManager/Enabled": "true", "RoleManager/Mode": "strict"})
    iam.put_account_properties(Properties={"RoleManager/Mode": "relaxed"})
    assert iam.get_account_properties()["Properties"] == {"RoleManager/Enabled": "true", "RoleManager/Mode": "relaxed"}
    assert error_of(lambda: iam.put_account_properties(Properties={"RoleManager/A": "1", "Other/B": "2"})) == (
        "InvalidInput", "All properties in a single request must belong to the same namespace.")
    assert error_of(lambda: iam.put_account_properties(Properties={"NoNamespace": "1"})) == (
        "InvalidInput", "Property names must be in Namespace/PropertyName format.")
    assert cloud.client("iam", account=OTHER).get_account_properties()["Properties"] == {}
