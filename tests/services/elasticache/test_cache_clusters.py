"""Cache clusters through boto3: status transitions and waiters, validation with AWS's codes,
single-node Redis used with redis-py, and replication-group members in DescribeCacheClusters."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import redis
from botocore.exceptions import ClientError
from pymemcache.client.base import Client

from regionbox.testing import CloudProcess
from tests.services.elasticache.memcached_helpers import FAST, create_memcached, describe, discover, modify_and_wait
from tests.services.elasticache.redis_helpers import admin, eventually


def error_of(call, **params) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_status_transitions_and_waiters(cloud):
    ec = cloud.client("elasticache")
    created = create_memcached(ec, "lifecycle", nodes=1, wait=False)
    assert created["CacheClusterStatus"] == "creating" and "CacheNodes" not in created
    assert created["ARN"] == "arn:aws:elasticache:us-east-1:000000000000:cluster:lifecycle"
    ec.get_waiter("cache_cluster_available").wait(CacheClusterId="lifecycle", WaiterConfig=FAST)
    assert describe(ec, "lifecycle")["CacheNodes"][0]["CacheNodeStatus"] == "available"

    # Not applied immediately: the change waits for the maintenance window, shown as pending.
    pending = ec.modify_cache_cluster(CacheClusterId="lifecycle", NumCacheNodes=2)["CacheCluster"]
    assert pending["PendingModifiedValues"] == {"NumCacheNodes": 2} and pending["CacheClusterStatus"] == "available"
    assert describe(ec, "lifecycle")["NumCacheNodes"] == 1

    modifying = ec.modify_cache_cluster(CacheClusterId="lifecycle", NumCacheNodes=2, ApplyImmediately=True)["CacheCluster"]
    assert modifying["CacheClusterStatus"] == "modifying" and modifying["PendingModifiedValues"] == {"NumCacheNodes": 2}
    ec.get_waiter("cache_cluster_available").wait(CacheClusterId="lifecycle", WaiterConfig=FAST)
    done = describe(ec, "lifecycle")
    assert done["NumCacheNodes"] == 2 and done["PendingModifiedValues"] == {}

    deleting = ec.delete_cache_cluster(CacheClusterId="lifecycle")["CacheCluster"]
    assert deleting["CacheClusterStatus"] == "deleting"
    ec.get_waiter("cache_cluster_deleted").wait(CacheClusterId="lifecycle", WaiterConfig=FAST)
    assert error_of(ec.describe_cache_clusters, CacheClusterId="lifecycle") == ("CacheClusterNotFound", "CacheCluster not found: lifecycle")


def test_validation_errors(cloud):
    ec = cloud.client("elasticache")
    base = {"CacheNodeType": "cache.t3.micro", "Engine": "memcached", "NumCacheNodes": 1}
    create_memcached(ec, "taken", nodes=1, wait=False)
    assert error_of(ec.create_cache_cluster, CacheClusterId="taken", **base)[0] == "CacheClusterAlreadyExists"
    assert error_of(ec.create_cache_cluster, CacheClusterId="9starts-with-digit", **base)[0] == "InvalidParameterValue"
    assert error_of(ec.create_cache_cluster, CacheClusterId="double--hyphen", **base)[0] == "InvalidParameterValue"
    assert error_of(ec.create_cache_cluster, CacheClusterId="r", Engine="redis", CacheNodeType="cache.t3.micro", NumCacheNodes=2) == (
        "InvalidParameterValue", "Cannot create a Redis cluster with a NumCacheNodes parameter greater than 1.")
    assert error_of(ec.create_cache_cluster, CacheClusterId="m", **{**base, "NumCacheNodes": 41})[0] == "NodeQuotaForClusterExceeded"
    assert error_of(ec.create_cache_cluster, CacheClusterId="m", **{**base, "NumCacheNodes": 0})[0] == "InvalidParameterValue"
    # Memcached has no replication, snapshots or AUTH.
    assert error_of(ec.create_cache_cluster, CacheClusterId="m", SnapshotRetentionLimit=5, **base)[0] == "InvalidParameterCombination"
    assert error_of(ec.create_cache_cluster, CacheClusterId="m", AuthToken="a" * 20, **base)[0] == "InvalidParameterCombination"
    assert error_of(ec.create_cache_cluster, CacheClusterId="m", EngineVersion="9.9", **base) == (
        "InvalidParameterCombination", "Cannot find version 9.9 for memcached")
    assert error_of(ec.create_cache_cluster, CacheClusterId="m", Engine="oracle", CacheNodeType="cache.t3.micro")[0] == "InvalidParameterValue"
    assert error_of(ec.create_cache_cluster, CacheClusterId="m", Engine="memcached")[0] == "InvalidParameterValue"
    assert error_of(ec.create_cache_cluster, CacheClusterId="m", PreferredAvailabilityZones=["us-east-1a"],
                    **{**base, "NumCacheNodes": 2})[0] == "InvalidParameterValue"
    assert error_of(ec.create_cache_cluster, CacheClusterId="m", PreferredAvailabilityZone="eu-west-1a", **base)[0] == "InvalidParameterValue"
    assert error_of(ec.create_cache_cluster, CacheClusterId="m", AZMode="cross-az", **base)[0] == "InvalidParameterValue"
    assert error_of(ec.create_cache_cluster, CacheClusterId="m", AZMode="single-az",
                    PreferredAvailabilityZones=["us-east-1a", "us-east-1b"], **{**base, "NumCacheNodes": 2})[0] == "InvalidParameterCombination"
    assert error_of(ec.create_cache_cluster, CacheClusterId="m", CacheParameterGroupName="default.redis7", **base)[0] == "InvalidParameterCombination"
    assert error_of(ec.create_cache_cluster, CacheClusterId="m", CacheParameterGroupName="nope", **base)[0] == "CacheParameterGroupNotFound"
    assert error_of(ec.create_cache_cluster, CacheClusterId="m", CacheSubnetGroupName="nope", **base)[0] == "CacheSubnetGroupNotFoundFault"
    assert error_of(ec.create_cache_cluster, CacheClusterId="m", Engine="redis", CacheNodeType="cache.t3.micro",
                    AuthToken="a-valid-token-1234")[0] == "InvalidParameterValue"  # AUTH needs transit encryption

    ec.get_waiter("cache_cluster_available").wait(CacheClusterId="taken", WaiterConfig=FAST)
    modify_and_wait(ec, "taken", NumCacheNodes=2)
    assert error_of(ec.modify_cache_cluster, CacheClusterId="taken", NumCacheNodes=1, ApplyImmediately=True)[0] == "InvalidParameterValue"
    assert error_of(ec.modify_cache_cluster, CacheClusterId="taken", NumCacheNodes=1, CacheNodeIdsToRemove=["0009"],
                    ApplyImmediately=True)[0] == "InvalidParameterValue"
    assert error_of(ec.modify_cache_cluster, CacheClusterId="taken", NumCacheNodes=3, CacheNodeIdsToRemove=["0001"],
                    ApplyImmediately=True)[0] == "InvalidParameterCombination"
    assert error_of(ec.modify_cache_cluster, CacheClusterId="taken", NumCacheNodes=4, NewAvailabilityZones=["us-east-1a"],
                    ApplyImmediately=True)[0] == "InvalidParameterValue"
    assert error_of(ec.describe_cache_clusters, MaxRecords=5)[0] == "InvalidParameterValue"
    for call in (ec.modify_cache_cluster, ec.delete_cache_cluster, ec.describe_cache_clusters):
        assert error_of(call, CacheClusterId="ghost") == ("CacheClusterNotFound", "CacheCluster not found: ghost")


def test_a_cluster_pinned_to_a_zone_that_is_down_fails_to_create_as_on_aws(cloud):
    ec = cloud.client("elasticache")
    cloud.run(cloud.cloud.topology.outage("us-east-1c"))
    create_memcached(ec, "waiting", nodes=2, wait=False, PreferredAvailabilityZones=["us-east-1a", "us-east-1c"])
    failed = eventually(lambda: (c := describe(ec, "waiting"))["CacheClusterStatus"] == "create-failed" and c,
                        what="create-failed")
    assert [n["CacheNodeStatus"] for n in failed["CacheNodes"]] == ["create-failed", "create-failed"]
    assert all("Endpoint" not in n for n in failed["CacheNodes"]) and "ConfigurationEndpoint" not in failed
    (message,) = [e["Message"] for e in ec.describe_events(SourceIdentifier="waiting")["Events"]]
    assert "InsufficientCacheClusterCapacity" in message and "us-east-1c" in message
    # Not available: no changes; its owner deletes it.
    assert error_of(ec.modify_cache_cluster, CacheClusterId="waiting", NumCacheNodes=3, ApplyImmediately=True)[0] == "InvalidCacheClusterState"
    ec.delete_cache_cluster(CacheClusterId="waiting")
    ec.get_waiter("cache_cluster_deleted").wait(CacheClusterId="waiting", WaiterConfig=FAST)
    # Nodes nobody pinned go to the zones that are up, and serve.
    create_memcached(ec, "spread", nodes=3, AZMode="cross-az")
    spread = describe(ec, "spread")
    assert "us-east-1c" not in [n["CustomerAvailabilityZone"] for n in spread["CacheNodes"]]
    assert [n["CacheNodeStatus"] for n in spread["CacheNodes"]] == ["available"] * 3
    ec.create_cache_cluster(CacheClusterId="solo-up", Engine="redis", CacheNodeType="cache.t3.micro", NumCacheNodes=1,
                            PreferredAvailabilityZone="us-east-1c")
    assert eventually(lambda: describe(ec, "solo-up")["CacheClusterStatus"] == "create-failed", what="pinned redis fails")


def test_single_node_redis_cluster_with_parameters(cloud):
    ec = cloud.client("elasticache")
    ec.create_cache_parameter_group(CacheParameterGroupName="lru", CacheParameterGroupFamily="redis7", Description="lru")
    ec.modify_cache_parameter_group(CacheParameterGroupName="lru", ParameterNameValues=[
        {"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}])
    created = ec.create_cache_cluster(CacheClusterId="solo", Engine="redis", CacheNodeType="cache.t3.micro",
                                      NumCacheNodes=1, CacheParameterGroupName="lru", PreferredAvailabilityZone="us-east-1b")
    assert created["CacheCluster"]["EngineVersion"] == "7.1" and created["CacheCluster"]["SnapshotRetentionLimit"] == 0
    ec.get_waiter("cache_cluster_available").wait(CacheClusterId="solo", WaiterConfig=FAST)
    node = describe(ec, "solo")["CacheNodes"][0]
    assert node["CustomerAvailabilityZone"] == "us-east-1b" and node["Endpoint"]["Port"] == 6379
    client = redis.Redis(host=node["Endpoint"]["Address"], port=6379)
    assert client.set("session:1", "alice", ex=60) and client.get("session:1") == b"alice"
    assert client.incrby("hits", 5) == 5
    settings = admin(cloud, node["Endpoint"])  # CONFIG is ElastiCache's own, out of clients' reach
    assert settings.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
    # An immediate parameter reaches the running node at once.
    ec.modify_cache_parameter_group(CacheParameterGroupName="lru", ParameterNameValues=[
        {"ParameterName": "timeout", "ParameterValue": "300"}])
    for _ in range(100):
        if settings.config_get("timeout") == {"timeout": "300"}:
            break
        time.sleep(0.05)
    assert settings.config_get("timeout") == {"timeout": "300"}
    # Versions only go up, to one AWS offers.
    assert error_of(ec.modify_cache_cluster, CacheClusterId="solo", EngineVersion="6.2", ApplyImmediately=True) == (
        "InvalidParameterCombination", "Cannot downgrade the engine version from 7.1 to 6.2.")
    assert error_of(ec.modify_cache_cluster, CacheClusterId="solo", EngineVersion="8.8", ApplyImmediately=True) == (
        "InvalidParameterCombination", "Cannot find version 8.8 for redis")


def test_engine_version_upgrades_move_default_parameter_groups(cloud):
    ec = cloud.client("elasticache")
    create_memcached(ec, "old-mc", nodes=1, EngineVersion="1.5.16")
    assert describe(ec, "old-mc")["CacheParameterGroup"]["CacheParameterGroupName"] == "default.memcached1.5"
    ec.create_cache_parameter_group(CacheParameterGroupName="mc14", CacheParameterGroupFamily="memcached1.4", Description="x")
    assert error_of(ec.modify_cache_cluster, CacheClusterId="old-mc", CacheParameterGroupName="mc14", ApplyImmediately=True) == (
        "InvalidParameterCombination", "Expected a parameter group of family memcached1.5 but found one of family memcached1.4")
    upgraded = modify_and_wait(ec, "old-mc", EngineVersion="1.6.22")
    assert upgraded["EngineVersion"] == "1.6.22"
    after = describe(ec, "old-mc")
    assert (after["EngineVersion"], after["CacheParameterGroup"]["CacheParameterGroupName"]) == ("1.6.22", "default.memcached1.6")
    node = after["CacheNodes"][0]["Endpoint"]
    client = Client((node["Address"], node["Port"]), default_noreply=False)
    assert client.set("still", b"served") and client.get("still") == b"served"


def test_redis_cluster_with_auth_token_over_tls(cloud):
    ec = cloud.client("elasticache")
    ec.create_cache_cluster(CacheClusterId="secure", Engine="redis", CacheNodeType="cache.t3.micro", NumCacheNodes=1,
                            TransitEncryptionEnabled=True, AuthToken="correct-horse-battery-staple")
    ec.get_waiter("cache_cluster_available").wait(CacheClusterId="secure", WaiterConfig=FAST)
    described = describe(ec, "secure")
    assert described["AuthTokenEnabled"] and described["TransitEncryptionEnabled"]
    endpoint = described["CacheNodes"][0]["Endpoint"]
    ca = str(cloud.cloud.ca.ensure())
    tls = {"host": endpoint["Address"], "port": endpoint["Port"], "ssl": True, "ssl_ca_certs": ca, "ssl_check_hostname": False}
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(**tls).ping()
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(password="wrong-token-000000", **tls).ping()
    assert redis.Redis(password="correct-horse-battery-staple", **tls).ping()

    # The same ROTATE / SET / DELETE as replication groups, through ModifyCacheCluster.
    ec.modify_cache_cluster(CacheClusterId="secure", AuthToken="second-horse-battery-staple", AuthTokenUpdateStrategy="ROTATE",
                            ApplyImmediately=True)
    for token in ("correct-horse-battery-staple", "second-horse-battery-staple"):
        eventually(lambda: redis.Redis(password=token, **tls).ping(), what=f"AUTH with {token}")
    ec.modify_cache_cluster(CacheClusterId="secure", AuthToken="second-horse-battery-staple", AuthTokenUpdateStrategy="SET",
                            ApplyImmediately=True)
    eventually(lambda: _refused(lambda: redis.Redis(password="correct-horse-battery-staple", **tls).ping()), what="old token refused")
    assert error_of(ec.modify_cache_cluster, CacheClusterId="secure", AuthToken="second-horse-battery-staple",
                    AuthTokenUpdateStrategy="DELETE", ApplyImmediately=True) == (
        "InvalidParameterCombination", "AuthToken cannot be specified with AuthTokenUpdateStrategy DELETE.")
    deleted = ec.modify_cache_cluster(CacheClusterId="secure", AuthTokenUpdateStrategy="DELETE", ApplyImmediately=True)
    assert deleted["CacheCluster"]["AuthTokenEnabled"] is False
    eventually(lambda: redis.Redis(**tls).ping(), what="no AUTH needed")
    assert error_of(ec.modify_cache_cluster, CacheClusterId="secure", AuthTokenUpdateStrategy="DELETE", ApplyImmediately=True) == (
        "InvalidParameterCombination", "The cache cluster has no AUTH token to delete.")


def _refused(call) -> bool:
    try:
        call()
    except redis.AuthenticationError:
        return True
    return False


def test_replication_group_members_are_listed(cloud):
    ec = cloud.client("elasticache")
    create_memcached(ec, "plain", nodes=1, wait=False)
    ec.create_replication_group(ReplicationGroupId="rg", ReplicationGroupDescription="members", Engine="redis",
                                CacheNodeType="cache.t3.micro", NumCacheClusters=2)
    ec.get_waiter("replication_group_available").wait(ReplicationGroupId="rg", WaiterConfig=FAST)
    listed = {c["CacheClusterId"]: c for c in ec.describe_cache_clusters(ShowCacheNodeInfo=True)["CacheClusters"]}
    assert set(listed) == {"plain", "rg-001", "rg-002"}
    assert listed["rg-001"]["ReplicationGroupId"] == "rg" and listed["rg-001"]["Engine"] == "redis"
    assert listed["rg-002"]["CacheNodes"][0]["Endpoint"]["Port"] == 6379
    alone = ec.describe_cache_clusters(ShowCacheClustersNotInReplicationGroups=True)["CacheClusters"]
    assert [c["CacheClusterId"] for c in alone] == ["plain"]


def test_clusters_come_back_after_a_restart_and_a_crash(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    try:
        ec = process.client("elasticache")
        create_memcached(ec, "durable-mc", nodes=2, AZMode="cross-az")
        ec.create_cache_cluster(CacheClusterId="durable-redis", Engine="redis", CacheNodeType="cache.t3.micro", NumCacheNodes=1)
        ec.get_waiter("cache_cluster_available").wait(CacheClusterId="durable-redis", WaiterConfig=FAST)
        before_mc, before_redis = describe(ec, "durable-mc"), describe(ec, "durable-redis")
        redis_node = before_redis["CacheNodes"][0]["Endpoint"]
        redis.Redis(host=redis_node["Address"], port=redis_node["Port"]).set("kept", "across restarts")
        status = subprocess.run([sys.executable, "-m", "regionbox", "status", "--endpoint", process.endpoint],
                                              capture_output=True, text=True, timeout=60).stdout
        assert "memcached" in status and "real" in status

        for restart in (process.stop, process.kill9):
            restart()
            process.start()
            ec = process.client("elasticache")
            ec.get_waiter("cache_cluster_available").wait(CacheClusterId="durable-mc", WaiterConfig=FAST)
            after_mc = describe(ec, "durable-mc")
            assert [n["Endpoint"] for n in after_mc["CacheNodes"]] == [n["Endpoint"] for n in before_mc["CacheNodes"]]
            assert after_mc["ConfigurationEndpoint"] == before_mc["ConfigurationEndpoint"]
            _, nodes = discover(after_mc["ConfigurationEndpoint"])
            for node in nodes:
                for _ in range(100):
                    try:
                        Client(node, connect_timeout=1, default_noreply=False).set("alive", b"yes")
                        break
                    except OSError:
                        time.sleep(0.05)
                assert Client(node).get("alive") == b"yes"
            client = redis.Redis(host=redis_node["Address"], port=redis_node["Port"])
            for _ in range(100):
                try:
                    value = client.get("kept")
                    break
                except redis.ConnectionError:
                    time.sleep(0.05)
            if restart == process.stop:
                assert value == b"across restarts"  # a clean stop saves Redis's data
    finally:
        process.cleanup()


def test_a_cache_cluster_joins_a_replication_group_as_its_replica(cloud):
    """CreateCacheCluster with ReplicationGroupId, as AWS allows for groups with cluster mode disabled."""
    from tests.services.elasticache.redis_helpers import client, create_group, members, primary, wait_available

    ec = cloud.client("elasticache")
    create_group(ec, "joined", NumCacheClusters=1, Tags=[{"Key": "app", "Value": "shop"}])
    primary(wait_available(ec, "joined")).set("before", "joining")
    created = ec.create_cache_cluster(CacheClusterId="joined-reader", ReplicationGroupId="joined",
                                      PreferredAvailabilityZone="us-east-1c")["CacheCluster"]
    assert created["CacheClusterStatus"] == "creating" and created["ReplicationGroupId"] == "joined"
    assert ec.describe_replication_groups(ReplicationGroupId="joined")["ReplicationGroups"][0]["Status"] == "modifying"
    ec.get_waiter("cache_cluster_available").wait(CacheClusterId="joined-reader", WaiterConfig=FAST)
    group = wait_available(ec, "joined")
    assert group["MemberClusters"] == ["joined-001", "joined-reader"]
    member = next(m for m in members(group) if m["CacheClusterId"] == "joined-reader")
    assert member["CurrentRole"] == "replica" and member["PreferredAvailabilityZone"] == "us-east-1c"
    assert client(member["ReadEndpoint"]).get("before") == b"joining"
    arn = ec.describe_cache_clusters(CacheClusterId="joined-reader")["CacheClusters"][0]["ARN"]
    assert ec.list_tags_for_resource(ResourceName=arn)["TagList"] == [{"Key": "app", "Value": "shop"}]

    assert error_of(ec.create_cache_cluster, CacheClusterId="lost", ReplicationGroupId="ghost")[0] == "ReplicationGroupNotFoundFault"
    assert error_of(ec.create_cache_cluster, CacheClusterId="joined-reader", ReplicationGroupId="joined")[0] == \
        "CacheClusterAlreadyExists"
    assert error_of(ec.create_cache_cluster, CacheClusterId="wrong", ReplicationGroupId="joined", Engine="memcached")[0] == \
        "InvalidParameterCombination"
    assert error_of(ec.create_cache_cluster, CacheClusterId="wide", ReplicationGroupId="joined", NumCacheNodes=2)[0] == \
        "InvalidParameterValue"
    create_group(ec, "sharded-join", NumNodeGroups=2, ReplicasPerNodeGroup=0)
    assert error_of(ec.create_cache_cluster, CacheClusterId="nope", ReplicationGroupId="sharded-join")[0] == \
        "InvalidParameterCombination"
