"""kill -9 of regionbox with a serverless cache and a global datastore: after the restart the
serverless endpoints serve the same data, and the secondary region still replicates new writes.
Against a real `regionbox up` process, through boto3 and redis-py."""

from __future__ import annotations

from regionbox.testing import CloudProcess
from tests.services.elasticache.redis_helpers import (ca_cert, cluster_client, create_group, eventually, primary, wait_available,
                                                      wait_cache)


def test_serverless_caches_and_global_datastores_survive_kill_9(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    try:
        ca_file = tmp_path / "ca.pem"
        ca_file.write_text(ca_cert("--endpoint", process.endpoint))
        east, west = process.client("elasticache"), process.client("elasticache", region="us-west-2")
        east.create_serverless_cache(ServerlessCacheName="durable", Engine="valkey",
                                     CacheUsageLimits={"DataStorage": {"Maximum": 1, "Unit": "GB"}})
        create_group(east, "home", NumCacheClusters=1, CacheNodeType="cache.m5.large")
        global_id = east.create_global_replication_group(GlobalReplicationGroupIdSuffix="home",
                                                         PrimaryReplicationGroupId="home")["GlobalReplicationGroup"]["GlobalReplicationGroupId"]
        west.create_replication_group(ReplicationGroupId="away", ReplicationGroupDescription="away", GlobalReplicationGroupId=global_id)
        writer, reader = primary(wait_available(east, "home")), primary(wait_available(west, "away"))
        cache = wait_cache(east, "durable")
        data = cluster_client(cache["Endpoint"], ca_file)
        for i in range(20):
            data.set(f"s:{i}", i)
        writer.set("g:before", "kill")
        eventually(lambda: reader.get("g:before") == b"kill", what="replicated before the kill")

        process.kill9()
        process.start()
        east, west = process.client("elasticache"), process.client("elasticache", region="us-west-2")
        assert wait_cache(east, "durable") == cache
        data = cluster_client(cache["Endpoint"], ca_file)
        assert [data.get(f"s:{i}") for i in range(20)] == [str(i).encode() for i in range(20)]
        writer, reader = primary(wait_available(east, "home")), primary(wait_available(west, "away"))
        assert eventually(lambda: writer.set("g:after", "restart"), what="the primary region taking writes")
        assert eventually(lambda: reader.get("g:after") == b"restart", what="replicated after the restart")
        members = east.describe_global_replication_groups(ShowMemberInfo=True)["GlobalReplicationGroups"][0]["Members"]
        assert [(m["ReplicationGroupId"], m["Role"], m["Status"]) for m in members] == [
            ("home", "PRIMARY", "associated"), ("away", "SECONDARY", "associated")]
    finally:
        process.cleanup()
