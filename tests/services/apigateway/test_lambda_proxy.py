"""AWS_PROXY integrations to regionbox's Lambda: the proxy event in, the proxy response out, the
function's resource policy deciding whether API Gateway may invoke it."""

from __future__ import annotations

import http.client
import json

import requests

from tests.services.apigateway.helpers import invoke_url
from tests.services.lambda_.helpers import ACCOUNT, client, create

HANDLER = '''
import http.client
import json

def handler(event, context):
    if event["path"].endswith("/boom"):
        raise RuntimeError("boom")
    if event["path"].endswith("/garbage"):
        return "not a proxy response"
    return {"statusCode": 201, "headers": {"X-Fn": "yes"}, "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": json.dumps({"path": event["path"], "resource": event["resource"], "method": event["httpMethod"],
                                "id": (event["pathParameters"] or {}).get("proxy"), "q": event["queryStringParameters"],
                                "stage": event["requestContext"]["stage"], "vars": event["stageVariables"],
                                "body": event["body"]})}
'''


def test_lambda_proxy_round_trip_and_permissions(cloud):
    function = create(cloud, "api-fn", HANDLER)["FunctionArn"]
    gw = cloud.client("apigateway", account=ACCOUNT)
    api = gw.create_rest_api(name="fn-api")
    proxy = gw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="{proxy+}")
    gw.put_method(restApiId=api["id"], resourceId=proxy["id"], httpMethod="ANY", authorizationType="NONE")
    gw.put_integration(restApiId=api["id"], resourceId=proxy["id"], httpMethod="ANY", type="AWS_PROXY",
                       integrationHttpMethod="POST",
                       uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function}/invocations")
    gw.create_deployment(restApiId=api["id"], stageName="prod", variables={"tier": "gold"})
    url = invoke_url(cloud, api["id"], "prod", "/items/7?color=red")
    refused = requests.post(url, data="hello")  # the function's policy does not let API Gateway in yet
    assert (refused.status_code, refused.json()) == (500, {"message": "Internal server error"})
    client(cloud).add_permission(FunctionName="api-fn", StatementId="apigw", Action="lambda:InvokeFunction",
                                 Principal="apigateway.amazonaws.com",
                                 SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api['id']}/*")
    answer = requests.post(url, data="hello")
    assert answer.status_code == 201
    assert answer.headers["X-Fn"] == "yes" and answer.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    assert json.loads(answer.text) == {"path": "/items/7", "resource": "/{proxy+}", "method": "POST", "id": "items/7",
                                       "q": {"color": "red"}, "stage": "prod", "vars": {"tier": "gold"},
                                       "body": "hello"}
    for path in ("/boom", "/garbage"):
        failed = requests.get(invoke_url(cloud, api["id"], "prod", path))
        assert (failed.status_code, failed.json()) == (502, {"message": "Internal server error"}), path


AUTHORIZER = '''
def handler(event, context):
    token = event["authorizationToken"]
    if token == "bad":
        raise Exception("Unauthorized")
    effect = "Allow" if token.startswith("allow") else "Deny"
    return {"principalId": "user-" + token, "context": {"tier": "gold"}, "usageIdentifierKey": KEY,
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]}}
'''


def test_lambda_token_authorizer_decides_and_gives_the_usage_key(cloud):
    gw = cloud.client("apigateway", account=ACCOUNT)
    key = gw.create_api_key(name="from-authorizer", enabled=True)
    function = create(cloud, "authz-fn", f"KEY = {key['value']!r}\n" + AUTHORIZER)["FunctionArn"]
    client(cloud).add_permission(FunctionName="authz-fn", StatementId="apigw", Action="lambda:InvokeFunction",
                                 Principal="apigateway.amazonaws.com")
    api = gw.create_rest_api(name="authz-api", apiKeySource="AUTHORIZER")
    authorizer = gw.create_authorizer(
        restApiId=api["id"], name="token", type="TOKEN", identitySource="method.request.header.Authorization",
        authorizerUri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function}/invocations")
    root = api["rootResourceId"]
    gw.put_method(restApiId=api["id"], resourceId=root, httpMethod="GET", authorizationType="CUSTOM",
                  authorizerId=authorizer["id"], apiKeyRequired=True)
    gw.put_integration(restApiId=api["id"], resourceId=root, httpMethod="GET", type="MOCK")
    gw.put_integration_response(restApiId=api["id"], resourceId=root, httpMethod="GET", statusCode="200",
                                responseTemplates={"application/json": '{"who": "$context.authorizer.principalId", '
                                                                       '"tier": "$context.authorizer.tier"}'})
    gw.create_deployment(restApiId=api["id"], stageName="prod")
    plan = gw.create_usage_plan(name="p", apiStages=[{"apiId": api["id"], "stage": "prod"}])
    gw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    url = invoke_url(cloud, api["id"], "prod", "/")
    allowed = requests.get(url, headers={"Authorization": "allow-ann"})
    assert (allowed.status_code, allowed.json()) == (200, {"who": "user-allow-ann", "tier": "gold"})
    assert requests.get(url, headers={"Authorization": "deny-bob"}).status_code == 403
    assert requests.get(url, headers={"Authorization": "bad"}).status_code == 401
    assert requests.get(url).status_code == 401


ECHO_HEADERS = '''
import http.client
import json

def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"headers": event["headers"],
                                                   "multi": event["multiValueHeaders"]})}
'''


def test_lambda_proxy_headers_keep_the_clients_case(cloud):
    """AWS hands the function the header names as the client spelled them, repeated ones apart
    in multiValueHeaders (a value's own commas are not separators)."""
    function = create(cloud, "hdr-fn", ECHO_HEADERS)["FunctionArn"]
    client(cloud).add_permission(FunctionName="hdr-fn", StatementId="apigw", Action="lambda:InvokeFunction",
                                 Principal="apigateway.amazonaws.com")
    gw = cloud.client("apigateway", account=ACCOUNT)
    api = gw.create_rest_api(name="hdr-api")
    root = api["rootResourceId"]
    gw.put_method(restApiId=api["id"], resourceId=root, httpMethod="GET", authorizationType="NONE")
    gw.put_integration(restApiId=api["id"], resourceId=root, httpMethod="GET", type="AWS_PROXY",
                       integrationHttpMethod="POST",
                       uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function}/invocations")
    gw.create_deployment(restApiId=api["id"], stageName="prod")
    connection = http.client.HTTPConnection(cloud.endpoint.split("//", 1)[1])
    connection.putrequest("GET", f"/restapis/{api['id']}/prod/_user_request_/")
    for name, value in (("X-Mixed-Case", "One"), ("x-lower", "two"), ("X-Repeated", "a, b"),
                        ("X-Repeated", "c"), ("ACCEPT", "text/plain")):
        connection.putheader(name, value)
    connection.endheaders()
    answer = connection.getresponse()
    event = json.loads(answer.read())
    connection.close()
    assert answer.status == 200
    headers, multi = event["headers"], event["multi"]
    assert {"X-Mixed-Case", "x-lower", "X-Repeated", "ACCEPT", "Host"} <= set(headers)
    assert "x-mixed-case" not in headers and "accept" not in headers
    assert (headers["X-Mixed-Case"], headers["x-lower"], headers["X-Repeated"]) == ("One", "two", "c")
    assert multi["X-Repeated"] == ["a, b", "c"] and multi["X-Mixed-Case"] == ["One"]
