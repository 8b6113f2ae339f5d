"""Data-plane listeners: servers a service runs on an address of its own, placed in an AZ.

An SFTP endpoint, a DAX node, a load balancer node: each listens on its own loopback address (the
cloud's one ``AddressAllocator``) on the protocol's usual port, in one Availability Zone. The
cloud owns their lifetime: ``regionbox az outage`` stops every listener of the zone and drops
its connections, as a power loss would, and ``restore`` starts them again on the same address.

    listener = await cloud.listeners.open_tcp(owner="dax", zone="us-east-1a", port=8111, handle=serve_client)
    listener.address, listener.port, listener.serving
    await cloud.listeners.close(listener)

``open`` takes any server factory ``serve(address, port) -> server`` whose result has
``close()`` and ``wait_closed()`` (asyncio's servers, asyncssh's acceptors); ``open_tcp`` builds
one from a stream handler and ``open_http`` from an ASGI application.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Protocol

from regionbox.core.addresses import AddressAllocator
from regionbox.core.events import EventBus
from regionbox.core.topology import Topology

log = logging.getLogger("regionbox.listeners")


class Closable(Protocol):
    def close(self) -> Any: ...

    async def wait_closed(self) -> Any: ...


ServerFactory = Callable[[str, int], Awaitable[Closable]]
StreamHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass(eq=False)
class Listener:
    owner: str  # the service that opened it
    zone: str
    address: str
    port: int
    serve: ServerFactory = field(repr=False)
    server: Closable | None = field(default=None, repr=False)

    @property
    def serving(self) -> bool:
        return self.server is not None

    @property
    def endpoint(self) -> tuple[str, int]:
        return self.address, self.port


class Listeners:
    def __init__(self, addresses: AddressAllocator, topology: Topology, bus: EventBus) -> None:
        self.addresses = addresses
        self.topology = topology
        self._listeners: list[Listener] = []
        bus.subscribe("az.outage", self._on_outage)
        bus.subscribe("az.restore", self._on_restore)

    def of(self, owner: str) -> list[Listener]:
        return [listener for listener in self._listeners if listener.owner == owner]

    async def open(self, *, owner: str, zone: str, port: int, serve: ServerFactory,
                   address: str | None = None) -> Listener:
        """Allocate an address in ``zone`` (or take ``address``, restored from state) and start
        serving there unless the zone is down; it starts when the zone comes back."""
        if address is None:
            address, port = self.addresses.allocate(port)
        else:
            self.addresses.reserve(address, port)
        listener = Listener(owner, zone, address, port, serve)
        self._listeners.append(listener)
        if self.topology.is_available(zone):
            try:
                await self._start(listener)
            except BaseException:
                self._listeners.remove(listener)
                self.addresses.release(address, port)
                raise
        return listener

    async def open_tcp(self, *, owner: str, zone: str, port: int, handle: StreamHandler, ssl=None,
                       address: str | None = None, shared_address: str | None = None) -> Listener:
        """A plain TCP server: ``handle(reader, writer)`` per connection. An outage aborts the
        connections it has open, not only the listening socket. ``shared_address`` as for
        ``open_http``: it also listens there, beside the other listeners sharing it (SO_REUSEPORT),
        as a DAX cluster's discovery endpoint answers with the nodes that are up."""
        return await self.open(owner=owner, zone=zone, port=port, address=address,
                               serve=lambda host, number: _StreamServer.start(host, number, handle, ssl, shared_address))

    async def open_http(self, *, owner: str, zone: str, port: int, app: Callable, address: str | None = None,
                        shared_address: str | None = None, tls: tuple[Path, Path] | None = None) -> Listener:
        """An HTTP/1.1 server (uvicorn, keep-alive, streaming) running the ASGI ``app``.

        With ``shared_address`` it also listens on (shared_address, port) with SO_REUSEPORT, beside
        the other listeners sharing that address: the kernel spreads new connections over those
        that serve, as a DNS name answers the addresses of the nodes that are up (a load balancer's
        nodes in their AZs). The caller holds the shared address in the allocator. With ``tls``
        (certificate and key files, ``cloud.ca.issue``) it serves HTTPS."""
        return await self.open(owner=owner, zone=zone, port=port, address=address,
                               serve=lambda host, number: _HttpServer.start(host, number, app, shared_address, tls))

    async def close(self, listener: Listener) -> None:
        await self._stop(listener)
        if listener in self._listeners:
            self._listeners.remove(listener)
        self.addresses.release(listener.address, listener.port)

    async def close_owner(self, owner: str) -> None:
        for listener in self.of(owner):
            await self.close(listener)

    async def close_all(self) -> None:
        for listener in list(self._listeners):
            await self.close(listener)

    async def _start(self, listener: Listener) -> None:
        if listener.server is None:
            listener.server = await listener.serve(listener.address, listener.port)

    @staticmethod
    async def _stop(listener: Listener) -> None:
        server, listener.server = listener.server, None
        if server is not None:
            server.close()
            await server.wait_closed()

    async def _on_outage(self, _topic: str, zone) -> None:
        for listener in [item for item in self._listeners if item.zone == zone.name]:
            await self._stop(listener)

    async def _on_restore(self, _topic: str, zone) -> None:
        for listener in [item for item in self._listeners if item.zone == zone.name]:
            try:
                await self._start(listener)
            except OSError:
                log.exception("restarting listener %s:%s after the outage of %s failed",
                              listener.address, listener.port, zone.name)


class _StreamServer:
    """asyncio's stream server, plus the connections it has open (3.11's close() leaves them)."""

    def __init__(self, handle: StreamHandler) -> None:
        self.handle = handle
        self.servers: list[asyncio.Server] = []
        self.writers: set[asyncio.StreamWriter] = set()

    @classmethod
    async def start(cls, address: str, port: int, handle: StreamHandler, ssl,
                    shared_address: str | None = None) -> "_StreamServer":
        server = cls(handle)
        server.servers.append(await asyncio.start_server(server._serve, address, port, ssl=ssl, reuse_address=True))
        if shared_address is not None:
            try:
                server.servers.append(await asyncio.start_server(server._serve, shared_address, port, ssl=ssl,
                                                                 reuse_address=True, reuse_port=True))
            except OSError:
                server.close()
                await server.wait_closed()
                raise
        return server

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            await self.handle(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except Exception:  # noqa: BLE001 - one connection's failure must never stop the listener
            log.exception("connection handler failed")
        finally:
            self.writers.discard(writer)
            writer.close()

    def close(self) -> None:
        for server in self.servers:
            server.close()
        for writer in list(self.writers):
            writer.transport.abort()

    async def wait_closed(self) -> None:
        for server in self.servers:
            await server.wait_closed()


class _HttpServer:
    """uvicorn serving an ASGI app on its address (and a shared one); closing drops its connections at once."""

    def __init__(self, server, task: asyncio.Task) -> None:
        self.server = server
        self.task = task

    @classmethod
    async def start(cls, address: str, port: int, app: Callable, shared_address: str | None = None,
                    tls: tuple[Path, Path] | None = None) -> "_HttpServer":
        import uvicorn

        sockets = [bound_socket(address, port, shared=False)]
        if shared_address is not None:
            try:
                sockets.append(bound_socket(shared_address, port, shared=True))
            except OSError:
                sockets[0].close()
                raise
        # The app answers for itself (a load balancer passes its target's Server and Date on):
        # uvicorn adds neither header, and the client is the peer of the connection, never what
        # an X-Forwarded-For header the client sent claims.
        config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False, http="httptools",
                                timeout_graceful_shutdown=None, server_header=False, date_header=False,
                                proxy_headers=False, ssl_certfile=str(tls[0]) if tls else None,
                                ssl_keyfile=str(tls[1]) if tls else None)
        server = uvicorn.Server(config)
        # The cloud owns signals. uvicorn >= 0.29 takes SIGINT/SIGTERM in capture_signals() for as
        # long as a server runs and puts back what it found when it stops: listeners that open and
        # close in any order would leave `regionbox up` deaf to SIGTERM, its handler a stopped server's.
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign] - uvicorn < 0.29
        server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]
        task = asyncio.get_running_loop().create_task(server.serve(sockets=sockets))
        while not server.started:
            if task.done():
                for sock in sockets:
                    sock.close()
                task.result()
                raise OSError(f"HTTP listener on {address}:{port} did not start")
            await asyncio.sleep(0.005)
        return cls(server, task)

    def close(self) -> None:
        self.server.should_exit = True
        self.server.force_exit = True

    async def wait_closed(self) -> None:
        await asyncio.gather(self.task, return_exceptions=True)


def bound_socket(address: str, port: int, *, shared: bool) -> socket.socket:
    """A TCP socket bound (not yet listening) to (address, port) with TCP_NODELAY, and with
    SO_REUSEPORT when ``shared``: for servers a service builds itself on ``open`` (a load
    balancer node's proxy), sharing an address as ``open_http`` does."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if shared:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        # Accepted connections inherit it: uvicorn writes a response's head and body separately,
        # and Nagle's algorithm would hold the body back for the client's delayed ACK (40 ms).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((address, port))
    except OSError:
        sock.close()
        raise
    return sock
