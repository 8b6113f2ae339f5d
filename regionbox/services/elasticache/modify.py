"""ModifyReplicationGroup: settings of a replication group, and the ones that reach its engines.

Changes that touch the engines (AUTH tokens, user groups, a parameter group, a new primary) put
the group in "modifying" and are applied in the background; the group is "available" again when
the engines run with the new settings. Rule for failures: the settings stay as asked (they are
what the nodes get at their next start), the group is "available" again, and an event says what
did not reach the engines; a new primary that cannot catch up is not promoted (see failover.py).
"""

from __future__ import annotations

import asyncio

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.events import EventLog, Messages
from regionbox.services.elasticache.failover import Failover
from regionbox.services.elasticache.nodes import RedisNodes, sha256
from regionbox.services.elasticache.parameter_groups import upgraded_parameter_group
from regionbox.services.elasticache.replication_groups import describe_group
from regionbox.services.elasticache.state import ElastiCacheState
from regionbox.services.elasticache.users import UserGroups


class ReplicationGroupChanges:
    def __init__(self, state: ElastiCacheState, nodes: RedisNodes, failover: Failover, user_groups: UserGroups,
                 events: EventLog, tasks: Tasks) -> None:
        self.state = state
        self.nodes = nodes
        self.failover = failover
        self.user_groups = user_groups
        self.events = events
        self.tasks = tasks

    def modify_replication_group(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        rg = self.state.visible_group(scope, params["ReplicationGroupId"])
        if rg.status != "available":
            raise check.group_not_available(rg.replication_group_id)
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
            self.state.user_group(scope, ugid)
        if to_add and (rg.auth_token_enabled and strategy != "DELETE"):
            raise check.invalid_combination("User groups cannot be added to a replication group that uses an AUTH token.")

        if params.get("CacheNodeType") is not None:
            check.node_type(params["CacheNodeType"])
        version = check.engine_upgrade(rg.engine, rg.engine_version, params.get("EngineVersion"))
        parameter_group = upgraded_parameter_group(self.state, scope, rg.engine, rg.engine_version, rg.parameter_group, version,
                                                        params.get("CacheParameterGroupName"), rg.cluster_enabled)

        primary_id = params.get("PrimaryClusterId")
        if primary_id is not None:
            if rg.cluster_enabled:
                raise check.invalid_combination("PrimaryClusterId is not supported for Redis (cluster mode enabled).")
            if primary_id not in rg.member_clusters:
                raise check.cache_cluster_not_found(primary_id)

        with self.state.transaction():
            # Validated: apply, in one transaction.
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
                                                                  token and sha256(token))
                rg.auth_token_last_modified = clock.epoch()
            if to_add or to_remove:
                engine_work = True
                for ugid in to_remove:
                    if ugid in rg.user_group_ids:
                        rg.user_group_ids.remove(ugid)
                        self.user_groups.unlink(scope, ugid, rg.replication_group_id)
                for ugid in to_add:
                    if ugid not in rg.user_group_ids:
                        rg.user_group_ids.append(ugid)
                        self.user_groups.link(scope, ugid, rg.replication_group_id)
            if primary_id is not None and primary_id != rg.node_groups[0].primary:
                engine_work = True
            if engine_work:
                rg.status = "modifying"
            self.state.save_group(scope, rg)
            for cluster in self.state.members(scope, rg):
                cluster.auth_token_enabled = rg.auth_token_enabled
                cluster.auth_token_last_modified = rg.auth_token_last_modified
                cluster.engine_version = rg.engine_version
                cluster.parameter_group = rg.parameter_group
                self.state.save_cluster(scope, cluster)
        group_id = rg.replication_group_id
        if engine_work:
            self.tasks.spawn(self._apply(scope, group_id, primary_id, new_parameters), owner="elasticache",
                             what=f"modifying {group_id}", on_failure=lambda error: self._apply_failed(scope, group_id, error))
        ctx.touched("ReplicationGroup", rg.replication_group_id)
        return {"ReplicationGroup": describe_group(self.state, scope, rg)}

    async def _apply(self, scope: Scope, group_id: str, primary_id: str | None, new_parameters: bool = False) -> None:
        rg = self.state.replication_groups.get(scope, group_id)
        if rg is None:
            return
        failures = await self.nodes.reload_acl(scope, rg)
        if failures:
            raise RuntimeError(f"the nodes did not load the new users: {'; '.join(failures)}")
        if new_parameters:
            await asyncio.gather(*(self.nodes.apply_parameter_group(scope, cid) for cid in rg.member_clusters))
        if primary_id is not None and primary_id != rg.node_groups[0].primary:
            # False when the new primary could not catch up: the failover records why.
            await self.failover.fail_over(scope, group_id, rg.node_groups[0].node_group_id, planned=True, target=primary_id)
        self._available(scope, group_id)

    def _apply_failed(self, scope: Scope, group_id: str, error: BaseException) -> None:
        self.events.record(scope, group_id, "replication-group", Messages.MODIFY_FAILED.format(group=group_id, reason=error))
        self._available(scope, group_id)

    def _available(self, scope: Scope, group_id: str) -> None:
        rg = self.state.replication_groups.get(scope, group_id)
        if rg is not None and rg.status == "modifying":
            rg.status = "available"
            self.state.save_group(scope, rg)
