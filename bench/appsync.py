"""AppSync benchmark: one mutation fanned out to N WebSocket subscribers (delivery latency p50/p99
from sending the mutation to each subscriber's receipt), the memory of an idle real-time
connection (regionbox's RSS before and after the subscribers connect), and GraphQL query ops/s
with a DynamoDB GetItem resolver against the same GetItem sent straight to DynamoDB (the
baseline, measured in the same run), both replayed over one keep-alive connection.

    python3 bench/appsync.py [--subscribers 1000 10000] [--count 2000]

Targets (issue 11): p99 < 200 ms for 1,000 subscribers (and say what 10,000 gets); < 20 KB per
idle connection. The subscribers are Python clients in this process, on the same machine: their
own receiving is part of the latency measured.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import sys
import time

import boto3
import websockets

sys.path.insert(0, os.path.dirname(__file__))
from _harness import RawRequest, capture, cpu_seconds, replay, rss_kib, running_regionbox  # noqa: E402

ACCOUNT = "123456789012"
SCHEMA = b"""
type Item { id: ID! v: String }
type Query { item(id: ID!): Item }
type Mutation { put(id: ID!, v: String): Item }
type Subscription { onPut: Item @aws_subscribe(mutations: ["put"]) }
"""
GET = """{"version": "2017-02-28", "operation": "GetItem", "key": {"id": $util.dynamodb.toDynamoDBJson($ctx.args.id)}}"""


def client(endpoint: str, service: str):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=ACCOUNT,
                        aws_secret_access_key="x")


def prepare(endpoint: str) -> dict:
    ddb, appsync = client(endpoint, "dynamodb"), client(endpoint, "appsync")
    ddb.create_table(TableName="items", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    ddb.get_waiter("table_exists").wait(TableName="items", WaiterConfig={"Delay": 0.1})
    ddb.put_item(TableName="items", Item={"id": {"S": "1"}, "v": {"S": "one"}})
    api = appsync.create_graphql_api(name="bench", authenticationType="API_KEY")["graphqlApi"]
    api_id = api["apiId"]
    appsync.start_schema_creation(apiId=api_id, definition=SCHEMA)
    appsync.create_data_source(apiId=api_id, name="items", type="AMAZON_DYNAMODB",
                               dynamodbConfig={"tableName": "items", "awsRegion": "us-east-1"})
    appsync.create_data_source(apiId=api_id, name="none", type="NONE")
    appsync.create_resolver(apiId=api_id, typeName="Query", fieldName="item", dataSourceName="items",
                            requestMappingTemplate=GET, responseMappingTemplate="$util.toJson($ctx.result)")
    appsync.create_resolver(apiId=api_id, typeName="Mutation", fieldName="put", dataSourceName="none",
                            requestMappingTemplate='{"version": "2017-02-28", "payload": $util.toJson($ctx.args)}',
                            responseMappingTemplate="$util.toJson($ctx.result)")
    key = appsync.create_api_key(apiId=api_id)["apiKey"]["id"]
    api = appsync.get_graphql_api(apiId=api_id)["graphqlApi"]
    return {"api": api, "key": key}


def graphql_request(setup: dict, query: str) -> RawRequest:
    path = setup["api"]["uris"]["GRAPHQL_NO_DNS"].split("/", 3)[3]
    return RawRequest("POST", "/" + path, {"Content-Type": "application/json", "x-api-key": setup["key"]},
                      json.dumps({"query": query}).encode())


async def subscriber(url: str, start: str, arrivals: list, ready: asyncio.Event, count: list, total: int,
                     stop: asyncio.Event) -> None:
    async with websockets.connect(url, subprotocols=["graphql-ws"], max_queue=None, open_timeout=120) as ws:
        await ws.send('{"type": "connection_init"}')
        while json.loads(await ws.recv())["type"] != "connection_ack":
            pass
        await ws.send(start)
        while json.loads(await ws.recv())["type"] != "start_ack":
            pass
        count[0] += 1
        if count[0] == total:
            ready.set()
        while True:
            message = await ws.recv()
            if '"type":"data"' in message:  # no JSON parsing: the client's own cost is not the subject
                arrivals.append(time.perf_counter())
                if stop.is_set():
                    return


async def fan_out(setup: dict, pid: int, total: int) -> dict:
    api, key = setup["api"], setup["key"]
    host = api["dns"]["GRAPHQL"]
    header = base64.b64encode(json.dumps({"host": host, "x-api-key": key}).encode()).decode()
    url = f"{api['uris']['REALTIME_NO_DNS'].replace('localhost', '127.0.0.1')}?header={header}&payload=e30="
    start = json.dumps({"id": "1", "type": "start", "payload": {
        "data": json.dumps({"query": "subscription { onPut { id v } }"}),
        "extensions": {"authorization": {"host": host, "x-api-key": key}}}})
    before = rss_kib(pid)
    cpu_before = cpu_seconds(pid)
    arrivals: list[float] = []
    ready, stop = asyncio.Event(), asyncio.Event()
    count = [0]
    tasks = []
    for _ in range(total):  # connect in batches so that the listen backlog is never the bottleneck
        tasks.append(asyncio.ensure_future(subscriber(url, start, arrivals, ready, count, total, stop)))
        if len(tasks) % 200 == 0:
            await asyncio.sleep(0.05)
    await asyncio.wait_for(ready.wait(), 600)
    idle = rss_kib(pid)
    cpu_connect = cpu_seconds(pid) - cpu_before
    mutation = graphql_request(setup, 'mutation { put(id: "9", v: "fan-out") { id v } }')
    endpoint = api["uris"]["GRAPHQL_NO_DNS"].replace("localhost", "127.0.0.1")
    stop.set()
    cpu_sent = cpu_seconds(pid)
    sent = time.perf_counter()
    await asyncio.to_thread(_post, endpoint, mutation)
    while len(arrivals) < total:
        await asyncio.sleep(0.01)
        if time.perf_counter() - sent > 120:
            break
    cpu_fan_out = cpu_seconds(pid) - cpu_sent
    latencies = sorted(a - sent for a in arrivals)
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"received": len(arrivals), "p50": latencies[len(latencies) // 2] * 1e3 if latencies else float("nan"),
            "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1e3 if latencies else float("nan"),
            "max": latencies[-1] * 1e3 if latencies else float("nan"),
            "kib_per_connection": (idle - before) / total,
            # The server's CPU time (load-independent, at /proc's 10 ms resolution): per connection
            # opened and subscribed, and per message delivered in the fan-out.
            "cpu_us_per_connection": cpu_connect / total * 1e6,
            "cpu_us_per_delivery": cpu_fan_out / max(len(arrivals), 1) * 1e6}


def _post(url: str, request: RawRequest) -> None:
    import urllib.request
    with urllib.request.urlopen(urllib.request.Request(url, data=request.body, headers=request.headers), timeout=120):
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    with running_regionbox("regionbox-bench-appsync-") as box:
        setup = prepare(box.endpoint)
        query = graphql_request(setup, '{ item(id: "1") { id v } }')
        direct = capture(box.endpoint, "dynamodb", "get_item", {"TableName": "items", "Key": {"id": {"S": "1"}}})
        replay("127.0.0.1", box.port, query, 200, "warm-up")
        replay("127.0.0.1", box.port, direct, 200, "warm-up")
        graphql = replay("127.0.0.1", box.port, query, args.count, "GraphQL query (GetItem resolver)")
        baseline = replay("127.0.0.1", box.port, direct, args.count, "DynamoDB GetItem (baseline)")
        print(graphql.line())
        print(baseline.line())
        print(f"GraphQL query / direct GetItem throughput: {graphql.ops / baseline.ops:.2f}x "
              f"(p50 {statistics.median(graphql.latencies) / statistics.median(baseline.latencies):.2f}x the latency)")
        for total in args.subscribers:
            figures = asyncio.run(fan_out(setup, box.process.pid, total))
            print(f"fan-out to {total:>6} subscribers: received {figures['received']}, delivery p50 "
                  f"{figures['p50']:.1f} ms, p99 {figures['p99']:.1f} ms, max {figures['max']:.1f} ms; "
                  f"{figures['kib_per_connection']:.1f} KiB per idle connection; server CPU "
                  f"{figures['cpu_us_per_connection']:.0f} µs per connection, {figures['cpu_us_per_delivery']:.0f} µs "
                  f"per delivery; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
