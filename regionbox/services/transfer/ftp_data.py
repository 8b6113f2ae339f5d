"""FTP's data connections: a passive port that takes one connection from the control
connection's client, and the connection itself.

Received bytes go from the kernel straight into large buffers (``asyncio.BufferedProtocol``: the
loop reads into memory the channel hands it) and leave as views of those buffers, so an upload's
bytes are copied once on their way in instead of three times (into a StreamReader's buffer, out of
it, and joined for the disk): for STOR that copying cost as much CPU as the whole bare server.
Reading pauses while more than ``HELD`` bytes wait for the upload to take them; writes wait on the
transport's flow control, as ``StreamWriter.drain`` does.

A download over plain FTP leaves copying to the kernel (``send_files``: os.sendfile from the
object's files to the socket, as a bare FTP server does), which copies each byte once instead of
reading it into Python and writing it out. It runs on the loop, on a duplicate of the socket's
descriptor (so uvloop's transport, which offers no sendfile, keeps its own), waiting for room in
the socket's buffer with add_writer. TLS needs the bytes in user space, so FTPS keeps ``write``.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from collections import deque
from typing import Callable

BUFFER = 1 << 20  # memory the loop reads into; a full one is handed on whole
HELD = 8 << 20  # received and not yet taken: beyond this, stop reading from the client
GATHER = 256 << 10  # a reader waiting is woken once this much has arrived (or at the end)


class DataChannel(asyncio.BufferedProtocol):
    def __init__(self, accept: Callable[["DataChannel"], bool]) -> None:
        self._accept = accept
        self.transport: asyncio.BaseTransport | None = None
        self._buffer = bytearray()  # made on the first bytes received (LIST and RETR receive none)
        self._start = 0  # bytes of the buffer before this have been taken (or queued in _full)
        self._filled = 0
        self._full: deque[memoryview] = deque()  # whole buffers not taken yet
        self._held = 0
        self._paused_reading = False
        self._eof = False
        self._lost: BaseException | None = None
        self._closed = False
        self._readable: asyncio.Future | None = None
        self._paused_writing = False
        self._writable: asyncio.Future | None = None
        self.sent = 0  # bytes send_files handed to the kernel

    # -- the protocol ------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        if not self._accept(self):
            transport.abort()

    def get_buffer(self, sizehint: int) -> memoryview:
        if self._filled == len(self._buffer):
            if self._filled > self._start:
                self._full.append(memoryview(self._buffer)[self._start:self._filled])
            self._buffer, self._start, self._filled = bytearray(BUFFER), 0, 0
        return memoryview(self._buffer)[self._filled:]

    def buffer_updated(self, nbytes: int) -> None:
        self._filled += nbytes
        self._held += nbytes
        if self._held > HELD and not self._paused_reading:
            self._paused_reading = True
            self.transport.pause_reading()
        if self._held >= GATHER:
            self._wake()

    def eof_received(self) -> bool:
        self._eof = True
        self._wake()
        return False  # let the transport close

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        if exc is not None:
            self._lost = exc
        self._eof = True
        self._wake()
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)

    def pause_writing(self) -> None:
        self._paused_writing = True

    def resume_writing(self) -> None:
        self._paused_writing = False
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)

    def _wake(self) -> None:
        if self._readable is not None and not self._readable.done():
            self._readable.set_result(None)

    # -- what a transfer uses ----------------------------------------------------------------------
    async def start_tls(self, context: ssl.SSLContext) -> None:
        """Turn the connection into TLS as the server side (PROT P); this channel stays its protocol."""
        self.transport = await asyncio.get_running_loop().start_tls(self.transport, self, context, server_side=True)

    def get_extra_info(self, name: str, default=None):
        return self.transport.get_extra_info(name, default) if self.transport is not None else default

    async def read(self) -> memoryview | bytes:
        """What arrived since the last read (a view of the buffer it arrived in), once at least
        GATHER bytes have (a wake-up per recv would cost more than the bytes); b"" at the end of
        the data; raises ConnectionError when the connection broke."""
        while True:
            if self._lost is not None:
                raise self._lost if isinstance(self._lost, ConnectionError) else ConnectionResetError(str(self._lost))
            if self._full:
                chunk = self._full.popleft()
            elif self._filled > self._start and (self._held >= GATHER or self._eof):
                chunk = memoryview(self._buffer)[self._start:self._filled]
                self._start = self._filled
            elif self._eof:
                return b""
            else:
                self._readable = asyncio.get_running_loop().create_future()
                await self._readable
                continue
            self._held -= len(chunk)
            if self._paused_reading and self._held <= HELD // 2 and not self._closed:
                self._paused_reading = False
                self.transport.resume_reading()
            return chunk

    async def send_files(self, pieces: list[tuple[str, int, int]]) -> int:
        """Send pieces of files (path, offset, length), the kernel copying them: how many bytes
        went (also counted in ``sent``). Raises ConnectionError when the connection broke or was
        aborted."""
        loop = asyncio.get_running_loop()
        before = self.sent
        socket = os.dup(self.transport.get_extra_info("socket").fileno())
        try:
            for path, offset, length in pieces:
                with open(path, "rb") as file:
                    source = file.fileno()
                    while length > 0:
                        if self._closed:
                            raise ConnectionResetError("Connection lost")
                        try:
                            count = os.sendfile(socket, source, offset, length)
                        except BlockingIOError:
                            await self._room(loop, socket)
                            continue
                        if count == 0:
                            raise ConnectionResetError(f"{path} ended early")  # storage lost it: never hang
                        offset += count
                        length -= count
                        self.sent += count
        finally:
            os.close(socket)
        return self.sent - before

    async def _room(self, loop: asyncio.AbstractEventLoop, socket: int) -> None:
        """Until the socket takes more, or the connection is lost (connection_lost wakes it)."""
        self._writable = loop.create_future()
        loop.add_writer(socket, lambda waiter=self._writable: waiter.done() or waiter.set_result(None))
        try:
            await self._writable
        finally:
            loop.remove_writer(socket)

    def write(self, data: bytes) -> None:
        self.transport.write(data)

    async def drain(self) -> None:
        while self._paused_writing and not self._closed:
            self._writable = asyncio.get_running_loop().create_future()
            await self._writable
        if self._closed:
            raise ConnectionResetError("Connection lost")

    def close(self) -> None:
        """Send what is buffered, then close."""
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()
