"""Connections that do nothing cannot starve the ones that work.

uvicorn times a connection out only between requests, after a response; a client that connects
and never sends a request, or sends its headers a byte at a time, would hold its socket forever,
and a thousand of them exhaust the process's file descriptors so that new clients wait or are
reset. So each request's headers must arrive within ``header_timeout`` seconds of its first byte
(or of the connection, for the first one), and when open connections near the descriptor limit
the ones idle longest are closed first, as a load balancer sheds idle connections.
"""

from __future__ import annotations

import asyncio
import resource
from collections import OrderedDict

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# Descriptors kept for everything that is not a client connection (SQLite, engines, listeners).
RESERVED_DESCRIPTORS = 128


def connection_budget() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(64, (soft if soft != resource.RLIM_INFINITY else 65536) - RESERVED_DESCRIPTORS)


class GuardedHttpProtocol(HttpToolsProtocol):
    header_timeout = 10.0
    budget = 1024 - RESERVED_DESCRIPTORS  # set from the process's limit when the server starts
    # Connections waiting for a request (new or kept alive), oldest first: the first to shed.
    idle: "OrderedDict[GuardedHttpProtocol, None]" = OrderedDict()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_deadline: asyncio.TimerHandle | None = None
        self._arm_header_deadline()
        self._set_idle(True)
        if len(self.connections) > self.budget:
            self._shed_oldest_idle()  # one out for each one in: closing completes later

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        self._set_idle(False)
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        self._set_idle(False)
        if self._header_deadline is None:
            self._arm_header_deadline()
        super().on_message_begin()
        # ASGI lower-cases header names, but API Gateway hands a Lambda proxy integration the
        # client's own spelling: the names as sent, in the order of scope["headers"].
        self._header_names: list[bytes] = []
        self.scope["extensions"] = {"regionbox.header_names": self._header_names}

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_names.append(name)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm_header_deadline()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._set_idle(True)

    # -- deadlines and shedding ------------------------------------------------------------------
    def _arm_header_deadline(self) -> None:
        self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def _set_idle(self, idle: bool) -> None:
        if idle:
            self.idle[self] = None
            self.idle.move_to_end(self)
        else:
            self.idle.pop(self, None)

    def _shed_oldest_idle(self) -> bool:
        for victim in self.idle:
            if victim is not self:
                self.idle.pop(victim)
                victim.transport.close()
                return True
        return False


class _Inbox:
    """What uvicorn's WebSocket protocol uses of an asyncio.Queue (put_nowait, get, empty), for
    one reader: a Queue is four deques and an Event, about 3 KB for every idle connection."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list | None = None
        self._waiter: asyncio.Future | None = None

    def put_nowait(self, item) -> None:
        if self._items is None:
            self._items = []
        self._items.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    async def get(self):
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        item = self._items.pop(0)
        if not self._items:
            self._items = None
        return item


class _Flag:
    """asyncio.Event's wait/set/clear/is_set without a deque of waiters held while nobody waits."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = True
        self._waiters: list[asyncio.Future] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        for waiter in self._waiters or ():
            if not waiter.done():
                waiter.set_result(None)
        self._waiters = None

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> None:
        if self._set:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters = [*(self._waiters or ()), waiter]
        await waiter


def light_websocket_protocol() -> type | str:
    """LightWebSocketProtocol, or uvicorn's own choice ("auto") where uvicorn is older than its
    sans-I/O WebSocket protocol."""
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    except ImportError:
        return "auto"

    class LightWebSocketProtocol(WebSocketsSansIOProtocol):
        """uvicorn's WebSocket protocol (websockets' sans-I/O one, as uvicorn picks by default) with
        less held per idle connection, for AppSync's thousands of idle subscribers: a small inbox and
        flag instead of an asyncio.Queue and Event, and the handshake's request and response (their
        headers) let go once the connection is accepted. The wire behaviour is uvicorn's own."""

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.queue = _Inbox()  # type: ignore[assignment]
            self.writable = _Flag()  # type: ignore[assignment]

        async def send(self, message) -> None:  # type: ignore[override]
            await super().send(message)
            if self.handshake_complete and getattr(self, "response", None) is not None:
                self.request = self.response = None  # type: ignore[assignment]

    return LightWebSocketProtocol
