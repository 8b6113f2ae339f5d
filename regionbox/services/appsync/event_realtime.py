"""Event APIs' real-time WebSocket (subprotocol ``aws-appsync-event-ws``) on
``<apiId>.appsync-realtime-api.<region>.localhost/event/realtime`` or ``/event/<apiId>/realtime``.

The connection is authorized, by the API's connection auth modes, with the headers of a
``header-<base64url JSON>`` subprotocol (or a ``header`` query parameter); a refused one gets
``connection_error`` and is closed. Then, as AppSync's Events protocol has it:
``connection_init`` -> ``{"type": "connection_ack", "connectionTimeoutMs": 300000}`` and ``ka``
keep-alives; ``subscribe`` {id, channel, authorization} -> ``subscribe_success`` or
``subscribe_error`` {errors}; ``data`` {id, event} for each event published to a matching
channel; ``unsubscribe`` {id} -> ``unsubscribe_success`` (``unsubscribe_error`` for an unknown
id); ``publish`` {id, channel, events, authorization} -> ``publish_success`` {successful, failed}
or ``publish_error``. IAM callers sign, as the HTTP endpoint's ``POST /event``, ``{}`` to
connect, ``{"channel"}`` to subscribe and ``{"channel", "events"}`` to publish."""

from __future__ import annotations

from typing import Callable

import orjson

from regionbox.services.appsync.auth import Identity, Unauthorized
from regionbox.services.appsync.channels import ChannelSubscriber, parse_channel
from regionbox.services.appsync.events import UNAUTHORIZED, EventError, Events, signed_bodies
from regionbox.services.appsync.models import EventApi
from regionbox.services.appsync.sockets import KeepAlive, Socket, handshake_auth, handshake_headers

SUBPROTOCOL = "aws-appsync-event-ws"
CONNECTION_TIMEOUT_MS = 300_000
MAX_SUBSCRIPTIONS = 200  # per connection, AppSync Events' quota


class EventRealtime:
    def __init__(self, events: Events, keepalive: KeepAlive) -> None:
        self.events = events
        self.keepalive = keepalive

    def claims(self, scope: dict) -> bool:
        return self.events.named(handshake_headers(scope).get("host", ""), scope["path"], realtime=True)[0] is not None

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        headers = handshake_headers(scope)
        found = self.events.locate(*self.events.named(headers.get("host", ""), scope["path"], realtime=True))
        if found is None or SUBPROTOCOL not in (scope.get("subprotocols") or []):
            await send({"type": "websocket.close", "code": 1008})
            return
        await send({"type": "websocket.accept", "subprotocol": SUBPROTOCOL})
        connection = EventConnection(self, found[0], found[1], send, scope.get("client"))
        try:
            connection.who = await self.events.authorize(found[0], found[1], handshake_auth(scope) or {}, "CONNECT",
                                                         [b"{}"], connection.source_ip)
        except Unauthorized:
            connection.deliver({"type": "connection_error", "errors": [{
                "errorType": "UnauthorizedException", "message": UNAUTHORIZED, "errorCode": 401}]})
            connection.close()
        else:
            self.keepalive.add(connection)
        scope["headers"] = []  # uvicorn keeps the scope for the connection's life
        await connection.serve(receive)


class EventConnection(Socket):
    """One Event API client: its subscriptions by id (sockets.Socket: its queue and its reading)."""

    __slots__ = ("realtime", "scope", "api", "who", "subscriptions")

    def __init__(self, realtime: EventRealtime, scope, api: EventApi, send: Callable, client) -> None:
        super().__init__(send, client, realtime.keepalive)
        self.realtime = realtime
        self.scope = scope
        self.api = api
        self.who: Identity | None = None
        self.subscriptions: dict[str, ChannelSubscriber] = {}

    def internal_error(self) -> dict:
        return {"type": "error", "errors": [{"errorType": "InternalFailure", "message": "An internal error occurred."}]}

    def closed(self) -> None:
        for subscriber in self.subscriptions.values():
            self.realtime.events.channels.remove(subscriber)
        self.subscriptions.clear()

    async def on_message(self, text: str) -> bool:
        if self.who is None:
            return False  # refused at the handshake: closing
        try:
            message = orjson.loads(text)
            kind = message.get("type")
        except (orjson.JSONDecodeError, AttributeError):
            self.deliver({"type": "error", "errors": [{"errorType": "MalformedMessage",
                                                       "message": "Unable to parse the message as JSON."}]})
            return False
        if kind == "connection_init":
            self.deliver({"type": "connection_ack", "connectionTimeoutMs": CONNECTION_TIMEOUT_MS})
            self.deliver({"type": "ka"})
            return True
        if kind == "subscribe":
            await self._subscribe(message)
        elif kind == "unsubscribe":
            self._unsubscribe(message)
        elif kind == "publish":
            await self._publish(message)
        else:
            self.deliver({"type": "error", "id": message.get("id"), "errors": [{
                "errorType": "UnsupportedOperation", "message": f"{kind} not supported through the realtime channel"}]})
        return False

    async def _caller(self, message: dict, operation: str, document: dict, namespace) -> Identity:
        headers = message.get("authorization")
        headers = {str(k).lower(): str(v) for k, v in headers.items()} if isinstance(headers, dict) else {}
        try:
            return await self.realtime.events.authorize(self.scope, self.api, headers, operation,
                                                        signed_bodies(document), self.source_ip, namespace)
        except Unauthorized:
            raise EventError("UnauthorizedException", UNAUTHORIZED, 401) from None

    async def _subscribe(self, message: dict) -> None:
        sub_id = message.get("id")
        events = self.realtime.events
        try:
            if not isinstance(sub_id, str) or not sub_id:
                raise EventError("BadRequestException", "The subscribe message has no id.")
            if sub_id in self.subscriptions:
                raise EventError("DuplicatedOperationError", f"Duplicate operation with id {sub_id}")
            if len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
                raise EventError("MaxSubscriptionsReachedError", f"Max number of {MAX_SUBSCRIPTIONS} subscriptions reached")
            channel = message.get("channel")
            segments = parse_channel(channel, wildcard=True)
            if segments is None:
                raise EventError("BadRequestException", f"Invalid channel {channel!r}.")
            namespace = events.namespace(self.scope, self.api, segments)
            who = await self._caller(message, "SUBSCRIBE", {"channel": channel}, namespace)
            events.check_subscribe(namespace, segments, who, message.get("authorization") or {})
        except EventError as refused:
            self.deliver({"type": "subscribe_error", "id": sub_id, "errors": refused.errors()})
            return
        self.subscriptions[sub_id] = events.subscriber(sub_id, self.deliver, self.scope, self.api, segments)
        self.deliver({"type": "subscribe_success", "id": sub_id})

    def _unsubscribe(self, message: dict) -> None:
        sub_id = message.get("id")
        subscriber = self.subscriptions.pop(sub_id, None) if isinstance(sub_id, str) else None
        if subscriber is None:
            self.deliver({"type": "unsubscribe_error", "id": sub_id, "errors": [{
                "errorType": "UnknownOperationError", "message": f"Unknown operation id {sub_id}"}]})
            return
        self.realtime.events.channels.remove(subscriber)
        self.deliver({"type": "unsubscribe_success", "id": sub_id})

    async def _publish(self, message: dict) -> None:
        pub_id = message.get("id")
        events = self.realtime.events
        try:
            if not isinstance(pub_id, str) or not pub_id:
                raise EventError("BadRequestException", "The publish message has no id.")
            channel = message.get("channel")
            segments = parse_channel(channel)
            if segments is None:
                raise EventError("BadRequestException", f"Invalid channel {channel!r}.")
            published = events.check_events(message.get("events"))
            namespace = events.namespace(self.scope, self.api, segments)
            who = await self._caller(message, "PUBLISH", {"channel": channel, "events": published}, namespace)
            result = await events.publish(self.scope, self.api, namespace, segments, published, who,
                                          message.get("authorization") or {})
        except EventError as refused:
            self.deliver({"type": "publish_error", "id": pub_id, "errors": refused.errors()})
            return
        self.deliver({"type": "publish_success", "id": pub_id, **result})
