"""kill -9: of the cloud while an agent collects (the agent buffers on disk and nothing is lost; the
cloud comes back with every agent, server and application), and the AWS CLI on what came back."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from datetime import datetime, timezone

import pytest
import requests

from regionbox.testing import CloudProcess
from tests.services.discovery.helpers import ACCOUNT, HOME, discovery, set_home
from tests.services.discovery.hosts import agent, loopback_works, stop, wait_for
from tests.services.test_cli_aws import aws

HOST = "127.77.1.1"
pytestmark = pytest.mark.skipif(not loopback_works(HOST), reason="needs 127.0.0.0/8 routed to lo (Linux)")


def _moment(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc).timestamp()


def test_the_agent_buffers_while_the_cloud_is_killed_and_nothing_is_lost(tmp_path):
    cloud = CloudProcess(tmp_path / "state").start()
    collector = None
    try:
        set_home(cloud)
        client = discovery(cloud)
        collector = agent(cloud.endpoint, tmp_path / "host", "app-1", HOST)
        found = wait_for(lambda: client.describe_agents()["agentsInfo"], what="the agent")
        agent_id = found[0]["agentId"]
        client.start_data_collection_by_agent_ids(agentIds=[agent_id])
        server = wait_for(lambda: client.list_configurations(configurationType="SERVER")["configurations"],
                          what="the server")[0]["server.configurationId"]
        shop = client.create_application(name="shop")["configurationId"]
        client.associate_configuration_items_to_application(applicationConfigurationId=shop, configurationIds=[server])
        wait_for(lambda: "server.performance.avgCpuUsagePct" in client.describe_configurations(
            configurationIds=[server])["configurations"][0], what="first samples")

        cloud.kill9()
        down = time.time()
        spool = tmp_path / "host" / "spool"
        before = len(list(spool.glob("*.json")))  # collected, not yet uploaded when the cloud died
        # One more than the three asserted: a collection under way at the kill may be sealed after it.
        wait_for(lambda: len(list(spool.glob("*.json"))) >= before + 4, what="collections buffered while the cloud is down")
        buffered_until = time.time()

        cloud = CloudProcess(tmp_path / "state", port=cloud.port).start()
        client = discovery(cloud)
        wait_for(lambda: not list(spool.glob("*.json")), what="the buffer uploaded")
        assert [a["agentId"] for a in client.describe_agents()["agentsInfo"]] == [agent_id]
        described = client.describe_configurations(configurationIds=[server])["configurations"][0]
        assert described["server.hostName"] == "app-1" and '"shop"' in described["server.applications"]

        export_id = client.start_export_task(filters=[{"name": "agentIds", "values": [agent_id], "condition": "EQUALS"}])["exportId"]
        info = wait_for(lambda: (i := client.describe_export_tasks(exportIds=[export_id])["exportsInfo"][0])
                        ["exportStatus"] != "IN_PROGRESS" and i, what="the export")
        with zipfile.ZipFile(io.BytesIO(requests.get(info["configurationsDownloadUrl"], timeout=30).content)) as zipped:
            rows = list(csv.DictReader(io.StringIO(zipped.read(f"{ACCOUNT}_systemPerformance.csv").decode())))
        # Timestamps are written to a tenth of a second.
        during = [r for r in rows if down - 0.1 <= _moment(r["timestamp"]) <= buffered_until]
        assert len(during) >= 3  # the samples taken while the cloud was down arrived

        # The AWS CLI sees the same.
        listed = json.loads(aws(cloud, "discovery", "list-configurations", "--configuration-type", "SERVER",
                                account=ACCOUNT, region=HOME).stdout)["configurations"]
        assert [s["server.configurationId"] for s in listed] == [server]
        agents = json.loads(aws(cloud, "discovery", "describe-agents", account=ACCOUNT, region=HOME).stdout)["agentsInfo"]
        assert agents[0]["collectionStatus"] == "STARTED"
        missing = aws(cloud, "discovery", "get-discovery-summary", account="222233334444", region=HOME, check=False)
        assert missing.returncode != 0 and "HomeRegionNotSetException" in missing.stderr
    finally:
        if collector is not None:
            stop(collector)
        cloud.cleanup()
