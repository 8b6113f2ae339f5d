"""Cache subnet groups: the subnets (and so the Availability Zones) a cluster's nodes go in."""

from __future__ import annotations

import re
import zlib

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.core.topology import Topology
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.models import CacheSubnetGroup
from regionbox.services.elasticache.parameter_groups import GROUP_NAME
from regionbox.services.elasticache.state import ElastiCacheState
from regionbox.services.elasticache.tags import checked_tags

_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")


def _describe(group: CacheSubnetGroup) -> dict:
    return {"CacheSubnetGroupName": group.name, "CacheSubnetGroupDescription": group.description, "VpcId": group.vpc_id,
            "Subnets": group.subnets, "ARN": group.arn, "SupportedNetworkTypes": ["ipv4"]}


class SubnetGroups:
    def __init__(self, state: ElastiCacheState, topology: Topology, paginator: Paginator) -> None:
        self.state = state
        self.topology = topology
        self.paginator = paginator

    def _subnets(self, scope: Scope, subnet_ids: list[str]) -> tuple[str, list[dict]]:
        """Each subnet in an AZ of the region. regionbox's EC2 has no subnets yet: a subnet id is
        placed in an AZ by a stable hash of the id, and all of a group's subnets share one VPC."""
        if not subnet_ids:
            raise check.invalid("The parameter SubnetIds must be provided.")
        zones = self.topology.zones(scope[1])
        subnets = []
        for subnet_id in subnet_ids:
            if not _SUBNET_ID.match(subnet_id):
                raise ServiceError("InvalidSubnet", f"The subnet ID '{subnet_id}' does not exist")
            zone = zones[zlib.crc32(subnet_id.encode()) % len(zones)]
            subnets.append({"SubnetIdentifier": subnet_id, "SubnetAvailabilityZone": {"Name": zone.name},
                            "SupportedNetworkTypes": ["ipv4"]})
        vpc_id = "vpc-" + format(zlib.crc32(f"{scope[0]}.{scope[1]}".encode()), "08x") + "0default"[:9]
        return vpc_id, subnets

    def create_cache_subnet_group(self, ctx: RequestContext, params: dict) -> dict:
        name = params["CacheSubnetGroupName"]
        if not GROUP_NAME.match(name) or name.lower() == "default":
            raise check.invalid(f"Invalid subnet group name: {name}. Subnet group names must begin with a letter; must contain "
                                "only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two "
                                "consecutive hyphens.")
        name = name.lower()
        if self.state.subnet_groups.get(ctx.scope, name) is not None:
            raise ServiceError("CacheSubnetGroupAlreadyExists", f"Cache subnet group {name} already exists.")
        vpc_id, subnets = self._subnets(ctx.scope, params["SubnetIds"])
        group = CacheSubnetGroup(name=name, arn=ctx.arn("elasticache", f"subnetgroup:{name}"),
                                 description=params["CacheSubnetGroupDescription"], vpc_id=vpc_id, subnets=subnets,
                                 tags=checked_tags(params.get("Tags") or []))
        self.state.subnet_groups.put(ctx.scope, name, group)
        return {"CacheSubnetGroup": _describe(group)}

    def describe_cache_subnet_groups(self, ctx: RequestContext, params: dict) -> dict:
        name = params.get("CacheSubnetGroupName")
        groups = [self.state.subnet_group(ctx.scope, name)] if name is not None else self.state.subnet_groups.values(ctx.scope)
        return check.paged(self.paginator, "CacheSubnetGroups", [_describe(g) for g in groups], params)

    def modify_cache_subnet_group(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.subnet_group(ctx.scope, params["CacheSubnetGroupName"])
        vpc_id, subnets = self._subnets(ctx.scope, params["SubnetIds"]) if params.get("SubnetIds") else (group.vpc_id, group.subnets)
        if params.get("CacheSubnetGroupDescription") is not None:
            group.description = params["CacheSubnetGroupDescription"]
        group.vpc_id, group.subnets = vpc_id, subnets
        self.state.subnet_groups.put(ctx.scope, group.name, group)
        return {"CacheSubnetGroup": _describe(group)}

    def delete_cache_subnet_group(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.subnet_group(ctx.scope, params["CacheSubnetGroupName"])
        in_use = [c for c in self.state.cache_clusters.values(ctx.scope) if c.subnet_group == group.name]
        if in_use:
            raise ServiceError("CacheSubnetGroupInUse", f"Cache subnet group {group.name} is currently in use by a cache cluster.")
        self.state.subnet_groups.delete(ctx.scope, group.name)
        return {}

    # -- placement -------------------------------------------------------------------------------------
    def zones_of(self, scope: Scope, name: str | None) -> list[str] | None:
        """The AZs a subnet group's nodes may go in (None: any AZ of the region)."""
        if not name or name == "default":
            return None
        group = self.state.subnet_groups.get(scope, name)
        if group is None:
            return None
        return list(dict.fromkeys(s["SubnetAvailabilityZone"]["Name"] for s in group.subnets)) or None
