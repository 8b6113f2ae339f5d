"""A load balancer node's HTTP proxy: the ASGI application each node runs on each listener port.

Clients get HTTP/1.1 with keep-alive from the kit's HTTP listener (uvicorn); targets get HTTP/1.1
over a small pool of kept-alive connections per target. Bodies stream both ways, chunk by chunk.
The node adds ``X-Forwarded-For`` (appended to what the client sent), ``X-Forwarded-Proto``,
``X-Forwarded-Port`` and ``X-Amzn-Trace-Id``, and answers with AWS's own pages when it cannot
reach a target: 503 with no target to send to, 502 when the target refuses or breaks the
connection, 504 when it does not answer within the load balancer's idle timeout.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import Callable

from regionbox.core.store import Scope
from regionbox.services.elbv2.routing import Forward, Request, Respond, Router, fixed_response, redirect

log = logging.getLogger("regionbox.elbv2.proxy")

SERVER = ("server", "awselb/2.0")
HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"transfer-encoding", b"upgrade",
              b"proxy-authenticate", b"proxy-authorization"}
REASONS = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}
POOL_SIZE = 64  # idle connections kept per target
READ_CHUNK = 64 * 1024
CONNECT_TIMEOUT = 10  # seconds: AWS answers 504 when a target does not accept the connection in 10 s


def error_page(status: int) -> Respond:
    title = f"{status} {REASONS[status]}"
    body = f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    return Respond(status, [("content-type", "text/html")], body.encode())


class UpstreamError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.reused = False

    def close(self) -> None:
        self.writer.transport.abort()


class Pool:
    """Idle kept-alive connections per target."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, int], list[Connection]] = {}

    async def get(self, target: tuple[str, int]) -> Connection:
        idle = self._idle.get(target)
        while idle:
            connection = idle.pop()
            if not connection.reader.at_eof() and not connection.writer.transport.is_closing():
                connection.reused = True
                return connection
            connection.close()
        reader, writer = await asyncio.open_connection(*target, limit=READ_CHUNK * 4)
        return Connection(reader, writer)

    def put(self, target: tuple[str, int], connection: Connection) -> None:
        idle = self._idle.setdefault(target, [])
        if len(idle) < POOL_SIZE:
            idle.append(connection)
        else:
            connection.close()

    def close(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()


def _trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"


class NodeApp:
    """The ASGI app of one node's listener port: route, then answer or forward."""

    def __init__(self, router: Router, pool: Pool, scope: Scope, lb_arn: str, port: int,
                 idle_timeout: Callable[[], float], protocol: str = "HTTP") -> None:
        self.protocol = protocol
        self.router = router
        self.pool = pool
        self.account_scope = scope
        self.lb_arn = lb_arn
        self.port = port
        self.idle_timeout = idle_timeout

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] != "http":
            return
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            key = name.decode("latin-1")
            headers[key] = f"{headers[key]},{value.decode('latin-1')}" if key in headers else value.decode("latin-1")
        client = scope.get("client") or ("", 0)
        request = Request(method=scope["method"], path=scope.get("raw_path", b"").decode("latin-1").split("?", 1)[0] or scope["path"],
                          query=scope.get("query_string", b"").decode("latin-1"),
                          host=headers.get("host", "").rsplit(":", 1)[0] if not headers.get("host", "").startswith("[")
                          else headers["host"], headers=headers, client=client[0], port=self.port,
                          protocol=self.protocol)
        action = self.router.action(self.account_scope, self.lb_arn, request)
        if action is None:
            return await _respond(send, error_page(503))
        if action["Type"] == "fixed-response":
            return await _respond(send, fixed_response(action["FixedResponseConfig"]))
        if action["Type"] == "redirect":
            return await _respond(send, redirect(action["RedirectConfig"], request))
        tg, group_cookie = self.router.target_group(self.account_scope, action, request)
        decision = self.router.forward(self.account_scope, tg, request) if tg is not None else None
        if decision is None:
            return await _respond(send, error_page(503))
        if group_cookie:
            decision.cookies.append(group_cookie)
        in_flight = self.router.in_flight
        in_flight[decision.target] = in_flight.get(decision.target, 0) + 1
        try:
            await self._forward(scope, receive, send, request, decision)
        except UpstreamError as error:
            await _respond(send, error_page(error.status))
        finally:
            in_flight[decision.target] -= 1

    async def _forward(self, scope: dict, receive, send, request: Request, decision: Forward) -> None:
        target = decision.target
        forwarded_for = request.headers.get("x-forwarded-for")
        lines = [f"{scope['method']} {scope.get('raw_path', b'/').decode('latin-1') or '/'}"
                 f"{'?' + request.query if request.query else ''} HTTP/1.1\r\n"]
        chunked = False
        has_length = False
        for name, value in scope["headers"]:
            lower = name.lower()
            if lower in HOP_BY_HOP or lower in (b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-port"):
                if lower == b"transfer-encoding":
                    chunked = True
                continue
            if lower == b"content-length":
                has_length = True
            lines.append(f"{name.decode('latin-1')}: {value.decode('latin-1')}\r\n")
        lines.append(f"x-forwarded-for: {forwarded_for + ', ' if forwarded_for else ''}{request.client}\r\n"
                     f"x-forwarded-proto: {self.protocol.lower()}\r\nx-forwarded-port: {self.port}\r\n")
        if "x-amzn-trace-id" not in request.headers:
            lines.append(f"x-amzn-trace-id: {_trace_id()}\r\n")
        if chunked:
            lines.append("transfer-encoding: chunked\r\n")
        head = ("".join(lines) + "\r\n").encode("latin-1")
        first = await receive()
        body, more = first.get("body", b""), first.get("more_body", False)
        streamed = bool(more or body) and (chunked or has_length)
        timeout = self.idle_timeout()
        for attempt in (1, 2):
            try:
                connection = await asyncio.wait_for(self.pool.get(target), CONNECT_TIMEOUT)
            except asyncio.TimeoutError:
                raise UpstreamError(504) from None
            except OSError:
                raise UpstreamError(502) from None
            try:
                connection.writer.write(head)
                if body:
                    connection.writer.write(b"%x\r\n%s\r\n" % (len(body), body) if chunked else body)
                while more:
                    message = await receive()
                    chunk, more = message.get("body", b""), message.get("more_body", False)
                    if chunk:
                        connection.writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                    await connection.writer.drain()
                if chunked:
                    connection.writer.write(b"0\r\n\r\n")
                if connection.writer.transport.get_write_buffer_size():
                    await connection.writer.drain()
                status_line = await asyncio.wait_for(connection.reader.readline(), timeout)
                if not status_line:
                    raise ConnectionResetError("the target closed the connection")
            except asyncio.TimeoutError:
                connection.close()
                raise UpstreamError(504) from None
            except (OSError, asyncio.IncompleteReadError):
                connection.close()
                # A kept-alive connection the target closed meanwhile: once more on a fresh one,
                # unless the request's body has been sent already.
                if attempt == 1 and connection.reused and not streamed:
                    continue
                raise UpstreamError(502) from None
            break
        await self._relay(connection, status_line, send, decision, scope["method"] == "HEAD", timeout)

    async def _relay(self, connection: Connection, status_line: bytes, send, decision: Forward, head_only: bool,
                     timeout: float) -> None:
        reader = connection.reader
        try:
            status = int(status_line.split(b" ", 2)[1])
            raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        except (ValueError, IndexError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError):
            connection.close()
            raise UpstreamError(502) from None
        headers: list[tuple[bytes, bytes]] = []
        length: int | None = None
        chunked, keep = False, True
        cookies: list[str] = []
        for line in raw.split(b"\r\n"):
            if not line:
                continue
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection" and value.lower() == b"close":
                keep = False
            elif name == b"set-cookie":
                cookies.append(value.decode("latin-1"))
            if name in HOP_BY_HOP:
                continue
            headers.append((name, value))
        extra = list(decision.cookies)
        app_cookie = self.router.app_cookie_for(decision, cookies)
        if app_cookie:
            extra.append(app_cookie)
        headers.extend((b"set-cookie", cookie.encode("latin-1")) for cookie in extra)
        if not any(name == b"server" for name, _ in headers):
            headers.append((b"server", b"awselb/2.0"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        no_body = head_only or status in (204, 304) or 100 <= status < 200
        try:
            if no_body:
                pass
            elif chunked:
                while True:
                    size_line = await asyncio.wait_for(reader.readline(), timeout)
                    size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                    if size == 0:
                        while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        break
                    chunk = await reader.readexactly(size + 2)
                    await send({"type": "http.response.body", "body": chunk[:-2], "more_body": True})
            elif length is not None:
                left = length
                while left > 0:
                    chunk = await asyncio.wait_for(reader.read(min(left, READ_CHUNK)), timeout)
                    if not chunk:
                        raise asyncio.IncompleteReadError(b"", left)
                    left -= len(chunk)
                    # The last chunk ends the response in the same message (one send less per request).
                    await send({"type": "http.response.body", "body": chunk, "more_body": left > 0})
                if length:
                    self._done(connection, decision, keep)
                    return
            else:
                keep = False
                while chunk := await asyncio.wait_for(reader.read(READ_CHUNK), timeout):
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.TimeoutError):
            # The status line went out already: all that is left is to cut the client off, as AWS does.
            connection.close()
            raise
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        self._done(connection, decision, keep)

    def _done(self, connection: Connection, decision: Forward, keep: bool) -> None:
        if keep:
            self.pool.put(decision.target, connection)
        else:
            connection.close()


async def _respond(send, response: Respond) -> None:
    headers = [(name.encode(), value.encode("latin-1")) for name, value in response.headers]
    headers += [(b"content-length", str(len(response.body)).encode()), (SERVER[0].encode(), SERVER[1].encode())]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body, "more_body": False})
