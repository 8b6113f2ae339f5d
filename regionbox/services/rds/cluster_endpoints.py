"""Custom DB cluster endpoints: Create/Describe/Modify/DeleteDBClusterEndpoint.

A custom endpoint is an address of its own, forwarded by the cloud's endpoint proxies to the
members it selects, one connection after the other: its StaticMembers, or every member but its
ExcludedMembers (new members join), only readers for a READER endpoint. It is routed again with
the cluster's own endpoints (``ClusterMembers.routed``), so a failover or a member going away
changes what it reaches. DescribeDBClusterEndpoints lists a cluster's WRITER and READER endpoints too.
"""

from __future__ import annotations

import secrets
import string
from typing import TYPE_CHECKING

from regionbox.core.errors import ServiceError, invalid
from regionbox.core.store import Scope
from regionbox.services.rds import validation as check
from regionbox.services.rds.cluster_members import ClusterMembers, cluster_invalid_state
from regionbox.services.rds.models import DBCluster, DBClusterEndpoint, DBInstance

if TYPE_CHECKING:
    from regionbox.engines.proxy import EndpointProxy

TYPES = ("READER", "ANY")


def not_found(identifier: str) -> ServiceError:
    return ServiceError("DBClusterEndpointNotFoundFault", f"DBClusterEndpoint {identifier} not found.")


class ClusterEndpoints:
    def __init__(self, members: ClusterMembers, addresses) -> None:
        self.members = members
        self.state = members.state
        self.addresses = addresses
        self.paginator = members.instances.paginator
        self.proxies: dict[tuple[Scope, str], "EndpointProxy"] = {}
        members.routed.append(self.route)

    def get(self, scope: Scope, identifier: str) -> DBClusterEndpoint:
        endpoint = self.state.cluster_endpoints.get(scope, identifier.lower())
        if endpoint is None:
            raise not_found(identifier)
        return endpoint

    def of(self, scope: Scope, cluster_id: str) -> list[DBClusterEndpoint]:
        return [e for e in self.state.cluster_endpoints.values(scope) if e.cluster_identifier == cluster_id]

    # -- routing ---------------------------------------------------------------------------------
    def route(self, scope: Scope, cluster: DBCluster, serving: list[DBInstance]) -> None:
        for endpoint in self.of(scope, cluster.identifier):
            proxy = self.proxies.get((scope, endpoint.identifier))
            if proxy is None:
                proxy = self.proxies[(scope, endpoint.identifier)] = self.members.proxies.open(endpoint.address, cluster.port)
            chosen = [m for m in serving if (m.identifier in endpoint.static_members if endpoint.static_members
                                             else m.identifier not in endpoint.excluded_members)
                      and (endpoint.endpoint_type == "ANY" or m.identifier != cluster.writer)]
            proxy.set_targets([(m.primary.address, cluster.port) for m in chosen])

    def close(self, scope: Scope, identifier: str) -> None:
        proxy = self.proxies.pop((scope, identifier), None)
        if proxy is not None:
            proxy.close()

    def close_all(self) -> None:
        for scope, identifier in list(self.proxies):
            self.close(scope, identifier)

    def cluster_deleted(self, scope: Scope, cluster: DBCluster) -> None:
        for endpoint in self.of(scope, cluster.identifier):
            self.close(scope, endpoint.identifier)
            self.addresses.release(endpoint.address, cluster.port)
            self.state.cluster_endpoints.delete(scope, endpoint.identifier)

    def start(self) -> None:
        for scope, _, endpoint in list(self.state.cluster_endpoints.all()):
            cluster = self.state.clusters.get(scope, endpoint.cluster_identifier)
            if cluster is not None:
                self.addresses.reserve(endpoint.address, cluster.port)

    # -- handlers --------------------------------------------------------------------------------
    @staticmethod
    def describe(endpoint: DBClusterEndpoint, status: str = "available") -> dict:
        return {"DBClusterEndpointIdentifier": endpoint.identifier, "DBClusterIdentifier": endpoint.cluster_identifier,
                "DBClusterEndpointResourceIdentifier": endpoint.resource_id, "Endpoint": endpoint.address, "Status": status,
                "EndpointType": "CUSTOM", "CustomEndpointType": endpoint.endpoint_type, "StaticMembers": endpoint.static_members,
                "ExcludedMembers": endpoint.excluded_members, "DBClusterEndpointArn": endpoint.arn}

    def _selection(self, scope: Scope, cluster: DBCluster, params: dict, endpoint_type: str | None) -> tuple[list[str], list[str]]:
        if endpoint_type is not None and endpoint_type not in TYPES:
            raise invalid(f"Invalid endpoint type: {endpoint_type}. Valid values: READER, ANY.")
        static, excluded = [m.lower() for m in params.get("StaticMembers") or []], [m.lower() for m in params.get("ExcludedMembers") or []]
        if static and excluded:
            raise check.combination("StaticMembers and ExcludedMembers cannot both be specified.")
        members = {m.identifier for m in self.members.members(scope, cluster.identifier)}
        for name in static + excluded:
            if name not in members:
                raise check.instance_not_found(name)
        return static, excluded

    def create_db_cluster_endpoint(self, ctx, params: dict) -> dict:
        scope = ctx.scope
        cluster = self.members.cluster(scope, params["DBClusterIdentifier"])
        identifier = check.identifier(params["DBClusterEndpointIdentifier"], "DBClusterEndpointIdentifier")
        if cluster.status != "available":
            raise cluster_invalid_state(cluster.identifier)
        if (scope, identifier) in self.state.cluster_endpoints:
            raise ServiceError("DBClusterEndpointAlreadyExistsFault", f"DBClusterEndpoint {identifier} already exists.")
        endpoint_type = params["EndpointType"].upper()
        static, excluded = self._selection(scope, cluster, params, endpoint_type)
        address, _ = self.addresses.allocate(cluster.port)
        endpoint = DBClusterEndpoint(
            identifier=identifier, arn=ctx.arn("rds", f"cluster-endpoint:{identifier}"),
            resource_id="cluster-endpoint-" + "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(26)),
            cluster_identifier=cluster.identifier, address=address, endpoint_type=endpoint_type, static_members=static,
            excluded_members=excluded, tags=params.get("Tags") or [])
        self.state.cluster_endpoints.put(scope, identifier, endpoint)
        self.members.route(scope, cluster.identifier)
        return self.describe(endpoint, "creating")

    def describe_db_cluster_endpoints(self, ctx, params: dict) -> dict:
        scope = ctx.scope
        cluster_id, identifier = params.get("DBClusterIdentifier"), params.get("DBClusterEndpointIdentifier")
        rows = []
        clusters = [self.members.cluster(scope, cluster_id)] if cluster_id else self.state.clusters.values(scope)
        for cluster in clusters:
            if not identifier:
                rows += [{"DBClusterIdentifier": cluster.identifier, "Endpoint": address, "Status": "available",
                          "EndpointType": kind} for kind, address in (("WRITER", cluster.endpoint_address),
                                                                      ("READER", cluster.reader_address))]
            rows += [self.describe(e) for e in self.of(scope, cluster.identifier)
                     if not identifier or e.identifier == identifier.lower()]
        for spec in params.get("Filters") or []:
            key = {"db-cluster-endpoint-type": "EndpointType", "db-cluster-endpoint-custom-type": "CustomEndpointType",
                   "db-cluster-endpoint-status": "Status"}.get(spec["Name"])
            if key is None:
                raise invalid(f"Unrecognized filter name: {spec['Name']}")
            values = {v.upper() if key != "Status" else v for v in spec.get("Values") or []}
            rows = [r for r in rows if r.get(key) in values]
        return check.paged(self.paginator, "DBClusterEndpoints", rows, params)

    def modify_db_cluster_endpoint(self, ctx, params: dict) -> dict:
        scope = ctx.scope
        endpoint = self.get(scope, params["DBClusterEndpointIdentifier"])
        cluster = self.members.cluster(scope, endpoint.cluster_identifier)
        endpoint_type = params["EndpointType"].upper() if params.get("EndpointType") else None
        static, excluded = self._selection(scope, cluster, params, endpoint_type)
        if endpoint_type:
            endpoint.endpoint_type = endpoint_type
        if "StaticMembers" in params or "ExcludedMembers" in params:
            endpoint.static_members, endpoint.excluded_members = static, excluded
        self.state.cluster_endpoints.put(scope, endpoint.identifier, endpoint)
        self.members.route(scope, cluster.identifier)
        return self.describe(endpoint, "modifying")

    def delete_db_cluster_endpoint(self, ctx, params: dict) -> dict:
        scope = ctx.scope
        endpoint = self.get(scope, params["DBClusterEndpointIdentifier"])
        cluster = self.state.clusters.get(scope, endpoint.cluster_identifier)
        self.close(scope, endpoint.identifier)
        if cluster is not None:
            self.addresses.release(endpoint.address, cluster.port)
        self.state.cluster_endpoints.delete(scope, endpoint.identifier)
        return self.describe(endpoint, "deleting")
