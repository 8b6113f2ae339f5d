"""IAM permissions evaluated as AWS evaluates them, through boto3 and the AWS CLI: a role session
or a user gets what its identity policies (inline, customer managed, AWS managed) allow, capped
by its permissions boundary and session policy, with explicit denies winning and conditions
checked; another account's table needs that table's resource policy; every protocol answers its
own AccessDenied; CloudTrail records the refusal; REGIONBOX_IAM_ENFORCEMENT=0 turns it all off."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from botocore.exceptions import ClientError

from regionbox.config import Config
from regionbox.testing import RunningCloud
from tests.services.test_cli_aws import aws_cli

A, B = "111111111111", "222222222222"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", condition=None, effect="Allow") -> dict:
    statement = {"Effect": effect, "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def deny(action, resource="*", condition=None) -> dict:
    return allow(action, resource, condition, effect="Deny")


def session(cloud, name="app", account=A, *, inline=(), managed=(), boundary=None, tags=None, caller=None, **assume) -> dict:
    """Credentials of a session of a new role ``name`` in ``account``, trusted by ``caller``'s account."""
    caller = caller or account
    iam = cloud.client("iam", account=account)
    extra = {"PermissionsBoundary": boundary} if boundary else {}
    if tags:
        extra["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=document(
        {"Effect": "Allow", "Principal": {"AWS": caller}, "Action": ["sts:AssumeRole", "sts:TagSession"]}), **extra)["Role"]
    for number, statement in enumerate(inline):
        iam.put_role_policy(RoleName=name, PolicyName=f"p{number}", PolicyDocument=document(statement))
    for arn in managed:
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    return cloud.client("sts", account=caller).assume_role(RoleArn=role["Arn"], RoleSessionName="s1", **assume)["Credentials"]


def as_session(cloud, service, credentials, region="us-east-1"):
    return cloud.client(service, region=region, access_key=credentials["AccessKeyId"],
                        secret_key=credentials["SecretAccessKey"], session_token=credentials["SessionToken"])


def error_of(call) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def make_table(cloud, account=A, name="Music", region="us-east-1", **kwargs) -> str:
    return cloud.client("dynamodb", account=account, region=region).create_table(
        TableName=name, KeySchema=[{"AttributeName": "artist", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "artist", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        **kwargs)["TableDescription"]["TableArn"]


def table_arn(account=A, name="Music", region="us-east-1") -> str:
    return f"arn:aws:dynamodb:{region}:{account}:table/{name}"


def key(artist="abba") -> dict:
    return {"artist": {"S": artist}}


def denied(session_arn: str, action: str, resource: str, why: str) -> str:
    return f"User: {session_arn} is not authorized to perform: {action} on resource: {resource} {why}"


SESSION = f"arn:aws:sts::{A}:assumed-role/app/s1"


# -- identity policies -----------------------------------------------------------------------------

def test_a_session_without_policies_is_denied_with_dynamodbs_error(cloud):
    make_table(cloud)
    dynamodb = as_session(cloud, "dynamodb", session(cloud))
    assert error_of(lambda: dynamodb.get_item(TableName="Music", Key=key())) == (
        "AccessDeniedException", 400, denied(SESSION, "dynamodb:GetItem", table_arn(),
                                             "because no identity-based policy allows the dynamodb:GetItem action"))
    # root of the account sees no change
    assert cloud.client("dynamodb", account=A).get_item(TableName="Music", Key=key()).get("Item") is None


def test_inline_policy_grants_what_it_names(cloud):
    make_table(cloud)
    make_table(cloud, name="Other")
    dynamodb = as_session(cloud, "dynamodb", session(cloud, inline=[
        allow(["dynamodb:GetItem", "dynamodb:PutItem"], f"arn:aws:dynamodb:*:{A}:table/Music")]))
    dynamodb.put_item(TableName="Music", Item=key())
    assert dynamodb.get_item(TableName="Music", Key=key())["Item"] == key()
    code, _, message = error_of(lambda: dynamodb.get_item(TableName="Other", Key=key()))
    assert code == "AccessDeniedException" and message.endswith("because no identity-based policy allows the dynamodb:GetItem action")
    assert error_of(lambda: dynamodb.delete_item(TableName="Music", Key=key()))[0] == "AccessDeniedException"


def test_attached_customer_managed_policy_grants(cloud):
    make_table(cloud)
    iam = cloud.client("iam", account=A)
    arn = iam.create_policy(PolicyName="read-music", PolicyDocument=document(allow("dynamodb:Get*", table_arn())))["Policy"]["Arn"]
    dynamodb = as_session(cloud, "dynamodb", session(cloud, managed=[arn]))
    assert "Item" not in dynamodb.get_item(TableName="Music", Key=key())
    # a new default version takes effect at once
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=document(allow("dynamodb:Query", table_arn())), SetAsDefault=True)
    assert error_of(lambda: dynamodb.get_item(TableName="Music", Key=key()))[0] == "AccessDeniedException"


def test_aws_managed_read_only_access_reads_but_does_not_write(cloud):
    make_table(cloud)
    dynamodb = as_session(cloud, "dynamodb", session(cloud, managed=[READ_ONLY]))
    assert dynamodb.describe_table(TableName="Music")["Table"]["TableName"] == "Music"
    assert dynamodb.list_tables()["TableNames"] == ["Music"]
    assert error_of(lambda: dynamodb.put_item(TableName="Music", Item=key())) == (
        "AccessDeniedException", 400, denied(SESSION, "dynamodb:PutItem", table_arn(),
                                             "because no identity-based policy allows the dynamodb:PutItem action"))


def test_explicit_deny_beats_allow(cloud):
    make_table(cloud)
    dynamodb = as_session(cloud, "dynamodb", session(cloud, inline=[allow("dynamodb:*"), deny("dynamodb:DeleteItem")],
                                                     managed=["arn:aws:iam::aws:policy/AdministratorAccess"]))
    dynamodb.put_item(TableName="Music", Item=key())
    assert error_of(lambda: dynamodb.delete_item(TableName="Music", Key=key())) == (
        "AccessDeniedException", 400, denied(SESSION, "dynamodb:DeleteItem", table_arn(),
                                             "with an explicit deny in an identity-based policy"))


def test_permissions_boundary_caps_a_role(cloud):
    make_table(cloud)
    boundary = cloud.client("iam", account=A).create_policy(
        PolicyName="only-reads", PolicyDocument=document(allow(["dynamodb:GetItem", "dynamodb:DescribeTable"])))["Policy"]["Arn"]
    dynamodb = as_session(cloud, "dynamodb", session(
        cloud, managed=["arn:aws:iam::aws:policy/AdministratorAccess"], boundary=boundary))
    assert dynamodb.describe_table(TableName="Music")["Table"]["TableStatus"] == "ACTIVE"
    assert error_of(lambda: dynamodb.put_item(TableName="Music", Item=key()))[2].endswith(
        "because no permissions boundary allows the dynamodb:PutItem action")
    # the boundary grants nothing by itself
    bounded_only = as_session(cloud, "dynamodb", session(cloud, name="bare", boundary=boundary))
    assert error_of(lambda: bounded_only.get_item(TableName="Music", Key=key()))[2].endswith(
        "because no identity-based policy allows the dynamodb:GetItem action")


def test_session_policy_caps_a_session(cloud):
    make_table(cloud)
    admin = ["arn:aws:iam::aws:policy/AdministratorAccess"]
    narrowed = as_session(cloud, "dynamodb", session(cloud, managed=admin,
                                                     Policy=document(allow("dynamodb:GetItem", table_arn()))))
    assert "Item" not in narrowed.get_item(TableName="Music", Key=key())
    assert error_of(lambda: narrowed.put_item(TableName="Music", Item=key()))[2] == denied(
        SESSION, "dynamodb:PutItem", table_arn(), "because no session policy allows the dynamodb:PutItem action")
    # PolicyArns too, and an explicit deny in one
    by_arn = as_session(cloud, "dynamodb", session(cloud, name="app2", managed=admin,
                                                   PolicyArns=[{"arn": READ_ONLY}], Policy=document(deny("dynamodb:Scan"))))
    assert by_arn.describe_table(TableName="Music")["Table"]["TableName"] == "Music"
    assert error_of(lambda: by_arn.scan(TableName="Music"))[2].endswith("with an explicit deny in a session policy")
    assert error_of(lambda: by_arn.put_item(TableName="Music", Item=key()))[2].endswith(
        "because no session policy allows the dynamodb:PutItem action")


# -- conditions ------------------------------------------------------------------------------------

@pytest.mark.parametrize("condition, allowed", [
    ({"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}, True),
    ({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}}, False),
    ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, True),
    ({"StringEquals": {"aws:RequestedRegion": "us-east-1"}}, True),
    ({"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "ap-northeast-1"]}}, False),
    ({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, True),
    ({"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, False),
    ({"NumericGreaterThan": {"aws:EpochTime": "1577836800"}}, True),
    ({"Bool": {"aws:SecureTransport": "true"}}, False),
    ({"StringEquals": {"aws:PrincipalTag/team": "music"}}, True),
    ({"StringEquals": {"aws:PrincipalTag/team": "video"}}, False),
    ({"StringLike": {"aws:PrincipalArn": f"arn:aws:iam::{A}:role/ap*"}}, True),
    ({"StringEquals": {"aws:PrincipalAccount": B}}, False),
    ({"StringEquals": {"aws:PrincipalType": "AssumedRole"}}, True),
    ({"Null": {"aws:username": "true"}}, True),
    ({"StringEqualsIfExists": {"aws:username": "bob"}}, True),
    ({"StringEquals": {"aws:username": "bob"}}, False),
    ({"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["abba"]}}, True),
    ({"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["queen"]}}, False),
    ({"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": ["ab*"]}}, True),
    ({"StringEquals": {"nope:Operator": "x"}, "NoSuchOperator": {"aws:SourceIp": "127.0.0.1"}}, False),
])
def test_conditions(cloud, condition, allowed):
    make_table(cloud)
    dynamodb = as_session(cloud, "dynamodb", session(cloud, tags={"team": "music"},
                                                     inline=[allow("dynamodb:GetItem", table_arn(), condition)]))
    if allowed:
        assert "Item" not in dynamodb.get_item(TableName="Music", Key=key("abba"))
    else:
        assert error_of(lambda: dynamodb.get_item(TableName="Music", Key=key("abba")))[0] == "AccessDeniedException"


def test_policy_variables_and_leading_keys_give_each_user_their_own_items(cloud):
    """DynamoDB's fine-grained access: users read and write only the items keyed by their name."""
    make_table(cloud)
    iam = cloud.client("iam", account=A)
    iam.create_user(UserName="abba")
    iam.put_user_policy(UserName="abba", PolicyName="own-items", PolicyDocument=document(allow(
        ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"], f"arn:aws:dynamodb:*:{A}:table/${{aws:PrincipalTag/table}}",
        {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]}})))
    key_pair = iam.create_access_key(UserName="abba")["AccessKey"]
    dynamodb = cloud.client("dynamodb", access_key=key_pair["AccessKeyId"], secret_key=key_pair["SecretAccessKey"])
    # the user has no tag "table": a variable without a value makes its statement match nothing
    assert error_of(lambda: dynamodb.get_item(TableName="Music", Key=key("abba")))[0] == "AccessDeniedException"
    iam.put_user_policy(UserName="abba", PolicyName="own-items", PolicyDocument=document(allow(
        ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"], f"arn:aws:dynamodb:*:{A}:table/Music",
        {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]}})))
    dynamodb.put_item(TableName="Music", Item={**key("abba"), "song": {"S": "SOS"}})
    assert dynamodb.query(TableName="Music", KeyConditionExpression="artist = :a",
                          ExpressionAttributeValues={":a": {"S": "abba"}})["Count"] == 1
    error = error_of(lambda: dynamodb.put_item(TableName="Music", Item=key("queen")))
    assert error == ("AccessDeniedException", 400, f"User: arn:aws:iam::{A}:user/abba is not authorized to perform: "
                     f"dynamodb:PutItem on resource: {table_arn()} because no identity-based policy allows the "
                     "dynamodb:PutItem action")
    assert error_of(lambda: dynamodb.query(TableName="Music", KeyConditionExpression="#a = :a",
                                           ExpressionAttributeNames={"#a": "artist"},
                                           ExpressionAttributeValues={":a": {"S": "queen"}}))[0] == "AccessDeniedException"


# -- users and cross-account access ----------------------------------------------------------------

def test_iam_user_keys_are_evaluated_the_same_way(cloud):
    make_table(cloud)
    iam = cloud.client("iam", account=A)
    iam.create_user(UserName="dev")
    pair = iam.create_access_key(UserName="dev")["AccessKey"]
    dynamodb = cloud.client("dynamodb", access_key=pair["AccessKeyId"], secret_key=pair["SecretAccessKey"])
    assert error_of(dynamodb.list_tables) == (
        "AccessDeniedException", 400, f"User: arn:aws:iam::{A}:user/dev is not authorized to perform: dynamodb:ListTables "
        "on resource: * because no identity-based policy allows the dynamodb:ListTables action")
    iam.attach_user_policy(UserName="dev", PolicyArn="arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess")
    assert dynamodb.list_tables()["TableNames"] == ["Music"]
    assert error_of(lambda: dynamodb.delete_table(TableName="Music"))[0] == "AccessDeniedException"


def test_another_accounts_table_arn_needs_its_resource_policy(cloud):
    """B writing to A's table ARN reaches A's table only when A's policy and B's identity allow
    it; it never writes into B's own table of the same name."""
    arn = make_table(cloud, account=A)
    make_table(cloud, account=B)
    root_b = cloud.client("dynamodb", account=B)
    assert error_of(lambda: root_b.put_item(TableName=arn, Item=key("from-b"))) == (
        "AccessDeniedException", 400, f"User: arn:aws:iam::{B}:root is not authorized to perform: dynamodb:PutItem on "
        f"resource: {arn} because no resource-based policy allows the dynamodb:PutItem action")
    assert cloud.client("dynamodb", account=B).scan(TableName="Music")["Count"] == 0
    b_session = as_session(cloud, "dynamodb", session(cloud, name="writer", account=B, inline=[
        allow(["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DescribeTable"], f"arn:aws:dynamodb:*:{A}:table/*")]))
    assert error_of(lambda: b_session.put_item(TableName=arn, Item=key("from-b")))[2].endswith(
        "because no resource-based policy allows the dynamodb:PutItem action")
    owner = cloud.client("dynamodb", account=A)
    revision = owner.put_resource_policy(ResourceArn=arn, Policy=document({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:role/writer"},
        "Action": ["dynamodb:PutItem", "dynamodb:GetItem"], "Resource": arn}))["RevisionId"]
    assert owner.get_resource_policy(ResourceArn=arn)["RevisionId"] == revision
    b_session.put_item(TableName=arn, Item=key("from-b"))
    assert b_session.get_item(TableName=arn, Key=key("from-b"))["Item"] == key("from-b")
    assert owner.get_item(TableName="Music", Key=key("from-b"))["Item"] == key("from-b")
    assert cloud.client("dynamodb", account=B).scan(TableName="Music")["Count"] == 0
    # the policy allows no DescribeTable; B's own root is still refused (the policy names the role)
    assert error_of(lambda: b_session.describe_table(TableName=arn))[0] == "AccessDeniedException"
    assert error_of(lambda: root_b.get_item(TableName=arn, Key=key("from-b")))[0] == "AccessDeniedException"
    # an operation AWS does not serve across accounts never finds the other account's table
    owner.put_resource_policy(ResourceArn=arn, Policy=document({"Effect": "Allow", "Principal": {"AWS": B},
                                                                "Action": "dynamodb:*", "Resource": arn}))
    assert error_of(lambda: root_b.update_time_to_live(
        TableName=arn, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}))[0] == "ResourceNotFoundException"
    owner.delete_resource_policy(ResourceArn=arn)
    assert error_of(lambda: owner.get_resource_policy(ResourceArn=arn))[:2] == ("PolicyNotFoundException", 400)
    assert error_of(lambda: b_session.get_item(TableName=arn, Key=key("from-b")))[0] == "AccessDeniedException"


def test_a_table_arn_of_another_region_is_refused(cloud):
    make_table(cloud)
    other_region = table_arn(region="eu-west-1")
    assert error_of(lambda: cloud.client("dynamodb", account=A).get_item(TableName=other_region, Key=key())) == (
        "ValidationException", 400, f"1 validation error detected: Invalid AWS region in '{other_region}'")


def test_resource_policy_validation(cloud):
    arn = make_table(cloud)
    dynamodb = cloud.client("dynamodb", account=A)
    assert error_of(lambda: dynamodb.put_resource_policy(ResourceArn=arn, Policy="{not json"))[0] == "ValidationException"
    no_principal = document(allow("dynamodb:GetItem", arn))
    assert error_of(lambda: dynamodb.put_resource_policy(ResourceArn=arn, Policy=no_principal))[0] == "ValidationException"
    good = document({"Effect": "Allow", "Principal": {"AWS": B}, "Action": "dynamodb:GetItem", "Resource": arn})
    first = dynamodb.put_resource_policy(ResourceArn=arn, Policy=good, ExpectedRevisionId="NO_POLICY")["RevisionId"]
    code, _, message = error_of(lambda: dynamodb.put_resource_policy(ResourceArn=arn, Policy=good, ExpectedRevisionId="NO_POLICY"))
    assert code == "PolicyNotFoundException" and first in message
    stored = dynamodb.get_resource_policy(ResourceArn=arn)
    assert (stored["Policy"], stored["RevisionId"]) == (good, first)
    created = make_table(cloud, name="WithPolicy", ResourcePolicy=good.replace(arn, table_arn(name="WithPolicy")))
    assert json.loads(dynamodb.get_resource_policy(ResourceArn=created)["Policy"])["Statement"][0]["Principal"] == {"AWS": B}


# -- every protocol's error, the audit trail, the setting --------------------------------------------

def test_each_protocol_answers_its_own_access_denied(cloud):
    credentials = session(cloud)
    why = "because no identity-based policy allows the {} action"
    assert error_of(lambda: as_session(cloud, "iam", credentials).create_role(
        RoleName="x", AssumeRolePolicyDocument=document({"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:AssumeRole"}))) == (
        "AccessDenied", 403, denied(SESSION, "iam:CreateRole", f"arn:aws:iam::{A}:role/x", why.format("iam:CreateRole")))
    other = cloud.client("iam", account=A).create_role(RoleName="other", AssumeRolePolicyDocument=document(
        {"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:AssumeRole"}))["Role"]
    assert error_of(lambda: as_session(cloud, "sts", credentials).assume_role(RoleArn=other["Arn"], RoleSessionName="xx")) == (
        "AccessDenied", 403, denied(SESSION, "sts:AssumeRole", other["Arn"], why.format("sts:AssumeRole")))
    assert error_of(lambda: as_session(cloud, "ec2", credentials).describe_vpcs()) == (
        "UnauthorizedOperation", 403, f"You are not authorized to perform this operation. User: {SESSION} is not "
        f"authorized to perform: ec2:DescribeVpcs {why.format('ec2:DescribeVpcs')}")
    assert error_of(lambda: as_session(cloud, "logs", credentials).create_log_group(logGroupName="/app")) == (
        "AccessDeniedException", 400, denied(SESSION, "logs:CreateLogGroup", f"arn:aws:logs:us-east-1:{A}:log-group:/app:log-stream:",
                                             why.format("logs:CreateLogGroup")))
    assert error_of(lambda: as_session(cloud, "elasticache", credentials).describe_cache_clusters())[:2] == ("AccessDenied", 403)
    assert error_of(lambda: as_session(cloud, "cloudtrail", credentials).lookup_events())[:2] == ("AccessDeniedException", 400)
    # GetCallerIdentity needs no permission, as on AWS
    assert as_session(cloud, "sts", credentials).get_caller_identity()["Arn"] == SESSION


def test_a_same_account_trust_policy_naming_the_session_needs_no_identity_policy(cloud):
    first = session(cloud)
    target = cloud.client("iam", account=A).create_role(RoleName="next", AssumeRolePolicyDocument=document(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:role/app"}, "Action": "sts:AssumeRole"}))["Role"]
    assert as_session(cloud, "sts", first).assume_role(RoleArn=target["Arn"], RoleSessionName="next")["Credentials"]


def test_cloudtrail_shows_the_denial(cloud):
    credentials = session(cloud)
    error_of(lambda: as_session(cloud, "iam", credentials).delete_role(RoleName="app"))
    events = cloud.client("cloudtrail", account=A).lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "DeleteRole"}])["Events"]
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["errorCode"] == "AccessDenied"
    assert record["errorMessage"] == denied(SESSION, "iam:DeleteRole", f"arn:aws:iam::{A}:role/app",
                                            "because no identity-based policy allows the iam:DeleteRole action")
    assert record["userIdentity"]["arn"] == SESSION
    assert cloud.client("iam", account=A).get_role(RoleName="app")["Role"]["RoleName"] == "app"


def test_aws_cli_shows_the_denial(cloud):
    make_table(cloud)
    credentials = session(cloud)
    env = {**os.environ, "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
           "AWS_SESSION_TOKEN": credentials["SessionToken"], "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    result = subprocess.run([*aws_cli(), "--endpoint-url", cloud.endpoint, "dynamodb", "describe-table", "--table-name", "Music"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "(AccessDeniedException)" in result.stderr and "dynamodb:DescribeTable" in result.stderr


def test_status_says_enforcement_is_on(cloud):
    assert cloud.get("/_regionbox/status")["iam_enforcement"] == "on"


def test_enforcement_off_lets_every_key_do_anything():
    permissive = RunningCloud(Config(ephemeral=True, iam_enforcement=False)).start()
    try:
        assert permissive.get("/_regionbox/status")["iam_enforcement"] == "off"
        arn = make_table(permissive)
        dynamodb = as_session(permissive, "dynamodb", session(permissive))
        dynamodb.put_item(TableName="Music", Item=key())
        assert dynamodb.get_item(TableName="Music", Key=key())["Item"] == key()
        # another account's table ARN still reaches that account's table, never the caller's own
        make_table(permissive, account=B)
        cloud_b = permissive.client("dynamodb", account=B)
        cloud_b.put_item(TableName=arn, Item=key("from-b"))
        assert permissive.client("dynamodb", account=A).get_item(TableName="Music", Key=key("from-b"))["Item"]
        assert cloud_b.scan(TableName="Music")["Count"] == 0
    finally:
        permissive.stop()


def test_elasticache_resources_and_condition_keys(cloud):
    credentials = session(cloud, managed=["arn:aws:iam::aws:policy/AmazonElastiCacheReadOnlyAccess"], inline=[
        allow("elasticache:CreateCacheParameterGroup", f"arn:aws:elasticache:*:{A}:parametergroup:app-*"),
        allow("elasticache:CreateReplicationGroup"),
        deny("elasticache:CreateReplicationGroup", "*", {"StringNotEquals": {"elasticache:CacheNodeType": "cache.t3.micro"}})])
    elasticache = as_session(cloud, "elasticache", credentials)
    elasticache.create_cache_parameter_group(CacheParameterGroupName="app-redis", CacheParameterGroupFamily="redis7",
                                             Description="app")
    assert [g["CacheParameterGroupName"] for g in elasticache.describe_cache_parameter_groups(
        CacheParameterGroupName="app-redis")["CacheParameterGroups"]] == ["app-redis"]
    other = f"arn:aws:elasticache:us-east-1:{A}:parametergroup:other"
    assert error_of(lambda: elasticache.create_cache_parameter_group(
        CacheParameterGroupName="other", CacheParameterGroupFamily="redis7", Description="x")) == (
        "AccessDenied", 403, denied(SESSION, "elasticache:CreateCacheParameterGroup", other,
                                    "because no identity-based policy allows the elasticache:CreateCacheParameterGroup action"))
    assert error_of(lambda: elasticache.create_replication_group(
        ReplicationGroupId="big", ReplicationGroupDescription="x", Engine="redis", CacheNodeType="cache.m5.large"))[2] == denied(
        SESSION, "elasticache:CreateReplicationGroup", f"arn:aws:elasticache:us-east-1:{A}:replicationgroup:big",
        "with an explicit deny in an identity-based policy")
    assert elasticache.describe_replication_groups()["ReplicationGroups"] == []


def test_elasticache_serverless_caches_and_global_datastores_are_resources_of_their_own(cloud):
    credentials = session(cloud, inline=[
        allow("elasticache:CreateServerlessCache", f"arn:aws:elasticache:*:{A}:serverlesscache:app-*"),
        allow("elasticache:DescribeGlobalReplicationGroups", f"arn:aws:elasticache::{A}:globalreplicationgroup:*")])
    elasticache = as_session(cloud, "elasticache", credentials)
    assert elasticache.create_serverless_cache(ServerlessCacheName="app-cache", Engine="valkey")["ServerlessCache"]
    assert error_of(lambda: elasticache.create_serverless_cache(ServerlessCacheName="other", Engine="valkey"))[2] == denied(
        SESSION, "elasticache:CreateServerlessCache", f"arn:aws:elasticache:us-east-1:{A}:serverlesscache:other",
        "because no identity-based policy allows the elasticache:CreateServerlessCache action")
    # A global datastore's ARN has no region: the policy's resource names it so.
    assert error_of(lambda: elasticache.describe_global_replication_groups(GlobalReplicationGroupId="abcde-x"))[0] == \
        "GlobalReplicationGroupNotFoundFault"


def test_aws_managed_policies_are_there_with_their_documents(cloud):
    iam = cloud.client("iam", account=A)
    policy = iam.get_policy(PolicyArn=READ_ONLY)["Policy"]
    assert (policy["PolicyName"], policy["Path"], policy["Arn"]) == ("ReadOnlyAccess", "/", READ_ONLY)
    version = iam.get_policy_version(PolicyArn=READ_ONLY, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    actions = version["Document"]["Statement"][0]["Action"]
    assert "dynamodb:Describe*" in actions and len(actions) > 500
    basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    assert iam.get_policy_version(PolicyArn=basic, VersionId="v1")["PolicyVersion"]["Document"]["Statement"][0]["Action"] == [
        "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
