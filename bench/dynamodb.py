"""DynamoDB benchmark: PutItem, GetItem, conditional UpdateItem and a 100-item Query over one
keep-alive connection with pre-signed requests; GetItem over 16 concurrent connections; and the
same against moto's server mode, started here, printed as ratios.

    python3 bench/dynamodb.py [--count 3000] [--skip-moto]

Targets (issue 4): GetItem p50 < 400 µs, >= 3x moto's GetItem throughput, Query of 100 items < 3 ms p50.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import time

import boto3

sys.path.insert(0, os.path.dirname(__file__))
from _harness import Figures, RawRequest, capture, replay, running_regionbox, wire_bytes  # noqa: E402
from _harness import start as start_server  # noqa: E402

from regionbox.testing.clients import free_port  # noqa: E402

TABLE = "bench"
CONNECTIONS = 16


def prepare(endpoint: str) -> dict[str, RawRequest]:
    """Create the table and the data, and capture one signed request per operation."""
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="123456789012", aws_secret_access_key="x")
    client.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "N"}])
    client.get_waiter("table_exists").wait(TableName=TABLE, WaiterConfig={"Delay": 0.1, "MaxAttempts": 300})
    for start in range(0, 100, 25):
        client.batch_write_item(RequestItems={TABLE: [
            {"PutRequest": {"Item": {"pk": {"S": "partition"}, "sk": {"N": str(i)}, "name": {"S": f"item-{i}"},
                                     "score": {"N": str(i * 7)}, "tags": {"SS": ["a", "b"]}}}}
            for i in range(start, start + 25)]})
    item = {"pk": {"S": "user#1"}, "sk": {"N": "1"}, "name": {"S": "Ann"}, "age": {"N": "30"},
            "address": {"M": {"city": {"S": "Tokyo"}, "zip": {"S": "100-0001"}}}, "count": {"N": "0"}}
    client.put_item(TableName=TABLE, Item=item)
    key = {"pk": {"S": "user#1"}, "sk": {"N": "1"}}
    return {
        "PutItem": capture(endpoint, "dynamodb", "put_item", {"TableName": TABLE, "Item": item}),
        "GetItem": capture(endpoint, "dynamodb", "get_item", {"TableName": TABLE, "Key": key}),
        "UpdateItem (conditional)": capture(endpoint, "dynamodb", "update_item", {
            "TableName": TABLE, "Key": key, "UpdateExpression": "SET #c = #c + :one",
            "ConditionExpression": "attribute_exists(pk) AND age >= :min",
            "ExpressionAttributeNames": {"#c": "count"},
            "ExpressionAttributeValues": {":one": {"N": "1"}, ":min": {"N": "18"}}}),
        "Query (100 items)": capture(endpoint, "dynamodb", "query", {
            "TableName": TABLE, "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "partition"}}}),
    }


async def _concurrent(port: int, request: RawRequest, per_connection: int, connections: int) -> tuple[float, list[float]]:
    raw = wire_bytes(request, "127.0.0.1", port)
    latencies: list[float] = []

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        closing = False
        for _ in range(per_connection):
            t0 = time.perf_counter()
            if closing:
                # The server closed after its last answer (moto's werkzeug does, every time):
                # reconnect as any HTTP client would; the reconnection is part of the cost.
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(raw)
            header = await reader.readuntil(b"\r\n\r\n")
            if not header.split(b" ", 2)[1:2] == [b"200"]:
                raise RuntimeError(header[:200])
            length, closing = 0, header.startswith(b"HTTP/1.0")
            for line in header.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
                elif name.strip().lower() == b"connection":
                    closing = value.strip().lower() == b"close"
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return time.perf_counter() - started, latencies


def concurrent(port: int, request: RawRequest, total: int, name: str) -> Figures:
    per = max(1, total // CONNECTIONS)
    seconds, latencies = asyncio.run(_concurrent(port, request, per, CONNECTIONS))
    return Figures(name, per * CONNECTIONS, seconds, latencies)


def measure(label: str, port: int, count: int, pid: int) -> dict[str, Figures]:
    endpoint = f"http://127.0.0.1:{port}"
    requests = prepare(endpoint)
    results: dict[str, Figures] = {}
    for name, request in requests.items():
        replay("127.0.0.1", port, request, min(200, count), name)  # warm-up
        n = count if not name.startswith("Query") else max(200, count // 5)
        results[name] = replay("127.0.0.1", port, request, n, name, pid=pid)
    results["GetItem x16 connections"] = concurrent(port, requests["GetItem"], count * 2, "GetItem x16 connections")
    print(f"\n{label}")
    for figures in results.values():
        print("  " + figures.line())
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--skip-moto", action="store_true")
    args = parser.parse_args()

    with running_regionbox() as cloud:
        ours = measure(f"regionbox (pid {cloud.process.pid})", cloud.port, args.count, cloud.process.pid)

    get = ours["GetItem"]
    query = ours["Query (100 items)"]
    print("\ntargets")
    print(f"  GetItem p50 {get.pct(0.5):.0f} µs (target < 400 µs): {'met' if get.pct(0.5) < 400 else 'MISSED'}")
    print(f"  Query 100 items p50 {query.pct(0.5) / 1000:.2f} ms (target < 3 ms): {'met' if query.pct(0.5) < 3000 else 'MISSED'}")

    moto = shutil.which("moto_server")
    if args.skip_moto or moto is None:
        print("\nmoto: skipped" + ("" if moto else " (moto_server not installed: pip install 'moto[server]')"))
        return
    moto_port = free_port()
    server = start_server([moto, "-p", str(moto_port)], f"http://127.0.0.1:{moto_port}/moto-api/")
    try:
        theirs = measure(f"moto_server (pid {server.pid})", moto_port, max(500, args.count // 3), server.pid)
    finally:
        server.terminate()
        server.wait(30)
    print("\nregionbox / moto")
    for name, figures in ours.items():
        other = theirs[name]
        print(f"  {name:<34} throughput x{figures.ops / other.ops:5.1f}   p50 latency x{other.pct(0.5) / figures.pct(0.5):5.1f} lower")
    ratio = ours["GetItem"].ops / theirs["GetItem"].ops
    print(f"  GetItem throughput vs moto: x{ratio:.1f} (target >= 3x): {'met' if ratio >= 3 else 'MISSED'}")


if __name__ == "__main__":
    main()
