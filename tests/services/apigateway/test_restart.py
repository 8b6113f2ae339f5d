"""kill -9 and a restart: deployed APIs, keys, plans and the usage counted so far come back, and
the invoke URL serves again with the quota where it was."""

from __future__ import annotations

import datetime

import requests

from regionbox.testing import CloudProcess
from tests.services.apigateway.helpers import invoke_url, keyed_plan, mock_api


def test_api_keys_plans_and_usage_survive_kill_9(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    try:
        gw = process.client("apigateway")
        api_id, _ = mock_api(gw, api_key_required=True)
        key, plan = keyed_plan(gw, api_id, quota={"limit": 3, "period": "DAY"})
        url = invoke_url(process, api_id, "prod", "/ping")
        gw.create_domain_name(domainName="api.restart.localhost", regionalCertificateArn="arn:aws:acm:us-east-1:"
                              "000000000000:certificate/1", endpointConfiguration={"types": ["REGIONAL"]})
        gw.create_base_path_mapping(domainName="api.restart.localhost", basePath="v1", restApiId=api_id, stage="prod")
        by_domain = f"{process.endpoint}/v1/ping"
        assert [requests.get(url, headers={"x-api-key": key["value"]}).status_code for _ in range(2)] == [200, 200]
        process.kill9()
        process.start()
        assert requests.get(url).status_code == 403
        # The custom domain name routes again: its Host is claimed anew as the service starts.
        assert requests.get(by_domain, headers={"Host": "api.restart.localhost", "x-api-key": key["value"]}).json() == {
            "ok": True}
        codes = [requests.get(url, headers={"x-api-key": key["value"]}).status_code for _ in range(1)]
        assert codes == [429]  # the two calls before the crash and the one by the domain name count
        today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
        usage = process.client("apigateway").get_usage(usagePlanId=plan["id"], startDate=today, endDate=today)
        assert usage["items"] == {key["id"]: [[3, 0]]}
    finally:
        process.stop()
