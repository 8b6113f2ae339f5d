"""What ElastiCache does when the cloud starts, stops and resets, and the little it offers others
(``cloud.services.api("elasticache")``). Which engines run (real or embedded) and where the local
CA is, `regionbox status` learns from the cloud itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.engines import Node
from regionbox.services.elasticache.cache_clusters import CacheClusters
from regionbox.services.elasticache.events import EventLog, Messages
from regionbox.services.elasticache.failover import Failover
from regionbox.services.elasticache.members import MemberClusters
from regionbox.services.elasticache.nodes import RedisNodes
from regionbox.services.elasticache.replication_groups import ReplicationGroups
from regionbox.services.elasticache.automatic_snapshots import AutomaticSnapshots
from regionbox.services.elasticache.snapshots import Snapshots
from regionbox.services.elasticache.state import ElastiCacheState
from regionbox.services.elasticache.serverless import ServerlessCaches
from regionbox.services.elasticache.serverless_migration import ServerlessMigrations
from regionbox.services.elasticache.users import Users

if TYPE_CHECKING:
    from regionbox.core.tls import LocalCA
    from regionbox.engines import Supervisor


class Lifecycle:
    """Service.start / stop / reset: claim and restore the engines in state, close what listens."""

    def __init__(self, state: ElastiCacheState, ca: "LocalCA", supervisor: "Supervisor", replication_groups: ReplicationGroups,
                 failover: Failover, cache_clusters: CacheClusters, members: MemberClusters, snapshots: Snapshots,
                 automatic: AutomaticSnapshots, users: Users, serverless: ServerlessCaches, migrations: ServerlessMigrations,
                 events: EventLog, tasks: Tasks) -> None:
        self.state = state
        self.migrations = migrations
        self.users = users
        self.serverless = serverless
        self.snapshots = snapshots
        self.automatic = automatic
        self.ca = ca
        self.supervisor = supervisor
        self.replication_groups = replication_groups
        self.failover = failover
        self.cache_clusters = cache_clusters
        self.members = members
        self.events = events
        self.tasks = tasks

    def _claim_nodes(self) -> None:
        """Tell the supervisor which engine nodes are ours, before any starts: the ones an earlier
        run left running (it was killed) are adopted with their data instead of being reaped, as
        they run (settings changed at runtime, or a Memcached parameter waiting for a reboot, are
        no reason to lose a node's data); what became of each is kept for the restore to decide
        what a node that died comes back with (``failover.py``, ``cache_clusters.py``).
        Nodes on their way out (deleting, create-failed) are not claimed: they are reaped."""
        groups = {(scope, key): rg.status for scope, key, rg in self.state.replication_groups.all()}
        for scope, _, cluster in self.state.cache_clusters.all():
            status = groups.get((scope, cluster.replication_group_id), "") if cluster.replication_group_id else cluster.status
            if (status in ("deleting", "create-failed") or cluster.status in ("deleting", "create-failed")) and \
                    not self.snapshots.pending_final(scope, cluster.replication_group_id or cluster.cluster_id):
                continue
            for node in cluster.nodes:
                if node.engine_node_key and node.status != "deleting":
                    self.state.survival[node.engine_node_key] = self.supervisor.claim(node.engine_node_key, as_is=True)

    async def start(self) -> None:
        """Bring back every group's and cluster's nodes and endpoints after a restart."""
        # The CA exists from the start, so `regionbox ca-cert` can print it before the first TLS
        # cluster is created (clients configure their trust store once).
        self.ca.ensure()
        self._claim_nodes()
        for scope, group_id, rg in list(self.state.replication_groups.all()):
            self.tasks.spawn(self._restore_group(scope, rg), owner="elasticache", what=f"restoring {group_id}",
                             on_failure=lambda error, scope=scope, group_id=group_id: self.events.record(
                                 scope, group_id, "replication-group", Messages.RESTORE_FAILED.format(group=group_id, reason=error)))
        await self.cache_clusters.restore()
        self.snapshots.resume()
        self.serverless.snapshots.engine.resume()
        self.serverless.resume()
        self.migrations.resume()
        self.users.finish_deletions()
        self.automatic.start()

    async def _restore_group(self, scope: Scope, rg) -> None:
        """A group's survivors first (adopted, data kept), then the members that died while
        regionbox was down, each as failover's rules say, then its interrupted work."""
        for cluster_id in await self.replication_groups.restore_nodes(scope, rg):
            await self.failover.bring_back(scope, rg.replication_group_id, cluster_id)
        self.replication_groups.finish_interrupted(scope, rg.replication_group_id)

    def _close_endpoints(self) -> None:
        self.members.close_all_endpoints()
        self.cache_clusters.close_all_configuration_endpoints()

    async def stop(self) -> None:
        await self.tasks.cancel("elasticache")
        self._close_endpoints()

    async def reset(self) -> None:
        await self.tasks.cancel("elasticache")
        self._close_endpoints()
        self.state.forget_runtime()
        self.snapshots.files.reset()
        self.automatic.start()


class ElastiCacheApi:
    """What ElastiCache offers others: the engine process behind a cache node (tools and tests
    kill it to watch the recovery AWS would do)."""

    def __init__(self, state: ElastiCacheState, nodes: RedisNodes) -> None:
        self._state = state
        self._nodes = nodes

    def node(self, scope: Scope, cache_cluster_id: str, cache_node_id: str = "0001") -> Node | None:
        cluster = self._state.cache_clusters.get(scope, cache_cluster_id)
        if cluster is None:
            return None
        node = next((n for n in cluster.nodes if n.node_id == cache_node_id), None)
        return self._nodes.supervisor.node(node.engine_node_key) if node is not None and node.engine_node_key else None
