"""Memcached data plane: the configuration endpoint that auto-discovery clients ask, and how a
Memcached node runs (threads and memory from its node type, flags from its parameter group).

The configuration endpoint listens on its own loopback address on 11211, as a cluster's
``ConfigurationEndpoint`` does. It answers ``config get cluster`` (engine 1.4.14 and later) and
``get AmazonElastiCache:cluster`` (earlier engines) in ElastiCache's format::

    CONFIG cluster 0 <length>\\r\\n<version>\\n<host>|<ip>|<port> <host>|<ip>|<port>\\n\\r\\nEND\\r\\n

where the version is bumped on every change of the node list. Every other command is forwarded
to one of the cluster's running nodes, as on AWS the configuration endpoint's DNS name resolves
to one of the nodes. Clients may pipeline: to keep answers in order, a configuration request that
arrives while forwarded commands are outstanding is queued behind a meta no-op (``mn``) sent to
the node, and answered when the node's ``MN`` comes back.

Host names: AWS lists each node's DNS name; here the host is the node's own address, which
resolves everywhere without a DNS server, and the ip field carries the same address.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections import deque
from pathlib import Path
from typing import Callable

from regionbox.services.elasticache import engine_catalog as catalog

log = logging.getLogger("regionbox.elasticache.memcached")

LEGACY_KEY = b"AmazonElastiCache:cluster"
# Requests that carry a data block after the command line: (command, index of the length word).
_DATA_LENGTH_WORD = {b"set": 4, b"add": 4, b"replace": 4, b"append": 4, b"prepend": 4, b"cas": 4, b"ms": 2}

# Memory left to the OS and connections, as ElastiCache's memcached_connections_overhead.
OVERHEAD_MB = 100


# Parameters of the memcached families that are command-line flags of memcached.
_FLAG_PARAMETERS = {
    "max_item_size": "-I", "chunk_size": "-n", "chunk_size_growth_factor": "-f", "backlog_queue_limit": "-b",
    "max_simultaneous_connections": "-c", "binding_protocol": "-B",
}
_BOOLEAN_FLAGS = {"cas_disabled": "-C", "large_memory_pages": "-L", "lock_down_paged_memory": "-k",
                  "error_on_memory_exhausted": "-M"}
_EXTENDED = {"idle_timeout", "lru_crawler", "lru_maintainer", "slab_reassign", "slab_automove", "hash_algorithm",
             "hashpower_init", "modern", "watcher_logbuf_size", "worker_logbuf_size", "track_sizes"}


def memcached_options(node_type: str, parameters: dict[str, str], tls: tuple[Path, Path] | None = None) -> dict:
    """memcached flags for a node: -t from the node type's vCPUs, -m from its memory, the
    parameter group's settings (``-I 2m``, ``-c 65000``, ``-o idle_timeout=30`` ...), and TLS
    (``-Z`` with the node's certificate) for in-transit encryption."""
    # One worker thread per vCPU, as ElastiCache runs memcached.
    threads, memory_gib = catalog.node_resources(node_type)
    overhead = int(parameters.get("memcached_connections_overhead", OVERHEAD_MB))
    options: dict = {"-t": threads, "-m": max(int(memory_gib * 1024) - overhead, 16)}
    extended = []
    for name, value in parameters.items():
        if name in _FLAG_PARAMETERS:
            options[_FLAG_PARAMETERS[name]] = value
        elif name in _BOOLEAN_FLAGS and value in ("1", "true", "yes"):
            options[_BOOLEAN_FLAGS[name]] = True
        elif name in _EXTENDED and value not in ("0", "false", "no"):
            extended.append(name if value in ("1", "true", "yes") else f"{name}={value}")
    if tls is not None:
        options["-Z"] = True
        extended += [f"ssl_chain_cert={tls[0]}", f"ssl_key={tls[1]}"]
    if extended:
        options["-o"] = ",".join(extended)
    return options


# -- auto-discovery ---------------------------------------------------------------------------------
def cluster_config(version: int, nodes: list[tuple[str, int]]) -> bytes:
    """The configuration text: version line, then the nodes as host|ip|port, then a blank line."""
    listing = " ".join(f"{address}|{address}|{port}" for address, port in nodes)
    return f"{version}\n{listing}\n".encode()


def config_reply(version: int, nodes: list[tuple[str, int]], legacy: bool = False) -> bytes:
    body = cluster_config(version, nodes)
    header = b"VALUE %s 0 %d" % (LEGACY_KEY, len(body)) if legacy else b"CONFIG cluster 0 %d" % len(body)
    return header + b"\r\n" + body + b"\r\nEND\r\n"


# What the endpoint needs to know about its cluster, read fresh for every request:
# (config version, nodes listed, nodes running that commands may be forwarded to).
ClusterView = Callable[[], tuple[int, list[tuple[str, int]], list[tuple[str, int]]]]


class ConfigurationEndpoint:
    """``server_tls`` / ``node_tls``: with in-transit encryption, clients speak TLS to the endpoint
    and the endpoint speaks TLS to the nodes."""

    def __init__(self, address: str, port: int, view: ClusterView, server_tls: ssl.SSLContext | None = None,
                 node_tls: ssl.SSLContext | None = None) -> None:
        self.address = address
        self.port = port
        self.view = view
        self.server_tls = server_tls
        self.node_tls = node_tls
        self._server: asyncio.base_events.Server | None = None
        self.clients: set[_ClientSide] = set()

    async def start(self) -> "ConfigurationEndpoint":
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _ClientSide(self), self.address, self.port, reuse_address=True,
                                                ssl=self.server_tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for client in list(self.clients):
            client.close()
        self.clients.clear()

    def reply(self, legacy: bool) -> bytes:
        version, nodes, _ = self.view()
        return config_reply(version, nodes, legacy)


class _Side(asyncio.Protocol):
    """One side of a forwarded connection: cuts its byte stream into lines, passing data blocks
    through untouched, and stops reading while the other side's send buffer is full."""

    peer_transport: asyncio.Transport | None = None
    inbox: bytearray
    skip: int = 0  # bytes of a data block still to pass through

    def lines(self, data: bytes, out: bytearray):
        """The complete lines in what has arrived; a handler that sees a line announcing a data
        block sets ``skip``, and the block goes to ``out`` as it arrives."""
        buffer = self.inbox
        buffer += data
        position = 0
        try:
            while True:
                if self.skip:
                    taken = min(self.skip, len(buffer) - position)
                    out += buffer[position:position + taken]
                    position += taken
                    self.skip -= taken
                    if self.skip:
                        return
                end = buffer.find(b"\n", position)
                if end < 0:
                    return
                line = bytes(buffer[position:end + 1])
                position = end + 1
                yield line
        finally:
            del buffer[:position]

    def pause_writing(self) -> None:
        if self.peer_transport is not None:
            self.peer_transport.pause_reading()

    def resume_writing(self) -> None:
        if self.peer_transport is not None:
            self.peer_transport.resume_reading()


class _ClientSide(_Side):
    """One client of the configuration endpoint. Requests are cut at command boundaries (data
    blocks of storage commands pass through untouched); configuration requests are answered here,
    everything else goes to a node over one connection opened at the first forwarded command."""

    def __init__(self, endpoint: ConfigurationEndpoint) -> None:
        self.endpoint = endpoint
        self.transport: asyncio.Transport | None = None
        self.node: _NodeSide | None = None
        self.connecting = False
        self.connecting_task: asyncio.Task | None = None
        self.inbox = bytearray()
        self.outbox: list[bytes] = []  # forwarded bytes waiting for the node connection
        # One entry per ``mn`` sent to the node: the configuration reply to send in place of its
        # MN, or None for the client's own ``mn``.
        self.waiting: deque[bytes | None] = deque()

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.endpoint.clients.add(self)

    def data_received(self, data: bytes) -> None:
        forward = bytearray()
        quitting = False
        for line in self.lines(data, forward):
            words = line.split()
            command = words[0].lower() if words else b""
            if command == b"config" or (command in (b"get", b"gets") and words[1:] == [LEGACY_KEY]):
                reply = b"ERROR\r\n" if command == b"config" and words[1:3] != [b"get", b"cluster"] else self.endpoint.reply(command != b"config")
                if self.node is None and not self.connecting and not forward:
                    self.transport.write(reply)  # nothing outstanding at a node: answer at once
                else:
                    forward += b"mn\r\n"
                    self.waiting.append(reply)
                continue
            if command == b"quit":
                quitting = True
                break
            forward += line
            if command == b"mn":
                self.waiting.append(None)
            length_word = _DATA_LENGTH_WORD.get(command)
            if length_word is not None and len(words) > length_word and words[length_word].isdigit():
                self.skip = int(words[length_word]) + 2
        if forward:
            self.send(bytes(forward))
        if quitting:
            self.close()

    def send(self, data: bytes) -> None:
        if self.node is not None and self.node.transport is not None:
            self.node.transport.write(data)
            return
        self.outbox.append(data)
        if not self.connecting:
            self.connecting = True
            # Held here: the event loop keeps only a weak reference to a task.
            self.connecting_task = asyncio.get_running_loop().create_task(self.connect())

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        _, _, running = self.endpoint.view()
        for address, port in running:
            try:
                _, node = await loop.create_connection(lambda: _NodeSide(self), address, port, ssl=self.endpoint.node_tls)
            except OSError:
                continue
            if self.transport is None or self.transport.is_closing():
                node.transport.close()
                return
            self.node, self.connecting = node, False
            self.peer_transport = node.transport
            node.transport.write(b"".join(self.outbox))
            self.outbox.clear()
            return
        self.connecting = False
        if self.transport is not None:
            self.transport.write(b"SERVER_ERROR no cache node available\r\n")
            self.close()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc) -> None:
        self.endpoint.clients.discard(self)
        if self.node is not None and self.node.transport is not None:
            self.node.transport.close()
        self.transport = None


class _NodeSide(_Side):
    """The node's answers on their way back, cut at answer boundaries to find our MN markers."""

    def __init__(self, client: _ClientSide) -> None:
        self.client = client
        self.transport: asyncio.Transport | None = None
        self.peer_transport = client.transport
        self.inbox = bytearray()

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        out = bytearray()
        waiting = self.client.waiting
        for line in self.lines(data, out):
            if line.startswith(b"VALUE "):
                self.skip = int(line.split()[3]) + 2
            elif line.startswith(b"VA "):
                self.skip = int(line.split()[1]) + 2
            elif line == b"MN\r\n" and waiting:
                marker = waiting.popleft()
                if marker is not None:
                    line = marker
            out += line
        if out and self.client.transport is not None:
            self.client.transport.write(bytes(out))

    def connection_lost(self, exc) -> None:
        # The node went away (crash, AZ outage): the client sees its connection close, as it
        # would on AWS, and reconnects.
        self.transport = None
        self.client.close()
