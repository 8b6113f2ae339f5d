"""DAX clusters through boto3: create one, wait for it, reach its nodes and its discovery
endpoint over TCP, see its nodes placed in the subnet group's AZs, delete it; and every refusal
of CreateCluster / DescribeClusters / DeleteCluster / UpdateCluster with AWS's code and message."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.services.dax.helpers import (
    ACCOUNT,
    accepts,
    available,
    cluster_of,
    dax_role,
    gone,
    wait_for,
)
from tests.services.iam_support import error_of
from tests.services.test_iam_enforcement import A, allow, as_session, session


def test_a_cluster_is_created_serves_on_its_nodes_and_is_deleted(cloud):
    dax = cloud.client("dax", account=ACCOUNT)
    role = dax_role(cloud)
    created = dax.create_cluster(ClusterName="Sessions", NodeType="dax.r5.large", ReplicationFactor=3,
                                 IamRoleArn=role, Description="session cache", Tags=[{"Key": "team", "Value": "web"}])
    assert created["Cluster"]["ClusterName"] == "sessions"  # stored lowercase, as DAX does
    assert created["Cluster"]["Status"] == "creating"
    assert created["Cluster"]["ClusterArn"] == f"arn:aws:dax:us-east-1:{ACCOUNT}:cache/sessions"
    assert created["Cluster"]["ClusterDiscoveryEndpoint"]["Port"] == 8111
    assert created["Cluster"]["TotalNodes"] == 3

    cluster = available(dax, "sessions")
    assert cluster["ActiveNodes"] == 3 and cluster["IamRoleArn"] == role
    assert cluster["ParameterGroup"]["ParameterGroupName"] == "default.dax1.0"
    assert cluster["SubnetGroup"] == "default" and cluster["SSEDescription"] == {"Status": "DISABLED"}
    ec2 = cloud.client("ec2", account=ACCOUNT)
    default_group = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}, {
        "Name": "vpc-id", "Values": [ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0][
            "VpcId"]]}])["SecurityGroups"][0]["GroupId"]
    assert cluster["SecurityGroups"] == [{"SecurityGroupIdentifier": default_group, "Status": "active"}]
    window = cluster["PreferredMaintenanceWindow"]  # a 60-minute window AWS picks
    assert len(window) == len("sun:05:00-sun:06:00") and window[3] == ":" and window[9] == "-"
    assert cluster["ClusterEndpointEncryptionType"] == "NONE"
    assert [node["NodeId"] for node in cluster["Nodes"]] == ["sessions-a", "sessions-b", "sessions-c"]
    # One node per AZ of the default subnet group, round robin from the first.
    default_zones = [s["SubnetAvailabilityZone"] for s in
                     dax.describe_subnet_groups(SubnetGroupNames=["default"])["SubnetGroups"][0]["Subnets"]]
    assert [node["AvailabilityZone"] for node in cluster["Nodes"]] == default_zones[:3]
    endpoints = [(node["Endpoint"]["Address"], node["Endpoint"]["Port"]) for node in cluster["Nodes"]]
    assert len(set(endpoints)) == 3 and all(port == 8111 for _, port in endpoints)
    assert all(accepts(*endpoint) for endpoint in endpoints)
    discovery = cluster["ClusterDiscoveryEndpoint"]
    assert discovery["URL"] == f"dax://{discovery['Address']}" and accepts(discovery["Address"], discovery["Port"])

    assert [c["ClusterName"] for c in dax.describe_clusters()["Clusters"]] == ["sessions"]
    deleting = dax.delete_cluster(ClusterName="sessions")["Cluster"]
    assert deleting["Status"] == "deleting"
    gone(dax, "sessions")
    assert not any(accepts(*endpoint) for endpoint in endpoints)
    messages = [event["Message"] for event in dax.describe_events(SourceName="sessions")["Events"]]
    assert messages == ["Cluster deleted", "Cluster created"]


def test_nodes_go_in_the_zones_named_and_in_the_subnet_groups_zones(cloud):
    dax = cloud.client("dax", account=ACCOUNT)
    ec2 = cloud.client("ec2", account=ACCOUNT)
    role = dax_role(cloud)
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.8.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
               for i, zone in enumerate(["us-east-1b", "us-east-1d"])]
    dax.create_subnet_group(SubnetGroupName="private", SubnetIds=subnets)
    dax.create_cluster(ClusterName="spread", NodeType="dax.t3.small", ReplicationFactor=3, IamRoleArn=role,
                       SubnetGroupName="private")
    dax.create_cluster(ClusterName="pinned", NodeType="dax.t3.small", ReplicationFactor=2, IamRoleArn=role,
                       SubnetGroupName="private", AvailabilityZones=["us-east-1d", "us-east-1d"])
    spread, pinned = available(dax, "spread"), available(dax, "pinned")
    assert [n["AvailabilityZone"] for n in spread["Nodes"]] == ["us-east-1b", "us-east-1d", "us-east-1b"]
    assert [n["AvailabilityZone"] for n in pinned["Nodes"]] == ["us-east-1d", "us-east-1d"]
    assert spread["SubnetGroup"] == "private"

    assert error_of(lambda: dax.create_cluster(ClusterName="elsewhere", NodeType="dax.t3.small", ReplicationFactor=1,
                                               IamRoleArn=role, SubnetGroupName="private",
                                               AvailabilityZones=["us-east-1a"])) == (
        "InvalidParameterValueException", "Invalid availability zone: us-east-1a. It is not an "
                              "availability zone of the subnet group private.")
    assert error_of(lambda: dax.delete_subnet_group(SubnetGroupName="private")) == (
        "SubnetGroupInUseFault", "Subnet group private is currently in use by a cluster.")


def test_create_cluster_refusals(cloud):
    dax = cloud.client("dax", account=ACCOUNT)
    role = dax_role(cloud)

    def refused(**params) -> tuple[str, str]:
        arguments = {"ClusterName": "c", "NodeType": "dax.r5.large", "ReplicationFactor": 1, "IamRoleArn": role,
                     **params}
        with pytest.raises(ClientError) as excinfo:
            dax.create_cluster(**arguments)
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]

    bad_name = ("InvalidParameterValueException", "Cluster ID specified is not a valid identifier. Identifiers must "
                "begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a "
                "hyphen or contain two consecutive hyphens.")
    for name in ("1abc", "a--b", "abc-", "a" * 21, "a_b"):
        assert refused(ClusterName=name) == bad_name
    assert refused(NodeType="dax.x9.huge") == ("InvalidParameterValueException", "Invalid node type: dax.x9.huge")
    assert refused(ReplicationFactor=0) == ("InvalidParameterValueException", "ReplicationFactor must be at least 1.")
    assert refused(ReplicationFactor=11) == ("NodeQuotaForClusterExceededFault", "You have attempted to exceed the "
                                             "maximum number of nodes for a DAX cluster.")
    assert refused(ReplicationFactor=2, AvailabilityZones=["us-east-1a"]) == (
        "InvalidParameterCombinationException", "The number of AvailabilityZones must equal the ReplicationFactor.")
    assert refused(IamRoleArn="role") == ("InvalidParameterValueException", "ARNs must start with 'arn:': role")
    assert refused(IamRoleArn="arn:aws:iam") == ("InvalidParameterValueException",
                                                 "Third colon vendor not found: arn:aws:iam")
    missing = f"arn:aws:iam::{ACCOUNT}:role/nobody"
    assert refused(IamRoleArn=missing) == ("InvalidParameterValueException", f"No permission to assume role: {missing}")
    iam = cloud.client("iam", account=ACCOUNT)
    other = iam.create_role(RoleName="lambda-only", AssumeRolePolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},'
        '"Action":"sts:AssumeRole"}]}'))["Role"]["Arn"]
    assert refused(IamRoleArn=other) == ("InvalidParameterValueException", f"No permission to assume role: {other}")
    assert refused(SubnetGroupName="nope") == ("SubnetGroupNotFoundFault", "Subnet group nope not found.")
    assert refused(ParameterGroupName="nope") == ("ParameterGroupNotFoundFault", "Parameter group nope not found.")
    assert refused(SecurityGroupIds=["sg-0000"]) == ("InvalidParameterValueException",
                                                     "Some security group Ids are invalid: sg-0000")
    for window in ("sun:05:00-sun:05:30", "someday"):
        assert refused(PreferredMaintenanceWindow=window) == (
            "InvalidParameterValueException", f"Invalid maintenance window: {window}. The format is "
            "ddd:hh24:mi-ddd:hh24:mi (24H Clock UTC) and the minimum maintenance window is a 60 minute period.")
    assert refused(NotificationTopicArn="topic") == ("InvalidParameterValueException",
                                                     "ARNs must start with 'arn:': topic")
    assert refused(Tags=[{"Key": "aws:x", "Value": "y"}]) == ("InvalidParameterValueException",
                                                              "Tag keys must not start with 'aws:'.")

    dax.create_cluster(ClusterName="c", NodeType="dax.r5.large", ReplicationFactor=1, IamRoleArn=role)
    assert refused(ClusterName="C") == ("ClusterAlreadyExistsFault", "Cluster c already exists.")
    assert [c["ClusterName"] for c in dax.describe_clusters()["Clusters"]] == ["c"]


def test_describe_update_and_delete_refusals(cloud):
    dax = cloud.client("dax", account=ACCOUNT)
    role = dax_role(cloud)
    for call in (lambda: dax.describe_clusters(ClusterNames=["ghost"]),
                 lambda: dax.update_cluster(ClusterName="ghost", Description="x")):
        assert error_of(call) == ("ClusterNotFoundFault", "Cluster ghost not found.")
    # DeleteCluster's message names no cluster.
    assert error_of(lambda: dax.delete_cluster(ClusterName="ghost")) == ("ClusterNotFoundFault", "Cluster not found.")
    assert error_of(lambda: dax.describe_clusters(ClusterNames=["no--name"])) == (
        "InvalidParameterValueException", "Cluster ID specified is not a valid identifier. Identifiers must begin "
        "with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or "
        "contain two consecutive hyphens.")
    assert error_of(lambda: dax.describe_clusters(MaxResults=5)) == (
        "InvalidParameterValueException", "The value for MaxResults must be between 20 and 100.")

    # A cluster whose only AZ is down waits for it in "creating", and takes no change meanwhile.
    ec2 = cloud.client("ec2", account=ACCOUNT)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.0.0/24", AvailabilityZone="us-east-1e")["Subnet"]["SubnetId"]
    dax.create_subnet_group(SubnetGroupName="one-zone", SubnetIds=[subnet])
    cloud.post("/_regionbox/az/us-east-1e/outage")
    try:
        dax.create_cluster(ClusterName="busy", NodeType="dax.r5.large", ReplicationFactor=1, IamRoleArn=role,
                           SubnetGroupName="one-zone")
        assert cluster_of(dax, "busy")["Status"] == "creating"
        for call in (lambda: dax.update_cluster(ClusterName="busy", Description="x"),
                     lambda: dax.increase_replication_factor(ClusterName="busy", NewReplicationFactor=2),
                     lambda: dax.decrease_replication_factor(ClusterName="busy", NewReplicationFactor=1),
                     lambda: dax.reboot_node(ClusterName="busy", NodeId="busy-a")):
            assert error_of(call) == ("InvalidClusterStateFault", "Cluster busy is not in available state.")
        # Nodes pinned to a zone that is down: AWS has no capacity there.
        assert error_of(lambda: dax.create_cluster(ClusterName="pinned", NodeType="dax.r5.large", ReplicationFactor=1,
                                                   IamRoleArn=role, SubnetGroupName="one-zone",
                                                   AvailabilityZones=["us-east-1e"])) == (
            "InsufficientClusterCapacityFault", "There is not enough capacity in availability "
                                  "zone us-east-1e for the requested node type.")
    finally:
        cloud.post("/_regionbox/az/us-east-1e/restore")
    available(dax, "busy")
    updated = dax.update_cluster(ClusterName="busy", Description="now described", PreferredMaintenanceWindow=
                                 "mon:01:00-mon:02:00", NotificationTopicArn="arn:aws:sns:us-east-1:123456789012:t")
    assert updated["Cluster"]["Description"] == "now described"
    assert updated["Cluster"]["PreferredMaintenanceWindow"] == "mon:01:00-mon:02:00"
    assert updated["Cluster"]["NotificationConfiguration"] == {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t",
                                                               "TopicStatus": "active"}
    assert error_of(lambda: dax.update_cluster(ClusterName="busy", ParameterGroupName="nope")) == (
        "ParameterGroupNotFoundFault", "Parameter group nope not found.")
    dax.delete_cluster(ClusterName="busy")
    assert error_of(lambda: dax.delete_cluster(ClusterName="busy")) in {
        ("InvalidClusterStateFault", "Cluster busy is not in available state."),
                               ("ClusterNotFoundFault", "Cluster not found.")}  # already gone
    gone(dax, "busy")


def test_clusters_page_and_are_kept_per_account_and_region(cloud):
    role = dax_role(cloud)
    dax = cloud.client("dax", account=ACCOUNT)
    for index in range(21):
        dax.create_cluster(ClusterName=f"c{index}", NodeType="dax.t3.small", ReplicationFactor=1, IamRoleArn=role)
    first = dax.describe_clusters(MaxResults=20)
    second = dax.describe_clusters(MaxResults=20, NextToken=first["NextToken"])
    assert len(first["Clusters"]) == 20 and [c["ClusterName"] for c in second["Clusters"]] == ["c20"]
    assert "NextToken" not in second
    assert cloud.client("dax", account=ACCOUNT, region="eu-west-1").describe_clusters()["Clusters"] == []
    for index in range(21):
        wait_for(lambda: cluster_of(dax, f"c{index}")["Status"] == "available", timeout=60)
        dax.delete_cluster(ClusterName=f"c{index}")


def test_a_cluster_deleted_while_it_is_created_leaves_nothing_listening(cloud):
    dax = cloud.client("dax", account=ACCOUNT)
    dax.create_cluster(ClusterName="brief", NodeType="dax.r5.large", ReplicationFactor=3, IamRoleArn=dax_role(cloud))
    dax.delete_cluster(ClusterName="brief")
    gone(dax, "brief")
    assert cloud.cloud.listeners.of("dax") == []


def test_management_actions_are_authorized_on_star_not_on_a_cluster_arn(cloud):
    # AWS: "For the DAX management APIs, you can't scope API actions to a specific resource."
    role = dax_role(cloud, account=A)
    cluster_arn = f"arn:aws:dax:us-east-1:{A}:cache/mine"
    cloud.client("dax", account=A).create_cluster(ClusterName="mine", NodeType="dax.t3.small", ReplicationFactor=1,
                                                  IamRoleArn=role)
    scoped = as_session(cloud, "dax", session(cloud, "scoped", account=A, inline=[allow("dax:*", cluster_arn)]))
    code, message = error_of(lambda: scoped.describe_clusters(ClusterNames=["mine"]))
    assert code == "AccessDeniedException" and "dax:DescribeClusters" in message
    anywhere = as_session(cloud, "dax", session(cloud, "anywhere", account=A, inline=[allow("dax:DescribeClusters")]))
    assert [c["ClusterName"] for c in anywhere.describe_clusters(ClusterNames=["mine"])["Clusters"]] == ["mine"]
    assert error_of(lambda: anywhere.delete_cluster(ClusterName="mine"))[0] == "AccessDeniedException"
