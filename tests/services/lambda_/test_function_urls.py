"""Function URLs: the configuration through boto3, and the URL itself with requests: payload
format 2.0 events, response mapping, AuthType NONE (the resource policy decides) and AWS_IAM
(SigV4 for lambda), CORS answered from the URL's Cors, both addressing forms."""

from __future__ import annotations

import base64
import json

from urllib.parse import urlsplit, urlunsplit

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.services.lambda_.helpers import ACCOUNT, OTHER, client, create, error_of, role

ECHO = """import base64, json
def handler(event, context):
    if event["rawPath"] == "/plain":
        return {"just": "json"}
    if event["rawPath"] == "/fail":
        raise ValueError("no")
    if event["rawPath"] == "/binary":
        return {"statusCode": 201, "headers": {"content-type": "application/octet-stream"},
                "body": base64.b64encode(b"\\x00\\x01").decode(), "isBase64Encoded": True}
    return {"statusCode": 418, "headers": {"x-seen": event["requestContext"]["http"]["method"]},
            "cookies": ["a=1", "b=2"], "body": json.dumps(event)}
"""


def _public(cloud, name: str = "web", **extra) -> dict:
    create(cloud, name, ECHO)
    lam = client(cloud)
    config = lam.create_function_url_config(FunctionName=name, AuthType="NONE", **extra)
    lam.add_permission(FunctionName=name, StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*",
                       FunctionUrlAuthType="NONE")
    return config


class _Direct:
    """requests to a function URL's host name, sent to 127.0.0.1 with that Host (no DNS for
    *.localhost needed on the test machine)."""

    def request(self, method: str, url: str, headers: dict | None = None, **kwargs) -> requests.Response:
        split = urlsplit(url)
        target = urlunsplit((split.scheme, f"127.0.0.1:{split.port}", split.path, split.query, ""))
        return requests.request(method, target, headers={"Host": split.netloc, **(headers or {})}, **kwargs)

    def get(self, url: str, **kwargs) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs) -> requests.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs) -> requests.Response:
        return self.request("PUT", url, **kwargs)

    def options(self, url: str, **kwargs) -> requests.Response:
        return self.request("OPTIONS", url, **kwargs)


http = _Direct()


def _path_form(cloud, url: str) -> str:
    url_id = url.split("//", 1)[1].split(".", 1)[0]
    return f"{cloud.endpoint}/_aws/lambda-url/{url_id}/"


def test_url_config_lifecycle_and_errors(cloud):
    create(cloud, "web", ECHO)
    lam = client(cloud)
    lam.create_alias(FunctionName="web", Name="live", FunctionVersion=lam.publish_version(FunctionName="web")["Version"])
    created = lam.create_function_url_config(FunctionName="web", AuthType="AWS_IAM",
                                             Cors={"AllowOrigins": ["https://app.example"], "MaxAge": 60})
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:web"
    assert created["FunctionUrl"].startswith("http://") and ".lambda-url.us-east-1.localhost:" in created["FunctionUrl"]
    assert (created["AuthType"], created["InvokeMode"], created["Cors"]["MaxAge"]) == ("AWS_IAM", "BUFFERED", 60)
    aliased = lam.create_function_url_config(FunctionName="web", Qualifier="live", AuthType="NONE")
    assert aliased["FunctionArn"].endswith(":function:web:live") and aliased["FunctionUrl"] != created["FunctionUrl"]
    again = error_of(lambda: lam.create_function_url_config(FunctionName="web", AuthType="NONE"))
    assert (again["Code"], again["Status"]) == ("ResourceConflictException", 409)
    assert "FunctionUrlConfig exists for this Lambda function" in again["Message"]
    version = error_of(lambda: lam.create_function_url_config(FunctionName="web", Qualifier="1", AuthType="NONE"))
    assert version["Code"] == "ValidationException"  # the Qualifier pattern: an alias, never a version
    missing_alias = error_of(lambda: lam.get_function_url_config(FunctionName="web", Qualifier="nope"))
    assert missing_alias["Code"] == "ResourceNotFoundException"
    updated = lam.update_function_url_config(FunctionName="web", AuthType="NONE", InvokeMode="RESPONSE_STREAM")
    assert (updated["AuthType"], updated["InvokeMode"], updated["FunctionUrl"]) == ("NONE", "RESPONSE_STREAM",
                                                                                   created["FunctionUrl"])
    assert lam.get_function_url_config(FunctionName="web")["LastModifiedTime"] == updated["LastModifiedTime"]
    listed = lam.list_function_url_configs(FunctionName="web")["FunctionUrlConfigs"]
    assert sorted(c["FunctionArn"].rsplit(":", 1)[-1] for c in listed) == ["live", "web"]
    lam.delete_function_url_config(FunctionName="web", Qualifier="live")
    gone = error_of(lambda: lam.get_function_url_config(FunctionName="web", Qualifier="live"))
    assert (gone["Code"], gone["Status"], gone["Message"]) == ("ResourceNotFoundException", 404,
                                                              "The resource you requested does not exist.")
    lam.delete_function(FunctionName="web")  # its URLs go with it
    create(cloud, "web", ECHO)
    assert client(cloud).list_function_url_configs(FunctionName="web")["FunctionUrlConfigs"] == []
    assert http.get(created["FunctionUrl"] + "x").status_code == 404


def test_public_url_event_and_response_mapping(cloud):
    url = _public(cloud)["FunctionUrl"]
    answer = http.post(url + "some/path?a=1&a=2&b=x", data=b'{"hi": 1}',
                           headers={"Content-Type": "application/json", "Cookie": "c1=v1; c2=v2", "X-Custom": "yes"})
    assert answer.status_code == 418 and answer.headers["x-seen"] == "POST"
    assert answer.headers["x-amzn-RequestId"]
    assert answer.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    event = answer.json()
    assert (event["version"], event["routeKey"], event["rawPath"]) == ("2.0", "$default", "/some/path")
    assert event["rawQueryString"] == "a=1&a=2&b=x" and event["queryStringParameters"] == {"a": "1,2", "b": "x"}
    assert event["cookies"] == ["c1=v1", "c2=v2"] and event["headers"]["x-custom"] == "yes"
    assert (event["body"], event["isBase64Encoded"]) == ('{"hi": 1}', False)
    context = event["requestContext"]
    assert context["http"]["method"] == "POST" and context["http"]["path"] == "/some/path"
    assert context["domainPrefix"] == url.split("//")[1].split(".")[0] and context["stage"] == "$default"
    assert "authorizer" not in context
    binary = http.put(url + "upload", data=b"\xff\xfe", headers={"Content-Type": "application/octet-stream"}).json()
    assert binary["isBase64Encoded"] and base64.b64decode(binary["body"]) == b"\xff\xfe"
    plain = http.get(url + "plain")
    assert (plain.status_code, plain.headers["content-type"], plain.json()) == (200, "application/json", {"just": "json"})
    raw = http.get(url + "binary")
    assert (raw.status_code, raw.content) == (201, b"\x00\x01")
    failed = http.get(url + "fail")
    assert (failed.status_code, failed.json()) == (502, {"Message": "Internal Server Error"})
    by_path = requests.get(_path_form(cloud, url) + "plain")  # no DNS needed
    assert (by_path.status_code, by_path.json()) == (200, {"just": "json"})


def test_auth_none_needs_the_resource_policy(cloud):
    create(cloud, "closed", ECHO)
    lam = client(cloud)
    url = lam.create_function_url_config(FunctionName="closed", AuthType="NONE")["FunctionUrl"]
    refused = http.get(url + "plain")
    assert (refused.status_code, refused.json()) == (403, {"Message": "Forbidden"})
    lam.add_permission(FunctionName="closed", StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*",
                       FunctionUrlAuthType="AWS_IAM")  # for the other auth type: still refused
    assert http.get(url + "plain").status_code == 403
    lam.add_permission(FunctionName="closed", StatementId="url2", Action="lambda:InvokeFunctionUrl", Principal="*",
                       FunctionUrlAuthType="NONE")
    assert http.get(url + "plain").status_code == 200


def _signed(method: str, url: str, access_key: str, secret: str, token: str | None = None) -> requests.Response:
    request = AWSRequest(method=method, url=url, data=b"")
    SigV4Auth(Credentials(access_key, secret, token), "lambda", "us-east-1").add_auth(request)
    return http.request(method, url, headers=dict(request.headers))


def test_aws_iam_url_needs_a_signature_and_iams_verdict(cloud):
    create(cloud, "private", ECHO)
    url = client(cloud).create_function_url_config(FunctionName="private", AuthType="AWS_IAM")["FunctionUrl"]
    assert http.get(url + "plain").json() == {"Message": "Forbidden"}
    owner = _signed("GET", url + "echo", ACCOUNT, "x")
    assert owner.status_code == 418
    assert owner.json()["requestContext"]["authorizer"]["iam"]["accountId"] == ACCOUNT
    iam = client(cloud, "iam")
    iam.create_user(UserName="dev")
    key = iam.create_access_key(UserName="dev")["AccessKey"]
    assert _signed("GET", url + "plain", key["AccessKeyId"], key["SecretAccessKey"]).status_code == 403
    assert _signed("GET", url + "plain", key["AccessKeyId"], "wrong-secret").status_code == 403
    iam.put_user_policy(UserName="dev", PolicyName="url", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "lambda:InvokeFunctionUrl", "Resource": "*",
         "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}}}]}))
    allowed = _signed("GET", url + "echo", key["AccessKeyId"], key["SecretAccessKey"])
    assert allowed.status_code == 418
    assert allowed.json()["requestContext"]["authorizer"]["iam"]["userArn"].endswith(":user/dev")
    other = _signed("GET", url + "plain", OTHER, "x")  # another account's root: not in the function's policy
    assert other.status_code == 403


def test_cors_from_the_url_configuration(cloud):
    url = _public(cloud, "cors", Cors={"AllowOrigins": ["https://app.example"], "AllowMethods": ["GET", "POST"],
                                       "AllowHeaders": ["x-token"], "ExposeHeaders": ["x-seen"], "MaxAge": 300,
                                       "AllowCredentials": True})["FunctionUrl"]
    preflight = http.options(url + "echo", headers={"Origin": "https://app.example",
                                                        "Access-Control-Request-Method": "POST",
                                                        "Access-Control-Request-Headers": "x-token"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET,POST"
    assert preflight.headers["Access-Control-Allow-Headers"] == "x-token"
    assert preflight.headers["Access-Control-Max-Age"] == "300"
    assert preflight.headers["Access-Control-Allow-Credentials"] == "true"
    actual = http.get(url + "echo", headers={"Origin": "https://app.example"})
    assert actual.status_code == 418 and actual.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert actual.headers["Access-Control-Expose-Headers"] == "x-seen"
    stranger = http.get(url + "echo", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in stranger.headers


def test_a_role_session_signs_for_an_alias_url(cloud):
    create(cloud, "aliased", ECHO)
    lam = client(cloud)
    lam.create_alias(FunctionName="aliased", Name="prod", FunctionVersion=lam.publish_version(FunctionName="aliased")["Version"])
    url = lam.create_function_url_config(FunctionName="aliased", Qualifier="prod", AuthType="AWS_IAM")["FunctionUrl"]
    arn = role(cloud, "caller", policy={"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "lambda:InvokeFunctionUrl",
         "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:aliased:prod"}]})
    client(cloud, "iam").update_assume_role_policy(RoleName="caller", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                                "Action": "sts:AssumeRole"}]}))
    session = client(cloud, "sts").assume_role(RoleArn=arn, RoleSessionName="ss")["Credentials"]
    answer = _signed("GET", url + "echo", session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])
    assert answer.status_code == 418
    assert answer.json()["requestContext"]["authorizer"]["iam"]["userArn"].endswith(":assumed-role/caller/ss")
