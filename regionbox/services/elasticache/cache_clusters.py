"""Cache clusters: Memcached clusters of 1-40 nodes, single-node Redis/Valkey clusters, and the
member clusters of replication groups as DescribeCacheClusters lists them.

Every Memcached node is a memcached process on its own loopback address on 11211, in the AZ it
was placed in; the cluster's configuration endpoint (``memcached.py``) tells auto-discovery
clients which nodes there are. Create, Modify, Reboot and Delete answer at once with the status
AWS shows ("creating", "modifying", "rebooting cache cluster nodes", "deleting") and do the work in
the background, so the transitions are observable and boto3's waiters work.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import TYPE_CHECKING, Any

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.engines import Node, NodeSpec
from regionbox.services.elasticache import engine_catalog as catalog
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.events import EventLog, Messages
from regionbox.services.elasticache.memcached import ConfigurationEndpoint, memcached_options
from regionbox.services.elasticache.models import MEMCACHED_PORT, REDIS_PORT, CacheCluster, CacheNode
from regionbox.services.elasticache.nodes import RedisNodes, node_key
from regionbox.services.elasticache.parameter_groups import checked_parameter_group, parameter_values, upgraded_parameter_group
from regionbox.services.elasticache.placement import Placement, ZoneUnavailable
from regionbox.services.elasticache.replication_groups import ReplicationGroups, member_failures
from regionbox.services.elasticache.restores import Restores
from regionbox.services.elasticache.snapshots import Snapshots
from regionbox.services.elasticache.standalone_redis import StandaloneRedis
from regionbox.services.elasticache.state import ElastiCacheState
from regionbox.services.elasticache.tags import checked_tags

if TYPE_CHECKING:
    from regionbox.engines import Supervisor

log = logging.getLogger("regionbox.elasticache")

MAX_MEMCACHED_NODES = 40  # "Nodes per cluster (Memcached)" default quota
CLIENT_DOWNLOAD = "https://console.aws.amazon.com/elasticache/home#client-download:"
ENGINES = ("memcached", "redis", "valkey")


def _endpoint(address: str | None, port: int) -> dict | None:
    return {"Address": address, "Port": port} if address else None


def engine_node_id(scope: Scope, cluster: CacheCluster, node: CacheNode) -> str:
    if cluster.engine == "memcached":
        return f"{scope[0]}.{scope[1]}.{cluster.cluster_id}.{node.node_id}"
    return node_key(scope, cluster.cluster_id)  # the same key replication group members have


def describe_cache_cluster(cluster: CacheCluster, show_nodes: bool) -> dict[str, Any]:
    """A cache cluster as DescribeCacheClusters (and every Create/Modify/Delete of it) answers."""
    memcached = cluster.engine == "memcached"
    result: dict[str, Any] = {
        "CacheClusterId": cluster.cluster_id,
        "ClientDownloadLandingPage": CLIENT_DOWNLOAD,
        "CacheNodeType": cluster.node_type,
        "Engine": cluster.engine,
        "EngineVersion": cluster.engine_version,
        "CacheClusterStatus": cluster.status,
        "NumCacheNodes": len([n for n in cluster.nodes if n.status != "deleting"]) if memcached else 1,
        "PreferredAvailabilityZone": cluster.zone or (cluster.nodes[0].zone if cluster.nodes else ""),
        "CacheClusterCreateTime": clock.from_epoch(cluster.created),
        "PreferredMaintenanceWindow": cluster.preferred_maintenance_window,
        "PendingModifiedValues": dict(cluster.pending),
        "CacheSecurityGroups": [],
        "CacheParameterGroup": {
            "CacheParameterGroupName": cluster.parameter_group,
            "ParameterApplyStatus": "pending-reboot" if any(n.parameter_group_status == "pending-reboot" for n in cluster.nodes) else "in-sync",
            "CacheNodeIdsToReboot": [n.node_id for n in cluster.nodes if n.parameter_group_status == "pending-reboot"],
        },
        "CacheSubnetGroupName": cluster.subnet_group,
        "AutoMinorVersionUpgrade": cluster.auto_minor_version_upgrade,
        "SecurityGroups": [{"SecurityGroupId": sg, "Status": "active"} for sg in cluster.security_group_ids],
        "AuthTokenEnabled": cluster.auth_token_enabled,
        "TransitEncryptionEnabled": cluster.transit_encryption,
        "AtRestEncryptionEnabled": cluster.at_rest_encryption,
        "ARN": cluster.arn,
        "ReplicationGroupLogDeliveryEnabled": False,
        "LogDeliveryConfigurations": [],
        "NetworkType": cluster.network_type,
        "IpDiscovery": cluster.ip_discovery,
    }
    if memcached and cluster.config_address:
        result["ConfigurationEndpoint"] = _endpoint(cluster.config_address, cluster.config_port)
    if not memcached:
        result["SnapshotRetentionLimit"] = cluster.snapshot_retention_limit
        result["SnapshotWindow"] = cluster.snapshot_window
    if cluster.replication_group_id:
        result["ReplicationGroupId"] = cluster.replication_group_id
    if cluster.auth_token_last_modified:
        result["AuthTokenLastModifiedDate"] = clock.from_epoch(cluster.auth_token_last_modified)
    if cluster.notification_topic_arn:
        result["NotificationConfiguration"] = {"TopicArn": cluster.notification_topic_arn, "TopicStatus": "active"}
    if show_nodes:
        result["CacheNodes"] = [_describe_node(cluster, node) for node in cluster.nodes]
    return result

def _describe_node(cluster: CacheCluster, node: CacheNode) -> dict[str, Any]:
    described: dict[str, Any] = {
        "CacheNodeId": node.node_id, "CacheNodeStatus": node.status, "CacheNodeCreateTime": clock.from_epoch(node.created),
        "ParameterGroupStatus": node.parameter_group_status, "CustomerAvailabilityZone": node.zone,
    }
    if node.address and node.status not in ("creating", "create-failed"):
        described["Endpoint"] = _endpoint(node.address, node.port)
    return described


class CacheClusters:
    """Create/Describe/Modify/Reboot/DeleteCacheCluster: Memcached clusters and single-node
    Redis/Valkey clusters, their nodes' engines and Memcached's configuration endpoint; the engine
    events of their nodes. (Replication groups' members are listed here, run by members.py.)"""

    def __init__(self, state: ElastiCacheState, nodes: RedisNodes, standalone: StandaloneRedis, placement: Placement,
                 supervisor: "Supervisor", replication_groups: ReplicationGroups, restores: Restores, snapshots: Snapshots,
                 events: EventLog, tasks: Tasks, paginator: Paginator) -> None:
        self.state = state
        self.replication_groups = replication_groups
        self.restores = restores
        self.snapshots = snapshots
        self.nodes = nodes
        self.standalone = standalone
        self.placement = placement
        self.supervisor = supervisor
        self.events = events
        self.tasks = tasks
        self.paginator = paginator

    # -- CreateCacheCluster ---------------------------------------------------------------------------
    def create_cache_cluster(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        cluster_id = check.identifier("CacheClusterId", params["CacheClusterId"], max_length=50)
        if self.state.cache_clusters.get(scope, cluster_id) is not None:
            raise ServiceError("CacheClusterAlreadyExists", f"Cache cluster {cluster_id} already exists.")
        if params.get("ReplicationGroupId"):
            cluster = self.replication_groups.add_cluster(ctx, params, cluster_id)
        else:
            cluster = self.create(ctx, params, cluster_id)
        return {"CacheCluster": describe_cache_cluster(cluster, show_nodes=False)}

    def create(self, ctx: RequestContext, params: dict, cluster_id: str, serverless_cache: str | None = None) -> CacheCluster:
        """A new cluster (for CreateCacheCluster, or the Memcached cluster behind a serverless
        cache), its nodes starting in the background; ``params`` as CreateCacheCluster takes them."""
        scope = ctx.scope
        restore_from, snapshot = (None, None) if (params.get("Engine") or "").lower() == "memcached" else self.restores.source(scope, params)
        if snapshot is not None:
            params = {"Engine": snapshot.engine, "EngineVersion": snapshot.engine_version, "CacheNodeType": snapshot.node_type,
                      **params}
        engine = (params.get("Engine") or "").lower()
        if not engine:
            raise check.invalid("The parameter Engine must be provided.")
        if engine not in ENGINES:
            raise check.invalid(f"Invalid value for parameter Engine: {engine}")
        version = catalog.resolve_version(engine, params.get("EngineVersion"))
        if version is None:
            raise check.invalid_combination(f"Cannot find version {params['EngineVersion']} for {engine}")
        node_type = params.get("CacheNodeType")
        if not node_type:
            raise check.invalid("The parameter CacheNodeType must be provided and must not be blank.")
        check.node_type(node_type)
        check.engine_supports(engine, version, node_type)
        if restore_from and (len(snapshot.node_snapshots) if snapshot else len(restore_from.split())) > 1:
            raise check.invalid_combination("A snapshot of more than one node group can only be restored to a Redis (cluster mode "
                                            "enabled) replication group.")
        if snapshot is not None:
            check.restorable(snapshot.engine, snapshot.engine_version, engine, version)
        count = params.get("NumCacheNodes", 1)
        if engine == "memcached":
            self._check_memcached_only_options(params, version)
            if count < 1:
                raise check.invalid("The parameter NumCacheNodes must be greater than 0.")
            if count > MAX_MEMCACHED_NODES:
                raise ServiceError("NodeQuotaForClusterExceeded",
                                   f"Cluster node quota exceeded: a Memcached cluster can have at most {MAX_MEMCACHED_NODES} nodes.")
        else:
            if count != 1:
                raise check.invalid("Cannot create a Redis cluster with a NumCacheNodes parameter greater than 1.")
            if params.get("AZMode") == "cross-az" or params.get("PreferredAvailabilityZones"):
                raise check.invalid_combination("AZMode and PreferredAvailabilityZones are only supported for Memcached clusters.")
            check.auth_token(params.get("AuthToken"), bool(params.get("TransitEncryptionEnabled")))
        parameter_group = checked_parameter_group(
            self.state, scope, params.get("CacheParameterGroupName") or catalog.default_parameter_group(engine, version), engine, version)
        subnet_group = params.get("CacheSubnetGroupName") or "default"
        if subnet_group.lower() != "default":
            subnet_group = self.state.subnet_group(scope, subnet_group).name
        zones = self._placement(scope, params, count, subnet_group)
        now = clock.epoch()
        port = params.get("Port") or (MEMCACHED_PORT if engine == "memcached" else REDIS_PORT)
        cluster = CacheCluster(
            cluster_id=cluster_id, arn=ctx.arn("elasticache", f"cluster:{cluster_id}"), engine=engine, engine_version=version,
            node_type=node_type, created=now, num_nodes=count, port=port,
            nodes=[CacheNode(node_id=f"{i + 1:04d}", zone=zone, address="", port=port, created=now) for i, zone in enumerate(zones)],
            zone=zones[0] if len(set(zones)) == 1 else "Multiple",
            az_mode="cross-az" if len(set(zones)) > 1 else "single-az",
            parameter_group=parameter_group, subnet_group=subnet_group,
            security_group_ids=list(params.get("SecurityGroupIds") or []),
            preferred_maintenance_window=params.get("PreferredMaintenanceWindow") or "sun:05:00-sun:06:00",
            notification_topic_arn=params.get("NotificationTopicArn"),
            snapshot_retention_limit=params.get("SnapshotRetentionLimit") or 0,
            snapshot_window=params.get("SnapshotWindow") or "05:00-06:00",
            auto_minor_version_upgrade=params.get("AutoMinorVersionUpgrade", True),
            transit_encryption=bool(params.get("TransitEncryptionEnabled")),
            network_type=params.get("NetworkType") or "ipv4", ip_discovery=params.get("IpDiscovery") or "ipv4",
            tags=checked_tags(params.get("Tags") or []), restore_from=restore_from, serverless_cache=serverless_cache,
        )
        if engine != "memcached" and params.get("AuthToken"):
            self.standalone.set_auth_token(cluster, params["AuthToken"])
        with self.state.transaction():
            self.restores.begin(scope, snapshot)
            self.state.save_cluster(scope, cluster)
        self.build(scope, cluster_id)
        return cluster

    @staticmethod
    def _check_memcached_only_options(params: dict, version: str) -> None:
        """Memcached has no replication, snapshots or AUTH: asking for them is a bad combination;
        encryption in transit needs 1.6.12 or later."""
        if params.get("TransitEncryptionEnabled") and tuple(map(int, version.split("."))) < (1, 6, 12):
            raise check.invalid_combination("Encryption in transit is supported for Memcached version 1.6.12 and later.")
        for name in ("SnapshotArns", "SnapshotName", "SnapshotRetentionLimit", "SnapshotWindow"):
            if params.get(name):
                raise check.invalid_combination(f"{name} is not supported for engine memcached. Snapshots are only "
                                                "available for Valkey and Redis OSS.")
        if params.get("AuthToken"):
            raise check.invalid_combination("AuthToken is not supported for engine memcached.")

    def _placement(self, scope: Scope, params: dict, count: int, subnet_group: str) -> list[str]:
        """The AZ of each node: as listed, all in the one zone asked, or spread for cross-az."""
        listed, single = params.get("PreferredAvailabilityZones") or [], params.get("PreferredAvailabilityZone")
        az_mode = params.get("AZMode")
        if listed and single:
            raise check.invalid_combination("Only one of PreferredAvailabilityZone and PreferredAvailabilityZones can be specified.")
        if az_mode is not None and az_mode not in ("single-az", "cross-az"):
            raise check.invalid(f"Invalid value for parameter AZMode: {az_mode}")
        if listed and len(listed) != count:
            raise check.invalid(f"The number of preferred availability zones ({len(listed)}) must match the "
                                      f"number of cache nodes ({count}).")
        if az_mode == "cross-az" and count < 2:
            raise check.invalid("Cross-AZ mode requires at least 2 cache nodes.")
        if listed:
            zones = [self.placement.check_zone(scope, z) for z in listed]
            if az_mode == "single-az" and len(set(zones)) > 1:
                raise check.invalid_combination("AZMode single-az cannot be used with cache nodes in more than one Availability Zone.")
            return zones
        if single:
            if az_mode == "cross-az":
                raise check.invalid_combination("AZMode cross-az cannot be used with a single PreferredAvailabilityZone.")
            return [self.placement.check_zone(scope, single)] * count
        if az_mode == "cross-az":
            return self.placement.zones(scope, count, subnet_group=subnet_group)
        return self.placement.zones(scope, 1, subnet_group=subnet_group) * count

    def node_spec(self, scope, cluster: CacheCluster, node: CacheNode) -> NodeSpec:
        key = engine_node_id(scope, cluster, node)
        if cluster.engine == "memcached":
            tls = self.nodes.ca.issue(self.nodes.engine_root / key / "tls", [node.address]) if cluster.transit_encryption else None
            options = memcached_options(cluster.node_type, parameter_values(self.state, scope, cluster.parameter_group), tls)
            return NodeSpec(node_id=key, engine="memcached", version=cluster.engine_version, zone=node.zone, port=node.port,
                            options=options, address=node.address, data_dir=self.nodes.engine_root / key)
        return self.standalone.spec(scope, cluster, key)

    async def start_cache_node(self, scope, cluster: CacheCluster, node: CacheNode) -> Node:
        if not node.address:
            node.address, node.port = self.supervisor.allocator.allocate(node.port)
            node.engine_node_key = engine_node_id(scope, cluster, node)
            self.state.save_cluster(scope, cluster)
        self.state.cache_node_owner[node.engine_node_key] = (scope, cluster.cluster_id, node.node_id)
        return await self.supervisor.start(self.node_spec(scope, cluster, node))

    async def stop_cache_node(self, scope, cluster: CacheCluster, node: CacheNode) -> None:
        key = node.engine_node_key or engine_node_id(scope, cluster, node)
        self.state.cache_node_owner.pop(key, None)
        await self.supervisor.stop(key, delete_data=True)

    def _cluster_view(self, scope, cluster_id: str):
        """What the configuration endpoint serves: the version, the nodes listed, the nodes running."""

        def view():
            cluster = self.state.cache_clusters.get(scope, cluster_id)
            if cluster is None:
                return 0, [], []
            listed = [(n.address, n.port) for n in cluster.nodes if n.address and n.status not in ("creating", "deleting")]
            running = [(n.address, n.port) for n in cluster.nodes
                       if n.address and (live := self.supervisor.node(n.engine_node_key)) is not None and live.running]
            return cluster.config_version, listed, running

        return view

    async def open_configuration_endpoint(self, scope, cluster: CacheCluster) -> None:
        if (scope, cluster.cluster_id) in self.state.config_endpoints:
            return
        if not cluster.config_address:
            cluster.config_address, cluster.config_port = self.supervisor.allocator.allocate(MEMCACHED_PORT)
            self.state.save_cluster(scope, cluster)
        else:
            self.supervisor.allocator.reserve(cluster.config_address, cluster.config_port)
        server_tls = node_tls = None
        if cluster.transit_encryption:
            directory = self.nodes.engine_root / f"{scope[0]}.{scope[1]}.{cluster.cluster_id}.config" / "tls"
            server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            server_tls.load_cert_chain(*self.nodes.ca.issue(directory, [cluster.config_address]))
            node_tls = ssl.create_default_context(cafile=str(self.nodes.ca.ensure()))
        endpoint = ConfigurationEndpoint(cluster.config_address, cluster.config_port, self._cluster_view(scope, cluster.cluster_id),
                                         server_tls, node_tls)
        await endpoint.start()
        self.state.config_endpoints[(scope, cluster.cluster_id)] = endpoint

    def close_configuration_endpoint(self, scope, cluster: CacheCluster) -> None:
        endpoint = self.state.config_endpoints.pop((scope, cluster.cluster_id), None)
        if endpoint is not None:
            endpoint.close()
            self.supervisor.allocator.release(cluster.config_address, cluster.config_port)

    def close_all_configuration_endpoints(self) -> None:
        """The cloud stops or resets: no endpoint may keep listening."""
        for endpoint in self.state.config_endpoints.values():
            endpoint.close()
        self.state.config_endpoints.clear()

    # -- building, restoring ------------------------------------------------------------------------------
    def build(self, scope: Scope, cluster_id: str) -> None:
        self.tasks.spawn(self._build(scope, cluster_id), owner="elasticache", what=f"creating cache cluster {cluster_id}",
                         on_failure=lambda error: self._create_failed(scope, cluster_id, error))

    async def _build(self, scope: Scope, cluster_id: str) -> None:
        """Rule: available once every node runs; a node whose zone is down (no capacity there, as
        on AWS) or that does not start makes the cluster "create-failed" (``_create_failed``)."""
        cluster = self.state.cache_clusters.get(scope, cluster_id)
        if cluster is None or cluster.status != "creating":
            return
        down = sorted({n.zone for n in cluster.nodes if not self.placement.is_up(n.zone)})
        if down:
            raise ZoneUnavailable({cluster_id: ", ".join(down)})
        if cluster.restore_from:
            # The node's first start loads the snapshot's RDB.
            snapshot = await self.restores.snapshot_of(scope, cluster.restore_from, cluster_id)
            self.restores.files.place(scope, snapshot, snapshot.node_snapshots[0].node_group_id,
                                      self.nodes.engine_root / engine_node_id(scope, cluster, cluster.nodes[0]))
        await asyncio.gather(*(self.start_cache_node(scope, cluster, node) for node in cluster.nodes))
        if not all(self._running(n) for n in cluster.nodes):
            raise RuntimeError("a cache node did not start (its availability zone went down)")
        if cluster.engine == "memcached":
            await self.open_configuration_endpoint(scope, cluster)
        with self.state.transaction():
            for node in cluster.nodes:
                node.status = "available"
            cluster.status = "available"
            restore_from, cluster.restore_from = cluster.restore_from, None
            self.state.save_cluster(scope, cluster)
            self.events.record(scope, cluster_id, "cache-cluster", Messages.CACHE_CLUSTER_CREATED)
            if restore_from:
                self.events.record(scope, cluster_id, "cache-cluster", Messages.RESTORED.format(snapshot=self.restores.label(restore_from)))
            self.restores.finish(scope, restore_from, cluster_id)

    def _running(self, node: CacheNode) -> bool:
        live = self.supervisor.node(node.engine_node_key)
        return live is not None and live.running

    async def _create_failed(self, scope: Scope, cluster_id: str, error: BaseException) -> None:
        cluster = self.state.cache_clusters.get(scope, cluster_id)
        if cluster is None or cluster.status != "creating":
            return
        message = member_failures(error).get(cluster_id) or Messages.CREATE_FAILED.format(reason=error)
        with self.state.transaction():
            cluster.status = "create-failed"
            for node in cluster.nodes:
                node.status = "create-failed"
            restore_from, cluster.restore_from = cluster.restore_from, None
            self.state.save_cluster(scope, cluster)
            self.events.record(scope, cluster_id, "cache-cluster", message)
            self.restores.finish(scope, restore_from, cluster_id)
        # Nothing of a failed cluster serves; DeleteCacheCluster removes it.
        self.close_configuration_endpoint(scope, cluster)
        await asyncio.gather(*(self.stop_cache_node(scope, cluster, n) for n in cluster.nodes), return_exceptions=True)

    async def restore(self) -> None:
        """After a restart of regionbox: every Memcached and single-node Redis cluster comes back on
        its addresses (Memcached empty, as a restarted memcached is), and unfinished work finishes."""
        for scope, cluster_id, cluster in list(self.state.cache_clusters.all()):
            if cluster.replication_group_id or cluster.status == "create-failed":
                continue
            for node in cluster.nodes:
                if node.address:
                    self.supervisor.allocator.reserve(node.address, node.port)
            if cluster.status == "creating":
                self.build(scope, cluster_id)
            elif cluster.status == "deleting":
                final = self.snapshots.pending_final(scope, cluster_id)
                if final:  # its final snapshot is still to be taken, from its node adopted with its data
                    self.tasks.spawn(self._restore_then_delete(scope, cluster_id, final), owner="elasticache",
                                     what=f"deleting {cluster_id}")
                else:
                    self._destroy(scope, cluster_id)
            else:
                self.tasks.spawn(self._restore(scope, cluster_id), owner="elasticache", what=f"restoring cache cluster {cluster_id}")

    async def _restore_then_delete(self, scope: Scope, cluster_id: str, final: str) -> None:
        cluster = self.state.cache_clusters.get(scope, cluster_id)
        await asyncio.gather(*(self.start_cache_node(scope, cluster, n) for n in cluster.nodes if n.address), return_exceptions=True)
        self._destroy(scope, cluster_id, final)

    async def _restore(self, scope: Scope, cluster_id: str) -> None:
        """Nodes still running are adopted with their data; a node that died while regionbox was
        down comes back empty: Memcached replaced as AWS replaces a failed node, Redis/Valkey
        without its data (``RedisNodes.persistence`` aside), as the events say."""
        cluster = self.state.cache_clusters.get(scope, cluster_id)
        running = [n for n in cluster.nodes if n.status != "deleting" and n.address]
        died = [n for n in running if self.state.survival.get(n.engine_node_key) == "died"]
        for node in died:
            if cluster.engine != "memcached":
                self._forget_data(scope, cluster, node)
        results = await asyncio.gather(*(self.start_cache_node(scope, cluster, n) for n in running), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                # The supervisor keeps the node and restarts it; its engine events show it.
                log.error("restoring a node of %s failed: %s", cluster_id, result)
        for node in died:
            if cluster.engine == "memcached":
                self.events.record(scope, cluster_id, "cache-cluster", Messages.CACHE_NODE_REPLACED.format(node=node.node_id))
            elif node.engine_node_key in self.state.losing_data:
                self.state.losing_data.discard(node.engine_node_key)
                self.events.record(scope, cluster_id, "cache-cluster", Messages.DATA_LOST.format(node=node.node_id))
        if cluster.engine == "memcached":
            await self.open_configuration_endpoint(scope, cluster)
        if cluster.status in ("modifying", "rebooting cache cluster nodes"):
            await self._apply_node_changes(scope, cluster_id)

    async def on_engine_event(self, node: Node, event: str) -> None:
        """The supervisor's listener: a node died (its AZ went down, it crashed) or came back:
        show it, and log it as AWS does."""
        owner = self.state.cache_node_owner.get(node.node_id)
        if owner is None:
            return
        scope, cluster_id, node_id = owner
        cluster = self.state.cache_clusters.get(scope, cluster_id)
        cache_node = next((n for n in cluster.nodes if n.node_id == node_id), None) if cluster else None
        if cache_node is None or cache_node.status in ("creating", "create-failed", "deleting", "rebooting"):
            return
        if event == "exited" and cache_node.status == "available":
            with self.state.transaction():
                cache_node.status = "failed"
                self.state.save_cluster(scope, cluster)
                self.events.record(scope, cluster_id, "cache-cluster", Messages.CACHE_NODE_SHUTDOWN.format(node=node_id))
            if cluster.engine != "memcached":
                self._forget_data(scope, cluster, cache_node)
        elif event == "started" and cache_node.status == "failed":
            with self.state.transaction():
                self.events.record(scope, cluster_id, "cache-cluster", Messages.RECOVERING_NODES.format(nodes=node_id))
                cache_node.status = "available"
                self.state.save_cluster(scope, cluster)
                if node.node_id in self.state.losing_data:
                    self.state.losing_data.discard(node.node_id)
                    self.events.record(scope, cluster_id, "cache-cluster", Messages.DATA_LOST.format(node=node_id))
                self.events.record(scope, cluster_id, "cache-cluster", Messages.FINISHED_RECOVERY.format(nodes=node_id))

    def _forget_data(self, scope: Scope, cluster: CacheCluster, node: CacheNode) -> None:
        """A single Redis/Valkey node that died has no other copy of its data: it comes back from its
        append-only file if it keeps one, else empty (its RDB is not its data any more)."""
        if not self.nodes.persistence(scope, cluster):
            self.nodes.forget_stale_data(self.nodes.engine_root / node.engine_node_key)
            self.state.losing_data.add(node.engine_node_key)

    # -- DescribeCacheClusters ------------------------------------------------------------------------------
    def describe_cache_clusters(self, ctx: RequestContext, params: dict) -> dict:
        show_nodes = bool(params.get("ShowCacheNodeInfo"))
        cluster_id = params.get("CacheClusterId")
        if cluster_id is not None:
            clusters = [self.state.visible_cluster(ctx.scope, cluster_id)]
        else:
            clusters = [c for c in self.state.cache_clusters.values(ctx.scope) if not self.state.hidden(ctx.scope, c)]
            if params.get("ShowCacheClustersNotInReplicationGroups"):
                clusters = [c for c in clusters if not c.replication_group_id]
        rows = [describe_cache_cluster(c, show_nodes) for c in clusters]
        return check.paged(self.paginator, "CacheClusters", rows, params)

    # -- ModifyCacheCluster -----------------------------------------------------------------------------------
    def modify_cache_cluster(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        cluster = self.state.visible_cluster(scope, params["CacheClusterId"])
        if cluster.status != "available":
            raise check.cluster_not_available(cluster.cluster_id, cluster.status)
        memcached = cluster.engine == "memcached"
        apply_now = bool(params.get("ApplyImmediately"))
        change = self._node_count_change(scope, cluster, params) if memcached else None
        if not memcached and (params.get("NumCacheNodes") not in (None, 1) or params.get("CacheNodeIdsToRemove")):
            raise check.invalid("Cannot modify a Redis cluster to have a NumCacheNodes parameter greater than 1.")
        if params.get("CacheNodeType") is not None:
            check.node_type(params["CacheNodeType"])  # checked; scaling to another type is not built yet
        version = check.engine_upgrade(cluster.engine, cluster.engine_version, params.get("EngineVersion"))
        parameter_group = upgraded_parameter_group(self.state, scope, cluster.engine, cluster.engine_version,
                                                   cluster.parameter_group, version, params.get("CacheParameterGroupName"))
        if memcached and (params.get("AuthToken") or params.get("AuthTokenUpdateStrategy")):
            raise check.invalid_combination("AuthToken is not supported for engine memcached.")
        token_strategy = None if memcached else self.standalone.check_auth_token_update(cluster, params)
        settings = [(name, attribute) for name, attribute in (
            ("PreferredMaintenanceWindow", "preferred_maintenance_window"), ("SnapshotWindow", "snapshot_window"),
            ("SnapshotRetentionLimit", "snapshot_retention_limit"), ("AutoMinorVersionUpgrade", "auto_minor_version_upgrade"),
            ("IpDiscovery", "ip_discovery")) if params.get(name) is not None]
        for name, _ in settings:
            if memcached and name.startswith("Snapshot"):
                raise check.invalid_combination(f"{name} is not supported for engine memcached.")
        # Validated. Settings with no effect on the nodes take effect at once.
        for name, attribute in settings:
            setattr(cluster, attribute, params[name])
        if params.get("SecurityGroupIds") is not None:
            cluster.security_group_ids = list(params["SecurityGroupIds"])
        if params.get("NotificationTopicArn") is not None:
            cluster.notification_topic_arn = params["NotificationTopicArn"] or None
        cluster.engine_version = version
        if token_strategy is not None:
            self.standalone.modify_auth_token(scope, cluster, params.get("AuthToken"), token_strategy)
        new_parameters = parameter_group != cluster.parameter_group
        if new_parameters:
            cluster.parameter_group = parameter_group
            # A new group reaches the nodes at their next reboot, as on AWS.
            for node in cluster.nodes:
                node.parameter_group_status = "pending-reboot" if memcached else "applying"
        if change is not None:
            added_zones, removed = change
            pending = {"NumCacheNodes": len(cluster.nodes) + len(added_zones) - len(removed)}
            if removed:
                pending["CacheNodeIdsToRemove"] = removed
            cluster.pending = pending
            cluster.nodes_to_add, cluster.nodes_to_remove = added_zones, removed
            if apply_now:
                cluster.status = "modifying"
        self.state.save_cluster(scope, cluster)
        cluster_id = cluster.cluster_id
        if new_parameters and not memcached:
            # The immediate settings reach the running node; one that is down gets them at its next start.
            self.tasks.spawn(self.nodes.apply_parameter_group(scope, cluster_id), owner="elasticache",
                             what=f"applying parameters to {cluster_id}",
                             on_failure=lambda error: self._parameters_pending(scope, cluster_id))
        if change is not None and apply_now:
            self.tasks.spawn(self._apply_node_changes(scope, cluster_id), owner="elasticache", what=f"modifying {cluster_id}",
                             on_failure=lambda error: self._modify_failed(scope, cluster_id, error))
        return {"CacheCluster": describe_cache_cluster(cluster, show_nodes=False)}

    def _parameters_pending(self, scope: Scope, cluster_id: str) -> None:
        cluster = self.state.cache_clusters.get(scope, cluster_id)
        if cluster is not None:
            for node in cluster.nodes:
                node.parameter_group_status = "pending-reboot"
            self.state.save_cluster(scope, cluster)

    def _node_count_change(self, scope: Scope, cluster: CacheCluster, params: dict) -> tuple[list[str], list[str]] | None:
        """(zones of the nodes to add, ids of the nodes to remove), or None when the count stays."""
        current = len(cluster.nodes)
        wanted = params.get("NumCacheNodes", current)
        to_remove = list(params.get("CacheNodeIdsToRemove") or [])
        new_zones = params.get("NewAvailabilityZones") or []
        if wanted < 1:
            raise check.invalid("The parameter NumCacheNodes must be greater than 0.")
        if wanted > MAX_MEMCACHED_NODES:
            raise ServiceError("NodeQuotaForClusterExceeded",
                               f"Cluster node quota exceeded: a Memcached cluster can have at most {MAX_MEMCACHED_NODES} nodes.")
        if wanted == current and not to_remove and not new_zones:
            return None
        if wanted < current:
            if len(to_remove) != current - wanted:
                raise check.invalid(f"The number of cache node ids to remove ({len(to_remove)}) must equal the "
                                    f"number of cache nodes to remove ({current - wanted}).")
            if new_zones:
                raise check.invalid_combination("NewAvailabilityZones cannot be specified when removing cache nodes.")
            known = {n.node_id for n in cluster.nodes}
            for node_id in to_remove:
                if node_id not in known:
                    raise check.invalid(f"Cache node {node_id} does not exist in cache cluster {cluster.cluster_id}.")
            return [], to_remove
        if to_remove:
            raise check.invalid_combination("CacheNodeIdsToRemove can only be specified when NumCacheNodes is decreased.")
        added = wanted - current
        if new_zones and len(new_zones) != added:
            raise check.invalid(f"The number of new availability zones ({len(new_zones)}) must match the number of "
                                f"cache nodes to add ({added}).")
        if params.get("AZMode") == "cross-az" and not new_zones:
            return self.placement.zones(scope, added, start=len(cluster.nodes), subnet_group=cluster.subnet_group), []
        if new_zones:
            return self.placement.zones(scope, added, new_zones), []
        # Without zones, new nodes go where the cluster's first node is (a choice of the caller's, then).
        return [cluster.nodes[0].zone] * added, []

    async def _apply_node_changes(self, scope: Scope, cluster_id: str) -> None:
        """Remove, then add, the nodes a modification asked for; every change bumps the config version
        that auto-discovery clients see. Rule: a node that cannot be added (its zone is down: no
        capacity, or it does not start) is not added, with AWS's AddCacheNodeFailed as an event."""
        cluster = self.state.cache_clusters.get(scope, cluster_id)
        if cluster is None:
            return
        add_zones, remove = list(cluster.nodes_to_add), list(cluster.nodes_to_remove)
        if remove:
            leaving = [n for n in cluster.nodes if n.node_id in remove]
            for node in leaving:
                node.status = "deleting"
            cluster.config_version += 1
            self.state.save_cluster(scope, cluster)
            await asyncio.gather(*(self.stop_cache_node(scope, cluster, n) for n in leaving))
            with self.state.transaction():
                cluster.nodes = [n for n in cluster.nodes if n.node_id not in remove]
                self.state.save_cluster(scope, cluster)
                self.events.record(scope, cluster_id, "cache-cluster", Messages.CACHE_NODES_REMOVED.format(nodes=", ".join(remove)))
        if add_zones:
            now = clock.epoch()
            number = max((int(n.node_id) for n in cluster.nodes), default=0)
            joining = [CacheNode(node_id=f"{number + i + 1:04d}", zone=zone, address="", port=cluster.port, created=now)
                       for i, zone in enumerate(add_zones)]
            cluster.nodes.extend(joining)
            self.state.save_cluster(scope, cluster)
            startable = [n for n in joining if self.placement.is_up(n.zone)]
            await asyncio.gather(*(self.start_cache_node(scope, cluster, n) for n in startable), return_exceptions=True)
            failed = [n for n in joining if not self._running(n)]
            await asyncio.gather(*(self.stop_cache_node(scope, cluster, n) for n in failed if n.address), return_exceptions=True)
            with self.state.transaction():
                for node in joining:
                    if node in failed:
                        reason = ("InsufficientCacheClusterCapacity" if not self.placement.is_up(node.zone)
                                  else "the cache node did not start")
                        self.events.record(scope, cluster_id, "cache-cluster",
                                           Messages.ADD_CACHE_NODE_FAILED.format(node=node.node_id, zone=node.zone, reason=reason))
                    else:
                        node.status = "available"
                        self.events.record(scope, cluster_id, "cache-cluster",
                                           Messages.CACHE_NODE_ADDED.format(node=node.node_id, zone=node.zone))
                cluster.nodes = [n for n in cluster.nodes if n not in failed]
                cluster.config_version += 1
                self._settle(scope, cluster)
            return
        self._settle(scope, cluster)

    def _settle(self, scope: Scope, cluster: CacheCluster) -> None:
        """The cluster as its nodes are now, available, with nothing pending."""
        cluster.num_nodes = len(cluster.nodes)
        zones = {n.zone for n in cluster.nodes}
        cluster.zone = next(iter(zones)) if len(zones) == 1 else "Multiple"
        cluster.az_mode = "cross-az" if len(zones) > 1 else "single-az"
        cluster.pending, cluster.nodes_to_add, cluster.nodes_to_remove = {}, [], []
        cluster.status = "available"
        self.state.save_cluster(scope, cluster)

    def _modify_failed(self, scope: Scope, cluster_id: str, error: BaseException) -> None:
        cluster = self.state.cache_clusters.get(scope, cluster_id)
        if cluster is None:
            return
        with self.state.transaction():
            cluster.nodes = [n for n in cluster.nodes if n.status != "creating" or self._running(n)]
            self._settle(scope, cluster)
            self.events.record(scope, cluster_id, "cache-cluster", Messages.MODIFY_CLUSTER_FAILED.format(reason=error))

    # -- RebootCacheCluster ---------------------------------------------------------------------------------
    def reboot_cache_cluster(self, ctx: RequestContext, params: dict) -> dict:
        cluster = self.state.visible_cluster(ctx.scope, params["CacheClusterId"])
        if cluster.status != "available":
            raise check.cluster_not_available(cluster.cluster_id, cluster.status)
        if cluster.replication_group_id:
            raise check.invalid_combination("Rebooting members of replication groups is done with TestFailover in regionbox.")
        node_ids = params["CacheNodeIdsToReboot"]
        known = {n.node_id for n in cluster.nodes}
        for node_id in node_ids:
            if node_id not in known:
                raise check.invalid(f"Cache node {node_id} does not exist in cache cluster {cluster.cluster_id}.")
        cluster.status = "rebooting cache cluster nodes"
        for node in cluster.nodes:
            if node.node_id in node_ids:
                node.status = "rebooting"
        self.state.save_cluster(ctx.scope, cluster)
        scope, cluster_id = ctx.scope, cluster.cluster_id
        self.tasks.spawn(self._reboot_nodes(scope, cluster_id, node_ids), owner="elasticache", what=f"rebooting {cluster_id}",
                         on_failure=lambda error: self._reboot_failed(scope, cluster_id, error))
        return {"CacheCluster": describe_cache_cluster(cluster, show_nodes=False)}

    async def _reboot_nodes(self, scope: Scope, cluster_id: str, node_ids: list[str]) -> None:
        """A reboot restarts the engine with the parameter group's current settings (a Memcached node
        comes back empty, as on AWS)."""
        cluster = self.state.cache_clusters.get(scope, cluster_id)
        for node in [n for n in cluster.nodes if n.node_id in node_ids]:
            spec = self.node_spec(scope, cluster, node)
            await self.supervisor.start(spec)  # registers the new settings with the supervisor
            await self.supervisor.restart(spec.node_id)
            with self.state.transaction():
                node.status = "available"
                node.parameter_group_status = "in-sync"
                self.state.save_cluster(scope, cluster)
                self.events.record(scope, cluster_id, "cache-cluster", Messages.CACHE_NODE_RESTARTED.format(node=node.node_id))
        cluster.status = "available"
        self.state.save_cluster(scope, cluster)

    def _reboot_failed(self, scope: Scope, cluster_id: str, error: BaseException) -> None:
        """Rule: a node whose reboot failed is shown "failed" until the supervisor brings it back."""
        cluster = self.state.cache_clusters.get(scope, cluster_id)
        if cluster is None:
            return
        with self.state.transaction():
            for node in cluster.nodes:
                if node.status == "rebooting":
                    node.status = "available" if self._running(node) else "failed"
                    if node.status == "failed":
                        self.events.record(scope, cluster_id, "cache-cluster",
                                           Messages.REBOOT_FAILED.format(node=node.node_id, reason=error))
            cluster.status = "available"
            self.state.save_cluster(scope, cluster)

    # -- DeleteCacheCluster ---------------------------------------------------------------------------------
    def delete_cache_cluster(self, ctx: RequestContext, params: dict) -> dict:
        cluster = self.state.visible_cluster(ctx.scope, params["CacheClusterId"])
        if cluster.replication_group_id:
            raise ServiceError("InvalidCacheClusterState",
                               f"Cache cluster {cluster.cluster_id} is a member of replication group {cluster.replication_group_id}: "
                               "delete the replication group or decrease its replica count instead.")
        if cluster.status not in ("available", "create-failed", "incompatible-network", "restore-failed"):
            raise check.cluster_not_available(cluster.cluster_id, cluster.status)
        final = params.get("FinalSnapshotIdentifier")
        if final:
            if cluster.engine == "memcached":
                raise ServiceError("SnapshotFeatureNotSupportedFault", "Snapshots are not supported for engine memcached.")
            self.snapshots.checked_name(final, "FinalSnapshotIdentifier")
            self.snapshots.unused(ctx.scope, final)
            if cluster.status != "available":
                raise check.cluster_not_available(cluster.cluster_id, cluster.status)
        with self.state.transaction():
            if final:
                self.snapshots.begin(ctx.scope, self.snapshots.new(ctx.scope, final, None, cluster))
            cluster.status = "deleting"
            self.state.save_cluster(ctx.scope, cluster)
        self._destroy(ctx.scope, cluster.cluster_id, final)
        return {"CacheCluster": describe_cache_cluster(cluster, show_nodes=False)}

    def _destroy(self, scope: Scope, cluster_id: str, final_snapshot: str | None = None) -> None:
        # Whatever fails, the cluster stays "deleting" with an event, and the next start of
        # regionbox deletes it again.
        self.tasks.spawn(self.destroy_cluster(scope, cluster_id, final_snapshot), owner="elasticache", what=f"deleting {cluster_id}",
                         on_failure=lambda error: self.events.record(
                             scope, cluster_id, "cache-cluster", Messages.DELETE_FAILED.format(what=f"cache cluster {cluster_id}",
                                                                                               reason=error)))

    async def destroy_cluster(self, scope: Scope, cluster_id: str, final_snapshot: str | None = None) -> None:
        cluster = self.state.cache_clusters.get(scope, cluster_id)
        if cluster is None:
            return
        if final_snapshot and not await self.snapshots.take_final(scope, final_snapshot, cluster_id, "cache-cluster"):
            cluster.status = "available"
            self.state.save_cluster(scope, cluster)
            return
        self.close_configuration_endpoint(scope, cluster)
        await asyncio.gather(*(self.stop_cache_node(scope, cluster, n) for n in cluster.nodes), return_exceptions=True)
        with self.state.transaction():
            self.state.cache_clusters.delete(scope, cluster_id)
            self.snapshots.forget_automatic(scope, cluster_id)
