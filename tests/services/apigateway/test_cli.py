"""The AWS CLI (a real subprocess) building a keyed API and reading its usage."""

from __future__ import annotations

import datetime
import json

import requests

from tests.services.apigateway.helpers import invoke_url
from tests.services.test_cli_aws import ACCOUNT, aws


def run(cloud, *args: str) -> dict:
    out = aws(cloud, "apigateway", *args).stdout
    return json.loads(out) if out.strip() else {}


def test_cli_builds_a_keyed_api_with_a_usage_plan(cloud):
    api = run(cloud, "create-rest-api", "--name", "cli-api")
    resource = run(cloud, "create-resource", "--rest-api-id", api["id"], "--parent-id", api["rootResourceId"],
                   "--path-part", "hello")
    run(cloud, "put-method", "--rest-api-id", api["id"], "--resource-id", resource["id"], "--http-method", "GET",
        "--authorization-type", "NONE", "--api-key-required")
    run(cloud, "put-integration", "--rest-api-id", api["id"], "--resource-id", resource["id"], "--http-method", "GET",
        "--type", "MOCK", "--request-templates", '{"application/json": "{\\"statusCode\\": 200}"}')
    run(cloud, "put-integration-response", "--rest-api-id", api["id"], "--resource-id", resource["id"],
        "--http-method", "GET", "--status-code", "200",
        "--response-templates", '{"application/json": "{\\"hello\\": \\"world\\"}"}')
    run(cloud, "create-deployment", "--rest-api-id", api["id"], "--stage-name", "prod")
    key = run(cloud, "create-api-key", "--name", "cli-key", "--enabled")
    plan = run(cloud, "create-usage-plan", "--name", "cli-plan", "--api-stages", f"apiId={api['id']},stage=prod",
               "--throttle", "burstLimit=10,rateLimit=5", "--quota", "limit=2,period=MONTH")
    run(cloud, "create-usage-plan-key", "--usage-plan-id", plan["id"], "--key-id", key["id"], "--key-type", "API_KEY")

    url = invoke_url(cloud, api["id"], "prod", "/hello")
    assert requests.get(url).status_code == 403
    codes = [requests.get(url, headers={"x-api-key": key["value"]}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    usage = run(cloud, "get-usage", "--usage-plan-id", plan["id"], "--start-date", today, "--end-date", today)
    assert usage["items"] == {key["id"]: [[2, 0]]}
    failed = aws(cloud, "apigateway", "get-rest-api", "--rest-api-id", "missing123", check=False)
    assert failed.returncode != 0
    assert f"(NotFoundException) when calling the GetRestApi operation: Invalid API identifier specified " \
           f"{ACCOUNT}:missing123" in failed.stderr
