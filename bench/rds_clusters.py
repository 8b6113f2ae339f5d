"""RDS DB cluster benchmark: an Aurora PostgreSQL cluster's CreateDBCluster -> available and its
writer's and reader's CreateDBInstance -> available, against a plain instance's CreateDBInstance ->
available in the same run; FailoverDBCluster -> first successful write through the cluster's
writer endpoint, against a Multi-AZ instance's forced failover -> first write through its
endpoint, alternating for --rounds rounds. Wall-clock figures, and regionbox's CPU seconds
(psutil on its pid) spent per failover, with the load average.

    python3 bench/rds_clusters.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import psutil
import psycopg

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from regionbox.testing import CloudProcess  # noqa: E402

PASSWORD = "bench-Passw0rd"


def wait(describe, key: str, wanted: str = "available"):
    while True:
        found = describe()
        if found[key] == wanted:
            return found
        time.sleep(0.05)


def first_write(address: str, started: float) -> float:
    """Seconds from ``started`` until a commit succeeds through ``address``."""
    while True:
        try:
            with psycopg.connect(host=address, port=5432, user="bench", password=PASSWORD, dbname="postgres", autocommit=True,
                                 connect_timeout=2) as conn:
                conn.execute("INSERT INTO beats VALUES (now())")
                return time.monotonic() - started
        except psycopg.Error:
            time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    process = CloudProcess().start()
    server = psutil.Process(process.process.pid)
    try:
        rds = process.client("rds")
        instance_of = lambda name: rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]  # noqa: E731
        cluster_of = lambda: rds.describe_db_clusters(DBClusterIdentifier="bench")["DBClusters"][0]  # noqa: E731
        common = dict(Engine="postgres", MasterUsername="bench", MasterUserPassword=PASSWORD, AllocatedStorage=20,
                      DBInstanceClass="db.t4g.micro")
        started = time.monotonic()
        rds.create_db_instance(DBInstanceIdentifier="plain", MultiAZ=True, **common)
        wait(lambda: instance_of("plain"), "DBInstanceStatus")
        instance_seconds = time.monotonic() - started

        started = time.monotonic()
        rds.create_db_cluster(DBClusterIdentifier="bench", Engine="aurora-postgresql", MasterUsername="bench",
                              MasterUserPassword=PASSWORD)
        cluster = wait(cluster_of, "Status")
        cluster_seconds = time.monotonic() - started
        member_seconds = []
        for name in ("bench-1", "bench-2"):
            started = time.monotonic()
            rds.create_db_instance(DBInstanceIdentifier=name, DBClusterIdentifier="bench", Engine="aurora-postgresql",
                                   DBInstanceClass="db.r6g.large")
            wait(lambda: instance_of(name), "DBInstanceStatus")
            member_seconds.append(time.monotonic() - started)
        plain = instance_of("plain")["Endpoint"]["Address"]
        for address in (plain, cluster["Endpoint"]):
            with psycopg.connect(host=address, port=5432, user="bench", password=PASSWORD, dbname="postgres", autocommit=True) as conn:
                conn.execute("CREATE TABLE beats (at timestamptz)")

        cluster_failover, instance_failover, cluster_cpu, instance_cpu = [], [], [], []
        target = "bench-2"
        for _ in range(args.rounds):
            cpu = sum(server.cpu_times()[:2])
            started = time.monotonic()
            rds.failover_db_cluster(DBClusterIdentifier="bench", TargetDBInstanceIdentifier=target)
            cluster_failover.append(first_write(cluster["Endpoint"], started))
            wait(cluster_of, "Status")
            for name in ("bench-1", "bench-2"):
                wait(lambda: instance_of(name), "DBInstanceStatus")
            cluster_cpu.append(sum(server.cpu_times()[:2]) - cpu)
            target = "bench-1" if target == "bench-2" else "bench-2"

            cpu = sum(server.cpu_times()[:2])
            started = time.monotonic()
            rds.reboot_db_instance(DBInstanceIdentifier="plain", ForceFailover=True)
            instance_failover.append(first_write(plain, started))
            wait(lambda: instance_of("plain"), "DBInstanceStatus")
            instance_cpu.append(sum(server.cpu_times()[:2]) - cpu)

        median = statistics.median
        print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
        print(f"Multi-AZ instance CreateDBInstance -> available:   {instance_seconds:6.2f} s")
        print(f"Aurora CreateDBCluster -> available:               {cluster_seconds:6.2f} s")
        print(f"  writer CreateDBInstance -> available:            {member_seconds[0]:6.2f} s")
        print(f"  reader CreateDBInstance -> available:            {member_seconds[1]:6.2f} s")
        print(f"FailoverDBCluster -> first write (median of {args.rounds}):  {median(cluster_failover):6.2f} s  "
              f"{[round(s, 2) for s in cluster_failover]}")
        print(f"Multi-AZ forced failover -> first write (median):  {median(instance_failover):6.2f} s  "
              f"{[round(s, 2) for s in instance_failover]}")
        print(f"  ratio cluster / instance:                        {median(cluster_failover) / median(instance_failover):6.2f}")
        print(f"regionbox CPU per cluster failover (incl. the old writer's re-clone): {median(cluster_cpu):.3f} s; "
              f"per instance failover (incl. new standby): {median(instance_cpu):.3f} s")
    finally:
        process.cleanup()


if __name__ == "__main__":
    main()
