"""Amazon DynamoDB Accelerator (DAX): clusters of caching nodes in front of DynamoDB.

The control plane (json, all 21 operations): clusters and their nodes (clusters.py,
replication.py), the nodes' background life (lifecycle.py), parameter groups (parameters.py),
subnet groups (subnet_groups.py), events (events.py) and tags (tags.py). Every node is a
``dataplane.NodeServer`` on a loopback address of its own in its AZ (nodes.py), speaking the DAX
wire protocol to the official DAX clients; the cluster's discovery endpoint is an address all its
nodes listen on.
"""

from regionbox.core.service import Service
from regionbox.services.dax.metrics import DaxMetrics


def load(cloud) -> Service:
    from regionbox.services.dax.api import DaxApi
    from regionbox.services.dax.clusters import Clusters
    from regionbox.services.dax.events import EventLog
    from regionbox.services.dax.lifecycle import Lifecycle
    from regionbox.services.dax.models import DaxState
    from regionbox.services.dax.nodes import Nodes
    from regionbox.services.dax.parameters import ParameterGroups
    from regionbox.services.dax.replication import Replication
    from regionbox.services.dax.subnet_groups import SubnetGroups
    from regionbox.services.dax.tags import Tags

    services = cloud.services

    def api(name: str):
        return lambda: services.api(name)

    state = DaxState(cloud.store)
    events = EventLog(state.events, cloud.paginator)
    nodes = Nodes(state, cloud, events, cloud.state_dir / "dax" / "tls")
    lifecycle = Lifecycle(state, nodes, events, cloud.tasks)
    subnet_groups = SubnetGroups(state, api("ec2"), cloud.paginator, events)
    clusters = Clusters(state, cloud.paginator, nodes, lifecycle, subnet_groups, api("iam"), api("ec2"), events)
    replication = Replication(state, clusters, lifecycle, events)
    # A parameter change is read by the nodes at once (NodeView.settings): nothing to push.
    parameter_groups = ParameterGroups(state, cloud.paginator, events, applied=lambda scope, group: None)
    tags = Tags(state)

    async def on_outage(_topic: str, zone) -> None:
        nodes.on_outage(zone.name, lifecycle.save)

    async def on_restore(_topic: str, zone) -> None:
        nodes.on_restore(zone.name, lifecycle.spawn_settle)

    cloud.bus.subscribe("az.outage", on_outage)
    cloud.bus.subscribe("az.restore", on_restore)

    metrics = DaxMetrics(state, nodes, lambda: cloud.services.api("cloudwatch"), lambda: cloud.config.dax_metrics_interval)

    def publish_metrics() -> None:
        cloud.tasks.spawn(metrics.run(), owner="dax", what="AWS/DAX metrics")

    async def start() -> None:
        await lifecycle.restore()
        publish_metrics()

    async def stop() -> None:
        await nodes.stop_all()

    def reset() -> None:
        nodes.forget_all()  # the cloud closes every listener itself
        lifecycle.forget_all()
        metrics.seen.clear()
        publish_metrics()  # the reset cancelled DAX's tasks

    def engines() -> dict[str, str]:
        found = {}
        for (account, region), name, cluster in state.clusters.all():
            primary = nodes.primary(cluster)
            for node in cluster.nodes:
                figures = " ".join(f"{key}={value}" for key, value in nodes.metrics((account, region), name,
                                                                                     node.node_id).items())
                role = "primary" if node.node_id == primary else "replica"
                found[f"dax {name}/{node.node_id}"] = (f"{nodes.node_status(node)} {role} ({account} {region}) {node.zone} "
                                                       f"{node.address}:{node.port} {figures}").strip()
        return found

    return Service(
        name="dax",
        operations={
            # clusters and their nodes
            "CreateCluster": clusters.create_cluster,
            "DescribeClusters": clusters.describe_clusters,
            "UpdateCluster": clusters.update_cluster,
            "DeleteCluster": clusters.delete_cluster,
            "IncreaseReplicationFactor": replication.increase_replication_factor,
            "DecreaseReplicationFactor": replication.decrease_replication_factor,
            "RebootNode": replication.reboot_node,
            # parameter groups
            "CreateParameterGroup": parameter_groups.create_parameter_group,
            "DescribeParameterGroups": parameter_groups.describe_parameter_groups,
            "UpdateParameterGroup": parameter_groups.update_parameter_group,
            "DeleteParameterGroup": parameter_groups.delete_parameter_group,
            "DescribeParameters": parameter_groups.describe_parameters,
            "DescribeDefaultParameters": parameter_groups.describe_default_parameters,
            # subnet groups
            "CreateSubnetGroup": subnet_groups.create_subnet_group,
            "DescribeSubnetGroups": subnet_groups.describe_subnet_groups,
            "UpdateSubnetGroup": subnet_groups.update_subnet_group,
            "DeleteSubnetGroup": subnet_groups.delete_subnet_group,
            # events and tags
            "DescribeEvents": events.describe_events,
            "TagResource": tags.tag_resource,
            "UntagResource": tags.untag_resource,
            "ListTags": tags.list_tags,
        },
        api=DaxApi(nodes),
        start=start,
        stop=stop,
        reset=reset,
        engines=engines,
        # IAM: DAX's management actions cannot be scoped to a cluster, AWS authorizes them on "*"
        # (the DAX developer guide, "IAM permissions for managing a DAX cluster"): no resources.
    )
