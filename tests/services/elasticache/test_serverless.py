"""Serverless caches: a Valkey/Redis OSS endpoint backed by a real cluster over TLS (cluster clients
discover its nodes, the reader endpoint reaches the replica), its usage limits on the nodes, its
snapshots (real RDB files: restored into a new cache with the keys, copied, exported to S3), a
Memcached one, and AWS's errors. Through boto3, redis-py and a TLS socket."""

from __future__ import annotations

import socket
import ssl

import pytest
import redis
from redis.cluster import RedisCluster

from tests.services.elasticache.redis_helpers import (admin, cluster_client, error_of, eventually, export_policy, wait_cache,
                                                      wait_serverless_snapshot)

GIB = 2 ** 30


def test_a_serverless_cache_serves_a_real_cluster_with_its_own_limits_and_snapshots(cloud, ca_file):
    ec, s3 = cloud.client("elasticache"), cloud.client("s3")
    created = ec.create_serverless_cache(ServerlessCacheName="Sessions", Engine="valkey", Description="app sessions",
                                         CacheUsageLimits={"DataStorage": {"Maximum": 2, "Unit": "GB"},
                                                           "ECPUPerSecond": {"Maximum": 5000}},
                                         Tags=[{"Key": "app", "Value": "shop"}])["ServerlessCache"]
    assert created["ServerlessCacheName"] == "sessions" and created["Status"] == "creating"
    assert created["MajorEngineVersion"] == "8" and created["ARN"].endswith(":serverlesscache:sessions")
    assert "Endpoint" not in created
    cache = wait_cache(ec, "sessions")
    assert cache["CacheUsageLimits"] == {"DataStorage": {"Maximum": 2, "Unit": "GB"}, "ECPUPerSecond": {"Maximum": 5000}}
    assert cache["Endpoint"]["Port"] and cache["ReaderEndpoint"] != cache["Endpoint"]
    # AWS shows no nodes of a serverless cache.
    assert ec.describe_replication_groups()["ReplicationGroups"] == []
    assert ec.describe_cache_clusters()["CacheClusters"] == []

    data = cluster_client(cache["Endpoint"], ca_file)
    for i in range(50):
        data.set(f"key:{i}", f"value {i}")
    assert data.get("key:7") == b"value 7"
    # The reader endpoint reaches the replica: read-only, with the data.
    reader = redis.Redis(host=cache["ReaderEndpoint"]["Address"], port=cache["ReaderEndpoint"]["Port"], ssl=True,
                         ssl_ca_certs=str(ca_file), socket_timeout=5)
    reader.execute_command("READONLY")
    assert reader.info("replication")["role"] == "slave"
    eventually(lambda: reader.dbsize() == 50, what="the replica has the keys")
    # The DataStorage maximum is what the nodes give the data.
    node = admin(cloud, cache["Endpoint"], ssl=True, ssl_cert_reqs="none")
    assert int(node.config_get("maxmemory")["maxmemory"]) == 2 * GIB
    ec.modify_serverless_cache(ServerlessCacheName="sessions", CacheUsageLimits={"DataStorage": {"Maximum": 3, "Unit": "GB"}},
                               Description="bigger")
    eventually(lambda: int(node.config_get("maxmemory")["maxmemory"]) == 3 * GIB, what="the new limit on the nodes")
    assert wait_cache(ec, "sessions")["Description"] == "bigger"

    # A snapshot: real RDB files; the cache stays available meanwhile.
    snapshot = ec.create_serverless_cache_snapshot(ServerlessCacheSnapshotName="sessions-backup", ServerlessCacheName="sessions",
                                                   Tags=[{"Key": "kind", "Value": "backup"}])["ServerlessCacheSnapshot"]
    assert snapshot["Status"] == "creating" and snapshot["SnapshotType"] == "manual"
    assert snapshot["ServerlessCacheConfiguration"] == {"ServerlessCacheName": "sessions", "Engine": "valkey",
                                                        "MajorEngineVersion": "8"}
    snapshot = wait_serverless_snapshot(ec, "sessions-backup")
    assert int(snapshot["BytesUsedForCache"]) > 0
    assert ec.list_tags_for_resource(ResourceName=snapshot["ARN"])["TagList"] == [{"Key": "app", "Value": "shop"},
                                                                                  {"Key": "kind", "Value": "backup"}]
    data.set("key:after", "not in the snapshot")

    # Restored into a new serverless cache: the keys as they were.
    ec.create_serverless_cache(ServerlessCacheName="restored", Engine="valkey", SnapshotArnsToRestore=[snapshot["ARN"]])
    restored = cluster_client(wait_cache(ec, "restored")["Endpoint"], ca_file)
    assert [restored.get(f"key:{i}") for i in range(50)] == [f"value {i}".encode() for i in range(50)]
    assert restored.get("key:after") is None

    # Copied, and exported to S3 as RDB files.
    ec.copy_serverless_cache_snapshot(SourceServerlessCacheSnapshotName="sessions-backup",
                                      TargetServerlessCacheSnapshotName="sessions-copy")
    assert wait_serverless_snapshot(ec, "sessions-copy")["BytesUsedForCache"] == snapshot["BytesUsedForCache"]
    s3.create_bucket(Bucket="cache-exports")
    assert error_of(ec.export_serverless_cache_snapshot, ServerlessCacheSnapshotName="sessions-copy",
                    S3BucketName="cache-exports")[0] == "InvalidParameterValue"  # ElastiCache not granted access yet
    s3.put_bucket_policy(Bucket="cache-exports", Policy=export_policy("cache-exports"))
    ec.export_serverless_cache_snapshot(ServerlessCacheSnapshotName="sessions-copy", S3BucketName="cache-exports")
    wait_serverless_snapshot(ec, "sessions-copy")
    assert s3.get_object(Bucket="cache-exports", Key="sessions-copy-0001.rdb")["Body"].read().startswith(b"REDIS")

    listed = ec.describe_serverless_cache_snapshots(ServerlessCacheName="sessions")["ServerlessCacheSnapshots"]
    assert [s["ServerlessCacheSnapshotName"] for s in listed] == ["sessions-backup", "sessions-copy"]
    page = ec.describe_serverless_cache_snapshots(MaxResults=1)
    assert len(page["ServerlessCacheSnapshots"]) == 1 and page["NextToken"]
    assert ec.describe_serverless_cache_snapshots(SnapshotType="automated")["ServerlessCacheSnapshots"] == []

    # Deleted with a final snapshot, taken before the nodes go.
    deleting = ec.delete_serverless_cache(ServerlessCacheName="sessions", FinalSnapshotName="sessions-final")["ServerlessCache"]
    assert deleting["Status"] == "deleting"
    assert error_of(ec.modify_serverless_cache, ServerlessCacheName="sessions", Description="x")[0] == \
        "InvalidServerlessCacheStateFault"
    eventually(lambda: [c["ServerlessCacheName"] for c in ec.describe_serverless_caches()["ServerlessCaches"]] == ["restored"],
               timeout=120, what="the cache gone")
    assert wait_serverless_snapshot(ec, "sessions-final")["ServerlessCacheConfiguration"]["ServerlessCacheName"] == "sessions"
    ec.delete_serverless_cache_snapshot(ServerlessCacheSnapshotName="sessions-backup")
    assert error_of(ec.describe_serverless_cache_snapshots, ServerlessCacheSnapshotName="sessions-backup")[0] == \
        "ServerlessCacheSnapshotNotFoundFault"


def test_serverless_cache_errors(cloud):
    ec = cloud.client("elasticache")
    assert error_of(ec.create_serverless_cache, ServerlessCacheName="x", Engine="mysql")[0] == "InvalidParameterValue"
    assert error_of(ec.create_serverless_cache, ServerlessCacheName="bad--name", Engine="valkey")[0] == "InvalidParameterValue"
    assert error_of(ec.create_serverless_cache, ServerlessCacheName="x", Engine="redis", MajorEngineVersion="5")[0] == \
        "InvalidParameterCombination"
    assert error_of(ec.create_serverless_cache, ServerlessCacheName="x", Engine="valkey",
                    CacheUsageLimits={"ECPUPerSecond": {"Maximum": 5}}) == (
        "InvalidParameterValue", "Invalid value for ECPUPerSecond limit. Must be between 1000 and 15000000. You can set the value "
                                 "to zero to remove the limit.")
    assert error_of(ec.create_serverless_cache, ServerlessCacheName="x", Engine="valkey",
                    CacheUsageLimits={"DataStorage": {"Maximum": 6000, "Unit": "GB"}})[0] == "InvalidParameterValue"
    assert error_of(ec.create_serverless_cache, ServerlessCacheName="x", Engine="memcached", UserGroupId="g")[0] == \
        "InvalidParameterCombination"
    assert error_of(ec.create_serverless_cache, ServerlessCacheName="x", Engine="valkey", UserGroupId="nope")[0] == \
        "UserGroupNotFound"
    assert error_of(ec.create_serverless_cache, ServerlessCacheName="x", Engine="valkey", SnapshotRetentionLimit=36)[0] == \
        "InvalidParameterValue"
    assert error_of(ec.describe_serverless_caches, ServerlessCacheName="ghost") == (
        "ServerlessCacheNotFoundFault", "Serverless cache ghost not found.")
    assert error_of(ec.delete_serverless_cache, ServerlessCacheName="ghost")[0] == "ServerlessCacheNotFoundFault"
    assert error_of(ec.create_serverless_cache_snapshot, ServerlessCacheSnapshotName="s", ServerlessCacheName="ghost")[0] == \
        "ServerlessCacheNotFoundFault"
    assert error_of(ec.copy_serverless_cache_snapshot, SourceServerlessCacheSnapshotName="ghost",
                    TargetServerlessCacheSnapshotName="t")[0] == "ServerlessCacheSnapshotNotFoundFault"
    assert error_of(ec.describe_serverless_cache_snapshots, SnapshotType="weekly")[0] == "InvalidParameterValue"
    assert error_of(ec.describe_serverless_caches, MaxResults=51)[0] == "InvalidParameterValue"

    ec.create_serverless_cache(ServerlessCacheName="busy", Engine="valkey")
    assert error_of(ec.create_serverless_cache, ServerlessCacheName="busy", Engine="valkey")[0] == \
        "ServerlessCacheAlreadyExistsFault"
    # Still creating: no snapshot, no change yet.
    assert error_of(ec.create_serverless_cache_snapshot, ServerlessCacheSnapshotName="early", ServerlessCacheName="busy")[0] == \
        "InvalidServerlessCacheStateFault"
    wait_cache(ec, "busy")
    assert error_of(ec.modify_serverless_cache, ServerlessCacheName="busy", RemoveUserGroup=True)[0] == \
        "InvalidParameterCombination"
    assert error_of(ec.create_serverless_cache_snapshot, ServerlessCacheSnapshotName="automatic-x",
                    ServerlessCacheName="busy")[0] == "InvalidParameterValue"


def test_a_serverless_cache_with_users_needs_their_passwords(cloud, ca_file):
    ec = cloud.client("elasticache")
    ec.create_user(UserId="app", UserName="app", Engine="valkey", Passwords=["app-password-0123456789"],
                   AccessString="on ~* +@all")
    ec.create_user_group(UserGroupId="apps", Engine="valkey", UserIds=["default", "app"])
    eventually(lambda: ec.describe_user_groups(UserGroupId="apps")["UserGroups"][0]["Status"] == "active", what="the group")
    cache = ec.create_serverless_cache(ServerlessCacheName="guarded", Engine="valkey", UserGroupId="apps")["ServerlessCache"]
    assert cache["UserGroupId"] == "apps"
    endpoint = wait_cache(ec, "guarded")["Endpoint"]
    app = RedisCluster(host=endpoint["Address"], port=endpoint["Port"], ssl=True, ssl_ca_certs=str(ca_file),
                       username="app", password="app-password-0123456789", socket_timeout=5)
    app.set("k", "v")
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(host=endpoint["Address"], port=endpoint["Port"], ssl=True, ssl_ca_certs=str(ca_file), username="app",
                    password="wrong-password-0123456789", socket_timeout=5).ping()
    # Without the user group, the default user is open again.
    ec.modify_serverless_cache(ServerlessCacheName="guarded", RemoveUserGroup=True)
    wait_cache(ec, "guarded")
    eventually(lambda: redis.Redis(host=endpoint["Address"], port=endpoint["Port"], ssl=True, ssl_ca_certs=str(ca_file),
                                   socket_timeout=5).ping(), what="the default user open")
    assert "UserGroupId" not in ec.describe_serverless_caches(ServerlessCacheName="guarded")["ServerlessCaches"][0]


def test_a_memcached_serverless_cache_speaks_memcached_over_tls(cloud, ca_file):
    ec = cloud.client("elasticache")
    ec.create_serverless_cache(ServerlessCacheName="memo", Engine="memcached")
    cache = wait_cache(ec, "memo")
    assert cache["MajorEngineVersion"] == "1.6" and "SnapshotRetentionLimit" not in cache
    context = ssl.create_default_context(cafile=str(ca_file))
    context.check_hostname = False
    address = (cache["Endpoint"]["Address"], cache["Endpoint"]["Port"])
    with socket.create_connection(address, timeout=5) as raw, context.wrap_socket(raw) as conn:
        conn.sendall(b"set greeting 0 0 5\r\nhello\r\n")
        assert conn.recv(100) == b"STORED\r\n"
        conn.sendall(b"get greeting\r\n")
        reply = b""
        while not reply.endswith(b"END\r\n"):
            reply += conn.recv(100)
        assert reply == b"VALUE greeting 0 5\r\nhello\r\nEND\r\n"
    assert error_of(ec.create_serverless_cache_snapshot, ServerlessCacheSnapshotName="m", ServerlessCacheName="memo")[0] == \
        "InvalidParameterCombination"
    ec.delete_serverless_cache(ServerlessCacheName="memo")
    eventually(lambda: ec.describe_serverless_caches()["ServerlessCaches"] == [], timeout=60, what="the cache gone")
    assert ec.describe_cache_clusters()["CacheClusters"] == []


def test_a_serverless_cache_is_backed_up_daily_and_its_automatic_snapshots_expire():
    """With a day of a few seconds: a daily snapshot at DailySnapshotTime, expiring after the
    retention limit (ExpiryTime), gone with its cache."""
    from regionbox.config import Config
    from regionbox.testing import RunningCloud

    running = RunningCloud(Config(ephemeral=True, elasticache_snapshot_day=4)).start()
    try:
        ec = running.client("elasticache")
        ec.create_serverless_cache(ServerlessCacheName="daily", Engine="valkey", SnapshotRetentionLimit=1, DailySnapshotTime="00:00")
        wait_cache(ec, "daily")

        def automatic() -> list[dict]:
            return [s for s in ec.describe_serverless_cache_snapshots(ServerlessCacheName="daily", SnapshotType="automated")[
                "ServerlessCacheSnapshots"] if s["Status"] == "available"]

        first = eventually(lambda: automatic() and automatic()[0], timeout=30, what="a first daily snapshot")
        assert first["ServerlessCacheSnapshotName"].startswith("automatic.daily-") and first["SnapshotType"] == "automated"
        assert first["ExpiryTime"] > first["CreateTime"]
        eventually(lambda: first["ServerlessCacheSnapshotName"] not in [s["ServerlessCacheSnapshotName"] for s in automatic()],
                   timeout=60, what="the first snapshot expired")
        ec.delete_serverless_cache(ServerlessCacheName="daily")
        eventually(lambda: ec.describe_serverless_caches()["ServerlessCaches"] == [], timeout=60, what="the cache gone")
        assert ec.describe_serverless_cache_snapshots(SnapshotType="automated")["ServerlessCacheSnapshots"] == []
    finally:
        running.stop()
