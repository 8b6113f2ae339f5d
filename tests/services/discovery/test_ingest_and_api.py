"""Who may report (the agent-ingest route: SigV4, IAM's arsenal:RegisterOnPremisesAgent), and the api
Migration Hub Strategy Recommendations reads servers and applications through."""

from __future__ import annotations

import json

import requests
from botocore.credentials import Credentials

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
