"""Shared pieces of the benchmarks: capture a signed request once, replay it over one connection."""

from __future__ import annotations

import http.client
import statistics
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import boto3
from botocore.awsrequest import AWSResponse


@dataclass
class RawRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def capture(endpoint: str, service: str, operation: str, params: dict, region: str = "us-east-1",
            access_key: str = "123456789012") -> RawRequest:
    """Let botocore build and sign the request, and keep it instead of sending it."""
    client = boto3.client(service, endpoint_url=endpoint, region_name=region,
                          aws_access_key_id=access_key, aws_secret_access_key="x")
    captured: list[RawRequest] = []

    def keep(request, **_):
        url = urlsplit(request.url)
        body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
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

    @property
    def ops(self) -> float:
        return self.count / self.seconds

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1e6

    def line(self) -> str:
        return (f"{self.name:<34} {self.ops:>9.0f} ops/s   p50 {self.pct(0.5):>7.0f} µs   "
                f"p99 {self.pct(0.99):>7.0f} µs   mean {statistics.mean(self.latencies) * 1e6:>7.0f} µs")


def replay(host: str, port: int, request: RawRequest, count: int, name: str, expect: int = 200) -> Figures:
    """Send the same request ``count`` times over one keep-alive connection."""
    connection = http.client.HTTPConnection(host, port)
    latencies = []
    started = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        connection.request(request.method, request.path, body=request.body, headers=request.headers)
        response = connection.getresponse()
        body = response.read()
        latencies.append(time.perf_counter() - t0)
        if response.status != expect:
            raise RuntimeError(f"{name}: HTTP {response.status}: {body[:300]!r}")
    seconds = time.perf_counter() - started
    connection.close()
    return Figures(name, count, seconds, latencies)


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0
