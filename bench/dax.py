"""DAX GetItem cache hits through the official client (amazon-dax-client) against DynamoDB
GetItem through boto3, both served by one `regionbox up`, measured in the same run.

Prints, for 1 and 16 connections: ops/s, p50 and p99 latency, and the server's CPU seconds per
request (from /proc/<pid>/stat, load-independent), alternating DAX and DynamoDB rounds. Then, to
say where the time goes, the same GetItem replayed as pre-encoded bytes on one connection (no
client work: the server's own latency) for both.

Run: python bench/dax.py [--seconds 3] [--rounds 2]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pathlib
import socket
import sys
import threading
import time
from datetime import datetime, timezone

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import boto3  # noqa: E402
import cbor2  # noqa: E402
from botocore.config import Config  # noqa: E402

from _harness import Figures, ResponseReader, capture, connect, running_regionbox, wire_bytes  # noqa: E402
from regionbox.protocol.dax import codes  # noqa: E402

ACCOUNT = "123456789012"
TABLE = "bench-dax"
KEY = {"pk": {"S": "hot"}}
ITEM = {**KEY, "name": {"S": "a cached item"}, "n": {"N": "42"}, "tags": {"SS": ["a", "b"]},
        "doc": {"M": {"x": {"L": [{"N": "1"}, {"S": "two"}]}}}}
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def setup(endpoint: str) -> str:
    session = boto3.Session(aws_access_key_id=ACCOUNT, aws_secret_access_key="x", region_name="us-east-1")
    iam = session.client("iam", endpoint_url=endpoint)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "dax.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="bench-dax", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName="bench-dax", PolicyName="ddb", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]}))
    ddb = session.client("dynamodb", endpoint_url=endpoint)
    ddb.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    ddb.get_waiter("table_exists").wait(TableName=TABLE, WaiterConfig={"Delay": 0.2})
    ddb.put_item(TableName=TABLE, Item=ITEM)
    dax = session.client("dax", endpoint_url=endpoint)
    dax.create_cluster(ClusterName="bench", NodeType="dax.r5.large", ReplicationFactor=1, IamRoleArn=role)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        cluster = dax.describe_clusters(ClusterNames=["bench"])["Clusters"][0]
        if cluster["Status"] == "available":
            endpoint = cluster["ClusterDiscoveryEndpoint"]
            return f"{endpoint['Address']}:{endpoint['Port']}"
        time.sleep(0.2)
    raise SystemExit("the DAX cluster did not become available")


def run_threads(name: str, threads: int, seconds: float, make_call) -> Figures:
    """``threads`` threads, each with its own call (its own connection), for ``seconds``."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    calls = [make_call() for _ in range(threads)]
    for call in calls:
        call()  # connected and warm
    stop = time.perf_counter() + seconds
    barrier = threading.Barrier(threads + 1)

    def work(index: int) -> None:
        call, out = calls[index], latencies[index]
        barrier.wait()
        while True:
            t0 = time.perf_counter()
            if t0 >= stop:
                return
            call()
            out.append(time.perf_counter() - t0)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    flat = [x for out in latencies for x in out]
    return Figures(name, len(flat), time.perf_counter() - started, flat)


def dax_caller(discovery: str):
    from amazondax import AmazonDaxClient
    shared = AmazonDaxClient(endpoint_url=f"dax://{discovery}", region_name="us-east-1", aws_access_key_id=ACCOUNT,
                             aws_secret_access_key="x")

    def make():
        # the client pools connections: 16 threads hold 16 connections of one client
        return lambda: shared.get_item(TableName=TABLE, Key=KEY)
    return make, shared


def boto_caller(endpoint: str):
    def make():
        client = boto3.Session(aws_access_key_id=ACCOUNT, aws_secret_access_key="x", region_name="us-east-1").client(
            "dynamodb", endpoint_url=endpoint, config=Config(max_pool_connections=1, retries={"max_attempts": 0}))
        return lambda: client.get_item(TableName=TABLE, Key=KEY)
    return make


def raw_dax(discovery: str, count: int) -> Figures:
    """GetItem hits as pre-encoded DAX requests on one connection: the node's own latency."""
    from amazondax import SigV4Gen
    from botocore.credentials import Credentials
    host, port = discovery.split(":")
    sock = socket.create_connection((host, int(port)))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    signature = SigV4Gen.generate_signature(Credentials(ACCOUNT, "x"), "https://dax.amazonaws.com", "us-east-1", b"",
                                            datetime.now(timezone.utc).replace(tzinfo=None))
    hello = codes.MAGIC + b"\x00\xf6" + cbor2.dumps({"UserAgent": "bench"}) + b"\x00"
    auth = b"".join(cbor2.dumps(x) for x in (1, codes.AUTHORIZE_CONNECTION, ACCOUNT, signature.signature,
                                             signature.string_to_sign.encode(), None, "bench"))
    request = b"".join(cbor2.dumps(x) for x in (1, codes.GET_ITEM, TABLE.encode(), b"hot", None))
    sock.sendall(hello + auth)
    buffer = b""

    def answer() -> None:
        nonlocal buffer
        need = 2  # success marker, then the result map
        while True:
            stream = io.BytesIO(buffer)
            decoder = cbor2.CBORDecoder(stream)
            try:
                for _ in range(need):
                    decoder.decode()
                buffer = buffer[stream.tell():]
                return
            except cbor2.CBORDecodeEOF:
                buffer += sock.recv(65536)
    latencies = []
    started = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        sock.sendall(request)
        answer()
        latencies.append(time.perf_counter() - t0)
    figures = Figures("DAX GetItem, raw wire, 1 conn", count, time.perf_counter() - started, latencies)
    sock.close()
    return figures


def raw_dynamodb(endpoint: str, count: int) -> Figures:
    port = int(endpoint.rsplit(":", 1)[1])
    request = capture(endpoint, "dynamodb", "get_item", {"TableName": TABLE, "Key": KEY}, access_key=ACCOUNT)
    raw = wire_bytes(request, "127.0.0.1", port)
    sock = connect("127.0.0.1", port)
    reader = ResponseReader(sock)
    latencies = []
    started = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        sock.sendall(raw)
        status, _ = reader.read()
        assert status == 200, status
        latencies.append(time.perf_counter() - t0)
    sock.close()
    return Figures("DynamoDB GetItem, raw wire, 1 conn", count, time.perf_counter() - started, latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="alternating DAX / DynamoDB rounds")
    args = parser.parse_args()
    with running_regionbox("regionbox-bench-dax-") as box:
        endpoint = box.endpoint
        discovery = setup(endpoint)
        make_dax, dax = dax_caller(discovery)
        make_boto = boto_caller(endpoint)
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}   (cores: {os.cpu_count()})")
        results: dict[tuple[str, int], list[tuple[Figures, float]]] = {}
        for _ in range(args.rounds):
            for threads in (1, 16):
                for label, make in (("DAX (official client)", make_dax), ("DynamoDB (boto3)", make_boto)):
                    cpu0 = cpu_seconds(box.process.pid)
                    figures = run_threads(f"{label}, {threads} conn", threads, args.seconds, make)
                    cpu = (cpu_seconds(box.process.pid) - cpu0) / max(figures.count, 1)
                    results.setdefault((label, threads), []).append((figures, cpu))
                    print(f"{figures.line()}   server {cpu * 1e6:>6.0f} µs CPU/req")
        print()
        for threads in (1, 16):
            best = {label: max(results[(label, threads)], key=lambda r: r[0].ops)
                    for label in ("DAX (official client)", "DynamoDB (boto3)")}
            d, b = best["DAX (official client)"], best["DynamoDB (boto3)"]
            print(f"{threads:>2} conn: DAX {d[0].ops:>7.0f} ops/s vs DynamoDB {b[0].ops:>7.0f} ops/s = "
                  f"{d[0].ops / b[0].ops:4.1f}x throughput; p50 {d[0].pct(0.5):.0f} vs {b[0].pct(0.5):.0f} µs; "
                  f"server CPU/req {d[1] * 1e6:.0f} vs {b[1] * 1e6:.0f} µs = {b[1] / max(d[1], 1e-9):4.1f}x less")
        print("\nwhere the time goes (one connection, the same GetItem pre-encoded: no client work):")
        raw_d = raw_dax(discovery, 5000)
        raw_b = raw_dynamodb(endpoint, 2000)
        print(raw_d.line())
        print(raw_b.line())
        client_d = min(r[0].pct(0.5) for r in results[("DAX (official client)", 1)])
        client_b = min(r[0].pct(0.5) for r in results[("DynamoDB (boto3)", 1)])
        print(f"DAX: {client_d:.0f} µs a call, of which the node {raw_d.pct(0.5):.0f} µs (round trip included) and the "
              f"official client {client_d - raw_d.pct(0.5):.0f} µs")
        print(f"DynamoDB: {client_b:.0f} µs a call, of which regionbox {raw_b.pct(0.5):.0f} µs and boto3 "
              f"{client_b - raw_b.pct(0.5):.0f} µs")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        dax.close()


if __name__ == "__main__":
    main()
