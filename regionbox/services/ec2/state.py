"""EC2 state: the network resources of every account and region, as documents in the store.

Each resource is one document keyed by its id, in the account and region it lives in; its tags
are part of it. Collections are named ``ec2.<kind>``. ``Ec2State.find`` reaches any taggable
resource by its id, through the id's prefix (``vpc-``, ``subnet-`` ...), as CreateTags does.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Iterator

from regionbox.core.store import Collection, Scope, Store

# The document of an account+region that says its default network was made (key NETWORK_KEY):
# deleting the default VPC must not make it come back on the next call.
NETWORK_KEY = "network"


@dataclass
class AccountNetwork:
    # The DHCP options new VPCs get ("default" when the account deleted its default set).
    default_dhcp_options_id: str = "default"


@dataclass
class Vpc:
    vpc_id: str
    cidr_block: str
    cidr_association_id: str
    dhcp_options_id: str
    is_default: bool = False
    instance_tenancy: str = "default"
    enable_dns_support: bool = True
    enable_dns_hostnames: bool = False
    enable_network_address_usage_metrics: bool = False
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Subnet:
    subnet_id: str
    vpc_id: str
    cidr_block: str
    availability_zone: str
    availability_zone_id: str
    default_for_az: bool = False
    map_public_ip_on_launch: bool = False
    # Its association with the VPC's default network ACL (every subnet has one).
    network_acl_association_id: str = ""
    private_dns_hostname_type: str = "ip-name"
    enable_resource_name_dns_a_record: bool = False
    enable_resource_name_dns_aaaa_record: bool = False
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class SecurityGroup:
    group_id: str
    group_name: str
    description: str
    vpc_id: str
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class SecurityGroupRule:
    """One rule: one protocol and port range, and one peer (a CIDR, a prefix list or a group).

    AWS keeps rules this way (each has its ``sgr-`` id) and groups them by protocol and ports
    into ``IpPermissions`` when it describes a security group.
    """

    rule_id: str
    group_id: str
    is_egress: bool
    protocol: str  # tcp | udp | icmp | icmpv6 | -1 (all) | a protocol number
    from_port: int = -1  # ICMP: the type
    to_port: int = -1  # ICMP: the code
    cidr_ipv4: str = ""
    cidr_ipv6: str = ""
    prefix_list_id: str = ""
    referenced_group_id: str = ""
    referenced_user_id: str = ""
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)

    def peer(self) -> str:
        return self.cidr_ipv4 or self.cidr_ipv6 or self.prefix_list_id or self.referenced_group_id

    def key(self) -> tuple:
        """What makes two rules the same rule (the description does not)."""
        return (self.is_egress, self.protocol, self.from_port, self.to_port, self.peer())


@dataclass
class RouteTable:
    route_table_id: str
    vpc_id: str
    # Routes in AWS's shape without State: {"DestinationCidrBlock", "GatewayId" | another target, "Origin"}
    routes: list[dict[str, Any]] = field(default_factory=list)
    # {"RouteTableAssociationId", "Main": True} or {"RouteTableAssociationId", "SubnetId"}
    associations: list[dict[str, Any]] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def main(self) -> bool:
        return any(a.get("Main") for a in self.associations)


@dataclass
class InternetGateway:
    internet_gateway_id: str
    vpc_id: str = ""  # attached to, or ""
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class DhcpOptions:
    dhcp_options_id: str
    configurations: list[dict[str, Any]] = field(default_factory=list)  # [{"Key": k, "Values": [v, ...]}]
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class NetworkAcl:
    """A VPC's default network ACL (allow everything, then the catch-all deny). Custom ACLs are
    not built; every subnet of the VPC is associated with this one."""

    network_acl_id: str
    vpc_id: str
    is_default: bool = True
    tags: dict[str, str] = field(default_factory=dict)


# id prefix -> collection name, for CreateTags/DeleteTags/DescribeTags and Ec2State.find
KINDS: dict[str, str] = {
    "vpc": "vpcs",
    "subnet": "subnets",
    "sg": "security_groups",
    "sgr": "security_group_rules",
    "rtb": "route_tables",
    "igw": "internet_gateways",
    "dopt": "dhcp_options",
    "acl": "network_acls",
}

# id prefix -> the ResourceType of TagSpecifications and DescribeTags
RESOURCE_TYPES: dict[str, str] = {
    "vpc": "vpc",
    "subnet": "subnet",
    "sg": "security-group",
    "sgr": "security-group-rule",
    "rtb": "route-table",
    "igw": "internet-gateway",
    "dopt": "dhcp-options",
    "acl": "network-acl",
}


class Ec2State:
    """Every EC2 collection, opened once."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.accounts: Collection[AccountNetwork] = store.collection("ec2.accounts", AccountNetwork)
        self.vpcs: Collection[Vpc] = store.collection("ec2.vpcs", Vpc)
        self.subnets: Collection[Subnet] = store.collection("ec2.subnets", Subnet)
        self.security_groups: Collection[SecurityGroup] = store.collection("ec2.security_groups", SecurityGroup)
        self.security_group_rules: Collection[SecurityGroupRule] = store.collection(
            "ec2.security_group_rules", SecurityGroupRule)
        self.route_tables: Collection[RouteTable] = store.collection("ec2.route_tables", RouteTable)
        self.internet_gateways: Collection[InternetGateway] = store.collection("ec2.internet_gateways", InternetGateway)
        self.dhcp_options: Collection[DhcpOptions] = store.collection("ec2.dhcp_options", DhcpOptions)
        self.network_acls: Collection[NetworkAcl] = store.collection("ec2.network_acls", NetworkAcl)

    def collection_for(self, resource_id: str) -> Collection | None:
        """The collection a resource id belongs to, by its prefix; None for an id of no kind we keep."""
        name = KINDS.get(resource_id.rsplit("-", 1)[0]) if "-" in resource_id else None
        return getattr(self, name) if name else None

    def find(self, scope: Scope, resource_id: str) -> Any | None:
        collection = self.collection_for(resource_id)
        return collection.get(scope, resource_id) if collection is not None else None

    def taggable(self, scope: Scope) -> Iterator[tuple[str, Any]]:
        """(resource type, resource) for every taggable resource of an account and region."""
        for prefix, name in KINDS.items():
            for resource in getattr(self, name).values(scope):
                yield RESOURCE_TYPES[prefix], resource

    # -- relations -----------------------------------------------------------------------------
    def subnets_of(self, scope: Scope, vpc_id: str) -> list[Subnet]:
        return [s for s in self.subnets.values(scope) if s.vpc_id == vpc_id]

    def groups_of(self, scope: Scope, vpc_id: str) -> list[SecurityGroup]:
        return [g for g in self.security_groups.values(scope) if g.vpc_id == vpc_id]

    def rules_of(self, scope: Scope, group_id: str) -> list[SecurityGroupRule]:
        return [r for r in self.security_group_rules.values(scope) if r.group_id == group_id]

    def route_tables_of(self, scope: Scope, vpc_id: str) -> list[RouteTable]:
        return [t for t in self.route_tables.values(scope) if t.vpc_id == vpc_id]

    def main_route_table(self, scope: Scope, vpc_id: str) -> RouteTable | None:
        return next((t for t in self.route_tables_of(scope, vpc_id) if t.main), None)

    def gateway_of(self, scope: Scope, vpc_id: str) -> InternetGateway | None:
        return next((g for g in self.internet_gateways.values(scope) if g.vpc_id == vpc_id), None)

    def default_acl(self, scope: Scope, vpc_id: str) -> NetworkAcl | None:
        return next((a for a in self.network_acls.values(scope) if a.vpc_id == vpc_id and a.is_default), None)

    def default_vpc(self, scope: Scope) -> Vpc | None:
        return next((v for v in self.vpcs.values(scope) if v.is_default), None)


def resource_id(resource: Any) -> str:
    """The id of any resource record (its first field)."""
    return getattr(resource, dataclasses.fields(resource)[0].name)
