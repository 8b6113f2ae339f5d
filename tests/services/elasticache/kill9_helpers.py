"""kill -9 of regionbox under Redis write load: what the kill -9 tests and bench/elasticache_kill9.py
share. A writer does what an application that must not lose a write does (SET, then WAIT until
every replica has it); regionbox is killed, sometimes a node with it; a restart on the same state
directory must find every acknowledged key, and DescribeEvents must say what happened."""

from __future__ import annotations

import os
import pathlib
import signal
import threading
import time
from datetime import datetime, timezone

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.services.elasticache.redis_helpers import FAST, create_group, describe, eventually, members, primary_member

SCOPE = "000000000000.us-east-1"


class AcknowledgedWriter(threading.Thread):
    """SET + ``WAIT replicas`` through the primary endpoint; a key counts once WAIT says every
    replica has it. Connection errors (the primary died, the endpoint moved) are retried."""

    def __init__(self, endpoint: dict, replicas: int) -> None:
        super().__init__(daemon=True)
        self.endpoint, self.replicas = endpoint, replicas
        self.written = 0
        self.acknowledged: list[str] = []
        self.errors = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        client = redis.Redis(host=self.endpoint["Address"], port=self.endpoint["Port"], socket_timeout=2,
                             socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
        number = 0
        while not self.stopping.is_set():
            key = f"ack:{number}"
            number += 1
            try:
                client.set(key, number)
                self.written += 1
                if client.wait(self.replicas, 1000) >= self.replicas:
                    self.acknowledged.append(key)
            except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError):
                self.errors += 1
                time.sleep(0.02)
        client.close()

    def stop(self) -> None:
        self.stopping.set()
        self.join(10)


def start_soak(process, group_id: str = "soak") -> AcknowledgedWriter:
    """A Multi-AZ group of three (a primary and two replicas) and a writer acknowledging on both replicas."""
    ec = process.client("elasticache")
    create_group(ec, group_id, NumCacheClusters=3, AutomaticFailoverEnabled=True, MultiAZEnabled=True)
    writer = AcknowledgedWriter(describe(ec, group_id)["NodeGroups"][0]["PrimaryEndpoint"], replicas=2)
    writer.start()
    return writer


def node_records(state_dir: pathlib.Path, cluster_id: str) -> list[pathlib.Path]:
    """The supervisor's records (node.json) of a cache cluster's nodes."""
    root = pathlib.Path(state_dir) / "engines" / "elasticache"
    return [path for path in root.glob(f"{SCOPE}.{cluster_id}*/node.json")
            if path.parent.name == f"{SCOPE}.{cluster_id}" or path.parent.name.startswith(f"{SCOPE}.{cluster_id}.")]


def kill_node(state_dir: pathlib.Path, cluster_id: str, node_id: str | None = None) -> None:
    """What a node that dies while regionbox is down looks like: SIGKILL to its process group."""
    import json

    for path in node_records(state_dir, cluster_id):
        if node_id is not None and not path.parent.name.endswith(f".{node_id}"):
            continue
        pid = json.loads(path.read_text())["pid"]
        os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while pathlib.Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            try:
                if pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                    break
            except OSError:
                break
            time.sleep(0.01)


def now() -> datetime:
    return datetime.now(timezone.utc)


def events_since(ec, since: datetime) -> list[tuple[str, str]]:
    """(source, message) of the events since ``since``, oldest first."""
    found = [(e["SourceIdentifier"], e["Message"]) for page in ec.get_paginator("describe_events").paginate(StartTime=since)
             for e in page["Events"]]
    return list(reversed(found))


def wait_recovered(ec, group_id: str, replicas: int) -> dict:
    """Until the group is available, every member serves, and the primary has all its replicas."""
    ec.get_waiter("replication_group_available").wait(ReplicationGroupId=group_id, WaiterConfig=FAST)

    def settled():
        group = describe(ec, group_id)
        statuses = {c["CacheClusterId"]: c["CacheClusterStatus"] for c in
                    ec.describe_cache_clusters(ShowCacheClustersNotInReplicationGroups=False)["CacheClusters"]}
        if any(statuses.get(m["CacheClusterId"]) != "available" for m in members(group)):
            return None
        endpoint = primary_member(group)["ReadEndpoint"]
        info = redis.Redis(host=endpoint["Address"], port=endpoint["Port"], socket_timeout=2).info("replication")
        online = [v for k, v in info.items() if k.startswith("slave") and isinstance(v, dict) and v.get("state") == "online"]
        return group if info["role"] == "master" and len(online) == replicas else None

    return eventually(settled, timeout=60, what=f"{group_id} recovered with {replicas} replicas")


def missing(endpoint: dict, keys: list[str]) -> list[str]:
    """The acknowledged keys the primary no longer has."""
    client = redis.Redis(host=endpoint["Address"], port=endpoint["Port"], socket_timeout=5)
    lost = []
    for start in range(0, len(keys), 1000):
        batch = keys[start:start + 1000]
        lost += [key for key, value in zip(batch, client.mget(batch)) if value is None]
    return lost


def crash_round(process, group_id: str, writer: AcknowledgedWriter, victim: str | None, pause: float = 1.0) -> dict:
    """One round: writes flow for ``pause`` seconds, regionbox is killed with -9 (and the node of
    ``victim``, "primary" or "replica", while it is down), and it restarts on the same state
    directory. Returns the round's figures and the events since the kill."""
    ec = process.client("elasticache")
    group = describe(ec, group_id)
    roles = {m["CacheClusterId"]: m["CurrentRole"] for m in members(group)}
    killed = None
    if victim is not None:
        killed = next(cid for cid, role in roles.items() if role == victim)
    time.sleep(pause)
    since, errors = now(), writer.errors
    process.kill9()
    if killed is not None:
        kill_node(process.state_dir, killed)
    started = time.monotonic()
    process.start()
    ec = process.client("elasticache")
    recovered = wait_recovered(ec, group_id, replicas=len(roles) - 1)
    seconds = time.monotonic() - started
    time.sleep(0.3)  # writes acknowledged on the recovered group too
    acknowledged = list(writer.acknowledged)
    return {"killed": killed, "roles_before": roles, "group": recovered, "events": events_since(ec, since),
            "writer_errors": writer.errors - errors, "written": writer.written, "acknowledged": len(acknowledged),
            "lost": missing(recovered["NodeGroups"][0]["PrimaryEndpoint"], acknowledged), "recovery_seconds": seconds}
