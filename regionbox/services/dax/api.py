"""What DAX offers the rest of the cloud (``cloud.services.api("dax")``): what a cluster's nodes
are told, read-only: the cache settings they run with and the live nodes a client is given."""

from __future__ import annotations

from regionbox.services.dax.dataplane import CacheSettings, NodeEndpoint
from regionbox.services.dax.nodes import Nodes


class DaxApi:
    def __init__(self, nodes: Nodes) -> None:
        self._nodes = nodes

    def settings(self, account: str, region: str, cluster_name: str) -> CacheSettings:
        return self._nodes.settings((account, region), cluster_name.lower())

    def endpoints(self, account: str, region: str, cluster_name: str) -> list[NodeEndpoint]:
        return self._nodes.endpoints((account, region), cluster_name.lower())

    def metrics(self, account: str, region: str, cluster_name: str) -> dict[str, dict[str, int]]:
        """Each node's data-plane counters (node id -> name -> value)."""
        cluster = self._nodes.state.clusters.get((account, region), cluster_name.lower())
        if cluster is None:
            return {}
        return {node.node_id: self._nodes.metrics((account, region), cluster.name, node.node_id) for node in cluster.nodes}
