"""The plain HTTP request and response the protocol layer reads and writes.

The gateway builds an ``HttpRequest`` from ASGI and sends an ``HttpResponse`` back; nothing
below the gateway knows about ASGI, and nothing above the protocol layer knows about HTTP.

Bodies stream. A request arrives with its body unread (``request.stream``): the gateway reads it
whole, up to the service's limit, for operations that take a document; an operation whose input
payload is a streaming blob (S3 PutObject) gets the ``BodyStream`` itself and reads it chunk by
chunk, to disk. A response body is bytes, or an async iterable of chunks sent as they come.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any, AsyncIterable, AsyncIterator, Awaitable, Callable
from urllib.parse import parse_qsl

from regionbox.core.errors import ServiceError

Receive = Callable[[], Awaitable[dict]]


class BodyTooLarge(ServiceError):
    def __init__(self, limit: int) -> None:
        super().__init__("RequestEntityTooLarge", f"Request body exceeds the maximum allowed size of {limit} bytes.",
                         status=413)


class ClientDisconnected(Exception):
    """The client went away before it had sent the whole body."""


class BodyStream:
    """A request body as it arrives from the client, read once."""

    def __init__(self, receive: Receive, first: bytes = b"", more: bool = True) -> None:
        self._receive = receive
        self._first = first
        self._more = more
        self.received = 0

    @classmethod
    def of(cls, body: bytes) -> "BodyStream":
        """A stream over bytes already in hand (tests, internal calls)."""
        async def nothing() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}
        return cls(nothing, body, more=False)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._first:
            chunk, self._first = self._first, b""
            self.received += len(chunk)
            yield chunk
        while self._more:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self._more = False
                raise ClientDisconnected()
            self._more = message.get("more_body", False)
            chunk = message.get("body", b"")
            if chunk:
                self.received += len(chunk)
                yield chunk

    @property
    def unread(self) -> bool:
        """Whether part of the body may still be on its way (the handler stopped before the end)."""
        return self._more or bool(self._first)

    async def read(self, limit: int) -> bytes:
        """The whole body; ``BodyTooLarge`` as soon as more than ``limit`` bytes have arrived."""
        chunks = []
        async for chunk in self:
            if self.received > limit:
                raise BodyTooLarge(limit)
            chunks.append(chunk)
        return b"".join(chunks)


@dataclass
class HttpRequest:
    method: str
    path: str  # raw, still percent-encoded, without the query string
    query_string: str  # raw
    headers: dict[str, str]  # lower-case names; repeated headers joined with ","
    body: bytes = b""  # the whole body, once read (see ``stream``)
    host: str = ""
    # The body as it arrives, for operations whose input is a streaming payload; None once read.
    stream: BodyStream | None = field(default=None, repr=False)
    # The body as it was sent, before Content-Encoding was undone: what a signature covers.
    raw_body: bytes = field(default=b"", repr=False)
    # A signed aws-chunked body's chunk signatures, set once the request's own signature is
    # verified (aws_chunked.ChunkSignatures); None when not checked.
    chunk_signatures: Any = field(default=None, repr=False)
    # The headers as sent: (name in the client's case, value), repeated ones apart, in order;
    # None where the connection did not record them (``sent_headers`` then lower-cases).
    raw_headers: list[tuple[str, str]] | None = field(default=None, repr=False)
    # What the gateway's connection recorded (the names as sent, ASGI's headers), made into
    # raw_headers only when asked: most requests never need them.
    sent: tuple[list[bytes], list[tuple[bytes, bytes]]] | None = field(default=None, repr=False)

    _query: list[tuple[str, str]] | None = field(default=None, repr=False)

    @property
    def query(self) -> list[tuple[str, str]]:
        if self._query is None:
            self._query = parse_qsl(self.query_string, keep_blank_values=True)
        return self._query

    def sent_headers(self) -> list[tuple[str, str]]:
        if self.raw_headers is None and self.sent is not None and len(self.sent[0]) == len(self.sent[1]):
            self.raw_headers = [(name.decode("latin-1"), value.decode("latin-1"))
                                for name, (_, value) in zip(*self.sent)]
        return self.raw_headers if self.raw_headers is not None else list(self.headers.items())

    def query_param(self, name: str) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return None


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes | AsyncIterable[bytes] = b""

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None


_DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def decode_body(headers: dict[str, str], body: bytes, limit: int) -> bytes:
    """Undo Content-Encoding (gzip, deflate; botocore compresses large CloudWatch requests),
    never producing more than ``limit`` bytes: a small bomb is refused, not expanded."""
    for encoding in reversed([e.strip().lower() for e in headers.get("content-encoding", "").split(",") if e.strip()]):
        wbits = _DECODERS.get(encoding)
        if wbits is None:
            continue  # identity, aws-chunked ...: not a compression
        if encoding == "deflate" and body[:1] != b"\x78":
            wbits = -zlib.MAX_WBITS  # raw deflate, as some clients send it
        decoder = zlib.decompressobj(wbits)
        body = decoder.decompress(body, limit + 1)
        if len(body) > limit or decoder.unconsumed_tail:
            raise BodyTooLarge(limit)
        body += decoder.flush()
        if len(body) > limit:
            raise BodyTooLarge(limit)
    return body
