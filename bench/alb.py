"""Application Load Balancer benchmark: requests/s and latency through the load balancer versus
straight to the target, measured in the same run.

A small HTTP target (asyncio, keep-alive, a 2-byte body) runs in a process of its own and
regionbox in another (`regionbox up`); the client is this process: asyncio over raw sockets, each
connection sending one GET after the other on a kept-alive connection. Three paths, each with 1
and 32 connections: direct to the target (the baseline), and through the load balancer's DNS
name (a node, then the target). Also printed: regionbox's own CPU time per request, which does
not depend on what else the machine runs.

Run: python bench/alb.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pathlib
import statistics
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
sys.path.insert(0, os.path.dirname(__file__))

from _harness import cpu_seconds  # noqa: E402

from regionbox.testing.clients import free_port  # noqa: E402
from regionbox.testing.process import CloudProcess  # noqa: E402

TARGET = r'''
import asyncio, sys
try:
    import uvloop; uvloop.install()
except ImportError:
    pass
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
async def serve(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            writer.write(RESPONSE)
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()
async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", int(sys.argv[1]))
    print("ready", flush=True)
    await server.serve_forever()
asyncio.run(main())
'''


async def one_connection(host: str, port: int, deadline: float, latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    request = f"GET /bench HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - started)
    writer.close()


async def load(host: str, port: int, connections: int, seconds: float) -> tuple[float, list[float]]:
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(one_connection(host, port, deadline, latencies) for _ in range(connections)))
    return len(latencies) / (time.perf_counter() - started), latencies


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    target_port = free_port()
    target = subprocess.Popen([sys.executable, "-c", TARGET, str(target_port)], stdout=subprocess.PIPE, text=True)
    target.stdout.readline()
    cloud = CloudProcess().start()
    try:
        ec2, elb = cloud.client("ec2"), cloud.client("elbv2")
        subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]]
        lb = elb.create_load_balancer(Name="bench", Subnets=subnets[:2])["LoadBalancers"][0]
        tg = elb.create_target_group(Name="bench", Protocol="HTTP", Port=target_port, VpcId=lb["VpcId"], TargetType="ip",
                                     HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2)["TargetGroups"][0]
        elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": target_port}])
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
        elb.get_waiter("target_in_service").wait(TargetGroupArn=tg["TargetGroupArn"], WaiterConfig={"Delay": 1})
        paths = {"direct": ("127.0.0.1", target_port), "DNS name": (lb["DNSName"], 80)}
        print(f"ALB benchmark: {args.seconds:.0f} s per figure; target = asyncio HTTP server, 2-byte body; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        results: dict[tuple[str, int], tuple[float, list[float]]] = {}
        for connections in (1, 32):
            for name, (host, port) in paths.items():
                asyncio.run(load(host, port, connections, 0.3))  # warm up: connections, pools
                cpu = cpu_seconds(cloud.process.pid)
                rate, latencies = asyncio.run(load(host, port, connections, args.seconds))
                cpu = cpu_seconds(cloud.process.pid) - cpu
                results[(name, connections)] = (rate, latencies)
                spent = f"   regionbox CPU {cpu / len(latencies) * 1e6:>4.0f} µs/req" if name != "direct" else ""
                print(f"{name:<9} {connections:>2} conn  {rate:>8.0f} req/s   p50 {pct(latencies, 0.5):>6.0f} µs   "
                      f"p99 {pct(latencies, 0.99):>6.0f} µs   mean {statistics.mean(latencies) * 1e6:>6.0f} µs{spent}")
        for connections in (1, 32):
            ratio = results[("DNS name", connections)][0] / results[("direct", connections)][0]
            print(f"through the load balancer / direct, {connections:>2} connections: {ratio:.2f}x requests/s")
    finally:
        cloud.cleanup()
        target.kill()
        target.wait()


if __name__ == "__main__":
    main()
