"""Failover: TestFailover, a primary that crashes, choosing the new primary, and the events."""

from __future__ import annotations

import os
import signal

import redis

from tests.services.elasticache.redis_helpers import (admin, client, create_group, describe, error_of, event_log, events, eventually,
                                                      in_order, members, primary, primary_member, wait_available)

SCOPE = ("000000000000", "us-east-1")


def engine_node(cloud, cluster_id: str):
    return cloud.cloud.services.api("elasticache").node(SCOPE, cluster_id)


def test_test_failover_moves_the_primary_and_keeps_every_write(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "tf", NumCacheClusters=3, AutomaticFailoverEnabled=True)
    group = describe(ec, "tf")
    connection = primary(group)
    for i in range(500):
        connection.set(f"key:{i}", i)
    ec.test_failover(ReplicationGroupId="tf", NodeGroupId="0001")
    after = eventually(lambda: (g := describe(ec, "tf")) and primary_member(g)["CacheClusterId"] != "tf-001" and g,
                       what="a new primary")
    new_primary = primary_member(after)
    # The primary endpoint reaches the new primary; nothing acknowledged before the failover is lost.
    endpoint = primary(after)
    assert eventually(lambda: endpoint.info("replication")["role"] == "master" and endpoint.set("after", 1), what="writes")
    assert all(endpoint.get(f"key:{i}") == str(i).encode() for i in range(500))
    assert client(new_primary["ReadEndpoint"]).info("replication")["role"] == "master"
    # The old primary and the other replica follow the new primary.
    old = next(m for m in members(after) if m["CacheClusterId"] == "tf-001")
    assert old["CurrentRole"] == "replica"
    old_client = client(old["ReadEndpoint"])
    assert eventually(lambda: old_client.get("after") == b"1", what="old primary replicating from the new one")
    (other,) = [m for m in members(after) if m["CacheClusterId"] not in ("tf-001", new_primary["CacheClusterId"])]
    other_client = client(other["ReadEndpoint"])
    assert eventually(lambda: other_client.get("after") == b"1", what="the other replica following the new primary")
    assert other_client.info("replication")["master_host"] == new_primary["ReadEndpoint"]["Address"]
    # AWS's five events, in AWS's order: the old primary recovers as a replica.
    completed = f"Failover from primary node tf-001 to replica node {new_primary['CacheClusterId']} completed"
    expected = [("tf", "Test Failover API called for node group 0001"), ("tf-001", completed), ("tf", completed),
                ("tf-001", "Recovering cache nodes 0001"), ("tf-001", "Finished recovery for cache nodes 0001")]
    assert eventually(lambda: in_order(event_log(ec), expected), what="the failover events"), event_log(ec)


def test_test_failover_errors(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "nofo", NumCacheClusters=2)
    assert error_of(ec.test_failover, ReplicationGroupId="nofo", NodeGroupId="0001")[0] == "InvalidReplicationGroupState"
    assert error_of(ec.test_failover, ReplicationGroupId="nofo", NodeGroupId="0009")[0] == "NodeGroupNotFoundFault"
    assert error_of(ec.test_failover, ReplicationGroupId="missing", NodeGroupId="0001")[0] == "ReplicationGroupNotFoundFault"


def test_crashed_primary_fails_over_to_the_replica_with_least_lag(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "crash", NumCacheClusters=3, AutomaticFailoverEnabled=True)
    group = describe(ec, "crash")
    connection = primary(group)
    connection.set("before", "crash")
    replicas = [client(m["ReadEndpoint"]) for m in members(group)[1:]]
    eventually(lambda: all(r.get("before") == b"crash" for r in replicas), what="replication")
    # Hold crash-003 back: it stops replicating, so crash-002 has the least lag when the primary dies.
    held_back = admin(cloud, members(group)[2]["ReadEndpoint"])  # REPLICAOF is ElastiCache's own
    held_back.replicaof("no", "one")
    held_back.replicaof(members(group)[0]["ReadEndpoint"]["Address"], 1)  # a primary that does not exist
    connection.set("late", "write")
    eventually(lambda: replicas[0].get("late") == b"write", what="crash-002 catching up")
    os.kill(engine_node(cloud, "crash-001").pid, signal.SIGKILL)
    after = eventually(lambda: (g := describe(ec, "crash")) and primary_member(g)["CacheClusterId"] == "crash-002" and g,
                       what="failover to crash-002")
    endpoint = primary(after)
    assert eventually(lambda: endpoint.set("after", "failover"), what="writes through the primary endpoint")
    assert endpoint.get("late") == b"write"
    # The crashed node is restarted by the supervisor and comes back as a replica with the data.
    old = client(members(after)[0]["ReadEndpoint"])
    assert eventually(lambda: old.get("after") == b"failover", what="crashed node back as a replica")
    assert old.info("replication")["role"] == "slave"
    completed = "Failover from primary node crash-001 to replica node crash-002 completed"
    expected = [("crash-001", completed), ("crash", completed), ("crash-001", "Recovering cache nodes 0001"),
                ("crash-001", "Finished recovery for cache nodes 0001")]
    assert eventually(lambda: in_order(event_log(ec), expected), what="the failover events"), event_log(ec)


def test_without_automatic_failover_the_primary_is_restarted_in_place(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "manual", NumCacheClusters=2)
    group = describe(ec, "manual")
    old_pid = engine_node(cloud, "manual-001").pid
    os.kill(old_pid, signal.SIGKILL)
    connection = primary(group)
    eventually(lambda: connection.set("k", "v"), what="restarted primary")
    assert engine_node(cloud, "manual-001").pid != old_pid
    assert primary_member(describe(ec, "manual"))["CacheClusterId"] == "manual-001"
    assert "Recovering cache nodes 0001" in events(ec, "manual-001")


def test_modify_primary_cluster_id_promotes_that_member(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "pick", NumCacheClusters=3, AutomaticFailoverEnabled=True)
    primary(describe(ec, "pick")).set("k", "v")
    ec.modify_replication_group(ReplicationGroupId="pick", PrimaryClusterId="pick-003", ApplyImmediately=True)
    group = wait_available(ec, "pick")
    assert primary_member(group)["CacheClusterId"] == "pick-003"
    connection = primary(group, retry_on_error=[redis.exceptions.ConnectionError])
    assert eventually(lambda: connection.get("k") == b"v" and connection.set("k2", "v2"), what="writes on pick-003")


# -- waits that end in an explicit outcome ------------------------------------------------------------
def test_test_failover_to_a_replica_that_cannot_catch_up_is_aborted_and_loses_nothing(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "lagging", NumCacheClusters=2, AutomaticFailoverEnabled=True)
    group = describe(ec, "lagging")
    connection = primary(group)
    connection.set("early", "1")
    replica = client(members(group)[1]["ReadEndpoint"])
    eventually(lambda: replica.get("early") == b"1", what="replication")
    # The only replica stops following (a primary that does not exist): it cannot catch up.
    admin(cloud, members(group)[1]["ReadEndpoint"]).replicaof(members(group)[0]["ReadEndpoint"]["Address"], 1)
    for i in range(100):
        connection.set(f"late:{i}", i)
    ec.test_failover(ReplicationGroupId="lagging", NodeGroupId="0001")
    aborted = "Failover from primary node lagging-001 to replica node lagging-002 aborted"
    assert eventually(lambda: any(m.startswith(aborted) for m in events(ec, "lagging")), what="the aborted failover"), \
        events(ec, "lagging")
    after = describe(ec, "lagging")
    assert after["Status"] == "available" and primary_member(after)["CacheClusterId"] == "lagging-001"
    # Nothing acknowledged is lost, and the primary takes writes again.
    endpoint = primary(after)
    assert all(endpoint.get(f"late:{i}") == str(i).encode() for i in range(100))
    assert eventually(lambda: endpoint.set("after", "abort"), what="writes after the aborted failover")


def test_a_replica_that_never_synchronises_fails_the_creation(cloud, monkeypatch):
    from regionbox.services.elasticache import members as member_clusters
    from regionbox.services.elasticache.nodes import RedisNodes

    monkeypatch.setattr(member_clusters, "SYNC_TIMEOUT", 3.0)
    spec = RedisNodes.spec

    def unreachable_primary(self, scope, rg, cluster, primary, upstream=None):
        # The network between the replica and its primary is broken: it is told a primary nobody serves.
        built = spec(self, scope, rg, cluster, primary, upstream)
        if primary is not None:
            built.options["replicaof"] = "127.0.0.1 1"
        return built

    monkeypatch.setattr(RedisNodes, "spec", unreachable_primary)
    ec = cloud.client("elasticache")
    create_group(ec, "stuck", wait=False, NumCacheClusters=2)
    failed = eventually(lambda: (g := describe(ec, "stuck"))["Status"] != "creating" and g, what="the end of the creation")
    assert failed["Status"] == "create-failed"
    assert any("stuck-002" in m and "did not synchronise" in m for m in events(ec, "stuck")), events(ec, "stuck")
    assert any("did not synchronise" in m for m in events(ec, "stuck-002"))
    ec.delete_replication_group(ReplicationGroupId="stuck")
    ec.get_waiter("replication_group_deleted").wait(ReplicationGroupId="stuck", WaiterConfig={"Delay": 0.1, "MaxAttempts": 600})
