"""Clusters: CreateCluster, DescribeClusters, UpdateCluster, DeleteCluster.

A cluster is 1 to 10 nodes of one node type, placed in the AZs of its subnet group (or the ones
named in AvailabilityZones) by the cloud's one placement rule; the first node is the primary. Its
role (IamRoleArn) must exist and trust dax.amazonaws.com: the nodes act as it toward DynamoDB.
"""

from __future__ import annotations

from typing import Any, Callable

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.core.topology import UnknownZone
from regionbox.services.dax import validation as check
from regionbox.services.dax.events import EventLog, Messages
from regionbox.services.dax.lifecycle import Lifecycle
from regionbox.services.dax.models import Cluster, DaxState
from regionbox.services.dax.nodes import PORT, TLS_PORT, Nodes, new_node, port_of
from regionbox.services.dax.parameters import DEFAULT_GROUP
from regionbox.services.dax.subnet_groups import DEFAULT, SubnetGroups

DAX_PRINCIPAL = "dax.amazonaws.com"


def not_available(cluster: Cluster) -> ServiceError:
    return ServiceError("InvalidClusterStateFault", f"Cluster {cluster.name} is not in available state.")


def node_quota() -> ServiceError:
    # The model's own words for it (AWS's message is not published).
    return ServiceError("NodeQuotaForClusterExceededFault",
                        "You have attempted to exceed the maximum number of nodes for a DAX cluster.")


class Clusters:
    def __init__(self, state: DaxState, paginator: Paginator, nodes: Nodes, lifecycle: Lifecycle,
                 subnet_groups: SubnetGroups, iam: Callable[[], Any], ec2: Callable[[], Any], events: EventLog) -> None:
        self.state = state
        self.paginator = paginator
        self.nodes = nodes
        self.lifecycle = lifecycle
        self.subnet_groups = subnet_groups
        self.iam = iam
        self.ec2 = ec2
        self.events = events

    # -- what DescribeClusters shows ------------------------------------------------------------------
    def _url(self, scheme: str, address: str, port: int) -> str:
        return f"{scheme}://{address}" + ("" if port in (PORT, TLS_PORT) else f":{port}")

    def describe(self, cluster: Cluster) -> dict:
        scheme = "daxs" if cluster.encryption_type == "TLS" else "dax"
        nodes = [node for node in cluster.nodes if node.address]
        discovery: dict = {"Port": cluster.port}
        if cluster.status != "creating" or nodes:
            address = cluster.discovery_address or (nodes[0].address if nodes else "")
            port = cluster.port if cluster.discovery_address else (nodes[0].port if nodes else cluster.port)
            if address:
                discovery = {"Address": address, "Port": port, "URL": self._url(scheme, address, port)}
        result = {
            "ClusterName": cluster.name, "ClusterArn": cluster.arn, "TotalNodes": len(cluster.nodes),
            "ActiveNodes": sum(1 for node in cluster.nodes if self.nodes.serving(node)),
            "NodeType": cluster.node_type, "Status": cluster.status, "ClusterDiscoveryEndpoint": discovery,
            "PreferredMaintenanceWindow": cluster.maintenance_window, "SubnetGroup": cluster.subnet_group,
            "SecurityGroups": [{"SecurityGroupIdentifier": group, "Status": "active"} for group in cluster.security_groups],
            "IamRoleArn": cluster.role_arn,
            "ParameterGroup": {"ParameterGroupName": cluster.parameter_group, "ParameterApplyStatus": "in-sync",
                               "NodeIdsToReboot": []},
            "SSEDescription": {"Status": "ENABLED" if cluster.sse else "DISABLED"},
            "ClusterEndpointEncryptionType": cluster.encryption_type,
            "NetworkType": cluster.network_type,
        }
        if cluster.description:
            result["Description"] = cluster.description
        if cluster.topic_arn:
            result["NotificationConfiguration"] = {"TopicArn": cluster.topic_arn, "TopicStatus": cluster.topic_status}
        removing = [node.node_id for node in cluster.nodes if node.status == "deleting"]
        if removing:
            result["NodeIdsToRemove"] = removing
        if cluster.status != "creating":
            result["Nodes"] = [{
                "NodeId": node.node_id,
                **({"Endpoint": {"Address": node.address, "Port": node.port,
                                 "URL": self._url(scheme, node.address, node.port)}} if node.address else {}),
                "NodeCreateTime": clock.from_epoch(node.created), "AvailabilityZone": node.zone,
                "NodeStatus": self.nodes.node_status(node), "ParameterGroupStatus": "in-sync",
            } for node in cluster.nodes]
        return result

    # -- checks ------------------------------------------------------------------------------------------
    def _role(self, role_arn: str) -> str:
        check.arn(role_arn)
        iam = self.iam()
        role = iam.role_by_arn(role_arn)
        if role is None or not iam.service_allowed(iam.trust_policy(role_arn), DAX_PRINCIPAL, "sts:AssumeRole",
                                                   role_arn, {}):
            raise check.invalid(f"No permission to assume role: {role_arn}")
        return role_arn

    def zones(self, scope: Scope, subnet_group: str, count: int, named: list[str] | None, start: int = 0) -> list[str]:
        """Zones for ``count`` new nodes: the ones named (each an AZ of the subnet group), then the
        subnet group's AZs round robin, healthy ones first (the cloud's placement rule)."""
        candidates = self.subnet_groups.zones(scope, subnet_group)
        pinned = []
        for name in named or []:
            try:
                zone = self.nodes.topology.zone(name)
            except UnknownZone:
                zone = None
            if zone is None or zone.region != scope[1] or zone.name not in candidates:
                raise check.invalid(f"Invalid availability zone: {name}. It is not an availability zone of the "
                                    f"subnet group {subnet_group}.")
            if not self.nodes.topology.is_available(zone.name):
                raise ServiceError("InsufficientClusterCapacityFault",
                                   f"There is not enough capacity in availability zone {zone.name} for the requested "
                                   "node type.")
            pinned.append(zone.name)
        return self.nodes.topology.place(scope[1], count, candidates=candidates, pinned=pinned, start=start)

    def _security_groups(self, scope: Scope, vpc_id: str, ids: list[str] | None) -> list[str]:
        ec2 = self.ec2()
        if not ids:  # "DAX assigns the default VPC security group to each node"
            default = ec2.default_security_group(scope[0], scope[1], vpc_id) if vpc_id else None
            return [default.group_id] if default is not None else []
        for group_id in ids:
            group = ec2.security_group(scope[0], scope[1], group_id)
            if group is None:
                raise check.invalid(f"Some security group Ids are invalid: {group_id}")
            if vpc_id and group.vpc_id != vpc_id:
                raise ServiceError("InvalidVPCNetworkStateFault",
                                   f"The security group {group_id} is not in the VPC {vpc_id} of the subnet group.")
        return list(dict.fromkeys(ids))

    # -- handlers -------------------------------------------------------------------------------------------
    def create_cluster(self, ctx: RequestContext, params: dict) -> dict:
        name = check.name(params["ClusterName"], "Cluster")
        node_type = check.node_type(params["NodeType"])
        factor = params["ReplicationFactor"]
        if factor < 1:
            raise check.invalid("ReplicationFactor must be at least 1.")
        if factor > check.MAX_REPLICATION_FACTOR:
            raise node_quota()
        named = params.get("AvailabilityZones")
        if named and len(named) != factor:
            raise check.combination("The number of AvailabilityZones must equal the ReplicationFactor.")
        encryption = params.get("ClusterEndpointEncryptionType", "NONE")
        if params.get("NetworkType", "ipv4") != "ipv4":
            raise check.invalid(f"Network type {params['NetworkType']} is not supported by the subnet group: only ipv4.")
        if (ctx.scope, name) in self.state.clusters:
            raise ServiceError("ClusterAlreadyExistsFault", f"Cluster {name} already exists.")
        role_arn = self._role(params["IamRoleArn"])
        subnet_group = params.get("SubnetGroupName", DEFAULT).lower()
        group = self.subnet_groups.group(ctx.scope, subnet_group)
        parameter_group = self.state.parameter_group(ctx.scope, params.get("ParameterGroupName", DEFAULT_GROUP)).name
        security_groups = self._security_groups(ctx.scope, group.vpc_id, params.get("SecurityGroupIds"))
        tags = check.merged_tags([], params.get("Tags") or [])
        zones = self.zones(ctx.scope, subnet_group, factor, named)
        cluster = Cluster(
            name=name, arn=ctx.arn("dax", f"cache/{name}"), node_type=node_type, role_arn=role_arn,
            description=params.get("Description", ""), subnet_group=subnet_group, security_groups=security_groups,
            parameter_group=parameter_group,
            maintenance_window=check.maintenance_window(params["PreferredMaintenanceWindow"])
            if params.get("PreferredMaintenanceWindow") else check.default_maintenance_window(name),
            topic_arn=check.arn(params["NotificationTopicArn"]) if params.get("NotificationTopicArn") else "",
            sse=bool((params.get("SSESpecification") or {}).get("Enabled")), encryption_type=encryption,
            port=port_of(encryption), tags=tags)
        cluster.nodes = [new_node(cluster, zone) for zone in zones]
        cluster.primary = cluster.nodes[0].node_id
        self.nodes.allocate(cluster)
        self.lifecycle.save(ctx.scope, cluster)
        self.lifecycle.spawn_settle(ctx.scope, name)
        return {"Cluster": self.describe(cluster)}

    def describe_clusters(self, ctx: RequestContext, params: dict) -> dict:
        names = params.get("ClusterNames")
        if names:
            clusters = [self.state.cluster(ctx.scope, check.name(name, "Cluster")) for name in names]
        else:
            clusters = self.state.clusters.values(ctx.scope)
        return check.page(self.paginator, "Clusters", [self.describe(c) for c in clusters], params)

    def delete_cluster(self, ctx: RequestContext, params: dict) -> dict:
        cluster = self.state.cluster(ctx.scope, params["ClusterName"], named=False)
        if cluster.status == "deleting":
            raise not_available(cluster)
        cluster.status = "deleting"
        for node in cluster.nodes:
            node.status = "deleting"
        self.lifecycle.save(ctx.scope, cluster)
        self.lifecycle.spawn_settle(ctx.scope, cluster.name)
        return {"Cluster": self.describe(cluster)}

    def update_cluster(self, ctx: RequestContext, params: dict) -> dict:
        cluster = self.state.cluster(ctx.scope, params["ClusterName"])
        if cluster.status != "available":
            raise not_available(cluster)
        changed = []
        if params.get("ParameterGroupName") is not None:
            cluster.parameter_group = self.state.parameter_group(ctx.scope, params["ParameterGroupName"]).name
            changed.append("parameter group")
        if params.get("SecurityGroupIds") is not None:
            vpc = self.subnet_groups.group(ctx.scope, cluster.subnet_group).vpc_id
            cluster.security_groups = self._security_groups(ctx.scope, vpc, params["SecurityGroupIds"])
            changed.append("security groups")
        if params.get("NotificationTopicStatus") is not None:
            status = params["NotificationTopicStatus"]
            if status not in ("active", "inactive"):
                raise check.invalid(f"Invalid value for parameter NotificationTopicStatus: {status}")
            cluster.topic_status = status
        if params.get("PreferredMaintenanceWindow") is not None:
            check.maintenance_window(params["PreferredMaintenanceWindow"])
        if params.get("NotificationTopicArn"):
            check.arn(params["NotificationTopicArn"])
        for member, attribute, what in (("Description", "description", "description"),
                                        ("PreferredMaintenanceWindow", "maintenance_window", "maintenance window"),
                                        ("NotificationTopicArn", "topic_arn", "notification topic")):
            if params.get(member) is not None:
                setattr(cluster, attribute, params[member])
                changed.append(what)
        with self.state.store.transaction():
            self.lifecycle.save(ctx.scope, cluster)
            if changed:
                self.events.record(ctx.scope, cluster.name, "CLUSTER",
                                   Messages.CLUSTER_UPDATED.format(what=", ".join(changed)))
        return {"Cluster": self.describe(cluster)}
