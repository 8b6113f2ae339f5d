"""Configuration items through boto3: the home Region rule, servers an agent reported, applications,
tags, ListConfigurations' filters, orders and pages, DescribeConfigurations' attribute names,
neighbours and the summary. Agents here speak the agent-ingest route directly (the real agent's
own tests are in test_agent.py)."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from tests.services.discovery.helpers import ACCOUNT, HOME, discovery, ingest, set_home


def _host(cloud, key: str, name: str, ip: str, os_name: str = "Ubuntu", samples=(10.0, 30.0)) -> tuple[str, str]:
    """A host whose agent registered and reported: (agent id, server id)."""
    status, answer = ingest(cloud, "register", {
        "hostKey": key, "hostName": name, "version": "test", "pingInterval": 60,
        "configuration": {"hostName": name, "osName": os_name, "osVersion": "22.04", "cpuType": "x86_64",
                          "numCpus": 4, "numCores": 2, "totalRamKb": 8_000_000, "numDisks": 1,
                          "interfaces": [{"name": "eth0", "macAddress": "02:00:00:00:00:01", "ipAddress": ip,
                                          "netMask": "255.255.255.0"}]}})
    assert status == 200, answer
    agent = answer["agentId"]
    now = time.time()
    records = [{"kind": "sample", "ts": now + i, "cpu": cpu, "freeRamKb": 4_000_000 - i * 1000, "diskReadKb": 1.0,
                "netReadKb": 2.0} for i, cpu in enumerate(samples)]
    records.append({"kind": "process", "ts": now, "pid": 42, "name": "nginx", "path": "/usr/sbin/nginx",
                    "commandLine": "nginx: master process"})
    status, answer = ingest(cloud, "report", {"agentId": agent, "batch": 0, "records": records})
    assert status == 200, answer
    server = discovery(cloud).describe_agents(agentIds=[agent])["agentsInfo"][0]
    servers = discovery(cloud).list_configurations(configurationType="SERVER", filters=[
        {"name": "server.agentId", "values": [agent], "condition": "EQUALS"}])["configurations"]
    assert server["hostName"] == name and len(servers) == 1
    return agent, servers[0]["server.configurationId"]


def test_every_call_needs_the_home_region_and_writes_are_made_there(cloud):
    client = discovery(cloud)
    with pytest.raises(ClientError) as caught:
        client.list_configurations(configurationType="SERVER")
    assert caught.value.response["Error"]["Code"] == "HomeRegionNotSetException"
    status, answer = ingest(cloud, "register", {"hostKey": "h", "hostName": "h"})
    assert (status, answer["__type"]) == (400, "HomeRegionNotSetException")
    set_home(cloud)
    created = client.create_application(name="shop")["configurationId"]
    elsewhere = discovery(cloud, region="eu-west-1")
    with pytest.raises(ClientError) as caught:
        elsewhere.create_application(name="other")
    assert caught.value.response["Error"]["Code"] == "InvalidInputException"
    # Reads are allowed in any Region, and see the home Region's data.
    listed = elsewhere.list_configurations(configurationType="APPLICATION")["configurations"]
    assert [a["application.configurationId"] for a in listed] == [created]


def test_servers_processes_and_performance_as_describe_configurations_names_them(cloud):
    set_home(cloud)
    client = discovery(cloud)
    agent, server = _host(cloud, "key-web", "web-1", "10.0.0.1")
    described = client.describe_configurations(configurationIds=[server])["configurations"][0]
    assert described["server.hostName"] == "web-1" and described["server.agentId"] == agent
    assert described["server.osName"] == "Ubuntu" and described["server.osVersion"] == "22.04"
    assert described["server.cpuType"] == "x86_64" and described["server.performance.numCpus"] == "4"
    assert float(described["server.performance.avgCpuUsagePct"]) == 20.0
    assert float(described["server.performance.maxCpuUsagePct"]) == 30.0
    assert float(described["server.performance.totalRAMInKB"]) == 8_000_000
    assert float(described["server.performance.minFreeRAMInKB"]) == 3_999_000
    assert server.startswith("d-server-") and described["server.timeOfCreation"]
    processes = client.list_configurations(configurationType="PROCESS")["configurations"]
    assert [(p["process.name"], p["server.configurationId"]) for p in processes] == [("nginx", server)]
    assert processes[0]["process.configurationId"].startswith("d-process-")
    with pytest.raises(ClientError) as caught:
        client.describe_configurations(configurationIds=[server, processes[0]["process.configurationId"]])
    assert caught.value.response["Error"]["Code"] == "InvalidParameterException"


def test_list_configurations_filters_orders_and_pages(cloud):
    set_home(cloud)
    client = discovery(cloud)
    servers = {name: _host(cloud, f"key-{name}", name, ip, os_name=os_name, samples=samples)[1]
               for name, ip, os_name, samples in (("db-1", "10.0.0.5", "CentOS", (80.0,)),
                                                  ("app-1", "10.0.0.6", "Ubuntu", (5.0,)),
                                                  ("app-2", "10.0.0.7", "Ubuntu", (50.0,)))}

    def names(**kwargs) -> list[str]:
        return [c["server.hostName"] for c in client.list_configurations(configurationType="SERVER", **kwargs)["configurations"]]

    assert names(orderBy=[{"fieldName": "server.hostName", "sortOrder": "DESC"}]) == ["db-1", "app-2", "app-1"]
    assert names(filters=[{"name": "server.hostName", "values": ["app"], "condition": "CONTAINS"}],
                 orderBy=[{"fieldName": "server.hostName"}]) == ["app-1", "app-2"]
    assert names(filters=[{"name": "server.osName", "values": ["Ubuntu"], "condition": "NOT_EQUALS"}]) == ["db-1"]
    assert sorted(names(filters=[{"name": "server.performance.avgCpuUsagePct", "values": ["40"], "condition": "GE"}])) \
        == ["app-2", "db-1"]
    assert names(filters=[{"name": "server.process.name", "values": ["nginx"], "condition": "EQUALS"},
                          {"name": "server.networkInterfaceInfo.ipAddress", "values": ["10.0.0.6"],
                           "condition": "EQUALS"}]) == ["app-1"]
    first = client.list_configurations(configurationType="SERVER", maxResults=2,
                                       orderBy=[{"fieldName": "server.hostName"}])
    second = client.list_configurations(configurationType="SERVER", maxResults=2, nextToken=first["nextToken"],
                                        orderBy=[{"fieldName": "server.hostName"}])
    assert [c["server.hostName"] for c in first["configurations"] + second["configurations"]] == ["app-1", "app-2", "db-1"]
    assert "nextToken" not in second
    for bad, code in (({"filters": [{"name": "server.nope", "values": ["x"], "condition": "EQUALS"}]},
                       "InvalidParameterException"),
                      ({"filters": [{"name": "server.hostName", "values": ["x"], "condition": "GT"}]},
                       "InvalidParameterException"),
                      ({"orderBy": [{"fieldName": "server.agentId"}]}, "InvalidParameterException"),
                      ({"maxResults": 0}, "InvalidParameterValueException"),
                      ({"nextToken": "forged"}, "InvalidParameterValueException")):
        with pytest.raises(ClientError) as caught:
            client.list_configurations(configurationType="SERVER", **bad)
        assert caught.value.response["Error"]["Code"] == code, bad
    assert servers["db-1"] != servers["app-1"]


def test_applications_group_servers_and_tags_label_them(cloud):
    set_home(cloud)
    client = discovery(cloud)
    _, web = _host(cloud, "key-web", "web-1", "10.0.0.1")
    _, db = _host(cloud, "key-db", "db-1", "10.0.0.2")
    shop = client.create_application(name="shop", description="the web shop", wave="1")["configurationId"]
    assert shop.startswith("d-application-")
    client.associate_configuration_items_to_application(applicationConfigurationId=shop, configurationIds=[web, db])
    client.disassociate_configuration_items_from_application(applicationConfigurationId=shop, configurationIds=[db])
    client.update_application(configurationId=shop, name="shop-v2")
    app = client.describe_configurations(configurationIds=[shop])["configurations"][0]
    assert (app["application.name"], app["application.description"], app["application.serverCount"]) == \
        ("shop-v2", "the web shop", "1")
    listed = client.list_configurations(configurationType="SERVER", filters=[
        {"name": "server.application.name", "values": ["shop-v2"], "condition": "EQUALS"}])["configurations"]
    assert [s["server.configurationId"] for s in listed] == [web]
    assert '"shop-v2"' in listed[0]["server.applications"]
    with pytest.raises(ClientError) as caught:
        client.associate_configuration_items_to_application(applicationConfigurationId=shop, configurationIds=[shop])
    assert caught.value.response["Error"]["Code"] == "InvalidParameterException"

    client.create_tags(configurationIds=[web, db], tags=[{"key": "env", "value": "prod"}])
    client.create_tags(configurationIds=[web], tags=[{"key": "tier", "value": "front"}])
    tags = client.describe_tags(filters=[{"name": "tagKey", "values": ["env"]}])["tags"]
    assert sorted(t["configurationId"] for t in tags) == sorted([web, db]) and tags[0]["configurationType"] == "SERVER"
    client.delete_tags(configurationIds=[db], tags=[{"key": "env", "value": "prod"}])
    assert [t["configurationId"] for t in client.describe_tags(filters=[{"name": "tagKey", "values": ["env"]}])["tags"]] \
        == [web]
    with pytest.raises(ClientError) as caught:
        client.create_tags(configurationIds=["d-server-doesnotexist00"], tags=[{"key": "a", "value": "b"}])
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    summary = client.get_discovery_summary()
    assert (summary["servers"], summary["applications"], summary["serversMappedToApplications"],
            summary["serversMappedtoTags"], summary["agentSummary"]["totalAgents"]) == (2, 1, 1, 1, 2)
    client.delete_applications(configurationIds=[shop])
    assert client.list_configurations(configurationType="APPLICATION")["configurations"] == []


def test_neighbours_come_from_both_ends_of_a_connection(cloud):
    set_home(cloud)
    client = discovery(cloud)
    web_agent, web = _host(cloud, "key-web", "web-1", "10.0.0.1")
    db_agent, db = _host(cloud, "key-db", "db-1", "10.0.0.2")
    now = time.time()
    client_side = [{"kind": "connection", "ts": now, "direction": "outbound", "localIp": "10.0.0.1", "localPort": 40000 + i,
                    "remoteIp": "10.0.0.2", "remotePort": 5432, "pid": 7,
                    "process": {"name": "python3", "commandLine": "python3 app.py", "path": "/usr/bin/python3"}}
                   for i in range(3)]
    assert ingest(cloud, "report", {"agentId": web_agent, "batch": 1, "records": client_side})[0] == 200
    # The same batch again (its answer was lost): counted once.
    assert ingest(cloud, "report", {"agentId": web_agent, "batch": 1, "records": client_side})[1]["duplicate"]
    server_side = [{"kind": "connection", "ts": now, "direction": "inbound", "localIp": "10.0.0.2", "localPort": 5432,
                    "remoteIp": "10.0.0.1", "remotePort": 40000, "pid": 9,
                    "process": {"name": "postgres", "commandLine": "postgres -D /data", "path": "/usr/bin/postgres"}}]
    assert ingest(cloud, "report", {"agentId": db_agent, "batch": 1, "records": server_side})[0] == 200
    neighbours = client.list_server_neighbors(configurationId=web, portInformationNeeded=True)
    assert neighbours["neighbors"] == [{"sourceServerId": web, "destinationServerId": db, "destinationPort": 5432,
                                        "transportProtocol": "TCP", "connectionsCount": 3}]
    assert neighbours["knownDependencyCount"] == 1
    assert client.list_server_neighbors(configurationId=db)["neighbors"] == [
        {"sourceServerId": web, "destinationServerId": db, "connectionsCount": 3}]
    connection = client.list_configurations(configurationType="CONNECTION")["configurations"]
    assert len(connection) == 1
    assert (connection[0]["sourceProcess.name"], connection[0]["destinationProcess.name"],
            connection[0]["connection.occurrence"], connection[0]["destinationServer.configurationId"]) == \
        ("python3", "postgres", "3", db)
    assert client.list_configurations(configurationType="CONNECTION", filters=[
        {"name": "destinationProcess.name", "values": ["postgres"], "condition": "EQUALS"}])["configurations"]


def test_agents_collection_scheduling_and_deletion(cloud):
    set_home(cloud)
    client = discovery(cloud)
    agent, server = _host(cloud, "key-a", "a-1", "10.0.0.9")
    again = ingest(cloud, "register", {"hostKey": "key-a", "hostName": "a-1"})[1]
    assert again["agentId"] == agent  # the same host registers as itself
    started = client.start_data_collection_by_agent_ids(agentIds=[agent, "o-doesnotexist0000"])
    assert [s["operationSucceeded"] for s in started["agentsConfigurationStatus"]] == [True, False]
    assert client.describe_agents(agentIds=[agent])["agentsInfo"][0]["collectionStatus"] == "START_SCHEDULED"
    assert ingest(cloud, "heartbeat", {"agentId": agent})[1]["collectionStatus"] == "STARTED"
    info = client.describe_agents(filters=[{"name": "hostName", "values": ["a-1"], "condition": "EQUALS"}])["agentsInfo"]
    assert (info[0]["health"], info[0]["collectionStatus"], info[0]["agentNetworkInfoList"][0]["ipAddress"]) == \
        ("HEALTHY", "STARTED", "10.0.0.9")
    elsewhere = discovery(cloud, region="eu-west-1")
    with pytest.raises(ClientError) as caught:
        elsewhere.start_data_collection_by_agent_ids(agentIds=[agent])
    assert caught.value.response["Error"]["Code"] == "InvalidInputException"
    elsewhere.stop_data_collection_by_agent_ids(agentIds=[agent])  # stopping is allowed from any Region
    assert client.describe_agents(agentIds=[agent])["agentsInfo"][0]["collectionStatus"] == "STOP_SCHEDULED"
    client.start_data_collection_by_agent_ids(agentIds=[agent])
    assert ingest(cloud, "heartbeat", {"agentId": agent})[1]["collectionStatus"] == "STARTED"
    refused = client.batch_delete_agents(deleteAgents=[{"agentId": agent}])["errors"]
    assert [e["errorCode"] for e in refused] == ["AGENT_IN_USE"]
    assert client.batch_delete_agents(deleteAgents=[{"agentId": agent, "force": True}])["errors"] == []
    assert client.describe_agents()["agentsInfo"] == []
    # Deleting the agent keeps what it found; the host's agent, back, is the same server.
    status, answer = ingest(cloud, "heartbeat", {"agentId": agent})
    assert (status, answer["__type"]) == (404, "ResourceNotFoundException")
    back = ingest(cloud, "register", {"hostKey": "key-a", "hostName": "a-1"})[1]["agentId"]
    assert back != agent
    assert client.describe_configurations(configurationIds=[server])["configurations"][0]["server.agentId"] == back
    assert ACCOUNT and HOME


def test_an_agent_that_stops_pinging_turns_unhealthy(cloud):
    set_home(cloud)
    client = discovery(cloud)
    # It said it pings every 50 ms: after three of those without a ping it is UNHEALTHY.
    agent = ingest(cloud, "register", {"hostKey": "quiet", "hostName": "quiet-1", "pingInterval": 0.05})[1]["agentId"]
    deadline = time.monotonic() + 30
    while client.describe_agents(agentIds=[agent])["agentsInfo"][0]["health"] != "UNHEALTHY":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert client.get_discovery_summary()["agentSummary"]["unhealthyAgents"] == 1
    assert ingest(cloud, "heartbeat", {"agentId": agent})[1]["health"] == "HEALTHY"
    ingest(cloud, "shutdown", {"agentId": agent})
    assert client.describe_agents(agentIds=[agent])["agentsInfo"][0]["health"] == "SHUTDOWN"
    assert client.get_discovery_summary()["agentSummary"]["shutdownAgents"] == 1
