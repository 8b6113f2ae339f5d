"""The running nodes of DAX clusters: one data-plane server (``dataplane.NodeServer``) per node,
each on a loopback address of its own in its AZ (``cloud.listeners``), on DAX's port (8111, or
9111 with encryption in transit, served under the local CA).

A cluster's discovery endpoint is one more address that every node of the cluster also listens
on (SO_REUSEPORT), as AWS's discovery DNS name answers with the nodes that are up: a client that
connects there reaches a live node, asks it for the cluster's ``endpoints`` and then talks to
the nodes directly. An AZ outage stops that zone's nodes (the listeners do it); the node is
reported unavailable, a replica takes over as primary if the primary was there, and when the
zone comes back the node serves again with an empty cache, as a replaced node does.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from regionbox.core import clock
from regionbox.core.store import Scope
from regionbox.services.dax import validation as check
from regionbox.services.dax.dataplane import CacheSettings, NodeEndpoint, NodeServer
from regionbox.services.dax.events import EventLog, Messages
from regionbox.services.dax.models import Cluster, DaxState, Node
from regionbox.services.dax.parameters import values_of

if TYPE_CHECKING:
    from regionbox.core.listeners import Listener

log = logging.getLogger("regionbox.dax")

PORT, TLS_PORT = 8111, 9111
NodeKey = tuple[Scope, str, str]  # (scope, cluster name, node id)


def port_of(encryption_type: str) -> int:
    return TLS_PORT if encryption_type == "TLS" else PORT


@dataclass
class ClusterNodeView:
    """What a node's server reads about itself and its cluster, live (dataplane.NodeView)."""

    nodes: "Nodes"
    scope: Scope
    cluster_name: str
    node_id: str

    @property
    def account(self) -> str:
        return self.scope[0]

    @property
    def region(self) -> str:
        return self.scope[1]

    @property
    def role_arn(self) -> str:
        cluster = self.nodes.state.clusters.get(self.scope, self.cluster_name)
        return cluster.role_arn if cluster is not None else ""

    def settings(self) -> CacheSettings:
        return self.nodes.settings(self.scope, self.cluster_name)

    def endpoints(self) -> list[NodeEndpoint]:
        return self.nodes.endpoints(self.scope, self.cluster_name)


class Nodes:
    def __init__(self, state: DaxState, cloud, events: EventLog, tls_root: Path) -> None:
        self.state = state
        self.cloud = cloud
        self.events = events
        self.tls_root = tls_root
        self.servers: dict[NodeKey, NodeServer] = {}
        self.listeners: dict[NodeKey, "Listener"] = {}

    @property
    def topology(self):
        return self.cloud.topology

    # -- what nodes read ---------------------------------------------------------------------------
    def settings(self, scope: Scope, cluster_name: str) -> CacheSettings:
        cluster = self.state.clusters.get(scope, cluster_name)
        if cluster is None:
            return CacheSettings(300000, 300000, check.memory_bytes(""))
        values = values_of(self.state.parameter_group(scope, cluster.parameter_group))
        return CacheSettings(record_ttl_ms=values["record-ttl-millis"], query_ttl_ms=values["query-ttl-millis"],
                             memory_bytes=check.memory_bytes(cluster.node_type))

    def serving(self, node: Node) -> bool:
        return node.status == "available" and self.topology.is_available(node.zone)

    def endpoints(self, scope: Scope, cluster_name: str) -> list[NodeEndpoint]:
        cluster = self.state.clusters.get(scope, cluster_name)
        if cluster is None:
            return []
        primary = self.primary(cluster)
        return [NodeEndpoint(node.node_id, node.address, node.port, node.zone,
                             "primary" if node.node_id == primary else "replica")
                for node in cluster.nodes if self.serving(node)]

    def primary(self, cluster: Cluster) -> str:
        """The node that takes writes: the recorded primary while it serves, else the first node
        that does (DAX promotes a replica when the primary fails)."""
        live = [node.node_id for node in cluster.nodes if self.serving(node)]
        if cluster.primary in live or not live:
            return cluster.primary
        return live[0]

    def node_status(self, node: Node) -> str:
        # A node whose AZ is down is not serving; DAX replaces it and reports it failed meanwhile.
        if node.status == "available" and not self.topology.is_available(node.zone):
            return "failed"
        return node.status

    def metrics(self, scope: Scope, cluster_name: str, node_id: str) -> dict[str, int]:
        server = self.servers.get((scope, cluster_name, node_id))
        return server.metrics() if server is not None else {}

    # -- starting and stopping ---------------------------------------------------------------------
    def _tls(self, cluster: Cluster, node: Node) -> ssl.SSLContext | None:
        if cluster.encryption_type != "TLS":
            return None
        addresses = [address for address in (node.address, cluster.discovery_address) if address]
        # Named by the addresses it certifies: a certificate is kept on disk and reused by the
        # node after a restart, and never by another node given one of its addresses later.
        cert, key = self.cloud.ca.issue(self.tls_directory(cluster, node), addresses)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert), str(key))
        return context

    def tls_directory(self, cluster: Cluster, node: Node) -> Path:
        return self.tls_root / f"{node.address}-{cluster.discovery_address or 'node'}"

    def allocate(self, cluster: Cluster) -> None:
        """The discovery endpoint's address; nodes get theirs when they start."""
        if self.cloud.addresses.enabled and not cluster.discovery_address:
            cluster.discovery_address = self.cloud.addresses.allocate(cluster.port)[0]

    async def start(self, scope: Scope, cluster: Cluster, node: Node) -> None:
        """Serve the node (again) on its recorded address, or a fresh one; a new server: cold."""
        key = (scope, cluster.name, node.node_id)
        if key in self.listeners:
            return
        if not node.address:  # the address first, so that the certificate can name it
            node.address, node.port = self.cloud.addresses.allocate(cluster.port)
        context = await asyncio.to_thread(self._tls, cluster, node)
        server = NodeServer(self.cloud, ClusterNodeView(self, scope, cluster.name, node.node_id))
        shared = cluster.discovery_address if self.cloud.addresses.enabled and cluster.discovery_address else None
        listener = await self.cloud.listeners.open_tcp(owner="dax", zone=node.zone, port=node.port, handle=server.handle,
                                                       ssl=context, address=node.address, shared_address=shared)
        self.servers[key], self.listeners[key] = server, listener

    def forget(self, cluster: Cluster, node: Node) -> None:
        """A node removed for good: its address and certificate go."""
        if node.address:
            self.cloud.addresses.release(node.address, node.port)
            shutil.rmtree(self.tls_directory(cluster, node), ignore_errors=True)

    async def stop(self, scope: Scope, cluster_name: str, node_id: str) -> None:
        key = (scope, cluster_name, node_id)
        listener = self.listeners.pop(key, None)
        server = self.servers.pop(key, None)
        if server is not None:
            server.clear()
        if listener is not None:
            await self.cloud.listeners.close(listener)

    def release(self, cluster: Cluster) -> None:
        if cluster.discovery_address:
            self.cloud.addresses.release(cluster.discovery_address, cluster.port)

    def forget_all(self) -> None:
        self.servers.clear()
        self.listeners.clear()

    async def stop_all(self) -> None:
        for scope, cluster_name, node_id in list(self.listeners):
            await self.stop(scope, cluster_name, node_id)

    def reserve(self, cluster: Cluster) -> None:
        """After a restart: the cluster's addresses are its own again before anything allocates."""
        if cluster.discovery_address:
            self.cloud.addresses.reserve(cluster.discovery_address, cluster.port)
        for node in cluster.nodes:
            if node.address:
                self.cloud.addresses.reserve(node.address, node.port)

    # -- AZ outages ----------------------------------------------------------------------------------
    def on_outage(self, zone: str, save: Callable[[Scope, Cluster], None]) -> None:
        for scope, _, cluster in list(self.state.clusters.all()):
            lost = [node for node in cluster.nodes if node.zone == zone and node.status == "available"]
            if not lost:
                continue
            for node in lost:
                self.events.record(scope, cluster.name, "CLUSTER", Messages.NODE_FAILED.format(node=node.node_id, zone=zone))
            primary = self.primary(cluster)
            if primary != cluster.primary:
                cluster.primary = primary
                save(scope, cluster)
                self.events.record(scope, cluster.name, "CLUSTER", Messages.PRIMARY_CHANGED.format(node=primary))

    def on_restore(self, zone: str, settle: Callable[[Scope, str], None]) -> None:
        for scope, _, cluster in list(self.state.clusters.all()):
            if any(node.zone == zone and node.status in ("creating", "rebooting") for node in cluster.nodes):
                settle(scope, cluster.name)  # nodes that waited for their zone
            for node in cluster.nodes:
                server = self.servers.get((scope, cluster.name, node.node_id))
                if node.zone == zone and server is not None and node.status == "available":
                    server.clear()  # the replacement node starts cold
                    self.events.record(scope, cluster.name, "CLUSTER", Messages.NODE_RECOVERED.format(node=node.node_id))


def new_node(cluster: Cluster, zone: str) -> Node:
    """The next node of a cluster: DAX names them <cluster>-a, <cluster>-b, ... and never reuses a letter."""
    index = cluster.next_node
    cluster.next_node += 1
    suffix = ""
    while True:
        suffix = chr(ord("a") + index % 26) + suffix
        index = index // 26 - 1
        if index < 0:
            break
    return Node(node_id=f"{cluster.name}-{suffix}", zone=zone, port=cluster.port, created=clock.epoch())
