"""The commands ElastiCache keeps from clients: a client gets what it gets on AWS (the engine's
"unknown command" for the renamed ones, NOPERM for the denied ones), and cannot change a group
behind the API's back. The embedded engine answers exactly as redis-server does."""

from __future__ import annotations

import redis

from regionbox.engines import kinds
from tests.services.elasticache.redis_helpers import FAST, client, create_group, describe, eventually, members, primary

# Renamed on ElastiCache: the engine does not know them by these names.
RENAMED = [("CONFIG", "GET", "maxmemory"), ("CONFIG", "SET", "maxmemory", "1mb"), ("SHUTDOWN", "NOSAVE"), ("DEBUG", "SLEEP", "0"),
           ("BGSAVE",), ("SAVE",), ("BGREWRITEAOF",), ("SLAVEOF", "NO", "ONE"), ("REPLICAOF", "NO", "ONE"), ("MODULE", "LIST"),
           ("SYNC",), ("MIGRATE", "127.0.0.1", "6379", "key", "0", "1000")]
# Denied to every user of the cache: the engine refuses them with NOPERM.
DENIED = {("PSYNC", "?", "-1"): "psync", ("ACL", "SETUSER", "intruder", "on", ">pw", "+@all"): "acl|setuser",
          ("ACL", "DELUSER", "default"): "acl|deluser", ("ACL", "LOAD"): "acl|load", ("ACL", "SAVE"): "acl|save",
          ("CLUSTER", "FAILOVER", "TAKEOVER"): "cluster|failover", ("CLUSTER", "RESET"): "cluster|reset"}
CLUSTER_DENIED = {("CLUSTER", "ADDSLOTS", "1"): "cluster|addslots", ("CLUSTER", "DELSLOTS", "1"): "cluster|delslots",
                  ("CLUSTER", "MEET", "127.0.0.1", "7000"): "cluster|meet", ("CLUSTER", "FORGET", "x" * 40): "cluster|forget",
                  ("CLUSTER", "SETSLOT", "1", "STABLE"): "cluster|setslot", ("CLUSTER", "REPLICATE", "x" * 40): "cluster|replicate",
                  ("CLUSTER", "FLUSHSLOTS"): "cluster|flushslots", ("CLUSTER", "BUMPEPOCH"): "cluster|bumpepoch"}


def unknown(command: tuple) -> str:
    """redis-server's answer to a command it does not know (redis-py drops the "ERR ")."""
    return f"unknown command '{command[0]}', with args beginning with: " + "".join(f"'{arg}' " for arg in command[1:])


def answer(connection: redis.Redis, *command) -> str:
    try:
        return f"ok: {connection.execute_command(*command)!r}"
    except redis.exceptions.ResponseError as error:  # NOPERM is a ResponseError too
        return str(error)


def answers(connection: redis.Redis) -> dict[tuple, str]:
    return {command: answer(connection, *command) for command in [*RENAMED, *DENIED]}


def test_replication_group_nodes_refuse_what_elasticache_restricts(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "locked", NumCacheClusters=2, AutomaticFailoverEnabled=True)
    group = describe(ec, "locked")
    writer = primary(group)
    replica = client(members(group)[1]["ReadEndpoint"])
    for connection in (writer, replica):
        got = answers(connection)
        for command in RENAMED:
            assert got[command] == unknown(command)
        for command, name in DENIED.items():
            assert got[command] == f"this user has no permissions to run the '{name}' command"
        # What AWS leaves to clients stays.
        assert connection.acl_whoami() == "default" and "keyspace" in connection.acl_cat()
        assert connection.info("replication")["role"] in ("master", "slave")
    # REPLICAOF NO ONE did not split the group: the replica still follows, as the API says.
    writer.set("after", "attempts")
    assert eventually(lambda: replica.get("after") == b"attempts", what="the replica following its primary")
    assert replica.info("replication")["role"] == "slave"
    assert [m["CurrentRole"] for m in members(describe(ec, "locked"))] == ["primary", "replica"]
    # regionbox's own administration still works: a failover moves the primary.
    ec.test_failover(ReplicationGroupId="locked", NodeGroupId="0001")
    assert eventually(lambda: [m["CurrentRole"] for m in members(describe(ec, "locked"))] == ["replica", "primary"],
                      what="the failover")


def test_cluster_mode_nodes_refuse_topology_changes_and_keep_the_cluster_reads(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "sealed", ClusterMode="enabled", NumNodeGroups=1, ReplicasPerNodeGroup=0)
    endpoint = describe(ec, "sealed")["ConfigurationEndpoint"]
    node = redis.Redis(host=endpoint["Address"], port=endpoint["Port"], socket_timeout=5)
    for command, name in CLUSTER_DENIED.items():
        assert answer(node, *command) == f"this user has no permissions to run the '{name}' command"
    assert answer(node, "CONFIG", "GET", "cluster-enabled") == unknown(("CONFIG", "GET", "cluster-enabled"))
    assert node.execute_command("CLUSTER", "INFO").startswith(b"cluster_state:ok")
    assert node.execute_command("CLUSTER", "KEYSLOT", "user:1") == 10778
    assert len(node.execute_command("CLUSTER", "SLOTS")) == 1 and node.execute_command("CLUSTER", "MYID")
    assert redis.RedisCluster(host=endpoint["Address"], port=endpoint["Port"]).set("user:1", "x")


def test_the_embedded_engine_refuses_them_as_redis_server_does(cloud, monkeypatch):
    ec = cloud.client("elasticache")
    seen = {}
    for engine in ("real", "embedded"):
        if engine == "embedded":
            monkeypatch.setattr(kinds, "binary", lambda name: None)
        ec.create_cache_cluster(CacheClusterId=f"solo-{engine}", Engine="redis", CacheNodeType="cache.t3.micro", NumCacheNodes=1)
        ec.get_waiter("cache_cluster_available").wait(CacheClusterId=f"solo-{engine}", WaiterConfig=FAST)
        cluster = ec.describe_cache_clusters(CacheClusterId=f"solo-{engine}", ShowCacheNodeInfo=True)["CacheClusters"][0]
        endpoint = cluster["CacheNodes"][0]["Endpoint"]
        connection = redis.Redis(host=endpoint["Address"], port=endpoint["Port"], socket_timeout=5)
        seen[engine] = {**answers(connection), "whoami": connection.acl_whoami(), "engine": connection.info().get("embedded")}
    assert (seen["real"].pop("engine"), seen["embedded"].pop("engine")) == (None, "regionbox")
    # CLUSTER FAILOVER / RESET: the embedded engine has no CLUSTER, but the denial comes first on both.
    assert seen["embedded"] == seen["real"]
    assert seen["real"][("CONFIG", "GET", "maxmemory")] == unknown(("CONFIG", "GET", "maxmemory"))
