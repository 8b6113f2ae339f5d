"""RDS benchmark: query latency and pgbench TPS through a regionbox instance's endpoint against a bare
PostgreSQL this script starts with the same settings, in one run; the same with Enhanced Monitoring
at 1 s and Performance Insights on; CreateDBInstance -> available; Multi-AZ forced failover -> first
successful write. Printed as figures and ratios.

    python3 bench/rds.py [--queries 3000] [--seconds 5] [--rounds 3]

The machine is shared: each comparison alternates its two sides for --rounds rounds and compares
medians, so load that comes and goes weighs on both alike.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import psycopg

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from regionbox.engines import kinds  # noqa: E402
from regionbox.services.rds.postgres import BASE_SETTINGS  # noqa: E402
from regionbox.testing import CloudProcess  # noqa: E402
from regionbox.testing.clients import free_port  # noqa: E402

PASSWORD = "bench-Passw0rd"


def latency(host: str, port: int, user: str, queries: int) -> float:
    """Median microseconds of SELECT 1 round trips on one connection."""
    with psycopg.connect(host=host, port=port, user=user, password=PASSWORD, dbname="postgres", autocommit=True) as conn:
        for _ in range(200):
            conn.execute("SELECT 1")
        samples = []
        for _ in range(queries):
            started = time.perf_counter()
            conn.execute("SELECT 1")
            samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1e6


def pgbench_tps(host: str, port: int, user: str, seconds: int, initialize: bool = False) -> float:
    """Select-only pgbench (4 clients, 2 threads): transactions per second."""
    exe = kinds.postgres_bindir() / "pgbench"
    env = {**os.environ, "PGPASSWORD": PASSWORD}
    args = ["-h", host, "-p", str(port), "-U", user, "postgres"]
    if initialize:
        subprocess.run([str(exe), "-i", "-q", "-s", "1", *args], env=env, check=True, capture_output=True)
        return 0.0
    out = subprocess.run([str(exe), "-S", "-c", "4", "-j", "2", "-T", str(seconds), *args], env=env, check=True,
                         capture_output=True, text=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("tps"))
    return float(line.split("=")[1].split()[0])


def bare_postgres(root: str) -> tuple[subprocess.Popen, int]:
    data = os.path.join(root, "pgdata")
    pw = os.path.join(root, "pw")
    with open(pw, "w") as f:
        f.write(PASSWORD + "\n")
    subprocess.run([*kinds.postgres_tool("initdb"), "-D", data, "-U", "bench", "--auth=scram-sha-256", f"--pwfile={pw}",
                    "--no-sync"], check=True, capture_output=True)
    port = free_port()
    argv = [*kinds.postgres_tool("postgres"), "-D", data, "-c", "listen_addresses=127.0.0.1", "-c", f"port={port}",
            "-c", "unix_socket_directories="]
    for name, value in BASE_SETTINGS.items():
        argv += ["-c", f"{name}={value.strip(chr(39))}"]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            psycopg.connect(host="127.0.0.1", port=port, user="bench", password=PASSWORD, dbname="postgres").close()
            return process, port
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def wait_available(rds, identifier: str) -> dict:
    while True:
        instance = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
        if instance["DBInstanceStatus"] == "available":
            return instance
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    # Like for like: the instance's server takes TLS (as RDS's do, with clients' default sslmode
    # "prefer"), the bare server has no certificate. The targets measure the endpoint, not a cipher.
    os.environ["PGSSLMODE"] = "disable"
    root = tempfile.mkdtemp(prefix="rds-bench-")
    bare, port = bare_postgres(root)
    process = CloudProcess().start()
    try:
        rds = process.client("rds")
        common = dict(Engine="postgres", MasterUsername="bench", MasterUserPassword=PASSWORD, AllocatedStorage=20,
                      DBInstanceClass="db.t4g.micro")
        rds.create_db_instance(DBInstanceIdentifier="warm", **common)  # makes the template cluster once
        wait_available(rds, "warm")
        started = time.monotonic()
        rds.create_db_instance(DBInstanceIdentifier="bench", **common)
        instance = wait_available(rds, "bench")
        create_seconds = time.monotonic() - started
        endpoint = instance["Endpoint"]["Address"]

        for host, port_ in (("127.0.0.1", port), (endpoint, 5432)):
            pgbench_tps(host, port_, "bench", 1, initialize=True)
        bare_us, rds_us, bare_tps, rds_tps = [], [], [], []
        for _ in range(args.rounds):
            bare_us.append(latency("127.0.0.1", port, "bench", args.queries))
            rds_us.append(latency(endpoint, 5432, "bench", args.queries))
            bare_tps.append(pgbench_tps("127.0.0.1", port, "bench", args.seconds))
            rds_tps.append(pgbench_tps(endpoint, 5432, "bench", args.seconds))

        def monitoring(on: bool) -> None:
            rds.modify_db_instance(DBInstanceIdentifier="bench", MonitoringInterval=1 if on else 0,
                                   **({"MonitoringRoleArn": "arn:aws:iam::000000000000:role/em"} if on else {}),
                                   EnablePerformanceInsights=on, ApplyImmediately=True)
            wait_available(rds, "bench")
            time.sleep(1.5)  # the first samples are taken

        off_tps, on_tps, on_us = [], [], []
        for _ in range(args.rounds):
            off_tps.append(pgbench_tps(endpoint, 5432, "bench", args.seconds))
            monitoring(True)
            on_us.append(latency(endpoint, 5432, "bench", args.queries))
            on_tps.append(pgbench_tps(endpoint, 5432, "bench", args.seconds))
            monitoring(False)
        bare_us, rds_us, watched_us = statistics.median(bare_us), statistics.median(rds_us), statistics.median(on_us)
        bare_tps, rds_tps = statistics.median(bare_tps), statistics.median(rds_tps)
        unwatched_tps, watched_tps = statistics.median(off_tps), statistics.median(on_tps)

        rds.create_db_instance(DBInstanceIdentifier="ha", MultiAZ=True, **common)
        ha = wait_available(rds, "ha")
        started = time.monotonic()
        rds.reboot_db_instance(DBInstanceIdentifier="ha", ForceFailover=True)
        while True:
            try:
                with psycopg.connect(host=ha["Endpoint"]["Address"], port=5432, user="bench", password=PASSWORD,
                                     dbname="postgres", autocommit=True, connect_timeout=1) as conn:
                    if not conn.execute("SELECT pg_is_in_recovery()").fetchone()[0] and \
                            rds.describe_db_instances(DBInstanceIdentifier="ha")["DBInstances"][0]["AvailabilityZone"] != ha["AvailabilityZone"]:
                        conn.execute("CREATE TABLE IF NOT EXISTS after_failover (n int)")
                        break
            except psycopg.OperationalError:
                pass
            time.sleep(0.02)
        failover_seconds = time.monotonic() - started

        print(f"CreateDBInstance -> available:           {create_seconds:.2f} s (target < 5 s)")
        print(f"SELECT 1 median, bare PostgreSQL:         {bare_us:.0f} us")
        print(f"SELECT 1 median, regionbox endpoint:      {rds_us:.0f} us   ratio bare/regionbox {bare_us / rds_us:.2f}")
        print(f"  with Enhanced Monitoring 1 s + PI:      {watched_us:.0f} us   ratio {rds_us / watched_us:.2f} of monitoring off")
        print(f"  ({args.rounds} rounds, medians)")
        print(f"pgbench -S TPS, bare PostgreSQL:          {bare_tps:.0f}")
        print(f"pgbench -S TPS, regionbox endpoint:       {rds_tps:.0f}   ratio {rds_tps / bare_tps:.2f} (target >= 0.95)")
        print(f"pgbench -S TPS, monitoring off / on:      {unwatched_tps:.0f} / {watched_tps:.0f}   ratio "
              f"{watched_tps / unwatched_tps:.2f} (target >= 0.98)")
        print(f"Multi-AZ forced failover -> first write:  {failover_seconds:.2f} s (target < 5 s)")
    finally:
        process.cleanup()
        bare.terminate()
        bare.wait(30)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
