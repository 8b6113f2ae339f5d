"""Who may reach a bucket: the owner, other accounts through the bucket policy, anonymous callers
through public grants (when Block Public Access lets them), presigned URLs until they expire."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import boto3
from botocore.config import Config as BotoConfig

from tests.services.s3.helpers import OTHER, OWNER, error_of, s3


def policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_another_account_needs_a_bucket_policy(cloud):
    owner, other = s3(cloud), s3(cloud, OTHER)
    owner.create_bucket(Bucket="private-data")
    owner.put_object(Bucket="private-data", Key="reports/q1.csv", Body=b"numbers")
    assert error_of(lambda: other.get_object(Bucket="private-data", Key="reports/q1.csv")) == {
        "Code": "AccessDenied", "Message": "Access Denied", "Status": 403}
    assert error_of(lambda: other.list_objects_v2(Bucket="private-data"))["Code"] == "AccessDenied"
    assert error_of(lambda: other.get_bucket_policy(Bucket="private-data"))["Status"] == 405
    owner.put_bucket_policy(Bucket="private-data", Policy=policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::private-data/reports/*"},
        {"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::private-data",
         "Condition": {"StringLike": {"s3:prefix": "reports/*"}}}))
    assert other.get_object(Bucket="private-data", Key="reports/q1.csv")["Body"].read() == b"numbers"
    assert other.list_objects_v2(Bucket="private-data", Prefix="reports/")["KeyCount"] == 1
    assert error_of(lambda: other.list_objects_v2(Bucket="private-data", Prefix="secret/"))["Code"] == "AccessDenied"
    assert error_of(lambda: other.put_object(Bucket="private-data", Key="reports/x", Body=b"x"))["Code"] == "AccessDenied"
    assert json.loads(owner.get_bucket_policy(Bucket="private-data")["Policy"])["Statement"][0]["Action"] == "s3:GetObject"
    # An explicit Deny binds the owner's account too (but never locks it out of the policy itself).
    owner.put_bucket_policy(Bucket="private-data", Policy=policy(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::private-data/*"}))
    assert error_of(lambda: owner.delete_object(Bucket="private-data", Key="reports/q1.csv"))["Code"] == "AccessDenied"
    owner.delete_bucket_policy(Bucket="private-data")
    owner.delete_object(Bucket="private-data", Key="reports/q1.csv")
    assert error_of(lambda: owner.get_bucket_policy(Bucket="private-data"))["Code"] == "NoSuchBucketPolicy"


def test_bucket_policies_speak_the_whole_policy_language(cloud):
    """The bucket policy is read by IAM's evaluator: every condition operator, set qualifier and
    policy variable IAM knows works in it (dates, numbers, ForAnyValue, ${aws:PrincipalAccount})."""
    owner, other = s3(cloud), s3(cloud, OTHER)
    owner.create_bucket(Bucket="shared-drop")
    owner.put_object(Bucket="shared-drop", Key=f"{OTHER}/in.txt", Body=b"mine")
    owner.put_object(Bucket="shared-drop", Key="someone-else/in.txt", Body=b"theirs")
    owner.put_bucket_policy(Bucket="shared-drop", Policy=policy(
        {"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::shared-drop/${aws:PrincipalAccount}/*",
         "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
                       "NumericGreaterThan": {"aws:EpochTime": "1577836800"}}},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared-drop/*",
         "Condition": {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}))
    assert other.get_object(Bucket="shared-drop", Key=f"{OTHER}/in.txt")["Body"].read() == b"mine"
    assert error_of(lambda: other.get_object(Bucket="shared-drop", Key="someone-else/in.txt"))["Code"] == "AccessDenied"
    # A grant whose window has passed grants nothing.
    owner.put_bucket_policy(Bucket="shared-drop", Policy=policy(
        {"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared-drop/*",
         "Condition": {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}))
    assert error_of(lambda: other.get_object(Bucket="shared-drop", Key=f"{OTHER}/in.txt"))["Code"] == "AccessDenied"


def test_bucket_policies_are_validated(cloud):
    owner = s3(cloud)
    owner.create_bucket(Bucket="checked")
    for document, message in (("not json", "Policies must be valid JSON and the first byte must be '{'"),
                              (json.dumps({"Version": "2012-10-17"}), "Missing required field Statement"),
                              (policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::checked/*"}),
                               "Missing required field Principal"),
                              (policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                       "Resource": "arn:aws:s3:::elsewhere/*"}), "Policy has invalid resource")):
        error = error_of(lambda: owner.put_bucket_policy(Bucket="checked", Policy=document))
        assert (error["Code"], error["Message"]) == ("MalformedPolicy", message)


def test_anonymous_reads_need_a_public_grant_that_block_public_access_allows(cloud):
    owner = s3(cloud)
    owner.create_bucket(Bucket="website")
    owner.put_object(Bucket="website", Key="index.html", Body=b"<h1>hi</h1>", ContentType="text/html")
    url = f"{cloud.endpoint}/website/index.html"
    try:
        urllib.request.urlopen(url, timeout=10)
        raise AssertionError("an anonymous read of a private object succeeded")
    except urllib.error.HTTPError as error:
        assert error.code == 403 and b"<Code>AccessDenied</Code>" in error.read()
    public = policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::website/*"})
    error = error_of(lambda: owner.put_bucket_policy(Bucket="website", Policy=public))
    assert error["Code"] == "AccessDenied" and "BlockPublicPolicy" in error["Message"]
    owner.delete_public_access_block(Bucket="website")
    owner.put_bucket_policy(Bucket="website", Policy=public)
    assert owner.get_bucket_policy_status(Bucket="website")["PolicyStatus"]["IsPublic"] is True
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"<h1>hi</h1>" and response.headers["Content-Type"] == "text/html"
    unsigned = boto3.client("s3", endpoint_url=cloud.endpoint, region_name="us-east-1",
                            config=BotoConfig(signature_version=__import__("botocore").UNSIGNED))
    assert unsigned.get_object(Bucket="website", Key="index.html")["Body"].read() == b"<h1>hi</h1>"
    assert error_of(lambda: unsigned.put_object(Bucket="website", Key="x", Body=b"x"))["Code"] == "AccessDenied"
    assert error_of(lambda: unsigned.create_bucket(Bucket="anonymous-bucket"))["Code"] == "AccessDenied"


def test_object_acls_with_object_writer_ownership(cloud):
    owner = s3(cloud)
    owner.create_bucket(Bucket="acls")
    assert error_of(lambda: owner.put_object(Bucket="acls", Key="k", Body=b"x", ACL="public-read"))["Code"] == \
        "AccessControlListNotSupported"
    owner.put_bucket_ownership_controls(Bucket="acls", OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    owner.put_public_access_block(Bucket="acls", PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    owner.put_object(Bucket="acls", Key="public", Body=b"open", ACL="public-read")
    owner.put_object(Bucket="acls", Key="private", Body=b"closed")
    grants = owner.get_object_acl(Bucket="acls", Key="public")["Grants"]
    assert {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"} in grants
    with urllib.request.urlopen(f"{cloud.endpoint}/acls/public", timeout=10) as response:
        assert response.read() == b"open"
    try:
        urllib.request.urlopen(f"{cloud.endpoint}/acls/private", timeout=10)
        raise AssertionError("a private object was readable")
    except urllib.error.HTTPError as error:
        assert error.code == 403


def test_presigned_urls_work_until_they_expire(cloud):
    owner = s3(cloud)
    owner.create_bucket(Bucket="shared")
    owner.put_object(Bucket="shared", Key="file.txt", Body=b"presigned")
    url = owner.generate_presigned_url("get_object", Params={"Bucket": "shared", "Key": "file.txt"}, ExpiresIn=2)
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"presigned"
    put_url = owner.generate_presigned_url("put_object", Params={"Bucket": "shared", "Key": "up.txt"}, ExpiresIn=60)
    with urllib.request.urlopen(urllib.request.Request(put_url, data=b"uploaded", method="PUT"), timeout=10) as response:
        assert response.status == 200
    assert owner.get_object(Bucket="shared", Key="up.txt")["Body"].read() == b"uploaded"
    time.sleep(3.1)
    try:
        urllib.request.urlopen(url, timeout=10)
        raise AssertionError("an expired URL worked")
    except urllib.error.HTTPError as error:
        body = error.read()
        assert error.code == 403 and b"<Message>Request has expired</Message>" in body and b"<ServerTime>" in body
    sigv4 = s3(cloud, signature_version="s3v4").generate_presigned_url(
        "get_object", Params={"Bucket": "shared", "Key": "file.txt"}, ExpiresIn=1)
    assert "X-Amz-Credential" in sigv4
    with urllib.request.urlopen(sigv4, timeout=10) as response:
        assert response.read() == b"presigned"
    time.sleep(2.1)
    try:
        urllib.request.urlopen(sigv4, timeout=10)
        raise AssertionError("an expired URL worked")
    except urllib.error.HTTPError as error:
        assert error.code == 403 and b"<X-Amz-Expires>1</X-Amz-Expires>" in error.read()


def test_iam_users_need_identity_policies_and_bucket_policies_count_too(cloud):
    owner = s3(cloud)
    owner.create_bucket(Bucket="team")
    owner.put_object(Bucket="team", Key="in/a.txt", Body=b"a")
    owner.put_object(Bucket="team", Key="out/b.txt", Body=b"b")
    iam = cloud.client("iam", account=OWNER)
    iam.create_user(UserName="reader")
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    reader = cloud.client("s3", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"],
                          config=BotoConfig(s3={"addressing_style": "path"}))
    error = error_of(lambda: reader.get_object(Bucket="team", Key="in/a.txt"))
    assert error["Code"] == "AccessDenied" and "s3:GetObject" in error["Message"] and "arn:aws:s3:::team/in/a.txt" in error["Message"]
    iam.put_user_policy(UserName="reader", PolicyName="in", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::team/in/*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::team",
         "Condition": {"StringLike": {"s3:prefix": "in/*"}}}))
    assert reader.get_object(Bucket="team", Key="in/a.txt")["Body"].read() == b"a"
    assert reader.list_objects_v2(Bucket="team", Prefix="in/")["KeyCount"] == 1
    assert error_of(lambda: reader.get_object(Bucket="team", Key="out/b.txt"))["Code"] == "AccessDenied"
    assert error_of(lambda: reader.list_objects_v2(Bucket="team", Prefix="out/"))["Code"] == "AccessDenied"
    assert error_of(lambda: reader.put_object(Bucket="team", Key="in/new", Body=b"x"))["Code"] == "AccessDenied"
    # A bucket policy naming the user grants within the account, with no identity policy.
    owner.put_bucket_policy(Bucket="team", Policy=policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWNER}:user/reader"}, "Action": "s3:PutObject",
         "Resource": "arn:aws:s3:::team/in/*"}))
    reader.put_object(Bucket="team", Key="in/new", Body=b"x")


def test_presigned_urls_of_issued_keys_are_verified(cloud):
    iam = cloud.client("iam", account=OWNER)
    iam.create_user(UserName="uploader")
    iam.put_user_policy(UserName="uploader", PolicyName="s3", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))
    key = iam.create_access_key(UserName="uploader")["AccessKey"]
    client = cloud.client("s3", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"],
                          config=BotoConfig(s3={"addressing_style": "path"}, signature_version="s3v4"))
    client.create_bucket(Bucket="issued")
    client.put_object(Bucket="issued", Key="k", Body=b"signed")
    url = client.generate_presigned_url("get_object", Params={"Bucket": "issued", "Key": "k"}, ExpiresIn=60)
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"signed"
    try:
        urllib.request.urlopen(url.replace("X-Amz-Signature=", "X-Amz-Signature=0"), timeout=10)
        raise AssertionError("a tampered URL worked")
    except urllib.error.HTTPError as error:
        assert error.code == 403 and b"SignatureDoesNotMatch" in error.read()
