"""Global datastores: a primary replication group and secondary ones in other regions of the same
cloud whose primaries replicate from it (Create/Describe/Modify/Delete/Disassociate/
FailoverGlobalReplicationGroup, CreateReplicationGroup with GlobalReplicationGroupId).

A global datastore is account-wide (stored under the scope (account, "")), its id AWS's: a
five-letter prefix of the primary's region and the caller's suffix, its ARN without a region.
A secondary group takes the engine, version, node type and encryption of the datastore; its
primary node is a real replica of the primary group's primary (REPLICAOF across regions, as
regionbox's nodes all listen on this machine), so what is written in the primary region is read
in the secondary one, and the secondary refuses writes (READONLY), as on AWS. Its own replicas
replicate from its primary. A failover makes a secondary the primary: its primary stops
replicating, the others replicate from it. Members are "associating" until their group is
available, then "associated"; with no secondary the datastore is "primary-only".

Rules regionbox keeps beyond AWS's: a datastore of groups with cluster mode enabled would need
slot-by-slot replication between two clusters, which Redis/Valkey do not have; creating one is
refused (InvalidParameterValue), and the node group operations answer that the datastore is not
cluster mode enabled. A group in a datastore is deleted after it leaves it (replication_groups.py).
"""

from __future__ import annotations

import hashlib
import string
from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.events import EventLog
from regionbox.services.elasticache.models import GlobalReplicationGroup, ReplicationGroup
from regionbox.services.elasticache.nodes import RedisNodes
from regionbox.services.elasticache.replication_groups import ReplicationGroups, describe_group
from regionbox.services.elasticache.state import ElastiCacheState
from regionbox.services.elasticache.tags import checked_tags

MAX_SECONDARIES = 2  # "a Global Datastore can have up to two secondary clusters"
MINIMUM_REDIS = (5, 0, 6)
# Settings a secondary takes from its datastore: (request member, the datastore's value).
INHERITED = ("Engine", "EngineVersion", "CacheNodeType", "TransitEncryptionEnabled", "AtRestEncryptionEnabled", "ClusterMode",
             "NumNodeGroups", "CacheParameterGroupName", "AuthToken", "SnapshotName", "SnapshotArns")


def prefix(region: str) -> str:
    """The five letters AWS puts before a datastore's suffix, one set per region."""
    digest = hashlib.sha256(region.encode()).digest()
    return "".join(string.ascii_lowercase[b % 26] for b in digest[:5])


def invalid_state(global_id: str, status: str) -> ServiceError:
    return ServiceError("InvalidGlobalReplicationGroupState",
                        f"Global datastore {global_id} is not in available state (current state: {status}).")


def global_info(rg: ReplicationGroup) -> dict[str, str] | None:
    """DescribeReplicationGroups' GlobalReplicationGroupInfo of a member."""
    if not rg.global_group_id:
        return None
    return {"GlobalReplicationGroupId": rg.global_group_id, "GlobalReplicationGroupMemberRole": (rg.global_role or "").upper()}


class GlobalDatastores:
    def __init__(self, state: ElastiCacheState, nodes: RedisNodes, replication_groups: ReplicationGroups, events: EventLog,
                 tasks: Tasks, paginator: Paginator) -> None:
        self.state = state
        self.nodes = nodes
        self.replication_groups = replication_groups
        self.events = events
        self.tasks = tasks
        self.paginator = paginator

    # -- lookups ----------------------------------------------------------------------------------------
    @staticmethod
    def _scope(ctx: RequestContext) -> Scope:
        return ctx.global_scope

    def _get(self, ctx: RequestContext, global_id: str | None) -> GlobalReplicationGroup:
        found = self.state.global_groups.get(self._scope(ctx), global_id or "")
        if found is None:
            raise check.global_group_not_found(global_id)
        return found

    @staticmethod
    def _member(g: GlobalReplicationGroup, group_id: str, region: str) -> dict:
        member = next((m for m in g.members if m["ReplicationGroupId"] == group_id and m["ReplicationGroupRegion"] == region), None)
        if member is None:
            raise check.invalid(f"Replication group {group_id} in region {region} is not a member of global datastore {g.global_id}.")
        return member

    def _member_group(self, account: str, member: dict) -> ReplicationGroup | None:
        return self.state.replication_groups.get((account, member["ReplicationGroupRegion"]), member["ReplicationGroupId"])

    def _status(self, account: str, g: GlobalReplicationGroup) -> str:
        if g.status in ("modifying", "deleting"):
            return g.status
        if any(m["Role"] == "SECONDARY" and self._member_status(account, m) == "associated" for m in g.members):
            return "available"
        return "primary-only"

    def _member_status(self, account: str, member: dict) -> str:
        rg = self._member_group(account, member)
        return "associated" if rg is not None and rg.status not in ("creating", "create-failed") else "associating"

    def describe(self, account: str, g: GlobalReplicationGroup, members: bool = True) -> dict[str, Any]:
        result: dict[str, Any] = {
            "GlobalReplicationGroupId": g.global_id, "GlobalReplicationGroupDescription": g.description,
            "Status": self._status(account, g), "CacheNodeType": g.node_type, "Engine": g.engine, "EngineVersion": g.engine_version,
            "ClusterEnabled": g.cluster_enabled, "AuthTokenEnabled": g.auth_token_enabled,
            "TransitEncryptionEnabled": g.transit_encryption, "AtRestEncryptionEnabled": g.at_rest_encryption, "ARN": g.arn,
            "GlobalNodeGroups": [{"GlobalNodeGroupId": f"{g.global_id}-0001", "Slots": "0-16383"}],
        }
        if members:
            shaped = []
            for member in g.members:
                rg = self._member_group(account, member)
                shaped.append({"ReplicationGroupId": member["ReplicationGroupId"], "ReplicationGroupRegion": member["ReplicationGroupRegion"],
                               "Role": member["Role"], "AutomaticFailover": rg.automatic_failover if rg else "disabled",
                               "Status": self._member_status(account, member)})
            result["Members"] = shaped
        return result

    # -- CreateGlobalReplicationGroup -----------------------------------------------------------------------
    def create_global_replication_group(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        suffix = check.identifier("GlobalReplicationGroupIdSuffix", params["GlobalReplicationGroupIdSuffix"])
        global_id = f"{prefix(ctx.region)}-{suffix}"
        rg = self.state.visible_group(scope, params["PrimaryReplicationGroupId"])
        if rg.status != "available":
            raise ServiceError("InvalidReplicationGroupState", f"Replication group {rg.replication_group_id} is not in available state.")
        if rg.global_group_id:
            raise ServiceError("InvalidReplicationGroupState", f"Replication group {rg.replication_group_id} is already a member "
                                                               f"of global datastore {rg.global_group_id}.")
        if rg.node_type.startswith(("cache.t2.", "cache.t3.", "cache.t4g.")):
            raise check.invalid(f"Global datastore is not supported for cache node type {rg.node_type}. Use an M5, M6g, M7g, R5, "
                                "R6g, R6gd or R7g node type.")
        if rg.engine == "redis" and check.version_key(rg.engine_version) < MINIMUM_REDIS:
            raise check.invalid(f"Global datastore needs Redis OSS 5.0.6 or later; {rg.replication_group_id} runs {rg.engine_version}.")
        if rg.cluster_enabled:
            raise check.invalid("Global datastores of Redis OSS (cluster mode enabled) replication groups are not supported by "
                                "regionbox: Redis and Valkey cannot replicate one cluster into another.")
        checked_tags(params.get("Tags") or [])
        if self.state.global_groups.get(self._scope(ctx), global_id) is not None:
            raise ServiceError("GlobalReplicationGroupAlreadyExistsFault", f"Global datastore {global_id} already exists.")
        g = GlobalReplicationGroup(
            global_id=global_id, arn=ctx.arn("elasticache", f"globalreplicationgroup:{global_id}", regional=False),
            description=params.get("GlobalReplicationGroupDescription") or "", engine=rg.engine, engine_version=rg.engine_version,
            node_type=rg.node_type, cluster_enabled=rg.cluster_enabled, status="available",
            members=[{"ReplicationGroupId": rg.replication_group_id, "ReplicationGroupRegion": ctx.region, "Role": "PRIMARY"}],
            auth_token_enabled=rg.auth_token_enabled, transit_encryption=rg.transit_encryption,
            at_rest_encryption=rg.at_rest_encryption, parameter_group=rg.parameter_group)
        with self.state.transaction():
            self.state.global_groups.put(self._scope(ctx), global_id, g)
            rg.global_group_id, rg.global_role = global_id, "primary"
            self.state.save_group(scope, rg)
        ctx.touched("GlobalReplicationGroup", global_id)
        return {"GlobalReplicationGroup": self.describe(ctx.account_id, g)}

    # -- CreateReplicationGroup with GlobalReplicationGroupId ---------------------------------------------
    def create_replication_group(self, ctx: RequestContext, params: dict) -> dict:
        """CreateReplicationGroup: a secondary of a global datastore, or (without one) a group of its own."""
        global_id = params.get("GlobalReplicationGroupId")
        if not global_id:
            return self.replication_groups.create_replication_group(ctx, params)
        group_id = check.identifier("ReplicationGroupId", params["ReplicationGroupId"])
        g = self._get(ctx, global_id)
        if self._status(ctx.account_id, g) not in ("available", "primary-only"):
            raise invalid_state(g.global_id, self._status(ctx.account_id, g))
        if any(m["ReplicationGroupRegion"] == ctx.region for m in g.members):
            raise check.invalid_combination(f"Global datastore {global_id} already has a member in region {ctx.region}: a secondary "
                                            "cluster must be in another region.")
        if sum(m["Role"] == "SECONDARY" for m in g.members) >= MAX_SECONDARIES:
            raise check.invalid(f"Global datastore {global_id} already has {MAX_SECONDARIES} secondary clusters, the most it can have.")
        given = [name for name in INHERITED if params.get(name) is not None]
        if given:
            raise check.invalid_combination(f"{given[0]} cannot be specified for a member of a global datastore: it is the global "
                                            "datastore's.")
        params = {**params, "Engine": g.engine, "EngineVersion": g.engine_version, "CacheNodeType": g.node_type,
                  "TransitEncryptionEnabled": g.transit_encryption, "AtRestEncryptionEnabled": g.at_rest_encryption}
        params.pop("GlobalReplicationGroupId")
        with self.state.transaction():
            rg = self.replication_groups.create(ctx, params, group_id)
            # Before its nodes start (in the background): its primary replicates from the datastore's.
            rg.global_group_id, rg.global_role = g.global_id, "secondary"
            self.state.save_group(ctx.scope, rg)
            g.members.append({"ReplicationGroupId": group_id, "ReplicationGroupRegion": ctx.region, "Role": "SECONDARY"})
            self.state.global_groups.put(self._scope(ctx), g.global_id, g)
        return {"ReplicationGroup": describe_group(self.state, ctx.scope, rg)}

    # -- DescribeGlobalReplicationGroups --------------------------------------------------------------------
    def describe_global_replication_groups(self, ctx: RequestContext, params: dict) -> dict:
        if params.get("GlobalReplicationGroupId"):
            found = [self._get(ctx, params["GlobalReplicationGroupId"])]
        else:
            found = sorted(self.state.global_groups.values(self._scope(ctx)), key=lambda g: g.global_id)
        rows = [self.describe(ctx.account_id, g, members=bool(params.get("ShowMemberInfo"))) for g in found]
        return check.paged(self.paginator, "GlobalReplicationGroups", rows, params)

    # -- ModifyGlobalReplicationGroup ------------------------------------------------------------------------
    def modify_global_replication_group(self, ctx: RequestContext, params: dict) -> dict:
        g = self._get(ctx, params["GlobalReplicationGroupId"])
        if not params.get("ApplyImmediately"):
            raise check.invalid("ApplyImmediately must be true for a global datastore: its changes apply to every member at once.")
        status = self._status(ctx.account_id, g)
        if status not in ("available", "primary-only"):
            raise invalid_state(g.global_id, status)
        if params.get("Engine") and params["Engine"].lower() != g.engine and not (g.engine == "redis" and params["Engine"].lower()
                                                                                  == "valkey"):
            raise check.invalid_combination(f"Cannot change the engine of global datastore {g.global_id} to {params['Engine']}.")
        version = check.engine_upgrade(g.engine, g.engine_version, params.get("EngineVersion")) if params.get("EngineVersion") \
            else g.engine_version
        node_type = check.node_type(params["CacheNodeType"]) if params.get("CacheNodeType") else g.node_type
        members = [(m, self._member_group(ctx.account_id, m)) for m in g.members]
        with self.state.transaction():
            if params.get("GlobalReplicationGroupDescription") is not None:
                g.description = params["GlobalReplicationGroupDescription"]
            g.engine_version, g.node_type = version, node_type
            for member, rg in members:
                if rg is None:
                    continue
                rg.engine_version, rg.node_type = version, node_type
                if params.get("AutomaticFailoverEnabled") is not None and len(rg.member_clusters) > 1:
                    rg.automatic_failover = "enabled" if params["AutomaticFailoverEnabled"] else "disabled"
                self.state.save_group((ctx.account_id, member["ReplicationGroupRegion"]), rg)
            self.state.global_groups.put(self._scope(ctx), g.global_id, g)
        return {"GlobalReplicationGroup": self.describe(ctx.account_id, g)}

    # -- DeleteGlobalReplicationGroup ------------------------------------------------------------------------
    def delete_global_replication_group(self, ctx: RequestContext, params: dict) -> dict:
        g = self._get(ctx, params["GlobalReplicationGroupId"])
        if not params["RetainPrimaryReplicationGroup"]:
            raise check.invalid("RetainPrimaryReplicationGroup must be true: the primary replication group is kept.")
        if any(m["Role"] == "SECONDARY" for m in g.members):
            raise ServiceError("InvalidGlobalReplicationGroupState", f"Global datastore {g.global_id} still has secondary clusters: "
                                                                     "disassociate or delete them first.")
        with self.state.transaction():
            for member in g.members:
                rg = self._member_group(ctx.account_id, member)
                if rg is not None:
                    rg.global_group_id = rg.global_role = None
                    self.state.save_group((ctx.account_id, member["ReplicationGroupRegion"]), rg)
            self.state.global_groups.delete(self._scope(ctx), g.global_id)
        shaped = self.describe(ctx.account_id, g)
        shaped["Status"] = "deleting"
        return {"GlobalReplicationGroup": shaped}

    # -- DisassociateGlobalReplicationGroup ------------------------------------------------------------------
    def disassociate_global_replication_group(self, ctx: RequestContext, params: dict) -> dict:
        """The secondary becomes a group of its own, with the data it has, taking writes."""
        g = self._get(ctx, params["GlobalReplicationGroupId"])
        member = self._member(g, params["ReplicationGroupId"], params["ReplicationGroupRegion"])
        if member["Role"] == "PRIMARY":
            raise check.invalid_combination("The primary replication group cannot be disassociated: fail over to a secondary "
                                            "first, or delete the global datastore.")
        status = self._status(ctx.account_id, g)
        if status not in ("available", "primary-only"):
            raise invalid_state(g.global_id, status)
        scope = (ctx.account_id, member["ReplicationGroupRegion"])
        rg = self._member_group(ctx.account_id, member)
        with self.state.transaction():
            g.members.remove(member)
            self.state.global_groups.put(self._scope(ctx), g.global_id, g)
            if rg is not None:
                rg.global_group_id = rg.global_role = None
                self.state.save_group(scope, rg)
        if rg is not None:
            self.tasks.spawn(self._replicate(scope, rg.replication_group_id, None), owner="elasticache",
                             what=f"disassociating {rg.replication_group_id}")
        return {"GlobalReplicationGroup": self.describe(ctx.account_id, g)}

    # -- FailoverGlobalReplicationGroup ----------------------------------------------------------------------
    def failover_global_replication_group(self, ctx: RequestContext, params: dict) -> dict:
        g = self._get(ctx, params["GlobalReplicationGroupId"])
        target = self._member(g, params["PrimaryReplicationGroupId"], params["PrimaryRegion"])
        if target["Role"] == "PRIMARY":
            raise check.invalid_combination(f"Replication group {target['ReplicationGroupId']} is already the primary of global "
                                            f"datastore {g.global_id}.")
        status = self._status(ctx.account_id, g)
        groups = [(m, self._member_group(ctx.account_id, m)) for m in g.members]
        if status != "available" or any(rg is None or rg.status != "available" for _, rg in groups):
            raise invalid_state(g.global_id, status if status != "available" else "modifying")
        with self.state.transaction():
            for member, rg in groups:
                member["Role"] = "PRIMARY" if member is target else "SECONDARY"
                rg.global_role = member["Role"].lower()
                self.state.save_group((ctx.account_id, member["ReplicationGroupRegion"]), rg)
            g.status = "modifying"
            self.state.global_groups.put(self._scope(ctx), g.global_id, g)
        self.tasks.spawn(self._fail_over(ctx.account_id, g.global_id), owner="elasticache", what=f"failing over {g.global_id}",
                         on_failure=lambda error: self._settled(ctx.account_id, g.global_id))
        return {"GlobalReplicationGroup": self.describe(ctx.account_id, g)}

    async def _fail_over(self, account: str, global_id: str) -> None:
        """The new primary's primary node stops replicating, then the others replicate from it."""
        g = self.state.global_groups.get((account, ""), global_id)
        primary = next(m for m in g.members if m["Role"] == "PRIMARY")
        await self._replicate((account, primary["ReplicationGroupRegion"]), primary["ReplicationGroupId"], None)
        for member in g.members:
            if member is not primary:
                scope = (account, member["ReplicationGroupRegion"])
                rg = self.state.group(scope, member["ReplicationGroupId"])
                await self._replicate(scope, member["ReplicationGroupId"], self.state.global_upstream(scope, rg))
        self._settled(account, global_id)

    def _settled(self, account: str, global_id: str) -> None:
        g = self.state.global_groups.get((account, ""), global_id)
        if g is not None and g.status == "modifying":
            g.status = "available"
            self.state.global_groups.put((account, ""), global_id, g)

    async def _replicate(self, scope: Scope, group_id: str, upstream) -> None:
        """A group's primary node replicates from ``upstream`` (a CacheCluster), or from nobody."""
        rg = self.state.replication_groups.get(scope, group_id)
        if rg is None:
            return
        async with self.state.lock(scope, group_id):
            primary = rg.node_groups[0].primary
            args = ("NO", "ONE") if upstream is None else (upstream.nodes[0].address, str(upstream.nodes[0].port))
            await self.nodes.command(scope, rg, primary, "REPLICAOF", *args)

    # -- node groups: cluster mode enabled only ----------------------------------------------------------------
    def _cluster_mode_only(self, ctx: RequestContext, params: dict) -> dict:
        g = self._get(ctx, params["GlobalReplicationGroupId"])
        if not params.get("ApplyImmediately", True):
            raise check.invalid("ApplyImmediately must be true.")
        raise check.invalid_combination(f"Global datastore {g.global_id} is not cluster mode enabled: it has one node group, "
                                        "whose slots cannot be changed.")

    increase_node_groups_in_global_replication_group = _cluster_mode_only
    decrease_node_groups_in_global_replication_group = _cluster_mode_only
    rebalance_slots_in_global_replication_group = _cluster_mode_only
