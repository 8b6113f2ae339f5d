"""What EC2 offers other services (``cloud.services.api("ec2")``): the subnets, VPCs and security
groups they place things in. Services place nodes in the AZs of the subnets they are given, or of
the account's default subnets.

The answers are frozen copies: nothing a caller does with them changes EC2's state.
"""

from __future__ import annotations

from dataclasses import dataclass

from regionbox.core.topology import Topology
from regionbox.services.ec2 import state as records
from regionbox.services.ec2.default_vpc import DefaultNetwork
from regionbox.services.ec2.state import Ec2State


@dataclass(frozen=True)
class Subnet:
    subnet_id: str
    vpc_id: str
    availability_zone: str  # ap-northeast-1a
    availability_zone_id: str  # apne1-az4
    cidr_block: str


@dataclass(frozen=True)
class Vpc:
    vpc_id: str
    cidr_block: str
    is_default: bool


@dataclass(frozen=True)
class SecurityGroup:
    group_id: str
    group_name: str
    vpc_id: str


def _subnet(subnet: records.Subnet) -> Subnet:
    return Subnet(subnet.subnet_id, subnet.vpc_id, subnet.availability_zone, subnet.availability_zone_id,
                  subnet.cidr_block)


class Ec2Api:
    def __init__(self, state: Ec2State, defaults: DefaultNetwork, topology: Topology) -> None:
        self._state = state
        self._defaults = defaults
        self._topology = topology

    def subnet(self, account: str, region: str, subnet_id: str) -> Subnet | None:
        """The subnet with this id in the account and region, or None."""
        self._defaults.ensure((account, region))
        found = self._state.subnets.get((account, region), subnet_id)
        return _subnet(found) if found is not None else None

    def default_subnets(self, account: str, region: str) -> list[Subnet]:
        """The default VPC's default subnets, one per AZ in AZ order (made with the default VPC
        the first time the account and region need it); [] when the account deleted its default VPC."""
        scope = (account, region)
        self._defaults.ensure(scope)
        vpc = self._state.default_vpc(scope)
        if vpc is None:
            return []
        order = [zone.name for zone in self._topology.zones(region)]
        subnets = [s for s in self._state.subnets_of(scope, vpc.vpc_id) if s.default_for_az]
        subnets.sort(key=lambda s: order.index(s.availability_zone) if s.availability_zone in order else len(order))
        return [_subnet(s) for s in subnets]

    def default_vpc(self, account: str, region: str) -> Vpc | None:
        self._defaults.ensure((account, region))
        vpc = self._state.default_vpc((account, region))
        return Vpc(vpc.vpc_id, vpc.cidr_block, vpc.is_default) if vpc is not None else None

    def vpc(self, account: str, region: str, vpc_id: str) -> Vpc | None:
        """The VPC with this id in the account and region, or None."""
        self._defaults.ensure((account, region))
        vpc = self._state.vpcs.get((account, region), vpc_id)
        return Vpc(vpc.vpc_id, vpc.cidr_block, vpc.is_default) if vpc is not None else None

    def security_group(self, account: str, region: str, group_id: str) -> SecurityGroup | None:
        self._defaults.ensure((account, region))
        group = self._state.security_groups.get((account, region), group_id)
        return SecurityGroup(group.group_id, group.group_name, group.vpc_id) if group is not None else None

    def default_security_group(self, account: str, region: str, vpc_id: str) -> SecurityGroup | None:
        """The VPC's own "default" security group (what a service assigns when given none), or None."""
        self._defaults.ensure((account, region))
        group = next((g for g in self._state.groups_of((account, region), vpc_id) if g.group_name == "default"), None)
        return SecurityGroup(group.group_id, group.group_name, group.vpc_id) if group is not None else None
