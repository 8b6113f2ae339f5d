"""What the replication group tests share: creating a group and waiting for it, endpoints,
redis clients on them, and waiting for a condition without timing assertions."""

from __future__ import annotations

import json
import pathlib
import sqlite3
import subprocess
import sys
import time

import pytest
import redis
from botocore.exceptions import ClientError
from redis.cluster import RedisCluster

from regionbox.services.elasticache.nodes import ADMIN_USER
from regionbox.services.elasticache.restricted import AdminNames

FAST = {"Delay": 0.1, "MaxAttempts": 600}


def create_group(ec, group_id: str, wait: bool = True, **params) -> dict:
    params.setdefault("ReplicationGroupDescription", f"{group_id} for tests")
    created = ec.create_replication_group(ReplicationGroupId=group_id, **params)["ReplicationGroup"]
    if wait:
        ec.get_waiter("replication_group_available").wait(ReplicationGroupId=group_id, WaiterConfig=FAST)
    return created


def describe(ec, group_id: str) -> dict:
    return ec.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0]


def wait_available(ec, group_id: str) -> dict:
    ec.get_waiter("replication_group_available").wait(ReplicationGroupId=group_id, WaiterConfig=FAST)
    return describe(ec, group_id)


def members(group: dict) -> list[dict]:
    return [m for ng in group["NodeGroups"] for m in ng["NodeGroupMembers"]]


def primary_member(group: dict) -> dict:
    return next(m for m in members(group) if m["CurrentRole"] == "primary")


def client(endpoint: dict, **kwargs) -> redis.Redis:
    kwargs.setdefault("socket_timeout", 5)
    kwargs.setdefault("socket_connect_timeout", 2)
    return redis.Redis(host=endpoint["Address"], port=endpoint["Port"], **kwargs)


def primary(group: dict, **kwargs) -> redis.Redis:
    return client(group["NodeGroups"][0]["PrimaryEndpoint"], **kwargs)


def eventually(condition, timeout: float = 30, what: str = "condition"):
    """Poll until ``condition()`` is truthy (exceptions count as not yet) and return its value."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - not yet
            last = exc
        time.sleep(0.05)
    pytest.fail(f"{what} did not happen within {timeout}s (last error: {last!r})")


def error_of(call, **params) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**params)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def events(ec, source_id: str) -> list[str]:
    return [e["Message"] for e in ec.describe_events(SourceIdentifier=source_id, Duration=60)["Events"]]


def event_log(ec) -> list[tuple[str, str]]:
    """(source, message) of every recent event, oldest first: the order AWS documents them in."""
    return [(e["SourceIdentifier"], e["Message"]) for e in reversed(ec.describe_events(Duration=60)["Events"])]


def in_order(log: list, expected: list) -> bool:
    """``expected`` appears in ``log`` as a subsequence (other events may come between)."""
    remaining = iter(log)
    return all(item in remaining for item in expected)


def redis_pids(address: str) -> set[int]:
    """redis-server processes serving ``address``, from /proc (they retitle themselves "redis-server <address>:<port>")."""
    found = set()
    for proc in pathlib.Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if b"redis-server" in cmdline and f"{address}:".encode() in cmdline:
                found.add(int(proc.name))
    return found


# -- the admin path ---------------------------------------------------------------------------------------
def admin_secret(cloud) -> str:
    """regionbox's admin password for ElastiCache nodes: from an in-process cloud, or from the state
    directory of a CloudProcess."""
    if hasattr(cloud, "cloud"):
        return cloud.cloud._secret("elasticache.admin").hex()
    with sqlite3.connect(pathlib.Path(cloud.state_dir) / "state.db") as db:
        return db.execute("SELECT value FROM meta WHERE name='secret.elasticache.admin'").fetchone()[0].hex()


def admin(cloud, endpoint: dict, **kwargs) -> redis.Redis:
    """A connection to a node as regionbox's own admin user, which alone reaches the commands
    ElastiCache keeps from clients (CONFIG, REPLICAOF ...) under their secret names: what tests
    use to look behind the API, as AWS's own operators could."""
    secret = admin_secret(cloud)
    names = AdminNames(secret)

    class AdminConnection(redis.SSLConnection if kwargs.pop("ssl", False) else redis.Connection):
        def send_command(self, *args, **kwargs):
            if args and isinstance(args[0], str):
                args = (*args[0].split(), *args[1:])
            return super().send_command(*names.args(args), **kwargs)

    pool = redis.ConnectionPool(connection_class=AdminConnection, host=endpoint["Address"], port=endpoint["Port"],
                                username=ADMIN_USER, password=secret, socket_timeout=5, socket_connect_timeout=2, **kwargs)
    return redis.Redis(connection_pool=pool)


# -- snapshots ------------------------------------------------------------------------------------------
def wait_snapshot(ec, name: str, status: str = "available", timeout: float = 60) -> dict:
    """The snapshot once it has ``status`` (boto3 has no waiter for snapshots)."""
    def reached():
        found = ec.describe_snapshots(SnapshotName=name)["Snapshots"][0]
        assert found["SnapshotStatus"] != "failed", found
        return found if found["SnapshotStatus"] == status else None

    return eventually(reached, timeout=timeout, what=f"snapshot {name} {status}")


def cluster_endpoint(ec, cluster_id: str) -> dict:
    """The endpoint of a single-node cluster (once available)."""
    ec.get_waiter("cache_cluster_available").wait(CacheClusterId=cluster_id, WaiterConfig=FAST)
    cluster = ec.describe_cache_clusters(CacheClusterId=cluster_id, ShowCacheNodeInfo=True)["CacheClusters"][0]
    return cluster["CacheNodes"][0]["Endpoint"]


def dump_keys(client: redis.Redis) -> dict:
    """Every key with its type, value and whether it expires: what a restore must bring back."""
    found = {}
    for key in client.scan_iter(count=1000):
        kind = client.type(key).decode()
        value = {"string": client.get, "hash": client.hgetall, "list": lambda k: client.lrange(k, 0, -1),
                 "set": client.smembers, "zset": lambda k: client.zrange(k, 0, -1, withscores=True)}[kind](key)
        found[key] = (kind, value, client.ttl(key) > 0)
    return found


def export_policy(bucket: str) -> str:
    """A bucket policy that lets ElastiCache export snapshots into ``bucket``, as AWS documents it."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "ElastiCacheExports", "Effect": "Allow", "Principal": {"Service": "us-east-1.elasticache-snapshot.amazonaws.com"},
        "Action": ["s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:GetBucketAcl", "s3:ListMultipartUploadParts",
                   "s3:ListBucketMultipartUploads"],
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]})


def ca_cert(*args: str) -> str:
    """`regionbox elasticache ca-cert`: the local CA that TLS clients trust."""
    result = subprocess.run([sys.executable, "-m", "regionbox", "elasticache", "ca-cert", *args],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


# -- serverless caches ----------------------------------------------------------------------------------
def wait_cache(ec, name: str, status: str = "available") -> dict:
    def reached():
        cache = ec.describe_serverless_caches(ServerlessCacheName=name)["ServerlessCaches"][0]
        assert cache["Status"] != "create-failed", cache
        return cache if cache["Status"] == status else None

    return eventually(reached, timeout=120, what=f"serverless cache {name} {status}")


def wait_serverless_snapshot(ec, name: str) -> dict:
    def reached():
        found = ec.describe_serverless_cache_snapshots(ServerlessCacheSnapshotName=name)["ServerlessCacheSnapshots"][0]
        assert found["Status"] != "failed", found
        return found if found["Status"] == "available" else None

    return eventually(reached, timeout=120, what=f"serverless snapshot {name}")


def cluster_client(endpoint: dict, ca_file) -> RedisCluster:
    return RedisCluster(host=endpoint["Address"], port=endpoint["Port"], ssl=True, ssl_ca_certs=str(ca_file),
                        ssl_cert_reqs="required", socket_timeout=5)
