"""The DAX data plane: what each cluster node serves on its TCP listener (8111, and 9111 with TLS).

The control plane starts one ``NodeServer`` per node and gives its ``handle`` to
``cloud.listeners.open_tcp``; the node speaks the DAX protocol (``regionbox.protocol.dax``) to
the official clients: it authenticates each connection (``auth.py``), answers ``endpoints``
with the cluster's live nodes, teaches key schemas and attribute lists, and runs the data
operations against DynamoDB as the cluster's role with DAX's caches in front (``items.py``,
``listings.py``, ``batches.py``). Each node caches on its own, as on AWS; ``clear`` (reboot,
replacement) makes it cold. A malformed stream or an unknown method gets DAX's error and ends
that connection only.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import dataclass
from typing import Any, Callable, Protocol

import cbor2

from regionbox.core import ids
from regionbox.protocol.dax import codes
from regionbox.protocol.dax.stream import (SUCCESS, ConnectionEnded, ItemReader, ProtocolError, error_frame,
                                           handshake, protocol_error_frame)
from regionbox.protocol.dax.values import BadValue
from regionbox.services.dax.dataplane import batches, items, listings
from regionbox.services.dax.dataplane.auth import ACTIONS, TRANSACT_ACTIONS, AuthenticationFailed, Authorizer, \
    authenticate
from regionbox.services.dax.dataplane.node import Failure, Node, validation

log = logging.getLogger(__name__)
DRAIN_ABOVE = 256 * 1024


@dataclass
class NodeEndpoint:
    node_id: str
    address: str
    port: int
    az: str
    role: str  # "primary" | "replica"


@dataclass
class CacheSettings:
    record_ttl_ms: int
    query_ttl_ms: int
    memory_bytes: int


class NodeView(Protocol):
    """What the control plane tells a node about itself; one per node, read live."""

    account: str
    region: str
    cluster_name: str
    node_id: str
    role_arn: str

    def settings(self) -> CacheSettings: ...

    def endpoints(self) -> list[NodeEndpoint]: ...  # the cluster's live nodes now


class _Connection:
    __slots__ = ("caller", "credentials", "refusal", "local_port", "decisions")

    def __init__(self, local_port: int) -> None:
        self.caller = None
        self.credentials = None
        self.decisions: dict[str, str | None] = {}  # IAM action -> denial message (None: allowed)
        self.refusal: AuthenticationFailed | None = AuthenticationFailed(
            "Request is missing Authentication Token", "MissingAuthenticationTokenException")
        self.local_port = local_port


class NodeServer:
    def __init__(self, cloud, view: NodeView) -> None:
        self.cloud = cloud
        self.view = view
        self.node = Node(cloud, view)
        self.authorizer = Authorizer(cloud, view)
        node = self.node
        # method id -> (operation, number of argument items, handler, whether it needs the
        # request's bytes); the operation names the IAM actions checked (None: metadata, open
        # to any authenticated caller)
        self._methods: dict[int, tuple[str | None, int, Callable[..., bytes] | None, bool]] = {
            codes.ENDPOINTS: (None, 0, None, False),
            codes.DEFINE_KEY_SCHEMA: (None, 1, self._define_key_schema, False),
            codes.DEFINE_ATTRIBUTE_LIST_ID: (None, 1, self._define_attribute_list_id, False),
            codes.DEFINE_ATTRIBUTE_LIST: (None, 1, self._define_attribute_list, False),
            codes.GET_ITEM: ("GetItem", 3, lambda *a: items.get_item(node, *a), False),
            codes.PUT_ITEM: ("PutItem", 4, lambda *a: items.put_item(node, *a), False),
            codes.UPDATE_ITEM: ("UpdateItem", 3, lambda *a: items.update_item(node, *a), False),
            codes.DELETE_ITEM: ("DeleteItem", 3, lambda *a: items.delete_item(node, *a), False),
            codes.QUERY: ("Query", 3, lambda *a: listings.query(node, *a), True),
            codes.SCAN: ("Scan", 2, lambda *a: listings.scan(node, *a), True),
            codes.BATCH_GET_ITEM: ("BatchGetItem", 2, lambda *a: batches.batch_get_item(node, *a), False),
            codes.BATCH_WRITE_ITEM: ("BatchWriteItem", 2, lambda *a: batches.batch_write_item(node, *a), False),
            codes.TRANSACT_GET_ITEMS: ("TransactGetItems", 4, lambda *a: batches.transact_get_items(node, *a), False),
            codes.TRANSACT_WRITE_ITEMS: ("TransactWriteItems", 9, lambda *a: batches.transact_write_items(node, *a),
                                         False),
        }

    def clear(self) -> None:
        """Reboot or replacement: the node starts cold."""
        self.node.clear()

    def metrics(self) -> dict[str, int]:
        return self.node.metrics()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        counters = self.node.counters
        counters["ClientConnections"] += 1
        sockname = writer.get_extra_info("sockname")
        connection = _Connection(sockname[1] if sockname else 0)
        stream = ItemReader(reader)
        try:
            await handshake(stream)
            while True:
                answer = await self._request(stream, connection)
                if answer is None:
                    continue
                writer.write(answer)
                if writer.transport.get_write_buffer_size() > DRAIN_ABOVE:
                    await writer.drain()
        except ProtocolError as error:
            counters["ErrorRequestCount"] += 1
            try:
                writer.write(protocol_error_frame(str(error)))
                await writer.drain()
            except (ConnectionError, OSError):
                pass
        except (ConnectionEnded, ConnectionError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            counters["ClientConnections"] -= 1
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass

    async def _request(self, stream: ItemReader, connection: _Connection) -> bytes | None:
        version = await stream.item()
        method = await stream.item()
        if version != codes.REQUEST_VERSION or type(method) is not int:
            raise ProtocolError("Malformed request header.")
        if method == codes.AUTHORIZE_CONNECTION:
            args = [await stream.item() for _ in range(5)]
            self._authorize(connection, args)
            return None
        spec = self._methods.get(method)
        if spec is None:
            raise ProtocolError(f"Unknown method {method}.")
        operation, count, handler, wants_bytes = spec
        if wants_bytes:
            args, raw = [], b""
            for _ in range(count):
                value, sent = await stream.item_with_bytes()
                args.append(value)
                raw += sent
            args.insert(0, raw)
        else:
            args = [await stream.item() for _ in range(count)]
        counters = self.node.counters
        counters["TotalRequestCount"] += 1
        if connection.refusal is not None:
            counters["ErrorRequestCount"] += 1
            refusal = connection.refusal
            return error_frame(codes.AUTHENTICATION_FAILED, refusal.message, ids.request_id(), refusal.code, 403)
        if operation is not None:
            denial = self._denial(connection, operation, args)
            if denial is not None:
                counters["ErrorRequestCount"] += 1
                return error_frame(codes.dynamodb_error_codes("AccessDeniedException"), denial, ids.request_id(),
                                   "AccessDeniedException", 400)
        try:
            if handler is None:
                return SUCCESS + self._endpoints(connection)
            return SUCCESS + handler(*args)
        except Failure as failure:
            counters["ErrorRequestCount"] += 1
            return failure.frame(ids.request_id())
        except BadValue as error:
            counters["ErrorRequestCount"] += 1
            return validation(str(error)).frame(ids.request_id())
        except Exception:  # a bug of ours must not end the node: DAX's internal error, retried
            log.exception("DAX node %s failed on method %s", self.view.node_id, method)
            counters["FaultRequestCount"] += 1
            return error_frame([3, 37, 54], "Internal server error", ids.request_id(), "InternalServerError", 500)

    def _denial(self, connection: _Connection, operation: str, args: list) -> str | None:
        actions = ACTIONS.get(operation)
        if actions is None:  # TransactWriteItems: the actions of its items
            kinds = args[0] if type(args[0]) is list else []
            actions = tuple(sorted({TRANSACT_ACTIONS[k] for k in kinds if k in TRANSACT_ACTIONS})) or ("dax:PutItem",)
        for action in actions:
            if action not in connection.decisions:
                connection.decisions[action] = self.authorizer.denial(connection.caller, connection.credentials, action)
            if connection.decisions[action] is not None:
                return connection.decisions[action]
        return None

    def _authorize(self, connection: _Connection, args: list[Any]) -> None:
        access_key, signature, string_to_sign, token, _agent = args
        connection.decisions.clear()
        try:
            connection.caller = authenticate(self.cloud.credentials, self.view.region, access_key, signature,
                                             string_to_sign, token)
            connection.credentials = self.cloud.credentials.issued(access_key)
            connection.refusal = None
        except AuthenticationFailed as refusal:
            self.node.counters["AuthenticationFailures"] += 1
            connection.caller = connection.credentials = None
            connection.refusal = refusal

    def _endpoints(self, connection: _Connection) -> bytes:
        live = self.view.endpoints()
        mine = next((e for e in live if e.node_id == self.view.node_id), None)
        # every node listens on the same two ports; a client that came in on the TLS port is
        # told the TLS port of every node
        tls = mine is not None and connection.local_port and connection.local_port != mine.port
        out = []
        for number, endpoint in enumerate(live):
            out.append({
                codes.ENDPOINT_NODE: number,
                codes.ENDPOINT_HOSTNAME: endpoint.address,
                codes.ENDPOINT_ADDRESS: socket.inet_aton(endpoint.address),
                codes.ENDPOINT_PORT: connection.local_port if tls else endpoint.port,
                codes.ENDPOINT_ROLE: codes.ROLE_LEADER if endpoint.role == "primary" else codes.ROLE_REPLICA,
                codes.ENDPOINT_AZ: endpoint.az,
                codes.ENDPOINT_LEADER_SESSION: 0,
            })
        return cbor2.dumps(out)

    def _define_key_schema(self, table) -> bytes:
        from regionbox.services.dax.dataplane.requests import table_name
        schema = self.node.key_schema(table_name(table))
        return cbor2.dumps({k["AttributeName"]: k["AttributeType"] for k in schema})

    def _define_attribute_list_id(self, names) -> bytes:
        if type(names) is not list or not all(type(n) is str for n in names):
            raise BadValue("An attribute list is a list of names")
        return cbor2.dumps(self.node.lists.id_of(names))

    def _define_attribute_list(self, list_id) -> bytes:
        names = self.node.lists.names(list_id)
        if names is None:
            raise BadValue(f"Unknown attribute list id {list_id}")
        return cbor2.dumps(list(names))
