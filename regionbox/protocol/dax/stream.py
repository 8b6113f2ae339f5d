"""Reading DAX's unframed CBOR stream from a socket, and writing answers.

Requests are not length-prefixed: the reader decodes one CBOR item at a time from what has
arrived, reading more while the item is incomplete. A stream that is not CBOR, or an item larger
than ``MAX_BUFFERED`` (DynamoDB's largest request, BatchWriteItem's 16 MB, with room for
encoding), is a ``ProtocolError``: the node answers it and closes that connection.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

import cbor2

from regionbox.protocol.dax.codes import MAGIC, PROTOCOL_ERROR

MAX_BUFFERED = 20 * 1024 * 1024
READ_SIZE = 65536
SUCCESS = b"\x80"  # an empty array: no error


class ProtocolError(Exception):
    """The stream broke DAX's protocol; the connection ends after this error is sent."""


class ConnectionEnded(Exception):
    """The client closed the connection between requests."""


class ItemReader:
    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader
        self._buffer = b""
        self._stream = io.BytesIO(self._buffer)
        self._decoder = cbor2.CBORDecoder(self._stream)
        self._last_start = 0

    async def raw(self, size: int) -> bytes:
        """``size`` raw bytes (the handshake's magic)."""
        while len(self._buffer) - self._stream.tell() < size:
            await self._more(between_items=self._stream.tell() == len(self._buffer))
        start = self._stream.tell()
        self._stream.seek(start + size)
        return self._buffer[start:start + size]

    async def item(self) -> Any:
        """The next CBOR item, read whole."""
        while True:
            start = self._last_start = self._stream.tell()
            try:
                return self._decoder.decode()
            except cbor2.CBORDecodeEOF:
                self._stream.seek(start)
                await self._more(between_items=start == len(self._buffer))
            except (cbor2.CBORError, ValueError, TypeError, OverflowError, RecursionError, MemoryError) as error:
                raise ProtocolError(f"Malformed request: {error}") from None

    async def item_with_bytes(self) -> tuple[Any, bytes]:
        """The next item and the bytes it was sent as (a query cache key)."""
        value = await self.item()
        return value, self._buffer[self._last_start:self._stream.tell()]

    async def _more(self, between_items: bool) -> None:
        chunk = await self._reader.read(READ_SIZE)
        if not chunk:
            if between_items:
                raise ConnectionEnded()
            raise ProtocolError("The request ended before it was complete.")
        rest = self._buffer[self._stream.tell():]
        if len(rest) + len(chunk) > MAX_BUFFERED:
            raise ProtocolError("Request too large.")
        self._buffer = rest + chunk
        self._stream = io.BytesIO(self._buffer)
        self._decoder = cbor2.CBORDecoder(self._stream)


async def handshake(items: ItemReader) -> str:
    """The client's opening: magic, layering, session, its properties, types. Returns its user
    agent. Nothing is answered."""
    if await items.raw(len(MAGIC)) != MAGIC:
        raise ProtocolError("Bad magic: not a DAX client.")
    layering = await items.item()
    session = await items.item()
    properties = await items.item()
    types = await items.item()
    if layering != 0 or not (session is None or type(session) is bytes) or type(properties) is not dict \
            or types != 0:
        raise ProtocolError("Malformed connection header.")
    agent = properties.get("UserAgent")
    return agent if type(agent) is str else ""


def error_frame(codes: list[int], message: str, request_id: str | None = None, code: str | None = None,
                status: int | None = None, extra: list | None = None) -> bytes:
    """An error answer: codes, message, [request id, DynamoDB error code, HTTP status, ...]."""
    details = [request_id, code, status] + (extra or [])
    return cbor2.dumps(codes) + cbor2.dumps(message) + cbor2.dumps(details)


def protocol_error_frame(message: str) -> bytes:
    return error_frame(PROTOCOL_ERROR, message, None, "ValidationException", 400)
