"""Authorizers: kept as AWS keeps them; calls to their methods never pass unchecked while
regionbox has no Lambda or Cognito to ask (401 without the identity source, else the answer AWS
gives when it cannot get a verdict)."""

from __future__ import annotations

import botocore.exceptions
import pytest
import requests

from tests.services.apigateway.helpers import invoke_url

LAMBDA_URI = ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
              "arn:aws:lambda:us-east-1:000000000000:function:auth/invocations")


@pytest.fixture
def gw(cloud):
    return cloud.client("apigateway")


def test_authorizers_lifecycle_and_methods_using_them(gw):
    api = gw.create_rest_api(name="authz")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        gw.create_authorizer(restApiId=api["id"], name="t", type="TOKEN", authorizerUri=LAMBDA_URI)
    assert refused.value.response["Error"]["Code"] == "BadRequestException"  # TOKEN needs an identity source
    token = gw.create_authorizer(restApiId=api["id"], name="t", type="TOKEN", authorizerUri=LAMBDA_URI,
                                 identitySource="method.request.header.Authorization")
    assert token["authorizerResultTtlInSeconds"] == 300
    pool = gw.create_authorizer(restApiId=api["id"], name="p", type="COGNITO_USER_POOLS",
                                providerARNs=["arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_x"])
    assert pool["identitySource"] == "method.request.header.Authorization"
    with pytest.raises(botocore.exceptions.ClientError) as mismatched:
        gw.put_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET",
                      authorizationType="COGNITO_USER_POOLS", authorizerId=token["id"])
    assert mismatched.value.response["Error"]["Message"] == "Invalid authorizer ID specified"
    gw.put_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET",
                  authorizationType="CUSTOM", authorizerId=token["id"])
    renamed = gw.update_authorizer(restApiId=api["id"], authorizerId=token["id"],
                                   patchOperations=[{"op": "replace", "path": "/name", "value": "token"}])
    assert renamed["name"] == "token"
    assert {a["name"] for a in gw.get_authorizers(restApiId=api["id"])["items"]} == {"token", "p"}
    with pytest.raises(botocore.exceptions.ClientError) as in_use:
        gw.delete_authorizer(restApiId=api["id"], authorizerId=token["id"])
    assert in_use.value.response["Error"]["Code"] == "ConflictException"
    gw.delete_authorizer(restApiId=api["id"], authorizerId=pool["id"])
    with pytest.raises(botocore.exceptions.ClientError) as gone:
        gw.get_authorizer(restApiId=api["id"], authorizerId=pool["id"])
    assert gone.value.response["Error"]["Message"] == "Invalid Authorizer identifier specified"


def test_calls_through_authorizers_never_pass_unchecked(cloud, gw):
    api = gw.create_rest_api(name="guarded")
    token = gw.create_authorizer(restApiId=api["id"], name="t", type="TOKEN", authorizerUri=LAMBDA_URI,
                                 identitySource="method.request.header.Authorization")
    pool = gw.create_authorizer(restApiId=api["id"], name="p", type="COGNITO_USER_POOLS",
                                providerARNs=["arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_x"])
    for part, kind, authorizer in (("lambda", "CUSTOM", token), ("cognito", "COGNITO_USER_POOLS", pool)):
        resource = gw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart=part)
        gw.put_method(restApiId=api["id"], resourceId=resource["id"], httpMethod="GET", authorizationType=kind,
                      authorizerId=authorizer["id"])
        gw.put_integration(restApiId=api["id"], resourceId=resource["id"], httpMethod="GET", type="MOCK")
        gw.put_integration_response(restApiId=api["id"], resourceId=resource["id"], httpMethod="GET", statusCode="200")
    gw.create_deployment(restApiId=api["id"], stageName="prod")
    for part in ("lambda", "cognito"):
        missing = requests.get(invoke_url(cloud, api["id"], "prod", f"/{part}"))
        assert (missing.status_code, missing.json()) == (401, {"message": "Unauthorized"}), part
    cognito = requests.get(invoke_url(cloud, api["id"], "prod", "/cognito"), headers={"Authorization": "eyJ.x.y"})
    assert (cognito.status_code, cognito.json()) == (401, {"message": "Unauthorized"})
    lambda_ = requests.get(invoke_url(cloud, api["id"], "prod", "/lambda"), headers={"Authorization": "allow"})
    assert (lambda_.status_code, lambda_.json()) == (500, {"message": None})
    assert lambda_.headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"
