"""Every account and region has AWS's default VPC, exactly as AWS makes it, made on first use,
kept apart per account and region, and durable; other services reach it through Ec2Api."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from regionbox.config import Config
from regionbox.testing import CloudProcess, RunningCloud

ACCOUNT = "111122223333"
TOKYO = "ap-northeast-1"


def ec2(cloud, account=ACCOUNT, region=TOKYO):
    return cloud.client("ec2", region=region, account=account)


def error(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def test_default_vpc_is_awss(cloud):
    client = ec2(cloud)
    [vpc] = client.describe_vpcs()["Vpcs"]
    assert vpc["VpcId"].startswith("vpc-") and len(vpc["VpcId"]) == 21
    assert {k: vpc[k] for k in ("CidrBlock", "IsDefault", "State", "InstanceTenancy", "OwnerId")} == {
        "CidrBlock": "172.31.0.0/16", "IsDefault": True, "State": "available", "InstanceTenancy": "default",
        "OwnerId": ACCOUNT}
    [association] = vpc["CidrBlockAssociationSet"]
    assert association["CidrBlock"] == "172.31.0.0/16" and association["CidrBlockState"] == {"State": "associated"}
    for attribute, member in (("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames")):
        assert client.describe_vpc_attribute(VpcId=vpc["VpcId"], Attribute=attribute)[member] == {"Value": True}

    # One default /20 per AZ, in AZ order, with the AZ's real id.
    subnets = client.describe_subnets()["Subnets"]
    assert sorted((s["AvailabilityZone"], s["AvailabilityZoneId"], s["CidrBlock"]) for s in subnets) == [
        ("ap-northeast-1a", "apne1-az4", "172.31.0.0/20"),
        ("ap-northeast-1c", "apne1-az1", "172.31.16.0/20"),
        ("ap-northeast-1d", "apne1-az2", "172.31.32.0/20")]
    for subnet in subnets:
        assert (subnet["VpcId"], subnet["DefaultForAz"], subnet["MapPublicIpOnLaunch"], subnet["State"],
                subnet["AvailableIpAddressCount"], subnet["OwnerId"]) == (vpc["VpcId"], True, True, "available", 4091, ACCOUNT)
        assert subnet["SubnetArn"] == f"arn:aws:ec2:{TOKYO}:{ACCOUNT}:subnet/{subnet['SubnetId']}"

    # The default security group: all traffic in from its own members, all traffic out.
    [group] = client.describe_security_groups()["SecurityGroups"]
    sg = group["GroupId"]
    assert (group["GroupName"], group["Description"], group["VpcId"], group["OwnerId"]) == (
        "default", "default VPC security group", vpc["VpcId"], ACCOUNT)
    assert group["IpPermissions"] == [{"IpProtocol": "-1", "UserIdGroupPairs": [{"UserId": ACCOUNT, "GroupId": sg}],
                                       "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": []}]
    assert group["IpPermissionsEgress"] == [{"IpProtocol": "-1", "UserIdGroupPairs": [], "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                                             "Ipv6Ranges": [], "PrefixListIds": []}]
    rules = client.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [sg]}])["SecurityGroupRules"]
    assert sorted((r["IsEgress"], r["IpProtocol"], r["FromPort"], r["ToPort"], r.get("CidrIpv4"),
                   r.get("ReferencedGroupInfo", {}).get("GroupId")) for r in rules) == [
        (False, "-1", -1, -1, None, sg), (True, "-1", -1, -1, "0.0.0.0/0", None)]

    # The main route table: the local route and 0.0.0.0/0 to the attached internet gateway.
    [gateway] = client.describe_internet_gateways()["InternetGateways"]
    assert gateway["Attachments"] == [{"State": "available", "VpcId": vpc["VpcId"]}]
    [table] = client.describe_route_tables()["RouteTables"]
    assert table["VpcId"] == vpc["VpcId"]
    assert [(a["Main"], a["AssociationState"]["State"], "SubnetId" in a) for a in table["Associations"]] == [
        (True, "associated", False)]
    assert table["Routes"] == [
        {"DestinationCidrBlock": "172.31.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"},
        {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": gateway["InternetGatewayId"], "Origin": "CreateRoute",
         "State": "active"}]

    # The region's default DHCP options, and the default network ACL every subnet uses.
    [options] = client.describe_dhcp_options()["DhcpOptions"]
    assert options["DhcpOptionsId"] == vpc["DhcpOptionsId"]
    assert options["DhcpConfigurations"] == [
        {"Key": "domain-name", "Values": [{"Value": "ap-northeast-1.compute.internal"}]},
        {"Key": "domain-name-servers", "Values": [{"Value": "AmazonProvidedDNS"}]}]
    [acl] = client.describe_network_acls()["NetworkAcls"]
    assert (acl["VpcId"], acl["IsDefault"]) == (vpc["VpcId"], True)
    assert sorted(a["SubnetId"] for a in acl["Associations"]) == sorted(s["SubnetId"] for s in subnets)
    assert sorted((e["Egress"], e["RuleNumber"], e["RuleAction"], e["Protocol"], e["CidrBlock"]) for e in acl["Entries"]) == [
        (False, 100, "allow", "-1", "0.0.0.0/0"), (False, 32767, "deny", "-1", "0.0.0.0/0"),
        (True, 100, "allow", "-1", "0.0.0.0/0"), (True, 32767, "deny", "-1", "0.0.0.0/0")]


def test_every_az_of_the_region_gets_a_default_subnet(cloud):
    subnets = ec2(cloud, region="us-east-1").describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    by_zone = {s["AvailabilityZone"]: (s["AvailabilityZoneId"], s["CidrBlock"]) for s in subnets}
    assert by_zone == {
        "us-east-1a": ("use1-az6", "172.31.0.0/20"), "us-east-1b": ("use1-az1", "172.31.16.0/20"),
        "us-east-1c": ("use1-az2", "172.31.32.0/20"), "us-east-1d": ("use1-az4", "172.31.48.0/20"),
        "us-east-1e": ("use1-az3", "172.31.64.0/20"), "us-east-1f": ("use1-az5", "172.31.80.0/20")}
    [options] = ec2(cloud, region="us-east-1").describe_dhcp_options()["DhcpOptions"]
    assert options["DhcpConfigurations"][0] == {"Key": "domain-name", "Values": [{"Value": "ec2.internal"}]}


def test_accounts_and_regions_are_isolated(cloud):
    mine, theirs, elsewhere = ec2(cloud), ec2(cloud, account="444455556666"), ec2(cloud, region="eu-west-1")
    default = mine.describe_vpcs()["Vpcs"][0]["VpcId"]
    assert theirs.describe_vpcs()["Vpcs"][0]["VpcId"] != default
    assert elsewhere.describe_vpcs()["Vpcs"][0]["VpcId"] != default
    created = mine.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    assert error(theirs.describe_vpcs, VpcIds=[created]) == ("InvalidVpcID.NotFound", f"The vpc ID '{created}' does not exist")
    assert error(elsewhere.create_subnet, VpcId=created, CidrBlock="10.0.0.0/24")[0] == "InvalidVpcID.NotFound"
    assert [v["IsDefault"] for v in theirs.describe_vpcs()["Vpcs"]] == [True]


def test_default_vpc_is_made_once_and_stays_deleted(cloud):
    client = ec2(cloud)
    first = client.describe_vpcs()["Vpcs"]
    assert client.describe_vpcs()["Vpcs"] == first
    vpc = first[0]["VpcId"]
    assert default_vpc_attribute(client) == [vpc]
    platforms = client.describe_account_attributes(AttributeNames=["supported-platforms"])["AccountAttributes"]
    assert platforms == [{"AttributeName": "supported-platforms", "AttributeValues": [{"AttributeValue": "VPC"}]}]
    assert error(client.create_default_vpc) == ("DefaultVpcAlreadyExists",
                                                 "A Default VPC already exists for this account in this region.")

    # AWS lets an account delete its default VPC, once everything in it is gone.
    assert error(client.delete_vpc, VpcId=vpc) == ("DependencyViolation",
                                                   f"The vpc '{vpc}' has dependencies and cannot be deleted.")
    for subnet in client.describe_subnets()["Subnets"]:
        client.delete_subnet(SubnetId=subnet["SubnetId"])
    [gateway] = client.describe_internet_gateways()["InternetGateways"]
    client.detach_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"], VpcId=vpc)
    client.delete_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"])
    client.delete_vpc(VpcId=vpc)
    # ... and it does not come back by itself, nor do its route table, group and ACL remain.
    assert client.describe_vpcs()["Vpcs"] == []
    assert default_vpc_attribute(client) == ["none"]
    assert (client.describe_route_tables()["RouteTables"], client.describe_security_groups()["SecurityGroups"],
            client.describe_network_acls()["NetworkAcls"]) == ([], [], [])
    assert error(client.create_security_group, GroupName="web", Description="web") == (
        "VPCIdNotSpecified", "No default VPC for this user")

    created = client.create_default_vpc()["Vpc"]
    assert (created["IsDefault"], created["CidrBlock"], created["VpcId"] != vpc) == (True, "172.31.0.0/16", True)
    assert default_vpc_attribute(client) == [created["VpcId"]]
    assert len(client.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [created["VpcId"]]}])["Subnets"]) == 3
    assert client.describe_internet_gateways()["InternetGateways"][0]["Attachments"][0]["VpcId"] == created["VpcId"]


def test_default_network_is_made_in_one_transaction(cloud, monkeypatch):
    """A failure halfway through (a crash would do the same) leaves nothing behind: the next
    call makes the whole default network, not a VPC with one subnet."""
    from regionbox.services.ec2 import default_vpc

    made = default_vpc.new_subnet

    def fail_in_the_second_zone(state, scope, vpc, cidr, zone, **kwargs):
        if zone.name == "ap-northeast-1c":
            raise RuntimeError("power cut")
        return made(state, scope, vpc, cidr, zone, **kwargs)

    monkeypatch.setattr(default_vpc, "new_subnet", fail_in_the_second_zone)
    assert error(ec2(cloud).describe_vpcs)[0] == "InternalFailure"
    monkeypatch.undo()
    client = ec2(cloud)
    assert len(client.describe_vpcs()["Vpcs"]) == 1
    assert len(client.describe_subnets()["Subnets"]) == 3
    assert len(client.describe_dhcp_options()["DhcpOptions"]) == 1


def default_vpc_attribute(client) -> list[str]:
    [attribute] = client.describe_account_attributes(AttributeNames=["default-vpc"])["AccountAttributes"]
    return [value["AttributeValue"] for value in attribute["AttributeValues"]]


def _network_ids(client) -> dict:
    return {
        "vpcs": sorted(v["VpcId"] for v in client.describe_vpcs()["Vpcs"]),
        "subnets": sorted((s["SubnetId"], s["AvailabilityZoneId"]) for s in client.describe_subnets()["Subnets"]),
        "groups": sorted(g["GroupId"] for g in client.describe_security_groups()["SecurityGroups"]),
        "tables": sorted(t["RouteTableId"] for t in client.describe_route_tables()["RouteTables"]),
        "gateways": sorted(g["InternetGatewayId"] for g in client.describe_internet_gateways()["InternetGateways"]),
        "tags": client.describe_tags()["Tags"],
    }


def test_network_survives_a_restart(tmp_path):
    config = Config(state_dir=tmp_path / "state", ephemeral=False, port=0)
    first = RunningCloud(config).start()
    try:
        client = ec2(first)
        vpc = client.create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=[
            {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "kept"}]}])["Vpc"]["VpcId"]
        client.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24", AvailabilityZoneId="apne1-az2")
        before = _network_ids(client)
    finally:
        first.stop()
    second = RunningCloud(Config(state_dir=tmp_path / "state", ephemeral=False, port=0)).start()
    try:
        assert _network_ids(ec2(second)) == before
    finally:
        second.stop()


def test_network_survives_kill_9(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    try:
        client = ec2(process)
        client.create_security_group(GroupName="web", Description="web servers")
        before = _network_ids(client)
        process.kill9()
        process.start()
        assert _network_ids(ec2(process)) == before
    finally:
        process.cleanup()


# -- the API other services use ----------------------------------------------------------------

def api_call(cloud, method: str, *args):
    api = cloud.cloud.services.api("ec2")

    async def call():
        return getattr(api, method)(*args)

    return cloud.run(call())


def test_ec2_api_default_subnets_before_any_ec2_call(cloud):
    subnets = api_call(cloud, "default_subnets", ACCOUNT, TOKYO)
    assert [(s.availability_zone, s.availability_zone_id, s.cidr_block) for s in subnets] == [
        ("ap-northeast-1a", "apne1-az4", "172.31.0.0/20"),
        ("ap-northeast-1c", "apne1-az1", "172.31.16.0/20"),
        ("ap-northeast-1d", "apne1-az2", "172.31.32.0/20")]
    vpc = api_call(cloud, "default_vpc", ACCOUNT, TOKYO)
    assert (vpc.cidr_block, vpc.is_default) == ("172.31.0.0/16", True)
    assert {s.vpc_id for s in subnets} == {vpc.vpc_id}
    # The same network users see.
    seen = {s["SubnetId"]: (s["VpcId"], s["AvailabilityZone"], s["AvailabilityZoneId"], s["CidrBlock"])
            for s in ec2(cloud).describe_subnets()["Subnets"]}
    assert seen == {s.subnet_id: (s.vpc_id, s.availability_zone, s.availability_zone_id, s.cidr_block) for s in subnets}
    with pytest.raises(AttributeError):
        subnets[0].cidr_block = "10.0.0.0/8"  # answers are copies


def test_ec2_api_subnets_and_groups_by_id(cloud):
    client = ec2(cloud)
    vpc = client.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    subnet = client.create_subnet(VpcId=vpc, CidrBlock="10.2.3.0/24", AvailabilityZone="ap-northeast-1d")["Subnet"]
    found = api_call(cloud, "subnet", ACCOUNT, TOKYO, subnet["SubnetId"])
    assert (found.subnet_id, found.vpc_id, found.availability_zone, found.availability_zone_id, found.cidr_block) == (
        subnet["SubnetId"], vpc, "ap-northeast-1d", "apne1-az2", "10.2.3.0/24")
    assert api_call(cloud, "subnet", ACCOUNT, TOKYO, "subnet-0123456789abcdef0") is None
    assert api_call(cloud, "subnet", "444455556666", TOKYO, subnet["SubnetId"]) is None
    assert api_call(cloud, "subnet", ACCOUNT, "eu-west-1", subnet["SubnetId"]) is None

    group = client.create_security_group(GroupName="db", Description="database", VpcId=vpc)["GroupId"]
    found = api_call(cloud, "security_group", ACCOUNT, TOKYO, group)
    assert (found.group_id, found.group_name, found.vpc_id) == (group, "db", vpc)
    assert api_call(cloud, "security_group", "444455556666", TOKYO, group) is None
    default = api_call(cloud, "default_security_group", ACCOUNT, TOKYO, vpc)
    assert (default.group_name, default.vpc_id) == ("default", vpc) and default.group_id != group
    assert default.group_id == client.describe_security_groups(Filters=[
        {"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]["GroupId"]
    assert api_call(cloud, "default_security_group", ACCOUNT, TOKYO, "vpc-0123456789abcdef0") is None


def test_ec2_api_after_the_default_vpc_was_deleted(cloud):
    client = ec2(cloud)
    vpc = api_call(cloud, "default_vpc", ACCOUNT, TOKYO).vpc_id
    for subnet in client.describe_subnets()["Subnets"]:
        client.delete_subnet(SubnetId=subnet["SubnetId"])
    gateway = client.describe_internet_gateways()["InternetGateways"][0]["InternetGatewayId"]
    client.detach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    client.delete_vpc(VpcId=vpc)
    assert api_call(cloud, "default_vpc", ACCOUNT, TOKYO) is None
    assert api_call(cloud, "default_subnets", ACCOUNT, TOKYO) == []
