"""The control plane through boto3: what each resource answers, AWS's errors and messages,
patch operations and position/limit paging."""

from __future__ import annotations

import json

import botocore.exceptions
import pytest

from tests.services.apigateway.helpers import mock_api


@pytest.fixture
def gw(cloud):
    return cloud.client("apigateway")


def error_of(call, *args, **kwargs) -> tuple[str, str, int]:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(*args, **kwargs)
    error = raised.value.response["Error"]
    return error["Code"], error["Message"], raised.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_rest_api_lifecycle(gw):
    api = gw.create_rest_api(name="shop", description="the shop", tags={"team": "web"})
    assert len(api["id"]) == 10 and api["apiKeySource"] == "HEADER"
    assert api["endpointConfiguration"] == {"types": ["EDGE"]}
    root = gw.get_resources(restApiId=api["id"])["items"]
    assert root == [{"id": api["rootResourceId"], "path": "/"}]
    updated = gw.update_rest_api(restApiId=api["id"], patchOperations=[
        {"op": "replace", "path": "/name", "value": "store"},
        {"op": "replace", "path": "/apiKeySource", "value": "AUTHORIZER"},
        {"op": "add", "path": "/binaryMediaTypes/image~1png"}])
    assert updated["name"] == "store" and updated["binaryMediaTypes"] == ["image/png"]
    assert gw.get_rest_api(restApiId=api["id"])["apiKeySource"] == "AUTHORIZER"
    assert error_of(gw.update_rest_api, restApiId=api["id"], patchOperations=[
        {"op": "replace", "path": "/id", "value": "x"}])[0] == "BadRequestException"
    gw.delete_rest_api(restApiId=api["id"])
    assert error_of(gw.get_rest_api, restApiId=api["id"]) == (
        "NotFoundException", f"Invalid API identifier specified 000000000000:{api['id']}", 404)


def test_resources_paths_parameters_and_conflicts(gw):
    api = gw.create_rest_api(name="r")
    users = gw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="users")
    user = gw.create_resource(restApiId=api["id"], parentId=users["id"], pathPart="{userId}")
    assert user["path"] == "/users/{userId}" and user["parentId"] == users["id"]
    assert error_of(gw.create_resource, restApiId=api["id"], parentId=api["rootResourceId"], pathPart="users") == (
        "ConflictException", "Another resource with the same parent already has this name: users", 409)
    code, message, _ = error_of(gw.create_resource, restApiId=api["id"], parentId=users["id"], pathPart="{other}")
    assert code == "BadRequestException" and "only one is allowed" in message
    assert error_of(gw.create_resource, restApiId=api["id"], parentId=users["id"], pathPart="bad path")[0] == \
        "BadRequestException"
    greedy = gw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="{proxy+}")
    assert error_of(gw.create_resource, restApiId=api["id"], parentId=greedy["id"], pathPart="x")[0] == \
        "BadRequestException"
    assert error_of(gw.get_resource, restApiId=api["id"], resourceId="nope00") == (
        "NotFoundException", "Invalid Resource identifier specified", 404)
    moved = gw.update_resource(restApiId=api["id"], resourceId=users["id"],
                               patchOperations=[{"op": "replace", "path": "/pathPart", "value": "people"}])
    assert moved["path"] == "/people"
    assert gw.get_resource(restApiId=api["id"], resourceId=user["id"])["path"] == "/people/{userId}"
    gw.delete_resource(restApiId=api["id"], resourceId=users["id"])  # and everything under it
    paths = sorted(r["path"] for r in gw.get_resources(restApiId=api["id"])["items"])
    assert paths == ["/", "/{proxy+}"]


def test_methods_integrations_and_their_responses(gw):
    api = gw.create_rest_api(name="m")
    rid = api["rootResourceId"]
    method = gw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="GET", authorizationType="AWS_IAM",
                           apiKeyRequired=True, requestParameters={"method.request.querystring.q": False})
    assert method["apiKeyRequired"] is True and method["requestParameters"] == {"method.request.querystring.q": False}
    assert error_of(gw.put_method, restApiId=api["id"], resourceId=rid, httpMethod="GET", authorizationType="NONE") == (
        "ConflictException", "Method already exists for this resource", 409)
    assert error_of(gw.put_method, restApiId=api["id"], resourceId=rid, httpMethod="FETCH", authorizationType="NONE")[0] \
        == "BadRequestException"
    assert error_of(gw.put_method, restApiId=api["id"], resourceId=rid, httpMethod="PUT", authorizationType="CUSTOM",
                    authorizerId="abc123") == ("BadRequestException", "Invalid authorizer ID specified", 400)
    changed = gw.update_method(restApiId=api["id"], resourceId=rid, httpMethod="GET", patchOperations=[
        {"op": "replace", "path": "/apiKeyRequired", "value": "false"},
        {"op": "add", "path": "/requestParameters/method.request.header.X-Trace", "value": "true"}])
    assert changed["apiKeyRequired"] is False
    assert changed["requestParameters"]["method.request.header.X-Trace"] is True
    assert error_of(gw.get_integration, restApiId=api["id"], resourceId=rid, httpMethod="GET") == (
        "NotFoundException", "No integration defined for method", 404)
    assert error_of(gw.put_integration, restApiId=api["id"], resourceId=rid, httpMethod="GET", type="HTTP",
                    integrationHttpMethod="GET", uri="ftp://x") == (
        "BadRequestException", "Invalid HTTP endpoint specified for URI", 400)
    assert error_of(gw.put_integration, restApiId=api["id"], resourceId=rid, httpMethod="GET", type="HTTP",
                    uri="http://example.test/")[1] == "Enumeration value for HttpMethod must be non-empty"
    integration = gw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET", type="HTTP",
                                     integrationHttpMethod="GET", uri="http://example.test/", timeoutInMillis=1000)
    assert integration["passthroughBehavior"] == "WHEN_NO_MATCH" and integration["connectionType"] == "INTERNET"
    assert integration["httpMethod"] == "GET" and integration["timeoutInMillis"] == 1000
    gw.put_method_response(restApiId=api["id"], resourceId=rid, httpMethod="GET", statusCode="200",
                           responseParameters={"method.response.header.X-A": True})
    gw.put_integration_response(restApiId=api["id"], resourceId=rid, httpMethod="GET", statusCode="200",
                                selectionPattern="2\\d\\d")
    shown = gw.get_method(restApiId=api["id"], resourceId=rid, httpMethod="GET")
    assert shown["methodResponses"]["200"]["responseParameters"] == {"method.response.header.X-A": True}
    assert shown["methodIntegration"]["integrationResponses"]["200"]["selectionPattern"] == "2\\d\\d"
    assert error_of(gw.get_method_response, restApiId=api["id"], resourceId=rid, httpMethod="GET", statusCode="500") == (
        "NotFoundException", "Invalid Response status code specified", 404)
    gw.delete_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET")
    gw.delete_method(restApiId=api["id"], resourceId=rid, httpMethod="GET")
    assert error_of(gw.get_method, restApiId=api["id"], resourceId=rid, httpMethod="GET") == (
        "NotFoundException", "Invalid Method identifier specified", 404)


def test_deployments_and_stages(gw):
    api = gw.create_rest_api(name="d")
    assert error_of(gw.create_deployment, restApiId=api["id"], stageName="prod") == (
        "BadRequestException", "The REST API doesn't contain any methods", 400)
    gw.put_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", authorizationType="NONE")
    assert error_of(gw.create_deployment, restApiId=api["id"])[1] == "No integration defined for method"
    gw.put_integration(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", type="MOCK")
    first = gw.create_deployment(restApiId=api["id"], stageName="prod", description="v1", variables={"env": "prod"})
    stage = gw.get_stage(restApiId=api["id"], stageName="prod")
    assert stage["deploymentId"] == first["id"] and stage["variables"] == {"env": "prod"}
    summary = gw.get_deployment(restApiId=api["id"], deploymentId=first["id"], embed=["apisummary"])["apiSummary"]
    assert summary == {"/": {"GET": {"authorizationType": "NONE", "apiKeyRequired": False}}}
    second = gw.create_deployment(restApiId=api["id"])
    assert error_of(gw.create_stage, restApiId=api["id"], stageName="prod", deploymentId=second["id"]) == (
        "ConflictException", "Stage already exists", 409)
    assert error_of(gw.create_stage, restApiId=api["id"], stageName="dev", deploymentId="nope00") == (
        "NotFoundException", "Invalid Deployment identifier specified", 404)
    gw.create_stage(restApiId=api["id"], stageName="dev", deploymentId=second["id"], variables={"env": "dev"})
    assert sorted(s["stageName"] for s in gw.get_stages(restApiId=api["id"])["item"]) == ["dev", "prod"]
    assert [s["stageName"] for s in gw.get_stages(restApiId=api["id"], deploymentId=second["id"])["item"]] == ["dev"]
    updated = gw.update_stage(restApiId=api["id"], stageName="prod", patchOperations=[
        {"op": "replace", "path": "/deploymentId", "value": second["id"]},
        {"op": "replace", "path": "/variables/env", "value": "production"},
        {"op": "replace", "path": "/~1/GET/throttling/rateLimit", "value": "50"},
        {"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"}])
    assert updated["deploymentId"] == second["id"] and updated["variables"] == {"env": "production"}
    assert updated["methodSettings"]["/GET"]["throttlingRateLimit"] == 50.0
    assert updated["methodSettings"]["*/*"]["loggingLevel"] == "INFO"
    assert error_of(gw.delete_deployment, restApiId=api["id"], deploymentId=second["id"]) == (
        "BadRequestException", "Active stages pointing to this deployment must be moved or deleted", 400)
    gw.delete_deployment(restApiId=api["id"], deploymentId=first["id"])
    assert [d["id"] for d in gw.get_deployments(restApiId=api["id"])["items"]] == [second["id"]]
    gw.delete_stage(restApiId=api["id"], stageName="dev")
    assert error_of(gw.get_stage, restApiId=api["id"], stageName="dev") == (
        "NotFoundException", "Invalid Stage identifier specified", 404)


def test_api_keys(gw):
    generated = gw.create_api_key(name="gen", enabled=True, customerId="c-1")
    assert len(generated["value"]) == 40 and generated["enabled"] is True
    assert "value" not in gw.get_api_key(apiKey=generated["id"])
    assert gw.get_api_key(apiKey=generated["id"], includeValue=True)["value"] == generated["value"]
    assert error_of(gw.create_api_key, name="short", value="tooshort") == (
        "BadRequestException", "API Key value should be at least 20 characters", 400)
    gw.create_api_key(name="imported", value="imported-value-0123456789")
    assert error_of(gw.create_api_key, name="again", value="imported-value-0123456789") == (
        "ConflictException", "API Key already exists", 409)
    assert [k["name"] for k in gw.get_api_keys(nameQuery="imp")["items"]] == ["imported"]
    assert [k["name"] for k in gw.get_api_keys(customerId="c-1", includeValues=True)["items"]] == ["gen"]
    renamed = gw.update_api_key(apiKey=generated["id"], patchOperations=[
        {"op": "replace", "path": "/name", "value": "renamed"}, {"op": "replace", "path": "/enabled", "value": "false"}])
    assert renamed["name"] == "renamed" and renamed["enabled"] is False
    gw.delete_api_key(apiKey=generated["id"])
    assert error_of(gw.get_api_key, apiKey=generated["id"]) == (
        "NotFoundException", "Invalid API Key identifier specified", 404)


def test_usage_plans_and_keys(gw):
    api_id, _ = mock_api(gw)
    assert error_of(gw.create_usage_plan, name="p", apiStages=[{"apiId": api_id, "stage": "nope"}]) == (
        "BadRequestException", f"Invalid API Stage {{api: {api_id}, stage: nope}} specified for usageplan p", 400)
    assert error_of(gw.create_usage_plan, name="p", quota={"limit": 5, "period": "YEAR"})[0] == "BadRequestException"
    plan = gw.create_usage_plan(name="gold", description="the gold plan", apiStages=[{"apiId": api_id, "stage": "prod"}],
                                throttle={"rateLimit": 10.0, "burstLimit": 20},
                                quota={"limit": 1000, "period": "WEEK", "offset": 1})
    assert plan["quota"] == {"limit": 1000, "period": "WEEK", "offset": 1}
    key = gw.create_api_key(name="k", enabled=True)
    plan_key = gw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert plan_key == {**plan_key, "id": key["id"], "type": "API_KEY", "value": key["value"], "name": "k"}
    assert error_of(gw.create_usage_plan_key, usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")[0] == \
        "ConflictException"
    other = gw.create_usage_plan(name="silver", apiStages=[{"apiId": api_id, "stage": "prod"}])
    assert error_of(gw.create_usage_plan_key, usagePlanId=other["id"], keyId=key["id"], keyType="API_KEY")[0] == \
        "ConflictException"  # one plan per API stage for a key
    assert [p["id"] for p in gw.get_usage_plans(keyId=key["id"])["items"]] == [plan["id"]]
    assert [k["id"] for k in gw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]] == [key["id"]]
    updated = gw.update_usage_plan(usagePlanId=plan["id"], patchOperations=[
        {"op": "replace", "path": "/throttle/rateLimit", "value": "5"},
        {"op": "replace", "path": "/quota/limit", "value": "50"},
        {"op": "remove", "path": "/apiStages", "value": f"{api_id}:prod"},
        {"op": "add", "path": "/apiStages", "value": f"{api_id}:prod"},
        {"op": "replace", "path": f"/apiStages/{api_id}:prod/throttle/~1ping~1GET/rateLimit", "value": "2"}])
    assert updated["throttle"] == {"rateLimit": 5.0, "burstLimit": 20}
    assert updated["quota"]["limit"] == 50
    assert updated["apiStages"] == [{"apiId": api_id, "stage": "prod", "throttle": {"/ping/GET": {"rateLimit": 2.0}}}]
    assert error_of(gw.get_usage, usagePlanId=plan["id"], startDate="2026-01-02", endDate="2026-01-01")[0] == \
        "BadRequestException"
    usage = gw.get_usage(usagePlanId=plan["id"], startDate="2026-01-01", endDate="2026-01-03")
    assert usage["items"] == {key["id"]: [[0, 50], [0, 50], [0, 50]]}
    gw.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
    assert gw.get_usage_plan_keys(usagePlanId=plan["id"])["items"] == []
    assert error_of(gw.delete_usage_plan, usagePlanId=plan["id"]) == (
        "BadRequestException", f"Cannot delete Usage Plan {plan['id']} because there are API Stages associated with "
                               f"it, including {api_id}:prod", 400)
    gw.update_usage_plan(usagePlanId=plan["id"], patchOperations=[
        {"op": "remove", "path": "/apiStages", "value": f"{api_id}:prod"}])
    gw.delete_usage_plan(usagePlanId=plan["id"])
    assert error_of(gw.get_usage_plan, usagePlanId=plan["id"]) == (
        "NotFoundException", "Invalid Usage Plan ID specified", 404)


def test_tags_by_arn(gw):
    api_id, _ = mock_api(gw)
    arn = f"arn:aws:apigateway:us-east-1::/restapis/{api_id}/stages/prod"
    gw.tag_resource(resourceArn=arn, tags={"a": "1", "b": "2"})
    gw.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert gw.get_tags(resourceArn=arn)["tags"] == {"b": "2"}
    assert gw.get_stage(restApiId=api_id, stageName="prod")["tags"] == {"b": "2"}
    key = gw.create_api_key(name="tagged", tags={"x": "y"})
    assert gw.get_tags(resourceArn=f"arn:aws:apigateway:us-east-1::/apikeys/{key['id']}")["tags"] == {"x": "y"}
    assert error_of(gw.get_tags, resourceArn="not-an-arn")[0] == "BadRequestException"


def test_position_and_limit_paging(gw):
    ids = [gw.create_rest_api(name=f"api-{i}")["id"] for i in range(5)]
    seen, position = [], None
    while True:
        page = gw.get_rest_apis(limit=2, **({"position": position} if position else {}))
        seen += [api["id"] for api in page["items"]]
        position = page.get("position")
        if not position:
            break
    assert seen == ids
    assert gw.get_paginator("get_rest_apis").paginate(PaginationConfig={"PageSize": 2}).build_full_result()["items"]
    assert error_of(gw.get_rest_apis, limit=501)[0] == "BadRequestException"
    assert error_of(gw.get_rest_apis, position="forged")[0] == "BadRequestException"


def test_account_settings(gw):
    account = gw.get_account()
    assert account["throttleSettings"] == {"burstLimit": 5000, "rateLimit": 10000.0}
    role = "arn:aws:iam::000000000000:role/apigw-logs"
    assert gw.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}])[
        "cloudwatchRoleArn"] == role


def test_unbuilt_operations_say_so(gw):
    code, message, status = error_of(gw.get_sdk, restApiId="abc", stageName="prod", sdkType="javascript")
    assert (code, status) == ("NotImplemented", 501) and "SDK" in message
    code, message, status = error_of(gw.get_domain_name_access_associations)
    assert (code, status) == ("NotImplemented", 501) and "private custom domain names" in message


def test_import_api_keys_from_csv(gw):
    api_id, _ = mock_api(gw)
    plan = gw.create_usage_plan(name="p", apiStages=[{"apiId": api_id, "stage": "prod"}])
    csv_body = ("Name,Key,Description,Enabled,UsagePlanIds\n"
                f"alpha,alpha-key-value-0123456789,first,true,{plan['id']}\n"
                "beta,short,too short,true,\n"
                "gamma,gamma-key-value-0123456789,,false,nope00\n")
    imported = gw.import_api_keys(body=csv_body.encode(), format="csv")
    assert len(imported["ids"]) == 1 and len(imported["warnings"]) == 2
    key = gw.get_api_key(apiKey=imported["ids"][0], includeValue=True)
    assert (key["name"], key["value"], key["enabled"]) == ("alpha", "alpha-key-value-0123456789", True)
    assert [k["id"] for k in gw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]] == imported["ids"]
    assert [k["name"] for k in gw.get_api_keys()["items"]] == ["alpha"]  # nothing of the refused rows
    code, _, _ = error_of(gw.import_api_keys, body=csv_body.encode(), format="csv", failOnWarnings=True)
    assert code in ("BadRequestException", "ConflictException")
    assert [k["name"] for k in gw.get_api_keys()["items"]] == ["alpha"]


def test_test_invoke_method_runs_the_undeployed_integration(gw):
    api = gw.create_rest_api(name="tried")
    item = gw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="{id}")
    gw.put_method(restApiId=api["id"], resourceId=item["id"], httpMethod="GET", authorizationType="AWS_IAM",
                  apiKeyRequired=True)
    gw.put_integration(restApiId=api["id"], resourceId=item["id"], httpMethod="GET", type="MOCK",
                       requestTemplates={"application/json": '{"statusCode": 200}'})
    gw.put_integration_response(restApiId=api["id"], resourceId=item["id"], httpMethod="GET", statusCode="200",
                                responseTemplates={"application/json": '{"id": "$input.params(\'id\')", '
                                                                       '"env": "$stageVariables.env", "q": "$input.params(\'q\')"}'})
    answer = gw.test_invoke_method(restApiId=api["id"], resourceId=item["id"], httpMethod="GET",
                                   pathWithQueryString="/42?q=x", stageVariables={"env": "test"})
    assert answer["status"] == 200
    assert json.loads(answer["body"]) == {"id": "42", "env": "test", "q": "x"}
    assert "Method completed with status: 200" in answer["log"]
    assert answer["headers"]["Content-Type"] == "application/json"
