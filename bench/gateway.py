"""Gateway benchmark: start-up time (best of --starts launches), idle RSS, the first DynamoDB
call after ready (loading the service on first use), GetCallerIdentity and PutLogEvents over one
keep-alive connection with pre-signed requests, DynamoDB GetItem as an account's root and as a role
session whose small inline policy IAM evaluates on every call; and moto's server measured in the
same run as a peer.

    python3 bench/gateway.py [--count 5000] [--starts 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _harness import capture, replay, rss_kib, running_regionbox, wait_ready  # noqa: E402

from regionbox.testing.clients import free_port  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()

    readies, idles, firsts = [], [], []
    for _ in range(args.starts):
        with running_regionbox() as cloud:
            readies.append(cloud.ready_seconds)
            time.sleep(0.3)  # idle: nothing asked of it yet
            idles.append(rss_kib(cloud.process.pid))
            first = capture(cloud.endpoint, "dynamodb", "list_tables", {})
            firsts.append(replay("127.0.0.1", cloud.port, first, 1, "first DynamoDB call").latencies[0])

    with running_regionbox() as cloud:
        port, endpoint = cloud.port, cloud.endpoint

        sts = capture(endpoint, "sts", "get_caller_identity", {})
        logs_setup = __import__("boto3").client("logs", endpoint_url=endpoint, region_name="us-east-1",
                                                aws_access_key_id="123456789012", aws_secret_access_key="x")
        logs_setup.create_log_group(logGroupName="bench")
        logs_setup.create_log_stream(logGroupName="bench", logStreamName="s")
        now = int(time.time() * 1000)
        put = capture(endpoint, "logs", "put_log_events", {
            "logGroupName": "bench", "logStreamName": "s",
            "logEvents": [{"timestamp": now + i, "message": f"event {i} " + "x" * 80} for i in range(10)]})

        get_root, get_session = _get_item_requests(endpoint)

        replay("127.0.0.1", port, sts, 500, "warm-up")
        replay("127.0.0.1", port, get_session, 200, "warm-up")
        figures = [replay("127.0.0.1", port, sts, args.count, "sts GetCallerIdentity"),
                   replay("127.0.0.1", port, put, args.count, "logs PutLogEvents (10 events)"),
                   replay("127.0.0.1", port, get_root, args.count, "dynamodb GetItem, root"),
                   replay("127.0.0.1", port, get_session, args.count, "dynamodb GetItem, role session")]
        peak_rss = rss_kib(cloud.process.pid, "VmHWM")

    print(f"regionbox {'start to ready':<24} {min(readies) * 1000:8.0f} ms   best of {len(readies)}, median "
          f"{sorted(readies)[len(readies) // 2] * 1000:.0f} ms (target <= 200 ms)")
    print(f"regionbox {'idle RSS':<24} {min(idles) / 1024:8.1f} MiB  (target <= 50 MiB)")
    print(f"regionbox {'first DynamoDB call':<24} {min(firsts) * 1000:8.1f} ms   after ready, loading the service "
          f"(median {sorted(firsts)[len(firsts) // 2] * 1000:.1f} ms; target <= 20 ms)")
    print(f"regionbox {'peak RSS':<24} {peak_rss / 1024:8.1f} MiB")
    for figure in figures:
        print("regionbox " + figure.line())
    print(f"IAM evaluation per GetItem of a role session: {figures[3].pct(0.5) - figures[2].pct(0.5):+.0f} µs at p50 "
          f"over root's ({figures[3].ops / figures[2].ops:.2f}x root's throughput)")

    moto = shutil.which("moto_server")
    if not moto:
        print("moto_server not installed (pip install 'moto[server]'): no peer baseline")
        return
    moto_port = free_port()
    peer = subprocess.Popen([moto, "-p", str(moto_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        moto_ready = wait_ready(f"http://127.0.0.1:{moto_port}/moto-api/", peer)
        moto_sts = capture(f"http://127.0.0.1:{moto_port}", "sts", "get_caller_identity", {})
        replay("127.0.0.1", moto_port, moto_sts, 200, "warm-up")
        moto_fig = replay("127.0.0.1", moto_port, moto_sts, min(args.count, 2000), "sts GetCallerIdentity")
    finally:
        peer.terminate()
        peer.wait(30)
    print(f"moto      {'start to ready':<24} {moto_ready * 1000:8.0f} ms")
    print("moto      " + moto_fig.line())
    print(f"ratio regionbox/moto GetCallerIdentity throughput: {figures[0].ops / moto_fig.ops:.2f}x, "
          f"p50 {moto_fig.pct(0.5) / figures[0].pct(0.5):.2f}x faster")


def _get_item_requests(endpoint: str):
    """The same GetItem signed by account 123456789012's root and by a session of a role whose one
    inline policy allows dynamodb:GetItem on the table."""
    import json

    import boto3

    account = "123456789012"
    root = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=account, aws_secret_access_key="x")
    arn = boto3.client("dynamodb", **root).create_table(
        TableName="bench", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")["TableDescription"]["TableArn"]
    boto3.client("dynamodb", **root).put_item(TableName="bench", Item={"id": {"S": "k"}, "v": {"S": "x" * 100}})
    iam = boto3.client("iam", **root)
    role = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": account}, "Action": "sts:AssumeRole"}]}))["Role"]
    iam.put_role_policy(RoleName="reader", PolicyName="read", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": arn}]}))
    credentials = boto3.client("sts", **root).assume_role(RoleArn=role["Arn"], RoleSessionName="bench")["Credentials"]
    params = {"TableName": "bench", "Key": {"id": {"S": "k"}}}
    return (capture(endpoint, "dynamodb", "get_item", params),
            capture(endpoint, "dynamodb", "get_item", params, access_key=credentials["AccessKeyId"],
                    secret_key=credentials["SecretAccessKey"], session_token=credentials["SessionToken"]))


if __name__ == "__main__":
    main()
