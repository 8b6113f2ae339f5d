"""The real agent (``regionbox discovery-agent``) against the cloud: three hosts, traffic between
them, and what Application Discovery Service then knows: agents, servers, processes, connections,
neighbours; the graph; identity across restarts."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone

import pytest

from tests.services.discovery.helpers import ACCOUNT, HOME, discovery, set_home
from tests.services.discovery.hosts import agent, loopback_works, stop, tcp_client, tcp_server, wait_for

WEB, DB, CACHE = "127.77.0.1", "127.77.0.2", "127.77.0.3"
pytestmark = pytest.mark.skipif(not loopback_works(WEB), reason="needs 127.0.0.0/8 routed to lo (Linux)")


@pytest.fixture
def estate(cloud, tmp_path):
    """Three hosts with agents collecting, a database and a cache, and a web host using both."""
    set_home(cloud)
    client = discovery(cloud)
    agents = [agent(cloud.endpoint, tmp_path / name, name, address)
              for name, address in (("web-1", WEB), ("db-1", DB), ("cache-1", CACHE))]
    db, db_port = tcp_server(DB)
    cache, cache_port = tcp_server(CACHE)
    web = tcp_client(WEB, f"{DB}:{db_port}", f"{CACHE}:{cache_port}")
    try:
        found = wait_for(lambda: len(client.describe_agents()["agentsInfo"]) == 3 and client.describe_agents()["agentsInfo"],
                         what="three agents")
        ids = {a["hostName"]: a["agentId"] for a in found}
        client.start_data_collection_by_agent_ids(agentIds=list(ids.values()))
        yield {"client": client, "agents": ids, "processes": agents, "ports": {"db": db_port, "cache": cache_port},
               "tmp": tmp_path}
    finally:
        stop(web, db, cache, *agents)


def _server_ids(client) -> dict[str, str]:
    return {s["server.hostName"]: s["server.configurationId"]
            for s in client.list_configurations(configurationType="SERVER")["configurations"]}


def test_three_hosts_their_processes_connections_and_neighbours(estate, cloud, tmp_path):
    client, ports = estate["client"], estate["ports"]
    servers = wait_for(lambda: len(_server_ids(client)) == 3 and _server_ids(client), what="three servers")
    web, db, cache = servers["web-1"], servers["db-1"], servers["cache-1"]

    def neighbours():
        found = client.list_server_neighbors(configurationId=web, portInformationNeeded=True)["neighbors"]
        return {(n["destinationServerId"], n["destinationPort"]): n for n in found if n["sourceServerId"] == web}
    edges = wait_for(lambda: (n := neighbours()) and (db, ports["db"]) in n and (cache, ports["cache"]) in n and n,
                     what="web's neighbours")
    assert edges[(db, ports["db"])]["connectionsCount"] >= 1 and edges[(db, ports["db"])]["transportProtocol"] == "TCP"
    info = {a["hostName"]: a for a in client.describe_agents()["agentsInfo"]}
    assert info["web-1"]["agentNetworkInfoList"][0]["ipAddress"] == WEB
    assert wait_for(lambda: all(a["collectionStatus"] == "STARTED" and a["health"] == "HEALTHY"
                                for a in client.describe_agents()["agentsInfo"]), what="collecting agents")

    described = {s["server.hostName"]: s for s in
                 client.describe_configurations(configurationIds=[web, db, cache])["configurations"]}
    assert described["db-1"]["server.osName"] and described["db-1"]["server.cpuType"]
    assert float(described["db-1"]["server.performance.totalRAMInKB"]) > 0
    assert wait_for(lambda: "server.performance.avgCpuUsagePct" in client.describe_configurations(
        configurationIds=[db])["configurations"][0], what="utilisation")

    # The database host's processes: the server owning its socket, with its command line.
    processes = client.list_configurations(configurationType="PROCESS", filters=[
        {"name": "server.configurationId", "values": [db], "condition": "EQUALS"}])["configurations"]
    assert any("socket" in p["process.commandLine"] and DB in p["process.commandLine"] for p in processes)
    connections = client.list_configurations(configurationType="CONNECTION", filters=[
        {"name": "connection.destinationPort", "values": [str(ports["db"])], "condition": "EQUALS"}])["configurations"]
    assert connections and connections[0]["connection.sourceIp"] == WEB and connections[0]["connection.destinationIp"] == DB
    assert connections[0]["sourceServer.configurationId"] == web
    assert connections[0]["destinationServer.configurationId"] == db

    # The picture: every server in it, grouped by application.
    shop = client.create_application(name="shop")["configurationId"]
    client.associate_configuration_items_to_application(applicationConfigurationId=shop, configurationIds=[web, db])
    output = tmp_path / "graph.svg"
    printed = subprocess.run([sys.executable, "-m", "regionbox", "discovery", "graph", "--endpoint", cloud.endpoint,
                              "--region", HOME, "--output", str(output)], capture_output=True, text=True, check=True,
                             env={"AWS_ACCESS_KEY_ID": ACCOUNT, "AWS_SECRET_ACCESS_KEY": "x", "PATH": "/usr/bin:/bin"})
    assert printed.stdout.strip() == str(output.resolve())
    svg = output.read_text()
    assert svg.startswith("<svg") and all(name in svg for name in ("web-1", "db-1", "cache-1", "shop"))
    assert f":{ports['db']} ×" in svg and all(s in svg for s in (web, db, cache))


def test_an_agent_keeps_its_identity_across_restarts(estate, cloud):
    client, tmp = estate["client"], estate["tmp"]
    first = estate["agents"]["db-1"]
    db_agent = estate["processes"][1]
    db_agent.kill()  # kill -9: no goodbye
    db_agent.wait()
    killed = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")  # pings are shown to the second
    again = agent(cloud.endpoint, tmp / "db-1", "db-1", DB)
    try:
        wait_for(lambda: client.describe_agents(agentIds=[first])["agentsInfo"][0]["lastHealthPingTime"] > killed,
                 what="the restarted agent's ping")
        assert [a["agentId"] for a in client.describe_agents()["agentsInfo"] if a["hostName"] == "db-1"] == [first]
        assert len(client.list_configurations(configurationType="SERVER")["configurations"]) == 3
    finally:
        stop(again)
    assert wait_for(lambda: client.describe_agents(agentIds=[first])["agentsInfo"][0]["health"] == "SHUTDOWN",
                    what="the agent's goodbye")
