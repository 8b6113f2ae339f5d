"""AWS/RDS metrics in CloudWatch, per DBInstanceIdentifier, from the same measurements as Enhanced
Monitoring (the primary's process tree, the host) and Performance Insights (sampled sessions):

- every ``rds_metrics_interval`` seconds (AWS: 60) for each available instance: CPUUtilization,
  FreeableMemory, ReadIOPS, WriteIOPS, ReadThroughput, WriteThroughput, DatabaseConnections
  (client sessions, not regionbox's own), FreeStorageSpace (allocated storage less the databases
  and WAL), and with Performance Insights on, DBLoad, DBLoadCPU, DBLoadNonCPU averaged over the
  interval from the sampler's seconds;
- every second with Performance Insights on, DBLoad, DBLoadCPU, DBLoadNonCPU as high-resolution
  points (``per_second``, called by the sampler).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable

import psycopg

from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.rds.models import DBInstance
from regionbox.services.rds.os_metrics import OsCollector
from regionbox.services.rds.postgres import PostgresNodes
from regionbox.services.rds.instance_loops import InstanceLoops

log = logging.getLogger("regionbox.rds")
NAMESPACE = "AWS/RDS"
SESSIONS = """SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND application_name <> 'rdsadmin'
    AND pid <> pg_backend_pid()"""
USED = """SELECT (SELECT sum(pg_database_size(oid)) FROM pg_database) + (SELECT coalesce(sum(size), 0) FROM pg_ls_waldir())"""


class CloudWatchMetrics:
    def __init__(self, nodes: PostgresNodes, tasks: Tasks, cloudwatch: Callable[[], Any],
                 lookup: Callable[[Scope, str], DBInstance | None], load: Callable[[str, int, int], list[tuple]],
                 interval: Callable[[], float]) -> None:
        self.nodes = nodes
        self.tasks = tasks
        self.cloudwatch = cloudwatch
        self.lookup = lookup
        self.load = load
        self.interval = interval
        self.loops = InstanceLoops(tasks, "CloudWatch metrics")

    def on_instance(self, scope: Scope, instance: DBInstance | None, identifier: str) -> None:
        wanted = instance is not None and instance.status == "available"
        self.loops.keep(scope, identifier, wanted, lambda: self._loop(scope, identifier))

    def per_second(self, scope: Scope, identifier: str, second: int, sessions: int, on_cpu: int) -> None:
        self._put(scope, identifier, {"DBLoad": sessions, "DBLoadCPU": on_cpu, "DBLoadNonCPU": sessions - on_cpu},
                  "None", second, resolution=1)

    def _put(self, scope: Scope, identifier: str, values: dict[str, float], unit: str | dict, at: float,
             resolution: int = 60) -> None:
        api = self.cloudwatch()
        for name, value in values.items():
            api.put(scope[0], scope[1], NAMESPACE, name, {"DBInstanceIdentifier": identifier}, value,
                    unit if isinstance(unit, str) else unit.get(name, "None"), at, resolution)

    async def _loop(self, scope: Scope, identifier: str) -> None:
        collector = OsCollector()
        interval = self.interval()
        # The baseline reading (rates need one) waits a little: an instance's first seconds belong to
        # Enhanced Monitoring's and PI's first readings, which scan the same /proc.
        await asyncio.sleep(min(interval, 5.0))
        await self._sample(scope, identifier, collector, first=True)
        next_at = time.time() + interval
        while True:
            await asyncio.sleep(max(next_at - time.time(), 0.05))
            next_at += interval
            try:
                await self._sample(scope, identifier, collector)
            except Exception:  # noqa: BLE001 - one missed sample must not end the metrics
                log.exception("CloudWatch metrics of %s failed once", identifier)

    async def _sample(self, scope: Scope, identifier: str, collector: OsCollector, first: bool = False) -> None:
        instance = self.lookup(scope, identifier)
        if instance is None or instance.primary is None:
            return
        node_id = instance.primary.node_id
        node = self.nodes.supervisor.node(node_id)
        document = await asyncio.to_thread(collector.document, node.pid if node else None, identifier, instance.resource_id,
                                           self.nodes.pgdata(node_id), node.started_at if node else 0.0)
        if first:
            return  # rates need a previous reading
        now = time.time()
        disk = document["diskIO"][0]
        values = {"CPUUtilization": document["cpuUtilization"]["total"],
                  "FreeableMemory": document["memory"]["free"] * 1024.0,
                  "ReadIOPS": disk["readIOsPS"], "WriteIOPS": disk["writeIOsPS"],
                  "ReadThroughput": disk["readKbPS"] * 1024.0, "WriteThroughput": disk["writeKbPS"] * 1024.0}
        units = {"CPUUtilization": "Percent", "FreeableMemory": "Bytes", "ReadIOPS": "Count/Second",
                 "WriteIOPS": "Count/Second", "ReadThroughput": "Bytes/Second", "WriteThroughput": "Bytes/Second",
                 "DatabaseConnections": "Count", "FreeStorageSpace": "Bytes"}
        try:
            connection = await self.nodes.connect(instance.primary.address, instance.port, timeout=2)
            try:
                values["DatabaseConnections"] = float((await (await connection.execute(SESSIONS)).fetchone())[0])
                used = (await (await connection.execute(USED)).fetchone())[0]
                values["FreeStorageSpace"] = max(instance.allocated_storage * 2.0 ** 30 - float(used or 0), 0.0)
            finally:
                await connection.close()
        except (psycopg.Error, OSError):
            pass  # down (a failover, a reboot): no database figures this time, as CloudWatch shows a gap
        if instance.performance_insights:
            rows = self.load(instance.resource_id, int(now - self.interval()), int(now))
            seconds = max(int(self.interval()), 1)
            total = sum(row[-1] for row in rows)
            cpu = sum(row[-1] for row in rows if row[2] == "CPU")
            values.update({"DBLoad": total / seconds, "DBLoadCPU": cpu / seconds, "DBLoadNonCPU": (total - cpu) / seconds})
        self._put(scope, identifier, values, units, now)

    def stop_all(self) -> None:
        self.loops.stop_all()
