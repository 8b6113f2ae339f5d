"""Route tables, routes, associations and internet gateways through boto3, with AWS's errors."""

from __future__ import annotations

import pytest

from tests.services.test_ec2_default_vpc import ec2, error


@pytest.fixture
def network(cloud):
    """A VPC with a subnet and an internet gateway attached."""
    client = ec2(cloud)
    vpc = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = client.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    gateway = client.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    client.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    return client, vpc, subnet, gateway


def table(client, table_id: str) -> dict:
    return client.describe_route_tables(RouteTableIds=[table_id])["RouteTables"][0]


def test_public_route_table(network):
    client, vpc, subnet, gateway = network
    created = client.create_route_table(VpcId=vpc, TagSpecifications=[
        {"ResourceType": "route-table", "Tags": [{"Key": "Name", "Value": "public"}]}])["RouteTable"]
    rtb = created["RouteTableId"]
    assert (created["VpcId"], created["Associations"], created["Tags"], created["Routes"]) == (
        vpc, [], [{"Key": "Name", "Value": "public"}],
        [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"}])
    assert client.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)["Return"] is True
    association = client.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
    assert association["AssociationState"] == {"State": "associated"}
    described = table(client, rtb)
    assert described["Routes"][1] == {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": gateway, "Origin": "CreateRoute",
                                      "State": "active"}
    assert described["Associations"] == [{"Main": False, "RouteTableAssociationId": association["AssociationId"],
                                          "RouteTableId": rtb, "SubnetId": subnet, "AssociationState": {"State": "associated"}}]
    # Explicit associations are what association.subnet-id finds (not the main table's implicit one).
    by_subnet = client.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["RouteTables"]
    assert [t["RouteTableId"] for t in by_subnet] == [rtb]
    mains = client.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                  {"Name": "association.main", "Values": ["true"]}])["RouteTables"]
    assert len(mains) == 1 and mains[0]["RouteTableId"] != rtb
    by_route = client.describe_route_tables(Filters=[{"Name": "route.gateway-id", "Values": [gateway]}])["RouteTables"]
    assert [t["RouteTableId"] for t in by_route] == [rtb]

    # A table with associations cannot go; without, it can.
    assert error(client.delete_route_table, RouteTableId=rtb) == (
        "DependencyViolation", f"The routeTable '{rtb}' has dependencies and cannot be deleted.")
    client.disassociate_route_table(AssociationId=association["AssociationId"])
    assert error(client.disassociate_route_table, AssociationId=association["AssociationId"]) == (
        "InvalidAssociationID.NotFound", f"The association ID '{association['AssociationId']}' does not exist")
    client.delete_route_table(RouteTableId=rtb)
    assert error(client.describe_route_tables, RouteTableIds=[rtb]) == (
        "InvalidRouteTableID.NotFound", f"The routeTable ID '{rtb}' does not exist")


def test_route_errors(network):
    client, vpc, subnet, gateway = network
    rtb = client.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    client.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    assert error(client.create_route, RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway) == (
        "RouteAlreadyExists", "The route identified by 0.0.0.0/0 already exists.")
    assert error(client.create_route, RouteTableId=rtb, DestinationCidrBlock="10.0.5.0/24", GatewayId=gateway) == (
        "InvalidParameterValue", "The destination CIDR block 10.0.5.0/24 is equal to or more specific than one of this "
        "VPC's CIDR blocks. This route can target only an interface or an instance.")
    assert error(client.create_route, RouteTableId=rtb, DestinationCidrBlock="8.8.8.0/33", GatewayId=gateway) == (
        "InvalidParameterValue", "Value (8.8.8.0/33) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.")
    assert error(client.create_route, RouteTableId=rtb, DestinationCidrBlock="8.8.8.0/24",
                 GatewayId="igw-0123456789abcdef0") == ("InvalidGatewayID.NotFound",
                                                        "The gateway ID 'igw-0123456789abcdef0' does not exist")
    assert error(client.create_route, RouteTableId=rtb, DestinationCidrBlock="8.8.8.0/24",
                 NatGatewayId="nat-0123456789abcdef0") == ("InvalidNatGatewayID.NotFound",
                                                           "The natGateway ID 'nat-0123456789abcdef0' does not exist")
    assert error(client.create_route, RouteTableId="rtb-0123456789abcdef0", DestinationCidrBlock="8.8.8.0/24",
                 GatewayId=gateway) == ("InvalidRouteTableID.NotFound", "The routeTable ID 'rtb-0123456789abcdef0' does not exist")
    # A gateway of another VPC.
    elsewhere = client.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    assert error(client.create_route, RouteTableId=rtb, DestinationCidrBlock="8.8.8.0/24", GatewayId=elsewhere) == (
        "InvalidParameterValue", f"route table {rtb} and network gateway {elsewhere} belong to different networks")

    assert error(client.delete_route, RouteTableId=rtb, DestinationCidrBlock="10.0.0.0/16") == (
        "InvalidParameterValue", f"cannot remove local route 10.0.0.0/16 in route table {rtb}")
    assert error(client.delete_route, RouteTableId=rtb, DestinationCidrBlock="8.8.8.0/24") == (
        "InvalidRoute.NotFound", f"no route with destination-cidr-block 8.8.8.0/24 in route table {rtb}")
    assert error(client.replace_route, RouteTableId=rtb, DestinationCidrBlock="8.8.8.0/24", GatewayId=gateway) == (
        "InvalidParameterValue", "There is no route defined for '8.8.8.0/24' in the route table. Use CreateRoute instead.")
    client.delete_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0")
    assert [r["DestinationCidrBlock"] for r in table(client, rtb)["Routes"]] == ["10.0.0.0/16"]


def test_associations(network):
    client, vpc, subnet, gateway = network
    rtb = client.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    first = client.associate_route_table(RouteTableId=rtb, SubnetId=subnet)["AssociationId"]
    assert error(client.associate_route_table, RouteTableId=rtb, SubnetId=subnet) == (
        "Resource.AlreadyAssociated", f"the specified association for route table {rtb} conflicts with an existing association")
    other_vpc = client.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    stranger = client.create_subnet(VpcId=other_vpc, CidrBlock="10.1.0.0/24")["Subnet"]["SubnetId"]
    assert error(client.associate_route_table, RouteTableId=rtb, SubnetId=stranger) == (
        "InvalidParameterValue", f"Route table {rtb} and subnet {stranger} belong to different networks")

    # Move the subnet back to the main table, then make the new table the VPC's main table.
    main = client.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                 {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
    moved = client.replace_route_table_association(AssociationId=first, RouteTableId=main["RouteTableId"])
    assert moved["NewAssociationId"] != first
    assert [a.get("SubnetId") for a in table(client, main["RouteTableId"])["Associations"]] == [None, subnet]
    main_association = main["Associations"][0]["RouteTableAssociationId"]
    assert error(client.disassociate_route_table, AssociationId=main_association) == (
        "InvalidParameterValue", f"cannot disassociate the main route table association {main_association}")
    client.replace_route_table_association(AssociationId=main_association, RouteTableId=rtb)
    assert table(client, rtb)["Associations"][0]["Main"] is True
    assert [a.get("Main") for a in table(client, main["RouteTableId"])["Associations"]] == [False]

    # Deleting a subnet ends its explicit association.
    client.delete_subnet(SubnetId=subnet)
    assert table(client, main["RouteTableId"])["Associations"] == []


def test_internet_gateways(network):
    client, vpc, subnet, gateway = network
    rtb = client.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    client.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    [described] = client.describe_internet_gateways(InternetGatewayIds=[gateway])["InternetGateways"]
    assert described["Attachments"] == [{"State": "available", "VpcId": vpc}]
    attached = client.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}])["InternetGateways"]
    assert [g["InternetGatewayId"] for g in attached] == [gateway]

    spare = client.create_internet_gateway(TagSpecifications=[
        {"ResourceType": "internet-gateway", "Tags": [{"Key": "spare", "Value": "yes"}]}])["InternetGateway"]
    assert (spare["Attachments"], spare["Tags"]) == ([], [{"Key": "spare", "Value": "yes"}])
    spare = spare["InternetGatewayId"]
    assert error(client.attach_internet_gateway, InternetGatewayId=spare, VpcId=vpc) == (
        "InvalidParameterValue", f"Network {vpc} already has an internet gateway attached")
    assert error(client.attach_internet_gateway, InternetGatewayId=gateway, VpcId=vpc) == (
        "Resource.AlreadyAssociated", f"resource {gateway} is already attached to network {vpc}")
    assert error(client.detach_internet_gateway, InternetGatewayId=spare, VpcId=vpc) == (
        "Gateway.NotAttached", f"resource {spare} is not attached to network {vpc}")
    assert error(client.delete_internet_gateway, InternetGatewayId=gateway) == (
        "DependencyViolation", f"The internetGateway '{gateway}' has dependencies and cannot be deleted.")

    # Detached, its routes turn into blackholes; attached again, they are active again.
    client.detach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    assert table(client, rtb)["Routes"][1]["State"] == "blackhole"
    client.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    assert table(client, rtb)["Routes"][1]["State"] == "active"
    client.detach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    client.delete_internet_gateway(InternetGatewayId=gateway)
    assert table(client, rtb)["Routes"][1]["State"] == "blackhole"
    blackholes = client.describe_route_tables(Filters=[{"Name": "route.state", "Values": ["blackhole"]}])["RouteTables"]
    assert [t["RouteTableId"] for t in blackholes] == [rtb]
    # The route may be pointed at another gateway.
    client.attach_internet_gateway(InternetGatewayId=spare, VpcId=vpc)
    client.replace_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=spare)
    assert table(client, rtb)["Routes"][1] == {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": spare,
                                               "Origin": "CreateRoute", "State": "active"}
    assert error(client.describe_internet_gateways, InternetGatewayIds=[gateway]) == (
        "InvalidInternetGatewayID.NotFound", f"The internetGateway ID '{gateway}' does not exist")
