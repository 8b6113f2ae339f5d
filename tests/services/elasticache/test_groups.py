"""Parameter groups, subnet groups, engine versions and tags through boto3."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from tests.services.elasticache.memcached_helpers import create_memcached
from tests.services.elasticache.memcached_helpers import describe as describe_cluster
from tests.services.elasticache.redis_helpers import admin, create_group
from tests.services.elasticache.redis_helpers import describe as describe_group


def code_of(call, **params) -> str:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"]


def test_engine_versions(cloud):
    ec = cloud.client("elasticache")
    memcached = ec.describe_cache_engine_versions(Engine="memcached")["CacheEngineVersions"]
    assert memcached[0]["EngineVersion"] == "1.6.22" and memcached[0]["CacheParameterGroupFamily"] == "memcached1.6"
    assert {v["Engine"] for v in memcached} == {"memcached"}
    defaults = ec.describe_cache_engine_versions(DefaultOnly=True)["CacheEngineVersions"]
    assert {(v["Engine"], v["EngineVersion"]) for v in defaults} == {("memcached", "1.6.22"), ("redis", "7.1"), ("valkey", "8.0")}
    family = ec.describe_cache_engine_versions(CacheParameterGroupFamily="redis6.x")["CacheEngineVersions"]
    assert [v["EngineVersion"] for v in family] == ["6.2", "6.0"]
    first = ec.describe_cache_engine_versions(MaxRecords=20)
    second = ec.describe_cache_engine_versions(Marker=first["Marker"])
    assert len(first["CacheEngineVersions"]) == 20 and len(second["CacheEngineVersions"]) == 11
    assert code_of(ec.describe_cache_engine_versions, Marker="forged") == "InvalidParameterValue"


def test_parameter_groups(cloud):
    ec = cloud.client("elasticache")
    created = ec.create_cache_parameter_group(CacheParameterGroupName="Sessions", CacheParameterGroupFamily="redis7",
                                              Description="for sessions")["CacheParameterGroup"]
    assert created == {"CacheParameterGroupName": "sessions", "CacheParameterGroupFamily": "redis7", "Description": "for sessions",
                       "IsGlobal": False, "ARN": "arn:aws:elasticache:us-east-1:000000000000:parametergroup:sessions"}
    assert code_of(ec.create_cache_parameter_group, CacheParameterGroupName="sessions", CacheParameterGroupFamily="redis7",
                   Description="x") == "CacheParameterGroupAlreadyExists"
    assert code_of(ec.create_cache_parameter_group, CacheParameterGroupName="x", CacheParameterGroupFamily="redis99",
                   Description="x") == "InvalidParameterValue"
    names = [g["CacheParameterGroupName"] for g in ec.describe_cache_parameter_groups()["CacheParameterGroups"]]
    assert "default.memcached1.6" in names and "default.redis7" in names and "sessions" in names

    ec.modify_cache_parameter_group(CacheParameterGroupName="sessions", ParameterNameValues=[
        {"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"},
        {"ParameterName": "timeout", "ParameterValue": "60"}])
    user = ec.describe_cache_parameters(CacheParameterGroupName="sessions", Source="user")["Parameters"]
    assert {p["ParameterName"]: p["ParameterValue"] for p in user} == {"maxmemory-policy": "allkeys-lru", "timeout": "60"}
    assert all(p["Source"] == "user" for p in user)
    everything = {p["ParameterName"]: p for p in ec.describe_cache_parameters(CacheParameterGroupName="sessions")["Parameters"]}
    assert everything["tcp-keepalive"]["ParameterValue"] == "300" and everything["tcp-keepalive"]["Source"] == "system"
    assert everything["maxmemory-policy"]["ChangeType"] == "immediate"

    for bad in ({"ParameterName": "no-such-thing", "ParameterValue": "1"},
                {"ParameterName": "maxmemory-policy", "ParameterValue": "sometimes"},
                {"ParameterName": "timeout", "ParameterValue": "5"},  # allowed: 0 or 20 and above
                {"ParameterName": "maxclients", "ParameterValue": "10"}):  # not modifiable
        assert code_of(ec.modify_cache_parameter_group, CacheParameterGroupName="sessions", ParameterNameValues=[bad]) == "InvalidParameterValue"
    assert code_of(ec.modify_cache_parameter_group, CacheParameterGroupName="default.redis7", ParameterNameValues=[
        {"ParameterName": "timeout", "ParameterValue": "60"}]) == "InvalidParameterValue"
    assert code_of(ec.modify_cache_parameter_group, CacheParameterGroupName="ghost", ParameterNameValues=[
        {"ParameterName": "timeout", "ParameterValue": "60"}]) == "CacheParameterGroupNotFound"

    ec.reset_cache_parameter_group(CacheParameterGroupName="sessions", ParameterNameValues=[{"ParameterName": "timeout"}])
    user = ec.describe_cache_parameters(CacheParameterGroupName="sessions", Source="user")["Parameters"]
    assert [p["ParameterName"] for p in user] == ["maxmemory-policy"]
    ec.reset_cache_parameter_group(CacheParameterGroupName="sessions", ResetAllParameters=True)
    assert ec.describe_cache_parameters(CacheParameterGroupName="sessions", Source="user")["Parameters"] == []

    defaults = ec.describe_engine_default_parameters(CacheParameterGroupFamily="memcached1.6")["EngineDefaults"]
    assert defaults["CacheParameterGroupFamily"] == "memcached1.6"
    assert {p["ParameterName"] for p in defaults["Parameters"]} >= {"max_item_size", "chunk_size", "cas_disabled"}
    assert defaults["CacheNodeTypeSpecificParameters"][0]["ParameterName"] == "max_cache_memory"

    ec.delete_cache_parameter_group(CacheParameterGroupName="sessions")
    assert code_of(ec.describe_cache_parameters, CacheParameterGroupName="sessions") == "CacheParameterGroupNotFound"


def test_a_parameter_group_in_use_cannot_be_deleted(cloud):
    ec = cloud.client("elasticache")
    ec.create_cache_parameter_group(CacheParameterGroupName="used", CacheParameterGroupFamily="memcached1.6", Description="x")
    create_memcached(ec, "user-of-group", nodes=1, wait=False, CacheParameterGroupName="used")
    assert code_of(ec.delete_cache_parameter_group, CacheParameterGroupName="used") == "InvalidCacheParameterGroupState"
    assert code_of(ec.delete_cache_parameter_group, CacheParameterGroupName="default.memcached1.6") == "InvalidParameterValue"


def vpc_with_subnets(cloud, zones: list[str], cidr: str = "10.0.0.0/16") -> tuple[str, list[str]]:
    """A VPC of the caller's with one subnet in each zone, through EC2."""
    ec2 = cloud.client("ec2")
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    prefix = cidr.rsplit(".", 2)[0]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"{prefix}.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
               for i, zone in enumerate(zones)]
    return vpc, subnets


def test_subnet_groups(cloud):
    ec = cloud.client("elasticache")
    vpc, (east_b, east_c) = vpc_with_subnets(cloud, ["us-east-1b", "us-east-1c"])
    group = ec.create_cache_subnet_group(CacheSubnetGroupName="private", CacheSubnetGroupDescription="private subnets",
                                         SubnetIds=[east_b, east_c])["CacheSubnetGroup"]
    assert group["CacheSubnetGroupName"] == "private" and group["VpcId"] == vpc
    assert [s["SubnetIdentifier"] for s in group["Subnets"]] == [east_b, east_c]
    assert [s["SubnetAvailabilityZone"]["Name"] for s in group["Subnets"]] == ["us-east-1b", "us-east-1c"]
    assert code_of(ec.create_cache_subnet_group, CacheSubnetGroupName="private", CacheSubnetGroupDescription="x",
                   SubnetIds=[east_b]) == "CacheSubnetGroupAlreadyExists"
    # AWS's answers: a subnet EC2 does not have, and subnets of two VPCs.
    with pytest.raises(ClientError) as missing:
        ec.create_cache_subnet_group(CacheSubnetGroupName="bad", CacheSubnetGroupDescription="x",
                                     SubnetIds=[east_b, "subnet-0123456789abcdef0"])
    assert missing.value.response["Error"] == {"Type": "Sender", "Code": "InvalidParameterValue", "Message":
                                               f"Some input subnets in :[{east_b}, subnet-0123456789abcdef0] are invalid."}
    _, (elsewhere,) = vpc_with_subnets(cloud, ["us-east-1a"], cidr="10.1.0.0/16")
    with pytest.raises(ClientError) as two_vpcs:
        ec.create_cache_subnet_group(CacheSubnetGroupName="bad", CacheSubnetGroupDescription="x", SubnetIds=[east_b, elsewhere])
    assert (two_vpcs.value.response["Error"]["Code"], two_vpcs.value.response["Error"]["Message"]) == (
        "InvalidSubnet", f"Subnets {east_b} and {elsewhere} are not in the same VPC.")
    assert code_of(ec.modify_cache_subnet_group, CacheSubnetGroupName="private", SubnetIds=[east_b, elsewhere]) == "InvalidSubnet"
    assert code_of(ec.describe_cache_subnet_groups, CacheSubnetGroupName="bad") == "CacheSubnetGroupNotFoundFault"
    modified = ec.modify_cache_subnet_group(CacheSubnetGroupName="private", CacheSubnetGroupDescription="changed")
    assert modified["CacheSubnetGroup"]["CacheSubnetGroupDescription"] == "changed"
    create_memcached(ec, "in-private", nodes=1, wait=False, CacheSubnetGroupName="private")
    assert ec.describe_cache_clusters(CacheClusterId="in-private")["CacheClusters"][0]["CacheSubnetGroupName"] == "private"
    assert code_of(ec.delete_cache_subnet_group, CacheSubnetGroupName="private") == "CacheSubnetGroupInUse"
    ec.create_cache_subnet_group(CacheSubnetGroupName="spare", CacheSubnetGroupDescription="x", SubnetIds=[east_c])
    ec.delete_cache_subnet_group(CacheSubnetGroupName="spare")
    assert code_of(ec.describe_cache_subnet_groups, CacheSubnetGroupName="spare") == "CacheSubnetGroupNotFoundFault"
    assert code_of(ec.create_replication_group, ReplicationGroupId="nowhere", ReplicationGroupDescription="x",
                   CacheSubnetGroupName="missing") == "CacheSubnetGroupNotFoundFault"


def test_nodes_go_in_the_zones_of_the_subnet_groups_subnets(cloud):
    ec = cloud.client("elasticache")
    _, subnets = vpc_with_subnets(cloud, ["us-east-1c", "us-east-1d"])
    ec.create_cache_subnet_group(CacheSubnetGroupName="cd", CacheSubnetGroupDescription="c and d", SubnetIds=subnets)
    create_group(ec, "in-cd", NumCacheClusters=3, CacheSubnetGroupName="cd")
    group = describe_group(ec, "in-cd")
    assert [m["PreferredAvailabilityZone"] for m in group["NodeGroups"][0]["NodeGroupMembers"]] == \
        ["us-east-1c", "us-east-1d", "us-east-1c"]
    create_memcached(ec, "mc-cd", nodes=2, AZMode="cross-az", CacheSubnetGroupName="cd")
    assert [n["CustomerAvailabilityZone"] for n in describe_cluster(ec, "mc-cd")["CacheNodes"]] == ["us-east-1c", "us-east-1d"]
    # A zone of the group that is down is skipped; the others of the region are not candidates.
    cloud.post("/_regionbox/az/us-east-1c/outage")
    create_group(ec, "in-d", NumCacheClusters=2, CacheSubnetGroupName="cd")
    assert [m["PreferredAvailabilityZone"] for m in describe_group(ec, "in-d")["NodeGroups"][0]["NodeGroupMembers"]] == \
        ["us-east-1d", "us-east-1d"]


def test_the_default_subnet_group_is_the_default_vpcs_subnets(cloud):
    ec2, ec = cloud.client("ec2"), cloud.client("elasticache")
    # Without its default subnet in us-east-1a, the default VPC has no room there.
    [in_a] = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]},
                                           {"Name": "availability-zone", "Values": ["us-east-1a"]}])["Subnets"]
    ec2.delete_subnet(SubnetId=in_a["SubnetId"])
    create_group(ec, "no-a", NumCacheClusters=2)
    members = describe_group(ec, "no-a")["NodeGroups"][0]["NodeGroupMembers"]
    assert [m["PreferredAvailabilityZone"] for m in members] == ["us-east-1b", "us-east-1c"]


def test_tags_on_clusters_and_groups(cloud):
    ec = cloud.client("elasticache")
    cluster_arn = create_memcached(ec, "tagged", nodes=1, wait=False, Tags=[{"Key": "team", "Value": "web"}])["ARN"]
    assert ec.list_tags_for_resource(ResourceName=cluster_arn)["TagList"] == [{"Key": "team", "Value": "web"}]
    tags = ec.add_tags_to_resource(ResourceName=cluster_arn, Tags=[{"Key": "env", "Value": "test"}, {"Key": "team", "Value": "api"}])
    assert tags["TagList"] == [{"Key": "team", "Value": "api"}, {"Key": "env", "Value": "test"}]
    assert ec.remove_tags_from_resource(ResourceName=cluster_arn, TagKeys=["team"])["TagList"] == [{"Key": "env", "Value": "test"}]
    assert code_of(ec.remove_tags_from_resource, ResourceName=cluster_arn, TagKeys=["absent"]) == "TagNotFound"

    group_arn = ec.create_cache_parameter_group(CacheParameterGroupName="tagged-pg", CacheParameterGroupFamily="redis7",
                                                Description="x")["CacheParameterGroup"]["ARN"]
    ec.add_tags_to_resource(ResourceName=group_arn, Tags=[{"Key": "k", "Value": "v"}])
    assert ec.list_tags_for_resource(ResourceName=group_arn)["TagList"] == [{"Key": "k", "Value": "v"}]

    assert code_of(ec.list_tags_for_resource, ResourceName="arn:aws:elasticache:us-east-1:000000000000:cluster:ghost") == "CacheClusterNotFound"
    assert code_of(ec.list_tags_for_resource, ResourceName="not-an-arn") == "InvalidARN"
    other_account = "arn:aws:elasticache:us-east-1:111111111111:cluster:tagged"
    assert code_of(ec.list_tags_for_resource, ResourceName=other_account) == "CacheClusterNotFound"
    assert code_of(ec.add_tags_to_resource, ResourceName=cluster_arn,
                   Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)]) == "TagQuotaPerResourceExceeded"


def test_parameters_reach_replication_group_nodes(cloud):
    ec = cloud.client("elasticache")
    ec.create_cache_parameter_group(CacheParameterGroupName="rg-params", CacheParameterGroupFamily="redis7", Description="x")
    ec.modify_cache_parameter_group(CacheParameterGroupName="rg-params", ParameterNameValues=[
        {"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lfu"}])
    ec.create_replication_group(ReplicationGroupId="tuned", ReplicationGroupDescription="x", Engine="redis",
                                CacheNodeType="cache.t3.micro", NumCacheClusters=1, CacheParameterGroupName="rg-params")
    ec.get_waiter("replication_group_available").wait(ReplicationGroupId="tuned", WaiterConfig={"Delay": 0.2, "MaxAttempts": 300})
    endpoint = ec.describe_cache_clusters(CacheClusterId="tuned-001", ShowCacheNodeInfo=True)["CacheClusters"][0]["CacheNodes"][0]["Endpoint"]
    node = admin(cloud, endpoint)  # CONFIG is ElastiCache's own, out of clients' reach
    assert node.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lfu"}
    ec.modify_cache_parameter_group(CacheParameterGroupName="rg-params", ParameterNameValues=[
        {"ParameterName": "maxmemory-policy", "ParameterValue": "volatile-ttl"}])
    for _ in range(100):
        if node.config_get("maxmemory-policy") == {"maxmemory-policy": "volatile-ttl"}:
            break
        time.sleep(0.05)
    assert node.config_get("maxmemory-policy") == {"maxmemory-policy": "volatile-ttl"}
