"""What AppSync's two real-time WebSocket protocols share: GraphQL subscriptions (realtime.py,
subprotocol ``graphql-ws``) and Event APIs' channels (event_realtime.py, ``aws-appsync-event-ws``).

Both carry their connection's authorization as base64 JSON headers in the handshake (a
``header`` query parameter or a ``header-<base64url>`` subprotocol), both keep acknowledged
connections alive with ``ka`` messages from one timer, and both send to each client through its
own queue, so a slow client never holds up a publisher or other clients. A protocol subclasses
``Socket`` with what it does with a client's message."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections import deque
from typing import Callable
from urllib.parse import parse_qs

import orjson

log = logging.getLogger(__name__)

_QUEUE_LIMIT = 10_000  # a client this far behind is disconnected rather than buffered without end
_KA = b'{"type":"ka"}'


def decode_headers(text: str | None) -> dict[str, str] | None:
    """Headers sent as base64 (or base64url, padded or not) JSON, lower-cased; None if unreadable."""
    if not text:
        return None
    try:
        padded = text + "=" * (-len(text) % 4)
        headers = orjson.loads(base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_")))
    except (ValueError, orjson.JSONDecodeError):
        return None
    return {str(k).lower(): str(v) for k, v in headers.items()} if isinstance(headers, dict) else None


def handshake_auth(scope: dict) -> dict[str, str] | None:
    """The authorization headers a client opened the WebSocket with: the ``header`` query
    parameter, else a ``header-<base64url>`` subprotocol."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    auth = decode_headers((query.get("header") or [None])[0])
    for protocol in scope.get("subprotocols") or []:
        if auth is None and protocol.startswith("header-"):
            auth = decode_headers(protocol[len("header-"):])
    return auth


def handshake_headers(scope: dict) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


class KeepAlive:
    """One timer sends every acknowledged connection of the service its ``ka``: no task per idle
    connection, whichever protocol it speaks."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.acknowledged: set[Socket] = set()
        self._ticker: asyncio.Task | None = None

    def add(self, connection: "Socket") -> None:
        self.acknowledged.add(connection)
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.ensure_future(self._tick())

    def discard(self, connection: "Socket") -> None:
        self.acknowledged.discard(connection)

    async def stop(self) -> None:
        """The cloud stops: the timer with it (connections end with the server)."""
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
            self._ticker = None

    async def _tick(self) -> None:
        while self.acknowledged:
            await asyncio.sleep(self.seconds)
            for connection in list(self.acknowledged):
                connection.deliver(_KA)


class Socket:
    """One client. An idle connection holds this object and nothing else of its own: no task
    waits for it (uvicorn's task reads its messages, one task flushes what it is sent only while
    something is pending) and its outgoing queue exists only while it has messages."""

    __slots__ = ("send", "source_ip", "keepalive", "pending", "_flusher")

    def __init__(self, send: Callable, client, keepalive: KeepAlive) -> None:
        self.send = send
        self.source_ip = client[0] if client else "127.0.0.1"
        self.keepalive = keepalive
        # Messages waiting to be sent (text; None: close), made on the first and dropped when sent.
        self.pending: deque[str | None] | None = None
        self._flusher: asyncio.Future | None = None

    # -- what a protocol says ----------------------------------------------------------------
    async def on_message(self, text: str) -> bool:
        """Handle one client message; True once the connection is acknowledged."""
        raise NotImplementedError

    def internal_error(self) -> dict:
        """The message a client gets when handling its message failed unexpectedly."""
        raise NotImplementedError

    def closed(self) -> None:
        """The client went away: drop what it subscribed to."""

    # -- sending -------------------------------------------------------------------------------
    def deliver(self, message: dict | bytes) -> None:
        """Queue one message (a dict, or its JSON already made: one payload serves many)."""
        if self.pending is None:
            self.pending = deque()
        if len(self.pending) >= _QUEUE_LIMIT:
            self.pending.append(None)  # too far behind: the flusher closes the connection
        else:
            self.pending.append((message if isinstance(message, bytes) else orjson.dumps(message)).decode())
        self._flush_soon()

    def close(self) -> None:
        if self.pending is None:
            self.pending = deque()
        self.pending.append(None)
        self._flush_soon()

    def _flush_soon(self) -> None:
        """Send at once: uvicorn writes to a client that keeps up without waiting, so a flush
        usually ends here, with no task made (a task each made fanning out to 10,000 clients cost
        more than the sending). A flush that must wait (the client's buffer is full) goes on in
        a task of its own, so a slow client holds up nobody else."""
        if self._flusher is not None:
            return
        flush = self._flush()
        try:
            waiting = flush.send(None)
        except StopIteration:
            return
        self._flusher = asyncio.ensure_future(_go_on(flush, waiting))

    async def _flush(self) -> None:
        """Send what is pending, in order, then end (a slow client holds up only this task)."""
        try:
            while self.pending:
                message = self.pending.popleft()
                if message is None:
                    self.pending.clear()
                    await self.send({"type": "websocket.close", "code": 1013})
                    return
                await self.send({"type": "websocket.send", "text": message})
        except Exception:  # noqa: BLE001 - the client went away: what is pending goes nowhere
            self.pending = None
        finally:
            self._flusher = None
            if not self.pending:
                self.pending = None

    # -- receiving -----------------------------------------------------------------------------
    async def serve(self, receive: Callable) -> None:
        try:
            while True:
                event = await receive()
                if event["type"] == "websocket.disconnect":
                    return
                text = event.get("text") or (event.get("bytes") or b"").decode("utf-8", "replace")
                try:
                    acknowledged = await self.on_message(text)
                except Exception:  # noqa: BLE001 - one bad message must not end the connection
                    log.exception("AppSync real-time message failed")
                    self.deliver(self.internal_error())
                    continue
                if acknowledged:
                    self.keepalive.add(self)
        finally:
            self.closed()
            self.keepalive.discard(self)
            if self._flusher is not None:
                self._flusher.cancel()


async def _go_on(coroutine, waiting) -> None:
    """Drive a coroutine that was started outside a task and had to wait for ``waiting`` (the
    future it yielded, as asyncio's own tasks drive coroutines): each time what it waits for is
    done, resume it; it reads the outcome itself. Cancelling this task cancels what it waits for,
    which the coroutine then sees."""
    while True:
        try:
            if waiting is None:
                await asyncio.sleep(0)
            else:
                waiting._asyncio_future_blocking = False  # taken over, as a task's step does
                await waiting
        except BaseException:  # noqa: BLE001 - the coroutine's own await raises it when resumed
            if waiting is None or not waiting.done():
                coroutine.close()
                raise
        try:
            waiting = coroutine.send(None)
        except StopIteration:
            return
