"""Reserved nodes (offerings from a catalog, purchases), service updates and their update actions,
the node types a cluster can be scaled to, and cache security groups as a VPC account sees them.
Through boto3."""

from __future__ import annotations

from tests.services.elasticache.memcached_helpers import FAST
from tests.services.elasticache.redis_helpers import error_of, eventually


def test_reserved_node_offerings_and_purchases(cloud):
    ec = cloud.client("elasticache")
    offerings = ec.describe_reserved_cache_nodes_offerings(CacheNodeType="cache.r6g.large", Duration="1",
                                                           ProductDescription="redis")["ReservedCacheNodesOfferings"]
    assert sorted(o["OfferingType"] for o in offerings) == ["All Upfront", "No Upfront", "Partial Upfront"]
    assert {o["Duration"] for o in offerings} == {31536000}
    upfront = next(o for o in offerings if o["OfferingType"] == "All Upfront")
    none = next(o for o in offerings if o["OfferingType"] == "No Upfront")
    assert upfront["FixedPrice"] > 0 and upfront["RecurringCharges"][0]["RecurringChargeAmount"] == 0
    assert none["FixedPrice"] == 0 and none["RecurringCharges"][0]["RecurringChargeFrequency"] == "Hourly"
    # Offering ids are stable: the same lookup finds the same offering.
    again = ec.describe_reserved_cache_nodes_offerings(ReservedCacheNodesOfferingId=none["ReservedCacheNodesOfferingId"])
    assert again["ReservedCacheNodesOfferings"] == [none]
    assert ec.describe_reserved_cache_nodes_offerings(Duration="94608000", CacheNodeType="cache.t3.micro",
                                                      ProductDescription="valkey", OfferingType="No Upfront")[
        "ReservedCacheNodesOfferings"][0]["Duration"] == 94608000
    # Paged with Marker, 100 a page at most.
    page = ec.describe_reserved_cache_nodes_offerings(MaxRecords=20)
    assert len(page["ReservedCacheNodesOfferings"]) == 20 and page["Marker"]
    paginator = ec.get_paginator("describe_reserved_cache_nodes_offerings")
    every = [o for p in paginator.paginate(ProductDescription="memcached") for o in p["ReservedCacheNodesOfferings"]]
    assert len(every) > 100 and len({o["ReservedCacheNodesOfferingId"] for o in every}) == len(every)
    assert error_of(ec.describe_reserved_cache_nodes_offerings, Duration="2")[0] == "InvalidParameterValue"
    assert error_of(ec.describe_reserved_cache_nodes_offerings, MaxRecords=5) == (
        "InvalidParameterValue", "Invalid value for max records. Must be between 20 and 100")
    assert error_of(ec.describe_reserved_cache_nodes_offerings, ReservedCacheNodesOfferingId="nope")[0] == \
        "ReservedCacheNodesOfferingNotFound"

    bought = ec.purchase_reserved_cache_nodes_offering(ReservedCacheNodesOfferingId=none["ReservedCacheNodesOfferingId"],
                                                       ReservedCacheNodeId="my-reservation", CacheNodeCount=3,
                                                       Tags=[{"Key": "team", "Value": "cache"}])["ReservedCacheNode"]
    assert bought["State"] == "payment-pending" and bought["CacheNodeCount"] == 3
    assert bought["CacheNodeType"] == "cache.r6g.large" and bought["ReservationARN"].endswith(":reservedinstance:my-reservation")
    assert ec.list_tags_for_resource(ResourceName=bought["ReservationARN"])["TagList"] == [{"Key": "team", "Value": "cache"}]
    eventually(lambda: ec.describe_reserved_cache_nodes(ReservedCacheNodeId="my-reservation")["ReservedCacheNodes"][0]["State"]
               == "active", what="the reservation paid")
    assert [n["ReservedCacheNodeId"] for n in ec.describe_reserved_cache_nodes(CacheNodeType="cache.r6g.large")[
        "ReservedCacheNodes"]] == ["my-reservation"]
    assert ec.describe_reserved_cache_nodes(CacheNodeType="cache.t3.micro")["ReservedCacheNodes"] == []
    assert error_of(ec.purchase_reserved_cache_nodes_offering, ReservedCacheNodesOfferingId=none["ReservedCacheNodesOfferingId"],
                    ReservedCacheNodeId="my-reservation")[0] == "ReservedCacheNodeAlreadyExists"
    assert error_of(ec.purchase_reserved_cache_nodes_offering, ReservedCacheNodesOfferingId="nope")[0] == \
        "ReservedCacheNodesOfferingNotFound"
    assert error_of(ec.purchase_reserved_cache_nodes_offering, ReservedCacheNodesOfferingId=none["ReservedCacheNodesOfferingId"],
                    CacheNodeCount=298)[0] == "ReservedCacheNodeQuotaExceeded"
    assert error_of(ec.describe_reserved_cache_nodes, ReservedCacheNodeId="ghost")[0] == "ReservedCacheNodeNotFound"


def test_service_updates_and_update_actions(cloud):
    ec = cloud.client("elasticache")
    updates = ec.describe_service_updates()["ServiceUpdates"]
    assert {u["Engine"] for u in updates} == {"redis", "valkey", "memcached"}
    redis_update = next(u["ServiceUpdateName"] for u in updates if u["Engine"] == "redis")
    assert error_of(ec.describe_service_updates, ServiceUpdateName="elasticache-19990101-001")[0] == "ServiceUpdateNotFoundFault"

    ec.create_cache_cluster(CacheClusterId="patched", Engine="redis", CacheNodeType="cache.t3.micro")
    ec.create_cache_cluster(CacheClusterId="memo", Engine="memcached", CacheNodeType="cache.t3.micro", NumCacheNodes=2)
    for cluster_id in ("patched", "memo"):
        ec.get_waiter("cache_cluster_available").wait(CacheClusterId=cluster_id, WaiterConfig=FAST)
    actions = ec.describe_update_actions(ServiceUpdateName=redis_update)["UpdateActions"]
    assert [(a["CacheClusterId"], a["UpdateActionStatus"], a["NodesUpdated"]) for a in actions] == [("patched", "not-applied", "0/1")]
    memcached_actions = ec.describe_update_actions(Engine="memcached")["UpdateActions"]
    assert [(a["CacheClusterId"], a["NodesUpdated"]) for a in memcached_actions] == [("memo", "0/2")]

    result = ec.batch_apply_update_action(ServiceUpdateName=redis_update, CacheClusterIds=["patched", "memo", "ghost"])
    assert result["ProcessedUpdateActions"] == [{"CacheClusterId": "patched", "ServiceUpdateName": redis_update,
                                                 "UpdateActionStatus": "in-progress"}]
    assert [(u["CacheClusterId"], u["ErrorType"]) for u in result["UnprocessedUpdateActions"]] == [
        ("memo", "InvalidParameterValue"), ("ghost", "CacheClusterNotFound")]
    eventually(lambda: ec.describe_update_actions(ServiceUpdateName=redis_update, CacheClusterIds=["patched"])[
        "UpdateActions"][0]["UpdateActionStatus"] == "complete", what="the update complete")
    done = ec.describe_update_actions(UpdateActionStatus=["complete"])["UpdateActions"]
    assert [(a["CacheClusterId"], a["NodesUpdated"], a["SlaMet"]) for a in done] == [("patched", "1/1", "yes")]
    # Nothing left to stop once complete.
    stopped = ec.batch_stop_update_action(ServiceUpdateName=redis_update, CacheClusterIds=["patched"])
    assert stopped["ProcessedUpdateActions"] == [] and stopped["UnprocessedUpdateActions"][0]["CacheClusterId"] == "patched"
    assert error_of(ec.batch_apply_update_action, ServiceUpdateName=redis_update)[0] == "InvalidParameterValue"
    assert error_of(ec.batch_apply_update_action, ServiceUpdateName="nope", CacheClusterIds=["patched"])[0] == \
        "ServiceUpdateNotFoundFault"
    assert error_of(ec.describe_update_actions, UpdateActionStatus=["bogus"])[0] == "InvalidParameterValue"


def test_node_type_modifications_and_cache_security_groups(cloud):
    ec = cloud.client("elasticache")
    ec.create_cache_cluster(CacheClusterId="scalable", Engine="redis", CacheNodeType="cache.m5.large")
    ec.create_cache_cluster(CacheClusterId="memo", Engine="memcached", CacheNodeType="cache.t3.micro", NumCacheNodes=1)
    allowed = ec.list_allowed_node_type_modifications(CacheClusterId="scalable")
    assert "cache.r6g.large" in allowed["ScaleUpModifications"] and "cache.t3.micro" in allowed["ScaleDownModifications"]
    assert "cache.m5.large" not in allowed["ScaleUpModifications"] + allowed["ScaleDownModifications"]
    assert not any(".r6gd." in t for t in allowed["ScaleUpModifications"])
    assert ec.list_allowed_node_type_modifications(CacheClusterId="memo")["ScaleUpModifications"] == []
    assert error_of(ec.list_allowed_node_type_modifications)[0] == "InvalidParameterCombination"
    assert error_of(ec.list_allowed_node_type_modifications, CacheClusterId="ghost")[0] == "CacheClusterNotFound"
    assert error_of(ec.list_allowed_node_type_modifications, ReplicationGroupId="ghost")[0] == "ReplicationGroupNotFoundFault"

    assert error_of(ec.create_cache_security_group, CacheSecurityGroupName="classic", Description="x") == (
        "InvalidParameterValue", "Use of cache security groups is not permitted in this API version for your account.")
    assert ec.describe_cache_security_groups()["CacheSecurityGroups"] == []
    assert error_of(ec.describe_cache_security_groups, CacheSecurityGroupName="classic")[0] == "CacheSecurityGroupNotFound"
    assert error_of(ec.authorize_cache_security_group_ingress, CacheSecurityGroupName="classic", EC2SecurityGroupName="web",
                    EC2SecurityGroupOwnerId="123456789012")[0] == "CacheSecurityGroupNotFound"
