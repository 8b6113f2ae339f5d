"""AWS/DAX metrics in CloudWatch, per node (ClusterId, NodeId) and per cluster (ClusterId), from
the nodes' own counters (``dataplane``), every ``dax_metrics_interval`` seconds (AWS: one minute).

Request and cache counters are published as what happened since the last time (Count, Sum over
the interval); ClientConnections, EstimatedDbSize and CacheMemoryUtilization as they are now. As
AWS says, DAX sends a metric only when its value is not zero. A node that rebooted starts its
counters again from zero: its first interval after that counts from there.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

from regionbox.core.store import Scope
from regionbox.services.dax.models import DaxState
from regionbox.services.dax.nodes import Nodes

log = logging.getLogger("regionbox.dax")

NAMESPACE = "AWS/DAX"
# The node's counter -> the AWS/DAX metric it is (AWS counts transactions without "Request").
COUNTED = {name: name for name in (
    "TotalRequestCount", "ErrorRequestCount", "FaultRequestCount", "ItemCacheHits", "ItemCacheMisses",
    "QueryCacheHits", "QueryCacheMisses", "ScanCacheHits", "ScanCacheMisses", "GetItemRequestCount",
    "PutItemRequestCount", "UpdateItemRequestCount", "DeleteItemRequestCount", "QueryRequestCount",
    "ScanRequestCount", "BatchGetItemRequestCount", "BatchWriteItemRequestCount")}
COUNTED.update(TransactGetItemsRequestCount="TransactGetItemsCount", TransactWriteItemsRequestCount="TransactWriteItemsCount")


class DaxMetrics:
    def __init__(self, state: DaxState, nodes: Nodes, cloudwatch: Callable[[], object], interval: Callable[[], float]) -> None:
        self.state = state
        self.nodes = nodes
        self.cloudwatch = cloudwatch
        self.interval = interval
        self.seen: dict[tuple, dict[str, int]] = {}  # (scope, cluster, node) -> counters last published

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval())
            try:
                self.publish()
            except Exception:  # noqa: BLE001 - one bad reading must not stop the metrics
                log.exception("DAX metrics")

    def publish(self) -> None:
        put = self.cloudwatch().put
        for scope, name, cluster in self.state.clusters.all():
            totals: dict[str, float] = {}
            for node in cluster.nodes:
                for metric, value, unit in self._node_figures(scope, cluster.name, node.node_id):
                    totals[metric] = totals.get(metric, 0) + value
                    if value:
                        put(*scope, NAMESPACE, metric, {"ClusterId": cluster.name, "NodeId": node.node_id}, value, unit)
            memory = self.nodes.settings(scope, name).memory_bytes * max(1, len(cluster.nodes))
            if "EstimatedDbSize" in totals and memory:
                totals["CacheMemoryUtilization"] = 100.0 * totals["EstimatedDbSize"] / memory
            for metric, value in totals.items():
                if value:
                    put(*scope, NAMESPACE, metric, {"ClusterId": cluster.name}, value, _unit(metric))

    def _node_figures(self, scope: Scope, cluster: str, node_id: str) -> list[tuple[str, float, str]]:
        now = self.nodes.metrics(scope, cluster, node_id)
        if not now:
            return []
        key = (scope, cluster, node_id)
        before = self.seen.get(key, {})
        if now.get("TotalRequestCount", 0) < before.get("TotalRequestCount", 0):
            before = {}  # the node restarted: its counters began again
        self.seen[key] = now
        figures = [(metric, float(now.get(counter, 0) - before.get(counter, 0)), "Count")
                   for counter, metric in COUNTED.items()]
        failed = sum(value for metric, value, _ in figures if metric in ("ErrorRequestCount", "FaultRequestCount"))
        figures.append(("FailedRequestCount", failed, "Count"))
        figures.append(("ClientConnections", float(now.get("ClientConnections", 0)), "Count"))
        figures.append(("EstimatedDbSize", float(now.get("CacheMemoryBytes", 0)), "Bytes"))
        memory = self.nodes.settings(scope, cluster).memory_bytes
        if memory:
            figures.append(("CacheMemoryUtilization", 100.0 * now.get("CacheMemoryBytes", 0) / memory, "Percent"))
        return figures


def _unit(metric: str) -> str:
    return {"EstimatedDbSize": "Bytes", "CacheMemoryUtilization": "Percent"}.get(metric, "Count")
