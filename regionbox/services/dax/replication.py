"""A cluster's nodes: IncreaseReplicationFactor, DecreaseReplicationFactor, RebootNode.

The cluster is ``modifying`` while nodes are added or removed and ``available`` again when they
are; a rebooted node is ``rebooting``, drops its connections and comes back with an empty cache.
Removing nodes without naming them takes replicas, newest first, from the AZs named if any; a
removed primary hands its role to a remaining node.
"""

from __future__ import annotations

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.dax import validation as check
from regionbox.services.dax.clusters import Clusters, node_quota, not_available
from regionbox.services.dax.events import EventLog, Messages
from regionbox.services.dax.lifecycle import Lifecycle
from regionbox.services.dax.models import DaxState
from regionbox.services.dax.nodes import new_node


class Replication:
    def __init__(self, state: DaxState, clusters: Clusters, lifecycle: Lifecycle, events: EventLog) -> None:
        self.state = state
        self.clusters = clusters
        self.lifecycle = lifecycle
        self.events = events

    def increase_replication_factor(self, ctx: RequestContext, params: dict) -> dict:
        cluster = self.state.cluster(ctx.scope, params["ClusterName"])
        if cluster.status != "available":
            raise not_available(cluster)
        wanted, current = params["NewReplicationFactor"], len(cluster.nodes)
        if wanted > check.MAX_REPLICATION_FACTOR:
            raise node_quota()
        if wanted <= current:
            raise check.invalid(f"NewReplicationFactor {wanted} must be greater than the current replication factor "
                                f"{current}.")
        named = params.get("AvailabilityZones")
        if named and len(named) != wanted - current:
            raise check.combination("The number of AvailabilityZones must equal the number of nodes to add "
                                    f"({wanted - current}).")
        zones = self.clusters.zones(ctx.scope, cluster.subnet_group, wanted - current, named, start=current)
        cluster.nodes.extend(new_node(cluster, zone) for zone in zones)
        cluster.status = "modifying"
        self.lifecycle.save(ctx.scope, cluster)
        self.lifecycle.spawn_settle(ctx.scope, cluster.name)
        return {"Cluster": self.clusters.describe(cluster)}

    def decrease_replication_factor(self, ctx: RequestContext, params: dict) -> dict:
        cluster = self.state.cluster(ctx.scope, params["ClusterName"])
        if cluster.status != "available":
            raise not_available(cluster)
        wanted, current = params["NewReplicationFactor"], len(cluster.nodes)
        if wanted < 1 or wanted >= current:
            raise check.invalid(f"NewReplicationFactor {wanted} must be at least 1 and less than the current "
                                f"replication factor {current}.")
        count = current - wanted
        by_id = {node.node_id: node for node in cluster.nodes}
        given = params.get("NodeIdsToRemove")
        if given:
            missing = [node_id for node_id in given if node_id not in by_id]
            if missing:
                raise ServiceError("NodeNotFoundFault", f"Node {missing[0]} not found in cluster {cluster.name}.")
            given = list(dict.fromkeys(given))
            if len(given) != count:
                raise check.combination(f"The number of NodeIdsToRemove ({len(given)}) must equal the number of "
                                        f"nodes to remove ({count}).")
            removed = given
        else:
            zones = params.get("AvailabilityZones")
            if zones and not set(zones) <= {node.zone for node in cluster.nodes}:
                raise check.invalid(f"The cluster {cluster.name} has no node in the availability zones "
                                    f"{', '.join(sorted(set(zones) - {n.zone for n in cluster.nodes}))}.")
            # Replicas first, newest first; the primary last.
            order = sorted(cluster.nodes, key=lambda n: (n.node_id == cluster.primary, -cluster.nodes.index(n)))
            if zones:
                order = [n for n in order if n.zone in zones] + [n for n in order if n.zone not in zones]
            removed = [node.node_id for node in order[:count]]
        for node_id in removed:
            by_id[node_id].status = "deleting"
        if cluster.primary in removed:
            cluster.primary = next(node.node_id for node in cluster.nodes if node.node_id not in removed)
        cluster.status = "modifying"
        with self.state.store.transaction():
            self.lifecycle.save(ctx.scope, cluster)
            self.events.record(ctx.scope, cluster.name, "CLUSTER", Messages.NODES_REMOVED.format(nodes=", ".join(removed)))
        self.lifecycle.spawn_settle(ctx.scope, cluster.name)
        return {"Cluster": self.clusters.describe(cluster)}

    def reboot_node(self, ctx: RequestContext, params: dict) -> dict:
        cluster = self.state.cluster(ctx.scope, params["ClusterName"])
        node = next((n for n in cluster.nodes if n.node_id == params["NodeId"]), None)
        if node is None:
            raise ServiceError("NodeNotFoundFault", f"Node {params['NodeId']} not found in cluster {cluster.name}.")
        if cluster.status != "available" or self.lifecycle.nodes.node_status(node) != "available":
            raise not_available(cluster)
        node.status = "rebooting"
        with self.state.store.transaction():
            self.lifecycle.save(ctx.scope, cluster)
            self.events.record(ctx.scope, cluster.name, "CLUSTER", Messages.NODE_REBOOTING.format(node=node.node_id))
        self.lifecycle.spawn_reboot(ctx.scope, cluster.name, node.node_id)
        return {"Cluster": self.clusters.describe(cluster)}
