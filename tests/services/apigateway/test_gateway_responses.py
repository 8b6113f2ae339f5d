"""Gateway responses: AWS's defaults listed, and customized ones (status, headers, template)
answering the data plane's refusals once deployed."""

from __future__ import annotations

import pytest
import requests

from tests.services.apigateway.helpers import invoke_url, keyed_plan, mock_api


@pytest.fixture
def gw(cloud):
    return cloud.client("apigateway")


def test_defaults_and_customization(gw):
    api = gw.create_rest_api(name="responses")
    listed = gw.get_gateway_responses(restApiId=api["id"], limit=500)["items"]
    assert len(listed) == 21 and all(r["defaultResponse"] for r in listed)
    throttled = gw.get_gateway_response(restApiId=api["id"], responseType="THROTTLED")
    assert throttled["statusCode"] == "429"
    assert throttled["responseTemplates"] == {"application/json": '{"message":$context.error.messageString}'}
    custom = gw.put_gateway_response(restApiId=api["id"], responseType="THROTTLED", statusCode="503",
                                     responseParameters={"gatewayresponse.header.Retry-After": "'60'"})
    assert custom["defaultResponse"] is False
    updated = gw.update_gateway_response(restApiId=api["id"], responseType="THROTTLED", patchOperations=[
        {"op": "replace", "path": "/statusCode", "value": "429"}])
    assert updated["statusCode"] == "429" and updated["responseParameters"] == {"gatewayresponse.header.Retry-After": "'60'"}
    gw.delete_gateway_response(restApiId=api["id"], responseType="THROTTLED")
    assert gw.get_gateway_response(restApiId=api["id"], responseType="THROTTLED")["defaultResponse"] is True


def test_customized_responses_answer_refusals_after_deployment(cloud, gw):
    api_id, _ = mock_api(gw, api_key_required=True)
    gw.put_gateway_response(restApiId=api_id, responseType="INVALID_API_KEY", statusCode="401",
                            responseParameters={"gatewayresponse.header.Access-Control-Allow-Origin": "'*'",
                                                "gatewayresponse.header.X-Echo": "method.request.header.X-Trace"},
                            responseTemplates={"application/json": '{"error": $context.error.messageString, '
                                                                   '"type": "$context.error.responseType"}'})
    gw.put_gateway_response(restApiId=api_id, responseType="DEFAULT_4XX",
                            responseParameters={"gatewayresponse.header.X-Class": "'4xx'"})
    url = invoke_url(cloud, api_id, "prod", "/ping")
    assert requests.get(url).status_code == 403  # not deployed yet: AWS's default still answers
    gw.create_deployment(restApiId=api_id, stageName="prod")
    refused = requests.get(url, headers={"X-Trace": "t-9"})
    assert refused.status_code == 401
    assert refused.json() == {"error": "Forbidden", "type": "INVALID_API_KEY"}
    assert refused.headers["Access-Control-Allow-Origin"] == "*" and refused.headers["X-Echo"] == "t-9"
    missing = requests.get(invoke_url(cloud, api_id, "prod", "/nowhere"))  # DEFAULT_4XX covers it
    assert missing.status_code == 403 and missing.headers["X-Class"] == "4xx"
    assert missing.json() == {"message": "Missing Authentication Token"}
    key, _ = keyed_plan(gw, api_id)
    assert requests.get(url, headers={"x-api-key": key["value"]}).status_code == 200
