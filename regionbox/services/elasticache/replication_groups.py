"""Replication groups: create, describe, delete, and their replica counts.

A group's member clusters (one node each) are real engine processes placed in the AZs asked for,
else in the region's healthy AZs round robin. Creation answers at once with status "creating";
the nodes start in the background and the group becomes "available" only when every node runs
and every replica has synchronised with its primary, as DescribeReplicationGroups and boto3's
waiters see. What a failure shows (rules, as AWS does):

- a node whose AZ is down (the caller pinned it there) or that does not start, or a replica that
  does not synchronise: the group and its unfinished members are "create-failed", with events
  naming the member and the cause (InsufficientCacheClusterCapacity and the zone for a zone that is
  down); the nodes that did start are stopped, and the group can only be deleted;
- IncreaseReplicaCount that fails the same way is rolled back: the new replicas are removed and
  the group is "available" with the members it had, with an event naming the cause;
- DecreaseReplicaCount: the replicas leave the group (status "deleting" meanwhile) once their
  nodes are stopped; the group is "available" again either way.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.engines import kinds
from regionbox.services.elasticache import engine_catalog as catalog
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.events import EventLog, Messages
from regionbox.services.elasticache.members import MemberClusters, NodesNotServing, ReplicaSyncTimeout, endpoints_of
from regionbox.services.elasticache.models import ALL_SLOTS, REDIS_PORT, CacheCluster, NodeGroup, ReplicationGroup
from regionbox.services.elasticache.nodes import node_key, sha256
from regionbox.services.elasticache.parameter_groups import checked_parameter_group
from regionbox.services.elasticache.placement import Placement, ZoneUnavailable
from regionbox.services.elasticache.restores import Restores
from regionbox.services.elasticache.snapshots import Snapshots
from regionbox.services.elasticache.state import ElastiCacheState
from regionbox.services.elasticache.tags import checked_tags

if TYPE_CHECKING:
    from regionbox.services.elasticache.sharding import Sharding
    from regionbox.services.elasticache.users import UserGroups

log = logging.getLogger("regionbox.elasticache")

MAX_CACHE_CLUSTERS = 6  # cluster mode disabled: one primary and up to five replicas


def _endpoint(address: str | None, port: int) -> dict | None:
    return {"Address": address, "Port": port} if address else None


def member_failures(error: BaseException) -> dict[str, str]:
    """Member cluster id -> the event message that says why it failed, for the errors that name members."""
    if isinstance(error, ZoneUnavailable):
        return {cid: Messages.CREATE_FAILED_CAPACITY.format(zone=zone) for cid, zone in error.zones.items()}
    if isinstance(error, (NodesNotServing, ReplicaSyncTimeout)):
        return {cid: Messages.CREATE_FAILED.format(reason=error) for cid in error.cluster_ids}
    return {}


def describe_group(state: ElastiCacheState, scope: Scope, rg: ReplicationGroup) -> dict[str, Any]:
    """A group as DescribeReplicationGroups (and every Create/Modify/Delete of it) answers."""
    serving = rg.status not in ("creating", "create-failed")
    node_groups = []
    for group in rg.node_groups:
        members = []
        for cluster in state.members(scope, rg, group):
            node = cluster.nodes[0]
            member: dict[str, Any] = {"CacheClusterId": cluster.cluster_id, "CacheNodeId": node.node_id,
                                      "PreferredAvailabilityZone": node.zone}
            if not rg.cluster_enabled:
                if node.address and serving:
                    member["ReadEndpoint"] = _endpoint(node.address, node.port)
                member["CurrentRole"] = "primary" if cluster.cluster_id == group.primary else "replica"
            members.append(member)
        shaped: dict[str, Any] = {"NodeGroupId": group.node_group_id, "Status": group.status}
        if rg.cluster_enabled:
            shaped["Slots"] = group.slots
        elif serving:
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
    if rg.cluster_enabled and rg.config_address and serving:
        result["ConfigurationEndpoint"] = _endpoint(rg.config_address, rg.config_port or rg.port)
    if rg.auth_token_last_modified:
        result["AuthTokenLastModifiedDate"] = rg.auth_token_last_modified
    if rg.transit_encryption:
        result["TransitEncryptionMode"] = rg.transit_encryption_mode
    if rg.user_group_ids:
        result["UserGroupIds"] = list(rg.user_group_ids)
    if rg.kms_key_id:
        result["KmsKeyId"] = rg.kms_key_id
    if rg.global_group_id:
        result["GlobalReplicationGroupInfo"] = {"GlobalReplicationGroupId": rg.global_group_id,
                                                "GlobalReplicationGroupMemberRole": (rg.global_role or "").upper()}
    if not rg.cluster_enabled and rg.snapshot_retention_limit > 0 and len(rg.member_clusters) > 1:
        result["SnapshottingClusterId"] = next((c for c in rg.member_clusters if c != rg.node_groups[0].primary), None)
    return result


class ReplicationGroups:
    """Create/Describe/DeleteReplicationGroup and Increase/DecreaseReplicaCount; a group's build,
    restore after a restart of regionbox, and deletion in the background."""

    def __init__(self, state: ElastiCacheState, members: MemberClusters, sharding: "Sharding", placement: Placement,
                 user_groups: "UserGroups", restores: Restores, snapshots: Snapshots, events: EventLog, tasks: Tasks,
                 paginator: Paginator) -> None:
        self.state = state
        self.restores = restores
        self.snapshots = snapshots
        self.members = members
        self.sharding = sharding
        self.placement = placement
        self.user_groups = user_groups
        self.events = events
        self.tasks = tasks
        self.paginator = paginator

    # -- CreateReplicationGroup -----------------------------------------------------------------
    def create_replication_group(self, ctx: RequestContext, params: dict) -> dict:
        group_id = check.identifier("ReplicationGroupId", params["ReplicationGroupId"])
        rg = self.create(ctx, params, group_id)
        return {"ReplicationGroup": describe_group(self.state, ctx.scope, rg)}

    def create(self, ctx: RequestContext, params: dict, group_id: str, serverless_cache: str | None = None,
               restore: tuple | None = None) -> ReplicationGroup:
        """A new group (for CreateReplicationGroup, or behind a serverless cache), its nodes
        starting in the background; ``params`` as CreateReplicationGroup takes them, ``restore``
        what a serverless cache restores (``Restores.serverless_source``)."""
        scope = ctx.scope
        if self.state.replication_groups.get(scope, group_id) is not None:
            raise ServiceError("ReplicationGroupAlreadyExists", f"Replication group {group_id} already exists.")
        restore_from, snapshot = restore if restore is not None else self.restores.source(scope, params)
        if snapshot is not None:
            params = {**self._snapshot_defaults(snapshot, params), **params}
        engine = check.engine(params.get("Engine"))
        version = catalog.resolve_version(engine, params.get("EngineVersion"))
        if version is None:
            raise check.invalid_combination(f"Cannot find version {params['EngineVersion']} for {engine}")
        default_type = "cache.t4g.micro" if check.version_key(version) >= (5, 0, 6) or engine == "valkey" else "cache.t3.micro"
        node_type = check.node_type(params["CacheNodeType"]) if params.get("CacheNodeType") else default_type
        if kinds.binary(engine) is None:
            # Replication and cluster mode need the real engine; the embedded one is single-node only.
            raise check.invalid(f"Replication groups need the real {engine} engine, which is not installed here: "
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
            self.state.user_group(scope, ugid)
        if parameter_group:
            parameter_group = checked_parameter_group(self.state, scope, parameter_group, engine, version)
        subnet_group = params.get("CacheSubnetGroupName") or "default"
        if subnet_group.lower() != "default":
            subnet_group = self.state.subnet_group(scope, subnet_group).name

        check.engine_supports(engine, version, node_type, cluster_enabled)
        if restore_from and not cluster_enabled and (len(snapshot.node_snapshots) if snapshot else len(restore_from.split())) > 1:
            raise check.invalid_combination("A snapshot of more than one node group can only be restored to a Redis (cluster mode "
                                            "enabled) replication group.")
        if snapshot is not None:
            check.restorable(snapshot.engine, snapshot.engine_version, engine, version)
        if cluster_enabled:
            plan = self._plan_sharded(scope, params, configs, subnet_group)
            nodes_per_group = min(len(p[1]) + 1 for p in plan)
        else:
            plan = self._plan_single(scope, params, configs, subnet_group)
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
            replication_group_id=group_id, arn=ctx.arn("elasticache", f"replicationgroup:{group_id}"),
            description=params.get("ReplicationGroupDescription", ""), engine=engine,
            engine_version=version,
            node_type=node_type, created=now,
            cluster_enabled=cluster_enabled, cluster_mode="enabled" if cluster_enabled else "disabled",
            automatic_failover="enabled" if automatic else "disabled", multi_az="enabled" if multi_az else "disabled",
            port=params.get("Port") or REDIS_PORT,
            parameter_group=parameter_group or catalog.default_parameter_group(engine, version, cluster_enabled),
            subnet_group=subnet_group,
            security_group_ids=list(params.get("SecurityGroupIds") or []),
            transit_encryption=transit, transit_encryption_mode="required" if transit else None,
            at_rest_encryption=bool(params.get("AtRestEncryptionEnabled")), kms_key_id=params.get("KmsKeyId"),
            auth_token_hashes=[sha256(token)] if token else [], auth_token_last_modified=now if token else None,
            user_group_ids=list(user_group_ids),
            snapshot_retention_limit=params.get("SnapshotRetentionLimit") or 0,
            snapshot_window=params.get("SnapshotWindow") or "05:00-06:00",
            preferred_maintenance_window=params.get("PreferredMaintenanceWindow") or "sun:05:00-sun:06:00",
            auto_minor_version_upgrade=params.get("AutoMinorVersionUpgrade", True),
            network_type=params.get("NetworkType") or "ipv4", ip_discovery=params.get("IpDiscovery") or "ipv4",
            tags=checked_tags(params.get("Tags") or []), serverless_cache=serverless_cache, restore_from=restore_from,
        )
        with self.state.transaction():
            self.restores.begin(scope, snapshot)
            for index, (primary_zone, replica_zones, slots) in enumerate(plan, start=1):
                ng_id = f"{index:04d}"
                prefix = f"{group_id}-{ng_id}-" if cluster_enabled else f"{group_id}-"
                members = []
                for number, zone in enumerate([primary_zone, *replica_zones], start=1):
                    cluster_id = f"{prefix}{number:03d}"
                    self.members.new_member(scope, rg, cluster_id, zone, "primary" if number == 1 else "replica", ng_id)
                    members.append(cluster_id)
                rg.node_groups.append(NodeGroup(node_group_id=ng_id, members=members, primary=members[0], slots=slots,
                                                primary_zone=primary_zone, replica_zones=list(replica_zones)))
            for ugid in user_group_ids:
                self.user_groups.link(scope, ugid, group_id)
            self.state.save_group(scope, rg)
        ctx.touched("ReplicationGroup", group_id)
        self.build(scope, group_id)
        return rg

    @staticmethod
    def _snapshot_defaults(snapshot, params: dict) -> dict:
        """What a restore takes from its snapshot unless the request says otherwise."""
        defaults = {"Engine": snapshot.engine, "EngineVersion": snapshot.engine_version, "CacheNodeType": snapshot.node_type,
                    "Port": snapshot.port}
        sharding = ("ClusterMode", "NumNodeGroups", "NodeGroupConfiguration", "NumCacheClusters", "PreferredCacheClusterAZs")
        if snapshot.cluster_enabled and not any(params.get(name) for name in sharding):
            defaults.update({"ClusterMode": "enabled", "NumNodeGroups": snapshot.num_node_groups})
        if params.get("Engine") and params["Engine"].lower() != snapshot.engine:
            del defaults["EngineVersion"]  # another engine (Redis OSS to Valkey): its own default version
        return defaults

    def _plan_single(self, scope: Scope, params: dict, configs: list[dict], subnet_group: str) -> list[tuple[str, list[str], str]]:
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
            raise check.invalid(f"The parameter NumCacheClusters must be between 1 and {MAX_CACHE_CLUSTERS}.")
        if preferred and len(preferred) != count:
            raise check.invalid("The number of PreferredCacheClusterAZs must match the value of NumCacheClusters.")
        zones = self.placement.zones(scope, count, preferred, subnet_group=subnet_group)
        return [(zones[0], zones[1:], ALL_SLOTS)]

    def _plan_sharded(self, scope: Scope, params: dict, configs: list[dict], subnet_group: str) -> list[tuple[str, list[str], str]]:
        if params.get("NumCacheClusters") or params.get("PreferredCacheClusterAZs"):
            raise check.invalid_combination(
                "NumCacheClusters and PreferredCacheClusterAZs are not supported for Redis (cluster mode enabled); "
                "use NumNodeGroups, ReplicasPerNodeGroup and NodeGroupConfiguration.")
        count = params.get("NumNodeGroups") or len(configs) or 1
        if configs and len(configs) != count:
            raise check.invalid("The number of node group configurations must match NumNodeGroups.")
        if not 1 <= count <= check.MAX_NODE_GROUPS:
            raise check.invalid(f"The parameter NumNodeGroups must be between 1 and {check.MAX_NODE_GROUPS}.")
        replicas = check.replica_count(params.get("ReplicasPerNodeGroup") or 0)
        given_slots = [c.get("Slots") for c in configs]
        if any(given_slots):
            if not all(given_slots):
                raise check.invalid("Slots must be specified for every node group or for none.")
            check.slot_coverage(given_slots)
            slots = [check.format_slots([s for low, high in check.parse_slots(t) for s in range(low, high + 1)]) for t in given_slots]
        else:
            slots = check.even_slot_ranges(count)
        ids = [c.get("NodeGroupId") for c in configs if c.get("NodeGroupId")]
        if len(ids) != len(set(ids)):
            raise check.invalid("Duplicate NodeGroupId in NodeGroupConfiguration.")
        plan = []
        for index in range(count):
            config = configs[index] if configs else {}
            group_replicas = check.replica_count(config["ReplicaCount"], "ReplicaCount") if config.get("ReplicaCount") is not None else replicas
            preferred = [z for z in [config.get("PrimaryAvailabilityZone"), *(config.get("ReplicaAvailabilityZones") or [])] if z]
            if config.get("ReplicaAvailabilityZones") and len(config["ReplicaAvailabilityZones"]) != group_replicas:
                raise check.invalid("The number of ReplicaAvailabilityZones must match the replica count of the node group.")
            zones = self.placement.zones(scope, 1 + group_replicas, preferred, start=index, subnet_group=subnet_group)
            plan.append((zones[0], zones[1:], slots[index]))
        return plan

    # -- building ----------------------------------------------------------------------------------------
    def build(self, scope: Scope, group_id: str) -> None:
        """Start a new group's nodes in the background; a failure makes it "create-failed"."""
        self.tasks.spawn(self._build(scope, group_id), owner="elasticache", what=f"creating replication group {group_id}",
                         on_failure=lambda error: self._create_failed(scope, group_id, error))

    async def _build(self, scope: Scope, group_id: str) -> None:
        async with self.state.lock(scope, group_id):
            rg = self.state.replication_groups.get(scope, group_id)
            if rg is None or rg.status != "creating":
                return
            members = self.state.members(scope, rg)
            # No capacity in a zone that is down: such a node fails at once, as on AWS.
            self.placement.require_up({m.cluster_id: m.nodes[0].zone for m in members})
            self.members.allocate_addresses(scope, rg)
            primaries = [m for m in members if m.role == "primary"]
            replicas = [m for m in members if m.role != "primary"]
            snapshot = await self.restores.snapshot_of(scope, rg.restore_from, group_id) if rg.restore_from else None
            if snapshot is not None and not rg.cluster_enabled:
                # The primary starts from the snapshot's RDB; its replicas copy it from the primary.
                self.restores.files.place(scope, snapshot, snapshot.node_snapshots[0].node_group_id,
                                          self.members.nodes.data_dir(scope, primaries[0].cluster_id))
            # Primaries first, so replicas find them listening.
            await asyncio.gather(*(self.members.start_member(scope, rg, m) for m in primaries))
            await asyncio.gather(*(self.members.start_member(scope, rg, m) for m in replicas))
            self.members.require_serving(scope, rg.member_clusters)
            if rg.cluster_enabled:
                await self.sharding.bootstrap_cluster(scope, rg)
                if snapshot is not None:
                    await self.restores.files.load_into_cluster(scope, snapshot, rg, rg.engine_version)
            await self.members.wait_replicas_synced(scope, rg)
            self.members.refresh_endpoints(scope, rg)
            with self.state.transaction():
                self.members.set_status(scope, rg.member_clusters, "available")
                rg = self.state.replication_groups.get(scope, group_id) or rg
                for group in rg.node_groups:
                    group.status = "available"
                rg.status = "available"
                restore_from, rg.restore_from = rg.restore_from, None
                self.state.save_group(scope, rg)
                self.events.record(scope, group_id, "replication-group", Messages.REPLICATION_GROUP_CREATED.format(group=group_id))
                if restore_from:
                    self.events.record(scope, group_id, "replication-group", Messages.RESTORED.format(snapshot=self.restores.label(restore_from)))
                self.restores.finish(scope, restore_from, group_id)

    async def _create_failed(self, scope: Scope, group_id: str, error: BaseException) -> None:
        rg = self.state.replication_groups.get(scope, group_id)
        if rg is None or rg.status != "creating":
            return
        failures = member_failures(error)
        with self.state.transaction():
            for cluster in self.state.members(scope, rg):
                if cluster.status == "creating":
                    cluster.status = cluster.nodes[0].status = "create-failed"
                    self.state.save_cluster(scope, cluster)
            for cluster_id, message in failures.items():
                self.events.record(scope, cluster_id, "cache-cluster", message)
            for group in rg.node_groups:
                group.status = "create-failed"
            rg.status = "create-failed"
            restore_from, rg.restore_from = rg.restore_from, None
            self.state.save_group(scope, rg)
            self.events.record(scope, group_id, "replication-group",
                               Messages.REPLICATION_GROUP_CREATE_FAILED.format(group=group_id, reason=error))
            self.restores.finish(scope, restore_from, group_id)
        # Nothing of a failed group serves: the nodes that did start stop (its addresses stay its own).
        self.members.close_endpoints(rg)
        await asyncio.gather(*(self.members.stop_member(scope, cid) for cid in rg.member_clusters), return_exceptions=True)

    async def restore_nodes(self, scope: Scope, rg: ReplicationGroup) -> list[str]:
        """After a restart of regionbox: addresses reserved again, unfinished creation or deletion
        taken up again, the nodes that survived adopted (their data kept) and the ones stopped
        cleanly started (from their final RDB). Returns the members whose node died while
        regionbox was down, primaries first: what they come back with is failover's to decide."""
        group_id = rg.replication_group_id
        allocator = self.members.supervisor.allocator
        for address, port in endpoints_of(rg):
            allocator.reserve(address, port)
        for cluster in self.state.members(scope, rg):
            if cluster.nodes[0].address:
                allocator.reserve(cluster.nodes[0].address, cluster.nodes[0].port)
        if rg.status == "creating":
            self.build(scope, group_id)
            return []
        if rg.status == "deleting":
            final = self.snapshots.pending_final(scope, group_id)
            if final:
                # Its final snapshot is still to be taken: from its nodes, adopted with their data.
                await asyncio.gather(*(self.members.start_member(scope, rg, m) for m in self.state.members(scope, rg)
                                       if m.nodes[0].address), return_exceptions=True)
            self._destroy(scope, group_id, final)
            return []
        if rg.status == "create-failed":
            return []
        members = [m for m in self.state.members(scope, rg) if m.nodes[0].address]
        died = [m.cluster_id for m in members if self.state.survival.get(node_key(scope, m.cluster_id)) == "died"
                and m.status != "creating"]
        async with self.state.lock(scope, group_id):
            results = await asyncio.gather(*(self.members.start_member(scope, rg, m) for m in members if m.cluster_id not in died),
                                           return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    # The supervisor keeps the node and restarts it: the failover logic sees it when it does.
                    log.error("restoring a node of %s failed: %s", group_id, result)
            self.members.refresh_endpoints(scope, rg)
        primaries = {g.primary for g in rg.node_groups}
        return sorted(died, key=lambda cid: cid not in primaries)

    def finish_interrupted(self, scope: Scope, group_id: str) -> None:
        """A replica count change or resharding that regionbox's restart interrupted is finished."""
        rg = self.state.replication_groups.get(scope, group_id)
        if rg is None or rg.status != "modifying":
            return
        leaving = [m.cluster_id for m in self.state.members(scope, rg) if m.status == "deleting"]
        joining = [m.cluster_id for m in self.state.members(scope, rg) if m.status == "creating"]
        resharding = any(g.status == "creating" for g in rg.node_groups)
        if leaving:
            self._remove_replicas(scope, group_id, leaving)
        elif joining and not resharding:
            self._add_replicas_in_background(scope, group_id, joining)
        else:
            with self.state.transaction():
                rg.status = "available"
                self.state.save_group(scope, rg)

    # -- DescribeReplicationGroups -------------------------------------------------------------------
    def describe_replication_groups(self, ctx: RequestContext, params: dict) -> dict:
        if params.get("ReplicationGroupId"):
            groups = [self.state.visible_group(ctx.scope, params["ReplicationGroupId"])]
        else:
            groups = self.state.visible_groups(ctx.scope)
        return check.paged(self.paginator, "ReplicationGroups", [describe_group(self.state, ctx.scope, rg) for rg in groups], params)

    # -- DeleteReplicationGroup -------------------------------------------------------------------------
    def delete_replication_group(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        rg = self.state.visible_group(scope, params["ReplicationGroupId"])
        if rg.status == "deleting":
            raise ServiceError("InvalidReplicationGroupState",
                               f"Replication group {rg.replication_group_id} has status deleting which is not valid for deletion.")
        if rg.global_group_id:
            raise ServiceError("InvalidReplicationGroupState", f"Replication group {rg.replication_group_id} is a member of global "
                                                               f"datastore {rg.global_group_id}: disassociate it (or delete the "
                                                               "datastore) first.")
        final = params.get("FinalSnapshotIdentifier")
        if final:
            self.snapshots.checked_name(final, "FinalSnapshotIdentifier")
            self.snapshots.unused(scope, final)
            if rg.status != "available":
                raise check.group_not_available(rg.replication_group_id)
        with self.state.transaction():
            if final:
                self.snapshots.begin(scope, self.snapshots.new(scope, final, rg, None))
            rg.status = "deleting"
            for group in rg.node_groups:
                group.status = "deleting"
            self.state.save_group(scope, rg)
            self.members.set_status(scope, rg.member_clusters, "deleting")
        ctx.touched("ReplicationGroup", rg.replication_group_id)
        self._destroy(scope, rg.replication_group_id, final)
        return {"ReplicationGroup": describe_group(self.state, scope, rg)}

    def _destroy(self, scope: Scope, group_id: str, final_snapshot: str | None = None) -> None:
        # Stopping a node cannot fail for good (a kill follows a timeout); whatever else fails, the
        # group stays "deleting" with an event, and the next start of regionbox deletes it again.
        self.tasks.spawn(self.destroy_group(scope, group_id, final_snapshot), owner="elasticache", what=f"deleting {group_id}",
                         on_failure=lambda error: self.events.record(
                             scope, group_id, "replication-group",
                             Messages.DELETE_FAILED.format(what=f"replication group {group_id}", reason=error)))

    async def destroy_group(self, scope: Scope, group_id: str, final_snapshot: str | None = None) -> None:
        async with self.state.lock(scope, group_id):
            rg = self.state.replication_groups.get(scope, group_id)
            if rg is None:
                return
            if final_snapshot and not await self.snapshots.take_final(scope, final_snapshot, group_id, "replication-group"):
                with self.state.transaction():
                    rg.status = "available"
                    for group in rg.node_groups:
                        group.status = "available"
                    self.state.save_group(scope, rg)
                    self.members.set_status(scope, rg.member_clusters, "available")
                return
            await asyncio.gather(*(self.members.stop_member(scope, cid) for cid in rg.member_clusters))
            self.members.close_endpoints(rg)
            with self.state.transaction():
                for cluster_id in rg.member_clusters:
                    self.state.cache_clusters.delete(scope, cluster_id)
                for ugid in rg.user_group_ids:
                    self.user_groups.unlink(scope, ugid, group_id)
                self.state.replication_groups.delete(scope, group_id)
                self.snapshots.forget_automatic(scope, group_id)
                self.events.record(scope, group_id, "replication-group", Messages.REPLICATION_GROUP_DELETED.format(group=group_id))
        self.state.locks.pop((scope, group_id), None)

    # -- IncreaseReplicaCount / DecreaseReplicaCount ------------------------------------------------
    def _replica_targets(self, rg: ReplicationGroup, params: dict) -> dict[str, tuple[int, list[str] | None]]:
        """node group id -> (new replica count, preferred AZs for the replicas)."""
        configs = params.get("ReplicaConfiguration") or []
        if configs:
            targets = {}
            for config in configs:
                if rg.node_group(config["NodeGroupId"]) is None:
                    raise check.node_group_not_found(config["NodeGroupId"], rg.replication_group_id)
                targets[config["NodeGroupId"]] = (config["NewReplicaCount"], config.get("PreferredAvailabilityZones"))
            return targets
        if params.get("NewReplicaCount") is None:
            raise check.invalid("Either NewReplicaCount or ReplicaConfiguration must be specified.")
        return {g.node_group_id: (params["NewReplicaCount"], None) for g in rg.node_groups}

    def _changeable(self, scope: Scope, params: dict) -> ReplicationGroup:
        rg = self.state.visible_group(scope, params["ReplicationGroupId"])
        if rg.status != "available":
            raise check.group_not_available(rg.replication_group_id)
        if not params.get("ApplyImmediately"):
            raise check.invalid("ApplyImmediately must be true to change the replica count.")
        return rg

    def add_cluster(self, ctx: RequestContext, params: dict, cluster_id: str) -> CacheCluster:
        """CreateCacheCluster with ReplicationGroupId: the new cluster joins a group with cluster
        mode disabled as a read replica (in the zone asked, else where the group's nodes spread best)."""
        scope = ctx.scope
        rg = self.state.visible_group(scope, params["ReplicationGroupId"])
        if rg.cluster_enabled:
            raise check.invalid_combination("Cache clusters cannot be added to a Redis (cluster mode enabled) replication group: "
                                            "use IncreaseReplicaCount or ModifyReplicationGroupShardConfiguration.")
        if rg.status != "available":
            raise check.group_not_available(rg.replication_group_id)
        if params.get("Engine") and params["Engine"].lower() != rg.engine:
            raise check.invalid_combination(f"The engine {params['Engine']} does not match the engine {rg.engine} of replication "
                                            f"group {rg.replication_group_id}.")
        if params.get("NumCacheNodes", 1) != 1:
            raise check.invalid("Cannot create a Redis cluster with a NumCacheNodes parameter greater than 1.")
        if params.get("CacheNodeType") and params["CacheNodeType"] != rg.node_type:
            raise check.invalid_combination(f"The cache node type {params['CacheNodeType']} does not match the node type "
                                            f"{rg.node_type} of replication group {rg.replication_group_id}.")
        if len(rg.member_clusters) >= MAX_CACHE_CLUSTERS:
            raise ServiceError("NodeQuotaForClusterExceeded", f"Replication group {rg.replication_group_id} already has "
                                                              f"{MAX_CACHE_CLUSTERS} cache clusters, the most it can have.")
        group = rg.node_groups[0]
        pinned = [params["PreferredAvailabilityZone"]] if params.get("PreferredAvailabilityZone") else None
        (zone,) = self.placement.zones(scope, 1, pinned, start=len(group.members), subnet_group=rg.subnet_group)
        with self.state.transaction():
            cluster = self.members.new_member(scope, rg, cluster_id, zone, "replica", group.node_group_id)
            if params.get("Tags"):
                cluster.tags = checked_tags(params["Tags"], cluster.tags)
                self.state.save_cluster(scope, cluster)
            group.members.append(cluster_id)
            group.replica_zones.append(zone)
            rg.status = "modifying"
            self.state.save_group(scope, rg)
        self._add_replicas_in_background(scope, rg.replication_group_id, [cluster_id])
        return cluster

    def increase_replica_count(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        rg = self._changeable(scope, params)
        targets = self._replica_targets(rg, params)
        for ng_id, (count, zones) in targets.items():
            group = rg.node_group(ng_id)
            check.replica_count(count, "NewReplicaCount")
            if count <= len(group.members) - 1:
                raise check.invalid(f"The new replica count {count} must be greater than the current replica count "
                                    f"{len(group.members) - 1} of node group {ng_id}.")
        plans = []
        for ng_id, (count, zones) in targets.items():
            group = rg.node_group(ng_id)
            current = len(group.members) - 1
            # PreferredAvailabilityZones lists the primary's zone first, then one per replica.
            pinned = (zones or [])[1 + current:1 + count]
            plans.append((group, self.placement.zones(scope, count - current, pinned, start=len(group.members),
                                                      subnet_group=rg.subnet_group)))
        added = []
        with self.state.transaction():
            for group, replica_zones in plans:
                prefix = f"{rg.replication_group_id}-{group.node_group_id}-" if rg.cluster_enabled else f"{rg.replication_group_id}-"
                for zone in replica_zones:
                    cluster_id = f"{prefix}{self.members.next_member_number(rg, prefix):03d}"
                    self.members.new_member(scope, rg, cluster_id, zone, "replica", group.node_group_id)
                    group.members.append(cluster_id)
                    rg.member_clusters.append(cluster_id)
                    added.append(cluster_id)
            rg.status = "modifying"
            self.state.save_group(scope, rg)
        self._add_replicas_in_background(scope, rg.replication_group_id, added)
        return {"ReplicationGroup": describe_group(self.state, scope, rg)}

    def _add_replicas_in_background(self, scope: Scope, group_id: str, added: list[str]) -> None:
        self.tasks.spawn(self._add_replicas(scope, group_id, added), owner="elasticache", what=f"adding replicas to {group_id}",
                         on_failure=lambda error: self._add_replicas_failed(scope, group_id, added, error))

    async def _add_replicas(self, scope: Scope, group_id: str, added: list[str]) -> None:
        async with self.state.lock(scope, group_id):
            rg = self.state.replication_groups.get(scope, group_id)
            if rg is None:
                return
            clusters = [self.state.cache_clusters.get(scope, cid) for cid in added]
            self.placement.require_up({c.cluster_id: c.nodes[0].zone for c in clusters})
            self.members.allocate_addresses(scope, rg)
            await asyncio.gather(*(self.members.start_member(scope, rg, c) for c in clusters))
            self.members.require_serving(scope, added)
            if rg.cluster_enabled:
                await self.sharding.join_replicas(scope, rg, added)
            await self.members.wait_replicas_synced(scope, rg, added)
            with self.state.transaction():
                self.members.set_status(scope, added, "available")
                for cluster_id in added:
                    self.events.record(scope, cluster_id, "cache-cluster", Messages.CACHE_CLUSTER_CREATED)
                rg.status = "available"
                self.state.save_group(scope, rg)
            self.members.refresh_endpoints(scope, rg)

    async def _add_replicas_failed(self, scope: Scope, group_id: str, added: list[str], error: BaseException) -> None:
        async with self.state.lock(scope, group_id):
            rg = self.state.replication_groups.get(scope, group_id)
            if rg is None:
                return
            if rg.cluster_enabled:
                try:
                    await self.sharding.forget_nodes(scope, rg, added)
                except Exception:  # noqa: BLE001 - the nodes are going anyway; the others forget them in time
                    log.warning("forgetting the failed replicas of %s failed", group_id, exc_info=True)
            await asyncio.gather(*(self.members.stop_member(scope, cid) for cid in added), return_exceptions=True)
            with self.state.transaction():
                for group in rg.node_groups:
                    group.members = [cid for cid in group.members if cid not in added]
                for cluster_id in added:
                    self.state.cache_clusters.delete(scope, cluster_id)
                for cluster_id, message in member_failures(error).items():
                    self.events.record(scope, cluster_id, "cache-cluster", message)
                self.events.record(scope, group_id, "replication-group",
                                   Messages.ADD_REPLICAS_FAILED.format(nodes=", ".join(added), group=group_id, reason=error))
                rg.status = "available"
                self.state.save_group(scope, rg)
            self.members.refresh_endpoints(scope, rg)

    def decrease_replica_count(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        rg = self._changeable(scope, params)
        minimum = 1 if rg.automatic_failover == "enabled" and not rg.cluster_enabled else 0
        removed: list[str] = []
        explicit = params.get("ReplicasToRemove") or []
        if explicit:
            for cid in explicit:
                cluster = self.state.cache_clusters.get(scope, cid)
                if cluster is None or cluster.replication_group_id != rg.replication_group_id:
                    raise check.cache_cluster_not_found(cid)
                if rg.node_group(cluster.node_group_id).primary == cid:
                    raise check.invalid(f"Cannot remove the primary node {cid}.")
            removed = list(explicit)
        else:
            targets = self._replica_targets(rg, params)
            for ng_id, (count, _) in targets.items():
                group = rg.node_group(ng_id)
                replicas = [cid for cid in group.members if cid != group.primary]
                # A count for every shard leaves shards that already have fewer replicas alone.
                if count >= len(replicas) and (params.get("ReplicaConfiguration") or len(targets) == 1):
                    raise check.invalid(f"The new replica count {count} must be less than the current replica count "
                                        f"{len(replicas)} of node group {ng_id}.")
                removed.extend(replicas[count:])
            if not removed:
                raise check.invalid("The new replica count must be less than the current replica count.")
        for group in rg.node_groups:
            left = len([cid for cid in group.members if cid != group.primary and cid not in removed])
            if left < minimum:
                raise check.invalid("Must have at least 1 replica when cluster mode is disabled with auto failover enabled.")
        with self.state.transaction():
            self.members.set_status(scope, removed, "deleting")
            rg.status = "modifying"
            self.state.save_group(scope, rg)
        self._remove_replicas(scope, rg.replication_group_id, removed)
        return {"ReplicationGroup": describe_group(self.state, scope, rg)}

    def _remove_replicas(self, scope: Scope, group_id: str, removed: list[str]) -> None:
        self.tasks.spawn(self._remove_members(scope, group_id, removed), owner="elasticache",
                         what=f"removing replicas from {group_id}",
                         on_failure=lambda error: self._remove_failed(scope, group_id, removed, error))

    async def _remove_members(self, scope: Scope, group_id: str, removed: list[str]) -> None:
        async with self.state.lock(scope, group_id):
            rg = self.state.replication_groups.get(scope, group_id)
            if rg is None:
                return
            if rg.cluster_enabled:
                await self.sharding.forget_nodes(scope, rg, removed)
            await asyncio.gather(*(self.members.stop_member(scope, cid) for cid in removed))
            with self.state.transaction():
                for group in rg.node_groups:
                    group.members = [cid for cid in group.members if cid not in removed]
                for cluster_id in removed:
                    self.state.cache_clusters.delete(scope, cluster_id)
                    self.events.record(scope, cluster_id, "cache-cluster", Messages.CACHE_CLUSTER_DELETED)
                rg.status = "available"
                self.state.save_group(scope, rg)
            self.members.refresh_endpoints(scope, rg)

    def _remove_failed(self, scope: Scope, group_id: str, removed: list[str], error: BaseException) -> None:
        """The replicas stay in the group, shown as they are; the group takes changes again."""
        rg = self.state.replication_groups.get(scope, group_id)
        if rg is None:
            return
        with self.state.transaction():
            self.members.set_status(scope, removed, "available")
            self.events.record(scope, group_id, "replication-group",
                               Messages.REMOVE_REPLICAS_FAILED.format(nodes=", ".join(removed), group=group_id, reason=error))
            rg.status = "available"
            self.state.save_group(scope, rg)
