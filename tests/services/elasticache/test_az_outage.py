"""Availability Zone outages: nodes in the zone die as in a power loss; the group fails over,
DescribeReplicationGroups shows it, and the nodes come back as replicas when the zone returns.
Groups created while a zone is down go to the zones that are up; a node pinned to the zone that is
down fails as AWS fails it (InsufficientCacheClusterCapacity)."""

from __future__ import annotations

from tests.services.elasticache.redis_helpers import (FAST, client, create_group, describe, error_of, event_log, events, eventually,
                                                      in_order, members, primary, primary_member, wait_available)


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


# -- creating while a zone is down ---------------------------------------------------------------------
def zones_of(group: dict) -> list[str]:
    return [m["PreferredAvailabilityZone"] for m in members(group)]


def test_a_group_created_during_an_outage_goes_to_the_zones_that_are_up(cloud):
    ec = cloud.client("elasticache")
    cloud.post("/_regionbox/az/us-east-1a/outage")
    create_group(ec, "spared", NumCacheClusters=3, AutomaticFailoverEnabled=True)
    group = describe(ec, "spared")
    assert "us-east-1a" not in zones_of(group) and len(set(zones_of(group))) == 3
    endpoint = primary(group)
    assert endpoint.set("k", "v") and endpoint.wait(2, 5000) == 2  # a primary and two replicas that serve
    # A single node too: "available" means it serves.
    create_group(ec, "alone", NumCacheClusters=1)
    alone = describe(ec, "alone")
    assert zones_of(alone) != ["us-east-1a"] and primary(alone).set("k", "v")


def test_a_sharded_group_created_during_an_outage_goes_to_the_zones_that_are_up(cloud):
    from redis.cluster import RedisCluster

    ec = cloud.client("elasticache")
    cloud.post("/_regionbox/az/us-east-1a/outage")
    create_group(ec, "shards-up", NumNodeGroups=2, ReplicasPerNodeGroup=1, ClusterMode="enabled")
    group = describe(ec, "shards-up")
    assert "us-east-1a" not in zones_of(group)
    endpoint = group["ConfigurationEndpoint"]
    client = RedisCluster(host=endpoint["Address"], port=endpoint["Port"], socket_timeout=2)
    for i in range(50):
        client.set(f"k{i}", i)
    assert client.get("k7") == b"7"


def test_a_node_pinned_to_a_zone_that_is_down_fails_the_group_as_on_aws(cloud):
    ec = cloud.client("elasticache")
    cloud.post("/_regionbox/az/us-east-1a/outage")
    create_group(ec, "pinned", wait=False, NumCacheClusters=2, PreferredCacheClusterAZs=["us-east-1a", "us-east-1b"])
    failed = eventually(lambda: (g := describe(ec, "pinned"))["Status"] == "create-failed" and g, what="create-failed")
    assert "PrimaryEndpoint" not in failed["NodeGroups"][0] and all("ReadEndpoint" not in m for m in members(failed))
    clusters = {c["CacheClusterId"]: c["CacheClusterStatus"] for c in ec.describe_cache_clusters()["CacheClusters"]}
    assert clusters == {"pinned-001": "create-failed", "pinned-002": "create-failed"}
    (message,) = events(ec, "pinned-001")
    assert "InsufficientCacheClusterCapacity" in message and "us-east-1a" in message
    assert any("Failed to create replication group pinned" in m for m in events(ec, "pinned"))
    assert error_of(ec.modify_replication_group, ReplicationGroupId="pinned", ApplyImmediately=True,
                    SnapshotRetentionLimit=1)[0] == "InvalidReplicationGroupState"
    # As on AWS, a failed group is deleted by its owner.
    ec.delete_replication_group(ReplicationGroupId="pinned")
    ec.get_waiter("replication_group_deleted").wait(ReplicationGroupId="pinned", WaiterConfig=FAST)
    assert ec.describe_cache_clusters()["CacheClusters"] == []
    # The same for a shard pinned there.
    create_group(ec, "pinned-shard", wait=False, ClusterMode="enabled", NumNodeGroups=2, NodeGroupConfiguration=[
        {"NodeGroupId": "0001", "PrimaryAvailabilityZone": "us-east-1b"},
        {"NodeGroupId": "0002", "PrimaryAvailabilityZone": "us-east-1a"}])
    assert eventually(lambda: describe(ec, "pinned-shard")["Status"] == "create-failed", what="sharded create-failed")
    assert any("InsufficientCacheClusterCapacity" in m for m in events(ec, "pinned-shard-0002-001"))


def test_a_replica_pinned_to_a_zone_that_is_down_is_not_added(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "grow", NumCacheClusters=1)
    primary(describe(ec, "grow")).set("k", "v")
    cloud.post("/_regionbox/az/us-east-1c/outage")
    ec.increase_replica_count(ReplicationGroupId="grow", ApplyImmediately=True, ReplicaConfiguration=[
        {"NodeGroupId": "0001", "NewReplicaCount": 1, "PreferredAvailabilityZones": ["us-east-1a", "us-east-1c"]}])
    group = eventually(lambda: (g := describe(ec, "grow"))["Status"] == "available" and g, what="the group available again")
    assert group["MemberClusters"] == ["grow-001"]
    assert error_of(ec.describe_cache_clusters, CacheClusterId="grow-002")[0] == "CacheClusterNotFound"
    assert any("Failed to add replicas grow-002" in m and "us-east-1c" in m for m in events(ec, "grow"))
    assert primary(group).get("k") == b"v"
    # With the zone back, the same request works.
    cloud.post("/_regionbox/az/us-east-1c/restore")
    ec.increase_replica_count(ReplicationGroupId="grow", ApplyImmediately=True, ReplicaConfiguration=[
        {"NodeGroupId": "0001", "NewReplicaCount": 1, "PreferredAvailabilityZones": ["us-east-1a", "us-east-1c"]}])
    assert wait_available(ec, "grow")["MemberClusters"] == ["grow-001", "grow-002"]
