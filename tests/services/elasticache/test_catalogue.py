"""Input checked against AWS's catalogue: node types (with the memory a node of that type gives its
data), and the parameters of each family, with AWS's errors. Through boto3 and redis-py."""

from __future__ import annotations

import time

from tests.services.elasticache.memcached_helpers import FAST
from tests.services.elasticache.redis_helpers import admin, error_of

GIB = 1024 ** 3


def test_node_types_are_the_ones_aws_offers(cloud):
    ec = cloud.client("elasticache")
    for bad in ("nope", "cache.r6g.medium", "cache.m3.medium", "cache.t3.huge", "m5.large"):
        assert error_of(ec.create_cache_cluster, CacheClusterId="bad", Engine="redis", CacheNodeType=bad) == \
            ("InvalidParameterValue", f"Invalid Cache Node Type: {bad}.")
        assert error_of(ec.create_replication_group, ReplicationGroupId="bad", ReplicationGroupDescription="x",
                        CacheNodeType=bad) == ("InvalidParameterValue", f"Invalid Cache Node Type: {bad}.")
    assert ec.describe_cache_clusters()["CacheClusters"] == [] and ec.describe_replication_groups()["ReplicationGroups"] == []

    # Every current family is offered, c7gn and r6gd included; the type sets the node's memory.
    ec.create_cache_cluster(CacheClusterId="big", Engine="redis", CacheNodeType="cache.r7g.large")
    ec.create_cache_cluster(CacheClusterId="net", Engine="memcached", CacheNodeType="cache.c7gn.large", NumCacheNodes=1)
    ec.create_replication_group(ReplicationGroupId="tiered", ReplicationGroupDescription="x", CacheNodeType="cache.r6gd.xlarge")
    for cluster_id in ("big", "net"):
        ec.get_waiter("cache_cluster_available").wait(CacheClusterId=cluster_id, WaiterConfig=FAST)
    ec.get_waiter("replication_group_available").wait(ReplicationGroupId="tiered", WaiterConfig=FAST)
    assert error_of(ec.modify_cache_cluster, CacheClusterId="big", CacheNodeType="cache.t9.micro", ApplyImmediately=True) == \
        ("InvalidParameterValue", "Invalid Cache Node Type: cache.t9.micro.")
    assert error_of(ec.modify_replication_group, ReplicationGroupId="tiered", CacheNodeType="nope", ApplyImmediately=True) == \
        ("InvalidParameterValue", "Invalid Cache Node Type: nope.")
    node = ec.describe_cache_clusters(CacheClusterId="big", ShowCacheNodeInfo=True)["CacheClusters"][0]["CacheNodes"][0]
    # ElastiCache's maxmemory for the type, less the 25 % reserved-memory-percent keeps by default.
    total = int(13.07 * GIB)
    assert int(admin(cloud, node["Endpoint"]).config_get("maxmemory")["maxmemory"]) == total - total * 25 // 100


def test_reserved_memory_sets_what_a_node_gives_its_data(cloud):
    ec = cloud.client("elasticache")
    ec.create_cache_parameter_group(CacheParameterGroupName="roomy", CacheParameterGroupFamily="redis7", Description="x")
    ec.create_cache_cluster(CacheClusterId="small", Engine="redis", CacheNodeType="cache.t3.micro", CacheParameterGroupName="roomy")
    ec.get_waiter("cache_cluster_available").wait(CacheClusterId="small", WaiterConfig=FAST)
    node = ec.describe_cache_clusters(CacheClusterId="small", ShowCacheNodeInfo=True)["CacheClusters"][0]["CacheNodes"][0]
    settings = admin(cloud, node["Endpoint"])
    assert int(settings.config_get("maxmemory")["maxmemory"]) == GIB // 2 * 3 // 4
    ec.modify_cache_parameter_group(CacheParameterGroupName="roomy", ParameterNameValues=[
        {"ParameterName": "reserved-memory-percent", "ParameterValue": "50"}])
    deadline = time.monotonic() + 10
    while int(settings.config_get("maxmemory")["maxmemory"]) != GIB // 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert int(settings.config_get("maxmemory")["maxmemory"]) == GIB // 4
    defaults = ec.describe_engine_default_parameters(CacheParameterGroupFamily="redis7")["EngineDefaults"]
    (maxmemory,) = defaults["CacheNodeTypeSpecificParameters"]
    values = {v["CacheNodeType"]: v["Value"] for v in maxmemory["CacheNodeTypeSpecificValues"]}
    assert maxmemory["ParameterName"] == "maxmemory" and values["cache.t3.micro"] == str(GIB // 2)


def test_parameters_are_checked_against_their_family(cloud):
    ec = cloud.client("elasticache")
    for name, family in (("seven", "redis7"), ("three", "redis3.2"), ("mc", "memcached1.6")):
        ec.create_cache_parameter_group(CacheParameterGroupName=name, CacheParameterGroupFamily=family, Description="x")

    def modify(group: str, **values: str):
        return ec.modify_cache_parameter_group(CacheParameterGroupName=group, ParameterNameValues=[
            {"ParameterName": k.replace("_", "-") if group != "mc" else k, "ParameterValue": v} for k, v in values.items()])

    # Parameters AWS lists for the family are accepted, also the ones few people set.
    modify("seven", lazyfree_lazy_expire="yes", hash_max_listpack_entries="256", notify_keyspace_events="Ex")
    modify("three", list_max_ziplist_size="-1", repl_backlog_size="2097152")
    modify("mc", hashpower_init="20", track_sizes="1")
    user = {p["ParameterName"]: p["ParameterValue"] for p in
            ec.describe_cache_parameters(CacheParameterGroupName="seven", Source="user")["Parameters"]}
    assert user == {"lazyfree-lazy-expire": "yes", "hash-max-listpack-entries": "256", "notify-keyspace-events": "Ex"}

    # A name of another family is unknown; AWS's restricted persistence settings are listed but fixed.
    unknown = ("InvalidParameterValue", "Unknown parameter: activedefrag is not a parameter of family redis3.2.")
    assert error_of(modify, group="three", activedefrag="yes") == unknown
    assert error_of(modify, group="seven", list_max_ziplist_size="-1")[0] == "InvalidParameterValue"
    for fixed in ("appendonly", "appendfsync", "maxclients", "lua-time-limit"):
        assert error_of(ec.modify_cache_parameter_group, CacheParameterGroupName="seven", ParameterNameValues=[
            {"ParameterName": fixed, "ParameterValue": "yes"}]) == ("InvalidParameterValue", f"The parameter {fixed} cannot be modified.")
        assert error_of(ec.reset_cache_parameter_group, CacheParameterGroupName="seven", ParameterNameValues=[
            {"ParameterName": fixed}]) == ("InvalidParameterValue", f"The parameter {fixed} cannot be modified.")
    assert error_of(ec.reset_cache_parameter_group, CacheParameterGroupName="three",
                    ParameterNameValues=[{"ParameterName": "activedefrag"}]) == unknown
    everything = {p["ParameterName"]: p for p in ec.describe_cache_parameters(CacheParameterGroupName="seven")["Parameters"]}
    assert everything["appendonly"]["IsModifiable"] is False and everything["appendonly"]["ParameterValue"] == "no"
    # At most 20 parameters a call, as AWS.
    too_many = [{"ParameterName": "timeout", "ParameterValue": "60"}] * 21
    assert error_of(ec.modify_cache_parameter_group, CacheParameterGroupName="seven", ParameterNameValues=too_many) == \
        ("InvalidParameterCombination", "Cannot modify more than 20 parameters in a single request")


def test_an_append_only_file_where_aws_allows_one(cloud):
    """appendonly is a setting of the redis2.8 family only, and takes effect on 2.8.21 and earlier,
    on nodes other than t1/t2, outside Multi-AZ groups."""
    ec = cloud.client("elasticache")
    ec.create_cache_parameter_group(CacheParameterGroupName="aof", CacheParameterGroupFamily="redis2.8", Description="x")
    ec.modify_cache_parameter_group(CacheParameterGroupName="aof", ParameterNameValues=[
        {"ParameterName": "appendonly", "ParameterValue": "yes"}, {"ParameterName": "appendfsync", "ParameterValue": "always"}])
    for cluster_id, version, node_type in (("old", "2.8.21", "cache.t3.micro"), ("newer", "2.8.24", "cache.t3.micro"),
                                           ("burst", "2.8.21", "cache.t2.micro")):
        ec.create_cache_cluster(CacheClusterId=cluster_id, Engine="redis", EngineVersion=version, CacheNodeType=node_type,
                                CacheParameterGroupName="aof")
    ec.create_replication_group(ReplicationGroupId="multi", ReplicationGroupDescription="x", EngineVersion="2.8.21",
                                CacheNodeType="cache.m5.large", CacheParameterGroupName="aof", NumCacheClusters=2,
                                AutomaticFailoverEnabled=True, MultiAZEnabled=True)
    settings = {}
    for cluster_id in ("old", "newer", "burst"):
        ec.get_waiter("cache_cluster_available").wait(CacheClusterId=cluster_id, WaiterConfig=FAST)
        node = ec.describe_cache_clusters(CacheClusterId=cluster_id, ShowCacheNodeInfo=True)["CacheClusters"][0]["CacheNodes"][0]
        settings[cluster_id] = admin(cloud, node["Endpoint"]).config_get("append*")
    ec.get_waiter("replication_group_available").wait(ReplicationGroupId="multi", WaiterConfig=FAST)
    member = ec.describe_cache_clusters(CacheClusterId="multi-001", ShowCacheNodeInfo=True)["CacheClusters"][0]["CacheNodes"][0]
    settings["multi"] = admin(cloud, member["Endpoint"]).config_get("append*")
    assert settings["old"]["appendonly"] == "yes" and settings["old"]["appendfsync"] == "always"
    assert [settings[c]["appendonly"] for c in ("newer", "burst", "multi")] == ["no", "no", "no"]
    # Switched off in the group: the running node stops appending at once.
    ec.modify_cache_parameter_group(CacheParameterGroupName="aof", ParameterNameValues=[
        {"ParameterName": "appendonly", "ParameterValue": "no"}])
    node = ec.describe_cache_clusters(CacheClusterId="old", ShowCacheNodeInfo=True)["CacheClusters"][0]["CacheNodes"][0]
    deadline = time.monotonic() + 10
    while admin(cloud, node["Endpoint"]).config_get("appendonly")["appendonly"] != "no" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert admin(cloud, node["Endpoint"]).config_get("appendonly")["appendonly"] == "no"
