"""Strategy Recommendations over what the real discovery agent reports: a host running a Python
server, assessed into a 7R with its reason and the server process as an application component."""

from __future__ import annotations

import pytest

from tests.services.discovery.helpers import ACCOUNT  # the account the agents' credentials name
from tests.services.discovery.hosts import agent, loopback_works, stop, tcp_server, wait_for
from tests.services.migrationhub.helpers import HOME, set_home_region
from tests.services.migrationhub.test_strategy import wait_assessment

HOST = "127.77.9.1"
SEVEN_RS = {"Rehost", "Replatform", "Refactor", "Repurchase", "Relocate", "Retirement", "Retain"}
pytestmark = pytest.mark.skipif(not loopback_works(HOST), reason="needs 127.0.0.0/8 routed to lo (Linux)")


def test_a_host_reported_by_the_real_agent_is_assessed(cloud, tmp_path):
    set_home_region(cloud, account=ACCOUNT)
    discovery = cloud.client("discovery", region=HOME, account=ACCOUNT)
    server_process, _ = tcp_server(HOST)
    (tmp_path / "host").mkdir()
    collector = agent(cloud.endpoint, tmp_path / "host", "api-1", HOST)
    try:
        agent_id = wait_for(lambda: discovery.describe_agents()["agentsInfo"], what="the agent")[0]["agentId"]
        discovery.start_data_collection_by_agent_ids(agentIds=[agent_id])
        server = wait_for(lambda: discovery.list_configurations(configurationType="SERVER")["configurations"],
                          what="the server")[0]["server.configurationId"]
        wait_for(lambda: discovery.list_configurations(configurationType="PROCESS")["configurations"], what="its processes")
        wait_for(lambda: "server.performance.avgCpuUsagePct" in discovery.describe_configurations(
            configurationIds=[server])["configurations"][0], what="utilisation samples")

        client = cloud.client("migrationhubstrategy", region=HOME, account=ACCOUNT)
        assert wait_assessment(client, client.start_assessment()["assessmentId"])["status"] == "COMPLETE"
        detail = client.get_server_details(serverId=server)["serverDetail"]
        assert detail["name"] == "api-1"
        assert detail["recommendationSet"]["strategy"] in SEVEN_RS and detail["statusMessage"]
        assert [i["ipAddress"] for i in detail["systemInfo"]["networkInfoList"]] == [HOST]
        components = client.list_application_components(applicationComponentCriteria="SERVER_ID",
                                                        filterValue=server)["applicationComponentInfos"]
        python = [c for c in components if c["name"].startswith("python")]
        assert python and python[0]["appType"] == "Other"
        assert python[0]["recommendationSet"]["strategy"] == "Rehost"
        assert python[0]["statusMessage"].startswith("The python")
    finally:
        stop(collector, server_process)
