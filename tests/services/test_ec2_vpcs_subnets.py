"""VPCs and subnets: create, describe, modify and delete them as on AWS, with AWS's CIDR checks,
real AZs and AZ ids, and AWS's errors."""

from __future__ import annotations

import json

import pytest

from tests.services.test_cli_aws import aws
from tests.services.test_ec2_default_vpc import ACCOUNT, TOKYO, ec2, error


def test_create_describe_delete_vpc(cloud):
    client = ec2(cloud)
    default_options = client.describe_vpcs()["Vpcs"][0]["DhcpOptionsId"]
    created = client.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "app"}]}])["Vpc"]
    vpc = created["VpcId"]
    # Pending in CreateVpc's answer, available when described.
    assert (created["State"], created["IsDefault"], created["CidrBlock"], created["DhcpOptionsId"],
            created["Tags"]) == ("pending", False, "10.0.0.0/16", default_options, [{"Key": "Name", "Value": "app"}])
    [described] = client.describe_vpcs(VpcIds=[vpc])["Vpcs"]
    assert (described["State"], described["OwnerId"]) == ("available", ACCOUNT)
    assert client.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsSupport")["EnableDnsSupport"] == {"Value": True}
    assert client.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsHostnames")["EnableDnsHostnames"] == {"Value": False}

    # What AWS makes with every VPC: a main route table with the local route, the default
    # security group, the default network ACL. No subnets, no gateway.
    only = [{"Name": "vpc-id", "Values": [vpc]}]
    [table] = client.describe_route_tables(Filters=only)["RouteTables"]
    assert table["Routes"] == [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local",
                                "Origin": "CreateRouteTable", "State": "active"}]
    assert table["Associations"][0]["Main"] is True
    [group] = client.describe_security_groups(Filters=only)["SecurityGroups"]
    assert (group["GroupName"], group["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"]) == ("default", group["GroupId"])
    assert len(client.describe_network_acls(Filters=only)["NetworkAcls"]) == 1
    assert client.describe_subnets(Filters=only)["Subnets"] == []

    client.delete_vpc(VpcId=vpc)
    assert error(client.describe_vpcs, VpcIds=[vpc]) == ("InvalidVpcID.NotFound", f"The vpc ID '{vpc}' does not exist")
    assert client.describe_route_tables(Filters=only)["RouteTables"] == []
    assert client.describe_security_groups(Filters=only)["SecurityGroups"] == []
    assert error(client.delete_vpc, VpcId=vpc) == ("InvalidVpcID.NotFound", f"The vpc ID '{vpc}' does not exist")


@pytest.mark.parametrize("cidr, code, message", [
    ("10.0.0.0/8", "InvalidVpc.Range", "The CIDR '10.0.0.0/8' is invalid."),
    ("10.0.0.0/29", "InvalidVpc.Range", "The CIDR '10.0.0.0/29' is invalid."),
    ("127.0.0.0/16", "InvalidVpc.Range", "The CIDR '127.0.0.0/16' is invalid."),
    ("10.0.0.1/16", "InvalidParameterValue", "Value (10.0.0.1/16) for parameter cidrBlock is invalid. This is not a valid CIDR block."),
    ("10.0.0.0/33", "InvalidParameterValue", "Value (10.0.0.0/33) for parameter cidrBlock is invalid. This is not a valid CIDR block."),
    ("10.0.0.0", "InvalidParameterValue", "Value (10.0.0.0) for parameter cidrBlock is invalid. This is not a valid CIDR block."),
    ("ten/16", "InvalidParameterValue", "Value (ten/16) for parameter cidrBlock is invalid. This is not a valid CIDR block."),
])
def test_vpc_cidr_checks(cloud, cidr, code, message):
    assert error(ec2(cloud).create_vpc, CidrBlock=cidr) == (code, message)


def test_vpc_sizes_at_the_limits_and_what_is_not_emulated(cloud):
    client = ec2(cloud)
    assert client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["CidrBlock"] == "10.0.0.0/16"
    assert client.create_vpc(CidrBlock="192.168.0.16/28")["Vpc"]["CidrBlock"] == "192.168.0.16/28"
    assert error(client.create_vpc) == ("MissingParameter", "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.")
    assert error(client.create_vpc, CidrBlock="10.9.0.0/16", AmazonProvidedIpv6CidrBlock=True)[0] == "UnsupportedOperation"


def test_vpc_attributes(cloud):
    client = ec2(cloud)
    vpc = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    client.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    assert client.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsHostnames")["EnableDnsHostnames"] == {"Value": True}
    client.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": False})
    described = client.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsSupport")
    assert (described["VpcId"], described["EnableDnsSupport"]) == (vpc, {"Value": False})
    assert error(client.modify_vpc_attribute, VpcId=vpc, EnableDnsSupport={"Value": True},
                 EnableDnsHostnames={"Value": True}) == (
        "InvalidParameterCombination", "Fields for multiple attribute types specified: enableDnsHostnames, enableDnsSupport")
    assert error(client.describe_vpc_attribute, VpcId=vpc, Attribute="colour") == (
        "InvalidParameterValue", "Value (colour) for parameter attribute is invalid. Unknown attribute.")
    assert error(client.modify_vpc_attribute, VpcId="vpc-0000000000000000f", EnableDnsSupport={"Value": True}) == (
        "InvalidVpcID.NotFound", "The vpc ID 'vpc-0000000000000000f' does not exist")


def test_delete_vpc_with_dependencies(cloud):
    client = ec2(cloud)
    vpc = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    dependent = ("DependencyViolation", f"The vpc '{vpc}' has dependencies and cannot be deleted.")

    subnet = client.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    assert error(client.delete_vpc, VpcId=vpc) == dependent
    client.delete_subnet(SubnetId=subnet)

    group = client.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    assert error(client.delete_vpc, VpcId=vpc) == dependent
    client.delete_security_group(GroupId=group)

    table = client.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    assert error(client.delete_vpc, VpcId=vpc) == dependent
    client.delete_route_table(RouteTableId=table)

    gateway = client.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    client.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    assert error(client.delete_vpc, VpcId=vpc) == dependent
    client.detach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)

    client.delete_vpc(VpcId=vpc)
    assert vpc not in [v["VpcId"] for v in client.describe_vpcs()["Vpcs"]]


def test_create_subnets_in_real_azs(cloud):
    client = ec2(cloud)
    vpc = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    by_name = client.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="ap-northeast-1c",
                                   TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "tier", "Value": "web"}]}])["Subnet"]
    assert (by_name["AvailabilityZone"], by_name["AvailabilityZoneId"], by_name["CidrBlock"], by_name["VpcId"],
            by_name["AvailableIpAddressCount"], by_name["DefaultForAz"], by_name["MapPublicIpOnLaunch"], by_name["State"],
            by_name["Tags"]) == ("ap-northeast-1c", "apne1-az1", "10.0.1.0/24", vpc, 251, False, False, "available",
                                 [{"Key": "tier", "Value": "web"}])
    by_id = client.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/28", AvailabilityZoneId="apne1-az4")["Subnet"]
    assert (by_id["AvailabilityZone"], by_id["AvailabilityZoneId"], by_id["AvailableIpAddressCount"]) == (
        "ap-northeast-1a", "apne1-az4", 11)
    # Without a zone AWS picks one of the region's AZs; subnets of a VPC are spread over them.
    picked = [client.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24")["Subnet"] for i in (10, 11, 12)]
    assert {s["AvailabilityZone"] for s in picked} == {"ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"}
    assert {(s["AvailabilityZone"], s["AvailabilityZoneId"]) for s in picked} <= {
        ("ap-northeast-1a", "apne1-az4"), ("ap-northeast-1c", "apne1-az1"), ("ap-northeast-1d", "apne1-az2")}
    described = client.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    assert [s["SubnetId"] for s in described] == [by_name["SubnetId"], by_id["SubnetId"], *(s["SubnetId"] for s in picked)]
    assert described[0] == by_name


@pytest.mark.parametrize("kwargs, code, message", [
    ({"CidrBlock": "10.1.0.0/24"}, "InvalidSubnet.Range", "The CIDR '10.1.0.0/24' is invalid."),
    ({"CidrBlock": "10.0.0.0/29"}, "InvalidSubnet.Range", "The CIDR '10.0.0.0/29' is invalid."),
    ({"CidrBlock": "10.0.0.0/15"}, "InvalidSubnet.Range", "The CIDR '10.0.0.0/15' is invalid."),
    ({"CidrBlock": "10.0.1.128/25"}, "InvalidSubnet.Conflict", "The CIDR '10.0.1.128/25' conflicts with another subnet"),
    ({"CidrBlock": "10.0.0.0/16"}, "InvalidSubnet.Conflict", "The CIDR '10.0.0.0/16' conflicts with another subnet"),
    ({"CidrBlock": "10.0.2.7/24"}, "InvalidParameterValue",
     "Value (10.0.2.7/24) for parameter cidrBlock is invalid. This is not a valid CIDR block."),
    ({"CidrBlock": "10.0.2.0/24", "AvailabilityZone": "ap-northeast-1b"}, "InvalidParameterValue",
     "Value (ap-northeast-1b) for parameter availabilityZone is invalid. Subnets can currently only be created in the "
     "following availability zones: ap-northeast-1a, ap-northeast-1c, ap-northeast-1d."),
    ({"CidrBlock": "10.0.2.0/24", "AvailabilityZoneId": "use1-az1"}, "InvalidParameterValue",
     "Value (use1-az1) for parameter availabilityZoneId is invalid. Subnets can currently only be created in the "
     "following availability zones: apne1-az4, apne1-az1, apne1-az2."),
    ({"CidrBlock": "10.0.2.0/24", "AvailabilityZone": "ap-northeast-1a", "AvailabilityZoneId": "apne1-az4"},
     "InvalidParameterCombination", "The parameters 'availabilityZone' and 'availabilityZoneId' cannot be used together"),
    ({}, "MissingParameter", "The request must contain the parameter cidrBlock"),
])
def test_subnet_checks(cloud, kwargs, code, message):
    client = ec2(cloud)
    vpc = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    client.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")
    assert error(client.create_subnet, VpcId=vpc, **kwargs) == (code, message)


def test_subnet_in_a_vpc_that_does_not_exist(cloud):
    assert error(ec2(cloud).create_subnet, VpcId="vpc-0123456789abcdef0", CidrBlock="10.0.0.0/24") == (
        "InvalidVpcID.NotFound", "The vpc ID 'vpc-0123456789abcdef0' does not exist")


def test_subnets_of_different_vpcs_may_overlap(cloud):
    client = ec2(cloud)
    first, second = (client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"] for _ in range(2))
    client.create_subnet(VpcId=first, CidrBlock="10.0.0.0/24")
    assert client.create_subnet(VpcId=second, CidrBlock="10.0.0.0/24")["Subnet"]["VpcId"] == second


def test_modify_and_delete_subnet(cloud):
    client = ec2(cloud)
    vpc = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = client.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    client.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    public = client.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                              {"Name": "map-public-ip-on-launch", "Values": ["true"]}])["Subnets"]
    assert [s["SubnetId"] for s in public] == [subnet]
    client.modify_subnet_attribute(SubnetId=subnet, PrivateDnsHostnameTypeOnLaunch="resource-name")
    options = client.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["PrivateDnsNameOptionsOnLaunch"]
    assert options["HostnameType"] == "resource-name"
    assert error(client.modify_subnet_attribute, SubnetId=subnet, MapPublicIpOnLaunch={"Value": False},
                 EnableResourceNameDnsARecordOnLaunch={"Value": True})[0] == "InvalidParameterCombination"
    client.delete_subnet(SubnetId=subnet)
    assert error(client.describe_subnets, SubnetIds=[subnet]) == (
        "InvalidSubnetID.NotFound", f"The subnet ID '{subnet}' does not exist")
    assert error(client.delete_subnet, SubnetId=subnet) == (
        "InvalidSubnetID.NotFound", f"The subnet ID '{subnet}' does not exist")


def test_vpc_and_subnet_with_the_aws_cli(cloud):
    vpc = json.loads(aws(cloud, "ec2", "create-vpc", "--cidr-block", "10.20.0.0/16", region=TOKYO).stdout)["Vpc"]
    subnet = json.loads(aws(cloud, "ec2", "create-subnet", "--vpc-id", vpc["VpcId"], "--cidr-block", "10.20.1.0/24",
                            "--availability-zone-id", "apne1-az2", region=TOKYO).stdout)["Subnet"]
    assert (subnet["AvailabilityZone"], subnet["AvailableIpAddressCount"]) == ("ap-northeast-1d", 251)
    listed = json.loads(aws(cloud, "ec2", "describe-subnets", "--filters", f"Name=vpc-id,Values={vpc['VpcId']}",
                            region=TOKYO).stdout)["Subnets"]
    assert [s["SubnetId"] for s in listed] == [subnet["SubnetId"]]
    conflict = aws(cloud, "ec2", "create-subnet", "--vpc-id", vpc["VpcId"], "--cidr-block", "10.20.1.0/25",
                   region=TOKYO, check=False)
    assert conflict.returncode != 0
    assert "(InvalidSubnet.Conflict)" in conflict.stderr and "The CIDR '10.20.1.0/25' conflicts with another subnet" in conflict.stderr
