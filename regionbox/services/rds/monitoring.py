"""Enhanced Monitoring: every MonitoringInterval seconds, one JSON document of the primary's OS
metrics (``os_metrics.py``) in CloudWatch Logs, group ``RDSOSMetrics``, stream = DbiResourceId,
as RDS delivers them. One loop per instance with monitoring on, started and stopped as the
instance's settings and status change (``Instances.watchers``)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Callable

from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.rds.models import DBInstance
from regionbox.services.rds.os_metrics import OsCollector
from regionbox.services.rds.postgres import PostgresNodes
from regionbox.services.rds.instance_loops import InstanceLoops

log = logging.getLogger("regionbox.rds")
GROUP = "RDSOSMetrics"


class EnhancedMonitoring:
    def __init__(self, nodes: PostgresNodes, tasks: Tasks, logs: Callable[[], Any],
                 lookup: Callable[[Scope, str], DBInstance | None]) -> None:
        self.nodes = nodes
        self.lookup = lookup
        self.tasks = tasks
        self.logs = logs
        self.loops = InstanceLoops(tasks, "Enhanced Monitoring")

    def on_instance(self, scope: Scope, instance: DBInstance | None, identifier: str) -> None:
        interval = instance.monitoring_interval if instance is not None and instance.status == "available" else 0
        self.loops.keep(scope, identifier, interval,
                        lambda: self._loop(scope, identifier, instance.resource_id, interval))

    async def _loop(self, scope: Scope, identifier: str, resource_id: str, interval: int) -> None:
        collector = OsCollector()
        state = self.nodes.supervisor
        next_at = time.time()
        while True:
            node_id = self._primary_node(scope, identifier)
            node = state.node(node_id) if node_id else None
            try:
                document = await asyncio.to_thread(collector.document, node.pid if node else None, identifier, resource_id,
                                                   self.nodes.pgdata(node_id) if node_id else self.nodes.root,
                                                   node.started_at if node else 0.0)
                self.logs().append(scope[0], scope[1], GROUP, resource_id, [(int(time.time() * 1000), json.dumps(document))])
            except Exception:  # noqa: BLE001 - one missed document must not end monitoring
                log.exception("Enhanced Monitoring of %s failed once", identifier)
            next_at += interval
            await asyncio.sleep(max(next_at - time.time(), 0.05))

    def _primary_node(self, scope: Scope, identifier: str) -> str | None:
        instance = self.lookup(scope, identifier)
        return instance.primary.node_id if instance is not None and instance.primary is not None else None

    def stop_all(self) -> None:
        self.loops.stop_all()
