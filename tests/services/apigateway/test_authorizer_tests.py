"""TestInvokeAuthorizer really runs the Lambda authorizer; a stage caches authorizer results for
their TTL until FlushStageAuthorizersCache empties its cache."""

from __future__ import annotations

import json

import requests

from tests.services.apigateway.helpers import invoke_url
from tests.services.lambda_.helpers import ACCOUNT, client, create

AUTHORIZER = '''
import uuid

def handler(event, context):
    token = event.get("authorizationToken") or event["headers"].get("X-Token", "")
    if token == "bad":
        raise Exception("Unauthorized")
    effect = "Allow" if token.startswith("allow") else "Deny"
    return {"principalId": token + "-" + uuid.uuid4().hex[:8], "context": {"run": uuid.uuid4().hex},
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]}}
'''


def _api(cloud, ttl: int) -> tuple[str, dict]:
    function = create(cloud, "authz", AUTHORIZER)["FunctionArn"]
    client(cloud).add_permission(FunctionName="authz", StatementId="apigw", Action="lambda:InvokeFunction",
                                 Principal="apigateway.amazonaws.com")
    gw = cloud.client("apigateway", account=ACCOUNT)
    api = gw.create_rest_api(name="authz")
    authorizer = gw.create_authorizer(
        restApiId=api["id"], name="token", type="TOKEN", identitySource="method.request.header.Authorization",
        authorizerResultTtlInSeconds=ttl,
        authorizerUri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function}/invocations")
    root = api["rootResourceId"]
    gw.put_method(restApiId=api["id"], resourceId=root, httpMethod="GET", authorizationType="CUSTOM",
                  authorizerId=authorizer["id"])
    gw.put_integration(restApiId=api["id"], resourceId=root, httpMethod="GET", type="MOCK",
                       requestTemplates={"application/json": '{"statusCode": 200}'})
    gw.put_integration_response(restApiId=api["id"], resourceId=root, httpMethod="GET", statusCode="200",
                                responseTemplates={"application/json": '{"who": "$context.authorizer.principalId"}'})
    gw.create_deployment(restApiId=api["id"], stageName="prod")
    return api["id"], authorizer


def test_test_invoke_authorizer_runs_the_function(cloud):
    gw = cloud.client("apigateway", account=ACCOUNT)
    api, authorizer = _api(cloud, 300)
    allowed = gw.test_invoke_authorizer(restApiId=api, authorizerId=authorizer["id"],
                                        headers={"Authorization": "allow-ann"}, pathWithQueryString="/orders?x=1")
    assert allowed["clientStatus"] == 200 and allowed["principalId"].startswith("allow-ann-")
    policy = json.loads(allowed["policy"])
    assert policy["Statement"][0]["Effect"] == "Allow"
    assert policy["Statement"][0]["Resource"] == f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api}/ESTestInvoke-stage/GET/orders"
    denied = gw.test_invoke_authorizer(restApiId=api, authorizerId=authorizer["id"], headers={"Authorization": "deny"})
    assert denied["clientStatus"] == 200 and json.loads(denied["policy"])["Statement"][0]["Effect"] == "Deny"
    assert gw.test_invoke_authorizer(restApiId=api, authorizerId=authorizer["id"],
                                     headers={"Authorization": "bad"})["clientStatus"] == 401
    assert gw.test_invoke_authorizer(restApiId=api, authorizerId=authorizer["id"], headers={})["clientStatus"] == 401


def test_stage_caches_authorizer_results_until_flushed(cloud):
    gw = cloud.client("apigateway", account=ACCOUNT)
    api, _ = _api(cloud, 300)
    url = invoke_url(cloud, api, "prod", "/")
    first = requests.get(url, headers={"Authorization": "allow-ann"}).json()["who"]
    assert first.startswith("allow-ann-")
    assert requests.get(url, headers={"Authorization": "allow-ann"}).json()["who"] == first  # from the cache
    other = requests.get(url, headers={"Authorization": "allow-bob"}).json()["who"]
    assert other.startswith("allow-bob-")
    gw.flush_stage_authorizers_cache(restApiId=api, stageName="prod")
    assert requests.get(url, headers={"Authorization": "allow-ann"}).json()["who"] not in (first, other)


def test_authorizer_without_a_ttl_runs_every_time(cloud):
    api, _ = _api(cloud, 0)
    url = invoke_url(cloud, api, "prod", "/")
    first = requests.get(url, headers={"Authorization": "allow-ann"}).json()["who"]
    assert requests.get(url, headers={"Authorization": "allow-ann"}).json()["who"] != first
