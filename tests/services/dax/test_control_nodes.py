"""A cluster's nodes through boto3: more nodes and fewer (named or not), a reboot, and an AZ
outage: the node in the dead zone stops serving and is reported failed, a replica takes over
as primary, and the node serves again when its zone comes back."""

from __future__ import annotations

from tests.services.dax.helpers import (
    ACCOUNT,
    accepts,
    available,
    cluster_of,
    dax_role,
    wait_for,
)
from tests.services.iam_support import error_of


def endpoint(node: dict) -> tuple[str, int]:
    return node["Endpoint"]["Address"], node["Endpoint"]["Port"]


def roles(cloud, name: str) -> dict[str, str]:
    return {e.node_id: e.role for e in cloud.cloud.services.api("dax").endpoints(ACCOUNT, "us-east-1", name)}


def test_the_replication_factor_goes_up_and_down(cloud):
    dax = cloud.client("dax", account=ACCOUNT)
    dax.create_cluster(ClusterName="grow", NodeType="dax.r5.large", ReplicationFactor=1, IamRoleArn=dax_role(cloud))
    available(dax, "grow")
    grown = dax.increase_replication_factor(ClusterName="grow", NewReplicationFactor=4,
                                            AvailabilityZones=["us-east-1c", "us-east-1c", "us-east-1d"])["Cluster"]
    assert grown["Status"] == "modifying" and grown["TotalNodes"] == 4
    cluster = full = available(dax, "grow")
    assert [(n["NodeId"], n["AvailabilityZone"]) for n in cluster["Nodes"]] == [
        ("grow-a", "us-east-1a"), ("grow-b", "us-east-1c"), ("grow-c", "us-east-1c"), ("grow-d", "us-east-1d")]
    assert all(accepts(*endpoint(node)) for node in cluster["Nodes"])
    assert roles(cloud, "grow") == {"grow-a": "primary", "grow-b": "replica", "grow-c": "replica", "grow-d": "replica"}

    shrunk = dax.decrease_replication_factor(ClusterName="grow", NewReplicationFactor=2,
                                             NodeIdsToRemove=["grow-a", "grow-c"])["Cluster"]
    assert shrunk["Status"] == "modifying" and shrunk["NodeIdsToRemove"] == ["grow-a", "grow-c"]
    cluster = available(dax, "grow")
    assert [n["NodeId"] for n in cluster["Nodes"]] == ["grow-b", "grow-d"] and cluster["TotalNodes"] == 2
    assert roles(cloud, "grow") == {"grow-b": "primary", "grow-d": "replica"}  # the primary was removed
    removed = [endpoint(n) for n in full["Nodes"] if n["NodeId"] in ("grow-a", "grow-c")]
    assert len(removed) == 2 and not any(accepts(*where) for where in removed)

    # Unnamed: replicas go first, newest first. A letter is never given again.
    dax.increase_replication_factor(ClusterName="grow", NewReplicationFactor=3)
    assert [n["NodeId"] for n in available(dax, "grow")["Nodes"]] == ["grow-b", "grow-d", "grow-e"]
    dax.decrease_replication_factor(ClusterName="grow", NewReplicationFactor=1)
    assert [n["NodeId"] for n in available(dax, "grow")["Nodes"]] == ["grow-b"]
    messages = [e["Message"] for e in dax.describe_events(SourceName="grow", SourceType="CLUSTER")["Events"]]
    assert "Removed nodes grow-a, grow-c" in messages and "Added node grow-e in availability zone us-east-1c" in messages


def test_replication_factor_refusals(cloud):
    dax = cloud.client("dax", account=ACCOUNT)
    dax.create_cluster(ClusterName="r", NodeType="dax.r5.large", ReplicationFactor=2, IamRoleArn=dax_role(cloud))
    available(dax, "r")
    cases = [
        (lambda: dax.increase_replication_factor(ClusterName="r", NewReplicationFactor=11),
         ("NodeQuotaForClusterExceededFault", "You have attempted to exceed the maximum number of nodes for a DAX "
                                              "cluster.")),
        (lambda: dax.increase_replication_factor(ClusterName="r", NewReplicationFactor=2),
         ("InvalidParameterValueException", "NewReplicationFactor 2 must be greater than the current replication "
                                            "factor 2.")),
        (lambda: dax.increase_replication_factor(ClusterName="r", NewReplicationFactor=4, AvailabilityZones=["us-east-1a"]),
         ("InvalidParameterCombinationException", "The number of AvailabilityZones must equal the number of nodes to "
                                                  "add (2).")),
        (lambda: dax.increase_replication_factor(ClusterName="r", NewReplicationFactor=3, AvailabilityZones=["mars-1a"]),
         ("InvalidParameterValueException", "Invalid availability zone: mars-1a. It is not an availability zone of the "
                                            "subnet group default.")),
        (lambda: dax.decrease_replication_factor(ClusterName="r", NewReplicationFactor=2),
         ("InvalidParameterValueException", "NewReplicationFactor 2 must be at least 1 and less than the current "
                                            "replication factor 2.")),
        (lambda: dax.decrease_replication_factor(ClusterName="r", NewReplicationFactor=1, NodeIdsToRemove=["r-z"]),
         ("NodeNotFoundFault", "Node r-z not found in cluster r.")),
        (lambda: dax.decrease_replication_factor(ClusterName="r", NewReplicationFactor=1, NodeIdsToRemove=["r-a", "r-b"]),
         ("InvalidParameterCombinationException", "The number of NodeIdsToRemove (2) must equal the number of nodes to "
                                                  "remove (1).")),
        (lambda: dax.reboot_node(ClusterName="r", NodeId="r-z"), ("NodeNotFoundFault", "Node r-z not found in cluster r.")),
        (lambda: dax.reboot_node(ClusterName="ghost", NodeId="r-a"), ("ClusterNotFoundFault", "Cluster ghost not found.")),
        (lambda: dax.increase_replication_factor(ClusterName="ghost", NewReplicationFactor=3),
         ("ClusterNotFoundFault", "Cluster ghost not found.")),
    ]
    for call, expected in cases:
        assert error_of(call) == expected
    assert cluster_of(dax, "r")["TotalNodes"] == 2


def test_a_rebooted_node_drops_its_connections_and_comes_back(cloud):
    dax = cloud.client("dax", account=ACCOUNT)
    dax.create_cluster(ClusterName="boot", NodeType="dax.r5.large", ReplicationFactor=2, IamRoleArn=dax_role(cloud))
    node = available(dax, "boot")["Nodes"][1]
    rebooting = dax.reboot_node(ClusterName="boot", NodeId="boot-b")["Cluster"]
    assert [n["NodeStatus"] for n in rebooting["Nodes"]] == ["available", "rebooting"]
    cluster = available(dax, "boot")
    assert endpoint(cluster["Nodes"][1]) == endpoint(node) and accepts(*endpoint(node))
    messages = [e["Message"] for e in dax.describe_events(SourceName="boot")["Events"]]
    assert messages[:2] == ["Node boot-b restarted", "Rebooting node boot-b"]


def test_an_az_outage_fails_the_node_there_and_it_comes_back_cold(cloud):
    dax = cloud.client("dax", account=ACCOUNT)
    dax.create_cluster(ClusterName="zones", NodeType="dax.r5.large", ReplicationFactor=3, IamRoleArn=dax_role(cloud),
                       AvailabilityZones=["us-east-1b", "us-east-1c", "us-east-1d"])
    before = available(dax, "zones")
    primary = before["Nodes"][0]
    assert roles(cloud, "zones")["zones-a"] == "primary"
    cloud.post("/_regionbox/az/us-east-1b/outage")
    try:
        during = cluster_of(dax, "zones")
        assert during["Status"] == "available" and during["ActiveNodes"] == 2
        assert [n["NodeStatus"] for n in during["Nodes"]] == ["failed", "available", "available"]
        assert not accepts(*endpoint(primary))
        assert roles(cloud, "zones") == {"zones-b": "primary", "zones-c": "replica"}
        discovery = during["ClusterDiscoveryEndpoint"]
        assert all(accepts(discovery["Address"], discovery["Port"]) for _ in range(10))  # the live nodes answer it
        assert error_of(lambda: dax.reboot_node(ClusterName="zones", NodeId="zones-a")) == (
            "InvalidClusterStateFault", "Cluster zones is not in available state.")
        # New nodes go where there is capacity.
        dax.increase_replication_factor(ClusterName="zones", NewReplicationFactor=4)
        grown = wait_for(lambda: (c := cluster_of(dax, "zones"))["Status"] == "available" and c, timeout=60)
        assert grown["Nodes"][3]["AvailabilityZone"] != "us-east-1b"
    finally:
        cloud.post("/_regionbox/az/us-east-1b/restore")
    after = available(dax, "zones")
    assert after["ActiveNodes"] == 4 and accepts(*endpoint(primary))
    assert roles(cloud, "zones")["zones-b"] == "primary"  # the role stays where it went
    messages = [e["Message"] for e in dax.describe_events(SourceName="zones")["Events"]]
    assert "Node zones-a is unavailable: availability zone us-east-1b is unavailable" in messages
    assert "Node zones-b is now the primary node" in messages
    assert "Node zones-a recovered with an empty cache" in messages
