"""CloudWatch benchmark: PutMetricData throughput (1 and 20 datums a request) and GetMetricData
latency over a one-day range (one metric at 1-minute periods: 1440 points; ten metrics at
5 minutes with SUM(METRICS())), replayed pre-signed over one keep-alive connection against a
`regionbox up` process. Beside wall-clock figures, the server's CPU per request (/proc), against
STS GetCallerIdentity (the cheapest request) measured in alternating rounds in the same run.

    python3 bench/cloudwatch.py [--count 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(__file__))
from _harness import capture, replay, running_regionbox  # noqa: E402
from alb import cpu_seconds  # noqa: E402

import boto3  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with running_regionbox() as cloud:
        endpoint, port, pid = cloud.endpoint, cloud.port, cloud.process.pid
        cw = boto3.client("cloudwatch", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="123456789012",
                          aws_secret_access_key="x")
        now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
        day = now - timedelta(days=1)
        for metric in range(10):  # a day of one-minute points for ten metrics
            points = [{"MetricName": "Latency", "Dimensions": [{"Name": "Host", "Value": f"h{metric}"}],
                       "Timestamp": day + timedelta(minutes=m), "Value": float(m % 97)} for m in range(1440)]
            for batch in range(0, len(points), 1000):
                cw.put_metric_data(Namespace="Bench", MetricData=points[batch:batch + 1000])
        requests = {
            "sts GetCallerIdentity (baseline)": capture(endpoint, "sts", "get_caller_identity", {}),
            "PutMetricData, 1 datum": capture(endpoint, "cloudwatch", "put_metric_data", {
                "Namespace": "Bench", "MetricData": [{"MetricName": "Put", "Value": 1.0, "Unit": "Count"}]}),
            "PutMetricData, 20 datums": capture(endpoint, "cloudwatch", "put_metric_data", {
                "Namespace": "Bench", "MetricData": [{"MetricName": "Put", "Dimensions": [{"Name": "N", "Value": str(i)}],
                                                      "Value": float(i)} for i in range(20)]}),
            "GetMetricData, 1 day x 1 metric @60s": capture(endpoint, "cloudwatch", "get_metric_data", {
                "StartTime": day, "EndTime": now, "MetricDataQueries": [{"Id": "m", "MetricStat": {"Metric": {
                    "Namespace": "Bench", "MetricName": "Latency", "Dimensions": [{"Name": "Host", "Value": "h0"}]},
                    "Period": 60, "Stat": "Average"}}]}),
            "GetMetricData, 1 day x 10 @300s + SUM": capture(endpoint, "cloudwatch", "get_metric_data", {
                "StartTime": day, "EndTime": now, "MetricDataQueries": [
                    *[{"Id": f"m{i}", "ReturnData": False, "MetricStat": {"Metric": {
                        "Namespace": "Bench", "MetricName": "Latency", "Dimensions": [{"Name": "Host", "Value": f"h{i}"}]},
                        "Period": 300, "Stat": "p90"}} for i in range(10)],
                    {"Id": "total", "Expression": "SUM(METRICS())"}]}),
        }
        counts = {name: (args.count if "Put" in name or "sts" in name else max(args.count // 10, 20)) for name in requests}
        for name, request in requests.items():
            replay("127.0.0.1", port, request, 20, "warm-up")
        figures: dict[str, list] = {name: [] for name in requests}
        cpu: dict[str, float] = {name: 0.0 for name in requests}
        for _ in range(args.rounds):  # alternating rounds: load on the machine hits every request alike
            for name, request in requests.items():
                before = cpu_seconds(pid)
                figures[name].append(replay("127.0.0.1", port, request, counts[name], name))
                cpu[name] += cpu_seconds(pid) - before
        print(f"CloudWatch benchmark: {args.rounds} rounds; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        base = cpu["sts GetCallerIdentity (baseline)"] / (counts["sts GetCallerIdentity (baseline)"] * args.rounds)
        for name in requests:
            runs = figures[name]
            latencies = [lat for run in runs for lat in run.latencies]
            ops = sum(run.count for run in runs) / sum(run.seconds for run in runs)
            ordered = sorted(latencies)
            per_request = cpu[name] / (counts[name] * args.rounds)
            print(f"{name:<40} {ops:>8.0f} req/s   p50 {ordered[len(ordered) // 2] * 1e3:>7.2f} ms   "
                  f"p99 {ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3:>7.2f} ms   "
                  f"server CPU {per_request * 1e6:>7.0f} µs/req = {per_request / base:>5.1f}x baseline")
        print(f"datums per second with 20-datum requests: "
              f"{20 * sum(r.count for r in figures['PutMetricData, 20 datums']) / sum(r.seconds for r in figures['PutMetricData, 20 datums']):.0f}")


if __name__ == "__main__":
    main()
