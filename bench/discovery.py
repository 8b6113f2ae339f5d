"""Application Discovery Service benchmark, in one run:

1. The agent's footprint: ``regionbox discovery-agent`` collecting at its default intervals (a
   sample, the process list and the TCP connections every 15 s; heartbeat and upload every 15
   minutes) for ``--seconds``: its CPU (share of one core, from the process's CPU time) and memory
   (RSS, peak), against a bare Python interpreter that imports the same libraries (the floor).
   Also load-independent: the CPU time of one collection, measured in this process.
2. The API's ingestion rate: signed agent reports (``--records`` records each: samples, processes,
   connections) replayed on one connection, in alternating rounds with GetDiscoverySummary as the
   baseline request: configuration items (records) per second, wall clock, and the cloud process's
   CPU seconds per report against per baseline request.

    python3 bench/discovery.py [--seconds 120] [--rounds 3] [--reports 200] [--records 100]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from regionbox.config import AwsCredentials  # noqa: E402
from regionbox.discovery_agent.host import Host  # noqa: E402
from regionbox.discovery_agent.transport import sign  # noqa: E402
from regionbox.testing import CloudProcess  # noqa: E402

ACCOUNT, HOME = "111122223333", "ap-northeast-1"
CREDENTIALS = AwsCredentials(ACCOUNT, "x", "", HOME)


def agent_env() -> dict:
    return dict(os.environ, AWS_ACCESS_KEY_ID=ACCOUNT, AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION=HOME)


def footprint(cloud: CloudProcess, seconds: float, state: Path) -> dict:
    command = [sys.executable, "-m", "regionbox", "discovery-agent", "--endpoint", cloud.endpoint, "--state-dir", str(state)]
    client = cloud.client("discovery", region=HOME, account=ACCOUNT)
    first = subprocess.Popen(command, env=agent_env(), stderr=subprocess.DEVNULL)
    while not client.describe_agents()["agentsInfo"]:
        time.sleep(0.2)
    client.start_data_collection_by_agent_ids(agentIds=[client.describe_agents()["agentsInfo"][0]["agentId"]])
    # At the default 15-minute heartbeat it would learn of the start in 15 minutes; started again,
    # it asks at once (its identity and buffer are kept), then runs at its defaults.
    first.send_signal(signal.SIGTERM)
    first.wait(30)
    agent = subprocess.Popen(command, env=agent_env(), stderr=subprocess.DEVNULL)
    process = psutil.Process(agent.pid)
    time.sleep(5)  # start-up (imports, registration) is not the steady state
    before, started = process.cpu_times(), time.monotonic()
    peak = 0
    while time.monotonic() - started < seconds:
        peak = max(peak, process.memory_info().rss)
        time.sleep(1)
    after, elapsed = process.cpu_times(), time.monotonic() - started
    agent.send_signal(signal.SIGTERM)
    agent.wait(30)
    floor = subprocess.Popen([sys.executable, "-c", "import psutil, regionbox.discovery_agent.agent, time; time.sleep(30)"])
    time.sleep(3)
    floor_rss = psutil.Process(floor.pid).memory_info().rss
    floor.kill()
    cpu = (after.user + after.system - before.user - before.system) / elapsed
    return {"cpu": cpu, "rss": peak, "floor_rss": floor_rss, "elapsed": elapsed}


def collection_cost(rounds: int = 20) -> float:
    host = Host()
    host.sample()
    start = time.process_time()
    for _ in range(rounds):
        host.sample()
        host.activity()
    return (time.process_time() - start) / rounds


def report(agent_id: str, batch: int, records: int) -> dict:
    now = time.time()
    items = []
    for i in range(records):
        kind = ("sample", "process", "connection")[i % 3]
        if kind == "sample":
            items.append({"kind": "sample", "ts": now + i, "cpu": 10.0 + i % 50, "freeRamKb": 1_000_000, "netReadKb": 1.0})
        elif kind == "process":
            items.append({"kind": "process", "ts": now, "pid": i, "name": f"worker-{i % 40}", "path": "/usr/bin/worker",
                          "commandLine": f"worker --id {i % 40}"})
        else:
            items.append({"kind": "connection", "ts": now, "direction": "outbound", "localIp": "10.0.0.1",
                          "localPort": 30000 + (batch * records + i) % 30000, "remoteIp": f"10.0.1.{i % 20}",
                          "remotePort": 5432, "pid": i})
    return {"agentId": agent_id, "batch": batch, "records": items}


def post(connection: http.client.HTTPConnection, host: str, path: str, body: bytes, headers: dict) -> int:
    connection.request("POST", path, body, headers)
    response = connection.getresponse()
    response.read()
    return response.status


def ingestion(cloud: CloudProcess, rounds: int, reports: int, records: int) -> list[tuple[float, float, float]]:
    host = f"127.0.0.1:{cloud.port}"
    connection = http.client.HTTPConnection(host)
    body = json.dumps({"hostKey": "bench", "hostName": "bench-1"}).encode()
    path = "/_discovery/agent/register"
    post(connection, host, path, body, sign("POST", host, path, body, CREDENTIALS, HOME))
    agent_id = cloud.client("discovery", region=HOME, account=ACCOUNT).describe_agents(
        filters=[{"name": "hostName", "values": ["bench-1"], "condition": "EQUALS"}])["agentsInfo"][0]["agentId"]
    summary = json.dumps({}).encode()
    summary_headers = dict(sign("POST", host, "/", summary, CREDENTIALS, HOME),
                           **{"content-type": "application/x-amz-json-1.1",
                              "x-amz-target": "AWSPoseidonService_V2015_11_01.GetDiscoverySummary"})
    server = psutil.Process(cloud.process.pid)
    results = []
    batch = 0
    for _ in range(rounds):
        bodies = []
        for _ in range(reports):
            bodies.append(json.dumps(report(agent_id, batch, records)).encode())
            batch += 1
        path = "/_discovery/agent/report"
        signed = [sign("POST", host, path, b, CREDENTIALS, HOME) for b in bodies]
        cpu0, wall0 = sum(server.cpu_times()[:2]), time.perf_counter()
        for b, h in zip(bodies, signed):
            assert post(connection, host, path, b, h) == 200
        wall, cpu = time.perf_counter() - wall0, sum(server.cpu_times()[:2]) - cpu0
        # Baseline in the same round: a small read of the same service.
        cpu1 = sum(server.cpu_times()[:2])
        for _ in range(reports):
            assert post(connection, host, "/", summary, summary_headers) == 200
        baseline = (sum(server.cpu_times()[:2]) - cpu1) / reports
        results.append((reports * records / wall, cpu / reports, baseline))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--records", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cloud = CloudProcess(Path(tmp) / "state").start()
        try:
            cloud.client("migrationhub-config", region=HOME, account=ACCOUNT).create_home_region_control(
                HomeRegion=HOME, Target={"Type": "ACCOUNT", "Id": ACCOUNT})
            print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
                  f"on {os.cpu_count()} cores")
            cost = collection_cost()
            print(f"one collection (sample + processes + connections): {cost * 1000:.1f} ms CPU -> "
                  f"{cost / 15 * 100:.3f} % of a core at one per 15 s (load-independent)")
            figures = footprint(cloud, args.seconds, Path(tmp) / "agent")
            print(f"agent at default intervals for {figures['elapsed']:.0f} s: {figures['cpu'] * 100:.3f} % of a core "
                  f"(target < 1 %), RSS peak {figures['rss'] / 2**20:.1f} MiB (target < 50 MiB; a bare Python with the "
                  f"same imports: {figures['floor_rss'] / 2**20:.1f} MiB)")
            for number, (rate, cpu, baseline) in enumerate(ingestion(cloud, args.rounds, args.reports, args.records), 1):
                print(f"ingestion round {number}: {rate:,.0f} configuration items/s wall ({args.records} per report); "
                      f"cloud CPU {cpu * 1000:.2f} ms per report = {cpu / args.records * 1e6:.0f} µs per item; "
                      f"GetDiscoverySummary {baseline * 1000:.2f} ms: a report costs {cpu / baseline:.1f}x the baseline")
            print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
        finally:
            cloud.cleanup()


if __name__ == "__main__":
    main()
