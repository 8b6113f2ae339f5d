"""Replication groups: create, describe, modify, delete, and replica counts.

A group's member clusters (one node each) are real engine processes placed in the AZs asked for,
spread over the region's AZs by default. Creation answers at once with status "creating"; the
nodes start in the background and the group becomes "available" when every node runs and every
replica has synchronised with its primary, as DescribeReplicationGroups and boto3's waiters see.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from regionbox.core import clock
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import InvalidToken
from regionbox.core.topology import UnknownZone
from regionbox.engines import kinds
from regionbox.services.elasticache import engine_catalog as catalog
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.events import Messages
from regionbox.services.elasticache.models import ALL_SLOTS, REDIS_PORT, CacheCluster, CacheNode, NodeGroup, ReplicationGroup
from regionbox.services.elasticache.nodes import node_key

log = logging.getLogger("regionbox.elasticache")

MAX_CACHE_CLUSTERS = 6  # cluster mode disabled: one primary and up to five replicas
SYNC_TIMEOUT = 30.0


def _endpoint(address: str | None, port: int) -> dict | None:
    return {"Address": address, "Port": port} if address else None


def endpoints_of(rg: ReplicationGroup) -> list[tuple[str, int]]:
    """The group's stable endpoints as (address, port)."""
    return [(address, port or rg.port) for address, port in ((rg.primary_address, rg.primary_port),
            (rg.reader_address, rg.reader_port), (rg.config_address, rg.config_port)) if address]


def not_found(group_id: str) -> ServiceError:
    return ServiceError("ReplicationGroupNotFoundFault", f"Replication group {group_id} not found.", status=404)


class ReplicationGroupsMixin:
    # -- lookups --------------------------------------------------------------------------------
    def get_group(self, scope, group_id: str | None) -> ReplicationGroup:
        rg = self.groups.get(scope, (group_id or "").lower())
        if rg is None:
            raise not_found(group_id)
        return rg

    def members(self, scope, group: NodeGroup) -> list[CacheCluster]:
        return [c for c in (self.clusters.get(scope, cid) for cid in group.members) if c is not None]

    def save_group(self, scope, rg: ReplicationGroup) -> None:
        rg.member_clusters = [cid for g in rg.node_groups for cid in g.members]
        self.groups.put(scope, rg.replication_group_id, rg)

    def zone_names(self, scope) -> list[str]:
        return [z.name for z in self.cloud.topology.zones(scope[1])]

    def check_zone(self, scope, name: str) -> str:
        try:
            zone = self.cloud.topology.zone(name)
        except UnknownZone:
            zone = None
        if zone is None or zone.region != scope[1]:
            raise check.invalid_value(f"Invalid availability zone: {name}")
        return zone.name

    def spread_zones(self, scope, count: int, preferred: list[str] | None = None, start: int = 0) -> list[str]:
        """Zones for ``count`` nodes: the ones asked for, else round robin over the region's AZs."""
        zones = [self.check_zone(scope, z) for z in (preferred or [])]
        names = self.zone_names(scope)
        while len(zones) < count:
            zones.append(names[(start + len(zones)) % len(names)])
        return zones

    def next_member_number(self, rg: ReplicationGroup, prefix: str) -> int:
        used = [int(cid.rsplit("-", 1)[1]) for cid in rg.member_clusters if cid.startswith(prefix) and cid.rsplit("-", 1)[1].isdigit()]
        return max(used, default=0) + 1

    def new_member(self, scope, rg: ReplicationGroup, cluster_id: str, zone: str, role: str, node_group_id: str) -> CacheCluster:
        now = clock.epoch()
        cluster = CacheCluster(
            cluster_id=cluster_id, arn=self.arn(scope, f"cluster:{cluster_id}"), engine=rg.engine,
            engine_version=rg.engine_version, node_type=rg.node_type, created=now, zone=zone, port=rg.port,
            replication_group_id=rg.replication_group_id, role=role, node_group_id=node_group_id,
            parameter_group=rg.parameter_group, subnet_group=rg.subnet_group, security_group_ids=list(rg.security_group_ids),
            transit_encryption=rg.transit_encryption, at_rest_encryption=rg.at_rest_encryption,
            auth_token_enabled=rg.auth_token_enabled, snapshot_retention_limit=rg.snapshot_retention_limit,
            snapshot_window=rg.snapshot_window, preferred_maintenance_window=rg.preferred_maintenance_window,
            nodes=[CacheNode(node_id="0001", zone=zone, address="", port=rg.port, created=now)],
        )
        self.clusters.put(scope, cluster_id, cluster)
        return cluster

    # -- CreateReplicationGroup -----------------------------------------------------------------
    def create_replication_group(self, ctx, params: dict) -> dict:
        scope = ctx.scope
        group_id = check.identifier("ReplicationGroupId", params["ReplicationGroupId"])
        if self.groups.get(scope, group_id) is not None:
            raise ServiceError("ReplicationGroupAlreadyExists", f"Replication group {group_id} already exists.")
        engine = check.engine(params.get("Engine"))
        version = catalog.resolve_version(engine, params.get("EngineVersion"))
        if version is None:
            raise check.invalid_combination(f"Cannot find version {params['EngineVersion']} for {engine}")
        if kinds.binary(engine) is None:
            # Replication and cluster mode need the real engine; the embedded one is single-node only.
            raise check.invalid_value(f"Replication groups need the real {engine} engine, which is not installed here: "
                                      f"{kinds.INSTALL_HINTS[engine]}.")
        configs = params.get("NodeGroupConfiguration") or []
        parameter_group = params.get("CacheParameterGroupName") or ""
        cluster_enabled = (params.get("ClusterMode") in ("enabled", "compatible") or "cluster.on" in parameter_group
                           or (params.get("NumNodeGroups") or 1) > 1 or len(configs) > 1)
        transit = bool(params.get("TransitEncryptionEnabled"))
        check.auth_token(params.get("AuthToken"), transit)
        user_group_ids = params.get("UserGroupIds") or []
        if user_group_ids and params.get("AuthToken"):
            raise check.invalid_combination("AuthToken and UserGroupIds cannot be specified together.")
        for ugid in user_group_ids:
            self.get_user_group(scope, ugid)
        if parameter_group:
            parameter_group = self._check_parameter_group(scope, parameter_group, engine, version)

        if cluster_enabled:
            plan = self._plan_sharded(scope, params, configs)
            nodes_per_group = min(len(p[1]) + 1 for p in plan)
        else:
            plan = self._plan_single(scope, params, configs)
            nodes_per_group = len(plan[0][1]) + 1
        automatic = params.get("AutomaticFailoverEnabled")
        if automatic is None:
            automatic = cluster_enabled
        if cluster_enabled and not automatic:
            raise check.invalid_combination("Automatic failover must be enabled for Redis (cluster mode enabled) replication groups.")
        multi_az = bool(params.get("MultiAZEnabled"))
        check.failover_settings(bool(automatic), multi_az, nodes_per_group, cluster_enabled)

        now = clock.epoch()
        token = params.get("AuthToken")
        rg = ReplicationGroup(
            replication_group_id=group_id, arn=self.arn(ctx, f"replicationgroup:{group_id}"),
            description=params.get("ReplicationGroupDescription", ""), engine=engine,
            engine_version=version,
            node_type=params.get("CacheNodeType") or "cache.t4g.micro", created=now,
            cluster_enabled=cluster_enabled, cluster_mode="enabled" if cluster_enabled else "disabled",
            automatic_failover="enabled" if automatic else "disabled", multi_az="enabled" if multi_az else "disabled",
            port=params.get("Port") or REDIS_PORT,
            parameter_group=parameter_group or catalog.default_parameter_group(engine, version, cluster_enabled),
            subnet_group=params.get("CacheSubnetGroupName") or "default",
            security_group_ids=list(params.get("SecurityGroupIds") or []),
            transit_encryption=transit, transit_encryption_mode="required" if transit else None,
            at_rest_encryption=bool(params.get("AtRestEncryptionEnabled")), kms_key_id=params.get("KmsKeyId"),
            auth_token_hashes=[self.redis_hash(token)] if token else [], auth_token_last_modified=now if token else None,
            user_group_ids=list(user_group_ids),
            snapshot_retention_limit=params.get("SnapshotRetentionLimit") or 0,
            snapshot_window=params.get("SnapshotWindow") or "05:00-06:00",
            preferred_maintenance_window=params.get("PreferredMaintenanceWindow") or "sun:05:00-sun:06:00",
            auto_minor_version_upgrade=params.get("AutoMinorVersionUpgrade", True),
            network_type=params.get("NetworkType") or "ipv4", ip_discovery=params.get("IpDiscovery") or "ipv4",
            tags=list(params.get("Tags") or []),
        )
        for index, (primary_zone, replica_zones, slots) in enumerate(plan, start=1):
            ng_id = f"{index:04d}"
            prefix = f"{group_id}-{ng_id}-" if cluster_enabled else f"{group_id}-"
            members = []
            for number, zone in enumerate([primary_zone, *replica_zones], start=1):
                cluster_id = f"{prefix}{number:03d}"
                self.new_member(scope, rg, cluster_id, zone, "primary" if number == 1 else "replica", ng_id)
                members.append(cluster_id)
            rg.node_groups.append(NodeGroup(node_group_id=ng_id, members=members, primary=members[0], slots=slots,
                                            primary_zone=primary_zone, replica_zones=list(replica_zones)))
        for ugid in user_group_ids:
            self.attach_user_group(scope, ugid, group_id)
        self.save_group(scope, rg)
        ctx.touched("ReplicationGroup", group_id)
        self.background(self.build_group(scope, group_id), f"creating replication group {group_id}")
        return {"ReplicationGroup": self.describe_group(scope, rg)}

    def _plan_single(self, scope, params: dict, configs: list[dict]) -> list[tuple[str, list[str], str]]:
        preferred = params.get("PreferredCacheClusterAZs")
        count = params.get("NumCacheClusters")
        if count is None and params.get("ReplicasPerNodeGroup") is not None:
            count = 1 + check.replica_count(params["ReplicasPerNodeGroup"])
        if configs:
            config = configs[0]
            zones = [z for z in [config.get("PrimaryAvailabilityZone"), *(config.get("ReplicaAvailabilityZones") or [])] if z]
            preferred = preferred or zones or None
            if count is None and config.get("ReplicaCount") is not None:
                count = 1 + check.replica_count(config["ReplicaCount"], "ReplicaCount")
        if count is None:
            count = len(preferred) if preferred else 1
        if not 1 <= count <= MAX_CACHE_CLUSTERS:
            raise check.invalid_value(f"The parameter NumCacheClusters must be between 1 and {MAX_CACHE_CLUSTERS}.")
        if preferred and len(preferred) != count:
            raise check.invalid_value("The number of PreferredCacheClusterAZs must match the value of NumCacheClusters.")
        zones = self.spread_zones(scope, count, preferred)
        return [(zones[0], zones[1:], ALL_SLOTS)]

    def _plan_sharded(self, scope, params: dict, configs: list[dict]) -> list[tuple[str, list[str], str]]:
        if params.get("NumCacheClusters") or params.get("PreferredCacheClusterAZs"):
            raise check.invalid_combination(
                "NumCacheClusters and PreferredCacheClusterAZs are not supported for Redis (cluster mode enabled); "
                "use NumNodeGroups, ReplicasPerNodeGroup and NodeGroupConfiguration.")
        count = params.get("NumNodeGroups") or len(configs) or 1
        if configs and len(configs) != count:
            raise check.invalid_value("The number of node group configurations must match NumNodeGroups.")
        if not 1 <= count <= check.MAX_NODE_GROUPS:
            raise check.invalid_value(f"The parameter NumNodeGroups must be between 1 and {check.MAX_NODE_GROUPS}.")
        replicas = check.replica_count(params.get("ReplicasPerNodeGroup") or 0)
        given_slots = [c.get("Slots") for c in configs]
        if any(given_slots):
            if not all(given_slots):
                raise check.invalid_value("Slots must be specified for every node group or for none.")
            check.slot_coverage(given_slots)
            slots = [check.format_slots([s for low, high in check.parse_slots(t) for s in range(low, high + 1)]) for t in given_slots]
        else:
            slots = check.even_slot_ranges(count)
        ids = [c.get("NodeGroupId") for c in configs if c.get("NodeGroupId")]
        if len(ids) != len(set(ids)):
            raise check.invalid_value("Duplicate NodeGroupId in NodeGroupConfiguration.")
        plan = []
        for index in range(count):
            config = configs[index] if configs else {}
            group_replicas = check.replica_count(config["ReplicaCount"], "ReplicaCount") if config.get("ReplicaCount") is not None else replicas
            preferred = [z for z in [config.get("PrimaryAvailabilityZone"), *(config.get("ReplicaAvailabilityZones") or [])] if z]
            if config.get("ReplicaAvailabilityZones") and len(config["ReplicaAvailabilityZones"]) != group_replicas:
                raise check.invalid_value("The number of ReplicaAvailabilityZones must match the replica count of the node group.")
            zones = self.spread_zones(scope, 1 + group_replicas, preferred or None, start=index)
            plan.append((zones[0], zones[1:], slots[index]))
        return plan

    # -- building, restoring ------------------------------------------------------------------
    def allocate_addresses(self, scope, rg: ReplicationGroup) -> None:
        allocator = self.supervisor.allocator
        for cluster_id in rg.member_clusters:
            cluster = self.clusters.get(scope, cluster_id)
            node = cluster.nodes[0]
            if not node.address:
                node.address, node.port = allocator.allocate(rg.port)
                node.engine_node_key = node_key(scope, cluster_id)
                self.clusters.put(scope, cluster_id, cluster)
        if rg.cluster_enabled:
            if not rg.config_address:
                rg.config_address, rg.config_port = allocator.allocate(rg.port)
        else:
            if not rg.primary_address:
                rg.primary_address, rg.primary_port = allocator.allocate(rg.port)
            if not rg.reader_address:
                rg.reader_address, rg.reader_port = allocator.allocate(rg.port)
        self.save_group(scope, rg)

    async def start_member(self, scope, rg: ReplicationGroup, cluster: CacheCluster) -> None:
        group = rg.node_group(cluster.node_group_id)
        primary = None
        if not rg.cluster_enabled and group.primary != cluster.cluster_id:
            primary = self.clusters.get(scope, group.primary)
        self.node_owner[node_key(scope, cluster.cluster_id)] = (scope, cluster.cluster_id)
        self.redis.write_acl(scope, rg, cluster.cluster_id)
        await self.supervisor.start(self.redis.spec(scope, rg, cluster, primary))

    async def build_group(self, scope, group_id: str) -> None:
        try:
            await self._build_group(scope, group_id)
        except Exception:
            # As on AWS: the group stays, in "create-failed", until it is deleted.
            rg = self.groups.get(scope, group_id)
            if rg is not None and rg.status == "creating":
                rg.status = "create-failed"
                self.save_group(scope, rg)
            raise

    async def _build_group(self, scope, group_id: str) -> None:
        async with self.lock(scope, group_id):
            rg = self.groups.get(scope, group_id)
            if rg is None or rg.status != "creating":
                return
            self.allocate_addresses(scope, rg)
            members = [self.clusters.get(scope, cid) for cid in rg.member_clusters]
            primaries = [m for m in members if m.role == "primary"]
            replicas = [m for m in members if m.role != "primary"]
            # Primaries first, so replicas find them listening.
            await asyncio.gather(*(self.start_member(scope, rg, m) for m in primaries))
            await asyncio.gather(*(self.start_member(scope, rg, m) for m in replicas))
            if rg.cluster_enabled:
                await self.bootstrap_cluster(scope, rg)
            await self.wait_replicas_synced(scope, rg)
            self.refresh_endpoints(scope, rg)
            for cluster in members:
                cluster.status = "available"
                cluster.nodes[0].status = "available"
                self.clusters.put(scope, cluster.cluster_id, cluster)
            for group in rg.node_groups:
                group.status = "available"
            rg = self.groups.get(scope, group_id) or rg
            rg.status = "available"
            self.save_group(scope, rg)
            self.event(scope, group_id, "replication-group", Messages.REPLICATION_GROUP_CREATED.format(group=group_id))

    async def wait_replicas_synced(self, scope, rg: ReplicationGroup, cluster_ids: list[str] | None = None) -> None:
        """Wait until each replica reports its link to the primary up (first full sync done)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SYNC_TIMEOUT
        for group in rg.node_groups:
            for cluster_id in group.members:
                if cluster_id == group.primary or (cluster_ids is not None and cluster_id not in cluster_ids):
                    continue
                while loop.time() < deadline:
                    try:
                        info = await self.redis.command(scope, rg, cluster_id, "INFO", "replication")
                    except Exception:  # noqa: BLE001 - still starting
                        info = {}
                    if info.get("role") == "slave" and info.get("master_link_status") == "up":
                        break
                    await asyncio.sleep(0.02)

    async def restore_group(self, scope, rg: ReplicationGroup) -> None:
        """After a restart of regionbox: nodes back on their addresses, endpoints open again."""
        if rg.status == "creating":
            await self.build_group(scope, rg.replication_group_id)
            return
        if rg.status == "deleting":
            await self.destroy_group(scope, rg.replication_group_id)
            return
        async with self.lock(scope, rg.replication_group_id):
            allocator = self.supervisor.allocator
            for address, port in endpoints_of(rg):
                allocator.reserve(address, port)
            members = self.members_of(scope, rg)
            results = await asyncio.gather(*(self.start_member(scope, rg, m) for m in members if m.nodes[0].address),
                                           return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    log.error("restoring a node of %s failed: %s", rg.replication_group_id, result)
            if rg.status == "modifying":
                rg.status = "available"
                self.save_group(scope, rg)
            self.refresh_endpoints(scope, rg)

    def members_of(self, scope, rg: ReplicationGroup) -> list[CacheCluster]:
        return [c for c in (self.clusters.get(scope, cid) for cid in rg.member_clusters) if c is not None]

    # -- DescribeReplicationGroups -------------------------------------------------------------------
    def describe_group(self, scope, rg: ReplicationGroup) -> dict[str, Any]:
        node_groups = []
        for group in rg.node_groups:
            members = []
            for cluster in self.members(scope, group):
                node = cluster.nodes[0]
                member: dict[str, Any] = {"CacheClusterId": cluster.cluster_id, "CacheNodeId": node.node_id,
                                          "PreferredAvailabilityZone": node.zone}
                if not rg.cluster_enabled:
                    if node.address and rg.status != "creating":
                        member["ReadEndpoint"] = _endpoint(node.address, node.port)
                    member["CurrentRole"] = "primary" if cluster.cluster_id == group.primary else "replica"
                members.append(member)
            shaped: dict[str, Any] = {"NodeGroupId": group.node_group_id, "Status": group.status}
            if rg.cluster_enabled:
                shaped["Slots"] = group.slots
            elif rg.status != "creating":
                shaped["PrimaryEndpoint"] = _endpoint(rg.primary_address, rg.primary_port or rg.port)
                shaped["ReaderEndpoint"] = _endpoint(rg.reader_address, rg.reader_port or rg.port)
            shaped["NodeGroupMembers"] = members
            node_groups.append(shaped)
        result: dict[str, Any] = {
            "ReplicationGroupId": rg.replication_group_id, "Description": rg.description, "Status": rg.status,
            "PendingModifiedValues": dict(rg.pending), "MemberClusters": list(rg.member_clusters), "NodeGroups": node_groups,
            "AutomaticFailover": rg.automatic_failover, "MultiAZ": rg.multi_az,
            "SnapshotRetentionLimit": rg.snapshot_retention_limit, "SnapshotWindow": rg.snapshot_window,
            "ClusterEnabled": rg.cluster_enabled, "CacheNodeType": rg.node_type, "AuthTokenEnabled": rg.auth_token_enabled,
            "TransitEncryptionEnabled": rg.transit_encryption, "AtRestEncryptionEnabled": rg.at_rest_encryption,
            "ARN": rg.arn, "LogDeliveryConfigurations": list(rg.log_delivery), "ReplicationGroupCreateTime": rg.created,
            "DataTiering": rg.data_tiering, "AutoMinorVersionUpgrade": rg.auto_minor_version_upgrade,
            "NetworkType": rg.network_type, "IpDiscovery": rg.ip_discovery, "ClusterMode": rg.cluster_mode, "Engine": rg.engine,
        }
        if rg.cluster_enabled and rg.config_address and rg.status != "creating":
            result["ConfigurationEndpoint"] = _endpoint(rg.config_address, rg.config_port or rg.port)
        if rg.auth_token_last_modified:
            result["AuthTokenLastModifiedDate"] = rg.auth_token_last_modified
        if rg.transit_encryption:
            result["TransitEncryptionMode"] = rg.transit_encryption_mode
        if rg.user_group_ids:
            result["UserGroupIds"] = list(rg.user_group_ids)
        if rg.kms_key_id:
            result["KmsKeyId"] = rg.kms_key_id
        if not rg.cluster_enabled and rg.snapshot_retention_limit > 0 and len(rg.member_clusters) > 1:
            result["SnapshottingClusterId"] = next((c for c in rg.member_clusters if c != rg.node_groups[0].primary), None)
        return result

    def describe_replication_groups(self, ctx, params: dict) -> dict:
        if params.get("ReplicationGroupId"):
            groups = [self.get_group(ctx.scope, params["ReplicationGroupId"])]
        else:
            groups = self.groups.values(ctx.scope)
        max_records = params.get("MaxRecords")
        if max_records is not None and not 20 <= max_records <= 100:
            raise check.invalid_value("The parameter MaxRecords must be between 20 and 100.")
        try:
            page, marker = self.cloud.paginator.page(groups, params.get("Marker"), max_records, default_limit=100)
        except InvalidToken:
            raise check.invalid_value("Invalid marker provided.") from None
        result: dict[str, Any] = {"ReplicationGroups": [self.describe_group(ctx.scope, rg) for rg in page]}
        if marker:
            result["Marker"] = marker
        return result

    # -- DeleteReplicationGroup -------------------------------------------------------------------------
    def delete_replication_group(self, ctx, params: dict) -> dict:
        rg = self.get_group(ctx.scope, params["ReplicationGroupId"])
        if rg.status == "deleting":
            raise ServiceError("InvalidReplicationGroupState",
                               f"Replication group {rg.replication_group_id} has status deleting which is not valid for deletion.")
        if params.get("FinalSnapshotIdentifier"):
            raise check.invalid_value("Final snapshots are not supported by regionbox yet.")
        rg.status = "deleting"
        for group in rg.node_groups:
            group.status = "deleting"
        self.save_group(ctx.scope, rg)
        for cluster in self.members_of(ctx.scope, rg):
            cluster.status = "deleting"
            self.clusters.put(ctx.scope, cluster.cluster_id, cluster)
        ctx.touched("ReplicationGroup", rg.replication_group_id)
        self.background(self.destroy_group(ctx.scope, rg.replication_group_id), f"deleting {rg.replication_group_id}")
        return {"ReplicationGroup": self.describe_group(ctx.scope, rg)}

    async def destroy_group(self, scope, group_id: str) -> None:
        async with self.lock(scope, group_id):
            rg = self.groups.get(scope, group_id)
            if rg is None:
                return
            await asyncio.gather(*(self.stop_member(scope, cid) for cid in rg.member_clusters))
            for address, port in endpoints_of(rg):
                self.close_endpoint(address, port)
            for ugid in rg.user_group_ids:
                self.detach_user_group(scope, ugid, group_id)
            self.groups.delete(scope, group_id)
            self.event(scope, group_id, "replication-group", Messages.REPLICATION_GROUP_DELETED.format(group=group_id))
        self._locks.pop((scope, group_id), None)

    async def stop_member(self, scope, cluster_id: str) -> None:
        key = node_key(scope, cluster_id)
        self.node_owner.pop(key, None)
        await self.supervisor.stop(key, delete_data=True)
        self.clusters.delete(scope, cluster_id)
