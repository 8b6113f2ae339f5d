"""Replication groups (cluster mode disabled) through boto3, with redis-py on real endpoints."""

from __future__ import annotations

import threading

import pytest
import redis

from tests.services.elasticache.redis_helpers import (FAST, admin, client, create_group, describe, error_of, eventually, members,
                                                      primary, redis_pids, wait_available)


def test_creating_then_available_with_aws_shape(cloud):
    ec = cloud.client("elasticache")
    created = create_group(ec, "shape", wait=False, NumCacheClusters=3, AutomaticFailoverEnabled=True, MultiAZEnabled=True)
    assert created["Status"] == "creating"
    assert created["MemberClusters"] == ["shape-001", "shape-002", "shape-003"]
    assert "PrimaryEndpoint" not in created["NodeGroups"][0]
    group = wait_available(ec, "shape")
    assert group["Status"] == "available"
    assert group["ClusterEnabled"] is False and group["ClusterMode"] == "disabled"
    assert group["AutomaticFailover"] == "enabled" and group["MultiAZ"] == "enabled"
    assert group["ARN"] == "arn:aws:elasticache:us-east-1:000000000000:replicationgroup:shape"
    (node_group,) = group["NodeGroups"]
    assert node_group["NodeGroupId"] == "0001" and "Slots" not in node_group
    assert node_group["PrimaryEndpoint"]["Port"] == 6379 and node_group["ReaderEndpoint"]["Port"] == 6379
    listed = node_group["NodeGroupMembers"]
    assert [m["CurrentRole"] for m in listed] == ["primary", "replica", "replica"]
    # Spread over the region's AZs by default, each node its own loopback address on 6379.
    assert [m["PreferredAvailabilityZone"] for m in listed] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    addresses = {m["ReadEndpoint"]["Address"] for m in listed} | {node_group["PrimaryEndpoint"]["Address"]}
    assert len(addresses) == 4 and all(a.startswith("127.") and a != "127.0.0.1" for a in addresses)
    clusters = ec.describe_cache_clusters(CacheClusterId="shape-002", ShowCacheNodeInfo=True)["CacheClusters"][0]
    assert clusters["ReplicationGroupId"] == "shape"


def test_preferred_azs_and_replication_is_real(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "repl", NumCacheClusters=2, PreferredCacheClusterAZs=["us-east-1c", "us-east-1c"])
    group = describe(ec, "repl")
    assert [m["PreferredAvailabilityZone"] for m in members(group)] == ["us-east-1c", "us-east-1c"]
    primary(group).set("greeting", "hello")
    replica = client(members(group)[1]["ReadEndpoint"])
    reader = client(group["NodeGroups"][0]["ReaderEndpoint"])
    assert eventually(lambda: replica.get("greeting") == b"hello", what="replication")
    assert reader.get("greeting") == b"hello"
    assert reader.info("replication")["role"] == "slave"
    with pytest.raises(redis.exceptions.ReadOnlyError):
        replica.set("greeting", "bye")


def test_incrby_from_many_clients_gives_the_exact_total(cloud):
    ec = cloud.client("elasticache")
    group = create_group(ec, "counter", NumCacheClusters=2) and describe(ec, "counter")
    threads, per_thread, errors = 16, 200, []

    def work() -> None:
        connection = primary(group)
        try:
            for _ in range(per_thread):
                connection.incrby("hits", 3)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert int(primary(group).get("hits")) == threads * per_thread * 3
    replica = client(members(group)[1]["ReadEndpoint"])
    assert eventually(lambda: replica.get("hits") == str(threads * per_thread * 3).encode(), what="replica catching up")


def test_keys_with_ttl_expire(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "ttl", NumCacheClusters=1)
    connection = primary(describe(ec, "ttl"))
    connection.set("session:1", "data", ex=1)
    connection.set("session:2", "data", px=300)
    assert 0 < connection.pttl("session:1") <= 1000
    eventually(lambda: connection.exists("session:1", "session:2") == 0, what="expiry")
    assert connection.get("session:1") is None


def test_replica_counts_go_up_and_down(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "scale", NumCacheClusters=1)
    primary(describe(ec, "scale")).set("k", "v")
    changed = ec.increase_replica_count(ReplicationGroupId="scale", NewReplicaCount=2, ApplyImmediately=True)["ReplicationGroup"]
    assert changed["Status"] == "modifying"
    group = wait_available(ec, "scale")
    assert group["MemberClusters"] == ["scale-001", "scale-002", "scale-003"]
    for member in members(group)[1:]:
        assert client(member["ReadEndpoint"]).get("k") == b"v"
    assert error_of(ec.increase_replica_count, ReplicationGroupId="scale", NewReplicaCount=1, ApplyImmediately=True)[0] == \
        "InvalidParameterValue"
    ec.decrease_replica_count(ReplicationGroupId="scale", ReplicasToRemove=["scale-002"], ApplyImmediately=True)
    group = wait_available(ec, "scale")
    assert group["MemberClusters"] == ["scale-001", "scale-003"]
    assert error_of(ec.describe_cache_clusters, CacheClusterId="scale-002")[0] == "CacheClusterNotFound"


def test_delete_and_not_found(cloud):
    ec = cloud.client("elasticache")
    group = create_group(ec, "gone", NumCacheClusters=2) and describe(ec, "gone")
    address = group["NodeGroups"][0]["PrimaryEndpoint"]
    assert ec.delete_replication_group(ReplicationGroupId="gone")["ReplicationGroup"]["Status"] == "deleting"
    ec.get_waiter("replication_group_deleted").wait(ReplicationGroupId="gone", WaiterConfig=FAST)
    assert error_of(ec.describe_replication_groups, ReplicationGroupId="gone") == \
        ("ReplicationGroupNotFoundFault", "Replication group gone not found.")
    with pytest.raises(redis.exceptions.ConnectionError):
        client(address, socket_connect_timeout=1).ping()
    assert error_of(ec.delete_replication_group, ReplicationGroupId="gone")[0] == "ReplicationGroupNotFoundFault"


@pytest.mark.parametrize("params, code, message", [
    (dict(NumCacheClusters=1, AutomaticFailoverEnabled=True), "InvalidParameterCombination",
     "When using automatic failover, there must be at least 2 cache clusters in the replication group."),
    (dict(NumCacheClusters=2, MultiAZEnabled=True), "InvalidParameterCombination",
     "Multi-AZ can only be enabled when automatic failover is enabled."),
    (dict(AuthToken="a-long-enough-token"), "InvalidParameterValue",
     "The AUTH token is only supported when encryption-in-transit is enabled"),
    (dict(AuthToken="short", TransitEncryptionEnabled=True), "InvalidParameterValue", "Invalid AuthToken provided."),
    (dict(AuthToken="has@at-sign-in-it-1234", TransitEncryptionEnabled=True), "InvalidParameterValue",
     "Invalid AuthToken provided."),
    (dict(NumCacheClusters=7), "InvalidParameterValue", "The parameter NumCacheClusters must be between 1 and 6."),
    (dict(NumCacheClusters=2, PreferredCacheClusterAZs=["us-east-1a"]), "InvalidParameterValue",
     "The number of PreferredCacheClusterAZs must match the value of NumCacheClusters."),
    (dict(PreferredCacheClusterAZs=["eu-west-1a"]), "InvalidParameterValue", "Invalid availability zone: eu-west-1a"),
    (dict(UserGroupIds=["nope"]), "UserGroupNotFound", "User group nope not found."),
])
def test_validation_errors(cloud, params, code, message):
    ec = cloud.client("elasticache")
    assert error_of(ec.create_replication_group, ReplicationGroupId="bad", ReplicationGroupDescription="d", **params) == \
        (code, message)
    assert ec.describe_replication_groups()["ReplicationGroups"] == []


def test_identifier_and_duplicate_errors(cloud):
    ec = cloud.client("elasticache")
    code, message = error_of(ec.create_replication_group, ReplicationGroupId="1bad--id", ReplicationGroupDescription="d")
    assert code == "InvalidParameterValue" and "is not a valid identifier" in message
    create_group(ec, "Dup", NumCacheClusters=1)
    assert describe(ec, "dup")["ReplicationGroupId"] == "dup"  # stored lower-case, as AWS does
    assert error_of(ec.create_replication_group, ReplicationGroupId="dup", ReplicationGroupDescription="d") == \
        ("ReplicationGroupAlreadyExists", "Replication group dup already exists.")


def test_modify_failover_settings(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "mod", NumCacheClusters=2)
    assert error_of(ec.modify_replication_group, ReplicationGroupId="mod", MultiAZEnabled=True, ApplyImmediately=True) == \
        ("InvalidParameterCombination", "Multi-AZ can only be enabled when automatic failover is enabled.")
    changed = ec.modify_replication_group(ReplicationGroupId="mod", AutomaticFailoverEnabled=True, MultiAZEnabled=True,
                                          ReplicationGroupDescription="changed", EngineVersion="7.1",
                                          ApplyImmediately=True)["ReplicationGroup"]
    assert (changed["AutomaticFailover"], changed["MultiAZ"], changed["Description"]) == ("enabled", "enabled", "changed")
    assert error_of(ec.modify_replication_group, ReplicationGroupId="mod", AutomaticFailoverEnabled=False,
                    ApplyImmediately=True)[0] == "InvalidParameterCombination"
    assert error_of(ec.modify_replication_group, ReplicationGroupId="nope", ApplyImmediately=True)[0] == \
        "ReplicationGroupNotFoundFault"
    assert error_of(ec.decrease_replica_count, ReplicationGroupId="mod", NewReplicaCount=0, ApplyImmediately=True) == \
        ("InvalidParameterValue", "Must have at least 1 replica when cluster mode is disabled with auto failover enabled.")
    # Automatic failover without a replica, and a node group that does not exist.
    create_group(ec, "single", NumCacheClusters=1)
    assert error_of(ec.modify_replication_group, ReplicationGroupId="single", AutomaticFailoverEnabled=True,
                    ApplyImmediately=True) == ("InvalidParameterCombination", "When using automatic failover, there must be "
                                               "at least 2 cache clusters in the replication group.")
    assert error_of(ec.increase_replica_count, ReplicationGroupId="single", ApplyImmediately=True,
                    ReplicaConfiguration=[{"NodeGroupId": "0009", "NewReplicaCount": 1}]) == \
        ("NodeGroupNotFoundFault", "The node group 0009 is not found in replication group single.")



def test_data_survives_a_clean_restart_and_groups_survive_kill_9(tmp_path):
    from regionbox.testing.process import CloudProcess

    process = CloudProcess(state_dir=tmp_path).start()
    try:
        ec = process.client("elasticache")
        create_group(ec, "durable", NumCacheClusters=2, AutomaticFailoverEnabled=True)
        before = describe(ec, "durable")
        primary(before).set("kept", "across restarts")
        primary(before).wait(1, 2000)
        process.stop()
        process.start()
        ec = process.client("elasticache")
        after = wait_available(ec, "durable")
        assert after["NodeGroups"] == before["NodeGroups"]  # same nodes, roles and endpoints
        assert eventually(lambda: primary(after).get("kept") == b"across restarts", what="data after a clean restart")

        node_address = members(after)[0]["ReadEndpoint"]["Address"]
        old_pids = redis_pids(node_address)
        assert old_pids
        process.kill9()
        # A crash of the control plane is no data-plane outage: the nodes serve on.
        assert redis_pids(node_address) == old_pids
        assert primary(after).get("kept") == b"across restarts"
        process.start()
        ec = process.client("elasticache")
        restored = wait_available(ec, "durable")
        assert [m["ReadEndpoint"] for m in members(restored)] == [m["ReadEndpoint"] for m in members(before)]
        # ElastiCache claims its nodes when it starts: the same processes are adopted, memory and all.
        assert redis_pids(node_address) == old_pids
        assert primary(restored).get("kept") == b"across restarts"
        assert eventually(lambda: primary(restored).set("writable", "again"), what="group serving after a crash")
    finally:
        process.cleanup()


def test_without_the_real_engine_replication_groups_say_how_to_install_it(cloud, monkeypatch):
    from regionbox.engines import kinds

    monkeypatch.setattr(kinds, "binary", lambda engine: None)
    code, message = error_of(cloud.client("elasticache").create_replication_group, ReplicationGroupId="noengine",
                             ReplicationGroupDescription="d")
    assert code == "InvalidParameterValue" and "apt-get install redis-server" in message


def test_engine_version_and_parameter_group_on_create_and_modify(cloud):
    ec = cloud.client("elasticache")
    create = ec.create_replication_group
    assert error_of(create, ReplicationGroupId="v", ReplicationGroupDescription="d", EngineVersion="9.9") == \
        ("InvalidParameterCombination", "Cannot find version 9.9 for redis")
    assert error_of(create, ReplicationGroupId="v", ReplicationGroupDescription="d", CacheParameterGroupName="nope")[0] == \
        "CacheParameterGroupNotFound"
    ec.create_cache_parameter_group(CacheParameterGroupName="mc", CacheParameterGroupFamily="memcached1.6", Description="x")
    assert error_of(create, ReplicationGroupId="v", ReplicationGroupDescription="d", CacheParameterGroupName="mc") == \
        ("InvalidParameterCombination", "Expected a parameter group of family redis7 but found one of family memcached1.6")

    create_group(ec, "old", NumCacheClusters=2, EngineVersion="6.2")
    member = ec.describe_cache_clusters(CacheClusterId="old-002")["CacheClusters"][0]
    assert member["EngineVersion"] == "6.2" and member["CacheParameterGroup"]["CacheParameterGroupName"] == "default.redis6.x"
    modify = ec.modify_replication_group
    assert error_of(modify, ReplicationGroupId="old", EngineVersion="6.0", ApplyImmediately=True) == \
        ("InvalidParameterCombination", "Cannot downgrade the engine version from 6.2 to 6.0.")
    assert error_of(modify, ReplicationGroupId="old", EngineVersion="9.9", ApplyImmediately=True) == \
        ("InvalidParameterCombination", "Cannot find version 9.9 for redis")
    assert error_of(modify, ReplicationGroupId="old", CacheParameterGroupName="mc", ApplyImmediately=True)[0] == \
        "InvalidParameterCombination"

    # Upgrade to 7.1 with a redis7 group: the nodes get its settings at once.
    ec.create_cache_parameter_group(CacheParameterGroupName="lru7", CacheParameterGroupFamily="redis7", Description="x")
    ec.modify_cache_parameter_group(CacheParameterGroupName="lru7", ParameterNameValues=[
        {"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}])
    modified = modify(ReplicationGroupId="old", EngineVersion="7.1", CacheParameterGroupName="lru7",
                      ApplyImmediately=True)["ReplicationGroup"]
    assert modified["Status"] == "modifying"
    group = wait_available(ec, "old")
    for cluster_id in group["MemberClusters"]:
        cluster = ec.describe_cache_clusters(CacheClusterId=cluster_id, ShowCacheNodeInfo=True)["CacheClusters"][0]
        assert cluster["EngineVersion"] == "7.1" and cluster["CacheParameterGroup"]["CacheParameterGroupName"] == "lru7"
        node = admin(cloud, cluster["CacheNodes"][0]["Endpoint"])
        assert node.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}

    # A group on a default parameter group moves to the new family's default with a major upgrade.
    create_group(ec, "plain6", NumCacheClusters=1, EngineVersion="6.x")
    assert ec.describe_cache_clusters(CacheClusterId="plain6-001")["CacheClusters"][0]["EngineVersion"] == "6.2"
    modify(ReplicationGroupId="plain6", EngineVersion="7.0", ApplyImmediately=True)
    wait_available(ec, "plain6")
    upgraded = ec.describe_cache_clusters(CacheClusterId="plain6-001")["CacheClusters"][0]
    assert (upgraded["EngineVersion"], upgraded["CacheParameterGroup"]["CacheParameterGroupName"]) == ("7.0", "default.redis7")
