"""DescribeAccountAttributes: what the account's EC2 offers in the region, its default VPC first
among them (tools such as Terraform ask it before anything else)."""

from __future__ import annotations

from dataclasses import dataclass

from regionbox.core.context import RequestContext
from regionbox.core.errors import invalid
from regionbox.services.ec2.default_vpc import DefaultNetwork
from regionbox.services.ec2.state import Ec2State

# AWS's default quotas, as the attributes report them.
_FIXED = {
    "supported-platforms": ["VPC"],
    "vpc-max-security-groups-per-interface": ["5"],
    "max-elastic-ips": ["5"],
    "max-instances": ["20"],
    "vpc-max-elastic-ips": ["5"],
}


@dataclass
class AccountAttributes:
    state: Ec2State
    defaults: DefaultNetwork

    def describe_account_attributes(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        vpc = self.state.default_vpc(scope)
        attributes = {**_FIXED, "default-vpc": [vpc.vpc_id if vpc is not None else "none"]}
        names = params.get("AttributeNames") or list(attributes)
        unknown = next((name for name in names if name not in attributes), None)
        if unknown is not None:
            raise invalid(f"Value ({unknown}) for parameter attributeName is invalid. Unknown attribute.")
        return {"AccountAttributes": [{"AttributeName": name, "AttributeValues": [{"AttributeValue": v}
                                                                                   for v in attributes[name]]}
                                      for name in names]}
