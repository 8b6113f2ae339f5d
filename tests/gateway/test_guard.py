"""Only the user may drive the cloud: what a web page can make a browser send is refused (plain
forms, image GETs, DNS rebinding, fetches from other origins), while browser apps the user
allows get CORS answers, and the AWS CLI and SDKs notice nothing."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlencode

import pytest

from regionbox.config import Config
from regionbox.testing import RunningCloud

APP = "http://localhost:3000"


@pytest.fixture(scope="module")
def guarded():
    running = RunningCloud(Config(ephemeral=True, cors_origins=[APP], allowed_hosts=["*.regionbox.test"])).start()
    yield running
    running.stop()


def send(cloud, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", cloud.config.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def role_names(cloud) -> list[str]:
    return [role["RoleName"] for role in cloud.client("iam").list_roles()["Roles"]]


CREATE_ROLE = urlencode({"Action": "CreateRole", "Version": "2010-05-08", "RoleName": "pwned",
                         "AssumeRolePolicyDocument": json.dumps({"Version": "2012-10-17", "Statement": [
                             {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})}).encode()
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Host": "localhost:4566"}


def test_a_plain_html_form_from_another_site_cannot_create_a_role(guarded):
    status, _, body = send(guarded, "POST", "/", CREATE_ROLE, {**FORM, "Origin": "http://evil.example"})
    assert status == 403 and b"cross-site" in body
    status, _, _ = send(guarded, "POST", "/", CREATE_ROLE, {**FORM, "Origin": "null"})  # sandboxed frames
    assert status == 403
    assert "pwned" not in role_names(guarded)


def test_an_image_get_from_another_site_is_refused(guarded):
    status, _, _ = send(guarded, "GET", "/?" + CREATE_ROLE.decode(), headers={"Host": "localhost:4566", "Sec-Fetch-Site": "cross-site"})
    assert status == 403
    status, _, _ = send(guarded, "GET", "/?" + CREATE_ROLE.decode(), headers={"Host": "127.0.0.1", "Sec-Fetch-Site": "same-site"})
    assert status == 403
    assert "pwned" not in role_names(guarded)


def test_dns_rebinding_is_refused_by_host(guarded):
    for host in ("evil.example:4566", "attacker.com", "localhost.evil.example"):
        status, _, body = send(guarded, "POST", "/", CREATE_ROLE, {**FORM, "Host": host})
        assert status == 403 and b"REGIONBOX_ALLOWED_HOSTS" in body, host
    assert "pwned" not in role_names(guarded)
    for host in ("localhost:4566", "127.0.0.1:4566", "[::1]:4566", "bucket.s3.localhost", "api.regionbox.test"):
        status, _, _ = send(guarded, "GET", "/_regionbox/health", headers={"Host": host})
        assert status == 200, host


def test_internal_endpoints_change_state_only_for_requests_no_form_can_send(guarded):
    guarded.client("iam").create_role(RoleName="kept", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                  "Action": "sts:AssumeRole"}]}))
    for content_type in ("application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"):
        status, _, _ = send(guarded, "POST", "/_regionbox/reset", b"a=b", {"Content-Type": content_type, "Host": "localhost"})
        assert status == 403, content_type
        status, _, _ = send(guarded, "POST", "/_regionbox/az/us-east-1a/outage", b"", {"Content-Type": content_type})
        assert status == 403
    assert "kept" in role_names(guarded)
    assert guarded.get("/_regionbox/az?region=us-east-1")["zones"][0]["State"] == "available"
    status, _, _ = send(guarded, "POST", "/_regionbox/az/us-east-1a/outage", b"", {"X-Regionbox": "1"})
    assert status == 200
    status, _, _ = send(guarded, "POST", "/_regionbox/az/us-east-1a/restore", b"{}", {"Content-Type": "application/json"})
    assert status == 200


def test_json_services_refuse_what_a_form_can_send(guarded):
    body = json.dumps({"TableName": "t", "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
                       "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
                       "BillingMode": "PAY_PER_REQUEST"}).encode()
    status, _, answer = send(guarded, "POST", "/", body, {"Content-Type": "text/plain", "X-Amz-Target": "DynamoDB_20120810.CreateTable"})
    assert status == 404 and json.loads(answer)["__type"].endswith("UnknownOperationException")
    assert guarded.client("dynamodb").list_tables()["TableNames"] == []


def test_an_allowed_browser_app_gets_cors_answers(guarded):
    status, headers, _ = send(guarded, "OPTIONS", "/", headers={
        "Origin": APP, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,x-amz-date,x-amz-target,x-amz-user-agent"})
    assert status == 200
    assert headers["access-control-allow-origin"] == APP
    assert "x-amz-target" in headers["access-control-allow-headers"] and "POST" in headers["access-control-allow-methods"]
    status, headers, answer = send(guarded, "POST", "/", b"{}", {
        "Origin": APP, "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.ListTables"})
    assert status == 200 and json.loads(answer) == {"TableNames": []}
    assert headers["access-control-allow-origin"] == APP and "x-amzn-requestid" in headers["access-control-expose-headers"]
    status, _, _ = send(guarded, "OPTIONS", "/", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert status == 403


def test_sdks_and_the_cli_are_unaffected(guarded):
    assert guarded.client("sts").get_caller_identity()["Account"]
    assert guarded.post("/_regionbox/az/us-east-1b/outage")["State"] == "outage"
    assert guarded.post("/_regionbox/az/us-east-1b/restore")["State"] == "available"
