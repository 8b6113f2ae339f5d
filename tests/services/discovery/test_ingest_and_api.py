"""Who may report (the agent-ingest route: SigV4, IAM's arsenal:RegisterOnPremisesAgent), and the api
Migration Hub Strategy Recommendations reads servers and applications through."""

from __future__ import annotations

import json

import pytest
import requests
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.services.discovery.helpers import ACCOUNT, HOME, discovery, ingest, set_home


def test_agents_must_sign_and_iam_users_need_the_agent_permission(cloud):
    set_home(cloud)
    unsigned = requests.post(f"{cloud.endpoint}/_discovery/agent/register", data=b"{}", timeout=30)
    assert (unsigned.status_code, unsigned.json()["__type"]) == (403, "MissingAuthenticationTokenException")
    iam = cloud.client("iam", account=ACCOUNT)
    iam.create_user(UserName="collector")
    key = iam.create_access_key(UserName="collector")["AccessKey"]
    credentials = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
    status, answer = ingest(cloud, "register", {"hostKey": "h1", "hostName": "h1"}, credentials=credentials)
    assert (status, answer["__type"]) == (403, "AccessDeniedException")
    assert "arsenal:RegisterOnPremisesAgent" in answer["message"]
    status, answer = ingest(cloud, "register", {"hostKey": "h1", "hostName": "h1"},
                            credentials=Credentials(key["AccessKeyId"], "not-the-secret"))
    assert (status, answer["__type"]) == (403, "SignatureDoesNotMatch")
    iam.put_user_policy(UserName="collector", PolicyName="agent", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "arsenal:RegisterOnPremisesAgent",
                                                "Resource": "*"}]}))
    status, answer = ingest(cloud, "register", {"hostKey": "h1", "hostName": "h1"}, credentials=credentials)
    assert status == 200 and answer["agentId"].startswith("o-")
    # Another Region than the home Region is refused, as every write is.
    status, answer = ingest(cloud, "register", {"hostKey": "h2", "hostName": "h2"}, region="eu-west-1")
    assert (status, answer["__type"]) == (400, "InvalidInputException")
    assert ingest(cloud, "nonsense", {})[0] == 404
    agent = ingest(cloud, "register", {"hostKey": "h3", "hostName": "h3"})[1]["agentId"]
    status, answer = ingest(cloud, "report", {"agentId": agent, "batch": 0, "records": [
        {"kind": "sample", "ts": 1.0, "cpu": 5.0}, {"kind": "sample", "ts": "yesterday"}]})
    assert (status, answer["__type"]) == (400, "InvalidParameterValueException")
    # Nothing of the malformed report was kept, and its batch number is still free.
    assert ingest(cloud, "report", {"agentId": agent, "batch": 0, "records": [{"kind": "sample", "ts": 1.0, "cpu": 7.0}]})[0] \
        == 200
    server = discovery(cloud).list_configurations(configurationType="SERVER", filters=[
        {"name": "server.agentId", "values": [agent], "condition": "EQUALS"}])["configurations"][0]
    assert float(server["server.performance.avgCpuUsagePct"]) == 7.0


def test_the_api_gives_strategy_recommendations_servers_and_applications(cloud):
    api = cloud.cloud.services.api("discovery")
    assert api.servers(ACCOUNT, HOME) == [] and api.applications(ACCOUNT, HOME) == []
    set_home(cloud)
    agent = ingest(cloud, "register", {"hostKey": "h1", "hostName": "db-1", "configuration": {
        "hostName": "db-1", "osName": "CentOS Linux", "osVersion": "6.10", "numCpus": 4}})[1]["agentId"]
    ingest(cloud, "report", {"agentId": agent, "batch": 0, "records": [
        {"kind": "process", "ts": 1.0, "pid": 5, "name": "postgres", "path": "/usr/pgsql/bin/postgres",
         "commandLine": "postgres -D /var/lib/pgsql/data"}]})
    client = discovery(cloud)
    app = client.create_application(name="billing", description="invoices")["configurationId"]
    server = client.list_configurations(configurationType="SERVER")["configurations"][0]["server.configurationId"]
    client.associate_configuration_items_to_application(applicationConfigurationId=app, configurationIds=[server])
    [found] = api.servers(ACCOUNT, "eu-west-1")  # any Region asked: the home Region's data
    assert found["configurationId"] == server and found["applications"] == [app]
    assert found["attributes"]["server.osName"] == "CentOS Linux" and found["attributes"]["server.osVersion"] == "6.10"
    assert found["processes"] == [{"name": "postgres", "commandLine": "postgres -D /var/lib/pgsql/data",
                                   "path": "/usr/pgsql/bin/postgres"}]
    assert api.applications(ACCOUNT, HOME) == [{"configurationId": app, "name": "billing", "description": "invoices",
                                                "servers": [server]}]


def test_every_operation_of_the_model_is_implemented(cloud):
    coverage = cloud.get("/_regionbox/coverage")["services"]["discovery"]
    assert len(coverage["implemented"]) == 28 and coverage["not_implemented"] == {}


def test_import_task_filters_need_a_name_and_values(cloud):
    set_home(cloud)
    client = discovery(cloud)
    with pytest.raises(ClientError) as caught:
        client.describe_import_tasks(filters=[{"values": ["x"]}])
    assert caught.value.response["Error"]["Code"] == "InvalidParameterException"
