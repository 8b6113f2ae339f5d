"""Subscriptions over AppSync's real-time WebSocket protocol: gql's AppSyncWebsocketsTransport
(API key and IAM) receives what mutations publish, filtered by the subscription's arguments and
by enhanced filters; a raw ``websockets`` client checks the protocol's messages and errors."""

from __future__ import annotations

import asyncio
import base64
import json

import botocore.session
import pytest
import websockets
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError

from regionbox.config import Config
from regionbox.testing.clients import RunningCloud
from tests.services.appsync.support import JS, chat_api, header_param, host_of, http_client, ws_transport

ACCOUNT = "123456789012"
WAIT = 30  # seconds a test waits for a message that must come


def publish(chat: dict, room: str, text: str, mutation: str = "publish") -> dict:
    if mutation == "publish":
        request = GraphQLRequest('mutation($r: ID!, $t: String) { publish(roomId: $r, id: "m", text: $t) '
                                 '{ roomId id text } }', variable_values={"r": room, "t": text})
    else:
        request = GraphQLRequest('mutation($r: ID!, $t: String!, $a: String) { sendMessage(roomId: $r, text: $t, '
                                 'author: $a) { roomId id text author } }',
                                 variable_values={"r": room, "t": text, "a": mutation})
    return http_client(chat["api"], chat["key"]).execute(request)


def first_error(refused: TransportQueryError) -> dict:
    """AppSync sends {"type": "error", "payload": {"errors": [...]}}; gql keeps the payload whole."""
    error = refused.errors[0]
    return error["errors"][0] if "errors" in error else error


class Listener:
    """A gql subscription whose results pile up in a queue."""

    def __init__(self, session, query: str, variables: dict | None = None) -> None:
        self.queue: asyncio.Queue = asyncio.Queue()
        self.task = asyncio.ensure_future(self._run(session, GraphQLRequest(query, variable_values=variables)))

    async def _run(self, session, request) -> None:
        try:
            async for result in session.subscribe(request):
                await self.queue.put(result)
        except Exception as error:  # noqa: BLE001 - the test reads it from the queue
            await self.queue.put(error)

    async def next(self):
        item = await asyncio.wait_for(self.queue.get(), WAIT)
        if isinstance(item, Exception):
            raise item
        return item

    async def ready(self, chat: dict, room: str, field: str = "onMessage", author: str = "publish") -> None:
        """Publish until this subscription sees a message (it is then registered), then once more
        with a mark and read up to it: what was published before is consumed (one connection
        delivers in order)."""
        while True:
            await asyncio.to_thread(publish, chat, room, "ready?", author)
            try:
                item = await asyncio.wait_for(self.queue.get(), 0.5)
            except asyncio.TimeoutError:
                continue
            if isinstance(item, Exception):
                raise item
            break
        mark = f"synced {id(self)}"
        await asyncio.to_thread(publish, chat, room, mark, author)
        await self.skip_to(mark, field)

    async def skip_to(self, mark: str, field: str = "onMessage") -> None:
        """Read up to the message whose text is ``mark``."""
        while (await self.next())[field]["text"] != mark:
            pass


def test_a_subscription_receives_what_mutations_publish_filtered_by_its_arguments(cloud):
    chat = chat_api(cloud, account=ACCOUNT)

    async def story():
        async with Client(transport=ws_transport(chat["api"], chat["key"])) as one, \
                Client(transport=ws_transport(chat["api"], chat["key"])) as two:
            lobby = Listener(one, "subscription { onMessage(roomId: \"lobby\") { roomId text } }")
            everything = Listener(two, "subscription($r: ID) { onMessage(roomId: $r) { text id } }")
            await lobby.ready(chat, "lobby")
            await everything.ready(chat, "anywhere")
            await asyncio.to_thread(publish, chat, "kitchen", "not for the lobby")
            await asyncio.to_thread(publish, chat, "lobby", "for the lobby")
            # The subscription's selection set shapes what each client gets.
            assert await lobby.next() == {"onMessage": {"roomId": "lobby", "text": "for the lobby"}}
            assert await everything.next() == {"onMessage": {"text": "not for the lobby", "id": "m"}}
            assert await everything.next() == {"onMessage": {"text": "for the lobby", "id": "m"}}
            # A DynamoDB-backed mutation publishes the item as written.
            sent = (await asyncio.to_thread(publish, chat, "lobby", "stored", "ann"))["sendMessage"]
            assert await lobby.next() == {"onMessage": {"roomId": "lobby", "text": "stored"}}
            assert (await everything.next())["onMessage"]["id"] == sent["id"]
    asyncio.run(story())


def test_enhanced_filters_set_by_the_subscriptions_resolver(cloud):
    chat = chat_api(cloud, account=ACCOUNT)
    chat["client"].create_resolver(apiId=chat["api"]["apiId"], typeName="Subscription", fieldName="onAuthor",
                                   dataSourceName="local", runtime=JS, code=(
        "import { util, extensions } from '@aws-appsync/utils';\n"
        "export function request(ctx) { return { payload: null }; }\n"
        "export function response(ctx) {\n"
        "  if (ctx.args.author === 'mallory') util.unauthorized();\n"
        "  extensions.setSubscriptionFilter(util.transform.toSubscriptionFilter({\n"
        "    or: [{ author: { eq: ctx.args.author } }, { text: { beginsWith: 'ALL:' } }] }));\n"
        "  return null;\n}"))

    async def story():
        async with Client(transport=ws_transport(chat["api"], chat["key"])) as session:
            ann = Listener(session, "subscription { onAuthor(author: \"ann\") { author text } }")
            await ann.ready(chat, "r", "onAuthor", author="ann")
            await asyncio.to_thread(publish, chat, "r", "from bob", "bob")
            await asyncio.to_thread(publish, chat, "r", "ALL: from bob", "bob")
            assert await ann.next() == {"onAuthor": {"author": "bob", "text": "ALL: from bob"}}
            mallory = Listener(session, "subscription { onAuthor(author: \"mallory\") { text } }")
            with pytest.raises(TransportQueryError) as refused:
                await mallory.next()
            assert first_error(refused.value)["errorType"] == "Unauthorized"
    asyncio.run(story())


def test_iam_subscribers(cloud):
    chat = chat_api(cloud, account=ACCOUNT, extra_auth=("AWS_IAM",))
    iam = cloud.client("iam", account=ACCOUNT)
    iam.create_user(UserName="listener")
    iam.put_user_policy(UserName="listener", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "appsync:GraphQL",
                                                "Resource": f"{chat['api']['arn']}/types/Subscription/fields/onMessage"}]}))
    key = iam.create_access_key(UserName="listener")["AccessKey"]
    session = botocore.session.Session()
    session.set_credentials(key["AccessKeyId"], key["SecretAccessKey"])

    async def story():
        async with Client(transport=ws_transport(chat["api"], session=session)) as signed:
            listener = Listener(signed, "subscription { onMessage(roomId: \"iam\") { text } }")
            await listener.ready(chat, "iam")
            await asyncio.to_thread(publish, chat, "iam", "signed delivery")
            assert await listener.next() == {"onMessage": {"text": "signed delivery"}}
            # onAuthor has no @aws_iam: the API's default mode only.
            refused = Listener(signed, "subscription { onAuthor { text } }")
            with pytest.raises(TransportQueryError) as error:
                await refused.next()
            assert first_error(error.value)["message"] == "Not Authorized to access onAuthor on type Subscription"
    asyncio.run(story())


async def _recv(ws, ka: bool = False) -> dict:
    """The next message; a "ka" only when asked for (the one keep-alive timer ticks whenever it
    was started, so one may come between any two messages of a slow run)."""
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        if ka or message != {"type": "ka"}:
            return message


async def _connect(chat: dict, key: str | None = None):
    url = f"{chat['api']['uris']['REALTIME_NO_DNS']}?header={header_param(chat['api'], key or chat['key'])}&payload=e30="
    return await websockets.connect(url, subprotocols=["graphql-ws"])


def _start(chat: dict, sub_id: str, query: str, key: str | None = None) -> str:
    data = json.dumps({"query": query, "variables": {}})
    return json.dumps({"id": sub_id, "type": "start", "payload": {"data": data, "extensions": {"authorization": {
        "host": host_of(chat["api"]), "x-api-key": key or chat["key"]}}}})


def test_the_protocol_messages_and_errors(cloud):
    chat = chat_api(cloud, account=ACCOUNT)
    subscription = 'subscription { onMessage(roomId: "p") { text } }'

    async def story():
        async with await _connect(chat) as ws:
            assert ws.subprotocol == "graphql-ws"
            await ws.send(json.dumps({"type": "connection_init"}))
            assert await _recv(ws) == {"type": "connection_ack", "payload": {"connectionTimeoutMs": 300000}}
            assert await _recv(ws, ka=True) == {"type": "ka"}
            await ws.send(_start(chat, "1", subscription))
            assert await _recv(ws) == {"type": "start_ack", "id": "1"}
            await ws.send(_start(chat, "1", subscription))
            duplicate = await _recv(ws)
            assert duplicate["type"] == "error" and duplicate["id"] == "1"
            assert duplicate["payload"]["errors"][0]["errorType"] == "DuplicatedOperationError"
            await ws.send(_start(chat, "2", "subscription { nope }"))
            invalid = await _recv(ws)
            assert invalid["id"] == "2" and invalid["payload"]["errors"][0]["errorType"] == "ValidationError"
            await ws.send(_start(chat, "3", "{ hello }"))
            assert (await _recv(ws))["payload"]["errors"][0]["errorType"] == "UnsupportedOperation"
            await ws.send(_start(chat, "4", subscription, key="da2-wrong"))
            unauthorized = await _recv(ws)
            assert unauthorized["id"] == "4"
            assert unauthorized["payload"]["errors"][0]["errorType"] == "UnauthorizedException"
            await asyncio.to_thread(publish, chat, "p", "pushed")
            assert await _recv(ws) == {"type": "data", "id": "1", "payload": {"data": {"onMessage": {"text": "pushed"}}}}
            await ws.send(json.dumps({"type": "stop", "id": "1"}))
            assert await _recv(ws) == {"type": "complete", "id": "1"}
            await ws.send(json.dumps({"type": "bogus"}))
            assert (await _recv(ws))["payload"]["errors"][0]["errorType"] == "UnsupportedOperation"
        # A connection whose header carries no valid key is refused at connection_init.
        async with await _connect(chat, key="da2-wrong") as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            refused = await _recv(ws)
            assert refused["type"] == "connection_error"
            assert refused["payload"]["errors"][0]["errorType"] == "UnauthorizedException"
        # The headers may also come as a "header-<base64url>" subprotocol.
        headers = base64.urlsafe_b64encode(json.dumps({"host": host_of(chat["api"]), "x-api-key": chat["key"]})
                                           .encode()).decode().rstrip("=")
        async with websockets.connect(chat["api"]["uris"]["REALTIME_NO_DNS"],
                                      subprotocols=["graphql-ws", f"header-{headers}"]) as ws:
            assert ws.subprotocol == "graphql-ws"
            await ws.send(json.dumps({"type": "connection_init"}))
            assert (await _recv(ws))["type"] == "connection_ack"
    asyncio.run(story())


def test_a_closed_connection_stops_its_subscriptions(cloud):
    chat = chat_api(cloud, account=ACCOUNT)

    async def story():
        async with await _connect(chat) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            await _recv(ws)
            await _recv(ws, ka=True)
            await ws.send(_start(chat, "a", 'subscription { onMessage { text } }'))
            assert (await _recv(ws))["type"] == "start_ack"
        # After the close, publishing finds nobody and fails nothing.
        assert (await asyncio.to_thread(publish, chat, "x", "after"))["publish"]["text"] == "after"
        async with Client(transport=ws_transport(chat["api"], chat["key"])) as session:
            listener = Listener(session, "subscription { onMessage { text } }")
            await listener.ready(chat, "x")
    asyncio.run(story())




def test_a_client_that_does_not_read_holds_up_nobody_else(cloud):
    """20 MB of messages to a client that stops reading: its TCP buffers fill and the server's
    sending to it waits, while another client gets every message at once; then it reads them
    all, in order."""
    chat = chat_api(cloud, account=ACCOUNT)
    big = "x" * 200_000
    count = 100

    async def subscribed(**options):
        ws = await websockets.connect(f"{chat['api']['uris']['REALTIME_NO_DNS']}?header="
                                      f"{header_param(chat['api'], chat['key'])}&payload=e30=",
                                      subprotocols=["graphql-ws"], max_size=None, **options)
        await ws.send(json.dumps({"type": "connection_init"}))
        assert (await _recv(ws))["type"] == "connection_ack"
        await ws.send(_start(chat, "s", 'subscription { onMessage(roomId: "slow") { id text } }'))
        while (await _recv(ws))["type"] != "start_ack":
            pass
        return ws

    async def texts(ws, wanted: int) -> list[str]:
        found = []
        while len(found) < wanted:
            message = await _recv(ws)
            if message["type"] == "data":
                found.append(message["payload"]["data"]["onMessage"]["text"])
        return found

    async def story():
        slow = await subscribed(max_queue=1)  # reads one message, then leaves the rest in TCP
        fast = await subscribed()
        try:
            for number in range(count):
                await asyncio.to_thread(publish, chat, "slow", f"{number}:{big}")
                assert (await texts(fast, 1))[0].startswith(f"{number}:")
            received = await texts(slow, count)
            assert [text.split(":", 1)[0] for text in received] == [str(n) for n in range(count)]
        finally:
            await slow.close()
            await fast.close()
    asyncio.run(story())


def test_keep_alives_come_at_the_configured_interval():
    cloud = RunningCloud(Config(ephemeral=True, appsync_keepalive_interval=0.1)).start()
    try:
        chat = chat_api(cloud, account=ACCOUNT)

        async def story():
            async with await _connect(chat) as ws:
                await ws.send(json.dumps({"type": "connection_init"}))
                assert (await _recv(ws))["type"] == "connection_ack"
                assert [await _recv(ws, ka=True) for _ in range(3)] == [{"type": "ka"}] * 3
        asyncio.run(story())
    finally:
        cloud.stop()


def test_a_mutation_invalidates_the_subscriptions_its_payload_matches(cloud):
    chat = chat_api(cloud, account=ACCOUNT)
    appsync, api_id = chat["client"], chat["api"]["apiId"]
    appsync.create_resolver(apiId=api_id, typeName="Subscription", fieldName="onAuthor", dataSourceName="local",
                            runtime=JS, code=(
        "import { util, extensions } from '@aws-appsync/utils';\n"
        "export function request(ctx) { return { payload: null }; }\n"
        "export function response(ctx) {\n"
        "  extensions.setSubscriptionInvalidationFilter(util.transform.toSubscriptionFilter(\n"
        "    { author: { eq: ctx.args.author } }));\n"
        "  return null;\n}"))
    appsync.update_resolver(apiId=api_id, typeName="Mutation", fieldName="publish", dataSourceName="local",
                            runtime=JS, code=(
        "import { extensions } from '@aws-appsync/utils';\n"
        "export function request(ctx) { return { payload: ctx.args }; }\n"
        "export function response(ctx) {\n"
        "  if (ctx.args.id === 'kick') extensions.invalidateSubscriptions(\n"
        "    { subscriptionField: 'onAuthor', payload: { author: ctx.args.text } });\n"
        "  return ctx.result;\n}"))

    async def story():
        async with await _connect(chat) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            await _recv(ws)
            await _recv(ws, ka=True)
            await ws.send(_start(chat, "ann", 'subscription { onAuthor(author: "ann") { text } }'))
            await ws.send(_start(chat, "bob", 'subscription { onAuthor(author: "bob") { text } }'))
            assert [await _recv(ws), await _recv(ws)] == [{"type": "start_ack", "id": "ann"},
                                                          {"type": "start_ack", "id": "bob"}]
            await asyncio.to_thread(publish, chat, "r", "ann", "publish")  # id "m": no invalidation
            await asyncio.to_thread(http_client(chat["api"], chat["key"]).execute, GraphQLRequest(
                'mutation { publish(roomId: "r", id: "kick", text: "ann") { id } }'))
            assert await _recv(ws) == {"type": "complete", "id": "ann"}
            # bob's subscription lives on: a message by bob reaches it.
            await asyncio.to_thread(publish, chat, "r", "still here", "bob")
            assert await _recv(ws) == {"type": "data", "id": "bob",
                                       "payload": {"data": {"onAuthor": {"text": "still here"}}}}
    asyncio.run(story())
