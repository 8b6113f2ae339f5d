"""Application Load Balancer benchmark: requests/s and latency through the load balancer versus
straight to the target, measured in the same run.

A small HTTP target (asyncio, keep-alive, a 2-byte body) runs in a process of its own and
regionbox in another (`regionbox up`); the client is this process: asyncio over raw sockets, each
connection sending one GET after the other on a kept-alive connection. Three paths, each with 1
and 32 connections: direct to the target (the baseline), and through the load balancer's DNS
name (a node, then the target).

Figures come in alternating rounds (direct, through the load balancer, again) so that both
paths see the same load on a shared machine. Besides wall-clock figures it prints CPU time per
request of regionbox, the target and the client, which do not depend on what else the machine
runs: their sum per path is what a request costs the machine, and on busy cores throughput goes
as its inverse.

Where the time goes (py-spy on the cloud during the 32-connection rounds): since the proxy runs
on asyncio Protocols, about a sixth of regionbox's CPU per request is Python (heads parsed and
rewritten, routing); the rest is the event loop and the four socket calls a proxy makes per
request (read the client, write the target, read the target, write the client), twice the
target's two. A proxy with no Python in it at all would still spend about twice the target's
CPU per request, so on busy cores the ratio is at most about (client + target) / (client +
target + 2 x target): ~0.5 against this 7 µs target and a uvloop client, whatever the engine.
What a faster proxy would need is fewer or cheaper socket calls than the target per request, not
faster Python: batching several requests per read and write (pipelining the client would do it,
browsers do not), splice(2) of bodies between sockets without copying them, or cores of its own
(a production load balancer runs on other machines than its targets and clients).

Run: python bench/alb.py [--seconds 1] [--rounds 3] [--client uvloop|asyncio]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pathlib
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
sys.path.insert(0, os.path.dirname(__file__))

from _harness import cpu_seconds, cpu_split  # noqa: E402

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
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per figure, direct and load balancer alternating")
    parser.add_argument("--client", choices=("uvloop", "asyncio"), default="uvloop",
                        help="the client's event loop: uvloop is the leanest client there is here, and the less the "
                             "client costs, the stricter the baseline; asyncio's own loop was the client before")
    args = parser.parse_args()
    new_loop = asyncio.new_event_loop
    if args.client == "uvloop":
        try:
            import uvloop
            new_loop = uvloop.new_event_loop
        except ImportError:
            pass
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
        print(f"ALB benchmark: {args.rounds} alternating rounds of {args.seconds:.1f} s per figure; target = asyncio HTTP "
              f"server (uvloop), 2-byte body; client {args.client if new_loop is not asyncio.new_event_loop else 'asyncio'}; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print("CPU µs/req: of regionbox (the load balancer), of the target, of the client (this process)")
        pids = {"regionbox": cloud.process.pid, "target": target.pid}
        results: dict[tuple[str, int], dict] = {}
        for connections in (1, 32):
            for name, (host, port) in paths.items():
                with asyncio.Runner(loop_factory=new_loop) as runner:
                    runner.run(load(host, port, connections, 0.3))  # warm up: connections, pools
                results[(name, connections)] = {"requests": 0, "seconds": 0.0, "latencies": [], "kernel": 0.0,
                                                  "cpu": dict.fromkeys([*pids, "client"], 0.0)}
            for _ in range(args.rounds):
                for name, (host, port) in paths.items():
                    figure = results[(name, connections)]
                    before = {who: cpu_seconds(pid) for who, pid in pids.items()}
                    kernel = cpu_split(pids["regionbox"])[1]
                    client = time.process_time()
                    with asyncio.Runner(loop_factory=new_loop) as runner:
                        started = time.perf_counter()
                        _, latencies = runner.run(load(host, port, connections, args.seconds))
                        figure["seconds"] += time.perf_counter() - started
                    figure["cpu"]["client"] += time.process_time() - client
                    for who, pid in pids.items():
                        figure["cpu"][who] += cpu_seconds(pid) - before[who]
                    figure["kernel"] += cpu_split(pids["regionbox"])[1] - kernel
                    figure["requests"] += len(latencies)
                    figure["latencies"].extend(latencies)
            for name in paths:
                figure = results[(name, connections)]
                latencies, count = figure["latencies"], figure["requests"]
                cpu = "  ".join(f"{who} {seconds / count * 1e6:>4.0f}" for who, seconds in figure["cpu"].items())
                if name != "direct":
                    cpu += f"  (regionbox in the kernel {figure['kernel'] / count * 1e6:.0f})"
                print(f"{name:<9} {connections:>2} conn  {count / figure['seconds']:>8.0f} req/s   p50 {pct(latencies, 0.5):>6.0f} µs   "
                      f"p99 {pct(latencies, 0.99):>6.0f} µs   CPU µs/req: {cpu}")
        for connections in (1, 32):
            direct, through = results[("direct", connections)], results[("DNS name", connections)]
            ratio = (through["requests"] / through["seconds"]) / (direct["requests"] / direct["seconds"])
            per = {key: {who: seconds / figure["requests"] * 1e6 for who, seconds in figure["cpu"].items()}
                   for key, figure in (("direct", direct), ("through", through))}
            # What the machine spends per request each way: with every core busy (as here, shared),
            # throughput goes as its inverse, whatever else runs.
            spent_direct = per["direct"]["client"] + per["direct"]["target"]
            spent_through = per["through"]["client"] + per["through"]["target"] + per["through"]["regionbox"]
            print(f"{connections:>2} connections: through the load balancer / direct {ratio:.2f}x requests/s (wall clock); "
                  f"CPU per request {spent_through:.0f} µs vs {spent_direct:.0f} µs = {spent_direct / spent_through:.2f}x; "
                  f"the proxy {per['through']['regionbox']:.0f} µs/req against the target's {per['direct']['target']:.0f}")
    finally:
        cloud.cleanup()
        target.kill()
        target.wait()


if __name__ == "__main__":
    main()
