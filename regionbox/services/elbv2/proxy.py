"""A load balancer node's HTTP proxy: one asyncio Protocol per client connection, one per kept-alive
connection to a target, and the bytes in between.

Clients get HTTP/1.1 with keep-alive (and pipelining, answered in order); targets get the
client's request over a small pool of kept-alive connections per target. Only heads are parsed
and rewritten: bodies pass through as the bytes that arrived, chunked or not, with the framing
tracked only to know where a message ends (http1.py), and flow control both ways (a side that
cannot write fast enough pauses the other side's reading). The node adds ``X-Forwarded-For``
(appended to what the client sent), ``X-Forwarded-Proto``, ``X-Forwarded-Port`` and
``X-Amzn-Trace-Id``, and answers with AWS's own pages when it cannot reach a target: 503 with no
target to send to, 502 when the target refuses or breaks the connection, 504 when it does not
answer within the load balancer's idle timeout; 400 to a request it cannot parse.

Why not an ASGI app under uvicorn as the other listeners: a proxy does little per request, and
uvicorn's per-request task, scope and send/receive messages cost more than all of it (measured
with bench/alb.py: 80 µs of CPU per request before, see docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import time
from http import HTTPStatus
from typing import Callable

from regionbox.core.listeners import bound_socket
from regionbox.core.store import Scope
from regionbox.services.elbv2.http1 import (BadMessage, Body, RequestHead, parse_request, parse_response,
                                            response_head)
from regionbox.services.elbv2.listener_attributes import HeaderSettings, tls_headers
from regionbox.services.elbv2.routing import Forward, Request, Respond, Router, fixed_response, redirect

log = logging.getLogger("regionbox.elbv2.proxy")

REASONS = {400: "Bad Request", 502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}
POOL_SIZE = 64  # idle connections kept per target
MAX_HEAD = 64 * 1024  # a longer request or response head is refused (400 / 502)
HIGH_WATER = 256 * 1024  # pipelined bytes held while a request is answered before reading pauses
CONNECT_TIMEOUT = 10  # seconds: AWS answers 504 when a target does not accept the connection in 10 s
JOIN = 16 * 1024  # a head and a first body part up to this size go out in one write (one syscall)


def error_page(status: int) -> Respond:
    title = f"{status} {REASONS[status]}"
    body = f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    return Respond(status, [("content-type", "text/html")], body.encode())


def _trace_id() -> str:
    # Not a secret: random's generator is enough, and costs no system call per request.
    return f"Root=1-{int(time.time()):08x}-{random.getrandbits(96):024x}"


class NodePort:
    """What every connection of one node's listener port shares: where requests go, and how."""

    def __init__(self, router: Router, pool: "Pool", scope: Scope, lb_arn: str, port: int,
                 idle_timeout: Callable[[], float], protocol: str = "HTTP", headers: HeaderSettings | None = None,
                 tls_info: Callable[[], bool] = lambda: False) -> None:
        self.headers = headers or HeaderSettings()  # the listener's attributes: heads the node rewrites
        self.tls_info = tls_info  # whether requests carry X-Amzn-Tls-Version and -Cipher-Suite
        self.router = router
        self.pool = pool
        self.scope = scope
        self.lb_arn = lb_arn
        self.port = port
        self.idle_timeout = idle_timeout
        self.protocol = protocol
        self.forwarded = f"x-forwarded-proto: {protocol.lower()}\r\nx-forwarded-port: {port}\r\n"


class NodeServer:
    """The listening sockets of one node's port (its own address, and the DNS name's shared one)
    and the client connections they accepted: closing drops those at once, as an outage does."""

    def __init__(self) -> None:
        self.servers: list[asyncio.AbstractServer] = []
        self.connections: set[ClientSide] = set()

    @classmethod
    async def start(cls, node: NodePort, address: str, port: int, shared_address: str | None,
                    context: ssl.SSLContext | None) -> "NodeServer":
        server = cls()
        sockets = [bound_socket(address, port, shared=False)]
        try:
            if shared_address is not None:
                sockets.append(bound_socket(shared_address, port, shared=True))
            loop = asyncio.get_running_loop()
            for sock in sockets:
                server.servers.append(await loop.create_server(lambda: ClientSide(node, server.connections), sock=sock,
                                                               ssl=context, backlog=1024))
        except BaseException:
            server.close()
            for sock in sockets:
                sock.close()
            raise
        return server

    def close(self) -> None:
        for server in self.servers:
            server.close()
        for connection in list(self.connections):
            connection.abort()

    async def wait_closed(self) -> None:
        for server in self.servers:
            await server.wait_closed()


class Upstream(asyncio.Protocol):
    """A connection to a target: idle in the pool, or carrying one client's request."""

    def __init__(self, pool: "Pool", target: tuple[str, int]) -> None:
        self.pool = pool
        self.target = target
        self.transport: asyncio.Transport | None = None
        self.client: ClientSide | None = None
        self.closed = False
        self.reused = False
        self.paused = False  # reading paused while its client cannot take more

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.client is not None:
            self.client.response_data(data)
        else:  # an idle connection has nothing to say: it is out of step, drop it
            self.transport.abort()

    def eof_received(self) -> bool:
        return False  # close our side too

    def connection_lost(self, exc) -> None:
        self.closed = True
        self.pool.discard(self)
        if self.client is not None:
            self.client.upstream_lost(self)

    def pause_writing(self) -> None:
        if self.client is not None:
            self.client.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.client is not None and not self.client.closed:
            self.client.transport.resume_reading()

    def abort(self) -> None:
        self.client = None
        if self.transport is not None:
            self.transport.abort()


class Pool:
    """Idle kept-alive connections per target."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, int], list[Upstream]] = {}

    def take(self, target: tuple[str, int]) -> Upstream | None:
        idle = self._idle.get(target)
        while idle:
            upstream = idle.pop()
            if not upstream.closed:
                upstream.reused = True
                return upstream
        return None

    async def connect(self, target: tuple[str, int]) -> Upstream:
        loop = asyncio.get_running_loop()
        _, upstream = await loop.create_connection(lambda: Upstream(self, target), *target)
        return upstream

    def put(self, upstream: Upstream) -> None:
        upstream.client = None
        if upstream.closed:
            return
        if upstream.paused:  # the last client was slow to take its answer's end; the next one may not be
            upstream.paused = False
            upstream.transport.resume_reading()
        idle = self._idle.setdefault(upstream.target, [])
        if len(idle) < POOL_SIZE:
            idle.append(upstream)
        else:
            upstream.transport.close()

    def discard(self, upstream: Upstream) -> None:
        idle = self._idle.get(upstream.target)
        if idle and upstream in idle:
            idle.remove(upstream)

    def close(self) -> None:
        for idle in self._idle.values():
            for upstream in idle:
                upstream.abort()
        self._idle.clear()


class ClientSide(asyncio.Protocol):
    """A client's connection to a node: one request at a time, from its head to the end of the
    target's answer; bytes a pipelining client sent meanwhile wait in ``buffer``."""

    def __init__(self, node: NodePort, connections: set) -> None:
        self.node = node
        self.connections = connections
        self.transport: asyncio.Transport | None = None
        self.peer = ""
        self.buffer = b""
        self.closed = False
        self.paused = False  # reading paused because too much waits in buffer
        self.last_active = 0.0
        self.idle_timer: asyncio.TimerHandle | None = None
        self.timeout = 60.0  # the load balancer's idle timeout, seconds
        self.starting = False  # in _next
        self._reset()

    def _reset(self) -> None:
        """No request in progress."""
        self.busy = False
        self.head: RequestHead | None = None
        self.body: Body | None = None  # the request body still arriving, None when there is none or it has ended
        self.discard = False  # the node answered itself: the request's body is read and dropped
        self.upstream: Upstream | None = None
        self.decision: Forward | None = None
        self.upstream_head = b""
        self.response: Body | None = None  # the response body still arriving, once its head went out
        self.response_buffer = b""
        self.keep_client = True
        self.keep_upstream = True
        self.upstream_active = 0.0  # when the target (or the request's body) last sent anything
        self.connecting = False

    # -- the client's connection ------------------------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport
        self.connections.add(self)
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if peer else ""
        self.loop = loop = asyncio.get_running_loop()
        self.last_active = loop.time()
        self.timeout = self.node.idle_timeout()
        self.tls_lines = ""  # request header lines of this TLS connection (client certificate, version)
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            cipher = ssl_object.cipher()
            self.tls_lines = tls_headers(self.node.headers, ssl_object.getpeercert(binary_form=True), ssl_object.version(),
                                         cipher[0] if cipher else None, self.node.tls_info())
        self.idle_timer = loop.call_later(self.timeout, self._tick)

    def connection_lost(self, exc) -> None:
        self.closed = True
        self.connections.discard(self)
        if self.idle_timer is not None:
            self.idle_timer.cancel()
        if self.busy:
            self._end_exchange(keep_upstream=False)

    def abort(self) -> None:
        self.transport.abort()

    def pause_writing(self) -> None:
        if self.upstream is not None and self.upstream.transport is not None:
            self.upstream.paused = True
            self.upstream.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.upstream is not None and self.upstream.paused and not self.upstream.closed:
            self.upstream.paused = False
            self.upstream.transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        if self.busy:
            if self.body is not None:
                self._request_body(data)
            else:
                self.buffer += data
                if len(self.buffer) > HIGH_WATER and not self.paused:
                    self.paused = True
                    self.transport.pause_reading()
            return
        self.buffer = self.buffer + data if self.buffer else data
        self._next()

    def _next(self) -> None:
        """Start the next request whose head is in the buffer (and the next, while the node answers
        them itself: in this loop, not by recursion, however many a client pipelined)."""
        if self.starting:
            return
        self.starting = True
        try:
            self._start_buffered()
        finally:
            self.starting = False
        if self.paused and not self.busy:
            self.paused = False
            self.transport.resume_reading()

    def _start_buffered(self) -> None:
        while not self.busy and not self.closed and self.buffer:
            buffer = self.buffer
            if buffer[:2] == b"\r\n":  # empty lines before a request are allowed (RFC 9112 2.2)
                self.buffer = buffer.lstrip(b"\r\n")
                continue
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > MAX_HEAD:
                    self._bad_request()
                return
            self.buffer = buffer[end + 4:]
            self._start(buffer[:end])

    def _tick(self) -> None:
        """The connection's one timer, for the load balancer's idle timeout both ways: a client
        connection that carried nothing for that long is closed; a target that sent nothing for that
        long gets a 504 (or, mid-answer, the client is cut off). Re-armed for when that can next be."""
        self.idle_timer = None
        if self.closed:
            return
        loop = asyncio.get_running_loop()
        timeout = self.timeout
        quiet = loop.time() - (self.upstream_active if self.busy else self.last_active)
        if quiet >= timeout:
            if not self.busy:
                self.transport.close()
                return
            if self.decision is not None and not self.connecting:  # the connect has its own timeout
                if self.response is None:
                    self.keep_client = self.keep_client and self.body is None
                    self._upstream_failed(504)
                else:
                    self._broken()
            quiet = 0.0
        self.idle_timer = loop.call_later(timeout - quiet, self._tick)

    # -- a request ----------------------------------------------------------------------------------------
    def _start(self, raw: bytes) -> None:
        node = self.node
        try:
            head = parse_request(raw)
        except BadMessage:
            return self._bad_request()
        self.busy = True
        self.head = head
        self.upstream_active = self.loop.time()
        timeout = node.idle_timeout()
        if timeout != self.timeout:  # changed meanwhile (ModifyLoadBalancerAttributes)
            self.timeout = timeout
            if self.idle_timer is not None:
                self.idle_timer.cancel()
            self.idle_timer = asyncio.get_running_loop().call_later(timeout, self._tick)
        self.keep_client = head.keep_alive
        self.body = head.body
        if head.expects_continue and self.body is not None:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        request = Request(method=head.method, path=head.path, query=head.query, host=head.host, headers=head.headers,
                          client=self.peer, port=node.port, protocol=node.protocol)
        router = node.router
        action = router.action(node.scope, node.lb_arn, request)
        if action is None:
            return self._answer(error_page(503))
        kind = action["Type"]
        if kind == "fixed-response":
            return self._answer(fixed_response(action["FixedResponseConfig"]))
        if kind == "redirect":
            return self._answer(redirect(action["RedirectConfig"], request))
        tg, group_cookie = router.target_group(node.scope, action, request)
        decision = router.forward(node.scope, tg, request) if tg is not None else None
        if decision is None:
            return self._answer(error_page(503))
        if group_cookie:
            decision.cookies.append(group_cookie)
        self.decision = decision
        in_flight = router.in_flight
        in_flight[decision.target] = in_flight.get(decision.target, 0) + 1
        forwarded_for = head.headers.get("x-forwarded-for")
        extra = (f"x-forwarded-for: {forwarded_for + ', ' if forwarded_for else ''}{self.peer}\r\n{node.forwarded}"
                 f"{self.tls_lines}"
                 f"{'' if 'x-amzn-trace-id' in head.headers else 'x-amzn-trace-id: ' + _trace_id() + chr(13) + chr(10)}"
                 f"{'transfer-encoding: chunked' + chr(13) + chr(10) if head.chunked else ''}\r\n")
        self.upstream_head = (head.forwarded + extra).encode("latin-1")
        upstream = node.pool.take(decision.target)
        if upstream is not None:
            self._send(upstream)
        else:
            self._connect(first=True)

    def _connect(self, first: bool) -> None:
        self.connecting = True
        self.transport.pause_reading()  # the request's body waits in the socket until there is somewhere to send it
        asyncio.get_running_loop().create_task(self._connecting(self.decision.target, first))

    async def _connecting(self, target: tuple[str, int], first: bool) -> None:
        try:
            upstream = await asyncio.wait_for(self.node.pool.connect(target), CONNECT_TIMEOUT)
        except (asyncio.TimeoutError, OSError) as error:
            upstream, failed = None, 504 if isinstance(error, asyncio.TimeoutError) else 502
        self.connecting = False
        if self.closed or not self.busy or self.decision is None:
            if upstream is not None:
                self.node.pool.put(upstream)
            return
        if not self.paused:
            self.transport.resume_reading()
        if upstream is None:
            return self._upstream_failed(failed)
        self._send(upstream)

    def _send(self, upstream: Upstream) -> None:
        """The request's head and what of its body has arrived go to the target."""
        self.upstream = upstream
        upstream.client = self
        head = self.upstream_head
        if self.body is None:
            upstream.transport.write(head)
            return
        try:
            part, rest = self.body.feed(self.buffer) if self.buffer else (b"", None)
        except BadMessage:
            return self._broken()
        self.buffer = b""
        _write(upstream.transport, head, part)
        if rest is not None:
            self.body = None
            self.buffer = rest

    def _request_body(self, data: bytes) -> None:
        try:
            part, rest = self.body.feed(data)
        except BadMessage:
            return self._broken()
        if self.upstream is not None and not self.discard:
            self.last_active = self.upstream_active = self.loop.time()
            if part:
                self.upstream.transport.write(part)
        if rest is not None:
            self.body = None
            self.buffer = rest
            if self.discard:
                self._finish()

    def _answer(self, response: Respond) -> None:
        """The node answers itself (fixed response, redirect, error page); a request body is read and dropped."""
        if not self.closed:
            lines = [f"HTTP/1.1 {response.status} {REASONS.get(response.status) or _reason(response.status)}\r\n"]
            lines.extend(f"{name}: {value}\r\n" for name, value in response.headers)
            lines.append(f"content-length: {len(response.body)}\r\nserver: awselb/2.0\r\n")
            if not self.keep_client:
                lines.append("connection: close\r\n")
            body = response.body if self.head is None or self.head.method != "HEAD" else b""
            self.transport.write(("".join(lines) + "\r\n").encode("latin-1") + body)
        if self.body is not None and self.keep_client:
            self.discard = True
            if self.buffer:
                data, self.buffer = self.buffer, b""
                self._request_body(data)
            return
        self._finish()

    def _bad_request(self) -> None:
        self.keep_client = False
        self.body = None
        self._answer(error_page(400))

    # -- the target's answer -------------------------------------------------------------------------------
    def response_data(self, data: bytes) -> None:
        self.upstream_active = self.loop.time()
        response = self.response
        if response is not None:
            try:
                part, rest = response.feed(data)
            except BadMessage:
                return self._broken()
            if part:
                self.transport.write(part)
            if rest is not None:
                self._response_done(rest)
            return
        buffer = self.response_buffer + data if self.response_buffer else data
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > MAX_HEAD:
                    return self._upstream_failed(502)
                self.response_buffer = buffer
                return
            try:
                answer = parse_response(buffer[:end], self.head.method == "HEAD")
            except BadMessage:
                return self._upstream_failed(502)
            buffer = buffer[end + 4:]
            if answer.interim:  # 1xx before the answer: passed on as it came
                self.transport.write(answer.raw + b"\r\n\r\n")
                continue
            break
        self.response_buffer = b""
        decision = self.decision
        cookies = list(decision.cookies)
        app_cookie = self.node.router.app_cookie_for(decision, answer.cookies)
        if app_cookie:
            cookies.append(app_cookie)
        self.keep_upstream = answer.keep_alive and self.head.version == "HTTP/1.1"
        if answer.body is not None and answer.body.until_close:
            self.keep_client = False  # the end of the body is the end of the target's connection: so for the client
        head = response_head(answer, cookies, self.keep_client, self.head.version, self.node.headers)
        self.response = answer.body
        if answer.body is None:
            self.transport.write(head)
            return self._response_done(buffer)
        try:
            part, rest = answer.body.feed(buffer) if buffer else (b"", None)
        except BadMessage:
            self.transport.write(head)
            return self._broken()
        _write(self.transport, head, part)
        if rest is not None:
            self._response_done(rest)

    def _response_done(self, rest: bytes) -> None:
        if rest or self.body is not None:
            # The target sent more than its answer, or answered before the request's body ended:
            # its connection is out of step; the client's too, as the rest of its body cannot be told
            # from its next request.
            self.keep_upstream = False
            if self.body is not None:
                self.keep_client = False
        self._finish()

    def upstream_lost(self, upstream: Upstream) -> None:
        """The target closed or broke its connection while it carried this request."""
        if upstream is not self.upstream:
            return
        if self.response is not None:
            if self.response.until_close:  # the end of the answer
                self.keep_upstream = False
                return self._finish()
            return self._broken()
        if self.response_buffer == b"" and upstream.reused and self.head.body is None:
            # A kept-alive connection the target closed meanwhile: once more on a fresh one.
            self.upstream = None
            return self._connect(first=False)
        self._upstream_failed(502)

    def _upstream_failed(self, status: int) -> None:
        """No answer from the target: the node answers with its error page."""
        if not self.busy or self.closed:
            return
        if self.upstream is not None:
            self.upstream.abort()
            self.upstream = None
        self._release()
        self._answer(error_page(status))

    def _broken(self) -> None:
        """The answer's head went out already: all that is left is to cut the client off, as AWS does."""
        self.keep_upstream = False
        self.transport.abort()
        self._end_exchange(keep_upstream=False)

    def _release(self) -> None:
        """The target no longer counts this request as outstanding."""
        if self.decision is not None:
            in_flight = self.node.router.in_flight
            in_flight[self.decision.target] -= 1
            self.decision = None

    def _end_exchange(self, keep_upstream: bool) -> None:
        self._release()
        upstream = self.upstream
        if upstream is not None:
            if keep_upstream and self.keep_upstream:
                self.node.pool.put(upstream)
            else:
                upstream.abort()
        self._reset()

    def _finish(self) -> None:
        """The answer went out: the connection is ready for the client's next request."""
        keep_client = self.keep_client
        self._end_exchange(keep_upstream=True)
        self.last_active = self.loop.time()
        if self.closed:
            return
        if not keep_client:
            self.transport.close()
            self.closed = True
            return
        self._next()


def _write(transport: asyncio.Transport, head: bytes, part: bytes) -> None:
    """A head and the first part of its body: in one write (one system call) when the part is small."""
    if len(part) <= JOIN:
        transport.write(head + part)
    else:
        transport.write(head)
        transport.write(part)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
