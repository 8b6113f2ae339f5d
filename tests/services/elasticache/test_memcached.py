"""Memcached clusters through boto3, used by pymemcache with auto-discovery: the configuration
endpoint's answers, node changes bumping the version, forwarding, AZ outages, threads."""

from __future__ import annotations

import socket

import pytest
from pymemcache.client.base import Client
from pymemcache.client.hash import HashClient
from pymemcache.exceptions import MemcacheClientError, MemcacheUnexpectedCloseError

from tests.services.elasticache.memcached_helpers import create_memcached, describe, discover, modify_and_wait, read_until


def node_endpoints(cluster: dict) -> list[tuple[str, int]]:
    return [(n["Endpoint"]["Address"], n["Endpoint"]["Port"]) for n in cluster["CacheNodes"]]


def test_auto_discovery_follows_nodes_added_and_removed(cloud):
    ec = cloud.client("elasticache")
    create_memcached(ec, "sessions", nodes=2, AZMode="cross-az")
    cluster = describe(ec, "sessions")
    endpoint = cluster["ConfigurationEndpoint"]
    assert endpoint["Port"] == 11211
    version, nodes = discover(endpoint)
    assert nodes == node_endpoints(cluster) and len(set(a for a, _ in nodes)) == 2

    client = HashClient(nodes, default_noreply=False)
    for i in range(200):
        client.set(f"key{i}", f"value{i}".encode())
    assert all(Client(node).stats()[b"curr_items"] > 0 for node in nodes)  # spread over both nodes

    modify_and_wait(ec, "sessions", NumCacheNodes=3, NewAvailabilityZones=["us-east-1c"])
    grown = describe(ec, "sessions")
    assert [n["CacheNodeId"] for n in grown["CacheNodes"]] == ["0001", "0002", "0003"]
    assert grown["CacheNodes"][2]["CustomerAvailabilityZone"] == "us-east-1c"
    new_version, nodes = discover(endpoint)
    assert new_version > version and len(nodes) == 3 and nodes == node_endpoints(grown)
    client = HashClient(nodes, default_noreply=False)
    for i in range(200):
        client.set(f"key{i}", f"value{i}".encode())
    assert client.get_many([f"key{i}" for i in range(200)]) == {f"key{i}": f"value{i}".encode() for i in range(200)}
    assert Client(nodes[2]).stats()[b"curr_items"] > 0

    removed = grown["CacheNodes"][0]["Endpoint"]
    modify_and_wait(ec, "sessions", NumCacheNodes=2, CacheNodeIdsToRemove=["0001"])
    shrunk = describe(ec, "sessions")
    assert [n["CacheNodeId"] for n in shrunk["CacheNodes"]] == ["0002", "0003"] and shrunk["NumCacheNodes"] == 2
    last_version, nodes = discover(endpoint)
    assert last_version > new_version and (removed["Address"], removed["Port"]) not in nodes
    with pytest.raises(OSError):
        socket.create_connection((removed["Address"], removed["Port"]), timeout=2).close()
    client = HashClient(nodes, default_noreply=False)
    client.set("after", b"shrink")
    assert client.get("after") == b"shrink"

    messages = [e["Message"] for e in cloud.client("elasticache").describe_events(SourceIdentifier="sessions")["Events"]]
    assert "Added cache node 0003 in availability zone us-east-1c" in messages
    assert "Removed cache nodes 0001" in messages and "Cache cluster created" in messages


def test_legacy_discovery_key_and_forwarding(cloud):
    ec = cloud.client("elasticache")
    create_memcached(ec, "legacy", nodes=1, EngineVersion="1.4.5")
    cluster = describe(ec, "legacy")
    assert cluster["EngineVersion"] == "1.4.5"
    endpoint = cluster["ConfigurationEndpoint"]
    version, nodes = discover(endpoint, b"get AmazonElastiCache:cluster")
    assert nodes == node_endpoints(cluster)
    # It is an ordinary item to a memcached client: the body is the version and the node list.
    listing = Client((endpoint["Address"], endpoint["Port"])).get("AmazonElastiCache:cluster")
    (host, ip, port), = [entry.split("|") for entry in listing.decode().split("\n")[1].split()]
    assert listing.decode().split("\n")[0] == str(version) and (ip, int(port)) == nodes[0]
    # Everything else goes to a node, in order, even pipelined with configuration requests.
    with socket.create_connection((endpoint["Address"], endpoint["Port"])) as sock:
        sock.sendall(b"set k 0 0 5\r\nhello\r\nconfig get cluster\r\nget k\r\nmn\r\nconfig get nothing\r\n")
        answer = read_until(sock, b"ERROR\r\n")
    assert answer.startswith(b"STORED\r\nCONFIG cluster 0 ")
    assert answer.endswith(b"END\r\nVALUE k 0 5\r\nhello\r\nEND\r\nMN\r\nERROR\r\n")
    client = Client(nodes[0])
    assert client.get("k") == b"hello"  # it really is on the node
    config_client = Client((endpoint["Address"], endpoint["Port"]))
    with pytest.raises(MemcacheClientError, match="non-numeric"):  # the node's own error passes through
        config_client.incr("k", 1)
    assert config_client.set("n", b"41", noreply=False)
    assert config_client.incr("n", 1) == 42 and client.get("n") == b"42"


def test_nodes_are_placed_in_the_zones_asked_and_an_outage_kills_them(cloud):
    ec = cloud.client("elasticache")
    create_memcached(ec, "zonal", nodes=3, PreferredAvailabilityZones=["us-east-1a", "us-east-1b", "us-east-1b"])
    cluster = describe(ec, "zonal")
    assert [n["CustomerAvailabilityZone"] for n in cluster["CacheNodes"]] == ["us-east-1a", "us-east-1b", "us-east-1b"]
    assert cluster["PreferredAvailabilityZone"] == "Multiple"
    addresses = {n["Endpoint"]["Address"] for n in cluster["CacheNodes"]}
    assert len(addresses) == 3 and all(a.startswith("127.") and a != "127.0.0.1" for a in addresses)
    node_a = node_endpoints(cluster)[0]
    Client(node_a, default_noreply=False).set("x", b"1")

    cloud.run(cloud.cloud.topology.outage("us-east-1a"))
    during = describe(ec, "zonal")
    assert [n["CacheNodeStatus"] for n in during["CacheNodes"]] == ["failed", "available", "available"]
    with pytest.raises(OSError):
        socket.create_connection(node_a, timeout=2).close()
    _, nodes = discover(during["ConfigurationEndpoint"])
    assert len(nodes) == 3  # a failed node stays a member, as on AWS, until it recovers
    survivors = HashClient(nodes[1:], default_noreply=False)
    survivors.set("still", b"works")
    assert survivors.get("still") == b"works"

    cloud.run(cloud.cloud.topology.restore("us-east-1a"))
    after = describe(ec, "zonal")
    assert [n["CacheNodeStatus"] for n in after["CacheNodes"]] == ["available"] * 3
    assert Client(node_a).get("x") is None  # a power loss empties memcached
    messages = [e["Message"] for e in ec.describe_events(SourceIdentifier="zonal")["Events"]]
    assert "Recovering cache nodes 0001" in messages and "Finished recovery for cache nodes 0001" in messages


def test_threads_follow_the_node_type_and_parameters_reach_the_flags(cloud):
    ec = cloud.client("elasticache")
    ec.create_cache_parameter_group(CacheParameterGroupName="big-items", CacheParameterGroupFamily="memcached1.6",
                                    Description="2 MB items")
    ec.modify_cache_parameter_group(CacheParameterGroupName="big-items",
                                    ParameterNameValues=[{"ParameterName": "max_item_size", "ParameterValue": "2097152"}])
    create_memcached(ec, "threaded", nodes=1, CacheNodeType="cache.m5.xlarge", CacheParameterGroupName="big-items")
    node = node_endpoints(describe(ec, "threaded"))[0]
    client = Client(node)
    assert client.stats()[b"threads"] == 4  # cache.m5.xlarge: 4 vCPUs
    assert client.stats("settings")[b"item_size_max"] == 2097152
    client.set("large", b"x" * 1_500_000)
    assert len(client.get("large")) == 1_500_000

    # A changed static parameter waits for a reboot, then the node restarts with it.
    ec.modify_cache_parameter_group(CacheParameterGroupName="big-items",
                                    ParameterNameValues=[{"ParameterName": "max_item_size", "ParameterValue": "4194304"}])
    pending = describe(ec, "threaded")
    for _ in range(50):
        if pending["CacheParameterGroup"]["ParameterApplyStatus"] == "pending-reboot":
            break
        pending = describe(ec, "threaded")
    assert pending["CacheNodes"][0]["ParameterGroupStatus"] == "pending-reboot"
    rebooting = ec.reboot_cache_cluster(CacheClusterId="threaded", CacheNodeIdsToReboot=["0001"])["CacheCluster"]
    assert rebooting["CacheClusterStatus"] == "rebooting cache cluster nodes"
    ec.get_waiter("cache_cluster_available").wait(CacheClusterId="threaded", WaiterConfig={"Delay": 0.2, "MaxAttempts": 300})
    assert Client(node).stats("settings")[b"item_size_max"] == 4194304
    assert describe(ec, "threaded")["CacheNodes"][0]["ParameterGroupStatus"] == "in-sync"


def test_encryption_in_transit(cloud):
    import ssl

    ec = cloud.client("elasticache")
    with pytest.raises(ec.exceptions.ClientError) as old_version:
        create_memcached(ec, "old-tls", nodes=1, EngineVersion="1.6.6", TransitEncryptionEnabled=True)
    assert old_version.value.response["Error"]["Code"] == "InvalidParameterCombination"

    create_memcached(ec, "tls", nodes=2, TransitEncryptionEnabled=True)
    cluster = describe(ec, "tls")
    assert cluster["TransitEncryptionEnabled"]
    tls = ssl.create_default_context(cafile=str(cloud.cloud.ca.ensure()))
    _, nodes = discover(cluster["ConfigurationEndpoint"], tls=tls)
    assert nodes == node_endpoints(cluster)
    client = HashClient(nodes, default_noreply=False, tls_context=tls)
    client.set("secret", b"over tls")
    assert client.get("secret") == b"over tls"
    with pytest.raises((ConnectionError, MemcacheUnexpectedCloseError)):  # plain text is refused
        Client(nodes[0], connect_timeout=2, timeout=2).version()
