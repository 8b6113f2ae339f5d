"""The HTTP/1.1 client behind HTTP and HTTP_PROXY integrations.

API Gateway buffers requests and responses (10 MB each at most), so this client sends a whole
body and reads a whole answer: Content-Length, chunked or until the connection closes. Idle
connections are kept per (scheme, host, port) and reused, as a proxy in front of a busy backend
must; a kept connection the backend closed meanwhile is retried once on a fresh one.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

MAX_BODY = 10 * 1024 * 1024
_IDLE_PER_ORIGIN = 32


class UpstreamError(Exception):
    """The backend could not be reached or answered something that is not HTTP."""


class BodyTooLarge(UpstreamError):
    pass


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


@dataclass(frozen=True)
class Tls:
    """How an HTTPS backend is met: verified or not (an integration's tlsConfig), and the client
    certificate to present (a stage's, as certificate and key files)."""
    verify: bool = True
    client_cert: tuple[Path, Path] | None = None


class HttpClient:
    def __init__(self, trusted_ca: Callable[[], Path] | None = None) -> None:
        # Backends are verified against the system's CAs and the cloud's own (a load balancer's
        # HTTPS listener, another regionbox endpoint).
        self.trusted_ca = trusted_ca
        self._idle: dict[tuple, list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]] = {}
        self._contexts: dict[Tls, ssl.SSLContext] = {}

    async def request(self, method: str, url: str, headers: list[tuple[str, str]], body: bytes,
                      timeout: float, tls: Tls = Tls(), connect_to: tuple[str, int] | None = None) -> Answer:
        """``connect_to``: the address to connect to instead of the URL's host (a VPC link's load
        balancer), the URL still naming the Host and the TLS server name."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UpstreamError(f"not an HTTP URL: {url}")
        origin = (parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), connect_to,
                  tls if parts.scheme == "https" else None)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.netloc.rsplit("@", 1)[-1]
        head = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
        head += [f"{k}: {v}" for k, v in headers if k.lower() not in ("host", "content-length", "transfer-encoding",
                                                                      "connection")]
        if body or method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
            head.append(f"Content-Length: {len(body)}")
        message = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        return await asyncio.wait_for(self._exchange(origin, message, method), timeout)

    async def _exchange(self, origin: tuple, message: bytes, method: str) -> Answer:
        for attempt in range(2):
            reused, (reader, writer) = await self._connection(origin)
            try:
                writer.write(message)
                await writer.drain()
                answer, keep = await _read_answer(reader, method)
            except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, UpstreamError) as exc:
                writer.close()
                if reused and attempt == 0 and not isinstance(exc, BodyTooLarge):
                    continue  # the backend closed a kept connection: once more on a new one
                raise UpstreamError(str(exc) or type(exc).__name__) from exc
            except BaseException:
                writer.close()
                raise
            idle = self._idle.setdefault(origin, [])
            if keep and len(idle) < _IDLE_PER_ORIGIN:
                idle.append((reader, writer))
            else:
                writer.close()
            return answer
        raise UpstreamError("unreachable")

    async def _connection(self, origin: tuple):
        idle = self._idle.get(origin)
        while idle:
            reader, writer = idle.pop()
            if not reader.at_eof() and not writer.is_closing():
                return True, (reader, writer)
            writer.close()
        scheme, host, port, connect_to, tls = origin
        try:
            context = self._context(tls) if scheme == "https" else None
            address, number = connect_to or (host, port)
            return False, await asyncio.open_connection(address, number, ssl=context,
                                                        server_hostname=host if context is not None else None)
        except (OSError, ssl.SSLError) as exc:
            raise UpstreamError(f"cannot connect to {host}:{port}: {exc}") from exc

    def _context(self, tls: Tls) -> ssl.SSLContext:
        context = self._contexts.get(tls)
        if context is None:
            context = ssl.create_default_context()
            if self.trusted_ca is not None:
                context.load_verify_locations(str(self.trusted_ca()))
            if not tls.verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            if tls.client_cert is not None:
                context.load_cert_chain(str(tls.client_cert[0]), str(tls.client_cert[1]))
            self._contexts[tls] = context
        return context

    def close(self) -> None:
        for connections in self._idle.values():
            for _, writer in connections:
                writer.close()
        self._idle.clear()


async def _read_answer(reader: asyncio.StreamReader, method: str) -> tuple[Answer, bool]:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError as exc:
        raise UpstreamError("response head too large") from exc
    lines = head.decode("latin-1").split("\r\n")
    status_line = lines[0].split(" ", 2)
    if len(status_line) < 2 or not status_line[0].startswith("HTTP/1.") or not status_line[1].isdigit():
        raise UpstreamError(f"not an HTTP response: {lines[0]!r}")
    status = int(status_line[1])
    headers = []
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers.append((name.strip(), value.strip()))
    fields = {k.lower(): v for k, v in headers}
    keep = fields.get("connection", "").lower() != "close" and status_line[0] == "HTTP/1.1"
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return Answer(status, headers, b""), keep
    if "chunked" in fields.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader)
    elif "content-length" in fields:
        length = int(fields["content-length"])
        if length > MAX_BODY:
            raise BodyTooLarge("response body too large")
        body = await reader.readexactly(length)
    else:
        body = await reader.read(MAX_BODY + 1)
        while len(body) <= MAX_BODY and not reader.at_eof():
            more = await reader.read(MAX_BODY + 1 - len(body))
            if not more:
                break
            body += more
        if len(body) > MAX_BODY:
            raise BodyTooLarge("response body too large")
        keep = False
    headers = [(k, v) for k, v in headers if k.lower() != "transfer-encoding"]
    return Answer(status, headers, body), keep


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks = []
    total = 0
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return b"".join(chunks)
        total += size
        if total > MAX_BODY:
            raise BodyTooLarge("response body too large")
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
