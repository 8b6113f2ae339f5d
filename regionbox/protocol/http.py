"""The plain HTTP request and response the protocol layer reads and writes.

The gateway builds an ``HttpRequest`` from ASGI and sends an ``HttpResponse`` back; nothing
below the gateway knows about ASGI, and nothing above the protocol layer knows about HTTP.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field
from urllib.parse import parse_qsl


@dataclass
class HttpRequest:
    method: str
    path: str  # raw, still percent-encoded, without the query string
    query_string: str  # raw
    headers: dict[str, str]  # lower-case names; repeated headers joined with ","
    body: bytes = b""
    host: str = ""

    _query: list[tuple[str, str]] | None = field(default=None, repr=False)

    @property
    def query(self) -> list[tuple[str, str]]:
        if self._query is None:
            self._query = parse_qsl(self.query_string, keep_blank_values=True)
        return self._query

    def query_param(self, name: str) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return None


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None


def decode_body(headers: dict[str, str], body: bytes) -> bytes:
    """Undo Content-Encoding (gzip, deflate), which botocore uses for large CloudWatch requests."""
    encoding = headers.get("content-encoding", "").lower()
    if "gzip" in encoding:
        return gzip.decompress(body)
    if "deflate" in encoding:
        return zlib.decompress(body)
    return body
