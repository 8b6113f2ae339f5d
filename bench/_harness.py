"""Shared pieces of the benchmarks: capture a signed request once, replay it over one connection."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import statistics
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import boto3
from botocore.awsrequest import AWSResponse

from regionbox.testing.clients import free_port


@dataclass
class RawRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def capture(endpoint: str, service: str, operation: str, params: dict, region: str = "us-east-1",
            access_key: str = "123456789012", secret_key: str = "x", session_token: str | None = None) -> RawRequest:
    """Let botocore build and sign the request, and keep it instead of sending it."""
    client = boto3.client(service, endpoint_url=endpoint, region_name=region, aws_access_key_id=access_key,
                          aws_secret_access_key=secret_key, aws_session_token=session_token)
    captured: list[RawRequest] = []

    def keep(request, **_):
        url = urlsplit(request.url)
        body = request.body
        if hasattr(body, "read"):  # S3 payloads come as a file
            body = body.read()
        body = body if isinstance(body, bytes) else (body or "").encode()
        captured.append(RawRequest(request.method, url.path + (f"?{url.query}" if url.query else ""),
                                   {k: (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()}, body))
        return AWSResponse(request.url, 599, {}, None)

    client.meta.events.register("before-send", keep)
    try:
        getattr(client, operation)(**params)
    except Exception:  # noqa: BLE001 - the fake 599 response is expected to fail parsing
        pass
    return captured[0]


@dataclass
class Figures:
    name: str
    count: int
    seconds: float
    latencies: list[float]
    server_cpu: float | None = None  # the server's CPU seconds over the run, when its pid is known

    @property
    def ops(self) -> float:
        return self.count / self.seconds

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1e6

    def line(self) -> str:
        return (f"{self.name:<34} {self.ops:>9.0f} ops/s   p50 {self.pct(0.5):>7.0f} µs   "
                f"p99 {self.pct(0.99):>7.0f} µs   mean {statistics.mean(self.latencies) * 1e6:>7.0f} µs"
                + (f"   server CPU {self.server_cpu / self.count * 1e6:>6.0f} µs/req" if self.server_cpu is not None else ""))


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used. Unlike wall-clock figures it hardly moves when other
    work shares the machine, so it is the figure to compare versions by on a busy host."""
    user, system = cpu_split(pid)
    return user + system


def cpu_split(pid: int) -> tuple[float, float]:
    """User and system (kernel: the sockets' work) CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / os.sysconf("SC_CLK_TCK"), int(fields[12]) / os.sysconf("SC_CLK_TCK")


def wire_bytes(request: RawRequest, host: str, port: int) -> bytes:
    """The request as it goes on the wire, encoded once so the client costs almost nothing per
    call and the latency measured is the server's (http.client spends ~100 µs a request)."""
    headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length", "expect")}
    head = f"{request.method} {request.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + f"Content-Length: {len(request.body)}\r\n\r\n"
    return head.encode() + request.body


class ResponseReader:
    """Reads HTTP/1.1 responses (Content-Length or chunked) from a socket."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = b""
        self.closing = False  # the server said Connection: close (moto's werkzeug does, every time)

    def _fill(self) -> None:
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buffer += chunk

    def _until(self, marker: bytes) -> bytes:
        while (end := self.buffer.find(marker)) < 0:
            self._fill()
        line, self.buffer = self.buffer[:end], self.buffer[end + len(marker):]
        return line

    def _exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def read(self) -> tuple[int, bytes]:
        head = self._until(b"\r\n\r\n").split(b"\r\n")
        status = int(head[0].split()[1])
        fields = {name.strip().lower(): value.strip() for name, _, value in (line.partition(b":") for line in head[1:])}
        self.closing = fields.get(b"connection", b"").lower() == b"close"
        if fields.get(b"transfer-encoding") == b"chunked":
            body = b""
            while size := int(self._until(b"\r\n").split(b";")[0], 16):
                body += self._exactly(size)
                self._until(b"\r\n")
            self._until(b"\r\n")
            return status, body
        return status, self._exactly(int(fields.get(b"content-length", b"0")))


def connect(host: str, port: int) -> socket.socket:
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def replay(host: str, port: int, request: RawRequest, count: int, name: str, expect: int = 200,
           pid: int | None = None) -> Figures:
    """Send the same request ``count`` times over one keep-alive connection; with the server's
    ``pid``, also its CPU time over the run."""
    raw = wire_bytes(request, host, port)
    reader = ResponseReader(connect(host, port))
    latencies = []
    cpu_before = cpu_seconds(pid) if pid is not None else None
    started = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        if reader.closing:  # as any HTTP client would, and the reconnection is part of the cost
            reader.sock.close()
            reader = ResponseReader(connect(host, port))
        reader.sock.sendall(raw)
        status, body = reader.read()
        latencies.append(time.perf_counter() - t0)
        if status != expect:
            raise RuntimeError(f"{name}: HTTP {status}: {body[:300]!r}")
    seconds = time.perf_counter() - started
    reader.sock.close()
    server_cpu = cpu_seconds(pid) - cpu_before if pid is not None else None
    return Figures(name, count, seconds, latencies, server_cpu)


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and of its live descendants (a server's worker processes)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            total += cpu_seconds(current)
        except (OSError, ValueError, IndexError):
            continue
        todo.extend(children.get(current, ()))
    return total


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 30) -> float:
    """Seconds until ``url`` answers; raises if ``process`` exits first or time runs out."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return time.perf_counter() - started
        except OSError:
            time.sleep(0.005)
    raise TimeoutError(url)


def start(command: list[str], health: str) -> subprocess.Popen:
    """Launch another server (moto, ministack) and wait until ``health`` answers."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(health, process)
    except Exception:
        process.kill()
        raise
    return process


@dataclass
class Regionbox:
    process: subprocess.Popen
    port: int
    state_dir: str
    ready_seconds: float  # from launch to a ready health check

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def running_regionbox(prefix: str = "regionbox-bench-") -> Iterator[Regionbox]:
    """A `regionbox up` process on a free port with a fresh state directory, stopped and its
    state removed on exit."""
    port = free_port()
    state = tempfile.mkdtemp(prefix=prefix)
    launched = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "regionbox", "up", "--port", str(port), "--state-dir", state],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(f"http://127.0.0.1:{port}/_regionbox/health", process)
        yield Regionbox(process, port, state, time.perf_counter() - launched)
    finally:
        process.terminate()
        process.wait(30)
        shutil.rmtree(state, ignore_errors=True)
