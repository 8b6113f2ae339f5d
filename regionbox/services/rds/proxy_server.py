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
import time
from typing import Callable

log = logging.getLogger("regionbox.rds.proxy")

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
CHUNK = 65536


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
        last = time.monotonic()

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            nonlocal last
            while True:
                data = await source.read(CHUNK)
                if not data:
                    break
                last = time.monotonic()
                sink.write(data)
                await sink.drain()

        async def idle() -> None:
            while True:
                await asyncio.sleep(max(0.05, last + idle_timeout - time.monotonic()))
                if time.monotonic() - last >= idle_timeout:
                    return

        tasks = [asyncio.ensure_future(pump(reader, upstream_writer)), asyncio.ensure_future(pump(upstream_reader, writer)),
                 asyncio.ensure_future(idle())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            upstream_writer.close()
