"""Online migration from a self-managed Redis OSS (a redis-server this test runs) into a replication
group: the data arrives by replication, new writes follow until CompleteMigration, then the group
takes writes. Through boto3 and redis-py."""

from __future__ import annotations

import shutil
import socket
import subprocess

import pytest
import redis

from tests.services.elasticache.redis_helpers import (cluster_client, create_group, error_of, events, eventually, primary, wait_available,
                                                      wait_cache)

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")


@pytest.fixture
def self_managed(tmp_path):
    """A customer's own Redis on 127.0.0.1, no AUTH, no TLS, as AWS's online migration needs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        source = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)
        eventually(source.ping, what="the self-managed Redis up")
        yield source, port
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_online_migration_from_a_self_managed_redis(cloud, self_managed):
    source, port = self_managed
    for i in range(100):
        source.set(f"legacy:{i}", i)
    ec = cloud.client("elasticache")
    create_group(ec, "target", NumCacheClusters=2)
    endpoint = [{"Address": "127.0.0.1", "Port": port}]

    assert error_of(ec.start_migration, ReplicationGroupId="ghost", CustomerNodeEndpointList=endpoint)[0] == \
        "ReplicationGroupNotFoundFault"
    assert error_of(ec.start_migration, ReplicationGroupId="target",
                    CustomerNodeEndpointList=endpoint * 2)[0] == "InvalidParameterValue"
    assert error_of(ec.complete_migration, ReplicationGroupId="target")[0] == "ReplicationGroupNotUnderMigrationFault"
    ec.test_migration(ReplicationGroupId="target", CustomerNodeEndpointList=endpoint)
    eventually(lambda: f"Test migration from 127.0.0.1:{port} succeeded" in events(ec, "target"), what="the test's event")

    started = ec.start_migration(ReplicationGroupId="target", CustomerNodeEndpointList=endpoint)["ReplicationGroup"]
    assert started["Status"] == "migrating"
    assert error_of(ec.start_migration, ReplicationGroupId="target", CustomerNodeEndpointList=endpoint)[0] == \
        "ReplicationGroupAlreadyUnderMigrationFault"
    group = ec.describe_replication_groups(ReplicationGroupId="target")["ReplicationGroups"][0]
    target = primary(group)
    eventually(lambda: target.dbsize() == 100, what="the data migrated")
    source.set("legacy:new", "written during the migration")
    assert eventually(lambda: target.get("legacy:new") == b"written during the migration", what="a later write migrated")
    with pytest.raises(redis.exceptions.ReadOnlyError):
        target.set("too", "early")

    completed = ec.complete_migration(ReplicationGroupId="target")["ReplicationGroup"]
    assert completed["Status"] == "available"
    assert eventually(lambda: target.set("after", "cutover"), what="the group taking writes")
    source.set("legacy:late", "after the cutover")
    assert target.get("legacy:late") is None and target.get("legacy:7") == b"7"
    # Its replicas follow their primary again.
    replica = redis.Redis(host=group["NodeGroups"][0]["ReaderEndpoint"]["Address"],
                          port=group["NodeGroups"][0]["ReaderEndpoint"]["Port"], socket_timeout=5)
    assert eventually(lambda: replica.get("after") == b"cutover", what="the replica after the cutover")
    wait_available(ec, "target")


def test_a_migration_that_is_not_in_sync_completes_only_with_force(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "stranded")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        nobody = sock.getsockname()[1]
    endpoint = [{"Address": "127.0.0.1", "Port": nobody}]
    ec.test_migration(ReplicationGroupId="stranded", CustomerNodeEndpointList=endpoint)
    eventually(lambda: any(m.startswith(f"Test migration from 127.0.0.1:{nobody} failed") for m in events(ec, "stranded")),
               what="the failed test's event")
    ec.start_migration(ReplicationGroupId="stranded", CustomerNodeEndpointList=endpoint)
    assert error_of(ec.complete_migration, ReplicationGroupId="stranded")[0] == "MigrationHealthFault"
    assert ec.complete_migration(ReplicationGroupId="stranded", Force=True)["ReplicationGroup"]["Status"] == "available"
    writer = primary(wait_available(ec, "stranded"))
    assert eventually(lambda: writer.set("k", "v"), what="the group taking writes")
    assert error_of(ec.start_migration, ServerlessCacheName="anything", CustomerNodeEndpointList=endpoint)[0] == \
        "ServerlessCacheNotFoundFault"


def test_migration_into_a_serverless_cache(cloud, self_managed, ca_file):
    """PrepareMigration, StartMigration (the data, then every change), StopMigration, a restart with
    ClearTargetCacheData and AutoCutover, and a manual CompleteMigration."""
    source, port = self_managed
    for i in range(100):
        source.set(f"legacy:{i}", i)
    source.set("expiring", "soon", px=600000)
    ec = cloud.client("elasticache")
    ec.create_serverless_cache(ServerlessCacheName="landing", Engine="valkey")
    cache = wait_cache(ec, "landing")
    endpoint = [{"Address": "127.0.0.1", "Port": port}]
    for call in (ec.start_migration, ec.complete_migration):
        assert error_of(call, ServerlessCacheName="landing")[0] == "ServerlessCacheNotUnderMigrationFault"
    assert error_of(ec.stop_migration, ServerlessCacheName="landing")[0] == "ServerlessCacheNotUnderMigrationFault"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        nobody = sock.getsockname()[1]
    assert error_of(ec.prepare_migration, ServerlessCacheName="landing",
                    CustomerNodeEndpointList=[{"Address": "127.0.0.1", "Port": nobody}])[0] == "InvalidParameterValue"

    prepared = ec.prepare_migration(ServerlessCacheName="landing", CustomerNodeEndpointList=endpoint)["ServerlessCache"]
    assert prepared["Migration"] == {"Status": "ready", "CutoverMode": "manual", "MigrationEndpoint": cache["Endpoint"]}
    assert error_of(ec.prepare_migration, ServerlessCacheName="landing", CustomerNodeEndpointList=endpoint)[0] == \
        "ServerlessCacheAlreadyUnderMigrationFault"
    started = ec.start_migration(ServerlessCacheName="landing")["ServerlessCache"]
    assert started["Migration"]["Status"] == "syncing"
    target = cluster_client(cache["Endpoint"], ca_file)
    eventually(lambda: "Migration into serverless cache landing is in sync" in events(ec, "landing"), timeout=120,
               what="the first copy done")
    assert [target.get(f"legacy:{i}") for i in range(100)] == [str(i).encode() for i in range(100)]
    assert 0 < target.pttl("expiring") <= 600000
    source.incr("legacy:1")
    source.delete("legacy:2")
    source.set("fresh", "written during the migration")
    eventually(lambda: (target.get("fresh"), target.get("legacy:2"), target.get("legacy:1")) ==
               (b"written during the migration", None, b"2"), what="the changes migrated")
    assert error_of(ec.delete_serverless_cache, ServerlessCacheName="landing")[0] == "InvalidServerlessCacheStateFault"

    assert ec.stop_migration(ServerlessCacheName="landing")["ServerlessCache"]["Migration"]["Status"] == "stopped"
    source.set("after-stop", "later")
    assert error_of(ec.complete_migration, ServerlessCacheName="landing")[0] == "MigrationHealthFault"
    assert error_of(ec.start_migration, ServerlessCacheName="landing")[0] == "InvalidParameterCombination"
    target.set("only-in-the-cache", "cleared by the restart")
    ec.start_migration(ServerlessCacheName="landing", ClearTargetCacheData=True, AutoCutover=True)
    eventually(lambda: "Migration" not in ec.describe_serverless_caches(ServerlessCacheName="landing")["ServerlessCaches"][0],
               timeout=120, what="the automatic cutover")
    assert target.get("after-stop") == b"later" and target.get("only-in-the-cache") is None
    source.set("after-cutover", "stays in the source")
    assert target.get("after-cutover") is None

    ec.prepare_migration(ServerlessCacheName="landing", CustomerNodeEndpointList=endpoint)
    ec.start_migration(ServerlessCacheName="landing")
    eventually(lambda: target.get("after-cutover") == b"stays in the source", timeout=120, what="the second sync")
    eventually(lambda: ec.complete_migration(ServerlessCacheName="landing"), timeout=120, what="the manual cutover once in sync")
    assert "Migration" not in ec.describe_serverless_caches(ServerlessCacheName="landing")["ServerlessCaches"][0]
    target.set("mine", "now")  # the cache takes writes of its own
