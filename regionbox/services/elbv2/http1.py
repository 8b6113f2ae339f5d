"""HTTP/1.1 for the proxy path: request and response heads parsed into what routing needs and
rewritten as the node sends them on, and where a body ends in the bytes that follow its head.

Only heads become strings. Bodies stay the bytes that arrived: ``Body.feed`` tells how many of
them belong to the message (a Content-Length, chunks, or everything until the connection
closes) so that they pass through unchanged and the next message starts in the right place.
A request that is not HTTP/1.x or is ambiguous about its length (RFC 9112 6.3: smuggling) is
refused with ``BadMessage``.
"""

from __future__ import annotations

from dataclasses import dataclass

# Headers of one connection, not of the message: never passed on (RFC 9110 7.6.1). The node
# writes its own X-Forwarded-* and answers Expect: 100-continue itself.
REQUEST_DROPPED = frozenset({"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
                             "proxy-authenticate", "proxy-authorization", "x-forwarded-for", "x-forwarded-proto",
                             "x-forwarded-port", "expect"})
RESPONSE_DROPPED = frozenset({"connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade",
                              "proxy-authenticate", "proxy-authorization"})
MAX_CHUNK_LINE = 4096


class BadMessage(Exception):
    pass


class Body:
    """Where a message body ends. ``feed(data)`` returns (the bytes of data that belong to the
    body, the bytes after its end or None while it goes on)."""

    __slots__ = ("left", "chunked", "until_close", "line", "trailers")

    def __init__(self, length: int | None = None, chunked: bool = False) -> None:
        self.left = length or 0  # bytes of the body (or of the current chunk and its CRLF) still to come
        self.chunked = chunked
        self.until_close = length is None and not chunked
        self.line = b""  # a chunk-size or trailer line that arrived in parts
        self.trailers = False

    def feed(self, data: bytes) -> tuple[bytes, bytes | None]:
        if not self.chunked:
            if self.until_close or len(data) < self.left:
                self.left -= len(data)
                return data, None
            left, self.left = self.left, 0
            return data[:left], data[left:]
        pos, size = 0, len(data)
        while pos < size:
            if self.left:
                step = min(self.left, size - pos)
                pos += step
                self.left -= step
                continue
            end = data.find(b"\n", pos)
            if end < 0:
                self.line += data[pos:]
                if len(self.line) > MAX_CHUNK_LINE:
                    raise BadMessage("chunk line too long")
                return data, None
            line = (self.line + data[pos:end]).rstrip(b"\r") if self.line else data[pos:end].rstrip(b"\r")
            self.line = b""
            pos = end + 1
            if self.trailers:
                if not line:
                    return data[:pos], data[pos:]
                continue
            try:
                chunk = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BadMessage("bad chunk size") from None
            if chunk < 0:
                raise BadMessage("bad chunk size")
            if chunk == 0:
                self.trailers = True
            else:
                self.left = chunk + 2  # its data and the CRLF after it
        return data, None


@dataclass(slots=True)
class RequestHead:
    method: str
    target: str  # as sent: origin form (/path?query) or absolute form
    version: str  # HTTP/1.1 or HTTP/1.0
    path: str
    query: str
    host: str  # without the port
    headers: dict[str, str]  # lower-case names; repeated headers joined with ","
    forwarded: str  # the request line and the headers passed on, without the blank line
    body: Body | None
    chunked: bool
    keep_alive: bool
    expects_continue: bool


def parse_request(raw: bytes) -> RequestHead:
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or parts[2] not in ("HTTP/1.1", "HTTP/1.0") or not parts[0].isalpha() or not parts[1]:
        raise BadMessage("bad request line")
    method, target, version = parts
    headers: dict[str, str] = {}
    kept = [lines[0]]
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name or name[-1] in " \t" or name[0] in " \t":
            raise BadMessage("bad header line")  # also obsolete line folding
        key = name.lower()
        value = value.strip()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
        if key not in REQUEST_DROPPED:
            kept.append(line)
    body: Body | None = None
    chunked = False
    encoding = headers.get("transfer-encoding")
    length = headers.get("content-length")
    if encoding is not None:
        if length is not None or encoding.lower().rsplit(",", 1)[-1].strip() != "chunked":
            raise BadMessage("ambiguous length")
        chunked = True
        body = Body(chunked=True)
        if "content-length" in headers:
            kept = [line for line in kept if not line.lower().startswith("content-length:")]
    elif length is not None:
        if not length.isdigit():
            raise BadMessage("bad content-length")  # also two different lengths joined with ","
        if int(length):
            body = Body(int(length))
    connection = headers.get("connection", "").lower()
    keep_alive = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
    if target[0] == "/":
        path, _, query = target.partition("?")
    elif "://" in target:  # absolute form: the path is what follows the authority
        rest = target.split("://", 1)[1]
        slash = rest.find("/")
        path, _, query = (rest[slash:] if slash >= 0 else "/").partition("?")
    else:
        path, query = target, ""
    host = headers.get("host", "")
    if not host.startswith("["):
        host = host.rsplit(":", 1)[0]
    return RequestHead(method, target, version, path, query, host, headers, "\r\n".join(kept) + "\r\n", body, chunked,
                       keep_alive, headers.get("expect", "").lower() == "100-continue")


@dataclass(slots=True)
class ResponseHead:
    raw: bytes
    status: int
    lines: list[str]  # the status line and the headers passed on
    body: Body | None  # None when the answer has no body
    keep_alive: bool  # the target keeps its connection open after it
    cookies: list[str]  # its Set-Cookie values
    has_server: bool = False
    interim: bool = False  # 1xx: the answer follows


def parse_response(raw: bytes, head_only: bool) -> ResponseHead:
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    try:
        status = int(parts[1])
    except (IndexError, ValueError):
        raise BadMessage("bad status line") from None
    if not parts[0].startswith("HTTP/1.") or not 100 <= status <= 999:
        raise BadMessage("bad status line")
    if 100 <= status < 200 and status != 101:
        return ResponseHead(raw, status, [], None, True, [], interim=True)
    kept = [lines[0]]
    cookies: list[str] = []
    length: str | None = None
    chunked = False
    keep_alive = parts[0] == "HTTP/1.1"
    has_server = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        if key in RESPONSE_DROPPED:
            if key == "connection":
                tokens = value.lower()
                if "close" in tokens:
                    keep_alive = False
                elif "keep-alive" in tokens:
                    keep_alive = True
            continue
        if key == "content-length":
            length = value.strip()
        elif key == "transfer-encoding":
            chunked = "chunked" in value.lower()
        elif key == "set-cookie":
            cookies.append(value.strip())
        elif key == "server":
            has_server = True
        kept.append(line)
    if head_only or status in (204, 304):
        body = None
    elif chunked:
        body = Body(chunked=True)
    elif length is not None:
        if not length.isdigit():
            raise BadMessage("bad content-length")
        body = Body(int(length)) if int(length) else None
    else:
        body = Body()  # until the target closes
        keep_alive = False
    return ResponseHead(raw, status, kept, body, keep_alive, cookies, has_server)


def response_head(answer: ResponseHead, cookies: list[str], keep_client: bool, client_version: str,
                  settings=None) -> bytes:
    """The answer's head as the client gets it: the node's cookies and Server added, the headers
    the listener's attributes set (replacing the target's), and what the client's connection does next."""
    lines = answer.lines
    if settings is not None and (settings.response or not settings.server):
        # routing.http.response.server.enabled false: no Server header at all, the target's included
        replaced = {name for name, _ in settings.response} | (set() if settings.server else {"server"})
        lines = [lines[0], *(line for line in lines[1:] if line.partition(":")[0].strip().lower() not in replaced),
                 *(f"{name}: {value}" for name, value in settings.response)]
    text = "\r\n".join(lines)
    for cookie in cookies:
        text += f"\r\nset-cookie: {cookie}"
    if not answer.has_server and (settings is None or settings.server):
        text += "\r\nserver: awselb/2.0"
    if not keep_client:
        text += "\r\nconnection: close"
    elif client_version == "HTTP/1.0":
        text += "\r\nconnection: keep-alive"
    return (text + "\r\n\r\n").encode("latin-1")
