"""Snapshots (backups) of Redis/Valkey clusters and replication groups: CreateSnapshot,
DescribeSnapshots, CopySnapshot (also to S3), DeleteSnapshot; final snapshots of deletions and
automatic ones (``automatic_snapshots.py``) are taken the same way (``take``).

A snapshot answers at once with status "creating" (its cluster or group shows "snapshotting"),
and becomes "available" once every shard's RDB has been copied under the state directory
(``snapshot_files.py``). Rules, as on AWS:

- a group's shard is saved from a replica when one runs (ElastiCache spares the primary), after the
  replica has caught up with what the primary had when the snapshot started; else from the primary;
- Memcached keeps no data on disk: snapshots are SnapshotFeatureNotSupportedFault;
- a snapshot that fails is "failed", with an event, and its cluster or group is "available" again;
- automatic snapshots go with their cluster or group; manual ones stay until deleted;
- a copy is always manual; a copy to S3 (TargetBucket) exports the RDB files as objects.
"""

from __future__ import annotations

import asyncio
import copy as copy_module
import dataclasses
import re
from typing import Any, Callable

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Collection, Scope
from regionbox.core.tasks import Tasks
from regionbox.engines import kinds
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.events import EventLog, Messages
from regionbox.services.elasticache.exports import SnapshotExports, object_key
from regionbox.services.elasticache.models import CacheCluster, NodeSnapshot, ReplicationGroup, Snapshot
from regionbox.services.elasticache.nodes import RedisNodes
from regionbox.services.elasticache.restores import snapshot_not_available
from regionbox.services.elasticache.snapshot_files import SnapshotFiles
from regionbox.services.elasticache.state import ElastiCacheState
from regionbox.services.elasticache.tags import checked_tags

SNAPSHOT_NAME = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,254}(?<!-)$")
CATCH_UP_TIMEOUT = 10.0
SOURCES = {"system": "automated", "user": "manual"}  # DescribeSnapshots' SnapshotSource -> the snapshot's


def snapshot_exists(name: str) -> ServiceError:
    return ServiceError("SnapshotAlreadyExistsFault", f"Snapshot {name} already exists.")


def not_supported(engine: str) -> ServiceError:
    return ServiceError("SnapshotFeatureNotSupportedFault", f"Snapshots are not supported for engine {engine}.")


def cache_size(size: int) -> str:
    """CacheSize as AWS writes it: whole megabytes."""
    return f"{round(size / 2 ** 20)} MB"


def describe_snapshot(snapshot: Snapshot, show_config: bool = True) -> dict[str, Any]:
    result: dict[str, Any] = {
        "SnapshotName": snapshot.name, "SnapshotStatus": snapshot.status, "SnapshotSource": snapshot.source,
        "CacheNodeType": snapshot.node_type, "Engine": snapshot.engine, "EngineVersion": snapshot.engine_version,
        "PreferredMaintenanceWindow": snapshot.maintenance_window, "Port": snapshot.port,
        "CacheParameterGroupName": snapshot.parameter_group, "CacheSubnetGroupName": snapshot.subnet_group,
        "VpcId": snapshot.vpc_id, "AutoMinorVersionUpgrade": snapshot.auto_minor_version_upgrade,
        "SnapshotRetentionLimit": snapshot.retention_limit, "SnapshotWindow": snapshot.window,
        "NumNodeGroups": snapshot.num_node_groups, "AutomaticFailover": snapshot.automatic_failover,
        "ARN": snapshot.arn, "DataTiering": snapshot.data_tiering,
    }
    if snapshot.replication_group_id:
        result["ReplicationGroupId"] = snapshot.replication_group_id
        result["ReplicationGroupDescription"] = snapshot.replication_group_description or ""
    else:
        result["CacheClusterId"] = snapshot.cache_cluster_id
        result["NumCacheNodes"] = snapshot.num_cache_nodes
        result["PreferredAvailabilityZone"] = snapshot.zone
    if snapshot.cluster_created:
        result["CacheClusterCreateTime"] = snapshot.cluster_created
    if snapshot.topic_arn:
        result["TopicArn"] = snapshot.topic_arn
    if snapshot.kms_key_id:
        result["KmsKeyId"] = snapshot.kms_key_id
    nodes = []
    for node in snapshot.node_snapshots:
        shaped: dict[str, Any] = {"NodeGroupId": node.node_group_id, "CacheNodeId": node.cache_node_id,
                                  "CacheSize": cache_size(node.cache_size), "CacheNodeCreateTime": node.node_created,
                                  "SnapshotCreateTime": node.snapshot_created}
        if node.cache_cluster_id:
            shaped["CacheClusterId"] = node.cache_cluster_id
        if show_config:
            shaped["NodeGroupConfiguration"] = {"NodeGroupId": node.node_group_id, "Slots": node.slots,
                                                "ReplicaCount": node.replica_count, "PrimaryAvailabilityZone": node.primary_zone,
                                                "ReplicaAvailabilityZones": list(node.replica_zones)}
        nodes.append(shaped)
    result["NodeSnapshots"] = nodes
    return result


class Snapshots:
    def __init__(self, state: ElastiCacheState, nodes: RedisNodes, files: SnapshotFiles, exports: SnapshotExports,
                 vpc_of: Callable[[Scope, str], str], events: EventLog, tasks: Tasks, paginator: Paginator,
                 collection: "Collection[Snapshot] | None" = None) -> None:
        self.state = state
        # Where its snapshots are kept: the node-based ones, or serverless caches' (serverless_snapshots.py).
        self.collection = collection if collection is not None else state.snapshots
        self.nodes = nodes
        self.files = files
        self.exports = exports
        self.vpc_of = vpc_of
        self.events = events
        self.tasks = tasks
        self.paginator = paginator

    # -- a new snapshot ---------------------------------------------------------------------------------
    @staticmethod
    def checked_name(name: str, what: str = "SnapshotName") -> str:
        if not SNAPSHOT_NAME.match(name or ""):
            raise check.invalid(f"The parameter {what} is not a valid identifier. Identifiers must begin with a letter; must "
                                "contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two "
                                "consecutive hyphens.")
        if name.lower().startswith("automatic"):
            raise check.invalid(f"The parameter {what} must not begin with automatic: names beginning with automatic are "
                                "reserved for automatic snapshots.")
        return name

    def unused(self, scope: Scope, name: str) -> None:
        if self.state.snapshots.get(scope, name) is not None:
            raise snapshot_exists(name)

    def source_of(self, scope: Scope, params: dict) -> tuple[ReplicationGroup | None, CacheCluster | None]:
        """What CreateSnapshot saves: a replication group, or a cluster (a single node, or one
        member of a group with cluster mode disabled, saved as its group)."""
        group_id, cluster_id = params.get("ReplicationGroupId"), params.get("CacheClusterId")
        if group_id and cluster_id:
            raise check.invalid_combination("Only one of ReplicationGroupId and CacheClusterId can be specified.")
        if not group_id and not cluster_id:
            raise check.invalid_combination("Either ReplicationGroupId or CacheClusterId must be specified.")
        if group_id:
            rg = self.state.visible_group(scope, group_id)
            if rg.status != "available":
                raise check.group_not_available(rg.replication_group_id)
            return rg, None
        cluster = self.state.visible_cluster(scope, cluster_id)
        if cluster.engine == "memcached":
            raise not_supported(cluster.engine)
        if cluster.status != "available":
            raise check.cluster_not_available(cluster.cluster_id, cluster.status)
        if cluster.replication_group_id:
            rg = self.state.group(scope, cluster.replication_group_id)
            if rg.cluster_enabled:
                raise check.invalid_combination("Snapshots of a Redis (cluster mode enabled) replication group are taken with "
                                                "ReplicationGroupId.")
            if rg.status != "available":
                raise check.group_not_available(rg.replication_group_id)
            return rg, cluster
        return None, cluster

    def new(self, scope: Scope, name: str, rg: ReplicationGroup | None, cluster: CacheCluster | None, source: str = "manual",
            tags: list | None = None) -> Snapshot:
        """A snapshot document for ``rg`` (taken from ``cluster`` when given) or a single-node
        cluster, status "creating"; the caller saves it (``begin``) and takes it (``take``)."""
        engine = (rg or cluster).engine
        if kinds.binary(engine) is None:
            raise check.invalid_combination(f"Snapshots need the real {engine} engine, which is not installed here: "
                                            f"{kinds.INSTALL_HINTS[engine]}.")
        now = clock.epoch()
        holder = rg or cluster
        snapshot = Snapshot(
            name=name, arn=self.state.arn(scope, f"snapshot:{name}"), source=source, status="creating", engine=engine,
            engine_version=holder.engine_version, node_type=holder.node_type, created=now,
            parameter_group=holder.parameter_group, subnet_group=holder.subnet_group, vpc_id=self.vpc_of(scope, holder.subnet_group),
            port=holder.port, auto_minor_version_upgrade=holder.auto_minor_version_upgrade,
            retention_limit=holder.snapshot_retention_limit, window=holder.snapshot_window,
            maintenance_window=holder.preferred_maintenance_window, tags=list(tags if tags is not None else holder.tags))
        if rg is not None:
            snapshot.replication_group_id = rg.replication_group_id
            snapshot.replication_group_description = rg.description
            snapshot.num_node_groups = len(rg.node_groups)
            snapshot.automatic_failover = rg.automatic_failover
            snapshot.cluster_enabled = rg.cluster_enabled
            snapshot.kms_key_id = rg.kms_key_id
            snapshot.data_tiering = rg.data_tiering
            snapshot.cluster_created = rg.created
            for group in rg.node_groups:
                member = cluster.cluster_id if cluster is not None else self._saving_member(scope, rg, group)
                member_cluster = self.state.cache_clusters.get(scope, member)
                snapshot.node_snapshots.append(NodeSnapshot(
                    cache_cluster_id=member, node_group_id=group.node_group_id, cache_node_id="0001", cache_size=0,
                    node_created=member_cluster.created if member_cluster else rg.created, snapshot_created=now,
                    slots=group.slots, replica_count=len(group.members) - 1, primary_zone=group.primary_zone or "",
                    replica_zones=list(group.replica_zones), file=f"{group.node_group_id}.rdb"))
        else:
            snapshot.cache_cluster_id = cluster.cluster_id
            snapshot.zone = cluster.zone
            snapshot.cluster_created = cluster.created
            snapshot.topic_arn = cluster.notification_topic_arn
            snapshot.node_snapshots = [NodeSnapshot(cache_cluster_id=cluster.cluster_id, node_group_id="0001", cache_node_id="0001",
                                                    cache_size=0, node_created=cluster.nodes[0].created, snapshot_created=now,
                                                    primary_zone=cluster.nodes[0].zone, file="0001.rdb")]
        return snapshot

    def _saving_member(self, scope: Scope, rg: ReplicationGroup, group) -> str:
        replicas = [cid for cid in group.members if cid != group.primary and self.nodes.running_address(scope, cid)]
        return replicas[0] if replicas else group.primary

    def begin(self, scope: Scope, snapshot: Snapshot) -> None:
        """In the caller's transaction: the snapshot is stored, its source shows "snapshotting"."""
        self.collection.put(scope, snapshot.name, snapshot)
        self._set_source_status(scope, snapshot, "available", "snapshotting")

    def _set_source_status(self, scope: Scope, snapshot: Snapshot, was: str, status: str) -> None:
        if snapshot.replication_group_id:
            rg = self.state.replication_groups.get(scope, snapshot.replication_group_id)
            if rg is not None and rg.status == was:
                rg.status = status
                self.state.save_group(scope, rg)
        for node in snapshot.node_snapshots:
            cluster = self.state.cache_clusters.get(scope, node.cache_cluster_id) if node.cache_cluster_id else None
            if cluster is not None and cluster.status == was:
                cluster.status = status
                self.state.save_cluster(scope, cluster)

    # -- taking it ----------------------------------------------------------------------------------------
    def take_in_background(self, scope: Scope, name: str) -> None:
        self.tasks.spawn(self.take(scope, name), owner="elasticache", what=f"snapshot {name}",
                         on_failure=lambda error: self.failed(scope, name, error))

    async def take(self, scope: Scope, name: str) -> None:
        """Every shard's RDB, then the snapshot is "available" and its source too."""
        snapshot = self.collection.get(scope, name)
        if snapshot is None or snapshot.status != "creating":
            return
        rg = self.state.replication_groups.get(scope, snapshot.replication_group_id) if snapshot.replication_group_id else None
        for node in snapshot.node_snapshots:
            holder = rg if rg is not None else self.state.cluster(scope, node.cache_cluster_id)
            if rg is not None:
                await self._catch_up(scope, rg, node.node_group_id, node.cache_cluster_id)
            node.cache_size = await self.files.take(scope, holder, node.cache_cluster_id,
                                                    self.files.path(scope, snapshot, node.node_group_id))
            node.snapshot_created = clock.epoch()
        with self.state.transaction():
            snapshot.status = "available"
            self.collection.put(scope, name, snapshot)
            self._set_source_status(scope, snapshot, "snapshotting", "available")
            source_id, source_type = self._event_source(snapshot)
            self.events.record(scope, source_id, source_type, Messages.SNAPSHOT_SUCCEEDED.format(
                snapshot=name, what=source_type.replace("-", " "), source=source_id))

    async def _catch_up(self, scope: Scope, rg: ReplicationGroup, node_group_id: str, cluster_id: str) -> None:
        """A replica saves what the primary had when the snapshot started (it may lag a little)."""
        group = rg.node_group(node_group_id)
        if group is None or group.primary == cluster_id or not self.nodes.running_address(scope, group.primary):
            return
        info = await self.nodes.command(scope, rg, group.primary, "INFO", "replication")
        target = int(info.get("master_repl_offset", 0) or 0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CATCH_UP_TIMEOUT
        while await self.nodes.replication_offset(scope, rg, cluster_id) < target and loop.time() < deadline:
            await asyncio.sleep(0.01)

    def failed(self, scope: Scope, name: str, error: BaseException) -> None:
        snapshot = self.collection.get(scope, name)
        if snapshot is None:
            return
        with self.state.transaction():
            snapshot.status = "failed"
            self.collection.put(scope, name, snapshot)
            self._set_source_status(scope, snapshot, "snapshotting", "available")
            source_id, source_type = self._event_source(snapshot)
            self.events.record(scope, source_id, source_type, Messages.SNAPSHOT_FAILED.format(
                snapshot=name, what=source_type.replace("-", " "), source=source_id, reason=error))
        self.files.remove(scope, snapshot)

    async def take_final(self, scope: Scope, name: str, source_id: str, source_type: str) -> bool:
        """A deletion's final snapshot; False when it failed: then the deletion does not go on
        (the data would be lost), and an event says so."""
        try:
            await self.take(scope, name)
            return True
        except Exception as error:  # noqa: BLE001 - turned into the snapshot's failure and an event
            self.failed(scope, name, error)
            self.events.record(scope, source_id, source_type, Messages.FINAL_SNAPSHOT_FAILED.format(
                snapshot=name, what=source_type.replace("-", " "), source=source_id, reason=error))
            return False

    def pending_final(self, scope: Scope, source_id: str) -> str | None:
        """The final snapshot a deletion interrupted by a restart of regionbox still has to take."""
        return next((s.name for s in self.collection.values(scope) if s.status == "creating"
                     and source_id in (s.replication_group_id, s.cache_cluster_id)), None)

    def resume(self) -> None:
        """After a restart of regionbox: snapshots being taken are taken again (their source's
        nodes come back meanwhile), copies copied again, exports given up with an event; a
        deletion's final snapshot is its deletion's to take."""
        for scope, name, snapshot in list(self.collection.all()):
            if snapshot.status == "creating" and snapshot.copied_from:
                self.copy_in_background(scope, snapshot.copied_from, name)
            elif snapshot.status == "creating":
                source = (self.state.replication_groups.get(scope, snapshot.replication_group_id) if snapshot.replication_group_id
                          else self.state.cache_clusters.get(scope, snapshot.cache_cluster_id or ""))
                if source is None:
                    self.failed(scope, name, RuntimeError("its cluster no longer exists"))
                elif source.status != "deleting":
                    self.take_in_background(scope, name)
            elif snapshot.status == "exporting":
                self._copy_failed(scope, name, None, RuntimeError("regionbox restarted during the export"))

    @staticmethod
    def _event_source(snapshot: Snapshot) -> tuple[str, str]:
        if snapshot.serverless_cache:
            return snapshot.serverless_cache, "serverless-cache"
        if snapshot.replication_group_id:
            return snapshot.replication_group_id, "replication-group"
        return snapshot.cache_cluster_id or "", "cache-cluster"

    # -- CreateSnapshot -------------------------------------------------------------------------------
    def create_snapshot(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        name = self.checked_name(params["SnapshotName"])
        rg, cluster = self.source_of(scope, params)
        self.unused(scope, name)
        holder = rg or cluster
        # A snapshot has its source's tags (AWS copies them), and the ones the request adds.
        tags = checked_tags(params.get("Tags") or [], holder.tags)
        snapshot = self.new(scope, name, rg, cluster, tags=tags)
        snapshot.kms_key_id = params.get("KmsKeyId") or snapshot.kms_key_id
        with self.state.transaction():
            self.begin(scope, snapshot)
        ctx.touched("Snapshot", name)
        self.take_in_background(scope, name)
        return {"Snapshot": describe_snapshot(snapshot)}

    # -- DescribeSnapshots ------------------------------------------------------------------------------
    def describe_snapshots(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        source = params.get("SnapshotSource")
        if source is not None and source not in SOURCES:
            raise check.invalid(f"Invalid value for parameter SnapshotSource: {source}. Valid values are system and user.")
        if params.get("SnapshotName"):
            found = [self.state.snapshot(scope, params["SnapshotName"])]
        else:
            found = sorted(self.state.snapshots.values(scope), key=lambda s: (s.created, s.name))
        if params.get("ReplicationGroupId"):
            self.state.visible_group(scope, params["ReplicationGroupId"])
            found = [s for s in found if s.replication_group_id == params["ReplicationGroupId"].lower()]
        if params.get("CacheClusterId"):
            cluster_id = params["CacheClusterId"].lower()
            if self.state.cache_clusters.get(scope, cluster_id) is None and not any(s.cache_cluster_id == cluster_id for s in found):
                raise check.cache_cluster_not_found(params["CacheClusterId"])
            found = [s for s in found if s.cache_cluster_id == cluster_id
                     or any(n.cache_cluster_id == cluster_id for n in s.node_snapshots)]
        if source is not None:
            found = [s for s in found if s.source == SOURCES[source]]
        show = bool(params.get("ShowNodeGroupConfig"))
        return check.paged(self.paginator, "Snapshots", [describe_snapshot(s, show) for s in found], params, check.SNAPSHOT_RECORDS)

    # -- CopySnapshot -------------------------------------------------------------------------------------
    def copy_snapshot(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        source = self.state.snapshot(scope, params["SourceSnapshotName"])
        target_name = params["TargetSnapshotName"]
        bucket = params.get("TargetBucket")
        if source.status != "available":
            raise snapshot_not_available(source.name, source.status)
        if bucket:
            self.export(scope, source, bucket, target_name)
            return {"Snapshot": describe_snapshot(source)}
        self.checked_name(target_name, "TargetSnapshotName")
        self.unused(scope, target_name)
        copy = dataclasses.replace(copy_module.deepcopy(source), name=target_name, arn=ctx.arn("elasticache", f"snapshot:{target_name}"),
                                   source="manual", status="creating", created=clock.epoch(),
                                   kms_key_id=params.get("KmsKeyId") or source.kms_key_id, copied_from=source.name,
                                   tags=checked_tags(params.get("Tags") or [], source.tags) if params.get("Tags") else list(source.tags))
        with self.state.transaction():
            self.state.snapshots.put(scope, target_name, copy)
        self.copy_in_background(scope, source.name, target_name)
        return {"Snapshot": describe_snapshot(copy)}

    def export(self, scope: Scope, source: Snapshot, bucket: str, target_name: str) -> None:
        """RDB files written to a user's bucket as ``<target name>-<node group id>.rdb``; the
        snapshot is "exporting" meanwhile."""
        self.exports.check_bucket(scope, bucket, [object_key(target_name, n.node_group_id) for n in source.node_snapshots])
        with self.state.transaction():
            source.status = "exporting"
            self.collection.put(scope, source.name, source)
        self.tasks.spawn(self._export(scope, source.name, bucket, target_name), owner="elasticache",
                         what=f"exporting snapshot {source.name}",
                         on_failure=lambda error: self._copy_failed(scope, source.name, None, error))

    def copy_in_background(self, scope: Scope, source_name: str, target_name: str) -> None:
        self.tasks.spawn(self._copy(scope, source_name, target_name), owner="elasticache", what=f"copying snapshot {source_name}",
                         on_failure=lambda error: self._copy_failed(scope, None, target_name, error))

    async def _copy(self, scope: Scope, source_name: str, target_name: str) -> None:
        source, copy = self.collection.get(scope, source_name), self.collection.get(scope, target_name)
        if source is None or copy is None:
            raise RuntimeError(f"snapshot {source_name} was deleted while it was copied")
        await self.files.copy(scope, source, copy)
        copy.status, copy.copied_from = "available", None
        self.collection.put(scope, target_name, copy)

    async def _export(self, scope: Scope, name: str, bucket: str, target_name: str) -> None:
        snapshot = self.collection.get(scope, name)
        await self.exports.upload(scope, snapshot, bucket, target_name)
        snapshot.status = "available"
        self.collection.put(scope, name, snapshot)

    def _copy_failed(self, scope: Scope, exported: str | None, copy: str | None, error: BaseException) -> None:
        """An export that failed leaves the snapshot available; a copy that failed is "failed"."""
        snapshot = self.collection.get(scope, exported or copy or "")
        if snapshot is None:
            return
        snapshot.status = "available" if exported else "failed"
        self.collection.put(scope, snapshot.name, snapshot)
        source_id, source_type = self._event_source(snapshot)
        self.events.record(scope, source_id, source_type, Messages.SNAPSHOT_COPY_FAILED.format(snapshot=snapshot.name, reason=error))

    # -- DeleteSnapshot -----------------------------------------------------------------------------------
    def delete_snapshot(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        snapshot = self.state.snapshot(scope, params["SnapshotName"])
        if snapshot.status not in ("available", "failed"):
            raise snapshot_not_available(snapshot.name, snapshot.status)
        with self.state.transaction():
            self.state.snapshots.delete(scope, snapshot.name)
        self.files.remove(scope, snapshot)
        snapshot.status = "deleting"
        return {"Snapshot": describe_snapshot(snapshot)}

    def forget_automatic(self, scope: Scope, source_id: str) -> None:
        """A cluster or group is deleted: its automatic snapshots go with it (manual ones stay)."""
        for snapshot in list(self.state.snapshots.values(scope)):
            if snapshot.source == "automated" and source_id in (snapshot.replication_group_id, snapshot.cache_cluster_id):
                self.state.snapshots.delete(scope, snapshot.name)
                self.files.remove(scope, snapshot)

