"""SigV4 for the keys regionbox issued (STS sessions, IAM users' keys): signed with the right
secret and carrying the session token, requests pass, from boto3, presigned URLs and the AWS CLI;
otherwise they are refused as AWS refuses them. Keys regionbox never issued have no secret to check."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request

import time
from urllib.parse import quote

import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st

from regionbox.core.credentials import IssuedCredentials
from regionbox.core.errors import ServiceError
from regionbox.gateway.identity import credential_scope, verify_signature
from regionbox.protocol.http import HttpRequest
from tests.services.test_cli_aws import aws_cli


ACCOUNT = "123456789012"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}]})
SIGNATURE_MESSAGE = ("The request signature we calculated does not match the signature you provided. Check your "
                     "AWS Secret Access Key and signing method. Consult the service documentation for details.")


@pytest.fixture
def credentials(cloud):
    iam = cloud.client("iam", account=ACCOUNT)
    role = iam.create_role(RoleName="signed", AssumeRolePolicyDocument=TRUST)["Role"]
    iam.put_role_policy(RoleName="signed", PolicyName="calls", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["dynamodb:ListTables", "logs:CreateLogGroup"], "Resource": "*"}]}))
    return cloud.client("sts", account=ACCOUNT).assume_role(RoleArn=role["Arn"], RoleSessionName="sess")["Credentials"]


def client(cloud, service, credentials, secret=None, token=None, **kwargs):
    return cloud.client(service, access_key=credentials["AccessKeyId"],
                        secret_key=secret or credentials["SecretAccessKey"],
                        session_token=credentials["SessionToken"] if token is None else (token or None), **kwargs)


def error_of(call) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def test_right_secret_passes_in_every_protocol(cloud, credentials):
    assert client(cloud, "sts", credentials).get_caller_identity()["Arn"].endswith(":assumed-role/signed/sess")
    assert client(cloud, "dynamodb", credentials).list_tables()["TableNames"] == []
    # a gzip-compressed body is signed as sent
    logs = client(cloud, "logs", credentials, config=Config(request_min_compression_size_bytes=1))
    logs.create_log_group(logGroupName="signed")


def test_wrong_secret_is_refused(cloud, credentials):
    wrong = "x" * 40
    assert error_of(lambda: client(cloud, "sts", credentials, secret=wrong).get_caller_identity()) == (
        "SignatureDoesNotMatch", 403, SIGNATURE_MESSAGE)
    assert error_of(lambda: client(cloud, "dynamodb", credentials, secret=wrong).list_tables()) == (
        "InvalidSignatureException", 400, SIGNATURE_MESSAGE)


def test_session_credentials_need_their_token(cloud, credentials):
    code, status, message = error_of(lambda: client(cloud, "sts", credentials, token="").get_caller_identity())
    assert (code, status, message) == ("InvalidClientTokenId", 403, "The security token included in the request is invalid.")
    code, status, _ = error_of(lambda: client(cloud, "dynamodb", credentials, token="someone-elses").list_tables())
    assert (code, status) == ("UnrecognizedClientException", 400)


def test_iam_user_keys_are_checked_too(cloud):
    iam = cloud.client("iam", account=ACCOUNT)
    iam.create_user(UserName="dev")
    key = iam.create_access_key(UserName="dev")["AccessKey"]
    right = cloud.client("sts", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert right.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/dev"
    wrong = cloud.client("sts", access_key=key["AccessKeyId"], secret_key="wrong")
    assert error_of(wrong.get_caller_identity)[0] == "SignatureDoesNotMatch"


def test_keys_never_issued_are_not_checked(cloud):
    assert cloud.client("sts", access_key="AKIDEXAMPLE", secret_key="anything").get_caller_identity()["Account"] == "000000000000"


def test_presigned_url(cloud, credentials):
    # as EKS authenticators build their tokens
    url = client(cloud, "sts", credentials).generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    with urllib.request.urlopen(url) as response:
        assert b":assumed-role/signed/sess</Arn>" in response.read()
    forged = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(forged)
    assert caught.value.code == 403 and b"SignatureDoesNotMatch" in caught.value.read()


def test_aws_cli_with_session_credentials(cloud, credentials, monkeypatch):
    monkeypatch.setenv("AWS_SESSION_TOKEN", credentials["SessionToken"])
    # aws() sets the key and a dummy secret and drops AWS_SESSION_TOKEN; run it with the real ones.
    env = {**os.environ, "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    result = subprocess.run([*aws_cli(), "--endpoint-url", cloud.endpoint, "--output", "json", "sts", "get-caller-identity"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Arn"].endswith(":assumed-role/signed/sess")
    env["AWS_SECRET_ACCESS_KEY"] = "wrong"
    result = subprocess.run([*aws_cli(), "--endpoint-url", cloud.endpoint, "dynamodb", "list-tables"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "InvalidSignatureException" in result.stderr


# --- the canonical request, against botocore's signer, for paths and queries no provider serves yet

@settings(max_examples=150, deadline=None)
@given(segments=st.lists(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12),
                         min_size=1, max_size=4),
       query=st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=4),
       service=st.sampled_from(["lambda", "apigateway", "s3"]),
       body=st.binary(max_size=64))
def test_botocore_signatures_verify(segments, query, service, body):
    path = "/" + "/".join(quote(segment, safe="") for segment in segments)
    query_string = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in query)
    url = f"http://127.0.0.1:4566{path}" + (f"?{query_string}" if query_string else "")
    issued = IssuedCredentials("ASIAEXAMPLE", "secret/key+x", "token", time.time() + 600, {})
    signer = (S3SigV4Auth if service == "s3" else SigV4Auth)(Credentials("ASIAEXAMPLE", "secret/key+x", "token"), service, "us-east-1")
    aws_request = AWSRequest("POST", url, data=body, headers={"Content-Type": "application/json"})
    signer.add_auth(aws_request)
    headers = {name.lower(): value for name, value in aws_request.headers.items()}
    headers["host"] = "127.0.0.1:4566"
    request = HttpRequest("POST", path, query_string, headers, body, host="127.0.0.1:4566")
    verify_signature(request, body, credential_scope(request), issued, raw_path=service == "s3")
    with pytest.raises(ServiceError):
        verify_signature(request, body + b"!", credential_scope(request), issued) if service != "s3" else \
            verify_signature(request, body, credential_scope(request), IssuedCredentials("ASIAEXAMPLE", "other", "token", 0, {}),
                             raw_path=True)


@pytest.mark.parametrize("region", ["US-EAST-1", "ap-northeast-1a", "mars"])  # boto3 itself refuses worse
def test_a_signature_scoped_to_no_region_is_refused(cloud, region):
    code, status, message = error_of(lambda: cloud.client("sts", region=region, account="123456789012").get_caller_identity())
    assert (code, status, message) == ("SignatureDoesNotMatch", 403, f"Credential should be scoped to a valid region, not '{region}'. ")
    code, status, _ = error_of(lambda: cloud.client("dynamodb", region=region, account="123456789012").list_tables())
    assert (code, status) == ("InvalidSignatureException", 400)


def test_an_account_key_is_twelve_ascii_digits(cloud):
    identity = cloud.client("sts", access_key="\u00b2" * 12).get_caller_identity()
    assert identity["Account"] == "000000000000"  # not an account id: the default account
