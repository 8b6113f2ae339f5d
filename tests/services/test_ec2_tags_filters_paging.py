"""Tags, Filters, MaxResults/NextToken and DryRun as EC2 applies them; DHCP options; the AWS CLI."""

from __future__ import annotations

import json

from botocore.config import Config

from tests.services.test_cli_aws import aws
from tests.services.test_ec2_default_vpc import ACCOUNT, TOKYO, ec2, error


def test_tags_on_every_network_resource(cloud):
    client = ec2(cloud)
    vpc = client.describe_vpcs()["Vpcs"][0]["VpcId"]
    resources = {
        "vpc": vpc,
        "subnet": client.describe_subnets()["Subnets"][0]["SubnetId"],
        "security-group": client.describe_security_groups()["SecurityGroups"][0]["GroupId"],
        "security-group-rule": client.describe_security_group_rules()["SecurityGroupRules"][0]["SecurityGroupRuleId"],
        "route-table": client.describe_route_tables()["RouteTables"][0]["RouteTableId"],
        "internet-gateway": client.describe_internet_gateways()["InternetGateways"][0]["InternetGatewayId"],
        "dhcp-options": client.describe_dhcp_options()["DhcpOptions"][0]["DhcpOptionsId"],
        "network-acl": client.describe_network_acls()["NetworkAcls"][0]["NetworkAclId"],
    }
    client.create_tags(Resources=list(resources.values()), Tags=[{"Key": "env", "Value": "prod"}, {"Key": "empty"}])
    tags = client.describe_tags(Filters=[{"Name": "key", "Values": ["env"]}])["Tags"]
    assert sorted((t["ResourceType"], t["ResourceId"], t["Value"]) for t in tags) == sorted(
        (kind, resource, "prod") for kind, resource in resources.items())
    assert client.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Tags"] == [{"Key": "env", "Value": "prod"}, {"Key": "empty", "Value": ""}]
    subnets = client.describe_tags(Filters=[{"Name": "resource-type", "Values": ["subnet"]},
                                            {"Name": "value", "Values": ["pr*"]}])["Tags"]
    assert subnets == [{"Key": "env", "ResourceId": resources["subnet"], "ResourceType": "subnet", "Value": "prod"}]

    # DeleteTags: a key alone deletes whatever the value; with a value, only that value.
    client.delete_tags(Resources=[vpc], Tags=[{"Key": "env", "Value": "staging"}])
    assert len(client.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Tags"]) == 2
    client.delete_tags(Resources=[vpc], Tags=[{"Key": "env"}])
    assert client.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Tags"] == [{"Key": "empty", "Value": ""}]
    client.delete_tags(Resources=[vpc])
    assert "Tags" not in client.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]


def test_tag_errors(cloud):
    client = ec2(cloud)
    vpc = client.describe_vpcs()["Vpcs"][0]["VpcId"]
    assert error(client.create_tags, Resources=["bogus"], Tags=[{"Key": "a", "Value": "b"}]) == (
        "InvalidID", "The ID 'bogus' is not valid")
    assert error(client.create_tags, Resources=[vpc, "subnet-0123456789abcdef0"], Tags=[{"Key": "a", "Value": "b"}]) == (
        "InvalidSubnetID.NotFound", "The subnet ID 'subnet-0123456789abcdef0' does not exist")
    assert "Tags" not in client.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]  # nothing tagged when one resource is missing
    assert error(client.create_tags, Resources=[vpc], Tags=[{"Key": "aws:owner", "Value": "me"}]) == (
        "InvalidParameterValue", "Value ( aws:owner ) for parameter key is invalid. Tag keys starting with 'aws:' are "
        "reserved for internal use")
    assert error(client.create_tags, Resources=[vpc], Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]) == (
        "TagLimitExceeded", "The maximum number of Tags for a resource has been reached.")
    assert error(client.create_vpc, CidrBlock="10.0.0.0/16", TagSpecifications=[
        {"ResourceType": "subnet", "Tags": [{"Key": "a", "Value": "b"}]}]) == (
        "InvalidParameterValue", "'subnet' is not a valid taggable resource type for this operation.")
    assert len(client.describe_vpcs()["Vpcs"]) == 1


def test_filters(cloud):
    client = ec2(cloud)
    made = {}
    for name, cidr in (("web-prod", "10.1.0.0/16"), ("web-dev", "10.2.0.0/16"), ("db-prod", "10.3.0.0/16")):
        made[name] = client.create_vpc(CidrBlock=cidr, TagSpecifications=[
            {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": name}, {"Key": name.split("-")[1], "Value": ""}]}])[
            "Vpc"]["VpcId"]

    def vpcs(*filters) -> list[str]:
        return sorted(next(t["Value"] for t in v.get("Tags", []) if t["Key"] == "Name")
                      for v in client.describe_vpcs(Filters=list(filters))["Vpcs"] if v.get("Tags"))

    assert vpcs({"Name": "tag:Name", "Values": ["web-*"]}) == ["web-dev", "web-prod"]
    assert vpcs({"Name": "tag:Name", "Values": ["web-?ev", "db-prod"]}) == ["db-prod", "web-dev"]  # values OR
    assert vpcs({"Name": "tag:Name", "Values": ["web-*"]}, {"Name": "tag-key", "Values": ["prod"]}) == ["web-prod"]  # filters AND
    assert vpcs({"Name": "cidr-block-association.cidr-block", "Values": ["10.3.*"]}) == ["db-prod"]
    assert vpcs({"Name": "tag:name", "Values": ["web-*"]}) == []  # keys are case-sensitive
    assert [v["VpcId"] for v in client.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["false"]},
                                                               {"Name": "owner-id", "Values": [ACCOUNT]}])["Vpcs"]] == list(made.values())
    assert error(client.describe_vpcs, Filters=[{"Name": "colour", "Values": ["red"]}]) == (
        "InvalidParameterValue", "The filter 'colour' is invalid")
    subnets = client.describe_subnets(Filters=[{"Name": "availability-zone-id", "Values": ["apne1-az1"]}])["Subnets"]
    assert [(s["AvailabilityZone"], s["CidrBlock"]) for s in subnets] == [("ap-northeast-1c", "172.31.16.0/20")]


def test_pagination(cloud):
    client = ec2(cloud)
    made = [client.create_vpc(CidrBlock=f"10.{i}.0.0/16")["Vpc"]["VpcId"] for i in range(7)]
    everything = [v["VpcId"] for v in client.describe_vpcs()["Vpcs"]]
    assert len(everything) == 8 and everything[1:] == made

    first = client.describe_vpcs(MaxResults=5)
    assert len(first["Vpcs"]) == 5 and first["NextToken"]
    second = client.describe_vpcs(MaxResults=5, NextToken=first["NextToken"])
    assert "NextToken" not in second
    assert [v["VpcId"] for v in first["Vpcs"] + second["Vpcs"]] == everything
    pages = client.get_paginator("describe_vpcs").paginate(PaginationConfig={"PageSize": 5})
    assert [v["VpcId"] for page in pages for v in page["Vpcs"]] == everything

    # botocore refuses these before sending them; EC2 refuses them too.
    unchecked = cloud.client("ec2", region=TOKYO, account=ACCOUNT,
                             config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    assert error(unchecked.describe_vpcs, MaxResults=4) == (
        "InvalidParameterValue", "Value ( 4 ) for parameter maxResults is invalid. Expecting a value greater than 5.")
    assert error(unchecked.describe_vpcs, MaxResults=1001) == (
        "InvalidParameterValue", "Value ( 1001 ) for parameter maxResults is invalid. Expecting a value less than 1000.")
    assert error(unchecked.describe_route_tables, MaxResults=101) == (
        "InvalidParameterValue", "Value ( 101 ) for parameter maxResults is invalid. Expecting a value less than 100.")
    bad_token = ("InvalidPaginationToken", "The specified pagination token is not valid or is expired.")
    assert error(client.describe_vpcs, MaxResults=5, NextToken="not-a-token") == bad_token
    # A token belongs to the query that made it.
    assert error(client.describe_vpcs, MaxResults=5, NextToken=first["NextToken"],
                 Filters=[{"Name": "is-default", "Values": ["false"]}]) == bad_token
    assert error(client.describe_subnets, MaxResults=5, NextToken=first["NextToken"] + "x") == bad_token

    client.create_tags(Resources=made, Tags=[{"Key": "n", "Value": "1"}])
    tags = client.describe_tags(MaxResults=5)
    rest = client.describe_tags(MaxResults=5, NextToken=tags["NextToken"])
    assert len(tags["Tags"]) + len(rest["Tags"]) == 7


def test_dry_run_changes_nothing(cloud):
    client = ec2(cloud)
    vpc = client.describe_vpcs()["Vpcs"][0]["VpcId"]
    dry = ("DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
    assert error(client.create_vpc, CidrBlock="10.0.0.0/16", DryRun=True) == dry
    assert error(client.create_subnet, VpcId=vpc, CidrBlock="172.31.128.0/24", DryRun=True) == dry
    assert error(client.create_security_group, GroupName="x", Description="x", DryRun=True) == dry
    assert error(client.create_tags, Resources=[vpc], Tags=[{"Key": "a", "Value": "b"}], DryRun=True) == dry
    assert error(client.describe_subnets, DryRun=True) == dry
    assert error(client.delete_vpc, VpcId=vpc, DryRun=True) == dry
    assert [v["VpcId"] for v in client.describe_vpcs()["Vpcs"]] == [vpc]
    assert "Tags" not in client.describe_vpcs()["Vpcs"][0]
    assert len(client.describe_subnets()["Subnets"]) == 3
    assert len(client.describe_security_groups()["SecurityGroups"]) == 1


def test_dhcp_options(cloud):
    client = ec2(cloud)
    vpc = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    options = client.create_dhcp_options(DhcpConfigurations=[
        {"Key": "domain-name", "Values": ["corp.example"]},
        {"Key": "domain-name-servers", "Values": ["10.0.0.2", "10.0.0.3"]}])["DhcpOptions"]
    dopt = options["DhcpOptionsId"]
    assert options["DhcpConfigurations"] == [
        {"Key": "domain-name", "Values": [{"Value": "corp.example"}]},
        {"Key": "domain-name-servers", "Values": [{"Value": "10.0.0.2"}, {"Value": "10.0.0.3"}]}]
    client.associate_dhcp_options(DhcpOptionsId=dopt, VpcId=vpc)
    assert client.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["DhcpOptionsId"] == dopt
    found = client.describe_dhcp_options(Filters=[{"Name": "value", "Values": ["corp.*"]}])["DhcpOptions"]
    assert [o["DhcpOptionsId"] for o in found] == [dopt]
    assert error(client.delete_dhcp_options, DhcpOptionsId=dopt) == (
        "DependencyViolation", f"The dhcpOptions '{dopt}' has dependencies and cannot be deleted.")
    client.associate_dhcp_options(DhcpOptionsId="default", VpcId=vpc)
    assert client.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["DhcpOptionsId"] == "default"
    client.delete_dhcp_options(DhcpOptionsId=dopt)
    assert error(client.describe_dhcp_options, DhcpOptionsIds=[dopt]) == (
        "InvalidDhcpOptionID.NotFound", f"The dhcpOption ID '{dopt}' does not exist")
    assert error(client.create_dhcp_options, DhcpConfigurations=[{"Key": "colour", "Values": ["red"]}])[0] == (
        "InvalidParameterValue")


def test_security_groups_and_tags_with_the_aws_cli(cloud):
    created = json.loads(aws(cloud, "ec2", "create-security-group", "--group-name", "cli-web", "--description", "web",
                             region=TOKYO).stdout)
    sg = created["GroupId"]
    aws(cloud, "ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port", "443",
        "--cidr", "0.0.0.0/0", region=TOKYO)
    aws(cloud, "ec2", "create-tags", "--resources", sg, "--tags", "Key=Name,Value=cli", region=TOKYO)
    groups = json.loads(aws(cloud, "ec2", "describe-security-groups", "--filters", "Name=tag:Name,Values=cli",
                            region=TOKYO).stdout)["SecurityGroups"]
    assert [(g["GroupId"], g["IpPermissions"][0]["FromPort"], g["IpPermissions"][0]["IpRanges"]) for g in groups] == [
        (sg, 443, [{"CidrIp": "0.0.0.0/0"}])]
    duplicate = aws(cloud, "ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port",
                    "443", "--cidr", "0.0.0.0/0", region=TOKYO, check=False)
    assert duplicate.returncode != 0 and "(InvalidPermission.Duplicate)" in duplicate.stderr
    dry = aws(cloud, "ec2", "delete-security-group", "--group-id", sg, "--dry-run", region=TOKYO, check=False)
    assert "(DryRunOperation)" in dry.stderr
