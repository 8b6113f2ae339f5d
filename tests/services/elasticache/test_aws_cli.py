"""The AWS CLI (a real subprocess) against ElastiCache: what users type works unchanged, waiters
included, and errors come back with AWS's code and message."""

from __future__ import annotations

import json

import redis

from tests.services.test_cli_aws import ACCOUNT, aws


def test_replication_group_with_the_aws_cli(cloud):
    created = json.loads(aws(cloud, "elasticache", "create-replication-group", "--replication-group-id", "cli-rg",
                             "--replication-group-description", "made by the CLI", "--engine", "redis",
                             "--cache-node-type", "cache.t3.micro", "--num-cache-clusters", "2",
                             "--automatic-failover-enabled").stdout)["ReplicationGroup"]
    assert created["Status"] == "creating" and created["MemberClusters"] == ["cli-rg-001", "cli-rg-002"]
    assert created["ARN"] == f"arn:aws:elasticache:us-east-1:{ACCOUNT}:replicationgroup:cli-rg"
    aws(cloud, "elasticache", "wait", "replication-group-available", "--replication-group-id", "cli-rg")
    group = json.loads(aws(cloud, "elasticache", "describe-replication-groups", "--replication-group-id", "cli-rg").stdout)
    (node_group,) = group["ReplicationGroups"][0]["NodeGroups"]
    primary = node_group["PrimaryEndpoint"]
    assert redis.Redis(host=primary["Address"], port=primary["Port"]).set("from", "cli")

    nodes = json.loads(aws(cloud, "elasticache", "describe-cache-clusters", "--show-cache-node-info",
                           "--query", "CacheClusters[].CacheNodes[].Endpoint").stdout)
    assert [n["Port"] for n in nodes] == [6379, 6379]

    aws(cloud, "elasticache", "test-failover", "--replication-group-id", "cli-rg", "--node-group-id", "0001")
    messages = json.loads(aws(cloud, "elasticache", "describe-events", "--source-type", "replication-group",
                              "--query", "Events[].Message").stdout)
    assert "Test Failover API called for node group 0001" in messages

    failed = aws(cloud, "elasticache", "create-replication-group", "--replication-group-id", "cli-rg",
                 "--replication-group-description", "again", check=False)
    assert failed.returncode != 0
    assert "(ReplicationGroupAlreadyExists) when calling the CreateReplicationGroup operation: " \
           "Replication group cli-rg already exists." in failed.stderr


def test_memcached_cluster_with_the_aws_cli(cloud):
    aws(cloud, "elasticache", "create-cache-cluster", "--cache-cluster-id", "cli-mc", "--engine", "memcached",
        "--cache-node-type", "cache.t3.micro", "--num-cache-nodes", "2", "--az-mode", "cross-az")
    aws(cloud, "elasticache", "wait", "cache-cluster-available", "--cache-cluster-id", "cli-mc")
    cluster = json.loads(aws(cloud, "elasticache", "describe-cache-clusters", "--cache-cluster-id", "cli-mc",
                             "--show-cache-node-info").stdout)["CacheClusters"][0]
    assert cluster["CacheClusterStatus"] == "available" and cluster["ConfigurationEndpoint"]["Port"] == 11211
    assert [n["CustomerAvailabilityZone"] for n in cluster["CacheNodes"]] == ["us-east-1a", "us-east-1b"]
    aws(cloud, "elasticache", "delete-cache-cluster", "--cache-cluster-id", "cli-mc")
    aws(cloud, "elasticache", "wait", "cache-cluster-deleted", "--cache-cluster-id", "cli-mc")
    missing = aws(cloud, "elasticache", "describe-cache-clusters", "--cache-cluster-id", "cli-mc", check=False)
    assert missing.returncode != 0  # 255 with CLI v1, 254 with v2
    assert "(CacheClusterNotFound) when calling the DescribeCacheClusters operation: CacheCluster not found: cli-mc" in missing.stderr
