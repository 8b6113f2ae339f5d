"""DynamoDB at scale: does a table of a million small items stay responsive? (issue 4)

Loads N small items (default 1,000,000) through BatchWriteItem over the real API — every request
signed with SigV4 by botocore and sent over one keep-alive connection — then measures, with keys
drawn at random from the whole table, GetItem and Query-by-partition-key latency, and DescribeTable.
A regression to a scan would show as milliseconds per call growing with the table.

    python3 bench/dynamodb_scale.py [--items 1000000] [--samples 2000]

Items are {"pk": "user#<i // 10>", "sk": <i % 10>, "name": "n<i>", "score": <i>} (about 40 bytes),
so each partition holds 10 items and each Query returns 10.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

sys.path.insert(0, os.path.dirname(__file__))
from _harness import Figures, RawRequest, ResponseReader, connect, rss_kib, running_regionbox, wire_bytes  # noqa: E402


TABLE = "scale"
PER_PARTITION = 10
CREDENTIALS = Credentials("123456789012", "x")


class Connection:
    """One keep-alive connection sending SigV4-signed DynamoDB JSON requests."""

    def __init__(self, port: int):
        self.port = port
        self.endpoint = f"http://127.0.0.1:{port}/"
        self.reader = ResponseReader(connect("127.0.0.1", port))

    def signed(self, operation: str, params: dict) -> bytes:
        request = AWSRequest("POST", self.endpoint, data=json.dumps(params).encode(), headers={
            "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"DynamoDB_20120810.{operation}"})
        SigV4Auth(CREDENTIALS, "dynamodb", "us-east-1").add_auth(request)
        return wire_bytes(RawRequest("POST", "/", dict(request.headers.items()), request.body), "127.0.0.1", self.port)

    def send(self, raw: bytes) -> dict:
        if self.reader.closing:
            self.reader.sock.close()
            self.reader = ResponseReader(connect("127.0.0.1", self.port))
        self.reader.sock.sendall(raw)
        status, body = self.reader.read()
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {body[:300]!r}")
        return json.loads(body)

    def call(self, operation: str, params: dict) -> dict:
        return self.send(self.signed(operation, params))


def item(i: int) -> dict:
    return {"pk": {"S": f"user#{i // PER_PARTITION}"}, "sk": {"N": str(i % PER_PARTITION)},
            "name": {"S": f"n{i}"}, "score": {"N": str(i)}}


def create(conn: Connection) -> None:
    conn.call("CreateTable", {
        "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}]})
    while conn.call("DescribeTable", {"TableName": TABLE})["Table"]["TableStatus"] != "ACTIVE":
        time.sleep(0.05)


def load(conn: Connection, count: int) -> float:
    """BatchWriteItem in batches of 25, resending any UnprocessedItems; returns items per second."""
    started = time.perf_counter()
    for start_at in range(0, count, 25):
        pending = [{"PutRequest": {"Item": item(i)}} for i in range(start_at, min(count, start_at + 25))]
        while pending:
            out = conn.call("BatchWriteItem", {"RequestItems": {TABLE: pending}})
            pending = out.get("UnprocessedItems", {}).get(TABLE, [])
        if start_at and start_at % 100_000 == 0:
            print(f"  loaded {start_at:>9,} items ({start_at / (time.perf_counter() - started):,.0f} items/s)", flush=True)
    return count / (time.perf_counter() - started)


def sample(conn: Connection, name: str, requests: list[bytes], check) -> Figures:
    """Send pre-signed requests one at a time; the latency excludes signing, as in bench/dynamodb.py."""
    latencies = []
    started = time.perf_counter()
    for raw in requests:
        t0 = time.perf_counter()
        out = conn.send(raw)
        latencies.append(time.perf_counter() - t0)
        check(out)
    return Figures(name, len(requests), time.perf_counter() - started, latencies)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()

    with running_regionbox("regionbox-scale-") as cloud:
        conn = Connection(cloud.port)
        create(conn)
        print(f"loading {args.items:,} items through BatchWriteItem (25 per request, signed)", flush=True)
        rate = load(conn, args.items)
        rng = random.Random(4)
        partitions = max(1, args.items // PER_PARTITION)
        gets = [conn.signed("GetItem", {"TableName": TABLE, "Key": {k: v for k, v in item(i).items() if k in ("pk", "sk")}})
                for i in (rng.randrange(args.items) for _ in range(args.samples))]
        queries = [conn.signed("Query", {"TableName": TABLE, "KeyConditionExpression": "pk = :p",
                                         "ExpressionAttributeValues": {":p": {"S": f"user#{rng.randrange(partitions)}"}}})
                   for _ in range(args.samples)]
        describe = [conn.signed("DescribeTable", {"TableName": TABLE}) for _ in range(min(200, args.samples))]

        def found(out: dict) -> None:
            assert "Item" in out, out

        def ten(out: dict) -> None:
            assert out["Count"] == min(PER_PARTITION, args.items), out

        results = [
            sample(conn, "GetItem (random key)", gets, found),
            sample(conn, f"Query by key ({PER_PARTITION} items)", queries, ten),
            sample(conn, "DescribeTable", describe, lambda out: None),
        ]
        table = conn.call("DescribeTable", {"TableName": TABLE})["Table"]
        print(f"\nregionbox (pid {cloud.process.pid}), table of {table['ItemCount']:,} items, {table['TableSizeBytes']:,} bytes")
        print(f"  load: {rate:,.0f} items/s through BatchWriteItem")
        for figures in results:
            print("  " + figures.line())
        print(f"  server RSS {rss_kib(cloud.process.pid) / 1024:.0f} MiB; state directory {du(cloud.state_dir) / 2**20:.0f} MiB")


def du(path: str) -> int:
    return sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(path) for name in names)


if __name__ == "__main__":
    main()
