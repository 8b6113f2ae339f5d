"""Parameter groups, subnet groups, events and tags of DAX through boto3, with AWS's refusals.
A parameter group's TTLs reach the running nodes of the clusters that use it at once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.services.dax.helpers import ACCOUNT, available, dax_role
from tests.services.iam_support import error_of

DEFAULTS = [
    {"ParameterName": "query-ttl-millis", "ParameterType": "DEFAULT", "ParameterValue": "300000",
     "NodeTypeSpecificValues": [], "Description": "Duration in milliseconds for queries to remain cached",
     "Source": "user", "DataType": "integer", "AllowedValues": "0-", "IsModifiable": "TRUE", "ChangeType": "IMMEDIATE"},
    {"ParameterName": "record-ttl-millis", "ParameterType": "DEFAULT", "ParameterValue": "300000",
     "NodeTypeSpecificValues": [], "Description": "Duration in milliseconds for records to remain valid in cache "
     "(Default: 0 = infinite)", "Source": "user", "DataType": "integer", "AllowedValues": "0-", "IsModifiable": "TRUE",
     "ChangeType": "IMMEDIATE"},
]


def test_parameter_groups_and_their_ttls_on_running_nodes(cloud):
    dax = cloud.client("dax", account=ACCOUNT)
    assert dax.describe_default_parameters()["Parameters"] == DEFAULTS
    assert dax.describe_parameters(ParameterGroupName="default.dax1.0")["Parameters"] == DEFAULTS
    created = dax.create_parameter_group(ParameterGroupName="Fast", Description="short TTLs")["ParameterGroup"]
    assert created == {"ParameterGroupName": "fast", "Description": "short TTLs"}
    assert dax.describe_parameter_groups()["ParameterGroups"] == [
        {"ParameterGroupName": "default.dax1.0", "Description": "Default parameter group for dax1.0"}, created]
    dax.create_cluster(ClusterName="ttl", NodeType="dax.r5.xlarge", ReplicationFactor=1, IamRoleArn=dax_role(cloud),
                       ParameterGroupName="fast")
    available(dax, "ttl")
    api = cloud.cloud.services.api("dax")
    settings = api.settings(ACCOUNT, "us-east-1", "ttl")
    assert (settings.record_ttl_ms, settings.query_ttl_ms, settings.memory_bytes) == (300000, 300000, 32 * 1024 ** 3)

    dax.update_parameter_group(ParameterGroupName="fast", ParameterNameValues=[
        {"ParameterName": "record-ttl-millis", "ParameterValue": "1000"},
        {"ParameterName": "query-ttl-millis", "ParameterValue": "0"}])
    settings = api.settings(ACCOUNT, "us-east-1", "ttl")
    assert (settings.record_ttl_ms, settings.query_ttl_ms) == (1000, 0)  # applied to the running node at once
    values = {p["ParameterName"]: p["ParameterValue"] for p in dax.describe_parameters(ParameterGroupName="fast")["Parameters"]}
    assert values == {"record-ttl-millis": "1000", "query-ttl-millis": "0"}
    assert dax.describe_parameters(ParameterGroupName="fast", Source="system")["Parameters"] == []

    # Back to the default group through UpdateCluster: the node takes its TTLs too.
    dax.update_cluster(ClusterName="ttl", ParameterGroupName="default.dax1.0")
    assert api.settings(ACCOUNT, "us-east-1", "ttl").record_ttl_ms == 300000
    dax.update_cluster(ClusterName="ttl", ParameterGroupName="fast")
    assert error_of(lambda: dax.delete_parameter_group(ParameterGroupName="fast")) == (
        "InvalidParameterGroupStateFault", "Parameter group fast is in use by cluster(s): ttl.")
    events = dax.describe_events(SourceType="PARAMETER_GROUP")["Events"]
    assert [e["Message"] for e in events] == ["Parameter group fast changed: query-ttl-millis, record-ttl-millis",
                                              "Parameter group fast created"]


def test_parameter_group_refusals(cloud):
    dax = cloud.client("dax", account=ACCOUNT)
    dax.create_parameter_group(ParameterGroupName="p")
    assert error_of(lambda: dax.create_parameter_group(ParameterGroupName="P")) == (
        "ParameterGroupAlreadyExistsFault", "Parameter group p already exists.")
    assert error_of(lambda: dax.create_parameter_group(ParameterGroupName="default.dax1.0")) == (
        "ParameterGroupAlreadyExistsFault", "Parameter group default.dax1.0 already exists.")
    assert error_of(lambda: dax.create_parameter_group(ParameterGroupName="9lives")) == (
        "InvalidParameterValueException", "Invalid Parameter group name: 9lives. Parameter group names must begin "
        "with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or "
        "contain two consecutive hyphens.")
    for call in (lambda: dax.describe_parameters(ParameterGroupName="nope"),
                 lambda: dax.describe_parameter_groups(ParameterGroupNames=["nope"]),
                 lambda: dax.delete_parameter_group(ParameterGroupName="nope"),
                 lambda: dax.update_parameter_group(ParameterGroupName="nope", ParameterNameValues=[
                     {"ParameterName": "record-ttl-millis", "ParameterValue": "1"}])):
        assert error_of(call) == ("ParameterGroupNotFoundFault", "Parameter group nope not found.")
    assert error_of(lambda: dax.update_parameter_group(ParameterGroupName="default.dax1.0", ParameterNameValues=[
        {"ParameterName": "record-ttl-millis", "ParameterValue": "1"}])) == (
        "InvalidParameterGroupStateFault", "Parameter group default.dax1.0 is a default parameter group and cannot be "
        "modified.")
    assert error_of(lambda: dax.delete_parameter_group(ParameterGroupName="default.dax1.0")) == (
        "InvalidParameterGroupStateFault", "Parameter group default.dax1.0 is a default parameter group and cannot be "
        "deleted.")
    assert error_of(lambda: dax.update_parameter_group(ParameterGroupName="p", ParameterNameValues=[
        {"ParameterName": "maxmemory", "ParameterValue": "1"}])) == (
        "InvalidParameterValueException", "Unsupported parameter name: maxmemory. record-ttl-millis and "
        "query-ttl-millis are the only supported parameter names.")
    assert error_of(lambda: dax.update_parameter_group(ParameterGroupName="p", ParameterNameValues=[
        {"ParameterName": "record-ttl-millis", "ParameterValue": "-5"}])) == (
        "InvalidParameterValueException", "Invalid value for parameter record-ttl-millis: -5. Allowed values: 0-")
    assert error_of(lambda: dax.describe_parameters(ParameterGroupName="p", Source="mine")) == (
        "InvalidParameterValueException", "Invalid value for parameter Source: mine. Valid values are: user, system")
    assert error_of(lambda: dax.describe_default_parameters(MaxResults=101)) == (
        "InvalidParameterValueException", "The value for MaxResults must be between 20 and 100.")
    assert error_of(lambda: dax.describe_parameter_groups(NextToken="forged")) == (
        "InvalidParameterValueException", "Invalid NextToken.")
    assert dax.delete_parameter_group(ParameterGroupName="p")["DeletionMessage"] == "Parameter group p has been deleted."


def test_subnet_groups(cloud):
    dax = cloud.client("dax", account=ACCOUNT)
    ec2 = cloud.client("ec2", account=ACCOUNT)
    default = dax.describe_subnet_groups()["SubnetGroups"][0]
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    assert default["SubnetGroupName"] == "default" and default["VpcId"] == default_vpc
    assert {s["SubnetAvailabilityZone"] for s in default["Subnets"]} == {
        s["AvailabilityZone"] for s in ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]}

    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    first, second = (ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.7.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
                     for i, zone in enumerate(["us-east-1a", "us-east-1b"]))
    group = dax.create_subnet_group(SubnetGroupName="Mine", Description="two", SubnetIds=[first])["SubnetGroup"]
    assert group == {"SubnetGroupName": "mine", "Description": "two", "VpcId": vpc, "SupportedNetworkTypes": ["ipv4"],
                     "Subnets": [{"SubnetIdentifier": first, "SubnetAvailabilityZone": "us-east-1a",
                                  "SupportedNetworkTypes": ["ipv4"]}]}
    updated = dax.update_subnet_group(SubnetGroupName="mine", SubnetIds=[first, second], Description="both")["SubnetGroup"]
    assert [s["SubnetIdentifier"] for s in updated["Subnets"]] == [first, second] and updated["Description"] == "both"
    assert [g["SubnetGroupName"] for g in dax.describe_subnet_groups()["SubnetGroups"]] == ["default", "mine"]

    dax.create_cluster(ClusterName="in-mine", NodeType="dax.t3.small", ReplicationFactor=1, IamRoleArn=dax_role(cloud),
                       SubnetGroupName="mine")
    assert available(dax, "in-mine")["Nodes"][0]["AvailabilityZone"] == "us-east-1a"
    assert error_of(lambda: dax.update_subnet_group(SubnetGroupName="mine", SubnetIds=[second])) == (
        "SubnetInUse", f"The subnets {first} are in use by cluster nodes.")
    assert error_of(lambda: dax.delete_subnet_group(SubnetGroupName="mine")) == (
        "SubnetGroupInUseFault", "Subnet group mine is currently in use by a cluster.")
    assert error_of(lambda: dax.create_subnet_group(SubnetGroupName="mine", SubnetIds=[first])) == (
        "SubnetGroupAlreadyExistsFault", "Subnet group mine already exists.")
    assert error_of(lambda: dax.create_subnet_group(SubnetGroupName="other", SubnetIds=["subnet-0000"])) == (
        "InvalidSubnet", "The subnet ID subnet-0000 does not exist.")
    default_subnet = default["Subnets"][0]["SubnetIdentifier"]
    assert error_of(lambda: dax.create_subnet_group(SubnetGroupName="other", SubnetIds=[first, default_subnet])) == (
        "InvalidSubnet", "The subnets must all be in the same VPC.")
    for call in (lambda: dax.describe_subnet_groups(SubnetGroupNames=["nope"]),
                 lambda: dax.update_subnet_group(SubnetGroupName="nope", Description="x"),
                 lambda: dax.delete_subnet_group(SubnetGroupName="nope")):
        assert error_of(call) == ("SubnetGroupNotFoundFault", "Subnet group nope not found.")
    assert error_of(lambda: dax.delete_subnet_group(SubnetGroupName="default")) == (
        "SubnetGroupInUseFault", "The default subnet group cannot be deleted.")
    many = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.7.{i}.0/28", AvailabilityZone="us-east-1c")["Subnet"]["SubnetId"]
            for i in range(10, 31)]
    assert error_of(lambda: dax.create_subnet_group(SubnetGroupName="many", SubnetIds=many)) == (
        "SubnetQuotaExceededFault", "The request cannot be processed because it would exceed the allowed number of "
        "subnets in a subnet group.")
    dax.create_subnet_group(SubnetGroupName="spare", SubnetIds=[second])
    assert dax.delete_subnet_group(SubnetGroupName="spare")["DeletionMessage"] == "Subnet group spare has been deleted."
    assert [e["Message"] for e in dax.describe_events(SourceType="SUBNET_GROUP")["Events"]] == [
        "Subnet group spare deleted", "Subnet group spare created", "Subnet group mine updated",
        "Subnet group mine created"]


def test_tags_of_a_cluster(cloud):
    dax = cloud.client("dax", account=ACCOUNT)
    arn = dax.create_cluster(ClusterName="tagged", NodeType="dax.t3.small", ReplicationFactor=1,
                             IamRoleArn=dax_role(cloud), Tags=[{"Key": "env", "Value": "dev"}])["Cluster"]["ClusterArn"]
    assert dax.list_tags(ResourceName=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    assert dax.tag_resource(ResourceName=arn, Tags=[{"Key": "team", "Value": "web"}, {"Key": "env", "Value": "prod"}])[
        "Tags"] == [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "web"}]
    assert dax.untag_resource(ResourceName=arn, TagKeys=["env"])["Tags"] == [{"Key": "team", "Value": "web"}]
    assert error_of(lambda: dax.untag_resource(ResourceName=arn, TagKeys=["env"])) == ("TagNotFoundFault",
                                                                                      "Tag env not found.")
    assert error_of(lambda: dax.list_tags(ResourceName="tagged")) == ("InvalidARNFault", "Invalid ARN: tagged")
    ghost = arn.replace("cache/tagged", "cache/ghost")
    assert error_of(lambda: dax.list_tags(ResourceName=ghost)) == ("ClusterNotFoundFault", "Cluster ghost not found.")
    assert error_of(lambda: dax.tag_resource(ResourceName=arn, Tags=[{"Key": f"k{i}", "Value": ""} for i in range(50)])) == (
        "TagQuotaPerResourceExceeded", "You have exceeded the allowed number of tags: 50")


def test_events_window_and_refusals(cloud):
    dax = cloud.client("dax", account=ACCOUNT)
    dax.create_parameter_group(ParameterGroupName="e1")
    now = datetime.now(timezone.utc)
    assert [e["SourceName"] for e in dax.describe_events()["Events"]] == ["e1"]
    assert dax.describe_events(StartTime=now + timedelta(minutes=5))["Events"] == []
    assert dax.describe_events(EndTime=now - timedelta(minutes=5), Duration=1)["Events"] == []
    assert dax.describe_events(SourceName="other")["Events"] == []
    assert dax.describe_events(SourceType="CLUSTER")["Events"] == []
    assert error_of(lambda: dax.describe_events(Duration=20161)) == (
        "InvalidParameterValueException", "The parameter Duration must be between 0 and 20160.")
    assert error_of(lambda: dax.describe_events(StartTime=now, EndTime=now - timedelta(hours=1))) == (
        "InvalidParameterCombinationException", "The parameter StartTime must be before EndTime.")
