"""ElastiCache Redis benchmark: prints figures and ratios measured in one run.

- redis-benchmark GET/SET through a node endpoint, the primary endpoint (served by the primary
  itself) and the reader endpoint (the TCP proxy; without replicas it reaches the primary), each
  against a bare redis-server started here (ratio = regionbox / bare);
- failover time: from killing the primary (SIGKILL) or switching its AZ off to the first
  successful write through the primary (or cluster) endpoint, cluster mode disabled and enabled;
- acknowledged writes lost in a failover, with and without WAIT;
- time from CreateReplicationGroup to available: 1 primary + 2 replicas, and 3 shards x (1 + 1).

Run: python bench/elasticache_redis.py [--requests 100000] [--clients 50]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import redis
from redis.cluster import RedisCluster

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from regionbox.testing.process import CloudProcess  # noqa: E402
from tests.services.elasticache.redis_helpers import redis_pids  # noqa: E402

FAST = {"Delay": 0.05, "MaxAttempts": 2000}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_benchmark(host: str, port: int, requests: int, clients: int) -> dict[str, float]:
    out = subprocess.run(["redis-benchmark", "-h", host, "-p", str(port), "-t", "set,get", "-n", str(requests),
                          "-c", str(clients), "--csv"], capture_output=True, text=True, check=True).stdout
    rows = list(csv.reader(io.StringIO(out)))
    return {row[0]: float(row[1]) for row in rows[1:]}


def bare_redis(workdir: pathlib.Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                                "--dir", str(workdir), "--protected-mode", "no"], stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.02)
    return process, port


def pid_of(address: str) -> int:
    return next(iter(redis_pids(address)))


def create(ec, group_id: str, **params) -> tuple[dict, float]:
    started = time.perf_counter()
    ec.create_replication_group(ReplicationGroupId=group_id, ReplicationGroupDescription="bench", **params)
    ec.get_waiter("replication_group_available").wait(ReplicationGroupId=group_id, WaiterConfig=FAST)
    elapsed = time.perf_counter() - started
    return ec.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0], elapsed


def primary_of(group: dict) -> dict:
    return next(m for m in group["NodeGroups"][0]["NodeGroupMembers"] if m["CurrentRole"] == "primary")


def time_until_write(write) -> float:
    started = time.perf_counter()
    while True:
        try:
            write()
            return time.perf_counter() - started
        except Exception:  # noqa: BLE001 - not yet
            time.sleep(0.005)


def lost_writes(cloud: CloudProcess, ec, group_id: str, use_wait: bool) -> tuple[int, int]:
    """Write numbered keys through the primary endpoint; kill the primary; count acknowledged keys missing after."""
    group, _ = create(ec, group_id, NumCacheClusters=2, AutomaticFailoverEnabled=True)
    endpoint = group["NodeGroups"][0]["PrimaryEndpoint"]
    acknowledged: list[int] = []
    stop = threading.Event()

    def writer() -> None:
        client = redis.Redis(endpoint["Address"], endpoint["Port"], socket_timeout=1, socket_connect_timeout=0.5)
        i = 0
        while not stop.is_set():
            try:
                client.set(f"w:{i}", i)
                if use_wait and client.wait(1, 1000) < 1:
                    i += 1
                    continue  # not acknowledged by a replica: not counted
                acknowledged.append(i)
            except Exception:  # noqa: BLE001 - failover in progress: this write is not acknowledged
                pass
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(1.0)
    os.kill(pid_of(primary_of(group)["ReadEndpoint"]["Address"]), signal.SIGKILL)
    time.sleep(1.5)
    stop.set()
    thread.join()
    client = redis.Redis(endpoint["Address"], endpoint["Port"])
    time_until_write(lambda: client.set("probe", 1))
    present = set()
    keys = [f"w:{i}" for i in acknowledged]
    for start in range(0, len(keys), 1000):
        values = client.mget(keys[start:start + 1000])
        present.update(k for k, v in zip(keys[start:start + 1000], values) if v is not None)
    ec.delete_replication_group(ReplicationGroupId=group_id)
    return len(acknowledged), len(acknowledged) - len(present)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("redis-benchmark"):
        sys.exit("redis-benchmark is required (apt-get install redis-tools)")

    workdir = pathlib.Path(tempfile.mkdtemp(prefix="bench-ec-"))
    cloud = CloudProcess(state_dir=workdir / "state").start()
    bare, bare_port = bare_redis(workdir)
    try:
        ec = cloud.client("elasticache")
        print("== time to available ==")
        group, seconds = create(ec, "b12", NumCacheClusters=3, AutomaticFailoverEnabled=True)
        print(f"1 primary + 2 replicas:        {seconds:6.2f} s")
        sharded, seconds = create(ec, "b3x2", NumNodeGroups=3, ReplicasPerNodeGroup=1, ClusterMode="enabled")
        print(f"3 shards x (1 + 1):            {seconds:6.2f} s")

        # A single-node group, so that the figures compare endpoints and not replication work (with
        # replicas, every SET is also sent to them and they share the machine's cores). The reader
        # endpoint of a group without replicas reaches the primary through the TCP proxy.
        print(f"== redis-benchmark -t set,get -n {args.requests} -c {args.clients} (best of {args.runs}, requests/s) ==")
        single, _ = create(ec, "bench", NumCacheClusters=1)
        node = primary_of(single)["ReadEndpoint"]
        endpoints = single["NodeGroups"][0]
        # Rounds interleave the targets, so load from other processes on the machine hits them alike.
        targets = (("bare redis-server", "127.0.0.1", bare_port), ("node endpoint", node["Address"], node["Port"]),
                   ("primary endpoint", endpoints["PrimaryEndpoint"]["Address"], endpoints["PrimaryEndpoint"]["Port"]),
                   ("reader endpoint (proxy)", endpoints["ReaderEndpoint"]["Address"], endpoints["ReaderEndpoint"]["Port"]))
        results: dict[str, dict[str, float]] = {name: {} for name, *_ in targets}
        for _ in range(args.runs):
            for name, host, port in targets:
                for test, rps in redis_benchmark(host, port, args.requests, args.clients).items():
                    results[name][test] = max(results[name].get(test, 0.0), rps)
        for name, *_ in targets:
            print(f"{name:24s} " + "  ".join(f"{t} {rps:10.0f}" for t, rps in results[name].items()))
        for name, *_ in targets[1:]:
            ratios = {t: results[name][t] / results["bare redis-server"][t] for t in results[name]}
            print(f"ratio {name:24s} " + "  ".join(f"{t} {r:.2f}" for t, r in ratios.items()))
        ec.delete_replication_group(ReplicationGroupId="bench")

        node = primary_of(group)["ReadEndpoint"]
        primary_endpoint = group["NodeGroups"][0]["PrimaryEndpoint"]
        print("== failover: kill/outage -> first successful write through the stable endpoint ==")
        client = redis.Redis(primary_endpoint["Address"], primary_endpoint["Port"], socket_timeout=1, socket_connect_timeout=0.5)
        os.kill(pid_of(node["Address"]), signal.SIGKILL)
        print(f"cluster mode disabled, kill -9 primary: {time_until_write(lambda: client.set('x', 1)):6.3f} s")
        group = ec.describe_replication_groups(ReplicationGroupId="b12")["ReplicationGroups"][0]
        zone = primary_of(group)["PreferredAvailabilityZone"]
        started = time.perf_counter()
        cloud.post(f"/_regionbox/az/{zone}/outage")
        client = redis.Redis(primary_endpoint["Address"], primary_endpoint["Port"], socket_timeout=1, socket_connect_timeout=0.5)
        print(f"cluster mode disabled, AZ outage:       {time_until_write(lambda: client.set('x', 1)) + 0:6.3f} s "
              f"(outage call included: {time.perf_counter() - started:6.3f} s)")
        cloud.post(f"/_regionbox/az/{zone}/restore")

        config = sharded["ConfigurationEndpoint"]
        cluster = RedisCluster(host=config["Address"], port=config["Port"], socket_timeout=1, socket_connect_timeout=0.5)
        key = "failover-probe"
        owner = cluster.get_node_from_key(key)
        cluster.set(key, 0)
        started = time.perf_counter()
        os.kill(pid_of(owner.host), signal.SIGKILL)

        def cluster_write() -> None:
            try:
                cluster.set(key, 1)
            except Exception:
                cluster.nodes_manager.initialize()
                raise

        time_until_write(cluster_write)
        print(f"cluster mode enabled, kill -9 primary:  {time.perf_counter() - started:6.3f} s")

        print("== acknowledged writes lost when the primary is killed ==")
        for use_wait in (False, True):
            acked, lost = lost_writes(cloud, ec, f"lost{int(use_wait)}", use_wait)
            print(f"{'with WAIT 1' if use_wait else 'without WAIT':12s}: {lost} of {acked} acknowledged writes missing")
    finally:
        bare.terminate()
        bare.wait()
        cloud.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
