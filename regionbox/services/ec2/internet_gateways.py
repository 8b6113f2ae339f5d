"""Internet gateways: Create/Attach/Detach/Delete/DescribeInternetGateways.

A VPC has at most one; a gateway is attached to at most one VPC and must be detached before it
is deleted. DescribeInternetGateways reports an attachment's state as ``available``, as AWS does.
"""

from __future__ import annotations

from dataclasses import dataclass

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.ids import hex_id
from regionbox.services.ec2 import filters
from regionbox.services.ec2.common import (
    Describer,
    dependency_violation,
    existing,
    page,
)
from regionbox.services.ec2.default_vpc import DefaultNetwork
from regionbox.services.ec2.state import Ec2State, InternetGateway
from regionbox.services.ec2.tags import from_specifications, with_tags

_FIELDS: filters.Fields = {
    "internet-gateway-id": lambda g: g.internet_gateway_id,
    "attachment.vpc-id": lambda g: g.vpc_id or None,
    "attachment.state": lambda g: "available" if g.vpc_id else None,
}


def gateway_shape(gateway: InternetGateway, account: str) -> dict:
    attachments = [{"State": "available", "VpcId": gateway.vpc_id}] if gateway.vpc_id else []
    return with_tags({"InternetGatewayId": gateway.internet_gateway_id, "OwnerId": account,
                      "Attachments": attachments}, gateway.tags)


@dataclass
class InternetGateways:
    state: Ec2State
    defaults: DefaultNetwork
    describer: Describer

    def create_internet_gateway(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        gateway = InternetGateway(hex_id("igw-"), tags=from_specifications(params, "internet-gateway"))
        self.state.internet_gateways.put(scope, gateway.internet_gateway_id, gateway)
        return {"InternetGateway": gateway_shape(gateway, ctx.account_id)}

    def describe_internet_gateways(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        fields = {**_FIELDS, "owner-id": lambda g: ctx.account_id}
        found, token = self.describer.select(self.state.internet_gateways.values(scope), params,
                                             ids="InternetGatewayIds", kind="igw", fields=fields)
        return page({"InternetGateways": [gateway_shape(g, ctx.account_id) for g in found]}, token)

    def attach_internet_gateway(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        gateway = existing(self.state, "igw", scope, params.get("InternetGatewayId"))
        vpc = existing(self.state, "vpc", scope, params.get("VpcId"))
        if gateway.vpc_id:
            raise ServiceError("Resource.AlreadyAssociated", f"resource {gateway.internet_gateway_id} is already "
                                                             f"attached to network {gateway.vpc_id}")
        if self.state.gateway_of(scope, vpc.vpc_id) is not None:
            raise invalid(f"Network {vpc.vpc_id} already has an internet gateway attached")
        gateway.vpc_id = vpc.vpc_id
        self.state.internet_gateways.put(scope, gateway.internet_gateway_id, gateway)
        return {}

    def detach_internet_gateway(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        gateway = existing(self.state, "igw", scope, params.get("InternetGatewayId"))
        vpc = existing(self.state, "vpc", scope, params.get("VpcId"))
        if gateway.vpc_id != vpc.vpc_id:
            raise ServiceError("Gateway.NotAttached", f"resource {gateway.internet_gateway_id} is not attached to "
                                                      f"network {vpc.vpc_id}")
        # Routes through it stay and turn into blackholes.
        gateway.vpc_id = ""
        self.state.internet_gateways.put(scope, gateway.internet_gateway_id, gateway)
        return {}

    def delete_internet_gateway(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        gateway = existing(self.state, "igw", scope, params.get("InternetGatewayId"))
        if gateway.vpc_id:
            raise dependency_violation("internetGateway", gateway.internet_gateway_id)
        self.state.internet_gateways.delete(scope, gateway.internet_gateway_id)
        return {}
