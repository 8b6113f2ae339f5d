"""AWS_IAM methods: calls signed for execute-api, checked against the key's secret and allowed
execute-api:Invoke by the caller's policies and the API's resource policy."""

from __future__ import annotations

import json

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.services.apigateway.helpers import invoke_url, mock_api
from tests.services.test_iam_enforcement import allow, session

ACCOUNT = "111111111111"


def signed_get(url: str, access_key: str, secret: str = "x", token: str | None = None) -> requests.Response:
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(access_key, secret, token), "execute-api", "us-east-1").add_auth(request)
    return requests.get(url, headers=dict(request.headers))


def test_signature_and_execute_api_invoke(cloud):
    gw = cloud.client("apigateway", account=ACCOUNT)
    api_id, _ = mock_api(gw, authorization="AWS_IAM", template='{"caller": "$context.identity.userArn"}')
    url = invoke_url(cloud, api_id, "prod", "/ping")
    assert requests.get(url).json() == {"message": "Missing Authentication Token"}
    as_root = signed_get(url, ACCOUNT)
    assert as_root.status_code == 200 and as_root.json() == {"caller": f"arn:aws:iam::{ACCOUNT}:root"}

    nobody = session(cloud, "nobody", ACCOUNT)
    denied = signed_get(url, nobody["AccessKeyId"], nobody["SecretAccessKey"], nobody["SessionToken"])
    assert denied.status_code == 403
    assert "is not authorized to perform: execute-api:Invoke on resource: " \
           f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/prod/GET/ping" in denied.json()["message"]

    invoker = session(cloud, "invoker", ACCOUNT, inline=[
        allow("execute-api:Invoke", f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/*/GET/*")])
    allowed = signed_get(url, invoker["AccessKeyId"], invoker["SecretAccessKey"], invoker["SessionToken"])
    assert allowed.status_code == 200
    assert allowed.json()["caller"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/invoker/")
    forged = signed_get(url, invoker["AccessKeyId"], "not-the-secret", invoker["SessionToken"])
    assert forged.status_code == 403 and forged.headers["x-amzn-ErrorType"] == "InvalidSignatureException"


def test_resource_policy_lets_another_account_in(cloud):
    gw = cloud.client("apigateway", account=ACCOUNT)
    api_id, _ = mock_api(gw, authorization="AWS_IAM")
    url = invoke_url(cloud, api_id, "prod", "/ping")
    other = "222222222222"
    assert signed_get(url, other).status_code == 403  # another account needs the API's resource policy
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{other}:root"}, "Action": "execute-api:Invoke",
         "Resource": f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/*"}]}
    gw.update_rest_api(restApiId=api_id, patchOperations=[{"op": "replace", "path": "/policy", "value": json.dumps(policy)}])
    assert signed_get(url, other).status_code == 200
