"""A DB cluster's instances and endpoints: CreateDBInstance with a DBClusterIdentifier, the writer
and reader endpoints, FailoverDBCluster, and what happens when a member goes away.

Each member is a DB instance of its own (instances.py: its server, endpoint, monitoring), with one
PostgreSQL server. The first instance is the writer; later ones are readers whose servers are
streaming replicas of the writer's (a base backup of it, then its WAL), as an Aurora Replica reads
the cluster's volume. The cluster's two endpoints are addresses of their own, forwarded by the
cloud's endpoint proxies: the writer endpoint to the writer's server, the reader endpoint to the
readers in turn, one connection after the other (the writer when there is no reader), as Aurora's
DNS names do. A proxy rather than the server listening on the address itself, as an instance
endpoint does: a failover then promotes the reader in place (``pg_promote``, no restart) and the
writer endpoint points at it as soon as it takes writes.

A failover (FailoverDBCluster, the writer's AZ going out, or the writer being deleted) stops the old
writer cleanly first when it still runs, so its last WAL reaches the readers and no committed
transaction is lost; the target reader is promoted, the other readers follow it, and the old
writer comes back as a reader, cloned from the new writer.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from regionbox.core.errors import ServiceError
from regionbox.core.store import Scope
from regionbox.services.rds import validation as check
from regionbox.services.rds.events import Messages
from regionbox.services.rds.models import DBCluster, DBInstance

if TYPE_CHECKING:
    from regionbox.engines import Node
    from regionbox.engines.proxy import EndpointProxy, ProxyHub
    from regionbox.services.rds.instances import Instances

log = logging.getLogger("regionbox.rds")

FAILOVER_STARTED = ("RDS-EVENT-0073", ["failover"], "Started cross AZ failover to DB instance: {target}")
FAILOVER_DONE = ("RDS-EVENT-0071", ["failover"], "Completed failover to DB instance: {target}")
FAILOVER_FAILED = ("RDS-EVENT-0070", ["failover"], "Promotion of DB instance {target} failed: {reason}")


def cluster_not_found(identifier: str) -> ServiceError:
    return ServiceError("DBClusterNotFoundFault", f"DBCluster {identifier} not found.", 404)


def cluster_invalid_state(identifier: str, state: str = "available") -> ServiceError:
    return ServiceError("InvalidDBClusterStateFault", f"DbCluster {identifier} is not in {state} state.")


class ClusterMembers:
    def __init__(self, instances: "Instances", proxies: "ProxyHub") -> None:
        self.instances = instances
        self.state = instances.state
        self.nodes = instances.nodes
        self.events = instances.events
        self.tasks = instances.tasks
        self.proxies = proxies
        self.endpoints: dict[tuple[Scope, str], tuple["EndpointProxy", "EndpointProxy"]] = {}
        # Told whenever the endpoints are routed, with the cluster's members that serve (custom endpoints).
        self.routed: list = []

    # -- the cluster and its members ------------------------------------------------------------
    def cluster(self, scope: Scope, identifier: str) -> DBCluster:
        cluster = self.state.clusters.get(scope, identifier.lower())
        if cluster is None:
            raise cluster_not_found(identifier)
        return cluster

    def save(self, scope: Scope, cluster: DBCluster) -> None:
        if (scope, cluster.identifier) in self.state.clusters:  # not one deleted meanwhile
            self.state.clusters.put(scope, cluster.identifier, cluster)

    def members(self, scope: Scope, cluster_id: str) -> list[DBInstance]:
        return sorted((i for i in self.state.instances.values(scope) if i.cluster == cluster_id), key=lambda i: i.created_at)

    def writer(self, scope: Scope, cluster: DBCluster) -> DBInstance | None:
        return self.state.instances.get(scope, cluster.writer) if cluster.writer else None

    def readers(self, scope: Scope, cluster: DBCluster) -> list[DBInstance]:
        return [i for i in self.members(scope, cluster.identifier) if i.identifier != cluster.writer]

    # -- endpoints -------------------------------------------------------------------------------
    def open_endpoints(self, scope: Scope, cluster: DBCluster) -> None:
        if (scope, cluster.identifier) not in self.endpoints:
            self.endpoints[(scope, cluster.identifier)] = (self.proxies.open(cluster.endpoint_address, cluster.port),
                                                           self.proxies.open(cluster.reader_address, cluster.port))
        self.route(scope, cluster.identifier)

    def route(self, scope: Scope, cluster_id: str, leaving: str | None = None) -> None:
        """Point the endpoints at the writer's server and the readers' (``leaving``: one going away)."""
        proxies = self.endpoints.get((scope, cluster_id))
        cluster = self.state.clusters.get(scope, cluster_id)
        if proxies is None or cluster is None:
            return
        writer = self.writer(scope, cluster)
        writer_targets = [(writer.primary.address, cluster.port)] if writer is not None and writer.identifier != leaving else []
        readers = [(r.primary.address, cluster.port) for r in self.readers(scope, cluster)
                   if r.identifier != leaving and r.status in ("available", "modifying", "backing-up") and r.primary is not None]
        proxies[0].set_targets(writer_targets)
        proxies[1].set_targets(readers or writer_targets)
        serving = [m for m in self.members(scope, cluster_id) if m.identifier != leaving and m.primary is not None
                   and (m.status in ("available", "modifying", "backing-up") or m.identifier == cluster.writer)]
        for hook in self.routed:
            hook(scope, cluster, serving)

    def close_endpoints(self, scope: Scope, cluster_id: str) -> None:
        for proxy in self.endpoints.pop((scope, cluster_id), ()):
            proxy.close()

    def close_all(self) -> None:
        for scope, cluster_id in list(self.endpoints):
            self.close_endpoints(scope, cluster_id)

    # -- CreateDBInstance with DBClusterIdentifier ---------------------------------------------
    def add_member(self, ctx, params: dict, *, zone: str | None = None, by_rds: bool = False) -> dict:
        scope = ctx.scope
        cluster = self.cluster(scope, params["DBClusterIdentifier"])
        if cluster.engine == "postgres" and not by_rds:  # RDS makes a Multi-AZ DB cluster's three instances itself
            raise check.combination("Cannot add a DB instance to a Multi-AZ DB cluster.")
        identifier = check.identifier(params["DBInstanceIdentifier"])
        engine = (params.get("Engine") or "").lower()
        if engine != cluster.engine:
            raise check.combination(f"The engine name requested for your DB instance ({engine}) doesn't match the engine "
                                    f"name of your DB cluster ({cluster.engine}).")
        if params.get("MasterUsername") or params.get("MasterUserPassword"):
            raise check.combination("The requested DB Instance will be a member of a DB Cluster. Set master user password "
                                    "for the DB Cluster.")
        if cluster.status not in ("available", "creating"):
            raise cluster_invalid_state(cluster.identifier)
        instance_class = check.instance_class(params["DBInstanceClass"])
        writer = self.writer(scope, cluster)
        becomes_writer = writer is None
        if zone is None and not params.get("AvailabilityZone"):
            # Aurora spreads a cluster's instances over its AZs: a reader in another AZ than the
            # writer's is one an outage of the writer's AZ leaves to promote.
            used = {m.primary.zone for m in self.members(scope, cluster.identifier) if m.primary is not None}
            zone = next((z for z in cluster.zones if z not in used and self.instances.topology.is_available(z)), None)
        major = cluster.engine_version.split(".")[0]
        member_params = {**params, "Port": cluster.port, "DBSubnetGroupName": cluster.subnet_group, "BackupRetentionPeriod": 0,
                         "MultiAZ": False, "AvailabilityZone": params.get("AvailabilityZone") or zone,
                         "DBParameterGroupName": params.get("DBParameterGroupName") or
                         f"default.{'aurora-postgresql' if cluster.engine == 'aurora-postgresql' else 'postgres'}{major}",
                         "DeletionProtection": False, "VpcSecurityGroupIds": params.get("VpcSecurityGroupIds") or cluster.vpc_security_groups}
        source = cluster.volume if becomes_writer and cluster.volume else None
        result = self.instances.new_instance(
            ctx, member_params, identifier=identifier, instance_class=instance_class, engine=cluster.engine,
            version=cluster.engine_version, username=cluster.master_username, password=cluster.master_password,
            storage=cluster.allocated_storage, storage_type=cluster.storage_type, db_name=cluster.database_name,
            source=source, cluster=cluster.identifier, before_start=self._volume_ready(cluster.volume) if source else None,
            make_data=None if becomes_writer else self._reader_data(scope, cluster.identifier))
        if becomes_writer:
            cluster.writer = identifier
            self.save(scope, cluster)
        result["DBInstance"] = self.instances.describe(scope, self.state.instances.get(scope, identifier))
        return result

    @staticmethod
    def _volume_ready(volume: str):
        async def ready() -> None:  # a restored cluster's volume is still being copied from its snapshot
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 600
            while not Path(volume).exists():
                if loop.time() > deadline:
                    raise RuntimeError("the DB cluster's volume was not restored")
                await asyncio.sleep(0.1)
        return ready

    def _reader_data(self, scope: Scope, cluster_id: str):
        async def make(instance: DBInstance, node) -> None:
            # A reader made with its writer (a Multi-AZ DB cluster's three, or a reader asked for at
            # once) waits until the writer serves, then takes its base backup.
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 600
            while True:
                cluster = self.cluster(scope, cluster_id)
                writer = self.writer(scope, cluster)
                if writer is not None and writer.status == "available" and self.nodes.running(writer.primary):
                    break
                if writer is None or writer.status == "failed" or loop.time() > deadline:
                    raise RuntimeError(f"the writer of DB cluster {cluster_id} is not available to clone")
                await asyncio.sleep(0.1)
            await self.nodes.make_standby_data(writer, node.node_id, application_name=instance.resource_id.lower())
        return make

    def on_instance(self, scope: Scope, instance: DBInstance | None, identifier: str) -> None:
        """An instance became available (or went away): its cluster's endpoints take it in; a new
        writer holds the cluster's data, so the master password and the volume are no longer kept."""
        if instance is None or not instance.cluster:
            return
        cluster = self.state.clusters.get(scope, instance.cluster)
        if cluster is None:
            return
        if cluster.writer == identifier and (cluster.master_password or cluster.volume):
            if cluster.volume:
                shutil.rmtree(cluster.volume, ignore_errors=True)
            cluster.master_password, cluster.volume = "", ""
            self.save(scope, cluster)
        self.route(scope, cluster.identifier)

    # -- a member going away ---------------------------------------------------------------------
    async def member_leaving(self, scope: Scope, identifier: str) -> None:
        """Before a member's server goes for good: the writer hands over to a reader, or, the last
        one, leaves the data with the cluster (its volume)."""
        instance = self.state.instances.get(scope, identifier)
        if instance is None or not instance.cluster:
            return
        cluster = self.state.clusters.get(scope, instance.cluster)
        if cluster is None:
            return
        self.route(scope, cluster.identifier, leaving=identifier)
        if cluster.writer != identifier:
            return
        target = self.best_reader(scope, cluster, exclude=identifier)
        if target is not None:
            await self.fail_over(scope, cluster.identifier, target.identifier, rejoin=False)
            return
        if instance.primary is not None and self.nodes.pgdata(instance.primary.node_id).exists():
            await self.nodes.supervisor.stop(instance.primary.node_id)  # a clean stop: a consistent copy
            volume = self.volume_path(scope, cluster.identifier)
            shutil.rmtree(volume, ignore_errors=True)
            volume.parent.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(shutil.copytree, self.nodes.pgdata(instance.primary.node_id), volume, symlinks=True)
            cluster = self.cluster(scope, cluster.identifier)
            cluster.volume = str(volume)
        cluster.writer = None
        self.save(scope, cluster)

    def volume_path(self, scope: Scope, cluster_id: str) -> Path:
        return self.nodes.root.parent / "rds-cluster-volumes" / f"{scope[0]}.{scope[1]}.{cluster_id}"

    # -- failover --------------------------------------------------------------------------------
    def best_reader(self, scope: Scope, cluster: DBCluster, exclude: str | None = None) -> DBInstance | None:
        """The reader Aurora promotes: the lowest promotion tier among readers that serve."""
        topology = self.instances.topology
        candidates = [r for r in self.readers(scope, cluster) if r.identifier != exclude and r.status == "available"
                      and r.primary is not None and topology.is_available(r.primary.zone) and self.nodes.running(r.primary)]
        return min(candidates, key=lambda r: (r.promotion_tier, r.created_at), default=None)

    def failover_db_cluster(self, ctx, params: dict) -> dict:
        scope = ctx.scope
        cluster = self.cluster(scope, params["DBClusterIdentifier"])
        if cluster.status != "available":
            raise cluster_invalid_state(cluster.identifier)
        target_id = params.get("TargetDBInstanceIdentifier")
        if target_id:
            target = self.instances.get(scope, target_id)
            if target.cluster != cluster.identifier:
                raise ServiceError("InvalidParameterValue", f"DBInstance {target.identifier} is not a member of DBCluster "
                                   f"{cluster.identifier}.")
            if target.identifier == cluster.writer:
                raise ServiceError("InvalidDBInstanceState", f"DBInstance {target.identifier} is already the writer of "
                                   f"DBCluster {cluster.identifier}.")
            if target.status != "available":
                raise check.invalid_state(target.identifier)
        else:
            target = self.best_reader(scope, cluster)
            if target is None:
                raise cluster_invalid_state(cluster.identifier)
        writer = self.writer(scope, cluster)
        if writer is not None and writer.status != "available":
            raise check.invalid_state(writer.identifier)
        cluster.status = "failing-over"
        self.save(scope, cluster)
        self.spawn_failover(scope, cluster.identifier, target.identifier)
        from regionbox.services.rds.clusters import describe_cluster  # the one description of a cluster
        return {"DBCluster": describe_cluster(self, scope, cluster)}

    def spawn_failover(self, scope: Scope, cluster_id: str, target_id: str) -> None:
        self.tasks.spawn(self.fail_over(scope, cluster_id, target_id), owner="rds", what=f"failing over DB cluster {cluster_id}",
                         on_failure=lambda error: self._failover_failed(scope, cluster_id, target_id, error))

    def _failover_failed(self, scope: Scope, cluster_id: str, target_id: str, error: BaseException) -> None:
        cluster = self.state.clusters.get(scope, cluster_id)
        if cluster is not None:
            self.events.record(scope, cluster_id, "db-cluster", FAILOVER_FAILED, cluster.arn, target=target_id, reason=error)
            if cluster.status == "failing-over":
                cluster.status = "available"
                self.save(scope, cluster)
            self.route(scope, cluster_id)

    async def fail_over(self, scope: Scope, cluster_id: str, target_id: str, rejoin: bool = True) -> None:
        cluster = self.cluster(scope, cluster_id)
        old, target = self.writer(scope, cluster), self.instances.get(scope, target_id)
        self.events.record(scope, cluster_id, "db-cluster", FAILOVER_STARTED, cluster.arn, target=target_id)
        proxies = self.endpoints.get((scope, cluster_id))
        if proxies is not None:
            proxies[0].set_targets([])  # no new session reaches the old writer while it hands over
        if old is not None and old.primary is not None:
            # A clean stop: the old writer's WAL senders hand every record to the readers first.
            await self.nodes.supervisor.stop(old.primary.node_id)
        await self.nodes.execute(target.primary.address, cluster.port, "SELECT pg_promote(true, 120)")
        cluster = self.cluster(scope, cluster_id)
        cluster.writer = target_id
        if cluster.status == "failing-over":
            cluster.status = "available"
        rejoining = old is not None and rejoin and old.status == "available"
        with self.state.store.transaction():
            self.save(scope, cluster)
            if rejoining:  # the old writer restarts as a reader (below): out of the reader endpoint until then
                old.status = "rebooting"
                self.instances.save(scope, old)
        self.route(scope, cluster_id, leaving=old.identifier if old is not None else None)
        self.events.record(scope, cluster_id, "db-cluster", FAILOVER_DONE, cluster.arn, target=target_id)
        for reader in self.readers(scope, cluster):
            if reader.identifier != (old.identifier if old else None) and self.nodes.running(reader.primary):
                await self.nodes.follow(reader, target)
        if rejoining:
            await self.rejoin(scope, cluster_id, old.identifier)

    async def rejoin(self, scope: Scope, cluster_id: str, identifier: str) -> None:
        """The old writer comes back as a reader: a base backup of the new writer, then its WAL."""
        instance = self.state.instances.get(scope, identifier)
        cluster = self.state.clusters.get(scope, cluster_id)
        if instance is None or cluster is None or instance.status == "deleting":
            return
        writer = self.writer(scope, cluster)
        topology = self.instances.topology
        if not topology.is_available(instance.primary.zone):
            # Its AZ is out: it must not come up as a second writer if regionbox starts again
            # meanwhile, and is cloned from the new writer once the AZ is back.
            pgdata = self.nodes.pgdata(instance.primary.node_id)
            if pgdata.exists():
                (pgdata / "standby.signal").write_text("")
            while not topology.is_available(instance.primary.zone):
                await asyncio.sleep(0.5)
            instance = self.state.instances.get(scope, identifier)
            cluster = self.state.clusters.get(scope, cluster_id)
            if instance is None or cluster is None or instance.status == "deleting":
                return
            writer = self.writer(scope, cluster)
        await self.nodes.make_standby_data(writer, instance.primary.node_id, application_name=instance.resource_id.lower())
        self.nodes.write_settings(instance.primary.node_id, self.instances.settings_of(scope, instance), False)
        await self.nodes.start(instance, instance.primary)
        instance = self.state.instances.get(scope, identifier)
        if instance is not None and instance.status == "rebooting":
            instance.status = "available"
            self.instances.save(scope, instance)
        self.route(scope, cluster_id)

    def on_engine_event(self, node: "Node", event: str) -> None:
        """The writer's AZ went out: the cluster fails over to its best reader, as Aurora does (the
        old writer rejoins as a reader when the AZ is back: ``rejoin``)."""
        if node.spec.engine != "postgres":
            return
        if event != "exited" or node.down_reason != "outage":
            return
        for scope, _, cluster in self.state.clusters.all():
            writer = self.writer(scope, cluster)
            if writer is not None and writer.primary is not None and writer.primary.node_id == node.node_id \
                    and cluster.status == "available":
                target = self.best_reader(scope, cluster)
                if target is not None:
                    cluster.status = "failing-over"
                    self.save(scope, cluster)
                    self.spawn_failover(scope, cluster.identifier, target.identifier)
                return


__all__ = ["ClusterMembers", "Messages", "cluster_invalid_state", "cluster_not_found"]
