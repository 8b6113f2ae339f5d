"""AWS's default VPC, in every account and region, made the first time EC2 or another service
placing things in subnets needs it.

As on AWS: 172.31.0.0/16 with DNS hostnames on, one default /20 subnet per AZ in AZ order
(172.31.0.0/20, 172.31.16.0/20 ...) that gives instances public addresses, an internet gateway
attached and routed from the main route table (0.0.0.0/0), the default security group and
network ACL, and the region's default DHCP options. It is made once, in one transaction: an
account that deletes its default VPC keeps it deleted (CreateDefaultVpc makes a new one).
"""

from __future__ import annotations

from regionbox.core.context import RequestContext
from regionbox.core.ids import hex_id
from regionbox.core.store import Scope
from regionbox.core.topology import Topology
from regionbox.services.ec2.common import check_dry_run
from regionbox.services.ec2.network import new_default_dhcp_options, new_subnet, new_vpc
from regionbox.services.ec2.state import (
    NETWORK_KEY,
    AccountNetwork,
    Ec2State,
    InternetGateway,
    Vpc,
)

DEFAULT_VPC_CIDR = "172.31.0.0/16"


class DefaultNetwork:
    def __init__(self, state: Ec2State, topology: Topology) -> None:
        self.state = state
        self.topology = topology

    def prepare(self, ctx: RequestContext, params: dict) -> Scope:
        """What every network call does first: answer DryRun, make sure the caller's account and
        region have their default network, and give the store scope."""
        check_dry_run(params)
        self.ensure(ctx.scope)
        return ctx.scope

    def ensure(self, scope: Scope) -> None:
        if self.state.accounts.get(scope, NETWORK_KEY) is not None:
            return
        with self.state.store.transaction():
            options = new_default_dhcp_options(self.state, scope)
            self.state.accounts.put(scope, NETWORK_KEY, AccountNetwork(options.dhcp_options_id))
            self.create_default_vpc(scope)

    def dhcp_options_for_new_vpcs(self, scope: Scope) -> str:
        account = self.state.accounts.get(scope, NETWORK_KEY)
        options = account.default_dhcp_options_id if account else "default"
        return options if options == "default" or self.state.dhcp_options.get(scope, options) else "default"

    def create_default_vpc(self, scope: Scope) -> Vpc:
        """The default VPC and everything in it (the caller holds the transaction)."""
        vpc = new_vpc(self.state, scope, DEFAULT_VPC_CIDR, self.dhcp_options_for_new_vpcs(scope), is_default=True)
        gateway = InternetGateway(hex_id("igw-"), vpc.vpc_id)
        self.state.internet_gateways.put(scope, gateway.internet_gateway_id, gateway)
        main = self.state.main_route_table(scope, vpc.vpc_id)
        main.routes.append({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": gateway.internet_gateway_id,
                            "Origin": "CreateRoute"})
        self.state.route_tables.put(scope, main.route_table_id, main)
        for i, zone in enumerate(self.topology.zones(scope[1])):
            new_subnet(self.state, scope, vpc, f"172.31.{16 * i}.0/20", zone, default_for_az=True)
        return vpc
