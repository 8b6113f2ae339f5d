"""AppSync's real-time WebSocket protocol (subprotocol ``graphql-ws``) on
``<apiId>.appsync-realtime-api.<region>.localhost/graphql`` or ``/graphql/<apiId>/realtime``.

The connection is authorized by the ``header`` query parameter (base64 JSON of the headers
AppSync wants: ``host`` with ``x-api-key``, or SigV4's for IAM, signed for
``/graphql/connect``) or by a ``header-<base64url>`` subprotocol. Then: ``connection_init`` ->
``connection_ack`` {connectionTimeoutMs} and ``ka`` keep-alives; ``start`` (its own
authorization in ``payload.extensions.authorization``) -> ``start_ack`` or ``error``; ``data``
for each delivery; ``stop`` -> ``complete``. Messages to a client go through its own queue, so a
slow client never holds up a mutation or other clients."""

from __future__ import annotations

import logging
from typing import Any, Callable

import orjson
from graphql import OperationType
from graphql.execution.values import get_argument_values, get_variable_values

from regionbox.services.appsync.auth import Authenticator, Identity, Unauthorized
from regionbox.services.appsync.endpoint import Endpoint
from regionbox.services.appsync.execution import Executor, Run
from regionbox.services.appsync.sockets import KeepAlive, Socket, handshake_auth, handshake_headers
from regionbox.services.appsync.subscriptions import Hub, Subscriber
from regionbox.services.appsync.utils import ResolverError, Util

log = logging.getLogger(__name__)

SUBPROTOCOL = "graphql-ws"
CONNECTION_TIMEOUT_MS = 300_000
MAX_SUBSCRIPTIONS = 100  # per connection, as on AppSync
UNAUTHORIZED = {"errorType": "UnauthorizedException", "message": "You are not authorized to make this call."}


class Realtime:
    def __init__(self, endpoint: Endpoint, executor: Executor, authenticator: Authenticator, hub: Hub,
                 keepalive: KeepAlive) -> None:
        self.endpoint = endpoint
        self.executor = executor
        self.authenticator = authenticator
        self.hub = hub
        self.keepalive = keepalive

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        connection = await self._open(scope, send)
        # uvicorn keeps the scope for the connection's life; its handshake headers are read.
        scope["headers"] = []
        if connection is not None:  # served from here on with nothing of the handshake kept
            await connection.serve(receive)

    async def _open(self, scope: dict, send: Callable) -> "Connection | None":
        """Accept (or refuse) the WebSocket and authenticate the headers it came with."""
        headers = handshake_headers(scope)
        auth = handshake_auth(scope)
        found = self.endpoint.find(headers.get("host", ""), scope["path"], realtime=True)
        if found is None or SUBPROTOCOL not in (scope.get("subprotocols") or []):
            await send({"type": "websocket.close", "code": 1008})
            return None
        await send({"type": "websocket.accept", "subprotocol": SUBPROTOCOL})
        connection = Connection(self, found[0], found[1], send, scope.get("client"))
        try:
            connection.who = await self.authenticator.authenticate(found[1], found[0], auth or {}, "/graphql/connect", b"{}",
                                                             connection.source_ip)
        except Unauthorized:
            connection.who = None
        return connection


class Connection(Socket):
    """One GraphQL subscriber's connection (sockets.Socket: its queue and its reading)."""

    __slots__ = ("realtime", "scope", "api", "who", "subscriptions")

    def __init__(self, realtime: Realtime, scope, api, send: Callable, client) -> None:
        super().__init__(send, client, realtime.keepalive)
        self.realtime = realtime
        self.scope = scope
        self.api = api
        self.who: Identity | None = None
        self.subscriptions: dict[str, Subscriber] = {}

    def internal_error(self) -> dict:
        return {"type": "error", "payload": {"errors": [{"errorType": "InternalFailure",
                                                         "message": "An internal error occurred."}]}}

    def closed(self) -> None:
        for subscriber in self.subscriptions.values():
            self.realtime.hub.remove(subscriber)
        self.subscriptions.clear()

    async def on_message(self, text: str) -> bool:
        """Handle one client message; True once the connection is acknowledged."""
        try:
            message = orjson.loads(text)
            kind = message.get("type")
        except (orjson.JSONDecodeError, AttributeError):
            self.deliver({"type": "error", "payload": {"errors": [{"errorType": "MalformedMessage",
                                                                   "message": "Unable to parse the message as JSON."}]}})
            return False
        if kind == "connection_init":
            if self.who is None:
                self.deliver({"type": "connection_error", "payload": {"errors": [{**UNAUTHORIZED, "errorCode": 401}]}})
                self.close()
                return False
            self.deliver({"type": "connection_ack", "payload": {"connectionTimeoutMs": CONNECTION_TIMEOUT_MS}})
            self.deliver({"type": "ka"})
            return True
        if kind == "start":
            await self._start(message)
        elif kind == "stop":
            subscriber = self.subscriptions.pop(str(message.get("id")), None)
            if subscriber is not None:
                self.realtime.hub.remove(subscriber)
            self.deliver({"type": "complete", "id": message.get("id")})
        else:
            self.deliver({"type": "error", "payload": {"errors": [{
                "errorType": "UnsupportedOperation", "message": f"{kind} not supported through the realtime channel"}]}})
        return False

    def _error(self, sub_id: Any, error_type: str, message: str, **more) -> None:
        self.deliver({"type": "error", "id": sub_id, "payload": {"errors": [{"errorType": error_type,
                                                                              "message": message, **more}]}})

    async def _start(self, message: dict) -> None:
        sub_id = message.get("id")
        payload = message.get("payload") or {}
        if not isinstance(sub_id, str) or not sub_id:
            self._error(sub_id, "MissingId", "The start message has no id.")
            return
        if sub_id in self.subscriptions:
            self._error(sub_id, "DuplicatedOperationError", f"Duplicate operation with id {sub_id}")
            return
        if len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
            self._error(sub_id, "MaxSubscriptionsReachedError", "Max number of 100 subscriptions reached")
            return
        data = payload.get("data")
        headers = {str(k).lower(): str(v) for k, v in
                   ((payload.get("extensions") or {}).get("authorization") or {}).items()}
        try:
            who = await self.realtime.authenticator.authenticate(self.api, self.scope, headers, "/graphql",
                                                           (data or "").encode(), self.source_ip)
        except Unauthorized:
            self._error(sub_id, UNAUTHORIZED["errorType"], UNAUTHORIZED["message"], errorCode=401)
            return
        try:
            request = orjson.loads(data) if isinstance(data, str) else None
            if not isinstance(request, dict):
                raise ValueError
        except (orjson.JSONDecodeError, ValueError):
            self._error(sub_id, "MalformedHttpRequestException", "Unable to parse the subscription request data.")
            return
        subscriber = await self._subscribe(sub_id, who, request)
        if subscriber is not None:
            self.subscriptions[sub_id] = subscriber
            self.realtime.hub.add(subscriber)
            self.deliver({"type": "start_ack", "id": sub_id})

    async def _subscribe(self, sub_id: str, who: Identity, request: dict) -> Subscriber | None:
        executor = self.realtime.executor
        schema, document, refused = executor.prepare(self.api, request.get("query"))
        if refused is not None:
            self.deliver({"type": "error", "id": sub_id, "payload": {"errors": refused["errors"]}})
            return None
        operation = executor.operation(document, request.get("operationName"))
        if operation is None or operation.operation != OperationType.SUBSCRIPTION:
            self._error(sub_id, "UnsupportedOperation", "Only subscriptions are served on the real-time endpoint.")
            return None
        if len(operation.selection_set.selections) != 1:
            self._error(sub_id, "ValidationError", "A subscription selects exactly one field of the Subscription type.")
            return None
        node = operation.selection_set.selections[0]
        parent = schema.subscription_type
        if not self.realtime.authenticator.allowed(self.api, self.scope, who, parent, node.name.value, root=True):
            self._error(sub_id, "Unauthorized", f"Not Authorized to access {node.name.value} on type {parent.name}")
            return None
        raw = request.get("variables") or {}
        coerced = get_variable_values(schema, operation.variable_definitions or (), raw)
        if isinstance(coerced, list):
            self.deliver({"type": "error", "id": sub_id, "payload": {"errors": [{"message": e.message,
                                                                                  "errorType": "ValidationError"}
                                                                                 for e in coerced]}})
            return None
        arguments = get_argument_values(parent.fields[node.name.value], node, coerced)
        variables = dict(coerced.coerced)
        extensions = await self._resolve(sub_id, who, arguments, variables, node, parent)
        if extensions is None:
            return None
        return Subscriber(sub_id, self.deliver, self.scope, self.api.api_id, node.name.value, document,
                          request.get("operationName"), raw, arguments, extensions.get("filter"),
                          extensions.get("invalidation_filter"), self._invalidated)

    def _invalidated(self, subscriber: Subscriber) -> None:
        """A mutation invalidated this subscription: the client is told it is complete."""
        if self.subscriptions.get(subscriber.id) is subscriber:
            del self.subscriptions[subscriber.id]
            self.deliver({"type": "complete", "id": subscriber.id})

    async def _resolve(self, sub_id: str, who: Identity, arguments: dict, variables: dict, node, parent) -> dict | None:
        """Run the subscription field's resolver, if it has one, at subscribe time (as AppSync
        does): its errors refuse the subscription, its extensions set the filter."""
        state = self.realtime.executor.state
        resolver = state.resolver(self.scope, self.api.api_id, parent.name, node.name.value)
        if resolver is None:
            return {}
        run = Run(self.api, self.scope, who, {}, variables)
        context = self.realtime.executor.context(run, None, arguments, node.name.value, parent.name, node.selection_set)
        try:
            await self.realtime.executor.run_resolver(run, resolver, context, Util())
        except ResolverError as error:
            self._error(sub_id, error.error_type or "ResolverError", error.message)
            return None
        return context.get("extensions") or {}

