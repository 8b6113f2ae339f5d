"""Parameter groups, subnet groups, engine versions and tags through boto3."""

from __future__ import annotations

import time

import pytest
import redis
from botocore.exceptions import ClientError

from tests.services.elasticache.memcached_helpers import create_memcached


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
    assert len(first["CacheEngineVersions"]) == 20 and len(second["CacheEngineVersions"]) == 5
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


def test_subnet_groups(cloud):
    ec = cloud.client("elasticache")
    group = ec.create_cache_subnet_group(CacheSubnetGroupName="private", CacheSubnetGroupDescription="private subnets",
                                         SubnetIds=["subnet-0a1b2c3d", "subnet-0e0f1a2b"])["CacheSubnetGroup"]
    assert group["CacheSubnetGroupName"] == "private" and group["VpcId"].startswith("vpc-")
    assert [s["SubnetIdentifier"] for s in group["Subnets"]] == ["subnet-0a1b2c3d", "subnet-0e0f1a2b"]
    assert all(s["SubnetAvailabilityZone"]["Name"].startswith("us-east-1") for s in group["Subnets"])
    assert code_of(ec.create_cache_subnet_group, CacheSubnetGroupName="private", CacheSubnetGroupDescription="x",
                   SubnetIds=["subnet-0a1b2c3d"]) == "CacheSubnetGroupAlreadyExists"
    assert code_of(ec.create_cache_subnet_group, CacheSubnetGroupName="bad", CacheSubnetGroupDescription="x",
                   SubnetIds=["not-a-subnet"]) == "InvalidSubnet"
    modified = ec.modify_cache_subnet_group(CacheSubnetGroupName="private", CacheSubnetGroupDescription="changed")
    assert modified["CacheSubnetGroup"]["CacheSubnetGroupDescription"] == "changed"
    create_memcached(ec, "in-private", nodes=1, wait=False, CacheSubnetGroupName="private")
    assert ec.describe_cache_clusters(CacheClusterId="in-private")["CacheClusters"][0]["CacheSubnetGroupName"] == "private"
    assert code_of(ec.delete_cache_subnet_group, CacheSubnetGroupName="private") == "CacheSubnetGroupInUse"
    ec.create_cache_subnet_group(CacheSubnetGroupName="spare", CacheSubnetGroupDescription="x", SubnetIds=["subnet-0123abcd"])
    ec.delete_cache_subnet_group(CacheSubnetGroupName="spare")
    assert code_of(ec.describe_cache_subnet_groups, CacheSubnetGroupName="spare") == "CacheSubnetGroupNotFoundFault"


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
    node = redis.Redis(host=endpoint["Address"], port=endpoint["Port"])
    assert node.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lfu"}
    ec.modify_cache_parameter_group(CacheParameterGroupName="rg-params", ParameterNameValues=[
        {"ParameterName": "maxmemory-policy", "ParameterValue": "volatile-ttl"}])
    for _ in range(100):
        if node.config_get("maxmemory-policy") == {"maxmemory-policy": "volatile-ttl"}:
            break
        time.sleep(0.05)
    assert node.config_get("maxmemory-policy") == {"maxmemory-policy": "volatile-ttl"}
