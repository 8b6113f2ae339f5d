"""What each EC2 operation touches, for the gateway's authorization (``Service.resources``).

As EC2's authorization reference has it: Describe* calls are authorized on "*"; a Create call on
the new resource's type (``arn:aws:ec2:REGION:ACCOUNT:vpc/*``) and on the resources it is made in
(the VPC of CreateSubnet); other calls on the resources they name (by id, in any member, and in
CreateTags' Resources). A request that names a VPC carries the ec2:Vpc condition key.
"""

from __future__ import annotations

from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.service import Access

# id prefix -> resource type in EC2's ARNs
_TYPES = {"vpc-": "vpc", "subnet-": "subnet", "sg-": "security-group", "rtb-": "route-table",
          "igw-": "internet-gateway", "dopt-": "dhcp-options", "acl-": "network-acl"}
# Create operation -> the type it creates
_CREATES = {"CreateVpc": "vpc", "CreateDefaultVpc": "vpc", "CreateSubnet": "subnet", "CreateSecurityGroup": "security-group",
            "CreateRouteTable": "route-table", "CreateInternetGateway": "internet-gateway", "CreateDhcpOptions": "dhcp-options"}


def _ids(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.startswith(tuple(_TYPES)) else []
    if isinstance(value, list):
        return [i for item in value for i in _ids(item)]
    if isinstance(value, dict):
        return [i for item in value.values() for i in _ids(item)]
    return []


def resources(ctx: RequestContext, operation: str, params: dict) -> list:
    if operation.startswith("Describe"):
        return ["*"]
    context = {"ec2:Vpc": ctx.arn("ec2", f"vpc/{params['VpcId']}")} if isinstance(params.get("VpcId"), str) else {}
    arns = [ctx.arn("ec2", f"{_CREATES[operation]}/*")] if operation in _CREATES else []
    for resource_id in dict.fromkeys(_ids({k: v for k, v in params.items() if k.endswith(("Id", "Ids")) or k == "Resources"})):
        arns.append(ctx.arn("ec2", f"{next(t for p, t in _TYPES.items() if resource_id.startswith(p))}/{resource_id}"))
    return [Access(arn, context=context) for arn in arns] or ["*"]
