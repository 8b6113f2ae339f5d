"""Subnets: CreateSubnet, DescribeSubnets, DeleteSubnet, ModifySubnetAttribute.

A subnet lives in one real AZ of the region (its name and its AZ id from the cloud's topology);
other services place their nodes in the AZs of the subnets they are given.
"""

from __future__ import annotations

from dataclasses import dataclass

from regionbox.core.arns import arn
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.store import Scope
from regionbox.core.topology import Topology, Zone
from regionbox.services.ec2 import cidrs, filters
from regionbox.services.ec2.common import (
    Describer,
    boolean_value,
    existing,
    one_attribute,
    page,
)
from regionbox.services.ec2.default_vpc import DefaultNetwork
from regionbox.services.ec2.network import new_subnet
from regionbox.services.ec2.state import Ec2State, Subnet
from regionbox.services.ec2.tags import from_specifications, with_tags

_UNSUPPORTED = ("Ipv6CidrBlock", "Ipv6Native", "Ipv4IpamPoolId", "Ipv6IpamPoolId", "OutpostArn")

# ModifySubnetAttribute's members -> record field (booleans come as {"Value": bool})
_BOOLEAN_ATTRIBUTES = {
    "MapPublicIpOnLaunch": "map_public_ip_on_launch",
    "EnableResourceNameDnsARecordOnLaunch": "enable_resource_name_dns_a_record",
    "EnableResourceNameDnsAAAARecordOnLaunch": "enable_resource_name_dns_aaaa_record",
}
_UNSUPPORTED_ATTRIBUTES = ("AssignIpv6AddressOnCreation", "EnableDns64", "MapCustomerOwnedIpOnLaunch",
                           "CustomerOwnedIpv4Pool", "EnableLniAtDeviceIndex", "DisableLniAtDeviceIndex")


def subnet_arn(scope: Scope, subnet_id: str) -> str:
    return arn("ec2", scope[1], scope[0], f"subnet/{subnet_id}")


def _fields(scope: Scope) -> filters.Fields:
    return {
        "subnet-id": lambda s: s.subnet_id,
        "subnet-arn": lambda s: subnet_arn(scope, s.subnet_id),
        "vpc-id": lambda s: s.vpc_id,
        "availability-zone": lambda s: s.availability_zone,
        "availabilityZone": lambda s: s.availability_zone,
        "availability-zone-id": lambda s: s.availability_zone_id,
        "availabilityZoneId": lambda s: s.availability_zone_id,
        "available-ip-address-count": lambda s: cidrs.available_addresses(s.cidr_block),
        "cidr": lambda s: s.cidr_block,
        "cidr-block": lambda s: s.cidr_block,
        "cidrBlock": lambda s: s.cidr_block,
        "default-for-az": lambda s: s.default_for_az,
        "defaultForAz": lambda s: s.default_for_az,
        "map-public-ip-on-launch": lambda s: s.map_public_ip_on_launch,
        "owner-id": lambda s: scope[0],
        "state": lambda s: "available",
    }


def subnet_shape(subnet: Subnet, scope: Scope) -> dict:
    return with_tags({
        "SubnetId": subnet.subnet_id,
        "SubnetArn": subnet_arn(scope, subnet.subnet_id),
        "VpcId": subnet.vpc_id,
        "OwnerId": scope[0],
        "State": "available",
        "CidrBlock": subnet.cidr_block,
        "AvailableIpAddressCount": cidrs.available_addresses(subnet.cidr_block),
        "AvailabilityZone": subnet.availability_zone,
        "AvailabilityZoneId": subnet.availability_zone_id,
        "DefaultForAz": subnet.default_for_az,
        "MapPublicIpOnLaunch": subnet.map_public_ip_on_launch,
        "MapCustomerOwnedIpOnLaunch": False,
        "AssignIpv6AddressOnCreation": False,
        "Ipv6CidrBlockAssociationSet": [],
        "Ipv6Native": False,
        "EnableDns64": False,
        "PrivateDnsNameOptionsOnLaunch": {
            "HostnameType": subnet.private_dns_hostname_type,
            "EnableResourceNameDnsARecord": subnet.enable_resource_name_dns_a_record,
            "EnableResourceNameDnsAAAARecord": subnet.enable_resource_name_dns_aaaa_record,
        },
        "BlockPublicAccessStates": {"InternetGatewayBlockMode": "off"},
    }, subnet.tags)


@dataclass
class Subnets:
    state: Ec2State
    defaults: DefaultNetwork
    describer: Describer
    topology: Topology

    def _zone(self, region: str, params: dict, vpc_subnets: int) -> Zone:
        zones = self.topology.zones(region)
        name, zone_id = params.get("AvailabilityZone"), params.get("AvailabilityZoneId")
        if name and zone_id:
            raise ServiceError("InvalidParameterCombination",
                               "The parameters 'availabilityZone' and 'availabilityZoneId' cannot be used together")
        if name or zone_id:
            parameter, value, attribute = (("availabilityZone", name, "name") if name
                                           else ("availabilityZoneId", zone_id, "zone_id"))
            zone = next((z for z in zones if getattr(z, attribute) == value), None)
            if zone is None:
                allowed = ", ".join(getattr(z, attribute) for z in zones)
                raise invalid(f"Value ({value}) for parameter {parameter} is invalid. "
                              f"Subnets can currently only be created in the following availability zones: {allowed}.")
            return zone
        # No zone asked for: AWS picks one; here the cloud's placement rule, spreading a VPC's subnets.
        placed = self.topology.place(region, 1, start=vpc_subnets)[0]
        return next(z for z in zones if z.name == placed)

    def create_subnet(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        if any(params.get(name) is not None for name in _UNSUPPORTED):
            raise ServiceError("UnsupportedOperation", "regionbox emulates IPv4 subnets in the region's AZs only: "
                                                       "IPv6, IPAM pools and Outposts are not available.")
        vpc = existing(self.state, "vpc", scope, params.get("VpcId"))
        if not params.get("CidrBlock"):
            raise ServiceError("MissingParameter", "The request must contain the parameter cidrBlock")
        siblings = self.state.subnets_of(scope, vpc.vpc_id)
        network = cidrs.subnet_block(params["CidrBlock"], vpc.cidr_block, [s.cidr_block for s in siblings])
        zone = self._zone(ctx.region, params, len(siblings))
        tags = from_specifications(params, "subnet")
        subnet = new_subnet(self.state, scope, vpc, str(network), zone, tags=tags)
        return {"Subnet": subnet_shape(subnet, scope)}

    def describe_subnets(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        found, token = self.describer.select(self.state.subnets.values(scope), params, ids="SubnetIds", kind="subnet",
                                             fields=_fields(scope))
        return page({"Subnets": [subnet_shape(s, scope) for s in found]}, token)

    def delete_subnet(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        subnet = existing(self.state, "subnet", scope, params.get("SubnetId"))
        with self.state.store.transaction():
            # Its explicit route table association goes with it.
            for table in self.state.route_tables_of(scope, subnet.vpc_id):
                kept = [a for a in table.associations if a.get("SubnetId") != subnet.subnet_id]
                if len(kept) != len(table.associations):
                    table.associations = kept
                    self.state.route_tables.put(scope, table.route_table_id, table)
            self.state.subnets.delete(scope, subnet.subnet_id)
        return {}

    def modify_subnet_attribute(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        subnet = existing(self.state, "subnet", scope, params.get("SubnetId"))
        if any(params.get(name) is not None for name in _UNSUPPORTED_ATTRIBUTES):
            raise ServiceError("UnsupportedOperation", "regionbox emulates IPv4 subnets only: IPv6, DNS64, customer-owned "
                                                       "pools and local network interfaces are not available.")
        member = one_attribute(params, [*_BOOLEAN_ATTRIBUTES, "PrivateDnsHostnameTypeOnLaunch"])
        if member == "PrivateDnsHostnameTypeOnLaunch":
            subnet.private_dns_hostname_type = params[member]
        else:
            setattr(subnet, _BOOLEAN_ATTRIBUTES[member], boolean_value(params[member]))
        self.state.subnets.put(scope, subnet.subnet_id, subnet)
        return {}
