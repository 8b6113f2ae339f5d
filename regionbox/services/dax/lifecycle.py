"""The slow half of cluster operations, run in the background after the handler answers: nodes
start (``creating`` -> ``available``, the cluster ``creating``/``modifying`` -> ``available``),
stop (``deleting``), reboot (``rebooting`` -> ``available``, cold). After a restart of regionbox
``restore`` finishes what was under way and serves every node again on its recorded address.
"""

from __future__ import annotations

import asyncio
import logging

from regionbox.core.store import Scope
from regionbox.services.dax.events import EventLog, Messages
from regionbox.services.dax.models import Cluster, DaxState
from regionbox.services.dax.nodes import Nodes

log = logging.getLogger("regionbox.dax")


class Lifecycle:
    def __init__(self, state: DaxState, nodes: Nodes, events: EventLog, tasks) -> None:
        self.state = state
        self.nodes = nodes
        self.events = events
        self.tasks = tasks
        self._locks: dict[tuple[Scope, str], asyncio.Lock] = {}

    def save(self, scope: Scope, cluster: Cluster) -> None:
        self.state.clusters.put(scope, cluster.name, cluster)

    def _current(self, scope: Scope, name: str) -> Cluster | None:
        return self.state.clusters.get(scope, name)

    # -- background work ------------------------------------------------------------------------------
    def spawn_settle(self, scope: Scope, name: str) -> None:
        self.tasks.spawn(self.settle(scope, name), owner="dax", what=f"cluster {name}",
                         on_failure=lambda error: self._failed(scope, name, error))

    def _failed(self, scope: Scope, name: str, error: BaseException) -> None:
        cluster = self._current(scope, name)
        if cluster is not None and cluster.status in ("creating", "modifying"):
            self.events.record(scope, name, "CLUSTER", Messages.CREATE_FAILED.format(reason=error))

    async def settle(self, scope: Scope, name: str) -> None:
        """Bring the cluster to what its document says: start nodes being created (or that
        should serve), stop nodes being removed, finish a deletion; then mark it available.
        One at a time per cluster: a deletion waits for the nodes being started, then stops them."""
        async with self._locks.setdefault((scope, name), asyncio.Lock()):
            await self._settle(scope, name)
        lock = self._locks.get((scope, name))
        if lock is not None and not lock.locked() and self._current(scope, name) is None:
            self._locks.pop((scope, name), None)

    async def _settle(self, scope: Scope, name: str) -> None:
        cluster = self._current(scope, name)
        if cluster is None:
            return
        if cluster.status == "deleting":
            await self._delete(scope, cluster)
            return
        for node in list(cluster.nodes):
            if node.status == "deleting":
                await self.nodes.stop(scope, name, node.node_id)
                self.nodes.forget(cluster, node)
                current = self._current(scope, name)
                if current is not None:
                    current.nodes = [n for n in current.nodes if n.node_id != node.node_id]
                    self.save(scope, current)
                continue
            await self.nodes.start(scope, cluster, node)
            current = self._current(scope, name)
            if current is None or current.status == "deleting":  # the deletion waiting stops what started
                return
            with self.state.store.transaction():  # the node's state and its event, or neither
                self._started(scope, current, node.node_id, node.address, node.port)
            cluster = current
        cluster = self._current(scope, name)
        if cluster is None or cluster.status not in ("creating", "modifying"):
            return
        if any(node.status != "available" for node in cluster.nodes):
            return  # a later change (a reboot, more nodes) settles it again
        with self.state.store.transaction():
            if cluster.status == "creating":
                self.events.record(scope, name, "CLUSTER", Messages.CLUSTER_CREATED)
            cluster.status = "available"
            if cluster.primary not in {node.node_id for node in cluster.nodes}:
                cluster.primary = self.nodes.primary(cluster) or cluster.nodes[0].node_id
            self.save(scope, cluster)

    def _started(self, scope: Scope, cluster: Cluster, node_id: str, address: str, port: int) -> None:
        """A node listens: its address is recorded, and it is available unless its zone is down
        (then it waits for the zone, its listener starting with it)."""
        for node in cluster.nodes:
            if node.node_id != node_id:
                continue
            node.address, node.port = address, port
            if node.status in ("creating", "rebooting") and self.nodes.topology.is_available(node.zone):
                if node.status == "creating" and cluster.status != "creating":
                    self.events.record(scope, cluster.name, "CLUSTER",
                                       Messages.NODE_ADDED.format(node=node_id, zone=node.zone))
                elif node.status == "rebooting":
                    self.events.record(scope, cluster.name, "CLUSTER", Messages.NODE_REBOOTED.format(node=node_id))
                node.status = "available"
        self.save(scope, cluster)

    async def _delete(self, scope: Scope, cluster: Cluster) -> None:
        for node in cluster.nodes:
            await self.nodes.stop(scope, cluster.name, node.node_id)
            self.nodes.forget(cluster, node)
        self.nodes.release(cluster)
        with self.state.store.transaction():
            self.state.clusters.delete(scope, cluster.name)
            self.events.record(scope, cluster.name, "CLUSTER", Messages.CLUSTER_DELETED)

    async def reboot(self, scope: Scope, name: str, node_id: str) -> None:
        """The node stops (its connections drop) and starts again with an empty cache."""
        async with self._locks.setdefault((scope, name), asyncio.Lock()):
            await self.nodes.stop(scope, name, node_id)
            await self._settle(scope, name)

    def spawn_reboot(self, scope: Scope, name: str, node_id: str) -> None:
        self.tasks.spawn(self.reboot(scope, name, node_id), owner="dax", what=f"rebooting {node_id}",
                         on_failure=lambda error: self._failed(scope, name, error))

    def forget_all(self) -> None:
        self._locks.clear()

    # -- after a restart of regionbox ---------------------------------------------------------------------
    async def restore(self) -> None:
        clusters = list(self.state.clusters.all())
        for _, _, cluster in clusters:
            self.nodes.reserve(cluster)
        for scope, name, cluster in clusters:
            try:
                await self.settle(scope, name)
            except OSError:
                log.exception("DAX cluster %s could not serve again", name)
