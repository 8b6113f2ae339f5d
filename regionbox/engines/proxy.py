"""Endpoint proxies: stable addresses (primary, reader, configuration) that forward TCP to
whichever node currently holds the role, as ElastiCache's DNS names follow a failover.

All proxies run on one event loop in a thread of their own (uvloop when installed), so that
forwarding bytes never waits behind control-plane work on the main loop. Forwarding uses
protocol callbacks, not streams: each chunk read is written straight to the other side, and
reading pauses while the other side's buffer is full.

``set_targets`` changes the nodes behind an endpoint; connections to nodes that no longer hold
the role are closed, so clients reconnect and reach the new primary, as they do on AWS when the
old primary goes away.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from typing import Iterable

log = logging.getLogger("regionbox.engines.proxy")

Target = tuple[str, int]


class _Pipe(asyncio.Protocol):
    """One side of a proxied connection; ``peer`` is the other side."""

    def __init__(self, proxy: "EndpointProxy") -> None:
        self.proxy = proxy
        self.transport: asyncio.Transport | None = None
        self.peer: _Pipe | None = None
        self.pending: list[bytes] = []
        self.target: Target | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        peer = self.peer
        if peer is not None and peer.transport is not None:
            peer.transport.write(data)
        else:
            self.pending.append(data)

    def eof_received(self):
        if self.peer is not None and self.peer.transport is not None and self.peer.transport.can_write_eof():
            self.peer.transport.write_eof()
            return True
        return False

    def connection_lost(self, exc) -> None:
        self.proxy.connections.discard(self)
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.close()

    # Backpressure: when our outgoing buffer is full, stop reading from the other side.
    def pause_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.resume_reading()


class _ClientSide(_Pipe):
    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self.proxy.connections.add(self)
        transport.pause_reading()
        asyncio.get_running_loop().create_task(self._connect())

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        for target in self.proxy.candidates():
            try:
                _, upstream = await loop.create_connection(lambda: _Pipe(self.proxy), *target)
            except OSError:
                continue
            if self.transport is None or self.transport.is_closing():
                upstream.transport.close()
                return
            upstream.peer, self.peer, self.target = self, upstream, target
            for chunk in self.pending:
                upstream.transport.write(chunk)
            self.pending.clear()
            self.transport.resume_reading()
            return
        # No node holds the role right now (failover in progress): refuse, the client retries.
        if self.transport is not None:
            self.transport.close()


class EndpointProxy:
    def __init__(self, hub: "ProxyHub", address: str, port: int, targets: list[Target]) -> None:
        self.hub = hub
        self.address = address
        self.port = port
        self.targets = list(targets)
        self.connections: set[_ClientSide] = set()
        self._server: asyncio.base_events.Server | None = None
        self._round_robin = itertools.count()

    def candidates(self) -> list[Target]:
        """Targets to try for a new connection: round robin, then the others as fallbacks."""
        if not self.targets:
            return []
        start = next(self._round_robin) % len(self.targets)
        return self.targets[start:] + self.targets[:start]

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _ClientSide(self), self.address, self.port, reuse_address=True)

    def _set_targets(self, targets: list[Target]) -> None:
        self.targets = list(targets)
        for connection in list(self.connections):
            if connection.target is not None and connection.target not in self.targets and connection.transport is not None:
                connection.transport.close()

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for connection in list(self.connections):
            if connection.transport is not None:
                connection.transport.close()
        if self._server is not None:
            await self._server.wait_closed()

    # -- thread-safe API (called from the main loop) ------------------------------------------------
    def set_targets(self, targets: Iterable[Target]) -> None:
        self.hub.call(self._set_targets, list(targets))

    def close(self) -> None:
        self.hub.run(self._close())


class ProxyHub:
    """The proxy thread and its event loop."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _ensure_started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self.loop is None:
                try:
                    import uvloop

                    loop = uvloop.new_event_loop()
                except ImportError:
                    loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                self._thread = threading.Thread(target=run, name="regionbox-proxies", daemon=True)
                self._thread.start()
                ready.wait()
                self.loop = loop
            return self.loop

    def run(self, coroutine, timeout: float = 30):
        loop = self._ensure_started()
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout)

    def call(self, function, *args) -> None:
        self._ensure_started().call_soon_threadsafe(function, *args)

    def open(self, address: str, port: int, targets: Iterable[Target] = ()) -> EndpointProxy:
        """Listen on (address, port) and forward each connection to one of ``targets``."""
        proxy = EndpointProxy(self, address, port, list(targets))
        self.run(proxy._open())
        return proxy

    def shutdown(self) -> None:
        with self._lock:
            loop, self.loop = self.loop, None
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(5)
