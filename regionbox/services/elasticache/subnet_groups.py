"""Cache subnet groups: the subnets (and so the Availability Zones) a cluster's nodes go in.

Subnets are EC2's (``cloud.services.api("ec2")``): they must exist in the account and region and
be in one VPC; each brings its real AZ. The group "default" is the default VPC's subnets.
"""

from __future__ import annotations

from typing import Any, Callable

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.models import CacheSubnetGroup
from regionbox.services.elasticache.parameter_groups import GROUP_NAME
from regionbox.services.elasticache.state import ElastiCacheState
from regionbox.services.elasticache.tags import checked_tags



def _describe(group: CacheSubnetGroup) -> dict:
    return {"CacheSubnetGroupName": group.name, "CacheSubnetGroupDescription": group.description, "VpcId": group.vpc_id,
            "Subnets": group.subnets, "ARN": group.arn, "SupportedNetworkTypes": ["ipv4"]}


class SubnetGroups:
    def __init__(self, state: ElastiCacheState, ec2: Callable[[], Any], paginator: Paginator) -> None:
        self.state = state
        # EC2's API, reached when first needed (a cloud asked only for ElastiCache loads EC2 then).
        self.ec2 = ec2
        self.paginator = paginator

    def _subnets(self, scope: Scope, subnet_ids: list[str]) -> tuple[str, list[dict]]:
        """The VPC and the subnets, as EC2 has them. AWS's answers: a subnet EC2 does not have is
        InvalidParameterValue listing the input; subnets of two VPCs are InvalidSubnet."""
        if not subnet_ids:
            raise check.invalid("The parameter SubnetIds must be provided.")
        subnet_ids = list(dict.fromkeys(subnet_ids))
        ec2 = self.ec2()
        found = [ec2.subnet(scope[0], scope[1], subnet_id) for subnet_id in subnet_ids]
        if any(subnet is None for subnet in found):
            raise check.invalid(f"Some input subnets in :[{', '.join(subnet_ids)}] are invalid.")
        first = found[0]
        other = next((subnet for subnet in found if subnet.vpc_id != first.vpc_id), None)
        if other is not None:
            raise ServiceError("InvalidSubnet", f"Subnets {first.subnet_id} and {other.subnet_id} are not in the same VPC.")
        subnets = [{"SubnetIdentifier": s.subnet_id, "SubnetAvailabilityZone": {"Name": s.availability_zone},
                    "SupportedNetworkTypes": ["ipv4"]} for s in found]
        return first.vpc_id, subnets

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

    def vpc_of(self, scope: Scope, name: str | None) -> str:
        """The VPC a subnet group's subnets are in ("default": the default VPC's)."""
        if not name or name == "default":
            subnets = self.ec2().default_subnets(scope[0], scope[1])
            return subnets[0].vpc_id if subnets else ""
        group = self.state.subnet_groups.get(scope, name.lower())
        return group.vpc_id if group is not None else ""

    # -- placement -------------------------------------------------------------------------------------
    def zones_of(self, scope: Scope, name: str | None) -> list[str] | None:
        """The AZs a subnet group's nodes may go in, in its subnets' order ("default": the default
        VPC's subnets, one per AZ). None: any AZ of the region (no default VPC, or no such group)."""
        if not name or name == "default":
            zones = [subnet.availability_zone for subnet in self.ec2().default_subnets(scope[0], scope[1])]
        else:
            group = self.state.subnet_groups.get(scope, name.lower())
            zones = [s["SubnetAvailabilityZone"]["Name"] for s in group.subnets] if group is not None else []
        return list(dict.fromkeys(zones)) or None
