"""VPCs: CreateVpc, CreateDefaultVpc, DescribeVpcs, DeleteVpc, Describe/ModifyVpcAttribute.

IPv4 only: a VPC has one CIDR block, /16 to /28. IPv6 blocks and IPAM pools are not emulated
and are refused with UnsupportedOperation rather than ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.services.ec2 import cidrs, filters
from regionbox.services.ec2.common import (
    Describer,
    boolean_value,
    dependency_violation,
    existing,
    one_attribute,
    page,
)
from regionbox.services.ec2.default_vpc import DefaultNetwork
from regionbox.services.ec2.network import new_vpc
from regionbox.services.ec2.state import Ec2State, Vpc
from regionbox.services.ec2.tags import from_specifications, with_tags

_UNSUPPORTED = ("Ipv6Pool", "Ipv6CidrBlock", "Ipv4IpamPoolId", "Ipv6IpamPoolId", "AmazonProvidedIpv6CidrBlock")

_FIELDS: filters.Fields = {
    "vpc-id": lambda v: v.vpc_id,
    "cidr": lambda v: v.cidr_block,
    "cidr-block-association.cidr-block": lambda v: v.cidr_block,
    "cidr-block-association.association-id": lambda v: v.cidr_association_id,
    "cidr-block-association.state": lambda v: "associated",
    "dhcp-options-id": lambda v: v.dhcp_options_id,
    "is-default": lambda v: v.is_default,
    "isDefault": lambda v: v.is_default,
    "state": lambda v: "available",
}

# DescribeVpcAttribute's Attribute -> (output member, record field)
_ATTRIBUTES = {
    "enableDnsSupport": ("EnableDnsSupport", "enable_dns_support"),
    "enableDnsHostnames": ("EnableDnsHostnames", "enable_dns_hostnames"),
    "enableNetworkAddressUsageMetrics": ("EnableNetworkAddressUsageMetrics", "enable_network_address_usage_metrics"),
}
# ModifyVpcAttribute's members -> record field
_MODIFIABLE = dict(_ATTRIBUTES.values())


def vpc_shape(vpc: Vpc, account: str, state: str = "available") -> dict:
    return with_tags({
        "VpcId": vpc.vpc_id,
        "OwnerId": account,
        "InstanceTenancy": vpc.instance_tenancy,
        "CidrBlock": vpc.cidr_block,
        "CidrBlockAssociationSet": [{"AssociationId": vpc.cidr_association_id, "CidrBlock": vpc.cidr_block,
                                     "CidrBlockState": {"State": "associated"}}],
        "IsDefault": vpc.is_default,
        "State": state,
        "DhcpOptionsId": vpc.dhcp_options_id,
        "BlockPublicAccessStates": {"InternetGatewayBlockMode": "off"},
    }, vpc.tags)


@dataclass
class Vpcs:
    state: Ec2State
    defaults: DefaultNetwork
    describer: Describer

    def create_vpc(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        if any(params.get(name) is not None for name in _UNSUPPORTED):
            raise ServiceError("UnsupportedOperation", "regionbox emulates IPv4 CIDR blocks only: IPv6 blocks and "
                                                       "IPAM pools are not available.")
        if not params.get("CidrBlock"):
            raise ServiceError("MissingParameter", "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.")
        network = cidrs.vpc_block(params["CidrBlock"])
        tenancy = params.get("InstanceTenancy") or "default"
        if tenancy == "host":
            raise invalid("The tenancy value host is not supported.")
        tags = from_specifications(params, "vpc")
        with self.state.store.transaction():
            vpc = new_vpc(self.state, scope, str(network), self.defaults.dhcp_options_for_new_vpcs(scope),
                          tenancy=tenancy, tags=tags)
        # A new VPC is pending in CreateVpc's answer and available as soon as it is described.
        return {"Vpc": vpc_shape(vpc, ctx.account_id, state="pending")}

    def create_default_vpc(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        if self.state.default_vpc(scope) is not None:
            raise ServiceError("DefaultVpcAlreadyExists", "A Default VPC already exists for this account in this region.")
        with self.state.store.transaction():
            vpc = self.defaults.create_default_vpc(scope)
        return {"Vpc": vpc_shape(vpc, ctx.account_id, state="pending")}

    def describe_vpcs(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        fields = {**_FIELDS, "owner-id": lambda v: ctx.account_id}
        found, token = self.describer.select(self.state.vpcs.values(scope), params, ids="VpcIds", kind="vpc",
                                             fields=fields)
        return page({"Vpcs": [vpc_shape(v, ctx.account_id) for v in found]}, token)

    def delete_vpc(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        vpc = existing(self.state, "vpc", scope, params.get("VpcId"))
        # What AWS deletes with the VPC (main route table, default group and ACL) does not count;
        # anything the user made in it, or a gateway still attached, does.
        tables = self.state.route_tables_of(scope, vpc.vpc_id)
        groups = self.state.groups_of(scope, vpc.vpc_id)
        if (self.state.subnets_of(scope, vpc.vpc_id) or self.state.gateway_of(scope, vpc.vpc_id)
                or any(not t.main for t in tables) or any(g.group_name != "default" for g in groups)):
            raise dependency_violation("vpc", vpc.vpc_id)
        with self.state.store.transaction():
            for table in tables:
                self.state.route_tables.delete(scope, table.route_table_id)
            for group in groups:
                for rule in self.state.rules_of(scope, group.group_id):
                    self.state.security_group_rules.delete(scope, rule.rule_id)
                self.state.security_groups.delete(scope, group.group_id)
            for acl in self.state.network_acls.values(scope):
                if acl.vpc_id == vpc.vpc_id:
                    self.state.network_acls.delete(scope, acl.network_acl_id)
            self.state.vpcs.delete(scope, vpc.vpc_id)
        return {}

    def describe_vpc_attribute(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        vpc = existing(self.state, "vpc", scope, params.get("VpcId"))
        attribute = params.get("Attribute")
        if attribute not in _ATTRIBUTES:
            raise invalid(f"Value ({attribute}) for parameter attribute is invalid. "
                          "Unknown attribute.")
        member, name = _ATTRIBUTES[attribute]
        return {"VpcId": vpc.vpc_id, member: {"Value": getattr(vpc, name)}}

    def modify_vpc_attribute(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        vpc = existing(self.state, "vpc", scope, params.get("VpcId"))
        member = one_attribute(params, list(_MODIFIABLE))
        setattr(vpc, _MODIFIABLE[member], boolean_value(params[member]))
        self.state.vpcs.put(scope, vpc.vpc_id, vpc)
        return {}

