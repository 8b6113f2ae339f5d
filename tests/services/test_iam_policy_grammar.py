"""IAM's policy grammar through boto3: a corpus of documents and the exact MalformedPolicyDocument
message IAM answers for each, in IAM's order of checks (policy.py)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"


def doc(*statements, version="2012-10-17", **top) -> str:
    body = {"Version": version, "Statement": list(statements)} if version is not None else {"Statement": list(statements)}
    return json.dumps({**body, **top})


def allow(action="s3:GetObject", resource="arn:aws:s3:::bucket/*", **extra) -> dict:
    statement = {"Effect": "Allow", "Action": action}
    if resource is not None:
        statement["Resource"] = resource
    return {**statement, **extra}


IDENTITY = [
    ("{not json", "Syntax errors in policy."),
    ("[]", "Syntax errors in policy."),
    (json.dumps({"Version": "2012-10-17", "Statement": [allow()], "Extra": 1}), "Syntax errors in policy."),
    (doc(allow(), version="2019-01-01"), "Syntax errors in policy."),
    (json.dumps({"Version": "2012-10-17"}), "Syntax errors in policy."),
    (json.dumps({"Version": "2012-10-17", "Statement": []}), "Syntax errors in policy."),
    (doc("not a statement"), "Syntax errors in policy."),
    (doc({**allow(), "Colour": "red"}), "Syntax errors in policy."),
    (doc({**allow(), "NotAction": "s3:PutObject"}), "Syntax errors in policy."),
    (doc({**allow(), "NotResource": "*"}), "Syntax errors in policy."),
    (doc({"Action": "s3:GetObject", "Resource": "*"}), "Syntax errors in policy."),
    (doc(allow(action=5)), "Syntax errors in policy."),
    (doc(allow(Condition=["x"])), "Syntax errors in policy."),
    (doc(allow(Condition={"StringEquals": "x"})), "Syntax errors in policy."),
    (doc(allow(Sid=1)), "Syntax errors in policy."),
    (doc({**allow(), "Effect": "Maybe"}), "Invalid effect: Maybe"),
    # the Version comes after the shape: an identity policy must be of the current version
    (doc(allow(), version=None), "Policy document must be version 2012-10-17 or greater."),
    (doc(allow(), version="2008-10-17"), "Policy document must be version 2012-10-17 or greater."),
    # legacy parsing: the effect's case, dates, ARNs cut short
    (doc({**allow(), "Effect": "allow"}), "The policy failed legacy parsing"),
    (doc(allow(Condition={"DateGreaterThan": {"aws:CurrentTime": "yesterday-ish"}})), "The policy failed legacy parsing"),
    (doc(allow(resource="arn:aws::bucket")), "The policy failed legacy parsing"),
    (doc(allow(Sid="same"), allow(Sid="same")), "Statement IDs (SID) in a single policy must be unique."),
    (doc({"Effect": "Allow", "Resource": "*"}), "Policy statement must contain actions."),
    (doc(allow(action=[])), "Policy statement must contain actions."),
    # resources, per partition and service
    (doc(allow(resource="bucket")), 'Resource bucket must be in ARN format or "*".'),
    (doc(allow(resource="arn:aws-mars:s3:::bucket")), 'Partition "aws-mars" is not valid for resource "arn:aws-mars:s3:::bucket".'),
    (doc(allow(resource="arn:aws:s3*:::bucket")), "Resource vendor must be fully qualified and cannot contain regexes."),
    (doc(allow(action="iam:GetUser", resource=f"arn:aws:iam:us-east-1:{ACCOUNT}:user/bob")),
     f"IAM resource arn:aws:iam:us-east-1:{ACCOUNT}:user/bob cannot contain region information."),
    (doc(allow(resource="arn:aws:s3:us-east-1::bucket")), "Resource arn:aws:s3:us-east-1::bucket can not contain region information."),
    (doc(allow(action="iam:GetUser", resource=f"arn:aws:iam::{ACCOUNT}:person/bob")),
     'IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, '
     'server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.'),
    # actions
    (doc(allow(action="GetObject")), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    (doc(allow(action="s3:Get:Object")), "Actions/Condition can contain only one colon."),
    (doc(allow(action="s 3:GetObject")), "Vendor s 3 is not valid"),
    # what an identity policy may not have, or must have
    (doc(allow(Principal="*")), "Policy document should not specify a principal."),
    (doc(allow(resource=None)), "Policy statement must contain resources."),
]


@pytest.mark.parametrize("document, message", IDENTITY)
def test_identity_policy_corpus(cloud, document, message):
    iam = cloud.client("iam", account=ACCOUNT)
    with pytest.raises(ClientError) as info:
        iam.create_policy(PolicyName="p", PolicyDocument=document)
    assert (info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]) == ("MalformedPolicyDocument", message)
    # inline policies answer the same
    iam.create_user(UserName="u")
    with pytest.raises(ClientError) as info:
        iam.put_user_policy(UserName="u", PolicyName="p", PolicyDocument=document)
    assert info.value.response["Error"]["Message"] == message


VALID = [
    doc(allow()),
    doc(allow(action="*", resource="*")),
    doc(allow(action=["s3:Get*", "dynamodb:*"], resource=["arn:aws:s3:::a/*", "arn:aws-cn:dynamodb:cn-north-1:*:table/t"])),
    doc({"Effect": "Deny", "NotAction": "iam:*", "NotResource": f"arn:aws:iam::{ACCOUNT}:role/admin"}),
    doc(allow(Condition={"DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"},
                         "NumericLessThan": {"s3:max-keys": 10}, "Bool": {"aws:SecureTransport": True}})),
    doc(allow(resource="arn:aws:s3:::${aws:username}/*")),
    doc(allow(Sid="a"), allow(Sid="b")),
    json.dumps({"Version": "2012-10-17", "Id": "mine", "Statement": allow()}),
]


@pytest.mark.parametrize("document", VALID)
def test_identity_policies_iam_accepts(cloud, document):
    created = cloud.client("iam", account=ACCOUNT).create_policy(PolicyName="ok", PolicyDocument=document)["Policy"]
    assert created["DefaultVersionId"] == "v1"


def trust(principal, action="sts:AssumeRole", **extra) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": action, **extra}]})


TRUST = [
    ("{not json", "This policy contains invalid Json"),
    (json.dumps({"Version": "2019-01-01", "Statement": []}), "The policy failed legacy parsing"),
    (json.dumps({"Version": "2012-10-17"}), "Missing required field Statement"),
    (trust({"AWS": "bob"}), 'Invalid principal in policy: "AWS":"bob"'),
    (trust({"Service": "not a service"}), 'Invalid principal in policy: "SERVICE":"not a service"'),
    (trust({"Federated": "arn:aws:iam::1:saml-provider/x"}), 'Invalid principal in policy: "FEDERATED":"arn:aws:iam::1:saml-provider/x"'),
    (trust({"Robot": "x"}), 'Invalid principal in policy: "Robot"'),
    (trust({"Service": "lambda.amazonaws.com"}, action="s3:GetObject"),
     "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity"),
    (trust({"Service": "lambda.amazonaws.com"}, Resource="*"), "Has prohibited field Resource"),
]


@pytest.mark.parametrize("document, message", TRUST)
def test_trust_policy_corpus(cloud, document, message):
    with pytest.raises(ClientError) as info:
        cloud.client("iam", account=ACCOUNT).create_role(RoleName="r", AssumeRolePolicyDocument=document)
    assert (info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]) == ("MalformedPolicyDocument", message)


def test_trust_policies_iam_accepts(cloud):
    iam = cloud.client("iam", account=ACCOUNT)
    iam.create_role(RoleName="a", AssumeRolePolicyDocument=trust({"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.example.com"},
                                                                 action="sts:AssumeRoleWithWebIdentity"))
    iam.create_role(RoleName="b", AssumeRolePolicyDocument=trust({"Service": ["ec2.amazonaws.com", "ecs-tasks.amazonaws.com"]}))
    iam.create_role(RoleName="c", AssumeRolePolicyDocument=trust({"Federated": "accounts.google.com"},
                                                                 action=["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]))


def test_policy_size_limits(cloud):
    iam = cloud.client("iam", account=ACCOUNT)
    big = doc(allow(resource=[f"arn:aws:s3:::bucket-{i:04d}/*" for i in range(260)]))
    with pytest.raises(ClientError) as info:
        iam.create_policy(PolicyName="big", PolicyDocument=big)
    assert (info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]) == (
        "LimitExceeded", "Cannot exceed quota for PolicySize: 6144")
    iam.create_user(UserName="u")
    with pytest.raises(ClientError) as info:
        iam.put_user_policy(UserName="u", PolicyName="big", PolicyDocument=big)
    assert info.value.response["Error"]["Message"] == "Maximum policy size of 2048 bytes exceeded for user u"
