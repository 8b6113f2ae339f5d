"""ModifyReplicationGroup and the replica counts (Increase/DecreaseReplicaCount).

Changes that touch the engines (AUTH tokens, user groups, a new primary, added or removed
replicas) put the group in "modifying" and are applied in the background; the group is
"available" again when the engines run with the new settings.
"""

from __future__ import annotations

import asyncio

from regionbox.core import clock
from regionbox.core.errors import ServiceError
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.events import Messages
from regionbox.services.elasticache.models import ReplicationGroup


class ModifyMixin:
    def _require_available(self, rg: ReplicationGroup) -> None:
        if rg.status != "available":
            raise ServiceError("InvalidReplicationGroupState",
                               f"Replication group {rg.replication_group_id} is not in available state.")

    # -- ModifyReplicationGroup ------------------------------------------------------------------
    def modify_replication_group(self, ctx, params: dict) -> dict:
        scope = ctx.scope
        rg = self.get_group(scope, params["ReplicationGroupId"])
        self._require_available(rg)
        engine_work = False
        nodes_per_group = min(len(g.members) for g in rg.node_groups)

        automatic = params.get("AutomaticFailoverEnabled")
        multi_az = params.get("MultiAZEnabled")
        new_automatic = rg.automatic_failover == "enabled" if automatic is None else automatic
        new_multi_az = rg.multi_az == "enabled" if multi_az is None else multi_az
        if rg.cluster_enabled and not new_automatic:
            raise check.invalid_combination("Turning off automatic failover for replication group with cluster mode enabled is not supported.")
        check.failover_settings(new_automatic, new_multi_az, nodes_per_group, rg.cluster_enabled)

        token = params.get("AuthToken")
        strategy = check.auth_token_update(token, params.get("AuthTokenUpdateStrategy"), rg.auth_token_enabled,
                                           rg.transit_encryption)
        if strategy not in (None, "DELETE") and rg.user_group_ids:
            raise check.invalid_combination("AuthToken cannot be used with a replication group that has user groups.")

        to_add = list(params.get("UserGroupIdsToAdd") or [])
        to_remove = list(params.get("UserGroupIdsToRemove") or [])
        if params.get("RemoveUserGroups"):
            to_remove = list(rg.user_group_ids)
        for ugid in to_add + to_remove:
            self.get_user_group(scope, ugid)
        if to_add and (rg.auth_token_enabled and strategy != "DELETE"):
            raise check.invalid_combination("User groups cannot be added to a replication group that uses an AUTH token.")

        version = check.engine_upgrade(rg.engine, rg.engine_version, params.get("EngineVersion"))
        parameter_group = self.upgraded_parameter_group(scope, rg.engine, rg.engine_version, rg.parameter_group, version,
                                                        params.get("CacheParameterGroupName"), rg.cluster_enabled)

        primary_id = params.get("PrimaryClusterId")
        if primary_id is not None:
            if rg.cluster_enabled:
                raise check.invalid_combination("PrimaryClusterId is not supported for Redis (cluster mode enabled).")
            if primary_id not in rg.member_clusters:
                raise ServiceError("CacheClusterNotFound", f"CacheCluster not found: {primary_id}", status=404)

        # Validated: apply.
        if "ReplicationGroupDescription" in params:
            rg.description = params["ReplicationGroupDescription"]
        rg.automatic_failover = "enabled" if new_automatic else "disabled"
        rg.multi_az = "enabled" if new_multi_az else "disabled"
        for name, attr in (("SnapshotRetentionLimit", "snapshot_retention_limit"), ("SnapshotWindow", "snapshot_window"),
                           ("PreferredMaintenanceWindow", "preferred_maintenance_window"), ("CacheNodeType", "node_type"),
                           ("AutoMinorVersionUpgrade", "auto_minor_version_upgrade"), ("SecurityGroupIds", "security_group_ids"),
                           ("IpDiscovery", "ip_discovery"), ("TransitEncryptionMode", "transit_encryption_mode")):
            if params.get(name) is not None:
                setattr(rg, attr, params[name])
        rg.engine_version = version
        new_parameters = parameter_group != rg.parameter_group
        if new_parameters:
            # Its immediate parameters reach the running nodes (CONFIG SET) in the background.
            rg.parameter_group = parameter_group
            engine_work = True
        if strategy is not None:
            engine_work = True
            rg.auth_token_hashes = check.updated_token_hashes(rg.auth_token_hashes, strategy,
                                                              token and self.redis_hash(token))
            rg.auth_token_last_modified = clock.epoch()
        if to_add or to_remove:
            engine_work = True
            for ugid in to_remove:
                if ugid in rg.user_group_ids:
                    rg.user_group_ids.remove(ugid)
                    self.detach_user_group(scope, ugid, rg.replication_group_id)
            for ugid in to_add:
                if ugid not in rg.user_group_ids:
                    rg.user_group_ids.append(ugid)
                    self.attach_user_group(scope, ugid, rg.replication_group_id)
        if primary_id is not None and primary_id != rg.node_groups[0].primary:
            engine_work = True
        if engine_work:
            rg.status = "modifying"
            self.background(self._apply_modification(scope, rg.replication_group_id, primary_id, new_parameters), "modifying")
        self.save_group(scope, rg)
        for cluster in self.members_of(scope, rg):
            cluster.auth_token_enabled = rg.auth_token_enabled
            cluster.auth_token_last_modified = rg.auth_token_last_modified
            cluster.engine_version = rg.engine_version
            cluster.parameter_group = rg.parameter_group
            self.clusters.put(scope, cluster.cluster_id, cluster)
        ctx.touched("ReplicationGroup", rg.replication_group_id)
        return {"ReplicationGroup": self.describe_group(scope, rg)}

    async def _apply_modification(self, scope, group_id: str, primary_id: str | None, new_parameters: bool = False) -> None:
        rg = self.groups.get(scope, group_id)
        if rg is None:
            return
        await self.redis.reload_acl(scope, rg)
        if new_parameters:
            await asyncio.gather(*(self.apply_standalone_parameters(scope, cid) for cid in rg.member_clusters))
        if primary_id is not None and primary_id != rg.node_groups[0].primary:
            await self.fail_over(scope, group_id, rg.node_groups[0].node_group_id, planned=True, target=primary_id)
        rg = self.groups.get(scope, group_id)
        if rg is not None:
            rg.status = "available"
            self.save_group(scope, rg)

    # -- IncreaseReplicaCount / DecreaseReplicaCount ------------------------------------------------
    def _replica_targets(self, rg: ReplicationGroup, params: dict) -> dict[str, tuple[int, list[str] | None]]:
        """node group id -> (new replica count, preferred AZs for the replicas)."""
        configs = params.get("ReplicaConfiguration") or []
        if configs:
            targets = {}
            for config in configs:
                if rg.node_group(config["NodeGroupId"]) is None:
                    raise ServiceError("NodeGroupNotFoundFault", f"The node group {config['NodeGroupId']} is not found in "
                                                                 f"replication group {rg.replication_group_id}.", status=404)
                targets[config["NodeGroupId"]] = (config["NewReplicaCount"], config.get("PreferredAvailabilityZones"))
            return targets
        if params.get("NewReplicaCount") is None:
            raise check.invalid_value("Either NewReplicaCount or ReplicaConfiguration must be specified.")
        return {g.node_group_id: (params["NewReplicaCount"], None) for g in rg.node_groups}

    def increase_replica_count(self, ctx, params: dict) -> dict:
        scope = ctx.scope
        rg = self.get_group(scope, params["ReplicationGroupId"])
        self._require_available(rg)
        if not params.get("ApplyImmediately"):
            raise check.invalid_value("ApplyImmediately must be true to change the replica count.")
        added = []
        targets = self._replica_targets(rg, params)
        for ng_id, (count, zones) in targets.items():
            group = rg.node_group(ng_id)
            check.replica_count(count, "NewReplicaCount")
            if count <= len(group.members) - 1:
                raise check.invalid_value(f"The new replica count {count} must be greater than the current replica count "
                                          f"{len(group.members) - 1} of node group {ng_id}.")
        for ng_id, (count, zones) in targets.items():
            group = rg.node_group(ng_id)
            current = len(group.members) - 1
            # PreferredAvailabilityZones lists the primary's zone first, then one per replica.
            replica_zones = self.spread_zones(scope, count - current, (zones or [])[1 + current:1 + count] or None,
                                              start=len(group.members))
            prefix = f"{rg.replication_group_id}-{ng_id}-" if rg.cluster_enabled else f"{rg.replication_group_id}-"
            for zone in replica_zones:
                number = self.next_member_number(rg, prefix)
                cluster_id = f"{prefix}{number:03d}"
                self.new_member(scope, rg, cluster_id, zone, "replica", ng_id)
                group.members.append(cluster_id)
                rg.member_clusters.append(cluster_id)
                added.append(cluster_id)
        rg.status = "modifying"
        self.save_group(scope, rg)
        self.background(self._add_replicas(scope, rg.replication_group_id, added), "adding replicas")
        return {"ReplicationGroup": self.describe_group(scope, rg)}

    async def _add_replicas(self, scope, group_id: str, added: list[str]) -> None:
        async with self.lock(scope, group_id):
            rg = self.groups.get(scope, group_id)
            if rg is None:
                return
            self.allocate_addresses(scope, rg)
            clusters = [self.clusters.get(scope, cid) for cid in added]
            await asyncio.gather(*(self.start_member(scope, rg, c) for c in clusters))
            if rg.cluster_enabled:
                await self.join_replicas(scope, rg, added)
            await self.wait_replicas_synced(scope, rg, added)
            for cluster in clusters:
                cluster.status = cluster.nodes[0].status = "available"
                self.clusters.put(scope, cluster.cluster_id, cluster)
                self.event(scope, cluster.cluster_id, "cache-cluster", Messages.CACHE_CLUSTER_CREATED)
            rg.status = "available"
            self.save_group(scope, rg)
            self.refresh_endpoints(scope, rg)

    def decrease_replica_count(self, ctx, params: dict) -> dict:
        scope = ctx.scope
        rg = self.get_group(scope, params["ReplicationGroupId"])
        self._require_available(rg)
        if not params.get("ApplyImmediately"):
            raise check.invalid_value("ApplyImmediately must be true to change the replica count.")
        minimum = 1 if rg.automatic_failover == "enabled" and not rg.cluster_enabled else 0
        removed: list[str] = []
        explicit = params.get("ReplicasToRemove") or []
        if explicit:
            for cid in explicit:
                cluster = self.clusters.get(scope, cid)
                if cluster is None or cluster.replication_group_id != rg.replication_group_id:
                    raise ServiceError("CacheClusterNotFound", f"CacheCluster not found: {cid}", status=404)
                if rg.node_group(cluster.node_group_id).primary == cid:
                    raise check.invalid_value(f"Cannot remove the primary node {cid}.")
            removed = list(explicit)
        else:
            targets = self._replica_targets(rg, params)
            for ng_id, (count, _) in targets.items():
                group = rg.node_group(ng_id)
                replicas = [cid for cid in group.members if cid != group.primary]
                # A count for every shard leaves shards that already have fewer replicas alone.
                if count >= len(replicas) and (params.get("ReplicaConfiguration") or len(targets) == 1):
                    raise check.invalid_value(f"The new replica count {count} must be less than the current replica count "
                                              f"{len(replicas)} of node group {ng_id}.")
                removed.extend(replicas[count:])
            if not removed:
                raise check.invalid_value("The new replica count must be less than the current replica count.")
        for group in rg.node_groups:
            left = len([cid for cid in group.members if cid != group.primary and cid not in removed])
            if left < minimum:
                raise check.invalid_value("Must have at least 1 replica when cluster mode is disabled with auto failover enabled.")
        for group in rg.node_groups:
            group.members = [cid for cid in group.members if cid not in removed]
        rg.status = "modifying"
        self.save_group(scope, rg)
        self.background(self._remove_members(scope, rg.replication_group_id, removed), "removing replicas")
        return {"ReplicationGroup": self.describe_group(scope, rg)}

    async def _remove_members(self, scope, group_id: str, removed: list[str]) -> None:
        async with self.lock(scope, group_id):
            rg = self.groups.get(scope, group_id)
            if rg is None:
                return
            if rg.cluster_enabled:
                await self.forget_nodes(scope, rg, removed)
            await asyncio.gather(*(self.stop_member(scope, cid) for cid in removed))
            for cid in removed:
                self.event(scope, cid, "cache-cluster", Messages.CACHE_CLUSTER_DELETED)
            rg.status = "available"
            self.save_group(scope, rg)
            self.refresh_endpoints(scope, rg)
