"""STS through boto3: caller identity from access keys, AssumeRole and its trust policy rules,
session credentials acting as the role, expiry, GetSessionToken, GetAccessKeyInfo."""

from __future__ import annotations

import json

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ROLE_ACCOUNT = "111111111111"
OTHER_ACCOUNT = "222222222222"


def trust(principal, action="sts:AssumeRole", effect="Allow", condition=None):
    statement = {"Effect": effect, "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def make_role(cloud, name="app-role", principal=None, account=ROLE_ACCOUNT, **kwargs):
    iam = cloud.client("iam", account=account)
    document = kwargs.pop("document", None) or trust(principal or {"AWS": OTHER_ACCOUNT})
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=document, **kwargs)["Role"]


def session_client(cloud, service, credentials, **kwargs):
    return cloud.client(service, access_key=credentials["AccessKeyId"], secret_key=credentials["SecretAccessKey"],
                        session_token=credentials["SessionToken"], **kwargs)


def unvalidated(cloud, service, **kwargs):
    """A client that sends what it is given, so the server's own validation answers."""
    return cloud.client(service, config=Config(parameter_validation=False, retries={"max_attempts": 1}), **kwargs)


def error_of(call) -> dict:
    with pytest.raises(ClientError) as info:
        call()
    return {**info.value.response["Error"], "Status": info.value.response["ResponseMetadata"]["HTTPStatusCode"]}


def test_caller_identity_from_access_key(cloud):
    identity = cloud.client("sts", account="123456789012").get_caller_identity()
    assert (identity["Account"], identity["Arn"], identity["UserId"]) == (
        "123456789012", "arn:aws:iam::123456789012:root", "123456789012")
    default = cloud.client("sts", access_key="AKIAIOSFODNN7EXAMPLE").get_caller_identity()
    assert default["Account"] == "000000000000"
    assert default["Arn"] == "arn:aws:iam::000000000000:root"


def test_assume_role_returns_credentials_that_act_as_the_role(cloud):
    role = make_role(cloud)
    # what a session needs to list the account's roles
    cloud.client("iam", account=ROLE_ACCOUNT).attach_role_policy(
        RoleName="app-role", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    result = cloud.client("sts", account=OTHER_ACCOUNT).assume_role(RoleArn=role["Arn"], RoleSessionName="deploy")
    credentials = result["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA") and len(credentials["AccessKeyId"]) == 20
    assert len(credentials["SecretAccessKey"]) == 40 and credentials["SessionToken"]
    assert result["AssumedRoleUser"] == {
        "AssumedRoleId": f"{role['RoleId']}:deploy",
        "Arn": f"arn:aws:sts::{ROLE_ACCOUNT}:assumed-role/app-role/deploy",
    }
    identity = session_client(cloud, "sts", credentials).get_caller_identity()
    assert identity["Account"] == ROLE_ACCOUNT
    assert identity["Arn"] == f"arn:aws:sts::{ROLE_ACCOUNT}:assumed-role/app-role/deploy"
    assert identity["UserId"] == f"{role['RoleId']}:deploy"
    # The session works in the role's account: it sees that account's roles.
    names = [r["RoleName"] for r in session_client(cloud, "iam", credentials).list_roles()["Roles"]]
    assert names == ["app-role"]
    assert cloud.client("sts").get_access_key_info(AccessKeyId=credentials["AccessKeyId"])["Account"] == ROLE_ACCOUNT


@pytest.mark.parametrize("principal", [
    {"AWS": OTHER_ACCOUNT},
    {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"},
    {"AWS": ["arn:aws:iam::999999999999:root", OTHER_ACCOUNT]},
    {"AWS": "*"},
    "*",
])
def test_trust_policy_principals_that_allow(cloud, principal):
    role = make_role(cloud, principal=principal)
    result = cloud.client("sts", account=OTHER_ACCOUNT).assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    assert result["AssumedRoleUser"]["Arn"].endswith("/app-role/s1")


@pytest.mark.parametrize("document", [
    trust({"AWS": "333333333333"}),
    trust({"Service": "lambda.amazonaws.com"}),
    trust({"AWS": OTHER_ACCOUNT}, action="sts:TagSession"),
    json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:*"},
        {"Effect": "Deny", "Principal": {"AWS": OTHER_ACCOUNT}, "Action": "sts:Assume*"},
    ]}),
    trust({"AWS": OTHER_ACCOUNT}, condition={"StringEquals": {"sts:ExternalId": "secret-1"}}),
])
def test_trust_policy_denials_have_awss_message(cloud, document):
    role = make_role(cloud, document=document)
    error = error_of(lambda: cloud.client("sts", account=OTHER_ACCOUNT).assume_role(RoleArn=role["Arn"], RoleSessionName="s1"))
    assert error["Code"] == "AccessDenied" and error["Status"] == 403
    assert error["Message"] == (f"User: arn:aws:iam::{OTHER_ACCOUNT}:root is not authorized to perform: "
                                f"sts:AssumeRole on resource: {role['Arn']}")


def test_external_id_condition_allows_the_right_id(cloud):
    role = make_role(cloud, document=trust({"AWS": OTHER_ACCOUNT}, condition={"StringEquals": {"sts:ExternalId": "secret-1"}}))
    sts = cloud.client("sts", account=OTHER_ACCOUNT)
    assert sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", ExternalId="secret-1")["Credentials"]
    assert error_of(lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", ExternalId="other"))["Code"] == "AccessDenied"


def test_missing_role_is_access_denied(cloud):
    arn = f"arn:aws:iam::{ROLE_ACCOUNT}:role/nothing-here"
    error = error_of(lambda: cloud.client("sts", account=OTHER_ACCOUNT).assume_role(RoleArn=arn, RoleSessionName="s1"))
    assert error["Code"] == "AccessDenied"
    assert error["Message"].endswith(f"on resource: {arn}")


def test_role_chaining_trusting_the_role_arn(cloud):
    first = make_role(cloud, name="first")
    second = make_role(cloud, name="second", principal={"AWS": first["Arn"]})
    credentials = cloud.client("sts", account=OTHER_ACCOUNT).assume_role(RoleArn=first["Arn"], RoleSessionName="aa")["Credentials"]
    chained_sts = session_client(cloud, "sts", credentials)
    error = error_of(lambda: chained_sts.assume_role(RoleArn=second["Arn"], RoleSessionName="bb", DurationSeconds=7200))
    assert error["Code"] == "ValidationError"
    assert error["Message"] == "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
    chained = chained_sts.assume_role(RoleArn=second["Arn"], RoleSessionName="bb")
    assert session_client(cloud, "sts", chained["Credentials"]).get_caller_identity()["Arn"] == (
        f"arn:aws:sts::{ROLE_ACCOUNT}:assumed-role/second/bb")
    # The session of another role is not trusted by "second".
    other = make_role(cloud, name="other")
    other_credentials = cloud.client("sts", account=OTHER_ACCOUNT).assume_role(RoleArn=other["Arn"], RoleSessionName="cc")["Credentials"]
    error = error_of(lambda: session_client(cloud, "sts", other_credentials).assume_role(RoleArn=second["Arn"], RoleSessionName="dd"))
    assert error["Code"] == "AccessDenied"
    assert error["Message"].startswith(f"User: arn:aws:sts::{ROLE_ACCOUNT}:assumed-role/other/cc is not authorized")


def test_duration_and_session_name_validation(cloud):
    role = make_role(cloud, MaxSessionDuration=7200)
    sts = unvalidated(cloud, "sts", account=OTHER_ACCOUNT)
    assert sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=7200)["Credentials"]
    error = error_of(lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=7201))
    assert (error["Code"], error["Message"]) == (
        "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    error = error_of(lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=899))
    assert error["Code"] == "ValidationError" and "durationSeconds" in error["Message"]
    error = error_of(lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="bad name!"))
    assert error["Code"] == "ValidationError" and "roleSessionName" in error["Message"]


def test_expired_session_credentials_are_refused(cloud):
    role = make_role(cloud)
    credentials = cloud.client("sts", account=OTHER_ACCOUNT).assume_role(RoleArn=role["Arn"], RoleSessionName="s1")["Credentials"]
    # Age the session in the registry rather than waiting 15 minutes.
    registry = cloud.cloud.credentials
    session = registry.issued(credentials["AccessKeyId"])
    session.expiration = 0
    registry.register(session)
    error = error_of(lambda: session_client(cloud, "sts", credentials).get_caller_identity())
    assert error["Code"] == "ExpiredToken"
    assert error["Message"] == "The security token included in the request is expired"
    # JSON services spell it as DynamoDB does
    error = error_of(lambda: session_client(cloud, "dynamodb", credentials).list_tables())
    assert (error["Code"], error["Status"]) == ("ExpiredTokenException", 400)
    assert error["Message"] == "The security token included in the request is expired"


def test_get_session_token(cloud):
    sts = cloud.client("sts", account="123456789012")
    credentials = sts.get_session_token(DurationSeconds=900)["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    identity = session_client(cloud, "sts", credentials).get_caller_identity()
    assert identity["Arn"] == "arn:aws:iam::123456789012:root"
    role = make_role(cloud)
    assumed = cloud.client("sts", account=OTHER_ACCOUNT).assume_role(RoleArn=role["Arn"], RoleSessionName="ss")["Credentials"]
    error = error_of(lambda: session_client(cloud, "sts", assumed).get_session_token())
    assert error["Code"] == "AccessDenied"


def test_assume_role_shows_as_the_roles_last_use(cloud):
    role = make_role(cloud)
    iam = cloud.client("iam", account=ROLE_ACCOUNT)
    assert iam.get_role(RoleName="app-role")["Role"]["RoleLastUsed"] == {}
    cloud.client("sts", account=OTHER_ACCOUNT, region="eu-west-1").assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    used = iam.get_role(RoleName="app-role")["Role"]["RoleLastUsed"]
    assert used["Region"] == "eu-west-1" and used["LastUsedDate"] >= role["CreateDate"]
    # A refused AssumeRole is not a use.
    denied = make_role(cloud, name="locked", principal={"AWS": "333333333333"})
    error_of(lambda: cloud.client("sts", account=OTHER_ACCOUNT).assume_role(RoleArn=denied["Arn"], RoleSessionName="s1"))
    assert iam.get_role(RoleName="locked")["Role"]["RoleLastUsed"] == {}


def test_operations_left_out_say_why(cloud):
    sts = cloud.client("sts")
    error = error_of(lambda: sts.assume_root(TargetPrincipal="111111111111", TaskPolicyArn={"arn": "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"}))
    assert (error["Code"], error["Status"]) == ("NotImplemented", 501)
    assert error["Message"].endswith("(needs AWS Organizations (centralized root access), which regionbox does not serve yet)")
    reasons = cloud.get("/_regionbox/coverage")["services"]["sts"]["not_implemented"]
    assert set(reasons) == {"AssumeRoot", "GetDelegatedAccessToken"}
    assert "Organizations" in reasons["AssumeRoot"]


def test_session_policy_is_validated(cloud):
    role = make_role(cloud)
    sts = cloud.client("sts", account=OTHER_ACCOUNT)
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    result = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", Policy=policy)
    assert 1 <= result["PackedPolicySize"] <= 100
    error = error_of(lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", Policy="{not json"))
    assert error["Code"] == "MalformedPolicyDocument"


def test_roles_and_session_credentials_survive_kill9(tmp_path):
    from regionbox.testing.process import CloudProcess

    first = CloudProcess(state_dir=tmp_path).start()
    try:
        role = first.client("iam", account=ROLE_ACCOUNT).create_role(
            RoleName="durable", AssumeRolePolicyDocument=trust({"AWS": OTHER_ACCOUNT}))["Role"]
        credentials = first.client("sts", account=OTHER_ACCOUNT).assume_role(
            RoleArn=role["Arn"], RoleSessionName="keep")["Credentials"]
        first.kill9()
        second = CloudProcess(state_dir=tmp_path, port=first.port).start()
        try:
            assert second.client("iam", account=ROLE_ACCOUNT).get_role(RoleName="durable")["Role"]["RoleId"] == role["RoleId"]
            identity = session_client(second, "sts", credentials).get_caller_identity()
            assert identity["Arn"] == f"arn:aws:sts::{ROLE_ACCOUNT}:assumed-role/durable/keep"
        finally:
            second.stop()
    finally:
        first.stop()


def test_session_tags_need_tag_session_in_the_trust_policy(cloud):
    sts = cloud.client("sts", account=OTHER_ACCOUNT)
    plain = make_role(cloud, name="plain")
    error = error_of(lambda: sts.assume_role(RoleArn=plain["Arn"], RoleSessionName="s1", Tags=[{"Key": "team", "Value": "a"}]))
    assert error["Code"] == "AccessDenied"
    assert error["Message"] == (f"User: arn:aws:iam::{OTHER_ACCOUNT}:root is not authorized to perform: "
                                f"sts:TagSession on resource: {plain['Arn']}")
    tagging = make_role(cloud, name="tagging", document=trust(
        {"AWS": OTHER_ACCOUNT}, action=["sts:AssumeRole", "sts:TagSession"],
        condition={"StringEquals": {"aws:RequestTag/team": "a"}}))
    assert sts.assume_role(RoleArn=tagging["Arn"], RoleSessionName="s1", Tags=[{"Key": "team", "Value": "a"}])["Credentials"]
    error = error_of(lambda: sts.assume_role(RoleArn=tagging["Arn"], RoleSessionName="s1", Tags=[{"Key": "team", "Value": "b"}]))
    assert error["Code"] == "AccessDenied"
