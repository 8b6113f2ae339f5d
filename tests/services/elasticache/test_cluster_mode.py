"""Cluster mode enabled: hash slots over node groups of real cluster nodes, RedisCluster from
the configuration endpoint, online resharding with clients working, failover of a shard."""

from __future__ import annotations

import threading

from redis.cluster import RedisCluster, parse_cluster_shards_with_str_keys

from tests.services.elasticache.redis_helpers import (FAST, create_group, describe, error_of, event_log, eventually, in_order,
                                                      wait_available)


def cluster_client(group: dict) -> RedisCluster:
    endpoint = group["ConfigurationEndpoint"]
    return RedisCluster(host=endpoint["Address"], port=endpoint["Port"], socket_timeout=5)


def test_three_shards_with_slots_and_redis_cluster_from_the_configuration_endpoint(cloud):
    ec = cloud.client("elasticache")
    created = create_group(ec, "shards", wait=False, NumNodeGroups=3, ReplicasPerNodeGroup=1,
                           CacheParameterGroupName="default.redis7.cluster.on")
    assert created["ClusterEnabled"] is True and created["Status"] == "creating"
    assert [g["Slots"] for g in created["NodeGroups"]] == ["0-5460", "5461-10922", "10923-16383"]
    group = wait_available(ec, "shards")
    assert group["ConfigurationEndpoint"]["Port"] == 6379 and group["AutomaticFailover"] == "enabled"
    assert group["MemberClusters"] == ["shards-0001-001", "shards-0001-002", "shards-0002-001", "shards-0002-002",
                                       "shards-0003-001", "shards-0003-002"]
    for node_group in group["NodeGroups"]:
        assert "PrimaryEndpoint" not in node_group
        assert all(set(m) == {"CacheClusterId", "CacheNodeId", "PreferredAvailabilityZone"} for m in node_group["NodeGroupMembers"])
        # Primary and replica of a shard in different AZs.
        zones = [m["PreferredAvailabilityZone"] for m in node_group["NodeGroupMembers"]]
        assert len(set(zones)) == 2
    client = cluster_client(group)
    for i in range(300):
        client.set(f"user:{i}", i)
    assert all(client.get(f"user:{i}") == str(i).encode() for i in range(300))
    # CLUSTER SLOTS points at node endpoints the client can reach: the member clusters' own addresses
    # (Redis lists a replica once it has received data, so a fresh client sees all six).
    described = {c["CacheNodes"][0]["Endpoint"]["Address"]
                 for c in ec.describe_cache_clusters(ShowCacheNodeInfo=True)["CacheClusters"]
                 if c.get("ReplicationGroupId") == "shards"}
    assert len(described) == 6
    eventually(lambda: {n.host for n in cluster_client(group).get_nodes()} == described, what="all nodes in CLUSTER SLOTS")
    shard_sizes = [len(client.get_node(host=n.host, port=n.port).redis_connection.keys()) for n in client.get_primaries()]
    assert sum(shard_sizes) == 300 and min(shard_sizes) > 0

    # CLUSTER SHARDS names the same reachable node addresses, with each shard's slots.
    shards = parse_cluster_shards_with_str_keys(client.get_primaries()[0].redis_connection.execute_command("CLUSTER", "SHARDS"))
    assert {node[b"ip"].decode() for shard in shards for node in shard["nodes"]} == described
    assert sorted(tuple(shard["slots"]) for shard in shards) == [(0, 5460), (5461, 10922), (10923, 16383)]

    ec.test_failover(ReplicationGroupId="shards", NodeGroupId="0002")
    completed = "Failover from primary node shards-0002-001 to replica node shards-0002-002 completed"
    expected = [("shards", "Test Failover API called for node group 0002"), ("shards-0002-001", completed), ("shards", completed),
                ("shards-0002-001", "Recovering cache nodes 0001"), ("shards-0002-001", "Finished recovery for cache nodes 0001")]
    assert eventually(lambda: in_order(event_log(ec), expected), what="shard failover events"), event_log(ec)
    assert all(client.get(f"user:{i}") == str(i).encode() for i in range(300))
    client.set("after-failover", 1)


def test_resharding_moves_slots_while_clients_keep_working(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "reshard", NumNodeGroups=2, ReplicasPerNodeGroup=0, ClusterMode="enabled")
    client = cluster_client(describe(ec, "reshard"))
    for i in range(500):
        client.set(f"item:{i}", i)
    stop, done, errors, ask_to_unknown_node = threading.Event(), [0], [], [0]

    def keep_writing() -> None:
        writer = cluster_client(describe(ec, "reshard"))
        while not stop.is_set():
            try:
                writer.incr("writes")
                done[0] += 1
            except AttributeError:
                # redis-py follows an ASK redirect to a node it has not discovered yet with a None
                # node (redis/cluster.py, get_node(node_name=redirect_addr)); the command was not
                # sent. Refreshing the topology is what the client should have done; then retry.
                ask_to_unknown_node[0] += 1
                writer.nodes_manager.initialize()
            except Exception as exc:  # noqa: BLE001 - counted, asserted below
                errors.append(exc)

    worker = threading.Thread(target=keep_writing)
    worker.start()
    try:
        changed = ec.modify_replication_group_shard_configuration(ReplicationGroupId="reshard", NodeGroupCount=3,
                                                                  ApplyImmediately=True)["ReplicationGroup"]
        assert changed["Status"] == "modifying"
        grown = wait_available(ec, "reshard")
        assert [g["NodeGroupId"] for g in grown["NodeGroups"]] == ["0001", "0002", "0003"]
        assert all(g["Slots"] for g in grown["NodeGroups"])
        ec.modify_replication_group_shard_configuration(ReplicationGroupId="reshard", NodeGroupCount=2, ApplyImmediately=True,
                                                        NodeGroupsToRetain=["0002", "0003"])
        shrunk = wait_available(ec, "reshard")
    finally:
        stop.set()
        worker.join()
    assert errors == []
    assert int(client.get("writes")) == done[0] > 0
    assert [g["NodeGroupId"] for g in shrunk["NodeGroups"]] == ["0002", "0003"]
    assert "reshard-0001-001" not in shrunk["MemberClusters"]
    assert all(client.get(f"item:{i}") == str(i).encode() for i in range(500))


def test_node_group_configuration_with_slots_and_zones(cloud):
    ec = cloud.client("elasticache")
    created = create_group(ec, "custom", wait=False, NumNodeGroups=2, ClusterMode="enabled", NodeGroupConfiguration=[
        {"Slots": "0-999", "PrimaryAvailabilityZone": "us-east-1c", "ReplicaAvailabilityZones": ["us-east-1a"], "ReplicaCount": 1},
        {"Slots": "1000-16383", "PrimaryAvailabilityZone": "us-east-1b", "ReplicaAvailabilityZones": ["us-east-1c"],
         "ReplicaCount": 1},
    ])
    assert [g["Slots"] for g in created["NodeGroups"]] == ["0-999", "1000-16383"]
    group = wait_available(ec, "custom")
    zones = [[m["PreferredAvailabilityZone"] for m in g["NodeGroupMembers"]] for g in group["NodeGroups"]]
    assert zones == [["us-east-1c", "us-east-1a"], ["us-east-1b", "us-east-1c"]]
    client = cluster_client(group)
    first_shard = {m["CacheClusterId"] for m in group["NodeGroups"][0]["NodeGroupMembers"]}
    owner = client.get_node_from_key("user27")  # slot 0-999 lives in node group 0001
    assert client.keyslot("user27") == 885 and owner.host in {
        c["CacheNodes"][0]["Endpoint"]["Address"] for c in ec.describe_cache_clusters(ShowCacheNodeInfo=True)["CacheClusters"]
        if c["CacheClusterId"] in first_shard}
    assert client.keyslot("foo") == 12182 and client.set("foo", "bar") and client.get("foo") == b"bar"


def test_cluster_mode_validation(cloud):
    ec = cloud.client("elasticache")
    base = dict(ReplicationGroupId="bad", ReplicationGroupDescription="d", ClusterMode="enabled")
    assert error_of(ec.create_replication_group, **base, NumNodeGroups=2, NodeGroupConfiguration=[
        {"Slots": "0-100"}, {"Slots": "50-16383"}])[0] == "InvalidParameterValue"
    assert error_of(ec.create_replication_group, **base, NumNodeGroups=2, ReplicasPerNodeGroup=6)[0] == "InvalidParameterValue"
    assert error_of(ec.create_replication_group, **base, NumNodeGroups=2, AutomaticFailoverEnabled=False)[0] == \
        "InvalidParameterCombination"
    create_group(ec, "small", NumCacheClusters=1)
    assert error_of(ec.modify_replication_group_shard_configuration, ReplicationGroupId="small", NodeGroupCount=2,
                    ApplyImmediately=True)[0] == "InvalidParameterValue"
    create_group(ec, "two", NumNodeGroups=2, ClusterMode="enabled")
    assert error_of(ec.modify_replication_group, ReplicationGroupId="two", AutomaticFailoverEnabled=False, ApplyImmediately=True) == \
        ("InvalidParameterCombination", "Turning off automatic failover for replication group with cluster mode enabled is not supported.")
    assert error_of(ec.modify_replication_group_shard_configuration, ReplicationGroupId="two", NodeGroupCount=1,
                    ApplyImmediately=True, NodeGroupsToRemove=["0007"]) == \
        ("NodeGroupNotFoundFault", "The node group 0007 is not found in replication group two.")
    assert error_of(ec.modify_replication_group_shard_configuration, ReplicationGroupId="two", NodeGroupCount=1,
                    ApplyImmediately=True)[0] == "InvalidParameterValue"
    assert ec.get_waiter("replication_group_available").wait(ReplicationGroupId="two", WaiterConfig=FAST) is None


def test_replicas_added_to_and_removed_from_one_shard(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "grow", NumNodeGroups=2, ReplicasPerNodeGroup=0, ClusterMode="enabled")
    client = cluster_client(describe(ec, "grow"))
    for i in range(100):
        client.set(f"k{i}", i)
    ec.increase_replica_count(ReplicationGroupId="grow", ApplyImmediately=True, ReplicaConfiguration=[
        {"NodeGroupId": "0001", "NewReplicaCount": 1, "PreferredAvailabilityZones": ["us-east-1a", "us-east-1c"]}])
    group = wait_available(ec, "grow")
    first = group["NodeGroups"][0]["NodeGroupMembers"]
    assert [m["CacheClusterId"] for m in first] == ["grow-0001-001", "grow-0001-002"]
    assert first[1]["PreferredAvailabilityZone"] == "us-east-1c"
    assert [m["CacheClusterId"] for m in group["NodeGroups"][1]["NodeGroupMembers"]] == ["grow-0002-001"]
    # The new replica serves reads of its shard's keys (READONLY on a replica connection).
    address = ec.describe_cache_clusters(CacheClusterId="grow-0001-002", ShowCacheNodeInfo=True)["CacheClusters"][0][
        "CacheNodes"][0]["Endpoint"]
    import redis

    replica = redis.Redis(address["Address"], address["Port"])
    replica.execute_command("READONLY")
    keys = [f"k{i}" for i in range(100) if client.keyslot(f"k{i}") <= 8191]
    assert eventually(lambda: all(replica.get(k) is not None for k in keys), what="replica of shard 0001 synced")
    ec.decrease_replica_count(ReplicationGroupId="grow", ApplyImmediately=True, NewReplicaCount=0)
    group = wait_available(ec, "grow")
    assert group["MemberClusters"] == ["grow-0001-001", "grow-0002-001"]
    assert all(client.get(f"k{i}") == str(i).encode() for i in range(100))


def test_a_sharded_group_comes_back_with_its_data_after_a_clean_restart(tmp_path):
    from regionbox.testing.process import CloudProcess

    process = CloudProcess(state_dir=tmp_path).start()
    try:
        ec = process.client("elasticache")
        create_group(ec, "durable-shards", NumNodeGroups=2, ReplicasPerNodeGroup=1, ClusterMode="enabled")
        before = describe(ec, "durable-shards")
        endpoint = before["ConfigurationEndpoint"]
        cluster = cluster_client(before)
        for i in range(200):
            cluster.set(f"k{i}", i)
        process.stop()
        process.start()
        ec = process.client("elasticache")
        after = wait_available(ec, "durable-shards")
        assert after["ConfigurationEndpoint"] == endpoint
        assert [(g["NodeGroupId"], g["Slots"]) for g in after["NodeGroups"]] == \
            [(g["NodeGroupId"], g["Slots"]) for g in before["NodeGroups"]]
        fresh = eventually(lambda: cluster_client(after), what="the cluster answering after the restart")
        assert eventually(lambda: all(fresh.get(f"k{i}") == str(i).encode() for i in range(200)), what="every key back")
        assert fresh.set("after", "restart")
    finally:
        process.cleanup()
