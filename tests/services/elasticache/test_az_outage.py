"""Availability Zone outages: nodes in the zone die as in a power loss; the group fails over,
DescribeReplicationGroups shows it, and the nodes come back as replicas when the zone returns."""

from __future__ import annotations

from tests.services.elasticache.redis_helpers import (client, create_group, describe, event_log, events, eventually, in_order,
                                                      members, primary, primary_member)


def test_outage_of_the_primary_zone_fails_over_and_restore_brings_a_replica_back(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "multiaz", NumCacheClusters=3, AutomaticFailoverEnabled=True, MultiAZEnabled=True)
    group = describe(ec, "multiaz")
    connection = primary(group)
    for i in range(100):
        connection.set(f"k{i}", i)
    connection.wait(2, 5000)  # both replicas have every write
    zone = primary_member(group)["PreferredAvailabilityZone"]
    assert zone == "us-east-1a"
    cloud.post(f"/_regionbox/az/{zone}/outage")
    after = describe(ec, "multiaz")
    new_primary = primary_member(after)
    assert new_primary["PreferredAvailabilityZone"] != zone
    endpoint = primary(after)
    assert eventually(lambda: endpoint.set("during", "outage"), what="writes during the outage")
    assert all(endpoint.get(f"k{i}") == str(i).encode() for i in range(100))
    down = ec.describe_cache_clusters(CacheClusterId="multiaz-001", ShowCacheNodeInfo=True)["CacheClusters"][0]
    assert down["CacheNodes"][0]["CacheNodeStatus"] != "available"
    old_endpoint = members(after)[0]["ReadEndpoint"]
    cloud.post(f"/_regionbox/az/{zone}/restore")
    old = client(old_endpoint)
    assert eventually(lambda: old.get("during") == b"outage", what="the node in the restored zone replicating")
    assert old.info("replication")["role"] == "slave"
    eventually(lambda: ec.describe_cache_clusters(CacheClusterId="multiaz-001")["CacheClusters"][0]["CacheClusterStatus"]
               == "available", what="member available again")
    assert primary_member(describe(ec, "multiaz"))["CacheClusterId"] == new_primary["CacheClusterId"]
    # The failed primary's node, replaced by a replica once its zone is back, after the failover.
    completed = f"Failover from primary node multiaz-001 to replica node {new_primary['CacheClusterId']} completed"
    expected = [("multiaz-001", completed), ("multiaz", completed), ("multiaz-001", "Recovering cache nodes 0001"),
                ("multiaz-001", "Cache node 0001 restarted"), ("multiaz-001", "Finished recovery for cache nodes 0001")]
    assert eventually(lambda: in_order(event_log(ec), expected), what="the outage events"), event_log(ec)


def test_outage_of_a_replica_zone_leaves_the_primary_alone(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "replicaz", NumCacheClusters=2, AutomaticFailoverEnabled=True)
    group = describe(ec, "replicaz")
    reader = group["NodeGroups"][0]["ReaderEndpoint"]
    cloud.post("/_regionbox/az/us-east-1b/outage")
    assert primary_member(describe(ec, "replicaz"))["CacheClusterId"] == "replicaz-001"
    primary(group).set("k", "v")
    # With its only replica down, the reader endpoint reaches the primary.
    assert eventually(lambda: client(reader).get("k") == b"v", what="reader endpoint served by the primary")
    cloud.post("/_regionbox/az/us-east-1b/restore")
    replica = client(members(group)[1]["ReadEndpoint"])
    assert eventually(lambda: replica.get("k") == b"v", what="replica back")
    assert eventually(lambda: client(reader).info("replication")["role"] == "slave", what="reader endpoint on the replica")


def test_outage_in_cluster_mode_promotes_the_shard_replica(cloud):
    from redis.cluster import RedisCluster

    ec = cloud.client("elasticache")
    create_group(ec, "shardaz", NumNodeGroups=2, ReplicasPerNodeGroup=1, ClusterMode="enabled")
    group = describe(ec, "shardaz")
    assert group["NodeGroups"][0]["NodeGroupMembers"][0]["PreferredAvailabilityZone"] == "us-east-1a"
    endpoint = group["ConfigurationEndpoint"]
    client = RedisCluster(host=endpoint["Address"], port=endpoint["Port"], socket_timeout=2)
    for i in range(200):
        client.set(f"k{i}", i)
    for node in client.get_primaries():
        node.redis_connection.wait(1, 2000)
    cloud.post("/_regionbox/az/us-east-1a/outage")
    assert "Failover from primary node shardaz-0001-001 to replica node shardaz-0001-002 completed" in events(ec, "shardaz")
    fresh = RedisCluster(host=endpoint["Address"], port=endpoint["Port"], socket_timeout=2)
    assert all(fresh.get(f"k{i}") == str(i).encode() for i in range(200))
    fresh.set("during", "outage")
    cloud.post("/_regionbox/az/us-east-1a/restore")
    # The node of the restored AZ rejoins its shard as a replica (listed once it has data).
    returned = ec.describe_cache_clusters(CacheClusterId="shardaz-0001-001", ShowCacheNodeInfo=True)["CacheClusters"][0][
        "CacheNodes"][0]["Endpoint"]["Address"]
    eventually(lambda: (returned, "replica") in {(n.host, n.server_type) for n in
                                                 RedisCluster(host=endpoint["Address"], port=endpoint["Port"]).get_nodes()},
               what="the restored node back as a replica")
    assert fresh.get("during") == b"outage"
