"""The data plane of an RDS Proxy: a TCP server on the proxy's endpoint (and on each of its
additional endpoints) that relays every client connection to its target instance's endpoint.

The relay passes the PostgreSQL protocol through: the client's TLS (SSLRequest) and SCRAM login
go end to end to the instance's server, which authenticates the client itself. The proxy decides
what AWS's proxy decides before that: ``RequireTLS`` refuses a client that starts without TLS, the
target group's ``MaxConnectionsPercent`` of the target's max_connections caps the database
connections the proxy holds (a client beyond it waits ``ConnectionBorrowTimeout`` seconds for one,
then is refused), and a client idle for ``IdleClientTimeout`` seconds is disconnected. Following a
Multi-AZ failover is the endpoint's doing: the target is reached by its endpoint address.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from typing import Callable

log = logging.getLogger("regionbox.rds.proxy")

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102


def error_response(code: str, message: str) -> bytes:
    """A PostgreSQL ErrorResponse (FATAL), as a server sends one before closing."""
    fields = b"".join(tag + value.encode() + b"\0" for tag, value in
                      ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", code), (b"M", message)))
    body = fields + b"\0"
    return b"E" + struct.pack("!I", len(body) + 4) + body


class Target:
    """Where a connection goes, as the proxy's state says at the moment it arrives."""

    def __init__(self, address: str, port: int, max_connections: int, borrow_timeout: float) -> None:
        self.address, self.port = address, port
        self.max_connections, self.borrow_timeout = max_connections, borrow_timeout


class ProxyServer:
    """One proxy's relay: ``handle`` for each of its listeners (the default endpoint and the others)."""

    def __init__(self, name: str, settings: Callable[[], tuple[bool, float]], target: Callable[[], Target | None]) -> None:
        self.name = name
        self.settings = settings  # () -> (RequireTLS, IdleClientTimeout seconds)
        self.target = target  # () -> the target now, or None when it has none that is available
        self.in_use = 0  # database connections the proxy holds for its clients
        self._freed = asyncio.Condition()

    async def _first_message(self, reader: asyncio.StreamReader) -> bytes:
        head = await reader.readexactly(4)
        (length,) = struct.unpack("!I", head)
        if not 8 <= length <= 10000:
            raise ConnectionError("not a PostgreSQL startup packet")
        return head + await reader.readexactly(length - 4)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        require_tls, idle_timeout = self.settings()
        first = await self._first_message(reader)
        (code,) = struct.unpack("!I", first[4:8])
        while code == GSSENC_REQUEST:  # no GSSAPI encryption here: the client goes on with TLS or without
            writer.write(b"N")
            await writer.drain()
            first = await self._first_message(reader)
            (code,) = struct.unpack("!I", first[4:8])
        target = self.target()
        if code == CANCEL_REQUEST:
            if target is not None:  # a cancel goes to the server that runs the query
                await self._forward_once(target, first)
            return
        if code != SSL_REQUEST and require_tls:
            writer.write(error_response("28000", "This RDS Proxy requires TLS connections"))
            await writer.drain()
            return
        if target is None:
            await self._refuse(reader, writer, first, code, "08006",
                               f"RDS Proxy {self.name} has no available target: register a DB instance that is available")
            return
        if not await self._borrow(target):
            await self._refuse(reader, writer, first, code, "53300",
                               f"Timed-out waiting to acquire database connection for RDS Proxy {self.name}")
            return
        try:
            try:
                upstream_reader, upstream_writer = await asyncio.wait_for(
                    asyncio.open_connection(target.address, target.port), timeout=10)
            except (OSError, asyncio.TimeoutError):
                await self._refuse(reader, writer, first, code, "08006",
                                   f"RDS Proxy {self.name} could not connect to its target")
                return
            upstream_writer.write(first)
            await self._relay(reader, writer, upstream_reader, upstream_writer, idle_timeout)
        finally:
            async with self._freed:
                self.in_use -= 1
                self._freed.notify()

    async def _borrow(self, target: Target) -> bool:
        async with self._freed:
            try:
                await asyncio.wait_for(self._freed.wait_for(lambda: self.in_use < target.max_connections),
                                       timeout=target.borrow_timeout)
            except asyncio.TimeoutError:
                return False
            self.in_use += 1
            return True

    @staticmethod
    async def _forward_once(target: Target, message: bytes) -> None:
        try:
            _, upstream = await asyncio.wait_for(asyncio.open_connection(target.address, target.port), timeout=5)
        except (OSError, asyncio.TimeoutError):
            return
        upstream.write(message)
        await upstream.drain()
        upstream.close()

    async def _refuse(self, reader, writer, first: bytes, code: int, sqlstate: str, message: str) -> None:
        """An error the client reads: after declining TLS if it asked for it, as a server would."""
        if code == SSL_REQUEST:
            writer.write(b"N")
            await writer.drain()
            await self._first_message(reader)  # its StartupMessage, in the clear
        writer.write(error_response(sqlstate, message))
        await writer.drain()

    @staticmethod
    async def _relay(reader, writer, upstream_reader, upstream_writer, idle_timeout: float) -> None:
        """Bytes both ways until either side closes or the client is idle too long. After the
        first message the streams' transports are handed to a pair of protocols that write what one
        side receives straight to the other (no task switch per message: a relay does too little
        per message to pay for one; flow control by pausing the reading side)."""
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        client, server = _Pipe(done), _Pipe(done)
        client.join(writer.transport, server)
        server.join(upstream_writer.transport, client)
        for stream, pipe in ((reader, client), (upstream_reader, server)):
            buffered = bytes(stream._buffer)  # noqa: SLF001 - what arrived before the hand-over
            if buffered:
                pipe.data_received(buffered)
            if stream.at_eof():
                pipe.eof_received()

        def check_idle() -> None:
            if done.done():
                return
            idle = loop.time() - max(client.last, server.last)
            if idle >= idle_timeout:
                done.set_result(None)
            else:
                handles.append(loop.call_later(idle_timeout - idle + 0.01, check_idle))

        handles = [loop.call_later(idle_timeout, check_idle)]
        try:
            await done
        finally:
            for handle in handles:
                handle.cancel()
            client.transport.abort()
            server.transport.abort()


class _Pipe(asyncio.Protocol):
    """One side of a relay: what its transport receives goes to the other side's transport."""

    def __init__(self, done: asyncio.Future) -> None:
        self.done = done
        self.transport: asyncio.Transport | None = None
        self.other: _Pipe | None = None
        self.last = asyncio.get_running_loop().time()

    def join(self, transport: asyncio.Transport, other: "_Pipe") -> None:
        self.transport, self.other = transport, other
        transport.set_protocol(self)

    def data_received(self, data: bytes) -> None:
        self.last = asyncio.get_running_loop().time()
        self.other.transport.write(data)

    def eof_received(self) -> bool:
        self._finish()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._finish()

    def pause_writing(self) -> None:  # the other side sends faster than this one takes: stop reading it
        self.other.transport.pause_reading()

    def resume_writing(self) -> None:
        self.other.transport.resume_reading()

    def _finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None)
