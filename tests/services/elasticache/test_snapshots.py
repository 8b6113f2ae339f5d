"""Snapshots through boto3: real RDB files taken from the nodes, restored into new clusters and
groups with the same keys, copied, exported to S3 and seeded back, deleted, and their errors."""

from __future__ import annotations


import redis
from redis.cluster import RedisCluster

from tests.services.elasticache.memcached_helpers import create_memcached
from tests.services.elasticache.redis_helpers import (export_policy, FAST, client, cluster_endpoint, create_group, dump_keys, error_of, events,
                                                      primary, wait_available, wait_snapshot)


def seed(client: redis.Redis, prefix: str = "k", count: int = 200) -> None:
    pipe = client.pipeline()
    for index in range(count):
        pipe.set(f"{prefix}:{index}", f"value-{index}")
    pipe.hset(f"{prefix}:hash", mapping={"a": "1", "b": "2"})
    pipe.rpush(f"{prefix}:list", "x", "y", "z")
    pipe.sadd(f"{prefix}:set", "p", "q")
    pipe.zadd(f"{prefix}:zset", {"m": 1.5, "n": 2.5})
    pipe.set(f"{prefix}:expiring", "soon", ex=3600)
    pipe.execute()


def test_a_single_node_cluster_is_snapshotted_and_restored_with_its_keys(cloud):
    ec = cloud.client("elasticache")
    ec.create_cache_cluster(CacheClusterId="solo", Engine="redis", CacheNodeType="cache.t3.micro", NumCacheNodes=1,
                            Tags=[{"Key": "team", "Value": "cache"}])
    source = client(cluster_endpoint(ec, "solo"))
    seed(source)
    before = dump_keys(source)

    created = ec.create_snapshot(CacheClusterId="solo", SnapshotName="solo-backup")["Snapshot"]
    assert created["SnapshotStatus"] == "creating" and created["SnapshotSource"] == "manual"
    assert created["CacheClusterId"] == "solo" and created["Engine"] == "redis" and created["NumCacheNodes"] == 1
    assert created["ARN"] == "arn:aws:elasticache:us-east-1:000000000000:snapshot:solo-backup"
    snapshot = wait_snapshot(ec, "solo-backup")
    (node,) = snapshot["NodeSnapshots"]
    assert node["CacheClusterId"] == "solo" and node["NodeGroupId"] == "0001" and node["CacheSize"].endswith(" MB")
    assert ec.describe_cache_clusters(CacheClusterId="solo")["CacheClusters"][0]["CacheClusterStatus"] == "available"
    # The cluster's tags are the snapshot's.
    assert ec.list_tags_for_resource(ResourceName=snapshot["ARN"])["TagList"] == [{"Key": "team", "Value": "cache"}]
    assert any("Snapshot succeeded for snapshot with ID 'solo-backup'" in m for m in events(ec, "solo"))

    source.set("written-after", "the snapshot")
    restored = ec.create_cache_cluster(CacheClusterId="solo-copy", SnapshotName="solo-backup")["CacheCluster"]
    assert restored["CacheNodeType"] == "cache.t3.micro" and restored["Engine"] == "redis"  # from the snapshot
    assert dump_keys(client(cluster_endpoint(ec, "solo-copy"))) == before
    assert wait_snapshot(ec, "solo-backup")["SnapshotStatus"] == "available"
    assert "Restored from snapshot solo-backup" in events(ec, "solo-copy")


def test_a_replication_group_is_snapshotted_from_a_replica_and_restored(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "orders", NumCacheClusters=2, AutomaticFailoverEnabled=True, CacheNodeType="cache.m5.large")
    group = wait_available(ec, "orders")
    writer = primary(group)
    seed(writer, "order")
    writer.execute_command("WAIT", 1, 2000)
    before = dump_keys(writer)

    ec.create_snapshot(ReplicationGroupId="orders", SnapshotName="orders-snap")
    snapshot = wait_snapshot(ec, "orders-snap")
    assert snapshot["ReplicationGroupId"] == "orders" and "CacheClusterId" not in snapshot
    assert snapshot["NumNodeGroups"] == 1 and snapshot["AutomaticFailover"] == "enabled"
    # ElastiCache spares the primary: the backup is taken from the replica.
    assert [n["CacheClusterId"] for n in snapshot["NodeSnapshots"]] == ["orders-002"]
    assert wait_available(ec, "orders")["Status"] == "available"

    ec.create_replication_group(ReplicationGroupId="orders-restored", ReplicationGroupDescription="from a snapshot",
                                SnapshotName="orders-snap", NumCacheClusters=2)
    restored = wait_available(ec, "orders-restored")
    assert restored["CacheNodeType"] == "cache.m5.large"
    assert dump_keys(primary(restored)) == before
    replica = next(m for m in restored["NodeGroups"][0]["NodeGroupMembers"] if m["CurrentRole"] == "replica")
    assert dump_keys(client(replica["ReadEndpoint"])) == before

    # A snapshot taken through a member cluster is its group's.
    ec.create_snapshot(CacheClusterId="orders-001", SnapshotName="through-member")
    assert wait_snapshot(ec, "through-member")["NodeSnapshots"][0]["CacheClusterId"] == "orders-001"


def test_a_sharded_snapshot_restores_onto_another_number_of_shards(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "sharded", NumNodeGroups=2, ReplicasPerNodeGroup=0, CacheNodeType="cache.m5.large")
    group = wait_available(ec, "sharded")
    config = group["ConfigurationEndpoint"]
    writer = RedisCluster(host=config["Address"], port=config["Port"], socket_timeout=5)
    values = {f"user:{index}": str(index) for index in range(500)}
    for key, value in values.items():
        writer.set(key, value)
    writer.set("with-ttl", "x", ex=3600)

    ec.create_snapshot(ReplicationGroupId="sharded", SnapshotName="sharded-snap")
    snapshot = ec.describe_snapshots(SnapshotName="sharded-snap", ShowNodeGroupConfig=True)["Snapshots"][0]
    assert [n["NodeGroupConfiguration"]["Slots"] for n in snapshot["NodeSnapshots"]] == ["0-8191", "8192-16383"]
    assert len(wait_snapshot(ec, "sharded-snap")["NodeSnapshots"]) == 2

    ec.create_replication_group(ReplicationGroupId="resharded", ReplicationGroupDescription="three shards now",
                                SnapshotName="sharded-snap", NumNodeGroups=3, ReplicasPerNodeGroup=1)
    restored = wait_available(ec, "resharded")
    assert restored["ClusterEnabled"] and len(restored["NodeGroups"]) == 3
    config = restored["ConfigurationEndpoint"]
    reader = RedisCluster(host=config["Address"], port=config["Port"], socket_timeout=5)
    assert {key: reader.get(key).decode() for key in values} == values
    assert 0 < reader.ttl("with-ttl") <= 3600
    assert reader.dbsize(target_nodes=RedisCluster.PRIMARIES) == 501

    # Without ClusterMode or shard counts, a restore is sharded as its snapshot was.
    ec.create_replication_group(ReplicationGroupId="same-shape", ReplicationGroupDescription="x", SnapshotName="sharded-snap")
    same = wait_available(ec, "same-shape")
    assert same["ClusterEnabled"] and len(same["NodeGroups"]) == 2
    # Two shards do not fit a group with cluster mode disabled.
    assert error_of(ec.create_replication_group, ReplicationGroupId="flat", ReplicationGroupDescription="x",
                    SnapshotName="sharded-snap", NumCacheClusters=1)[0] == "InvalidParameterCombination"


def test_snapshot_errors(cloud):
    ec = cloud.client("elasticache")
    ec.create_cache_cluster(CacheClusterId="one", Engine="redis", CacheNodeType="cache.t3.micro")
    create_memcached(ec, "mc", nodes=1)
    cluster_endpoint(ec, "one")
    assert error_of(ec.create_snapshot, SnapshotName="s") == (
        "InvalidParameterCombination", "Either ReplicationGroupId or CacheClusterId must be specified.")
    assert error_of(ec.create_snapshot, SnapshotName="s", CacheClusterId="one", ReplicationGroupId="g")[0] == \
        "InvalidParameterCombination"
    assert error_of(ec.create_snapshot, SnapshotName="s", CacheClusterId="ghost") == ("CacheClusterNotFound",
                                                                                      "CacheCluster not found: ghost")
    assert error_of(ec.create_snapshot, SnapshotName="s", ReplicationGroupId="ghost")[0] == "ReplicationGroupNotFoundFault"
    assert error_of(ec.create_snapshot, SnapshotName="s", CacheClusterId="mc") == (
        "SnapshotFeatureNotSupportedFault", "Snapshots are not supported for engine memcached.")
    assert error_of(ec.create_snapshot, SnapshotName="automatic-x", CacheClusterId="one")[0] == "InvalidParameterValue"
    assert error_of(ec.create_snapshot, SnapshotName="bad--name", CacheClusterId="one")[0] == "InvalidParameterValue"
    ec.create_snapshot(SnapshotName="s", CacheClusterId="one")
    assert error_of(ec.create_snapshot, SnapshotName="s", CacheClusterId="one")[0] in ("SnapshotAlreadyExistsFault",
                                                                                        "InvalidCacheClusterState")
    wait_snapshot(ec, "s")
    assert error_of(ec.create_snapshot, SnapshotName="s", CacheClusterId="one") == ("SnapshotAlreadyExistsFault",
                                                                                    "Snapshot s already exists.")
    assert error_of(ec.describe_snapshots, SnapshotName="nope") == ("SnapshotNotFoundFault", "Snapshot nope not found.")
    assert error_of(ec.describe_snapshots, SnapshotSource="robots")[0] == "InvalidParameterValue"
    assert error_of(ec.describe_snapshots, MaxRecords=51) == ("InvalidParameterValue",
                                                              "Invalid value for max records. Must be between 20 and 50")
    assert error_of(ec.copy_snapshot, SourceSnapshotName="s", TargetSnapshotName="s")[0] == "SnapshotAlreadyExistsFault"
    assert error_of(ec.copy_snapshot, SourceSnapshotName="nope", TargetSnapshotName="t")[0] == "SnapshotNotFoundFault"
    assert error_of(ec.create_cache_cluster, CacheClusterId="from-nothing", SnapshotName="nope")[0] == "SnapshotNotFoundFault"
    assert error_of(ec.create_cache_cluster, CacheClusterId="to-valkey6", SnapshotName="s", Engine="redis",
                    EngineVersion="6.2")[0] == "InvalidParameterCombination"  # older than the snapshot's 7.1
    deleted = ec.delete_snapshot(SnapshotName="s")["Snapshot"]
    assert deleted["SnapshotStatus"] == "deleting"
    assert error_of(ec.delete_snapshot, SnapshotName="s")[0] == "SnapshotNotFoundFault"


def test_snapshots_are_listed_filtered_and_paged(cloud):
    ec = cloud.client("elasticache")
    ec.create_cache_cluster(CacheClusterId="paged", Engine="redis", CacheNodeType="cache.t3.micro")
    cluster_endpoint(ec, "paged")
    ec.create_snapshot(SnapshotName="original", CacheClusterId="paged")
    wait_snapshot(ec, "original")
    for index in range(24):
        copy = ec.copy_snapshot(SourceSnapshotName="original", TargetSnapshotName=f"copy-{index:02d}")["Snapshot"]
        assert copy["SnapshotSource"] == "manual"
    for index in range(24):
        wait_snapshot(ec, f"copy-{index:02d}")
    first = ec.describe_snapshots(MaxRecords=20)
    second = ec.describe_snapshots(MaxRecords=20, Marker=first["Marker"])
    names = [s["SnapshotName"] for s in first["Snapshots"] + second["Snapshots"]]
    assert len(first["Snapshots"]) == 20 and "Marker" not in second and len(names) == 25 == len(set(names))
    assert len(ec.describe_snapshots()["Snapshots"]) == 25  # default page: 50
    assert len(ec.describe_snapshots(CacheClusterId="paged")["Snapshots"]) == 25
    assert ec.describe_snapshots(SnapshotSource="system")["Snapshots"] == []
    assert len(ec.describe_snapshots(SnapshotSource="user", MaxRecords=50)["Snapshots"]) == 25
    paginator = ec.get_paginator("describe_snapshots")
    assert sum(len(page["Snapshots"]) for page in paginator.paginate(PaginationConfig={"PageSize": 20})) == 25


def test_a_snapshot_is_exported_to_s3_and_seeds_a_new_cluster(cloud):
    ec, s3 = cloud.client("elasticache"), cloud.client("s3")
    ec.create_cache_cluster(CacheClusterId="exported", Engine="redis", CacheNodeType="cache.t3.micro")
    source = client(cluster_endpoint(ec, "exported"))
    seed(source, "exp")
    before = dump_keys(source)
    ec.create_snapshot(SnapshotName="to-export", CacheClusterId="exported")
    wait_snapshot(ec, "to-export")

    assert error_of(ec.copy_snapshot, SourceSnapshotName="to-export", TargetSnapshotName="out", TargetBucket="no-bucket") == (
        "InvalidParameterValue", "The S3 bucket no-bucket does not exist.")
    s3.create_bucket(Bucket="backups")
    assert error_of(ec.copy_snapshot, SourceSnapshotName="to-export", TargetSnapshotName="out", TargetBucket="backups") == (
        "InvalidParameterValue", "ElastiCache has not been granted READ permissions backups on the S3 Bucket.")
    other = cloud.client("s3", account="222222222222")
    other.create_bucket(Bucket="theirs")
    assert error_of(ec.copy_snapshot, SourceSnapshotName="to-export", TargetSnapshotName="out", TargetBucket="theirs") == (
        "InvalidParameterValue", "The S3 bucket theirs is not owned by the authenticated user.")
    s3.put_bucket_policy(Bucket="backups", Policy=export_policy("backups"))

    exporting = ec.copy_snapshot(SourceSnapshotName="to-export", TargetSnapshotName="out", TargetBucket="backups")["Snapshot"]
    assert exporting["SnapshotName"] == "to-export" and exporting["SnapshotStatus"] == "exporting"
    wait_snapshot(ec, "to-export")
    rdb = s3.get_object(Bucket="backups", Key="out-0001.rdb")["Body"].read()
    assert rdb.startswith(b"REDIS")
    assert error_of(ec.copy_snapshot, SourceSnapshotName="to-export", TargetSnapshotName="out", TargetBucket="backups") == (
        "InvalidParameterValue", "The S3 bucket backups already contains an object with key out-0001.rdb.")

    ec.create_cache_cluster(CacheClusterId="seeded", Engine="redis", CacheNodeType="cache.t3.micro",
                            SnapshotArns=["arn:aws:s3:::backups/out-0001.rdb"])
    assert dump_keys(client(cluster_endpoint(ec, "seeded"))) == before
    assert error_of(ec.create_cache_cluster, CacheClusterId="seeded2", Engine="redis", CacheNodeType="cache.t3.micro",
                    SnapshotArns=["arn:aws:s3:::backups/missing.rdb"])[0] == "InvalidParameterValue"


def test_deleting_with_a_final_snapshot_keeps_the_data(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "ending", NumCacheClusters=1)
    group = wait_available(ec, "ending")
    seed(primary(group), "end")
    before = dump_keys(primary(group))
    deleting = ec.delete_replication_group(ReplicationGroupId="ending", FinalSnapshotIdentifier="ending-final")
    assert deleting["ReplicationGroup"]["Status"] == "deleting"
    ec.get_waiter("replication_group_deleted").wait(ReplicationGroupId="ending", WaiterConfig=FAST)
    final = wait_snapshot(ec, "ending-final")
    assert final["SnapshotSource"] == "manual" and final["ReplicationGroupId"] == "ending"
    ec.create_replication_group(ReplicationGroupId="reborn", ReplicationGroupDescription="x", SnapshotName="ending-final")
    assert dump_keys(primary(wait_available(ec, "reborn"))) == before

    ec.create_cache_cluster(CacheClusterId="short-lived", Engine="redis", CacheNodeType="cache.t3.micro")
    cluster_endpoint(ec, "short-lived")
    assert error_of(ec.delete_cache_cluster, CacheClusterId="short-lived", FinalSnapshotIdentifier="ending-final")[0] == \
        "SnapshotAlreadyExistsFault"
    ec.delete_cache_cluster(CacheClusterId="short-lived", FinalSnapshotIdentifier="short-final")
    ec.get_waiter("cache_cluster_deleted").wait(CacheClusterId="short-lived", WaiterConfig=FAST)
    assert wait_snapshot(ec, "short-final")["CacheClusterId"] == "short-lived"


def test_automatic_snapshots_are_taken_daily_and_pruned_beyond_the_limit():
    """A "day" of four seconds: a cluster keeping two days of backups has at most two automatic
    snapshots at any time, taken in its window; they go with the cluster, manual ones stay."""
    from regionbox.config import Config
    from regionbox.testing import RunningCloud
    from tests.services.elasticache.redis_helpers import eventually

    running = RunningCloud(Config(ephemeral=True, elasticache_snapshot_day=4)).start()
    try:
        ec = running.client("elasticache")
        ec.create_cache_cluster(CacheClusterId="daily", Engine="redis", CacheNodeType="cache.t3.micro", SnapshotRetentionLimit=2,
                                SnapshotWindow="00:00-01:00")
        client(cluster_endpoint(ec, "daily")).set("day", "one")

        def automatic() -> list[dict]:
            return [s for s in ec.describe_snapshots(CacheClusterId="daily", SnapshotSource="system")["Snapshots"]
                    if s["SnapshotStatus"] == "available"]

        eventually(lambda: len(automatic()) >= 1, timeout=30, what="a first automatic snapshot")
        first = automatic()[0]
        assert first["SnapshotName"].startswith("automatic.daily-") and first["SnapshotSource"] == "automated"
        eventually(lambda: len(automatic()) == 2 and first["SnapshotName"] not in [s["SnapshotName"] for s in automatic()],
                   timeout=60, what="a third day pruning the first snapshot")
        assert len(automatic()) <= 2

        ec.copy_snapshot(SourceSnapshotName=automatic()[0]["SnapshotName"], TargetSnapshotName="kept")
        wait_snapshot(ec, "kept")
        ec.delete_cache_cluster(CacheClusterId="daily")
        ec.get_waiter("cache_cluster_deleted").wait(CacheClusterId="daily", WaiterConfig=FAST)
        assert [s["SnapshotName"] for s in ec.describe_snapshots()["Snapshots"]] == ["kept"]
        assert wait_snapshot(ec, "kept")["SnapshotSource"] == "manual"
    finally:
        running.stop()
