"""How VPCs, subnets and security groups come into being, with what AWS creates along with them.

A new VPC gets a main route table (its local route), a default security group ("default":
inbound from itself, outbound to anywhere) and a default network ACL. A new subnet is associated
with its VPC's default network ACL. Callers write inside their own store transaction.
"""

from __future__ import annotations

from regionbox.core.ids import hex_id
from regionbox.core.store import Scope
from regionbox.core.topology import Zone
from regionbox.services.ec2.state import (
    DhcpOptions,
    Ec2State,
    NetworkAcl,
    RouteTable,
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
    Vpc,
)


def local_route(cidr: str) -> dict:
    return {"DestinationCidrBlock": cidr, "GatewayId": "local", "Origin": "CreateRouteTable"}


def new_rule(group_id: str, is_egress: bool, protocol: str = "-1", from_port: int = -1, to_port: int = -1,
             **peer: str) -> SecurityGroupRule:
    return SecurityGroupRule(hex_id("sgr-"), group_id, is_egress, protocol, from_port, to_port, **peer)


def new_security_group(state: Ec2State, scope: Scope, vpc_id: str, name: str, description: str,
                       tags: dict[str, str] | None = None) -> SecurityGroup:
    """A security group with the one rule every new group has: all traffic out to anywhere."""
    group = SecurityGroup(hex_id("sg-"), name, description, vpc_id, tags or {})
    state.security_groups.put(scope, group.group_id, group)
    egress = new_rule(group.group_id, True, cidr_ipv4="0.0.0.0/0")
    state.security_group_rules.put(scope, egress.rule_id, egress)
    return group


def new_vpc(state: Ec2State, scope: Scope, cidr: str, dhcp_options_id: str, *, is_default: bool = False,
            tenancy: str = "default", tags: dict[str, str] | None = None) -> Vpc:
    # DNS hostnames are on in a default VPC and off in the ones users create.
    vpc = Vpc(hex_id("vpc-"), cidr, hex_id("vpc-cidr-assoc-"), dhcp_options_id, is_default=is_default,
              instance_tenancy=tenancy, enable_dns_hostnames=is_default, tags=tags or {})
    state.vpcs.put(scope, vpc.vpc_id, vpc)
    main = RouteTable(hex_id("rtb-"), vpc.vpc_id, routes=[local_route(cidr)],
                      associations=[{"RouteTableAssociationId": hex_id("rtbassoc-"), "Main": True}])
    state.route_tables.put(scope, main.route_table_id, main)
    group = new_security_group(state, scope, vpc.vpc_id, "default", "default VPC security group")
    # The default group lets in all traffic from its own members.
    ingress = new_rule(group.group_id, False, referenced_group_id=group.group_id, referenced_user_id=scope[0])
    state.security_group_rules.put(scope, ingress.rule_id, ingress)
    acl = NetworkAcl(hex_id("acl-"), vpc.vpc_id)
    state.network_acls.put(scope, acl.network_acl_id, acl)
    return vpc


def new_subnet(state: Ec2State, scope: Scope, vpc: Vpc, cidr: str, zone: Zone, *, default_for_az: bool = False,
               tags: dict[str, str] | None = None) -> Subnet:
    # Default subnets give instances public addresses; subnets users create do not.
    subnet = Subnet(hex_id("subnet-"), vpc.vpc_id, cidr, zone.name, zone.zone_id, default_for_az=default_for_az,
                    map_public_ip_on_launch=default_for_az, network_acl_association_id=hex_id("aclassoc-"),
                    tags=tags or {})
    state.subnets.put(scope, subnet.subnet_id, subnet)
    return subnet


def new_default_dhcp_options(state: Ec2State, scope: Scope) -> DhcpOptions:
    """The region's default DHCP options: Amazon's DNS and the region's internal domain."""
    region = scope[1]
    domain = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
    options = DhcpOptions(hex_id("dopt-"), [{"Key": "domain-name", "Values": [domain]},
                                            {"Key": "domain-name-servers", "Values": ["AmazonProvidedDNS"]}])
    state.dhcp_options.put(scope, options.dhcp_options_id, options)
    return options
