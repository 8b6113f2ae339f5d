"""DB subnet groups: the subnets, and so the AZs, an instance's primary and standby go in.

Subnets are EC2's (``cloud.services.api("ec2")``), in one VPC, at least two AZs as RDS requires.
Instances without a group use the default VPC's subnets, and show a group named "default".
"""

from __future__ import annotations

from typing import Any, Callable

from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.services.rds import validation as check
from regionbox.services.rds.models import DBSubnetGroup, RdsState


def not_found(name: str) -> ServiceError:
    return ServiceError("DBSubnetGroupNotFoundFault", f"DBSubnetGroup '{name}' not found.", 404)


class SubnetGroups:
    def __init__(self, state: RdsState, ec2: Callable[[], Any], paginator: Paginator) -> None:
        self.state = state
        self.ec2 = ec2
        self.paginator = paginator

    def _subnets(self, scope: Scope, subnet_ids: list[str]) -> tuple[str, list[dict]]:
        ec2 = self.ec2()
        found = []
        for subnet_id in dict.fromkeys(subnet_ids):
            subnet = ec2.subnet(scope[0], scope[1], subnet_id)
            if subnet is None:
                raise ServiceError("InvalidSubnet", f"The subnet ID '{subnet_id}' does not exist")
            found.append(subnet)
        if len({s.vpc_id for s in found}) > 1:
            raise ServiceError("InvalidSubnet", "Subnets must all be in the same VPC")
        if len({s.availability_zone for s in found}) < 2:
            raise ServiceError("DBSubnetGroupDoesNotCoverEnoughAZs",
                               "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. Current AZ "
                               f"coverage: {', '.join(sorted({s.availability_zone for s in found}))}. Add subnets to cover at "
                               "least 2 AZs.")
        return found[0].vpc_id, [{"SubnetIdentifier": s.subnet_id, "SubnetAvailabilityZone": {"Name": s.availability_zone},
                                  "SubnetOutpost": {}, "SubnetStatus": "Active"} for s in found]

    def default_group(self, scope: Scope) -> DBSubnetGroup:
        subnets = self.ec2().default_subnets(scope[0], scope[1])
        return DBSubnetGroup(name="default", arn="", description="default", vpc_id=subnets[0].vpc_id if subnets else "",
                             subnets=[{"SubnetIdentifier": s.subnet_id, "SubnetAvailabilityZone": {"Name": s.availability_zone},
                                       "SubnetOutpost": {}, "SubnetStatus": "Active"} for s in subnets])

    def group(self, scope: Scope, name: str | None) -> DBSubnetGroup:
        if not name or name == "default":
            return self.default_group(scope)
        group = self.state.subnet_groups.get(scope, name.lower())
        if group is None:
            raise not_found(name)
        return group

    def zones_of(self, scope: Scope, name: str | None) -> list[str] | None:
        zones = [s["SubnetAvailabilityZone"]["Name"] for s in self.group(scope, name).subnets]
        return list(dict.fromkeys(zones)) or None

    @staticmethod
    def describe(group: DBSubnetGroup) -> dict:
        return {"DBSubnetGroupName": group.name, "DBSubnetGroupDescription": group.description, "VpcId": group.vpc_id,
                "SubnetGroupStatus": "Complete", "Subnets": group.subnets, "DBSubnetGroupArn": group.arn,
                "SupportedNetworkTypes": ["IPV4"]}

    def create_db_subnet_group(self, ctx, params: dict) -> dict:
        name = params["DBSubnetGroupName"]
        if name.lower() == "default":
            raise invalid("DBSubnetGroupName default is reserved")
        if not check.IDENTIFIER.match(name.replace("_", "-").replace(".", "-").replace(" ", "-")):
            raise invalid(f"The parameter DBSubnetGroupName is not a valid identifier: {name}")
        name = name.lower()
        if self.state.subnet_groups.get(ctx.scope, name) is not None:
            raise ServiceError("DBSubnetGroupAlreadyExists", f"The DB subnet group '{name}' already exists.")
        vpc_id, subnets = self._subnets(ctx.scope, params["SubnetIds"])
        group = DBSubnetGroup(name=name, arn=ctx.arn("rds", f"subgrp:{name}"), description=params["DBSubnetGroupDescription"],
                              vpc_id=vpc_id, subnets=subnets, tags=params.get("Tags") or [])
        self.state.subnet_groups.put(ctx.scope, name, group)
        return {"DBSubnetGroup": self.describe(group)}

    def describe_db_subnet_groups(self, ctx, params: dict) -> dict:
        name = params.get("DBSubnetGroupName")
        groups = [self.group(ctx.scope, name) if name != "default" else self.default_group(ctx.scope)] if name else \
            self.state.subnet_groups.values(ctx.scope)
        return check.paged(self.paginator, "DBSubnetGroups", [self.describe(g) for g in groups], params)

    def modify_db_subnet_group(self, ctx, params: dict) -> dict:
        group = self.group(ctx.scope, params["DBSubnetGroupName"])
        if not group.arn:
            raise invalid("The default DB subnet group cannot be modified")
        group.vpc_id, group.subnets = self._subnets(ctx.scope, params["SubnetIds"])
        if params.get("DBSubnetGroupDescription") is not None:
            group.description = params["DBSubnetGroupDescription"]
        self.state.subnet_groups.put(ctx.scope, group.name, group)
        return {"DBSubnetGroup": self.describe(group)}

    def delete_db_subnet_group(self, ctx, params: dict) -> dict:
        group = self.group(ctx.scope, params["DBSubnetGroupName"])
        if not group.arn:
            raise ServiceError("InvalidDBSubnetGroupStateFault", "The default DB subnet group cannot be deleted.")
        if any(i.subnet_group == group.name for i in self.state.instances.values(ctx.scope)):
            raise ServiceError("InvalidDBSubnetGroupStateFault", f"Cannot delete the subnet group '{group.name}' because at "
                               "least one database instance is still using it.")
        self.state.subnet_groups.delete(ctx.scope, group.name)
        return {}
