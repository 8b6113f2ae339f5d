"""kill -9 of regionbox itself is no data-plane event: every kind of node outlives it and is adopted
again (a connected client does not notice), a node that died meanwhile comes back as ElastiCache's
rules say, and DescribeEvents tells exactly that: data loss when a node came back empty, and only
then. Against a real `regionbox up` process, through boto3, redis-py and pymemcache."""

from __future__ import annotations

import socket

import redis
from pymemcache.client.base import Client as MemcacheClient

from regionbox.testing import CloudProcess
from tests.services.elasticache.kill9_helpers import crash_round, events_since, kill_node, now, start_soak
from tests.services.elasticache.memcached_helpers import create_memcached
from tests.services.elasticache.redis_helpers import FAST, create_group, describe, eventually, members, primary, wait_available

NOT_ADOPTED = ("restarted", "Recovering", "Finished recovery", "without its data", "replaced", "Failover")


def node_endpoint(ec, cluster_id: str, index: int = 0) -> dict:
    return ec.describe_cache_clusters(CacheClusterId=cluster_id, ShowCacheNodeInfo=True)["CacheClusters"][0]["CacheNodes"][index]["Endpoint"]


def memcached_socket(endpoint: dict) -> socket.socket:
    return socket.create_connection((endpoint["Address"], endpoint["Port"]), timeout=5)


def memcached_call(connection: socket.socket, line: bytes) -> bytes:
    connection.sendall(line)
    answer = b""
    while not answer.endswith((b"END\r\n", b"STORED\r\n")):
        answer += connection.recv(4096)
    return answer


def test_every_kind_of_node_is_adopted_and_its_clients_do_not_notice(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    try:
        ec = process.client("elasticache")
        create_group(ec, "pair", wait=False, NumCacheClusters=2, AutomaticFailoverEnabled=True)
        create_group(ec, "shards", wait=False, ClusterMode="enabled", NumNodeGroups=2, ReplicasPerNodeGroup=1)
        ec.create_cache_cluster(CacheClusterId="solo", Engine="redis", CacheNodeType="cache.t3.micro", NumCacheNodes=1)
        create_memcached(ec, "mc", nodes=2)
        for group_id in ("pair", "shards"):
            wait_available(ec, group_id)
        ec.get_waiter("cache_cluster_available").wait(CacheClusterId="solo", WaiterConfig=FAST)

        # Connections of every kind, each holding data.
        redis_connections = {"pair primary": primary(describe(ec, "pair")),
                             "pair replica": redis.Redis(**_address(members(describe(ec, "pair"))[1]["ReadEndpoint"])),
                             "shard node": redis.Redis(**_address(node_endpoint(ec, "shards-0001-001"))),
                             "solo": redis.Redis(**_address(node_endpoint(ec, "solo")))}
        redis_connections["pair primary"].set("kept", "pair")
        redis_connections["pair primary"].wait(1, 2000)
        redis_connections["solo"].set("kept", "solo")
        shard = redis.RedisCluster(**_address(describe(ec, "shards")["ConfigurationEndpoint"]))
        shard.set("kept", "shards")
        ids = {name: connection.client_id() for name, connection in redis_connections.items()}
        cache = memcached_socket(node_endpoint(ec, "mc"))
        assert memcached_call(cache, b"set kept 0 0 2\r\nmc\r\n") == b"STORED\r\n"

        since = now()
        process.kill9()
        # The data plane serves on while the control plane is down.
        assert redis_connections["solo"].get("kept") == b"solo"
        process.start()
        ec = process.client("elasticache")
        for group_id in ("pair", "shards"):
            wait_available(ec, group_id)
        for cluster_id in ("solo", "mc"):
            ec.get_waiter("cache_cluster_available").wait(CacheClusterId=cluster_id, WaiterConfig=FAST)

        # The same connections, the same server-side clients: nothing was restarted.
        for name, connection in redis_connections.items():
            assert connection.client_id() == ids[name], f"{name}: the connection was re-established"
        assert redis_connections["pair primary"].get("kept") == b"pair" and redis_connections["pair replica"].get("kept") == b"pair"
        assert redis_connections["solo"].get("kept") == b"solo" and shard.get("kept") == b"shards"
        assert memcached_call(cache, b"get kept\r\n") == b"VALUE kept 0 2\r\nmc\r\nEND\r\n"
        assert redis_connections["pair primary"].set("after", "restart") and shard.set("after", "restart")
        # And nothing happened to any node, as DescribeEvents says.
        assert not [e for e in events_since(ec, since) if any(word in e[1] for word in NOT_ADOPTED)], events_since(ec, since)
    finally:
        process.cleanup()


def _address(endpoint: dict) -> dict:
    return {"host": endpoint["Address"], "port": endpoint["Port"], "socket_timeout": 5}


def test_nodes_that_died_while_regionbox_was_down_come_back_as_elasticache_rules_say(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    try:
        ec = process.client("elasticache")
        create_group(ec, "manual", wait=False, NumCacheClusters=2)  # no automatic failover
        create_group(ec, "shards", wait=False, ClusterMode="enabled", NumNodeGroups=1, ReplicasPerNodeGroup=1)
        ec.create_cache_cluster(CacheClusterId="solo", Engine="redis", CacheNodeType="cache.t3.micro", NumCacheNodes=1)
        # The one kind of node that keeps its data on disk: AOF on Redis 2.8.21 and earlier.
        ec.create_cache_parameter_group(CacheParameterGroupName="aof", CacheParameterGroupFamily="redis2.8", Description="x")
        ec.modify_cache_parameter_group(CacheParameterGroupName="aof", ParameterNameValues=[
            {"ParameterName": "appendonly", "ParameterValue": "yes"}])
        ec.create_cache_cluster(CacheClusterId="durable", Engine="redis", EngineVersion="2.8.21", CacheNodeType="cache.t3.micro",
                                CacheParameterGroupName="aof")
        create_memcached(ec, "mc", nodes=2)
        wait_available(ec, "manual")
        shard = redis.RedisCluster(**_address(wait_available(ec, "shards")["ConfigurationEndpoint"]))
        for i in range(100):
            shard.set(f"shard:{i}", i)
        assert shard.get_node_from_key("shard:0").redis_connection.wait(1, 2000) == 1
        for cluster_id in ("solo", "durable"):
            ec.get_waiter("cache_cluster_available").wait(CacheClusterId=cluster_id, WaiterConfig=FAST)
        durable = redis.Redis(**_address(node_endpoint(ec, "durable")))
        durable.set("kept", "in the append-only file")
        writer = primary(describe(ec, "manual"))
        for i in range(200):
            writer.set(f"manual:{i}", i)
        assert writer.wait(1, 2000) == 1
        solo = redis.Redis(**_address(node_endpoint(ec, "solo")))
        solo.set("kept", "until the node dies")
        caches = [MemcacheClient((e["Address"], e["Port"]), default_noreply=False) for e in
                  (node_endpoint(ec, "mc", 0), node_endpoint(ec, "mc", 1))]
        for index, cache in enumerate(caches):
            cache.set("kept", f"node {index}")

        since = now()
        process.kill9()
        kill_node(process.state_dir, "manual-001")  # the primary
        kill_node(process.state_dir, "shards-0001-001")  # the shard's primary
        kill_node(process.state_dir, "solo")
        kill_node(process.state_dir, "durable")
        kill_node(process.state_dir, "mc", "0002")
        process.start()
        ec = process.client("elasticache")
        group = wait_available(ec, "manual")
        for cluster_id in ("solo", "durable", "mc"):
            ec.get_waiter("cache_cluster_available").wait(CacheClusterId=cluster_id, WaiterConfig=FAST)

        # Without automatic failover the primary stays the primary: it copied its data back from its replica.
        assert [m["CurrentRole"] for m in members(group)] == ["primary", "replica"]
        endpoint = primary(group)
        assert eventually(lambda: endpoint.info("replication")["role"] == "master" and endpoint.set("after", 1),
                          what="the primary taking writes again")
        assert [endpoint.get(f"manual:{i}") for i in range(200)] == [str(i).encode() for i in range(200)]
        # A shard's primary fails over to its replica, which has the data; the old one follows it.
        shards = wait_available(ec, "shards")
        assert [m["CacheClusterId"] for m in members(shards)] == ["shards-0001-001", "shards-0001-002"]
        shard = redis.RedisCluster(**_address(shards["ConfigurationEndpoint"]))
        assert eventually(lambda: shard.set("after", 1), what="the shard taking writes")
        assert [shard.get(f"shard:{i}") for i in range(100)] == [str(i).encode() for i in range(100)]
        # A single node has no copy anywhere: it is back, empty; Memcached's dead node is replaced, empty.
        solo = redis.Redis(**_address(node_endpoint(ec, "solo")))
        assert eventually(lambda: solo.ping(), what="solo serving") and solo.get("kept") is None
        durable = redis.Redis(**_address(node_endpoint(ec, "durable")))
        assert eventually(lambda: durable.get("kept"), what="durable serving") == b"in the append-only file"
        assert caches[0].get("kept") == b"node 0"
        fresh = MemcacheClient((node_endpoint(ec, "mc", 1)["Address"], node_endpoint(ec, "mc", 1)["Port"]))
        assert eventually(lambda: fresh.set("alive", b"1") or True, what="the replaced node") and fresh.get("kept") is None

        log = events_since(ec, since)
        assert ("solo", "Cache node 0001 restarted without its data: no replica held a copy and the node keeps no "
                        "append-only file") in log
        assert ("mc", "Cache node 0002 replaced") in log and ("mc", "Cache node 0001 replaced") not in log
        assert ("manual-001", "Recovering cache nodes 0001") in log
        assert ("shards", "Failover from primary node shards-0001-001 to replica node shards-0001-002 completed") in log
        assert eventually(lambda: ("manual-001", "Finished recovery for cache nodes 0001") in events_since(ec, since),
                          what="the primary's recovery")
        assert ("durable", "Recovering cache nodes 0001") not in log and not [e for e in log if e[0] == "durable" and "without" in e[1]]
        # Only the solo node lost data, and nothing happened to the nodes that lived on.
        assert [e for e in events_since(ec, since) if "without its data" in e[1]] == [e for e in log if e[0] == "solo" and "without" in e[1]]
        assert not [e for e in events_since(ec, since) if e[0] == "manual-002"]
    finally:
        process.cleanup()


def test_kill_9_under_write_load_loses_no_acknowledged_write(tmp_path):
    """Three rounds on a Multi-AZ group of three: regionbox alone, regionbox and the primary,
    regionbox and a replica. bench/elasticache_kill9.py runs the long version."""
    process = CloudProcess(tmp_path / "state").start()
    writer = None
    try:
        writer = start_soak(process)
        eventually(lambda: len(writer.acknowledged) > 20, what="acknowledged writes")
        figures = []
        for victim in (None, "primary", "replica"):
            result = crash_round(process, "soak", writer, victim)
            figures.append((victim, result["written"], result["acknowledged"], len(result["lost"]), round(result["recovery_seconds"], 2)))
            assert result["lost"] == [], f"round with {victim} killed lost {len(result['lost'])} acknowledged keys"
            log = result["events"]
            assert not [e for e in log if "without its data" in e[1]], log
            if victim is None:
                assert result["writer_errors"] == 0, "the writer noticed a crash of the control plane"
                assert not [e for e in log if any(word in e[1] for word in NOT_ADOPTED)], log
            elif victim == "primary":
                new = next(m["CacheClusterId"] for m in members(result["group"]) if m["CurrentRole"] == "primary")
                assert new != result["killed"]
                completed = f"Failover from primary node {result['killed']} to replica node {new} completed"
                assert (result["killed"], completed) in log and ("soak", completed) in log, log
            else:
                assert (result["killed"], "Recovering cache nodes 0001") in log, log
                assert not [e for e in log if "Failover" in e[1]], log
        print("\nkill -9 rounds (victim, keys written, acknowledged, lost, seconds to recover):", figures)
        assert len(writer.acknowledged) > figures[0][2]  # writes went on after every round
    finally:
        if writer is not None:
            writer.stop()
        process.cleanup()
