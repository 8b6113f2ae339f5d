"""The data plane: invoke URLs reached by Host and by path, API keys, throttling, quotas and
usage, and MOCK / HTTP / HTTP_PROXY integrations forwarding to a real backend."""

from __future__ import annotations

import datetime
import json

import pytest
import requests

from tests.services.apigateway.helpers import EchoBackend, invoke_url, keyed_plan, mock_api


@pytest.fixture
def gw(cloud):
    return cloud.client("apigateway")


@pytest.fixture(scope="module")
def backend():
    with EchoBackend() as server:
        yield server


def test_mock_integration_answers_its_template_by_path_and_by_host(cloud, gw):
    api_id, _ = mock_api(gw, template='{"pong": true, "stage": "$context.stage", "id": "$context.requestId"}')
    by_path = requests.get(invoke_url(cloud, api_id, "prod", "/ping"))
    assert by_path.status_code == 200
    body = by_path.json()
    assert body["pong"] is True and body["stage"] == "prod"
    assert body["id"] == by_path.headers["x-amzn-RequestId"]
    for host in (f"{api_id}.execute-api.localhost", f"{api_id}.execute-api.us-east-1.localhost",
                 f"{api_id}.execute-api.us-east-1.amazonaws.com"):
        by_host = requests.get(f"{cloud.endpoint}/prod/ping", headers={"Host": host})
        assert by_host.status_code == 200, host
        assert by_host.json()["pong"] is True


def test_unknown_routes_stages_and_apis_answer_as_aws(cloud, gw):
    api_id, _ = mock_api(gw)
    missing = requests.get(invoke_url(cloud, api_id, "prod", "/nowhere"))
    assert missing.status_code == 403
    assert missing.json() == {"message": "Missing Authentication Token"}
    assert missing.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    wrong_method = requests.post(invoke_url(cloud, api_id, "prod", "/ping"))
    assert wrong_method.status_code == 403 and wrong_method.json() == {"message": "Missing Authentication Token"}
    for url in (invoke_url(cloud, api_id, "nostage", "/ping"), invoke_url(cloud, "noapi12345", "prod", "/ping")):
        forbidden = requests.get(url)
        assert forbidden.status_code == 403 and forbidden.json() == {"message": "Forbidden"}


def test_api_key_is_required_enabled_and_in_a_plan_of_the_stage(cloud, gw):
    api_id, _ = mock_api(gw, api_key_required=True)
    url = invoke_url(cloud, api_id, "prod", "/ping")
    no_key = requests.get(url)
    assert no_key.status_code == 403 and no_key.json() == {"message": "Forbidden"}
    assert requests.get(url, headers={"x-api-key": "not-a-key-of-this-account-at-all"}).status_code == 403
    loose = gw.create_api_key(name="no-plan", enabled=True)
    assert requests.get(url, headers={"x-api-key": loose["value"]}).status_code == 403
    key, _ = keyed_plan(gw, api_id)
    assert requests.get(url, headers={"x-api-key": key["value"]}).status_code == 200
    gw.update_api_key(apiKey=key["id"], patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}])
    assert requests.get(url, headers={"x-api-key": key["value"]}).status_code == 403
    disabled = gw.create_api_key(name="created-disabled")  # AWS creates keys disabled by default
    assert disabled["enabled"] is False


def test_imported_key_value_works(cloud, gw):
    api_id, _ = mock_api(gw, api_key_required=True)
    key = gw.create_api_key(name="imported", value="my-own-key-value-0123456789", enabled=True)
    plan = gw.create_usage_plan(name="p", apiStages=[{"apiId": api_id, "stage": "prod"}])
    gw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    answer = requests.get(invoke_url(cloud, api_id, "prod", "/ping"), headers={"x-api-key": "my-own-key-value-0123456789"})
    assert answer.status_code == 200


def test_plan_throttle_is_a_token_bucket_per_key(cloud, gw):
    api_id, _ = mock_api(gw, api_key_required=True)
    # Burst 3, and a rate so low that no token comes back during the test.
    key, _ = keyed_plan(gw, api_id, throttle={"burstLimit": 3, "rateLimit": 0.0001})
    other, _ = keyed_plan(gw, mock_api(gw, api_key_required=True, stage="prod")[0])
    url = invoke_url(cloud, api_id, "prod", "/ping")
    codes = [requests.get(url, headers={"x-api-key": key["value"]}).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    throttled = requests.get(url, headers={"x-api-key": key["value"]})
    assert throttled.json() == {"message": "Too Many Requests"}
    assert throttled.headers["x-amzn-ErrorType"] == "TooManyRequestsException"
    assert other["id"] != key["id"]


def test_per_method_throttle_of_a_plan_stage(cloud, gw):
    api_id, _ = mock_api(gw, api_key_required=True)
    key = gw.create_api_key(name="k", enabled=True)
    plan = gw.create_usage_plan(name="p", apiStages=[{"apiId": api_id, "stage": "prod",
                                                      "throttle": {"/ping/GET": {"burstLimit": 1, "rateLimit": 0.0001}}}])
    gw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    url = invoke_url(cloud, api_id, "prod", "/ping")
    assert [requests.get(url, headers={"x-api-key": key["value"]}).status_code for _ in range(2)] == [200, 429]


def test_stage_method_settings_throttle_every_caller(cloud, gw):
    api_id, _ = mock_api(gw)
    gw.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "2"},
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "0.0001"}])
    url = invoke_url(cloud, api_id, "prod", "/ping")
    assert [requests.get(url).status_code for _ in range(3)] == [200, 200, 429]


def test_quota_limit_exceeded_usage_reported_and_update_usage_restores(cloud, gw):
    api_id, _ = mock_api(gw, api_key_required=True)
    key, plan = keyed_plan(gw, api_id, quota={"limit": 3, "period": "DAY"})
    url = invoke_url(cloud, api_id, "prod", "/ping")
    codes = [requests.get(url, headers={"x-api-key": key["value"]}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    exceeded = requests.get(url, headers={"x-api-key": key["value"]})
    assert exceeded.json() == {"message": "Limit Exceeded"}
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    usage = gw.get_usage(usagePlanId=plan["id"], startDate=today, endDate=today)
    assert usage["items"] == {key["id"]: [[3, 0]]}
    restored = gw.update_usage(usagePlanId=plan["id"], keyId=key["id"],
                               patchOperations=[{"op": "replace", "path": "/remaining", "value": "2"}])
    assert restored["items"][key["id"]][-1][1] == 2
    codes = [requests.get(url, headers={"x-api-key": key["value"]}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_http_proxy_forwards_path_query_headers_and_body(cloud, gw, backend):
    api = gw.create_rest_api(name="proxy")
    proxy = gw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="{proxy+}")
    gw.put_method(restApiId=api["id"], resourceId=proxy["id"], httpMethod="ANY", authorizationType="NONE",
                  requestParameters={"method.request.path.proxy": True})
    gw.put_integration(restApiId=api["id"], resourceId=proxy["id"], httpMethod="ANY", type="HTTP_PROXY",
                       integrationHttpMethod="ANY", uri=backend.url + "/{proxy}",
                       requestParameters={"integration.request.path.proxy": "method.request.path.proxy"})
    gw.create_deployment(restApiId=api["id"], stageName="v1")
    answer = requests.post(invoke_url(cloud, api["id"], "v1", "/users/42/orders?sort=desc&page=2"),
                           data=b'{"item": 7}', headers={"X-Custom": "yes", "Content-Type": "application/json"})
    assert answer.status_code == 200
    assert answer.headers["X-Backend"] == "echo"
    echoed = answer.json()
    assert echoed["method"] == "POST"
    assert echoed["path"] == "/users/42/orders?sort=desc&page=2"
    assert echoed["headers"]["x-custom"] == "yes"
    assert echoed["body"] == '{"item": 7}'
    assert "x-forwarded-for" in echoed["headers"]
    failing = requests.get(invoke_url(cloud, api["id"], "v1", "/status/503"))
    assert failing.status_code == 503  # a proxy passes the backend's status through


def test_http_integration_maps_request_and_response(cloud, gw, backend):
    api = gw.create_rest_api(name="mapped")
    items = gw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="items")
    item = gw.create_resource(restApiId=api["id"], parentId=items["id"], pathPart="{id}")
    gw.put_method(restApiId=api["id"], resourceId=item["id"], httpMethod="GET", authorizationType="NONE")
    gw.put_integration(restApiId=api["id"], resourceId=item["id"], httpMethod="GET", type="HTTP",
                       integrationHttpMethod="POST", uri="http://${stageVariables.backend}/lookup/{id}",
                       requestParameters={"integration.request.path.id": "method.request.path.id",
                                          "integration.request.header.X-Caller": "'gateway'"},
                       requestTemplates={"application/json": '{"wanted": "$input.params(\'id\')", "stage": "$context.stage"}'})
    gw.put_method_response(restApiId=api["id"], resourceId=item["id"], httpMethod="GET", statusCode="200")
    gw.put_integration_response(restApiId=api["id"], resourceId=item["id"], httpMethod="GET", statusCode="200",
                                responseTemplates={"application/json": '{"sent": $input.json(\'$.body\')}'},
                                responseParameters={"method.response.header.X-From": "integration.response.header.X-Backend"})
    gw.put_method_response(restApiId=api["id"], resourceId=item["id"], httpMethod="GET", statusCode="404")
    gw.put_integration_response(restApiId=api["id"], resourceId=item["id"], httpMethod="GET", statusCode="404",
                                selectionPattern="4\\d\\d")
    gw.create_deployment(restApiId=api["id"], stageName="test", variables={"backend": backend.url.removeprefix("http://")})
    answer = requests.get(invoke_url(cloud, api["id"], "test", "/items/abc"))
    assert answer.status_code == 200
    assert answer.headers["X-From"] == "echo"
    sent = json.loads(answer.json()["sent"])
    assert sent == {"wanted": "abc", "stage": "test"}


def test_changes_reach_callers_only_when_deployed(cloud, gw):
    api_id, resource_id = mock_api(gw, template='{"version": 1}')
    gw.update_integration_response(restApiId=api_id, resourceId=resource_id, httpMethod="GET", statusCode="200",
                                   patchOperations=[{"op": "replace", "path": "/responseTemplates/application~1json",
                                                     "value": '{"version": 2}'}])
    url = invoke_url(cloud, api_id, "prod", "/ping")
    assert requests.get(url).json() == {"version": 1}
    gw.create_deployment(restApiId=api_id, stageName="prod")
    assert requests.get(url).json() == {"version": 2}


def test_aws_iam_methods_need_a_signature(cloud, gw):
    api_id, _ = mock_api(gw, authorization="AWS_IAM")
    unsigned = requests.get(invoke_url(cloud, api_id, "prod", "/ping"))
    assert unsigned.status_code == 403 and unsigned.json() == {"message": "Missing Authentication Token"}


def test_unreachable_backend_and_lambda_proxy_answer_internal_server_error(cloud, gw):
    api = gw.create_rest_api(name="broken")
    down = gw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="down")
    fn = gw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="fn")
    for resource in (down, fn):
        gw.put_method(restApiId=api["id"], resourceId=resource["id"], httpMethod="GET", authorizationType="NONE")
    gw.put_integration(restApiId=api["id"], resourceId=down["id"], httpMethod="GET", type="HTTP_PROXY",
                       integrationHttpMethod="GET", uri="http://127.0.0.1:9/")
    # A function that does not exist cannot be invoked, which API Gateway answers with 500.
    gw.put_integration(restApiId=api["id"], resourceId=fn["id"], httpMethod="GET", type="AWS_PROXY",
                       integrationHttpMethod="POST",
                       uri="arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
                           "arn:aws:lambda:us-east-1:000000000000:function:missing/invocations")
    gw.create_deployment(restApiId=api["id"], stageName="prod")
    for path in ("/down", "/fn"):
        answer = requests.get(invoke_url(cloud, api["id"], "prod", path))
        assert answer.status_code == 500, path
        assert answer.json() == {"message": "Internal server error"}


def test_literal_beats_parameter_beats_greedy(cloud, gw):
    api = gw.create_rest_api(name="routing")
    root = api["rootResourceId"]
    parts = {}
    for name, parent in (("pets", root), ("mine", "pets"), ("{id}", "pets"), ("{proxy+}", root)):
        parts[name] = gw.create_resource(restApiId=api["id"], parentId=parts[parent]["id"] if parent != root else root,
                                         pathPart=name)
        gw.put_method(restApiId=api["id"], resourceId=parts[name]["id"], httpMethod="ANY", authorizationType="NONE")
        gw.put_integration(restApiId=api["id"], resourceId=parts[name]["id"], httpMethod="ANY", type="MOCK",
                           requestTemplates={"application/json": '{"statusCode": 200}'})
        gw.put_integration_response(restApiId=api["id"], resourceId=parts[name]["id"], httpMethod="ANY",
                                    statusCode="200",
                                    responseTemplates={"application/json": '{"route": "$context.resourcePath", '
                                                                           '"id": "$input.params(\'id\')"}'})
    gw.create_deployment(restApiId=api["id"], stageName="prod")

    def route(path: str) -> dict:
        return requests.get(invoke_url(cloud, api["id"], "prod", path)).json()
    assert route("/pets/mine") == {"route": "/pets/mine", "id": ""}
    assert route("/pets/7") == {"route": "/pets/{id}", "id": "7"}
    assert route("/pets/7/toys/1")["route"] == "/{proxy+}"
    assert route("/anything")["route"] == "/{proxy+}"


def test_slow_backend_times_out_and_never_passthrough_refuses_unmapped_types(cloud, gw, backend):
    api = gw.create_rest_api(name="edges")
    slow = gw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="slow")
    strict = gw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="strict")
    for resource in (slow, strict):
        gw.put_method(restApiId=api["id"], resourceId=resource["id"], httpMethod="POST", authorizationType="NONE")
    gw.put_integration(restApiId=api["id"], resourceId=slow["id"], httpMethod="POST", type="HTTP_PROXY",
                       integrationHttpMethod="POST", uri=backend.url + "/slow", timeoutInMillis=100)
    gw.put_integration(restApiId=api["id"], resourceId=strict["id"], httpMethod="POST", type="HTTP",
                       integrationHttpMethod="POST", uri=backend.url + "/strict", passthroughBehavior="NEVER",
                       requestTemplates={"application/json": '{"x": 1}'})
    gw.put_integration_response(restApiId=api["id"], resourceId=strict["id"], httpMethod="POST", statusCode="200")
    gw.create_deployment(restApiId=api["id"], stageName="prod")
    timed_out = requests.post(invoke_url(cloud, api["id"], "prod", "/slow"))
    assert timed_out.status_code == 504 and timed_out.json() == {"message": "Endpoint request timed out"}
    refused = requests.post(invoke_url(cloud, api["id"], "prod", "/strict"), data="a=b",
                            headers={"Content-Type": "text/plain"})
    assert refused.status_code == 415 and refused.json() == {"message": "Unsupported Media Type"}
    mapped = requests.post(invoke_url(cloud, api["id"], "prod", "/strict"), json={"y": 2})
    assert mapped.status_code == 200 and mapped.json()["body"] == '{"x": 1}'


def test_root_resource_and_mock_without_template(cloud, gw):
    api = gw.create_rest_api(name="root")
    root = api["rootResourceId"]
    gw.put_method(restApiId=api["id"], resourceId=root, httpMethod="GET", authorizationType="NONE")
    gw.put_integration(restApiId=api["id"], resourceId=root, httpMethod="GET", type="MOCK")
    # Without a request template a MOCK answers its default integration response (no selectionPattern).
    gw.put_integration_response(restApiId=api["id"], resourceId=root, httpMethod="GET", statusCode="201",
                                responseTemplates={"application/json": '{"landing": true}'})
    gw.put_integration_response(restApiId=api["id"], resourceId=root, httpMethod="GET", statusCode="200",
                                selectionPattern="2\\d\\d", responseTemplates={"application/json": '{"landing": false}'})
    gw.create_deployment(restApiId=api["id"], stageName="prod")
    for url in (invoke_url(cloud, api["id"], "prod", "/"), f"{cloud.endpoint}/restapis/{api['id']}/prod/_user_request_"):
        answer = requests.get(url)
        assert (answer.status_code, answer.json()) == (201, {"landing": True}), url


def test_authorizer_key_source_takes_no_header_key(cloud, gw):
    api_id, _ = mock_api(gw, api_key_required=True)
    key, _ = keyed_plan(gw, api_id)
    url = invoke_url(cloud, api_id, "prod", "/ping")
    assert requests.get(url, headers={"x-api-key": key["value"]}).status_code == 200
    gw.update_rest_api(restApiId=api_id, patchOperations=[{"op": "replace", "path": "/apiKeySource", "value": "AUTHORIZER"}])
    # The key would come from a Lambda authorizer's usageIdentifierKey; regionbox runs no authorizers.
    assert requests.get(url, headers={"x-api-key": key["value"]}).status_code == 403


def test_access_logs_go_to_the_stage_log_group(cloud, gw):
    api_id, _ = mock_api(gw, api_key_required=True)
    key, _ = keyed_plan(gw, api_id)
    logs = cloud.client("logs")
    logs.create_log_group(logGroupName="api-access")
    arn = "arn:aws:logs:us-east-1:000000000000:log-group:api-access"
    gw.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": arn},
        {"op": "replace", "path": "/accessLogSettings/format",
         "value": "$context.requestId $context.httpMethod $context.resourcePath $context.status "
                  "$context.identity.apiKeyId $context.error.message"}])
    url = invoke_url(cloud, api_id, "prod", "/ping")
    ok = requests.get(url, headers={"x-api-key": key["value"]})
    refused = requests.get(url)
    events = logs.filter_log_events(logGroupName="api-access")["events"]
    lines = sorted(event["message"] for event in events)
    assert lines == sorted([f"{ok.headers['x-amzn-RequestId']} GET /ping 200 {key['id']} -",
                            f"{refused.headers['x-amzn-RequestId']} GET /ping 403 - Forbidden"])


def test_canary_deployment_takes_its_share_and_is_promoted(cloud, gw):
    api_id, resource_id = mock_api(gw, template='{"version": "$stageVariables.v"}')
    gw.update_stage(restApiId=api_id, stageName="prod",
                    patchOperations=[{"op": "replace", "path": "/variables/v", "value": "1"}])
    url = invoke_url(cloud, api_id, "prod", "/ping")
    stable = gw.get_stage(restApiId=api_id, stageName="prod")["deploymentId"]
    canary = gw.create_deployment(restApiId=api_id, stageName="prod", canarySettings={
        "percentTraffic": 100.0, "stageVariableOverrides": {"v": "2"}})
    stage = gw.get_stage(restApiId=api_id, stageName="prod")
    assert stage["deploymentId"] == stable and stage["canarySettings"]["deploymentId"] == canary["id"]
    assert requests.get(url).json() == {"version": "2"}  # every call is the canary's at 100 %
    gw.update_stage(restApiId=api_id, stageName="prod",
                    patchOperations=[{"op": "replace", "path": "/canarySettings/percentTraffic", "value": "0"}])
    assert requests.get(url).json() == {"version": "1"}
    with pytest.raises(Exception) as in_use:
        gw.delete_deployment(restApiId=api_id, deploymentId=canary["id"])
    assert "Active stages" in str(in_use.value)
    gw.update_stage(restApiId=api_id, stageName="prod", patchOperations=[  # promote the canary
        {"op": "replace", "path": "/deploymentId", "value": canary["id"]},
        {"op": "replace", "path": "/variables/v", "value": "2"},
        {"op": "remove", "path": "/canarySettings"}])
    assert requests.get(url).json() == {"version": "2"}
    assert "canarySettings" not in gw.get_stage(restApiId=api_id, stageName="prod")


def test_stage_cache_serves_kept_answers_until_flushed(cloud, gw):
    api_id, resource_id = mock_api(gw, template='{"id": "$context.requestId", "q": "$input.params(\'q\')"}')
    gw.update_integration(restApiId=api_id, resourceId=resource_id, httpMethod="GET", patchOperations=[
        {"op": "add", "path": "/cacheKeyParameters/method.request.querystring.q"}])
    gw.create_deployment(restApiId=api_id, stageName="prod")
    url = invoke_url(cloud, api_id, "prod", "/ping")
    assert requests.get(url).json()["id"] != requests.get(url).json()["id"]  # no cache yet
    stage = gw.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"},
        {"op": "replace", "path": "/*/*/caching/enabled", "value": "true"},
        {"op": "replace", "path": "/*/*/caching/ttlInSeconds", "value": "3600"}])
    assert stage["cacheClusterStatus"] == "AVAILABLE"
    first = requests.get(url, params={"q": "a"}).json()
    assert requests.get(url, params={"q": "a"}).json() == first  # served from the cache
    other = requests.get(url, params={"q": "b"}).json()  # q is a cache key parameter
    assert other["q"] == "b" and other["id"] != first["id"]
    gw.flush_stage_cache(restApiId=api_id, stageName="prod")
    assert requests.get(url, params={"q": "a"}).json()["id"] != first["id"]


def test_the_aws_execute_api_path_form(cloud, gw):
    api_id, _ = mock_api(gw, template='{"pong": true}')
    answer = requests.get(f"{cloud.endpoint}/_aws/execute-api/{api_id}/prod/ping")
    assert (answer.status_code, answer.json()) == (200, {"pong": True})
    assert requests.get(f"{cloud.endpoint}/_aws/execute-api/{api_id}/prod/nowhere").status_code == 403
