"""AppSync Event APIs' data plane over real sockets: publishing with requests (POST /event), the
Events WebSocket protocol with ``websockets`` (connection_init/ack, subscribe, data, unsubscribe,
publish), wildcard channels, API keys and IAM enforced, and namespaces' APPSYNC_JS handlers."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
import requests
import websockets
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCOUNT = "123456789012"
WAIT = 30  # seconds a test waits for a message that must come
PROTOCOL = "aws-appsync-event-ws"
MODES = {"API_KEY": [{"authType": "API_KEY"}], "AWS_IAM": [{"authType": "AWS_IAM"}]}


def make_api(cloud, publish: str = "API_KEY", **namespace) -> dict:
    appsync = cloud.client("appsync", account=ACCOUNT)
    api = appsync.create_api(name="chat", eventConfig={
        "authProviders": [{"authType": "API_KEY"}, {"authType": "AWS_IAM"}],
        "connectionAuthModes": MODES["API_KEY"] + MODES["AWS_IAM"], "defaultPublishAuthModes": MODES[publish],
        "defaultSubscribeAuthModes": MODES["API_KEY"] + MODES["AWS_IAM"]})["api"]
    appsync.create_channel_namespace(apiId=api["apiId"], name="chat", **namespace)
    key = appsync.create_api_key(apiId=api["apiId"])["apiKey"]["id"]
    return {"api": api, "id": api["apiId"], "key": key, "http": f"{cloud.endpoint}/event/{api['apiId']}",
            "ws": f"{cloud.endpoint.replace('http', 'ws', 1)}/event/{api['apiId']}/realtime"}


def auth_protocol(headers: dict) -> str:
    encoded = base64.urlsafe_b64encode(json.dumps(headers).encode()).decode().rstrip("=")
    return f"header-{encoded}"


def key_auth(api: dict, key: str | None = None) -> dict:
    return {"host": api["api"]["dns"]["HTTP"], "x-api-key": key or api["key"]}


def publish(api: dict, channel: str, events: list, headers: dict | None = None) -> requests.Response:
    return requests.post(api["http"], json={"channel": channel, "events": [json.dumps(e) for e in events]},
                         headers=headers if headers is not None else {"x-api-key": api["key"]}, timeout=WAIT)


async def connect(api: dict, headers: dict | None = None):
    ws = await websockets.connect(api["ws"], subprotocols=[PROTOCOL, auth_protocol(headers or key_auth(api))])
    assert ws.subprotocol == PROTOCOL
    await ws.send(json.dumps({"type": "connection_init"}))
    assert await recv(ws) == {"type": "connection_ack", "connectionTimeoutMs": 300000}
    return ws


async def recv(ws, skip_ka: bool = True) -> dict:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        if not (skip_ka and message["type"] == "ka"):
            return message


async def subscribe(ws, api: dict, sub_id: str, channel: str, headers: dict | None = None) -> dict:
    await ws.send(json.dumps({"type": "subscribe", "id": sub_id, "channel": channel,
                              "authorization": headers or key_auth(api)}))
    return await recv(ws)


def test_events_published_over_http_reach_subscribers_of_the_channel_and_of_wildcards(cloud):
    api = make_api(cloud)

    async def story():
        ws = await connect(api)
        assert await subscribe(ws, api, "room1", "/chat/room1") == {"type": "subscribe_success", "id": "room1"}
        assert await subscribe(ws, api, "all", "/chat/*") == {"type": "subscribe_success", "id": "all"}
        assert (await subscribe(ws, api, "room2", "chat/room2"))["type"] == "subscribe_success"
        other = await connect(api)
        assert (await subscribe(other, api, "deep", "/chat/room1/*"))["type"] == "subscribe_success"

        answer = await asyncio.to_thread(publish, api, "/chat/room1", [{"text": "hi"}, 42])
        assert answer.status_code == 200
        result = answer.json()
        assert result["failed"] == [] and [s["index"] for s in result["successful"]] == [0, 1]
        received = [await recv(ws) for _ in range(4)]
        assert sorted((m["id"], m["event"]) for m in received) == [
            ("all", "42"), ("all", '{"text": "hi"}'), ("room1", "42"), ("room1", '{"text": "hi"}')]
        assert all(m["type"] == "data" for m in received)

        # /chat/room1/* wants deeper channels only; /chat/* takes them too.
        assert (await asyncio.to_thread(publish, api, "/chat/room1/thread", ["deep"])).status_code == 200
        assert await recv(other) == {"type": "data", "id": "deep", "event": '"deep"'}
        assert await recv(ws) == {"type": "data", "id": "all", "event": '"deep"'}

        await ws.send(json.dumps({"type": "unsubscribe", "id": "room1"}))
        assert await recv(ws) == {"type": "unsubscribe_success", "id": "room1"}
        await ws.send(json.dumps({"type": "unsubscribe", "id": "room1"}))
        assert (await recv(ws))["type"] == "unsubscribe_error"
        await asyncio.to_thread(publish, api, "/chat/room2", ["two"])
        assert sorted([(await recv(ws))["id"], (await recv(ws))["id"]]) == ["all", "room2"]
        await asyncio.to_thread(publish, api, "/chat/room1", ["after"])
        assert await recv(ws) == {"type": "data", "id": "all", "event": '"after"'}  # room1 is gone
        await ws.close()
        await other.close()

    asyncio.run(story())


def test_publishing_over_the_websocket(cloud):
    api = make_api(cloud)

    async def story():
        listener, publisher = await connect(api), await connect(api)
        assert (await subscribe(listener, api, "s", "/chat/*"))["type"] == "subscribe_success"
        await publisher.send(json.dumps({"type": "publish", "id": "p1", "channel": "/chat/a",
                                         "events": [json.dumps({"n": 1})], "authorization": key_auth(api)}))
        answer = await recv(publisher)
        assert answer["type"] == "publish_success" and answer["id"] == "p1" and answer["failed"] == []
        assert answer["successful"][0]["index"] == 0 and answer["successful"][0]["identifier"]
        assert await recv(listener) == {"type": "data", "id": "s", "event": '{"n": 1}'}

        async def refused(message: dict) -> dict:
            await publisher.send(json.dumps({"type": "publish", "id": "p", "authorization": key_auth(api), **message}))
            answer = await recv(publisher)
            assert answer["type"] == "publish_error" and answer["id"] == "p"
            return answer["errors"][0]

        assert (await refused({"channel": "/chat/a", "events": ["1"] * 6}))["errorType"] == "BadRequestException"
        assert (await refused({"channel": "/chat/a", "events": ["{not json"]}))["message"] == "Event 0 is not valid JSON."
        assert (await refused({"channel": "/chat/*", "events": ["1"]}))["errorType"] == "BadRequestException"
        assert await refused({"channel": "/nowhere/a", "events": ["1"]}) == {
            "errorType": "NotFoundException", "message": "Channel namespace nowhere not found."}
        assert (await refused({"channel": "/chat/a", "events": ["1"], "authorization": key_auth(api, "da2-wrong")})
                )["errorType"] == "UnauthorizedException"
        await publisher.send(json.dumps({"type": "start", "id": "x"}))
        assert (await recv(publisher))["errors"][0]["errorType"] == "UnsupportedOperation"
        await listener.close()
        await publisher.close()

    asyncio.run(story())


def test_api_keys_and_auth_modes_are_enforced(cloud):
    api = make_api(cloud, publish="AWS_IAM")
    # The namespace publishes with IAM only: an API key is refused, and a wrong key anywhere.
    refused = publish(api, "/chat/a", [1])
    assert refused.status_code == 401
    assert refused.json() == {"errors": [{"errorType": "UnauthorizedException",
                                          "message": "You are not authorized to make this call."}]}
    assert publish(api, "/chat/a", [1], headers={}).status_code == 401
    assert requests.get(api["http"], timeout=WAIT).status_code == 405
    assert requests.post(f"{cloud.endpoint}/event/nosuchapi", json={}, timeout=WAIT).status_code == 404

    async def story():
        ws = await websockets.connect(api["ws"], subprotocols=[PROTOCOL, auth_protocol(key_auth(api, "da2-wrong"))])
        error = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        assert error["type"] == "connection_error" and error["errors"][0]["errorType"] == "UnauthorizedException"
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), WAIT)
        ws = await connect(api)
        answer = await subscribe(ws, api, "s", "/chat/a", headers=key_auth(api, "da2-wrong"))
        assert answer == {"type": "subscribe_error", "id": "s", "errors": [{
            "errorType": "UnauthorizedException", "message": "You are not authorized to make this call."}]}
        assert (await subscribe(ws, api, "t", "/chat/a/b/c/d/e"))["type"] == "subscribe_error"  # 6 segments
        assert (await subscribe(ws, api, "u", "/chat/a"))["type"] == "subscribe_success"
        assert (await subscribe(ws, api, "u", "/chat/b"))["errors"][0]["errorType"] == "DuplicatedOperationError"
        await ws.close()

    asyncio.run(story())


def test_the_api_host_form_and_iam_publishers(cloud):
    api = make_api(cloud, publish="AWS_IAM")
    iam = cloud.client("iam", account=ACCOUNT)
    for name, action in (("publisher", "appsync:EventPublish"), ("reader", ["appsync:EventSubscribe",
                                                                            "appsync:EventConnect"])):
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17",
                            "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}))
    publisher = iam.create_access_key(UserName="publisher")["AccessKey"]
    reader = iam.create_access_key(UserName="reader")["AccessKey"]
    host = api["api"]["dns"]["HTTP"]

    def signed(key: dict, body: str) -> dict:
        request = AWSRequest("POST", f"http://{host}/event", data=body, headers={"host": host})
        SigV4Auth(Credentials(key["AccessKeyId"], key["SecretAccessKey"]), "appsync", "us-east-1").add_auth(request)
        return dict(request.headers)

    body = json.dumps({"channel": "/chat/a", "events": [json.dumps({"x": 1})]})

    async def story():
        ws = await connect(api)
        assert (await subscribe(ws, api, "s", "/chat/a"))["type"] == "subscribe_success"
        # AppSync's own host form, reached through the cloud's address with the API's Host header.
        sent = await asyncio.to_thread(requests.post, f"{cloud.endpoint}/event", data=body,
                                       headers=signed(publisher, body), timeout=WAIT)
        assert sent.status_code == 200, sent.text
        assert await recv(ws) == {"type": "data", "id": "s", "event": '{"x": 1}'}
        # A subscriber signs too: "{}" to connect, {"channel"} to subscribe, for POST /event.
        iam_ws = await connect(api, headers=signed(reader, "{}"))
        assert (await subscribe(iam_ws, api, "i", "/chat/a", headers=signed(reader, json.dumps({"channel": "/chat/a"}))
                                ))["type"] == "subscribe_success"
        wrong = await subscribe(iam_ws, api, "j", "/chat/b", headers=signed(reader, json.dumps({"channel": "/chat/a"})))
        assert wrong["type"] == "subscribe_error"  # signed for another channel
        again = await asyncio.to_thread(requests.post, f"{cloud.endpoint}/event", data=body,
                                        headers=signed(publisher, body), timeout=WAIT)
        assert again.status_code == 200
        assert await recv(iam_ws) == {"type": "data", "id": "i", "event": '{"x": 1}'}
        assert await recv(ws) == {"type": "data", "id": "s", "event": '{"x": 1}'}
        await iam_ws.close()
        tampered = await asyncio.to_thread(requests.post, f"{cloud.endpoint}/event", data=body.replace("1", "2"),
                                           headers=signed(publisher, body), timeout=WAIT)
        assert tampered.status_code == 401
        denied = await asyncio.to_thread(requests.post, f"{cloud.endpoint}/event", data=body,
                                         headers=signed(reader, body), timeout=WAIT)
        assert denied.status_code == 401
        await ws.close()

    asyncio.run(story())


HANDLERS = """
import { util } from '@aws-appsync/utils';
export function onPublish(ctx) {
  return ctx.events.map(event => event.payload.bad
    ? { id: event.id, payload: event.payload, error: 'bad event' }
    : { id: event.id, payload: { ...event.payload, channel: ctx.info.channel.path } });
}
export function onSubscribe(ctx) {
  if (ctx.info.channel.segments[1] === 'secret') util.unauthorized();
}
"""


def test_code_handlers_change_events_and_refuse_subscriptions(cloud):
    api = make_api(cloud, codeHandlers=HANDLERS)

    async def story():
        ws = await connect(api)
        refused = await subscribe(ws, api, "s", "/chat/secret")
        assert refused["type"] == "subscribe_error" and refused["errors"][0]["errorType"] == "UnauthorizedException"
        assert (await subscribe(ws, api, "o", "/chat/open"))["type"] == "subscribe_success"
        answer = (await asyncio.to_thread(publish, api, "/chat/open", [{"n": 1}, {"bad": True}])).json()
        assert [s["index"] for s in answer["successful"]] == [0]
        assert answer["failed"][0]["index"] == 1 and answer["failed"][0]["errorMessage"] == "bad event"
        message = await recv(ws)
        assert json.loads(message["event"]) == {"n": 1, "channel": "/chat/open"}
        await ws.close()

    asyncio.run(story())


AUTHORIZER = """def handler(event, context):
    return {"isAuthorized": event["authorizationToken"].startswith("let-me-in")}
"""


def test_a_lambda_authorizer_decides_who_publishes(cloud):
    from tests.services.appsync.test_lambda import function

    arn = function(cloud, "events-authorizer", AUTHORIZER)
    cloud.client("lambda", account=ACCOUNT).add_permission(
        FunctionName="events-authorizer", StatementId="appsync", Action="lambda:InvokeFunction",
        Principal="appsync.amazonaws.com")
    appsync = cloud.client("appsync", account=ACCOUNT)
    lambda_mode = [{"authType": "AWS_LAMBDA"}]
    api = appsync.create_api(name="guarded", eventConfig={
        "authProviders": [{"authType": "AWS_LAMBDA", "lambdaAuthorizerConfig": {"authorizerUri": arn}}],
        "connectionAuthModes": lambda_mode, "defaultPublishAuthModes": lambda_mode,
        "defaultSubscribeAuthModes": lambda_mode})["api"]
    appsync.create_channel_namespace(apiId=api["apiId"], name="chat")
    url = f"{cloud.endpoint}/event/{api['apiId']}"
    body = {"channel": "/chat/a", "events": ['"hello"']}
    assert requests.post(url, json=body, headers={"Authorization": "let-me-in-1"}, timeout=WAIT).status_code == 200
    refused = requests.post(url, json=body, headers={"Authorization": "nope"}, timeout=WAIT)
    assert refused.status_code == 401 and refused.json()["errors"][0]["errorType"] == "UnauthorizedException"
