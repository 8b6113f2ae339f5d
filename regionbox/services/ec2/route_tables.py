"""Route tables: Create/Describe/DeleteRouteTable, Create/Replace/DeleteRoute, Associate/
Disassociate/ReplaceRouteTableAssociation.

Every VPC has one main route table (the ``Main`` association); a subnet without an explicit
association uses it. Routes are IPv4; of the targets only internet gateways exist in regionbox,
so a route to a NAT gateway, peering connection, interface ... names something that does not
exist and gets that kind's NotFound error. A route whose internet gateway left the VPC is a
``blackhole``, as on AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.ids import hex_id
from regionbox.core.store import Scope
from regionbox.services.ec2 import cidrs, filters
from regionbox.services.ec2.common import (
    ROUTE_TABLE_PAGES,
    Describer,
    dependency_violation,
    existing,
    page,
)
from regionbox.services.ec2.default_vpc import DefaultNetwork
from regionbox.services.ec2.network import local_route
from regionbox.services.ec2.state import Ec2State, RouteTable
from regionbox.services.ec2.tags import from_specifications, with_tags

# Route targets that cannot exist in regionbox -> their NotFound error.
_ABSENT_TARGETS: dict[str, tuple[str, str]] = {
    "NatGatewayId": ("InvalidNatGatewayID.NotFound", "The natGateway ID '{}' does not exist"),
    "NetworkInterfaceId": ("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '{}' does not exist"),
    "InstanceId": ("InvalidInstanceID.NotFound", "The instance ID '{}' does not exist"),
    "VpcPeeringConnectionId": ("InvalidVpcPeeringConnectionID.NotFound", "The vpcPeeringConnection ID '{}' does not exist"),
    "TransitGatewayId": ("InvalidTransitGatewayID.NotFound", "The transitGateway ID '{}' does not exist"),
    "EgressOnlyInternetGatewayId": ("InvalidGatewayID.NotFound", "The eigw ID '{}' does not exist"),
    "VpcEndpointId": ("InvalidVpcEndpointId.NotFound", "The vpcEndpoint ID '{}' does not exist"),
    "LocalGatewayId": ("InvalidLocalGatewayID.NotFound", "The localGateway ID '{}' does not exist"),
    "CarrierGatewayId": ("InvalidCarrierGatewayID.NotFound", "The carrierGateway ID '{}' does not exist"),
    "CoreNetworkArn": ("InvalidParameterValue", "The core network '{}' does not exist"),
    "OdbNetworkArn": ("InvalidParameterValue", "The ODB network '{}' does not exist"),
}
_TARGETS = ("GatewayId", *_ABSENT_TARGETS)


def _association_shape(association: dict, table: RouteTable) -> dict:
    shape = {"Main": bool(association.get("Main")), "RouteTableAssociationId": association["RouteTableAssociationId"],
             "RouteTableId": table.route_table_id, "AssociationState": {"State": "associated"}}
    if association.get("SubnetId"):
        shape["SubnetId"] = association["SubnetId"]
    return shape


@dataclass
class RouteTables:
    state: Ec2State
    defaults: DefaultNetwork
    describer: Describer

    def _route_state(self, scope: Scope, table: RouteTable, route: dict) -> str:
        gateway = route.get("GatewayId", "")
        if gateway.startswith("igw-"):
            attached = self.state.internet_gateways.get(scope, gateway)
            return "active" if attached is not None and attached.vpc_id == table.vpc_id else "blackhole"
        return "active"

    def shape(self, table: RouteTable, scope: Scope) -> dict:
        return with_tags({
            "RouteTableId": table.route_table_id,
            "VpcId": table.vpc_id,
            "OwnerId": scope[0],
            "Routes": [{**route, "State": self._route_state(scope, table, route)} for route in table.routes],
            "Associations": [_association_shape(a, table) for a in table.associations],
            "PropagatingVgws": [],
        }, table.tags)

    def _fields(self, scope: Scope) -> filters.Fields:
        def routes(key: str):
            return lambda t: [r.get(key) for r in t.routes]

        return {
            "route-table-id": lambda t: t.route_table_id,
            "vpc-id": lambda t: t.vpc_id,
            "owner-id": lambda t: scope[0],
            "association.main": lambda t: [bool(a.get("Main")) for a in t.associations],
            "association.route-table-association-id": lambda t: [a["RouteTableAssociationId"] for a in t.associations],
            "association.route-table-id": lambda t: [t.route_table_id for _ in t.associations],
            "association.subnet-id": lambda t: [a.get("SubnetId") for a in t.associations],
            "route.destination-cidr-block": routes("DestinationCidrBlock"),
            "route.gateway-id": routes("GatewayId"),
            "route.origin": routes("Origin"),
            "route.state": lambda t: [self._route_state(scope, t, r) for r in t.routes],
        }

    # -- tables -----------------------------------------------------------------------------------
    def create_route_table(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        vpc = existing(self.state, "vpc", scope, params.get("VpcId"))
        tags = from_specifications(params, "route-table")
        table = RouteTable(hex_id("rtb-"), vpc.vpc_id, routes=[local_route(vpc.cidr_block)], tags=tags)
        self.state.route_tables.put(scope, table.route_table_id, table)
        return {"RouteTable": self.shape(table, scope)}

    def describe_route_tables(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        found, token = self.describer.select(self.state.route_tables.values(scope), params, ids="RouteTableIds",
                                             kind="rtb", fields=self._fields(scope), rule=ROUTE_TABLE_PAGES)
        return page({"RouteTables": [self.shape(t, scope) for t in found]}, token)

    def delete_route_table(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        table = existing(self.state, "rtb", scope, params.get("RouteTableId"))
        if table.associations:  # the main table, or one still associated with subnets
            raise dependency_violation("routeTable", table.route_table_id)
        self.state.route_tables.delete(scope, table.route_table_id)
        return {}

    # -- routes -----------------------------------------------------------------------------------
    def _target(self, scope: Scope, table: RouteTable, params: dict) -> tuple[str, str]:
        given = [member for member in _TARGETS if params.get(member)]
        if not given:
            raise ServiceError("MissingParameter", "The request must contain exactly one route target: "
                                                   + ", ".join(m[:1].lower() + m[1:] for m in _TARGETS))
        if len(given) > 1:
            first, second = (m[:1].lower() + m[1:] for m in given[:2])
            raise ServiceError("InvalidParameterCombination", f"The parameter {first} cannot be used with the parameter {second}")
        member, target = given[0], params[given[0]]
        if member != "GatewayId":
            code, message = _ABSENT_TARGETS[member]
            raise ServiceError(code, message.format(target))
        gateway = self.state.internet_gateways.get(scope, target)
        if gateway is None:
            raise ServiceError("InvalidGatewayID.NotFound", f"The gateway ID '{target}' does not exist")
        if gateway.vpc_id != table.vpc_id:
            raise invalid(f"route table {table.route_table_id} and network gateway "
                          f"{target} belong to different networks")
        return member, target

    @staticmethod
    def _destination(params: dict) -> str:
        if params.get("DestinationIpv6CidrBlock") or params.get("DestinationPrefixListId"):
            raise ServiceError("UnsupportedOperation", "regionbox emulates IPv4 routes to CIDR blocks only.")
        if not params.get("DestinationCidrBlock"):
            raise ServiceError("MissingParameter", "The request must contain the parameter destinationCidrBlock")
        return str(cidrs.block(params["DestinationCidrBlock"], "destinationCidrBlock"))

    def create_route(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        table = existing(self.state, "rtb", scope, params.get("RouteTableId"))
        destination = self._destination(params)
        if any(r["DestinationCidrBlock"] == destination for r in table.routes):
            raise ServiceError("RouteAlreadyExists", f"The route identified by {destination} already exists.")
        member, target = self._target(scope, table, params)
        vpc = existing(self.state, "vpc", scope, table.vpc_id)
        # Inside the VPC's own block only an interface or an instance may be the next hop.
        if cidrs.inside(destination, vpc.cidr_block):
            raise invalid(f"The destination CIDR block {destination} is equal to or more "
                          "specific than one of this VPC's CIDR blocks. This route can target only an interface "
                          "or an instance.")
        table.routes.append({"DestinationCidrBlock": destination, member: target, "Origin": "CreateRoute"})
        self.state.route_tables.put(scope, table.route_table_id, table)
        return {"Return": True}

    def _existing_route(self, ctx: RequestContext, params: dict, verb: str,
                        missing: Callable[[str, str], ServiceError]) -> tuple[Scope, RouteTable, dict]:
        """The route ReplaceRoute or DeleteRoute names; the local route is neither replaced nor removed."""
        scope = self.defaults.prepare(ctx, params)
        table = existing(self.state, "rtb", scope, params.get("RouteTableId"))
        destination = self._destination(params)
        route = next((r for r in table.routes if r["DestinationCidrBlock"] == destination), None)
        if route is None:
            raise missing(destination, table.route_table_id)
        if route.get("GatewayId") == "local":
            raise invalid(f"cannot {verb} local route {destination} in route table {table.route_table_id}")
        return scope, table, route

    def replace_route(self, ctx: RequestContext, params: dict) -> dict:
        scope, table, route = self._existing_route(ctx, params, "replace", lambda destination, _: invalid(
            f"There is no route defined for '{destination}' in the route table. Use CreateRoute instead."))
        member, target = self._target(scope, table, params)
        table.routes[table.routes.index(route)] = {"DestinationCidrBlock": route["DestinationCidrBlock"],
                                                   member: target, "Origin": "CreateRoute"}
        self.state.route_tables.put(scope, table.route_table_id, table)
        return {}

    def delete_route(self, ctx: RequestContext, params: dict) -> dict:
        scope, table, route = self._existing_route(ctx, params, "remove", lambda destination, table_id: ServiceError(
            "InvalidRoute.NotFound", f"no route with destination-cidr-block {destination} in route table {table_id}"))
        table.routes.remove(route)
        self.state.route_tables.put(scope, table.route_table_id, table)
        return {}

    # -- associations -----------------------------------------------------------------------------
    def _association(self, scope: Scope, association_id: str | None) -> tuple[RouteTable, dict]:
        for table in self.state.route_tables.values(scope):
            for association in table.associations:
                if association["RouteTableAssociationId"] == association_id:
                    return table, association
        raise ServiceError("InvalidAssociationID.NotFound", f"The association ID '{association_id}' does not exist")

    def associate_route_table(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        table = existing(self.state, "rtb", scope, params.get("RouteTableId"))
        if params.get("GatewayId"):
            raise ServiceError("UnsupportedOperation", "Gateway route tables (edge associations) are not emulated.")
        if not params.get("SubnetId"):
            raise ServiceError("MissingParameter", "The request must contain the parameter subnetId or gatewayId")
        subnet = existing(self.state, "subnet", scope, params["SubnetId"])
        if subnet.vpc_id != table.vpc_id:
            raise invalid(f"Route table {table.route_table_id} and subnet "
                          f"{subnet.subnet_id} belong to different networks")
        if any(a.get("SubnetId") == subnet.subnet_id for t in self.state.route_tables.values(scope)
               for a in t.associations):
            raise ServiceError("Resource.AlreadyAssociated", f"the specified association for route table "
                                                             f"{table.route_table_id} conflicts with an existing association")
        association = {"RouteTableAssociationId": hex_id("rtbassoc-"), "SubnetId": subnet.subnet_id}
        table.associations.append(association)
        self.state.route_tables.put(scope, table.route_table_id, table)
        return {"AssociationId": association["RouteTableAssociationId"], "AssociationState": {"State": "associated"}}

    def disassociate_route_table(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        table, association = self._association(scope, params.get("AssociationId"))
        if association.get("Main"):
            raise invalid("cannot disassociate the main route table association "
                          f"{association['RouteTableAssociationId']}")
        table.associations.remove(association)
        self.state.route_tables.put(scope, table.route_table_id, table)
        return {}

    def replace_route_table_association(self, ctx: RequestContext, params: dict) -> dict:
        """Moves a subnet to another table, or makes another table the VPC's main one."""
        scope = self.defaults.prepare(ctx, params)
        old, association = self._association(scope, params.get("AssociationId"))
        new = existing(self.state, "rtb", scope, params.get("RouteTableId"))
        if new.vpc_id != old.vpc_id:
            raise invalid(f"Route table {new.route_table_id} and association "
                          f"{association['RouteTableAssociationId']} belong to different networks")
        moved = {**association, "RouteTableAssociationId": hex_id("rtbassoc-")}
        with self.state.store.transaction():
            old.associations.remove(association)
            self.state.route_tables.put(scope, old.route_table_id, old)
            new.associations.append(moved)
            self.state.route_tables.put(scope, new.route_table_id, new)
        return {"NewAssociationId": moved["RouteTableAssociationId"], "AssociationState": {"State": "associated"}}
