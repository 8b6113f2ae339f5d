"""AppSync custom domain names through boto3, and requests that reach an API by the domain's Host:
an Event API's POST /event and /event/realtime WebSocket, a GraphQL API's /graphql."""

from __future__ import annotations

import asyncio
import json

import pytest
import requests
import websockets
from botocore.exceptions import ClientError

from tests.services.appsync.support import ACCOUNT, error_of
from tests.services.appsync.test_events import PROTOCOL, auth_protocol, make_api, recv

CERTIFICATE = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/abc-123"



def test_domain_names_are_created_associated_and_deleted(appsync, cloud):
    created = appsync.create_domain_name(domainName="api.example.com", certificateArn=CERTIFICATE,
                                         description="events", tags={"a": "b"})["domainNameConfig"]
    assert created["domainNameArn"] == f"arn:aws:appsync:us-east-1:{ACCOUNT}:domainnames/api.example.com"
    assert created["certificateArn"] == CERTIFICATE and created["hostedZoneId"] and created["appsyncDomainName"]
    with pytest.raises(ClientError) as taken:
        cloud.client("appsync", account="210987654321").create_domain_name(domainName="api.example.com",
                                                                          certificateArn=CERTIFICATE)
    assert error_of(taken) == ("BadRequestException", "Domain name api.example.com already exists.", 400)
    assert appsync.update_domain_name(domainName="api.example.com", description="new")["domainNameConfig"][
        "description"] == "new"
    assert [d["domainName"] for d in appsync.list_domain_names()["domainNameConfigs"]] == ["api.example.com"]

    with pytest.raises(ClientError) as none:
        appsync.get_api_association(domainName="api.example.com")
    assert error_of(none)[0] == "NotFoundException"
    with pytest.raises(ClientError) as no_api:
        appsync.associate_api(domainName="api.example.com", apiId="nosuchapi")
    assert error_of(no_api)[0] == "NotFoundException"
    api_id = make_api(cloud)["id"]
    association = appsync.associate_api(domainName="api.example.com", apiId=api_id)["apiAssociation"]
    assert association == {"domainName": "api.example.com", "apiId": api_id, "associationStatus": "SUCCESS"}
    assert appsync.get_api_association(domainName="api.example.com")["apiAssociation"]["apiId"] == api_id
    with pytest.raises(ClientError) as in_use:
        appsync.delete_domain_name(domainName="api.example.com")
    assert error_of(in_use)[0] == "BadRequestException"
    appsync.disassociate_api(domainName="api.example.com")
    appsync.delete_domain_name(domainName="api.example.com")
    with pytest.raises(ClientError) as gone:
        appsync.get_domain_name(domainName="api.example.com")
    assert error_of(gone) == ("NotFoundException", "Domain name api.example.com not found.", 404)


# A name under .localhost passes the gateway's DNS-rebinding guard; another name needs
# REGIONBOX_ALLOWED_HOSTS, as every Host regionbox answers does.
def test_a_domain_routes_its_host_to_the_event_api(appsync, cloud):
    api = make_api(cloud)
    appsync.create_domain_name(domainName="events.example.localhost", certificateArn=CERTIFICATE)
    host = {"Host": "events.example.localhost"}
    before = requests.post(f"{cloud.endpoint}/event", headers={**host, "x-api-key": api["key"]},
                           json={"channel": "/chat/a", "events": ["1"]}, timeout=30)
    assert before.status_code != 200  # not associated yet: nothing answers for the domain
    appsync.associate_api(domainName="events.example.localhost", apiId=api["id"])

    async def story():
        ws = await websockets.connect(f"{cloud.endpoint.replace('http', 'ws', 1)}/event/realtime",
                                      additional_headers=host, subprotocols=[
                                          PROTOCOL, auth_protocol({"host": "events.example.localhost", "x-api-key": api["key"]})])
        await ws.send(json.dumps({"type": "connection_init"}))
        assert (await recv(ws))["type"] == "connection_ack"
        await ws.send(json.dumps({"type": "subscribe", "id": "s", "channel": "/chat/a",
                                  "authorization": {"x-api-key": api["key"]}}))
        assert (await recv(ws))["type"] == "subscribe_success"
        sent = await asyncio.to_thread(requests.post, f"{cloud.endpoint}/event", timeout=30,
                                       headers={**host, "x-api-key": api["key"]},
                                       json={"channel": "/chat/a", "events": [json.dumps("via domain")]})
        assert sent.status_code == 200
        assert await recv(ws) == {"type": "data", "id": "s", "event": '"via domain"'}
        await ws.close()

    asyncio.run(story())


def test_a_domain_routes_its_host_to_a_graphql_api(appsync, cloud):
    api_id = appsync.create_graphql_api(name="g", authenticationType="API_KEY")["graphqlApi"]["apiId"]
    appsync.start_schema_creation(apiId=api_id, definition=b"type Query { hello: String }")
    key = appsync.create_api_key(apiId=api_id)["apiKey"]["id"]
    appsync.create_domain_name(domainName="graphql.example.localhost", certificateArn=CERTIFICATE)
    appsync.associate_api(domainName="graphql.example.localhost", apiId=api_id)
    answer = requests.post(f"{cloud.endpoint}/graphql", json={"query": "{ hello }"}, timeout=30,
                           headers={"Host": "graphql.example.localhost", "x-api-key": key})
    assert answer.status_code == 200 and answer.json() == {"data": {"hello": None}}


def test_other_paths_beginning_with_event_are_not_appsyncs(cloud):
    answer = requests.post(f"{cloud.endpoint}/events", json={}, timeout=30)
    assert "Event API" not in answer.text and answer.status_code != 404
