"""EC2: regions and AZs, and the network other services place things in.

Every account and region has AWS's default VPC (``default_vpc.py``), made the first time EC2 or
a service placing nodes needs it. Users see and build VPCs, subnets, security groups and their
rules, route tables, internet gateways, DHCP options and tags with EC2's own calls; other
services use the small ``Ec2Api`` (``api.py``). Instances, NAT gateways, transit gateways,
firewalls and flow logs are not emulated (yet).
"""

from regionbox.core.service import Service
from regionbox.protocol.dialect import Dialect
from regionbox.services.ec2.account_attributes import AccountAttributes
from regionbox.services.ec2.api import Ec2Api
from regionbox.services.ec2.common import Describer
from regionbox.services.ec2.default_vpc import DefaultNetwork
from regionbox.services.ec2.dhcp_options import DhcpOptionSets
from regionbox.services.ec2.internet_gateways import InternetGateways
from regionbox.services.ec2.network_acls import NetworkAcls
from regionbox.services.ec2.resources import resources
from regionbox.services.ec2.route_tables import RouteTables
from regionbox.services.ec2.security_groups import SecurityGroups
from regionbox.services.ec2.state import Ec2State
from regionbox.services.ec2.subnets import Subnets
from regionbox.services.ec2.tags import Tags
from regionbox.services.ec2.vpcs import Vpcs
from regionbox.services.ec2.zones import Zones

# EC2 answers bad parameter values with InvalidParameterValue.
DIALECT = Dialect(validation_code="InvalidParameterValue")

_LATER = "comes with the network services after the service kit (transit gateways, NAT, firewalls, flow logs)"


def load(cloud) -> Service:
    state = Ec2State(cloud.store)
    defaults = DefaultNetwork(state, cloud.topology)
    describer = Describer(cloud.paginator)
    zones = Zones(cloud.topology)
    vpcs = Vpcs(state, defaults, describer)
    subnets = Subnets(state, defaults, describer, cloud.topology)
    groups = SecurityGroups(state, defaults, describer)
    tables = RouteTables(state, defaults, describer)
    gateways = InternetGateways(state, defaults, describer)
    dhcp = DhcpOptionSets(state, defaults, describer)
    acls = NetworkAcls(state, defaults, describer)
    tags = Tags(state, defaults, describer)
    account = AccountAttributes(state, defaults)
    return Service(
        name="ec2",
        operations={
            "DescribeRegions": zones.describe_regions,
            "DescribeAvailabilityZones": zones.describe_availability_zones,
            "DescribeAccountAttributes": account.describe_account_attributes,
            "CreateVpc": vpcs.create_vpc,
            "CreateDefaultVpc": vpcs.create_default_vpc,
            "DescribeVpcs": vpcs.describe_vpcs,
            "DeleteVpc": vpcs.delete_vpc,
            "DescribeVpcAttribute": vpcs.describe_vpc_attribute,
            "ModifyVpcAttribute": vpcs.modify_vpc_attribute,
            "CreateSubnet": subnets.create_subnet,
            "DescribeSubnets": subnets.describe_subnets,
            "DeleteSubnet": subnets.delete_subnet,
            "ModifySubnetAttribute": subnets.modify_subnet_attribute,
            "CreateSecurityGroup": groups.create_security_group,
            "DescribeSecurityGroups": groups.describe_security_groups,
            "DeleteSecurityGroup": groups.delete_security_group,
            "AuthorizeSecurityGroupIngress": groups.authorize_security_group_ingress,
            "AuthorizeSecurityGroupEgress": groups.authorize_security_group_egress,
            "RevokeSecurityGroupIngress": groups.revoke_security_group_ingress,
            "RevokeSecurityGroupEgress": groups.revoke_security_group_egress,
            "DescribeSecurityGroupRules": groups.describe_security_group_rules,
            "CreateRouteTable": tables.create_route_table,
            "DescribeRouteTables": tables.describe_route_tables,
            "DeleteRouteTable": tables.delete_route_table,
            "CreateRoute": tables.create_route,
            "ReplaceRoute": tables.replace_route,
            "DeleteRoute": tables.delete_route,
            "AssociateRouteTable": tables.associate_route_table,
            "DisassociateRouteTable": tables.disassociate_route_table,
            "ReplaceRouteTableAssociation": tables.replace_route_table_association,
            "CreateInternetGateway": gateways.create_internet_gateway,
            "DescribeInternetGateways": gateways.describe_internet_gateways,
            "AttachInternetGateway": gateways.attach_internet_gateway,
            "DetachInternetGateway": gateways.detach_internet_gateway,
            "DeleteInternetGateway": gateways.delete_internet_gateway,
            "CreateDhcpOptions": dhcp.create_dhcp_options,
            "DescribeDhcpOptions": dhcp.describe_dhcp_options,
            "DeleteDhcpOptions": dhcp.delete_dhcp_options,
            "AssociateDhcpOptions": dhcp.associate_dhcp_options,
            "DescribeNetworkAcls": acls.describe_network_acls,
            "CreateTags": tags.create_tags,
            "DeleteTags": tags.delete_tags,
            "DescribeTags": tags.describe_tags,
        },
        not_implemented={
            "RunInstances": "instances are not emulated",
            "DescribeInstances": "instances are not emulated",
            "CreateNetworkAcl": "only each VPC's default network ACL exists",
            "CreateNatGateway": _LATER,
            "CreateTransitGateway": _LATER,
            "CreateFlowLogs": _LATER,
            "AssociateVpcCidrBlock": "a VPC has its one IPv4 block; secondary and IPv6 blocks are not emulated",
        },
        dialect=DIALECT,
        api=Ec2Api(state, defaults, cloud.topology),
        resources=resources,
    )
