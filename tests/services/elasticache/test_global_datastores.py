"""Global datastores: a secondary replication group in another region of the same cloud really
replicates the primary's data (written in us-east-1, read in us-west-2), refuses writes, takes over
on a failover between regions, and leaves with its data. Through boto3 and redis-py."""

from __future__ import annotations

import pytest
import redis

from tests.services.elasticache.redis_helpers import create_group, error_of, eventually, primary, wait_available


def global_status(ec, global_id: str) -> str:
    return ec.describe_global_replication_groups(GlobalReplicationGroupId=global_id)["GlobalReplicationGroups"][0]["Status"]


def test_a_global_datastore_replicates_across_regions_and_fails_over(cloud):
    east, west = cloud.client("elasticache"), cloud.client("elasticache", region="us-west-2")
    create_group(east, "orders", NumCacheClusters=2, CacheNodeType="cache.r6g.large", AutomaticFailoverEnabled=True)
    east_writer = primary(wait_available(east, "orders"))
    east_writer.set("order:1", "placed")

    assert error_of(east.create_global_replication_group, GlobalReplicationGroupIdSuffix="x", PrimaryReplicationGroupId="ghost")[0] \
        == "ReplicationGroupNotFoundFault"
    created = east.create_global_replication_group(GlobalReplicationGroupIdSuffix="orders-global", PrimaryReplicationGroupId="orders",
                                                   GlobalReplicationGroupDescription="orders everywhere")["GlobalReplicationGroup"]
    global_id = created["GlobalReplicationGroupId"]
    letters, suffix = global_id.split("-", 1)
    assert suffix == "orders-global" and len(letters) == 5 and letters.isalpha()
    assert created["ARN"] == f"arn:aws:elasticache::000000000000:globalreplicationgroup:{global_id}"
    assert created["Status"] == "primary-only" and created["CacheNodeType"] == "cache.r6g.large"
    assert created["Members"] == [{"ReplicationGroupId": "orders", "ReplicationGroupRegion": "us-east-1", "Role": "PRIMARY",
                                   "AutomaticFailover": "enabled", "Status": "associated"}]
    assert east.describe_replication_groups(ReplicationGroupId="orders")["ReplicationGroups"][0]["GlobalReplicationGroupInfo"] == {
        "GlobalReplicationGroupId": global_id, "GlobalReplicationGroupMemberRole": "PRIMARY"}
    assert error_of(east.create_global_replication_group, GlobalReplicationGroupIdSuffix="again", PrimaryReplicationGroupId="orders")[0] \
        == "InvalidReplicationGroupState"
    # Global datastores are account-wide: seen from every region.
    assert [g["GlobalReplicationGroupId"] for g in west.describe_global_replication_groups()["GlobalReplicationGroups"]] == [global_id]
    assert "Members" not in west.describe_global_replication_groups()["GlobalReplicationGroups"][0]

    # A secondary in another region, with the datastore's engine and node type.
    assert error_of(west.create_replication_group, ReplicationGroupId="orders-west", ReplicationGroupDescription="west",
                    GlobalReplicationGroupId=global_id, CacheNodeType="cache.r6g.xlarge")[0] == "InvalidParameterCombination"
    assert error_of(east.create_replication_group, ReplicationGroupId="orders-east", ReplicationGroupDescription="east",
                    GlobalReplicationGroupId=global_id)[0] == "InvalidParameterCombination"
    assert error_of(west.create_replication_group, ReplicationGroupId="lost", ReplicationGroupDescription="x",
                    GlobalReplicationGroupId="abcde-ghost")[0] == "GlobalReplicationGroupNotFoundFault"
    west.create_replication_group(ReplicationGroupId="orders-west", ReplicationGroupDescription="west",
                                  GlobalReplicationGroupId=global_id, NumCacheClusters=2, AutomaticFailoverEnabled=True)
    west_group = wait_available(west, "orders-west")
    assert west_group["CacheNodeType"] == "cache.r6g.large"
    assert west_group["GlobalReplicationGroupInfo"]["GlobalReplicationGroupMemberRole"] == "SECONDARY"
    west_reader = primary(west_group)
    assert eventually(lambda: west_reader.get("order:1") == b"placed", what="the write in us-east-1 read in us-west-2")
    east_writer.set("order:2", "paid")
    assert eventually(lambda: west_reader.get("order:2") == b"paid", what="a later write replicated")
    with pytest.raises(redis.exceptions.ReadOnlyError):
        west_reader.set("order:9", "from the secondary")
    assert global_status(east, global_id) == "available"
    # A failover inside the secondary region: its new primary still replicates from us-east-1.
    west.test_failover(ReplicationGroupId="orders-west", NodeGroupId="0001")
    eventually(lambda: next(m for m in wait_available(west, "orders-west")["NodeGroups"][0]["NodeGroupMembers"]
                            if m["CurrentRole"] == "primary")["CacheClusterId"] == "orders-west-002", what="the failover in us-west-2")
    west_reader = primary(wait_available(west, "orders-west"))
    east_writer.set("order:2b", "after the regional failover")
    assert eventually(lambda: west_reader.get("order:2b") == b"after the regional failover", what="still replicated")
    with pytest.raises(redis.exceptions.ReadOnlyError):
        west_reader.set("order:9", "from the secondary's new primary")
    members = east.describe_global_replication_groups(ShowMemberInfo=True)["GlobalReplicationGroups"][0]["Members"]
    assert [(m["ReplicationGroupId"], m["ReplicationGroupRegion"], m["Role"], m["Status"]) for m in members] == [
        ("orders", "us-east-1", "PRIMARY", "associated"), ("orders-west", "us-west-2", "SECONDARY", "associated")]

    # Failover between regions: us-west-2 takes writes, us-east-1 replicates from it.
    assert error_of(east.failover_global_replication_group, GlobalReplicationGroupId=global_id, PrimaryRegion="us-east-1",
                    PrimaryReplicationGroupId="orders")[0] == "InvalidParameterCombination"
    east.failover_global_replication_group(GlobalReplicationGroupId=global_id, PrimaryRegion="us-west-2",
                                           PrimaryReplicationGroupId="orders-west")
    eventually(lambda: global_status(east, global_id) == "available", what="the failover done")
    west_writer = primary(wait_available(west, "orders-west"))
    west_writer.set("order:3", "shipped")
    assert eventually(lambda: east_writer.get("order:3") == b"shipped", what="us-west-2's write read in us-east-1")
    with pytest.raises(redis.exceptions.ReadOnlyError):
        east_writer.set("order:9", "from the old primary")

    # Members leave before the datastore goes; a member is not deleted while it is one.
    assert error_of(west.delete_replication_group, ReplicationGroupId="orders-west")[0] == "InvalidReplicationGroupState"
    assert error_of(east.delete_global_replication_group, GlobalReplicationGroupId=global_id, RetainPrimaryReplicationGroup=True)[0] \
        == "InvalidGlobalReplicationGroupState"
    assert error_of(east.disassociate_global_replication_group, GlobalReplicationGroupId=global_id,
                    ReplicationGroupId="orders-west", ReplicationGroupRegion="us-west-2")[0] == "InvalidParameterCombination"
    assert error_of(east.increase_node_groups_in_global_replication_group, GlobalReplicationGroupId=global_id, NodeGroupCount=2,
                    ApplyImmediately=True)[0] == "InvalidParameterCombination"
    east.disassociate_global_replication_group(GlobalReplicationGroupId=global_id, ReplicationGroupId="orders",
                                               ReplicationGroupRegion="us-east-1")
    assert eventually(lambda: east_writer.set("order:4", "on its own"), what="us-east-1 taking writes again")
    assert east_writer.get("order:3") == b"shipped"  # it keeps the data it had
    assert "GlobalReplicationGroupInfo" not in east.describe_replication_groups(ReplicationGroupId="orders")["ReplicationGroups"][0]
    assert global_status(east, global_id) == "primary-only"

    modified = east.modify_global_replication_group(GlobalReplicationGroupId=global_id, ApplyImmediately=True,
                                                    GlobalReplicationGroupDescription="west only")["GlobalReplicationGroup"]
    assert modified["GlobalReplicationGroupDescription"] == "west only"
    assert error_of(east.modify_global_replication_group, GlobalReplicationGroupId=global_id, ApplyImmediately=False)[0] == \
        "InvalidParameterValue"
    deleted = east.delete_global_replication_group(GlobalReplicationGroupId=global_id, RetainPrimaryReplicationGroup=True)
    assert deleted["GlobalReplicationGroup"]["Status"] == "deleting"
    assert error_of(east.describe_global_replication_groups, GlobalReplicationGroupId=global_id)[0] == \
        "GlobalReplicationGroupNotFoundFault"
    west.delete_replication_group(ReplicationGroupId="orders-west")


def test_a_global_datastore_needs_a_node_type_and_engine_that_support_it(cloud):
    ec = cloud.client("elasticache")
    create_group(ec, "small", CacheNodeType="cache.t3.micro")
    assert error_of(ec.create_global_replication_group, GlobalReplicationGroupIdSuffix="small", PrimaryReplicationGroupId="small")[0] \
        == "InvalidParameterValue"
    assert ec.describe_global_replication_groups()["GlobalReplicationGroups"] == []
    assert error_of(ec.describe_global_replication_groups, MaxRecords=5)[0] == "InvalidParameterValue"
