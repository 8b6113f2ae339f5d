"""Subnet groups: the subnets, and so the Availability Zones, a cluster's nodes go in.

Subnets are EC2's (``cloud.services.api("ec2")``): they must exist in the account and region and
be in one VPC. The group ``default`` is the default VPC's default subnets, one per AZ, listed as
DAX lists it; it is not stored, so it follows the default VPC.
"""

from __future__ import annotations

from typing import Any, Callable

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.services.dax import validation as check
from regionbox.services.dax.events import EventLog, Messages
from regionbox.services.dax.models import DaxState, SubnetGroup

DEFAULT = "default"
MAX_SUBNETS = 20


def _describe(group: SubnetGroup) -> dict:
    return {"SubnetGroupName": group.name, "Description": group.description, "VpcId": group.vpc_id,
            "Subnets": [{**subnet, "SupportedNetworkTypes": ["ipv4"]} for subnet in group.subnets],
            "SupportedNetworkTypes": ["ipv4"]}


class SubnetGroups:
    def __init__(self, state: DaxState, ec2: Callable[[], Any], paginator: Paginator, events: EventLog) -> None:
        self.state = state
        self.ec2 = ec2  # EC2's api, reached when first needed
        self.paginator = paginator
        self.events = events

    def default(self, scope: Scope) -> SubnetGroup | None:
        subnets = self.ec2().default_subnets(scope[0], scope[1])
        if not subnets:
            return None
        return SubnetGroup(DEFAULT, "Default CacheSubnetGroup", subnets[0].vpc_id,
                           [{"SubnetIdentifier": s.subnet_id, "SubnetAvailabilityZone": s.availability_zone}
                            for s in subnets])

    def group(self, scope: Scope, name: str) -> SubnetGroup:
        if name.lower() == DEFAULT:
            found = self.default(scope)
            if found is None:
                raise ServiceError("SubnetGroupNotFoundFault", "Subnet group default not found.")
            return found
        return self.state.subnet_group(scope, name)

    def zones(self, scope: Scope, name: str) -> list[str]:
        """The AZs of the group's subnets, in their order, once each."""
        return list(dict.fromkeys(s["SubnetAvailabilityZone"] for s in self.group(scope, name).subnets))

    def _subnets(self, scope: Scope, subnet_ids: list[str]) -> tuple[str, list[dict]]:
        if not subnet_ids:
            raise check.invalid("SubnetIds must not be empty.")
        subnet_ids = list(dict.fromkeys(subnet_ids))
        if len(subnet_ids) > MAX_SUBNETS:  # the model's words; 20 as ElastiCache's and MemoryDB's groups
            raise ServiceError("SubnetQuotaExceededFault", "The request cannot be processed because it would exceed the "
                               "allowed number of subnets in a subnet group.")
        found = [self.ec2().subnet(scope[0], scope[1], subnet_id) for subnet_id in subnet_ids]
        missing = [subnet_id for subnet_id, subnet in zip(subnet_ids, found) if subnet is None]
        if missing:
            raise ServiceError("InvalidSubnet", f"The subnet ID {missing[0]} does not exist.")
        vpcs = {subnet.vpc_id for subnet in found}
        if len(vpcs) > 1:
            raise ServiceError("InvalidSubnet", "The subnets must all be in the same VPC.")
        return found[0].vpc_id, [{"SubnetIdentifier": s.subnet_id, "SubnetAvailabilityZone": s.availability_zone}
                                 for s in found]

    def create_subnet_group(self, ctx: RequestContext, params: dict) -> dict:
        name = check.name(params["SubnetGroupName"], "Subnet group")
        if name == DEFAULT or self.state.subnet_groups.get(ctx.scope, name) is not None:
            raise ServiceError("SubnetGroupAlreadyExistsFault", f"Subnet group {name} already exists.")
        vpc_id, subnets = self._subnets(ctx.scope, params["SubnetIds"])
        group = SubnetGroup(name, params.get("Description", ""), vpc_id, subnets)
        self.state.subnet_groups.put(ctx.scope, name, group)
        self.events.record(ctx.scope, name, "SUBNET_GROUP", Messages.SUBNET_GROUP_CREATED.format(group=name))
        return {"SubnetGroup": _describe(group)}

    def describe_subnet_groups(self, ctx: RequestContext, params: dict) -> dict:
        names = params.get("SubnetGroupNames")
        if names:
            groups = [self.group(ctx.scope, name) for name in names]
        else:
            default = self.default(ctx.scope)
            groups = ([default] if default else []) + sorted(self.state.subnet_groups.values(ctx.scope),
                                                             key=lambda g: g.name)
        return check.page(self.paginator, "SubnetGroups", [_describe(g) for g in groups], params)

    def update_subnet_group(self, ctx: RequestContext, params: dict) -> dict:
        name = params["SubnetGroupName"].lower()
        if name == DEFAULT:
            raise check.invalid("The default subnet group cannot be modified.")
        group = self.state.subnet_group(ctx.scope, name)
        if params.get("SubnetIds"):
            vpc_id, subnets = self._subnets(ctx.scope, params["SubnetIds"])
            if vpc_id != group.vpc_id and self._users(ctx.scope, name):
                raise ServiceError("InvalidSubnet", "The subnets of a subnet group in use must stay in its VPC.")
            zones_in_use = {node.zone for cluster in self._users(ctx.scope, name) for node in cluster.nodes}
            zones_kept = {s["SubnetAvailabilityZone"] for s in subnets}
            if not zones_in_use <= zones_kept:
                dropped = [s["SubnetIdentifier"] for s in group.subnets if s["SubnetAvailabilityZone"] not in zones_kept
                           and s["SubnetAvailabilityZone"] in zones_in_use]
                raise ServiceError("SubnetInUse", f"The subnets {', '.join(dropped)} are in use by cluster nodes.")
            group.vpc_id, group.subnets = vpc_id, subnets
        if params.get("Description") is not None:
            group.description = params["Description"]
        self.state.subnet_groups.put(ctx.scope, name, group)
        self.events.record(ctx.scope, name, "SUBNET_GROUP", Messages.SUBNET_GROUP_UPDATED.format(group=name))
        return {"SubnetGroup": _describe(group)}

    def delete_subnet_group(self, ctx: RequestContext, params: dict) -> dict:
        name = params["SubnetGroupName"].lower()
        if name == DEFAULT:
            raise ServiceError("SubnetGroupInUseFault", "The default subnet group cannot be deleted.")
        group = self.state.subnet_group(ctx.scope, name)
        if self._users(ctx.scope, name):
            raise ServiceError("SubnetGroupInUseFault", f"Subnet group {group.name} is currently in use by a cluster.")
        self.state.subnet_groups.delete(ctx.scope, name)
        self.events.record(ctx.scope, name, "SUBNET_GROUP", Messages.SUBNET_GROUP_DELETED.format(group=name))
        return {"DeletionMessage": f"Subnet group {name} has been deleted."}

    def _users(self, scope: Scope, name: str) -> list:
        return [cluster for cluster in self.state.clusters.values(scope) if cluster.subnet_group == name]
