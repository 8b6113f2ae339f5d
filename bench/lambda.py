"""Lambda benchmark: warm invocations of a trivial Python function (ops/s, p50/p99, replayed
pre-signed requests over one keep-alive connection, and through boto3), cold starts (an update
of the function, then its first invocation), and DynamoDB write -> function start latency through
an event source mapping on the table's stream.

Baselines measured in the same run, printed as ratios: a bare subprocess pipe call (the same
trivial handler in a warm Python child, a length-prefixed request and answer over its stdin and
stdout: the floor of any out-of-process invocation), a replayed STS GetCallerIdentity (the floor
of any request through regionbox's gateway), and a bare ``python3 -c pass`` (the floor of a cold
start).

    python3 bench/lambda.py [--count 3000] [--cold 20] [--writes 300]

Targets (issue 11): warm invoke p50 < 2 ms; DynamoDB write -> function start p50 < 50 ms.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import struct
import subprocess
import sys
import time
import zipfile

import boto3
from botocore.config import Config as BotoConfig

sys.path.insert(0, os.path.dirname(__file__))
from _harness import Figures, capture, replay, running_regionbox, tree_cpu_seconds  # noqa: E402

ACCOUNT = "123456789012"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
TRIVIAL = "def handler(event, context):\n    return {'ok': True}\n"
STAMPER = """import json, time
def handler(event, context):
    started = time.time()
    print(json.dumps({"starts": [[float(r["dynamodb"]["NewImage"]["t"]["N"]), started] for r in event["Records"]]}))
"""


def client(endpoint: str, service: str):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=ACCOUNT,
                        aws_secret_access_key="x", config=BotoConfig(retries={"max_attempts": 1}))


def package(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


def create(endpoint: str, name: str, source: str, role: str) -> None:
    lam = client(endpoint, "lambda")
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                        Code={"ZipFile": package(source)}, Timeout=30)
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})


PIPE_CHILD = """import json, struct, sys
def handler(event, context):
    return {'ok': True}
read, write = sys.stdin.buffer.read, sys.stdout.buffer
while True:
    head = read(4)
    if not head:
        break
    event = json.loads(read(struct.unpack('>I', head)[0]))
    body = json.dumps(handler(event, None)).encode()
    write.write(struct.pack('>I', len(body)) + body)
    write.flush()
"""


def pipe_baseline(count: int) -> Figures:
    """The trivial handler in a warm child process, called over a pipe: no HTTP, no cloud."""
    child = subprocess.Popen([sys.executable, "-c", PIPE_CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert child.stdin is not None and child.stdout is not None
    request = struct.pack(">I", 2) + b"{}"
    latencies = []
    try:
        for _ in range(300):  # warm-up
            child.stdin.write(request)
            child.stdin.flush()
            child.stdout.read(struct.unpack(">I", child.stdout.read(4))[0])
        started = time.perf_counter()
        for _ in range(count):
            t0 = time.perf_counter()
            child.stdin.write(request)
            child.stdin.flush()
            child.stdout.read(struct.unpack(">I", child.stdout.read(4))[0])
            latencies.append(time.perf_counter() - t0)
        return Figures("baseline: bare subprocess pipe call", count, time.perf_counter() - started, latencies)
    finally:
        child.stdin.close()
        child.wait(10)


def gateway_baseline(endpoint: str, port: int, count: int, pid: int) -> tuple[Figures, float]:
    request = capture(endpoint, "sts", "get_caller_identity", {})
    replay("127.0.0.1", port, request, min(300, count), "warm-up")
    return cpu_per_call(pid, lambda: replay("127.0.0.1", port, request, count, "baseline: GetCallerIdentity (replayed)"))


def process_baseline(count: int) -> Figures:
    latencies = []
    started = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        latencies.append(time.perf_counter() - t0)
    return Figures("baseline: python3 -c pass", count, time.perf_counter() - started, latencies)


def ratio(name: str, ours: Figures, base: Figures) -> str:
    return (f"ratio {name:<50} p50 x{ours.pct(0.5) / base.pct(0.5):>5.1f}   "
            f"(+{(ours.pct(0.5) - base.pct(0.5)) / 1000:.2f} ms)")


def cpu_per_call(pid: int, call) -> tuple[Figures, float]:
    """What ``call`` measured, and the CPU time regionbox and its execution environments spent
    per request meanwhile (load-independent, at /proc's 10 ms resolution)."""
    before = tree_cpu_seconds(pid)
    figures = call()
    return figures, (tree_cpu_seconds(pid) - before) / figures.count


def warm(endpoint: str, port: int, count: int, pid: int) -> tuple[list[Figures], float]:
    request = capture(endpoint, "lambda", "invoke", {"FunctionName": "trivial", "Payload": b"{}"})
    replay("127.0.0.1", port, request, min(300, count), "warm-up")
    replayed, cpu = cpu_per_call(pid, lambda: replay("127.0.0.1", port, request, count, "Invoke, warm (replayed)"))
    lam = client(endpoint, "lambda")
    latencies = []
    started = time.perf_counter()
    for _ in range(count // 3):
        t0 = time.perf_counter()
        lam.invoke(FunctionName="trivial", Payload=b"{}")["Payload"].read()
        latencies.append(time.perf_counter() - t0)
    through_boto3 = Figures("Invoke, warm (boto3)", len(latencies), time.perf_counter() - started, latencies)
    return [replayed, through_boto3], cpu


def cold(endpoint: str, count: int) -> Figures:
    lam = client(endpoint, "lambda")
    latencies = []
    started = time.perf_counter()
    for i in range(count):
        lam.update_function_configuration(FunctionName="trivial", Environment={"Variables": {"ROUND": str(i)}})
        lam.get_waiter("function_updated_v2").wait(FunctionName="trivial", WaiterConfig={"Delay": 0.05})
        t0 = time.perf_counter()
        lam.invoke(FunctionName="trivial", Payload=b"{}")["Payload"].read()
        latencies.append(time.perf_counter() - t0)
    return Figures("Invoke, cold start (boto3)", count, time.perf_counter() - started, latencies)


def stream_latency(endpoint: str, role: str, writes: int) -> list[float]:
    ddb, lam, logs = client(endpoint, "dynamodb"), client(endpoint, "lambda"), client(endpoint, "logs")
    ddb.create_table(TableName="events", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    ddb.get_waiter("table_exists").wait(TableName="events", WaiterConfig={"Delay": 0.1})
    stream = ddb.describe_table(TableName="events")["Table"]["LatestStreamArn"]
    create(endpoint, "stamper", STAMPER, role)
    uuid = lam.create_event_source_mapping(EventSourceArn=stream, FunctionName="stamper", StartingPosition="LATEST",
                                           BatchSize=100)["UUID"]
    while lam.get_event_source_mapping(UUID=uuid)["State"] != "Enabled":
        time.sleep(0.05)
    ddb.put_item(TableName="events", Item={"pk": {"S": "warm-up"}, "t": {"N": str(time.time())}})
    time.sleep(1)
    for i in range(writes):
        ddb.put_item(TableName="events", Item={"pk": {"S": f"item-{i}"}, "t": {"N": repr(time.time())}})
        time.sleep(0.02)
    deadline = time.time() + 60
    found: dict[float, float] = {}
    while time.time() < deadline and len(found) < writes + 1:
        time.sleep(0.5)
        found = {}
        for page in logs.get_paginator("filter_log_events").paginate(logGroupName="/aws/lambda/stamper",
                                                                      filterPattern='"starts"'):
            for event in page["events"]:
                for written, started in json.loads(event["message"])["starts"]:
                    found[written] = started
    return sorted(started - written for written, started in found.items())[:writes]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--cold", type=int, default=20)
    parser.add_argument("--writes", type=int, default=300)
    args = parser.parse_args()
    with running_regionbox() as cloud:
        endpoint = cloud.endpoint
        role = client(endpoint, "iam").create_role(RoleName="bench", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        create(endpoint, "trivial", TRIVIAL, role)
        pipe = pipe_baseline(args.count)
        gateway, gateway_cpu = gateway_baseline(endpoint, cloud.port, args.count, cloud.process.pid)
        (replayed, through_boto3), invoke_cpu = warm(endpoint, cloud.port, args.count, cloud.process.pid)
        for figures in (pipe, gateway, replayed, through_boto3):
            print(figures.line())
        print(f"  warm invoke p50 {replayed.pct(0.5) / 1000:.2f} ms (target < 2 ms): "
              f"{'met' if replayed.pct(0.5) < 2000 else 'MISSED'}")
        print(ratio("Invoke (replayed) / bare pipe call", replayed, pipe))
        print(ratio("Invoke (replayed) / GetCallerIdentity (replayed)", replayed, gateway))
        print(f"server CPU per request (regionbox and its execution environments): Invoke {invoke_cpu * 1e6:.0f} µs, "
              f"GetCallerIdentity {gateway_cpu * 1e6:.0f} µs (x{invoke_cpu / max(gateway_cpu, 1e-9):.1f}); "
              f"load average {os.getloadavg()[0]:.1f}")
        started, bare = cold(endpoint, args.cold), process_baseline(args.cold)
        print(started.line())
        print(bare.line())
        print(ratio("cold start / python3 -c pass", started, bare))
        latencies = stream_latency(endpoint, role, args.writes)
        if latencies:
            print(f"{'DynamoDB write -> function start':<34} {len(latencies):>6} records   p50 "
                  f"{statistics.median(latencies) * 1000:>6.1f} ms   p99 "
                  f"{latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000:>6.1f} ms")
        else:
            print("DynamoDB write -> function start: no record reached the function")


if __name__ == "__main__":
    main()
