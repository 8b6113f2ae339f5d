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
from typing import Any

from regionbox.core import clock
from regionbox.core.errors import ServiceError
from regionbox.engines import Node, NodeSpec
from regionbox.services.elasticache import engine_catalog as catalog
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.events import Messages
from regionbox.services.elasticache.groups import paged
from regionbox.services.elasticache.memcached import ConfigurationEndpoint, memcached_options, valid_node_type
from regionbox.services.elasticache.models import MEMCACHED_PORT, REDIS_PORT, CacheCluster, CacheNode
from regionbox.services.elasticache.standalone_redis import StandaloneRedisMixin

log = logging.getLogger("regionbox.elasticache")

MAX_MEMCACHED_NODES = 40  # "Nodes per cluster (Memcached)" default quota
CLIENT_DOWNLOAD = "https://console.aws.amazon.com/elasticache/home#client-download:"
ENGINES = ("memcached", "redis", "valkey")


def cluster_not_found(cluster_id: str) -> ServiceError:
    return ServiceError("CacheClusterNotFound", f"CacheCluster not found: {cluster_id}", status=404)


def invalid_state(cluster: CacheCluster) -> ServiceError:
    return ServiceError("InvalidCacheClusterState",
                        f"Cache cluster {cluster.cluster_id} is not in available state (current state: {cluster.status}).")


def _endpoint(address: str | None, port: int) -> dict | None:
    return {"Address": address, "Port": port} if address else None


class CacheClustersMixin(StandaloneRedisMixin):
    # -- state that lives beside the provider's ---------------------------------------------------
    @property
    def config_endpoints(self) -> dict[tuple, ConfigurationEndpoint]:
        """Running configuration endpoints by (scope, cluster id)."""
        return self.__dict__.setdefault("_config_endpoints", {})

    @property
    def cache_node_owner(self) -> dict[str, tuple]:
        """Supervisor node id -> (scope, cluster id, cache node id), for clusters this module runs."""
        owners = self.__dict__.get("_cache_node_owner")
        if owners is None:
            owners = self.__dict__["_cache_node_owner"] = {}
            self.supervisor.listen(self._on_cache_node_event)
        return owners

    def get_cluster(self, scope, cluster_id: str | None) -> CacheCluster:
        cluster = self.clusters.get(scope, (cluster_id or "").lower())
        if cluster is None:
            raise cluster_not_found(cluster_id)
        return cluster

    @staticmethod
    def engine_node_id(scope, cluster: CacheCluster, node: CacheNode) -> str:
        if cluster.engine == "memcached":
            return f"{scope[0]}.{scope[1]}.{cluster.cluster_id}.{node.node_id}"
        return f"{scope[0]}.{scope[1]}.{cluster.cluster_id}"  # the same key replication groups use

    # -- CreateCacheCluster ---------------------------------------------------------------------------
    def create_cache_cluster(self, ctx, params: dict) -> dict:
        scope = ctx.scope
        cluster_id = check.identifier("CacheClusterId", params["CacheClusterId"], max_length=50)
        if params.get("ReplicationGroupId"):
            raise ServiceError("NotImplemented", "CreateCacheCluster with ReplicationGroupId is not implemented by regionbox "
                               "yet: add replicas with IncreaseReplicaCount.", status=501, sender_fault=False)
        if self.clusters.get(scope, cluster_id) is not None:
            raise ServiceError("CacheClusterAlreadyExists", f"Cache cluster {cluster_id} already exists.")
        engine = (params.get("Engine") or "").lower()
        if not engine:
            raise check.invalid_value("The parameter Engine must be provided.")
        if engine not in ENGINES:
            raise check.invalid_value(f"Invalid value for parameter Engine: {engine}")
        version = catalog.resolve_version(engine, params.get("EngineVersion"))
        if version is None:
            raise check.invalid_combination(f"Cannot find version {params['EngineVersion']} for {engine}")
        node_type = params.get("CacheNodeType")
        if not node_type:
            raise check.invalid_value("The parameter CacheNodeType must be provided and must not be blank.")
        if not valid_node_type(node_type):
            raise check.invalid_value(f"Invalid value for parameter CacheNodeType: {node_type}")
        count = params.get("NumCacheNodes", 1)
        if engine == "memcached":
            self._check_memcached_only_options(params, version)
            if count < 1:
                raise check.invalid_value("The parameter NumCacheNodes must be greater than 0.")
            if count > MAX_MEMCACHED_NODES:
                raise ServiceError("NodeQuotaForClusterExceeded",
                                   f"Cluster node quota exceeded: a Memcached cluster can have at most {MAX_MEMCACHED_NODES} nodes.")
        else:
            if count != 1:
                raise check.invalid_value("Cannot create a Redis cluster with a NumCacheNodes parameter greater than 1.")
            if params.get("AZMode") == "cross-az" or params.get("PreferredAvailabilityZones"):
                raise check.invalid_combination("AZMode and PreferredAvailabilityZones are only supported for Memcached clusters.")
            check.auth_token(params.get("AuthToken"), bool(params.get("TransitEncryptionEnabled")))
        zones = self._placement(scope, params, count)
        parameter_group = self._check_parameter_group(
            scope, params.get("CacheParameterGroupName") or catalog.default_parameter_group(engine, version), engine, version)
        subnet_group = params.get("CacheSubnetGroupName")
        if subnet_group:
            subnet_group = self.get_subnet_group(scope, subnet_group).name
        now = clock.epoch()
        port = params.get("Port") or (MEMCACHED_PORT if engine == "memcached" else REDIS_PORT)
        cluster = CacheCluster(
            cluster_id=cluster_id, arn=self.arn(scope, f"cluster:{cluster_id}"), engine=engine, engine_version=version,
            node_type=node_type, created=now, num_nodes=count, port=port,
            nodes=[CacheNode(node_id=f"{i + 1:04d}", zone=zone, address="", port=port, created=now) for i, zone in enumerate(zones)],
            zone=zones[0] if len(set(zones)) == 1 else "Multiple",
            az_mode="cross-az" if len(set(zones)) > 1 else "single-az",
            parameter_group=parameter_group, subnet_group=subnet_group or "default",
            security_group_ids=list(params.get("SecurityGroupIds") or []),
            preferred_maintenance_window=params.get("PreferredMaintenanceWindow") or "sun:05:00-sun:06:00",
            notification_topic_arn=params.get("NotificationTopicArn"),
            snapshot_retention_limit=params.get("SnapshotRetentionLimit") or 0,
            snapshot_window=params.get("SnapshotWindow") or "05:00-06:00",
            auto_minor_version_upgrade=params.get("AutoMinorVersionUpgrade", True),
            transit_encryption=bool(params.get("TransitEncryptionEnabled")),
            network_type=params.get("NetworkType") or "ipv4", ip_discovery=params.get("IpDiscovery") or "ipv4",
            tags=self._checked_tags(params.get("Tags") or []),
        )
        if engine != "memcached" and params.get("AuthToken"):
            self.set_auth_token(cluster, params["AuthToken"])
        self.clusters.put(scope, cluster_id, cluster)
        self.background(self._build_cache_cluster(scope, cluster_id), f"creating cache cluster {cluster_id}")
        return {"CacheCluster": self.describe_cache_cluster(scope, cluster, show_nodes=False)}

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

    def _placement(self, scope, params: dict, count: int) -> list[str]:
        """The AZ of each node: as listed, all in the one zone asked, or spread for cross-az."""
        listed, single = params.get("PreferredAvailabilityZones") or [], params.get("PreferredAvailabilityZone")
        az_mode = params.get("AZMode")
        if listed and single:
            raise check.invalid_combination("Only one of PreferredAvailabilityZone and PreferredAvailabilityZones can be specified.")
        if az_mode is not None and az_mode not in ("single-az", "cross-az"):
            raise check.invalid_value(f"Invalid value for parameter AZMode: {az_mode}")
        if listed and len(listed) != count:
            raise check.invalid_value(f"The number of preferred availability zones ({len(listed)}) must match the "
                                      f"number of cache nodes ({count}).")
        if az_mode == "cross-az" and count < 2:
            raise check.invalid_value("Cross-AZ mode requires at least 2 cache nodes.")
        if listed:
            zones = [self.check_zone(scope, z) for z in listed]
            if az_mode == "single-az" and len(set(zones)) > 1:
                raise check.invalid_combination("AZMode single-az cannot be used with cache nodes in more than one Availability Zone.")
            return zones
        if single:
            if az_mode == "cross-az":
                raise check.invalid_combination("AZMode cross-az cannot be used with a single PreferredAvailabilityZone.")
            return [self.check_zone(scope, single)] * count
        if az_mode == "cross-az":
            return self.spread_zones(scope, count)
        return [self.spread_zones(scope, 1)[0]] * count

    def _check_parameter_group(self, scope, name: str, engine: str, version: str) -> str:
        """The group's stored name, once it is known to exist and to belong to the version's family."""
        # default.<family>.cluster.on is the default family's group with cluster mode switched on.
        cluster_on = name.startswith("default.") and name.endswith(".cluster.on")
        group = self.get_parameter_group(scope, name.removesuffix(".cluster.on") if cluster_on else name)
        family = catalog.family_of(engine, version)
        if group.family != family:
            raise check.invalid_combination(f"Expected a parameter group of family {family} but found one of family {group.family}")
        return group.name + (".cluster.on" if cluster_on else "")

    def upgraded_parameter_group(self, scope, engine: str, current_version: str, current_group: str, version: str,
                                 requested_group: str | None, cluster_enabled: bool = False) -> str:
        """The parameter group after a modification: the one asked for, or the current one, except
        that a version upgrade moves a default group to the new family's default (as AWS does).
        Checked against the version's family whenever either changes."""
        group = requested_group or current_group
        if version != current_version and not requested_group and group.startswith("default."):
            group = catalog.default_parameter_group(engine, version, cluster_enabled)
        if version != current_version or requested_group:
            group = self._check_parameter_group(scope, group, engine, version)
        return group

    # -- running nodes -----------------------------------------------------------------------------------
    def node_spec(self, scope, cluster: CacheCluster, node: CacheNode) -> NodeSpec:
        key = self.engine_node_id(scope, cluster, node)
        if cluster.engine == "memcached":
            tls = self.ca.issue(self.engine_root / key / "tls", [node.address]) if cluster.transit_encryption else None
            options = memcached_options(cluster.node_type, self.parameter_values(scope, cluster.parameter_group), tls)
            return NodeSpec(node_id=key, engine="memcached", version=cluster.engine_version, zone=node.zone, port=node.port,
                            options=options, address=node.address, data_dir=self.engine_root / key)
        return self.standalone_spec(scope, cluster, key)

    async def start_cache_node(self, scope, cluster: CacheCluster, node: CacheNode) -> Node:
        if not node.address:
            node.address, node.port = self.supervisor.allocator.allocate(node.port)
            node.engine_node_key = self.engine_node_id(scope, cluster, node)
            self.clusters.put(scope, cluster.cluster_id, cluster)
        self.cache_node_owner[node.engine_node_key] = (scope, cluster.cluster_id, node.node_id)
        return await self.supervisor.start(self.node_spec(scope, cluster, node))

    async def stop_cache_node(self, scope, cluster: CacheCluster, node: CacheNode) -> None:
        key = node.engine_node_key or self.engine_node_id(scope, cluster, node)
        self.cache_node_owner.pop(key, None)
        await self.supervisor.stop(key, delete_data=True)

    def _cluster_view(self, scope, cluster_id: str):
        """What the configuration endpoint serves: the version, the nodes listed, the nodes running."""

        def view():
            cluster = self.clusters.get(scope, cluster_id)
            if cluster is None:
                return 0, [], []
            listed = [(n.address, n.port) for n in cluster.nodes if n.address and n.status not in ("creating", "deleting")]
            running = [(n.address, n.port) for n in cluster.nodes
                       if n.address and (live := self.supervisor.node(n.engine_node_key)) is not None and live.running]
            return cluster.config_version, listed, running

        return view

    async def open_configuration_endpoint(self, scope, cluster: CacheCluster) -> None:
        if (scope, cluster.cluster_id) in self.config_endpoints:
            return
        if not cluster.config_address:
            cluster.config_address, cluster.config_port = self.supervisor.allocator.allocate(MEMCACHED_PORT)
            self.clusters.put(scope, cluster.cluster_id, cluster)
        else:
            self.supervisor.allocator.reserve(cluster.config_address, cluster.config_port)
        server_tls = node_tls = None
        if cluster.transit_encryption:
            directory = self.engine_root / f"{scope[0]}.{scope[1]}.{cluster.cluster_id}.config" / "tls"
            server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            server_tls.load_cert_chain(*self.ca.issue(directory, [cluster.config_address]))
            node_tls = ssl.create_default_context(cafile=str(self.ca.ensure()))
        endpoint = ConfigurationEndpoint(cluster.config_address, cluster.config_port, self._cluster_view(scope, cluster.cluster_id),
                                         server_tls, node_tls)
        await endpoint.start()
        self.config_endpoints[(scope, cluster.cluster_id)] = endpoint

    def close_configuration_endpoint(self, scope, cluster: CacheCluster) -> None:
        endpoint = self.config_endpoints.pop((scope, cluster.cluster_id), None)
        if endpoint is not None:
            endpoint.close()
            self.supervisor.allocator.release(cluster.config_address, cluster.config_port)

    def close_configuration_endpoints(self) -> None:
        """The cloud stops or resets: no endpoint may keep listening."""
        for endpoint in self.config_endpoints.values():
            endpoint.close()
        self.config_endpoints.clear()
        self.cache_node_owner.clear()

    async def _build_cache_cluster(self, scope, cluster_id: str) -> None:
        cluster = self.clusters.get(scope, cluster_id)
        if cluster is None or cluster.status != "creating":
            return
        await asyncio.gather(*(self.start_cache_node(scope, cluster, node) for node in cluster.nodes))
        if cluster.engine == "memcached":
            await self.open_configuration_endpoint(scope, cluster)
        self._finish_creation(scope, cluster_id)

    def _finish_creation(self, scope, cluster_id: str) -> None:
        """Available once every node runs. A node placed in an AZ that is down starts when the AZ
        comes back; until then the cluster stays "creating"."""
        cluster = self.clusters.get(scope, cluster_id)
        if cluster is None or cluster.status != "creating" or (cluster.engine == "memcached" and (scope, cluster_id) not in self.config_endpoints):
            return
        if not all((live := self.supervisor.node(n.engine_node_key)) is not None and live.running for n in cluster.nodes):
            return
        for node in cluster.nodes:
            node.status = "available"
        cluster.status = "available"
        self.clusters.put(scope, cluster_id, cluster)
        self.event(scope, cluster_id, "cache-cluster", Messages.CACHE_CLUSTER_CREATED)

    async def restore_cache_clusters(self) -> None:
        """After a restart of regionbox: every Memcached and single-node Redis cluster comes back on
        its addresses (Memcached empty, as a restarted memcached is), and unfinished work finishes."""
        for scope, cluster_id, cluster in list(self.clusters.all()):
            if cluster.replication_group_id:
                continue
            if cluster.status == "creating":
                self.background(self._build_cache_cluster(scope, cluster_id), f"creating cache cluster {cluster_id}")
                continue
            if cluster.status == "deleting":
                self.background(self._destroy_cache_cluster(scope, cluster_id), f"deleting cache cluster {cluster_id}")
                continue
            for node in cluster.nodes:
                if node.address:
                    self.supervisor.allocator.reserve(node.address, node.port)
            self.background(self._restore_cache_cluster(scope, cluster_id), f"restoring cache cluster {cluster_id}")

    async def _restore_cache_cluster(self, scope, cluster_id: str) -> None:
        cluster = self.clusters.get(scope, cluster_id)
        running = [n for n in cluster.nodes if n.status != "deleting" and n.address]
        results = await asyncio.gather(*(self.start_cache_node(scope, cluster, n) for n in running), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                log.error("restoring a node of %s failed: %s", cluster_id, result)
        if cluster.engine == "memcached":
            await self.open_configuration_endpoint(scope, cluster)
        if cluster.status in ("modifying", "rebooting cache cluster nodes"):
            await self._apply_node_changes(scope, cluster_id)

    async def _on_cache_node_event(self, node: Node, event: str) -> None:
        """A node died (its AZ went down, it crashed) or came back: show it, and log it as AWS does."""
        owner = self.cache_node_owner.get(node.node_id)
        if owner is None:
            return
        scope, cluster_id, node_id = owner
        cluster = self.clusters.get(scope, cluster_id)
        cache_node = next((n for n in cluster.nodes if n.node_id == node_id), None) if cluster else None
        if cache_node is None:
            return
        if cluster.status == "creating" and event == "started":
            self._finish_creation(scope, cluster_id)
            return
        if cache_node.status in ("creating", "deleting", "rebooting"):
            return
        if event == "exited" and cache_node.status == "available":
            cache_node.status = "failed"
            self.clusters.put(scope, cluster_id, cluster)
            self.event(scope, cluster_id, "cache-cluster", Messages.CACHE_NODE_SHUTDOWN.format(node=node_id))
        elif event == "started" and cache_node.status == "failed":
            self.event(scope, cluster_id, "cache-cluster", Messages.RECOVERING_NODES.format(nodes=node_id))
            cache_node.status = "available"
            self.clusters.put(scope, cluster_id, cluster)
            self.event(scope, cluster_id, "cache-cluster", Messages.FINISHED_RECOVERY.format(nodes=node_id))

    # -- DescribeCacheClusters ------------------------------------------------------------------------------
    def describe_cache_cluster(self, scope, cluster: CacheCluster, show_nodes: bool) -> dict[str, Any]:
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
            result["CacheNodes"] = [self._describe_node(cluster, node) for node in cluster.nodes]
        return result

    @staticmethod
    def _describe_node(cluster: CacheCluster, node: CacheNode) -> dict[str, Any]:
        described: dict[str, Any] = {
            "CacheNodeId": node.node_id, "CacheNodeStatus": node.status, "CacheNodeCreateTime": clock.from_epoch(node.created),
            "ParameterGroupStatus": node.parameter_group_status, "CustomerAvailabilityZone": node.zone,
        }
        if node.address and node.status != "creating":
            described["Endpoint"] = _endpoint(node.address, node.port)
        return described

    def describe_cache_clusters(self, ctx, params: dict) -> dict:
        show_nodes = bool(params.get("ShowCacheNodeInfo"))
        cluster_id = params.get("CacheClusterId")
        if cluster_id is not None:
            clusters = [self.get_cluster(ctx.scope, cluster_id)]
        else:
            clusters = self.clusters.values(ctx.scope)
            if params.get("ShowCacheClustersNotInReplicationGroups"):
                clusters = [c for c in clusters if not c.replication_group_id]
        rows = [self.describe_cache_cluster(ctx.scope, c, show_nodes) for c in clusters]
        return paged(self, "CacheClusters", rows, params)

    # -- ModifyCacheCluster -----------------------------------------------------------------------------------
    def modify_cache_cluster(self, ctx, params: dict) -> dict:
        scope = ctx.scope
        cluster = self.get_cluster(scope, params["CacheClusterId"])
        if cluster.status != "available":
            raise invalid_state(cluster)
        memcached = cluster.engine == "memcached"
        apply_now = bool(params.get("ApplyImmediately"))
        change = self._node_count_change(scope, cluster, params) if memcached else None
        if not memcached and (params.get("NumCacheNodes") not in (None, 1) or params.get("CacheNodeIdsToRemove")):
            raise check.invalid_value("Cannot modify a Redis cluster to have a NumCacheNodes parameter greater than 1.")
        version = check.engine_upgrade(cluster.engine, cluster.engine_version, params.get("EngineVersion"))
        parameter_group = self.upgraded_parameter_group(scope, cluster.engine, cluster.engine_version, cluster.parameter_group,
                                                        version, params.get("CacheParameterGroupName"))
        if memcached and (params.get("AuthToken") or params.get("AuthTokenUpdateStrategy")):
            raise check.invalid_combination("AuthToken is not supported for engine memcached.")
        token_strategy = None if memcached else self.check_auth_token_update(cluster, params)
        # Settings with no effect on the nodes take effect at once.
        for name, attribute in (("PreferredMaintenanceWindow", "preferred_maintenance_window"),
                                ("SnapshotWindow", "snapshot_window"), ("SnapshotRetentionLimit", "snapshot_retention_limit"),
                                ("AutoMinorVersionUpgrade", "auto_minor_version_upgrade"), ("IpDiscovery", "ip_discovery")):
            if params.get(name) is not None:
                if memcached and name.startswith("Snapshot"):
                    raise check.invalid_combination(f"{name} is not supported for engine memcached.")
                setattr(cluster, attribute, params[name])
        if params.get("SecurityGroupIds") is not None:
            cluster.security_group_ids = list(params["SecurityGroupIds"])
        if params.get("NotificationTopicArn") is not None:
            cluster.notification_topic_arn = params["NotificationTopicArn"] or None
        cluster.engine_version = version
        if token_strategy is not None:
            self.modify_auth_token(cluster, params.get("AuthToken"), token_strategy)
        if parameter_group != cluster.parameter_group:
            cluster.parameter_group = parameter_group
            # A new group reaches the nodes at their next reboot, as on AWS.
            for node in cluster.nodes:
                node.parameter_group_status = "pending-reboot" if memcached else "applying"
            if not memcached:
                self.background(self.apply_standalone_parameters(scope, cluster.cluster_id), "applying parameters")
        if change is not None:
            added_zones, removed = change
            pending = {"NumCacheNodes": len(cluster.nodes) + len(added_zones) - len(removed)}
            if removed:
                pending["CacheNodeIdsToRemove"] = removed
            cluster.pending = pending
            cluster.nodes_to_add, cluster.nodes_to_remove = added_zones, removed
            if apply_now:
                cluster.status = "modifying"
        self.clusters.put(scope, cluster.cluster_id, cluster)
        if change is not None and apply_now:
            self.background(self._apply_node_changes(scope, cluster.cluster_id), f"modifying {cluster.cluster_id}")
        return {"CacheCluster": self.describe_cache_cluster(scope, cluster, show_nodes=False)}

    def _node_count_change(self, scope, cluster: CacheCluster, params: dict) -> tuple[list[str], list[str]] | None:
        """(zones of the nodes to add, ids of the nodes to remove), or None when the count stays."""
        current = len(cluster.nodes)
        wanted = params.get("NumCacheNodes", current)
        to_remove = list(params.get("CacheNodeIdsToRemove") or [])
        new_zones = params.get("NewAvailabilityZones") or []
        if wanted < 1:
            raise check.invalid_value("The parameter NumCacheNodes must be greater than 0.")
        if wanted > MAX_MEMCACHED_NODES:
            raise ServiceError("NodeQuotaForClusterExceeded",
                               f"Cluster node quota exceeded: a Memcached cluster can have at most {MAX_MEMCACHED_NODES} nodes.")
        if wanted == current and not to_remove and not new_zones:
            return None
        if wanted < current:
            if len(to_remove) != current - wanted:
                raise check.invalid_value(f"The number of cache node ids to remove ({len(to_remove)}) must equal the "
                                          f"number of cache nodes to remove ({current - wanted}).")
            if new_zones:
                raise check.invalid_combination("NewAvailabilityZones cannot be specified when removing cache nodes.")
            known = {n.node_id for n in cluster.nodes}
            for node_id in to_remove:
                if node_id not in known:
                    raise check.invalid_value(f"Cache node {node_id} does not exist in cache cluster {cluster.cluster_id}.")
            return [], to_remove
        if to_remove:
            raise check.invalid_combination("CacheNodeIdsToRemove can only be specified when NumCacheNodes is decreased.")
        added = wanted - current
        if new_zones and len(new_zones) != added:
            raise check.invalid_value(f"The number of new availability zones ({len(new_zones)}) must match the number of "
                                      f"cache nodes to add ({added}).")
        if params.get("AZMode") == "cross-az" and not new_zones:
            used = [n.zone for n in cluster.nodes]
            zones = self.spread_zones(scope, added, start=len(used))
        else:
            zones = [self.check_zone(scope, z) for z in new_zones] or [cluster.nodes[0].zone] * added
        return zones, []

    async def _apply_node_changes(self, scope, cluster_id: str) -> None:
        """Remove, then add, the nodes a modification asked for; every change bumps the config version
        that auto-discovery clients see."""
        cluster = self.clusters.get(scope, cluster_id)
        if cluster is None:
            return
        add_zones, remove = list(cluster.nodes_to_add), list(cluster.nodes_to_remove)
        if remove:
            leaving = [n for n in cluster.nodes if n.node_id in remove]
            for node in leaving:
                node.status = "deleting"
            cluster.config_version += 1
            self.clusters.put(scope, cluster_id, cluster)
            await asyncio.gather(*(self.stop_cache_node(scope, cluster, n) for n in leaving))
            cluster.nodes = [n for n in cluster.nodes if n.node_id not in remove]
            self.clusters.put(scope, cluster_id, cluster)
            self.event(scope, cluster_id, "cache-cluster", Messages.CACHE_NODES_REMOVED.format(nodes=", ".join(remove)))
        if add_zones:
            now = clock.epoch()
            number = max((int(n.node_id) for n in cluster.nodes), default=0)
            joining = [CacheNode(node_id=f"{number + i + 1:04d}", zone=zone, address="", port=cluster.port, created=now)
                       for i, zone in enumerate(add_zones)]
            cluster.nodes.extend(joining)
            self.clusters.put(scope, cluster_id, cluster)
            await asyncio.gather(*(self.start_cache_node(scope, cluster, n) for n in joining))
            for node in joining:
                node.status = "available"
                self.event(scope, cluster_id, "cache-cluster", Messages.CACHE_NODE_ADDED.format(node=node.node_id, zone=node.zone))
            cluster.config_version += 1
        cluster.num_nodes = len(cluster.nodes)
        zones = {n.zone for n in cluster.nodes}
        cluster.zone = next(iter(zones)) if len(zones) == 1 else "Multiple"
        cluster.az_mode = "cross-az" if len(zones) > 1 else "single-az"
        cluster.pending, cluster.nodes_to_add, cluster.nodes_to_remove = {}, [], []
        cluster.status = "available"
        self.clusters.put(scope, cluster_id, cluster)

    # -- RebootCacheCluster ---------------------------------------------------------------------------------
    def reboot_cache_cluster(self, ctx, params: dict) -> dict:
        cluster = self.get_cluster(ctx.scope, params["CacheClusterId"])
        if cluster.status != "available":
            raise invalid_state(cluster)
        if cluster.replication_group_id:
            raise check.invalid_combination("Rebooting members of replication groups is done with TestFailover in regionbox.")
        node_ids = params["CacheNodeIdsToReboot"]
        known = {n.node_id for n in cluster.nodes}
        for node_id in node_ids:
            if node_id not in known:
                raise check.invalid_value(f"Cache node {node_id} does not exist in cache cluster {cluster.cluster_id}.")
        cluster.status = "rebooting cache cluster nodes"
        for node in cluster.nodes:
            if node.node_id in node_ids:
                node.status = "rebooting"
        self.clusters.put(ctx.scope, cluster.cluster_id, cluster)
        self.background(self._reboot_nodes(ctx.scope, cluster.cluster_id, node_ids), f"rebooting {cluster.cluster_id}")
        return {"CacheCluster": self.describe_cache_cluster(ctx.scope, cluster, show_nodes=False)}

    async def _reboot_nodes(self, scope, cluster_id: str, node_ids: list[str]) -> None:
        """A reboot restarts the engine with the parameter group's current settings (a Memcached node
        comes back empty, as on AWS)."""
        cluster = self.clusters.get(scope, cluster_id)
        for node in [n for n in cluster.nodes if n.node_id in node_ids]:
            spec = self.node_spec(scope, cluster, node)
            await self.supervisor.start(spec)  # registers the new settings with the supervisor
            await self.supervisor.restart(spec.node_id)
            node.status = "available"
            node.parameter_group_status = "in-sync"
            self.event(scope, cluster_id, "cache-cluster", Messages.CACHE_NODE_RESTARTED.format(node=node.node_id))
        cluster.status = "available"
        self.clusters.put(scope, cluster_id, cluster)

    # -- DeleteCacheCluster ---------------------------------------------------------------------------------
    def delete_cache_cluster(self, ctx, params: dict) -> dict:
        cluster = self.get_cluster(ctx.scope, params["CacheClusterId"])
        if cluster.replication_group_id:
            raise ServiceError("InvalidCacheClusterState",
                               f"Cache cluster {cluster.cluster_id} is a member of replication group {cluster.replication_group_id}: "
                               "delete the replication group or decrease its replica count instead.")
        if cluster.status not in ("available", "incompatible-network", "restore-failed"):
            raise invalid_state(cluster)
        if params.get("FinalSnapshotIdentifier"):
            if cluster.engine == "memcached":
                raise ServiceError("SnapshotFeatureNotSupportedFault", "Snapshots are not supported for engine memcached.")
            raise ServiceError("NotImplemented", "Final snapshots are not implemented by regionbox yet.", status=501, sender_fault=False)
        cluster.status = "deleting"
        self.clusters.put(ctx.scope, cluster.cluster_id, cluster)
        self.background(self._destroy_cache_cluster(ctx.scope, cluster.cluster_id), f"deleting {cluster.cluster_id}")
        return {"CacheCluster": self.describe_cache_cluster(ctx.scope, cluster, show_nodes=False)}

    async def _destroy_cache_cluster(self, scope, cluster_id: str) -> None:
        cluster = self.clusters.get(scope, cluster_id)
        if cluster is None:
            return
        self.close_configuration_endpoint(scope, cluster)
        await asyncio.gather(*(self.stop_cache_node(scope, cluster, n) for n in cluster.nodes), return_exceptions=True)
        self.clusters.delete(scope, cluster_id)
