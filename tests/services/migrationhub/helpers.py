"""Shared by the Migration Hub tests: the AWS CLI, error assertions, setting a home region."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.services.discovery.helpers import ingest
from tests.services.test_cli_aws import aws

ACCOUNT = "123456789012"
HOME = "ap-northeast-1"


def error_of(call, *args, **kwargs) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    error = caught.value.response["Error"]
    return error["Code"], error.get("Message", ""), caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def set_home_region(cloud, region: str = HOME, account: str = ACCOUNT) -> dict:
    config = cloud.client("migrationhub-config", region=region, account=account)
    return config.create_home_region_control(HomeRegion=region, Target={"Type": "ACCOUNT"})["HomeRegionControl"]


def cli_json(cloud, *args: str, **kwargs) -> dict:
    out = aws(cloud, *args, **kwargs).stdout
    return json.loads(out) if out.strip() else {}


def discovered_server(cloud, host: str, ip: str, mac: str, os_name: str = "Ubuntu", os_version: str = "24.04",
                      processes: tuple[tuple[str, str, str], ...] = (), cpu: tuple[float, ...] = (20.0,),
                      account: str = ACCOUNT) -> str:
    """A host reported by a discovery agent through the agent-ingest route (as the real agent
    reports): its configuration, CPU samples and processes (name, command line, path); its
    server configuration id."""
    status, answer = ingest(cloud, "register", {
        "hostKey": f"key-{host}", "hostName": host, "version": "test", "pingInterval": 60,
        "configuration": {"hostName": host, "osName": os_name, "osVersion": os_version, "cpuType": "x86_64",
                          "numCpus": 2, "numCores": 2, "totalRamKb": 4_000_000, "numDisks": 1,
                          "interfaces": [{"name": "eth0", "macAddress": mac, "ipAddress": ip, "netMask": "255.255.255.0"}]}},
        region=HOME, account=account)
    assert status == 200, answer
    agent = answer["agentId"]
    records = [{"kind": "sample", "ts": 1_700_000_000 + i, "cpu": value, "freeRamKb": 2_000_000} for i, value in enumerate(cpu)]
    records += [{"kind": "process", "ts": 1_700_000_000, "pid": 100 + i, "name": name, "commandLine": command, "path": path}
                for i, (name, command, path) in enumerate(processes)]
    status, answer = ingest(cloud, "report", {"agentId": agent, "batch": 0, "records": records}, region=HOME, account=account)
    assert status == 200, answer
    servers = cloud.client("discovery", region=HOME, account=account).list_configurations(
        configurationType="SERVER", filters=[{"name": "server.agentId", "values": [agent], "condition": "EQUALS"}])
    return servers["configurations"][0]["server.configurationId"]
