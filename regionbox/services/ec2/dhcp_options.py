"""DHCP option sets: Create/Describe/Delete/AssociateDhcpOptions.

Each account and region has the default set (AmazonProvidedDNS and the region's internal
domain) that its VPCs use; ``default`` as an id means "no options" in AssociateDhcpOptions.
"""

from __future__ import annotations

from dataclasses import dataclass

from regionbox.core.context import RequestContext
from regionbox.core.errors import invalid
from regionbox.core.ids import hex_id
from regionbox.services.ec2 import filters
from regionbox.services.ec2.common import (
    Describer,
    dependency_violation,
    existing,
    page,
)
from regionbox.services.ec2.default_vpc import DefaultNetwork
from regionbox.services.ec2.state import DhcpOptions, Ec2State
from regionbox.services.ec2.tags import from_specifications, with_tags

KEYS = ("domain-name", "domain-name-servers", "ntp-servers", "netbios-name-servers", "netbios-node-type",
        "ipv6-address-preferred-lease-time")

_FIELDS: filters.Fields = {
    "dhcp-options-id": lambda o: o.dhcp_options_id,
    "key": lambda o: [c["Key"] for c in o.configurations],
    "value": lambda o: [v for c in o.configurations for v in c["Values"]],
}


def options_shape(options: DhcpOptions, account: str) -> dict:
    return with_tags({
        "DhcpOptionsId": options.dhcp_options_id,
        "OwnerId": account,
        "DhcpConfigurations": [{"Key": c["Key"], "Values": [{"Value": v} for v in c["Values"]]}
                               for c in options.configurations],
    }, options.tags)


@dataclass
class DhcpOptionSets:
    state: Ec2State
    defaults: DefaultNetwork
    describer: Describer

    def create_dhcp_options(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        configurations = []
        for entry in params.get("DhcpConfigurations") or []:
            key, values = entry.get("Key"), entry.get("Values") or []
            if key not in KEYS:
                raise invalid(f"Value ({key}) for parameter name is invalid. Unknown "
                              "DHCP option")
            if not values:
                raise invalid(f"Value for parameter {key} is missing")
            configurations.append({"Key": key, "Values": list(values)})
        options = DhcpOptions(hex_id("dopt-"), configurations, from_specifications(params, "dhcp-options"))
        self.state.dhcp_options.put(scope, options.dhcp_options_id, options)
        return {"DhcpOptions": options_shape(options, ctx.account_id)}

    def describe_dhcp_options(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        fields = {**_FIELDS, "owner-id": lambda o: ctx.account_id}
        found, token = self.describer.select(self.state.dhcp_options.values(scope), params, ids="DhcpOptionsIds",
                                             kind="dopt", fields=fields)
        return page({"DhcpOptions": [options_shape(o, ctx.account_id) for o in found]}, token)

    def delete_dhcp_options(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        options = existing(self.state, "dopt", scope, params.get("DhcpOptionsId"))
        if any(v.dhcp_options_id == options.dhcp_options_id for v in self.state.vpcs.values(scope)):
            raise dependency_violation("dhcpOptions", options.dhcp_options_id)
        self.state.dhcp_options.delete(scope, options.dhcp_options_id)
        return {}

    def associate_dhcp_options(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        options_id = params.get("DhcpOptionsId")
        if options_id != "default":
            options_id = existing(self.state, "dopt", scope, options_id).dhcp_options_id
        vpc = existing(self.state, "vpc", scope, params.get("VpcId"))
        vpc.dhcp_options_id = options_id
        self.state.vpcs.put(scope, vpc.vpc_id, vpc)
        return {}
