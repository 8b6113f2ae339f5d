"""RDS Proxy benchmark: SELECT 1 latency and pgbench TPS through a proxy's endpoint against the
instance's own endpoint, in one run, and the CPU the relay costs regionbox per query (psutil on the
server process: load-independent, unlike the wall-clock figures).

    python3 bench/rds_proxy.py [--queries 3000] [--seconds 5] [--rounds 3]

The machine is shared: the two sides alternate for --rounds rounds and medians are compared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import psutil

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from bench.rds import PASSWORD, latency, pgbench_tps  # noqa: E402
from regionbox.testing import CloudProcess  # noqa: E402


def wait(predicate, what: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    raise TimeoutError(what)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    process = CloudProcess().start()
    try:
        rds, ec2, iam = process.client("rds"), process.client("ec2"), process.client("iam")
        rds.create_db_instance(DBInstanceIdentifier="bench", Engine="postgres", MasterUsername="bench", MasterUserPassword=PASSWORD,
                               AllocatedStorage=20, DBInstanceClass="db.t4g.micro", BackupRetentionPeriod=0)
        instance = wait(lambda: next((i for i in rds.describe_db_instances(DBInstanceIdentifier="bench")["DBInstances"]
                                      if i["DBInstanceStatus"] == "available"), None), "the instance")
        subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]]
        role = iam.create_role(RoleName="proxy", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "rds.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
        proxy = rds.create_db_proxy(DBProxyName="bench", EngineFamily="POSTGRESQL", RoleArn=role, VpcSubnetIds=subnets)["DBProxy"]
        rds.register_db_proxy_targets(DBProxyName="bench", DBInstanceIdentifiers=["bench"])
        wait(lambda: rds.describe_db_proxies(DBProxyName="bench")["DBProxies"][0]["Status"] == "available", "the proxy")
        server = psutil.Process(process.process.pid)
        direct, proxied = instance["Endpoint"]["Address"], proxy["Endpoint"]
        pgbench_tps(direct, 5432, "bench", 1, initialize=True)

        def cpu() -> float:
            times = server.cpu_times()
            return times.user + times.system

        direct_us, proxy_us, direct_tps, proxy_tps, cpu_per_query, cpu_direct = [], [], [], [], [], []
        for _ in range(args.rounds):
            before = cpu()
            direct_us.append(latency(direct, 5432, "bench", args.queries))
            cpu_direct.append((cpu() - before) / args.queries * 1e6)
            before = cpu()
            proxy_us.append(latency(proxied, 5432, "bench", args.queries))
            cpu_per_query.append((cpu() - before) / args.queries * 1e6)
            direct_tps.append(pgbench_tps(direct, 5432, "bench", args.seconds))
            proxy_tps.append(pgbench_tps(proxied, 5432, "bench", args.seconds))
        d_us, p_us = statistics.median(direct_us), statistics.median(proxy_us)
        d_tps, p_tps = statistics.median(direct_tps), statistics.median(proxy_tps)
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"SELECT 1 median, instance endpoint:  {d_us:.0f} us")
        print(f"SELECT 1 median, proxy endpoint:     {p_us:.0f} us   ratio instance/proxy {d_us / p_us:.2f}")
        print(f"regionbox CPU per SELECT 1, direct:  {statistics.median(cpu_direct):.1f} us (baseline: regionbox is not in the path)")
        print(f"regionbox CPU per SELECT 1, proxy:   {statistics.median(cpu_per_query):.1f} us")
        print(f"pgbench -S TPS, instance / proxy:    {d_tps:.0f} / {p_tps:.0f}   ratio {p_tps / d_tps:.2f}")
        print(f"  ({args.rounds} rounds, medians)")
    finally:
        process.cleanup()


if __name__ == "__main__":
    main()
