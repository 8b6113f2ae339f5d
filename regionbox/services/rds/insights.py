"""Performance Insights' sampler: once a second, the active sessions of every instance with PI on
(``pg_stat_activity`` on its primary, over one kept admin connection), and the counters PI offers
(``pg_stat_database`` per second, the host's CPU and memory). Stored compactly in SQLite, one row
per second and distinct (wait event, SQL, user, host, application, database) with its session
count; the ``pi`` service aggregates them. A session active with no wait event is on CPU, as PI
counts PostgreSQL's load."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from typing import Callable

import psycopg

from regionbox.core.store import Scope, Store
from regionbox.core.tasks import Tasks
from regionbox.services.rds.models import DBInstance
from regionbox.services.rds.os_metrics import _cpu_times, _meminfo
from regionbox.services.rds.postgres import PostgresNodes
from regionbox.services.rds.instance_loops import InstanceLoops

log = logging.getLogger("regionbox.rds")

SCHEMA = """
CREATE TABLE IF NOT EXISTS rds_pi_load (resource_id TEXT NOT NULL, second INTEGER NOT NULL, wait_event TEXT, wait_type TEXT,
    sql_id TEXT, db_user TEXT, host TEXT, application TEXT, db TEXT, sessions INTEGER NOT NULL, tokenized_id TEXT);
CREATE INDEX IF NOT EXISTS rds_pi_load_at ON rds_pi_load (resource_id, second);
CREATE TABLE IF NOT EXISTS rds_pi_sql (resource_id TEXT NOT NULL, kind TEXT NOT NULL, sql_id TEXT NOT NULL,
    statement TEXT NOT NULL, PRIMARY KEY (resource_id, kind, sql_id));
CREATE TABLE IF NOT EXISTS rds_pi_counters (resource_id TEXT NOT NULL, second INTEGER NOT NULL, metric TEXT NOT NULL,
    value REAL NOT NULL);
CREATE INDEX IF NOT EXISTS rds_pi_counters_at ON rds_pi_counters (resource_id, metric, second);
"""
ACTIVE = """SELECT coalesce(wait_event, 'CPU'), coalesce(wait_event_type, 'CPU'), query_id::text, query, usename,
    coalesce(host(client_addr), ''), application_name, datname
FROM pg_stat_activity WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()"""
# PI's db.* counter metrics for PostgreSQL: name -> pg_stat_database column (summed over databases).
COUNTERS = {
    "db.Transactions.xact_commit": "xact_commit", "db.Transactions.xact_rollback": "xact_rollback",
    "db.SQL.tup_fetched": "tup_fetched", "db.SQL.tup_returned": "tup_returned", "db.SQL.tup_inserted": "tup_inserted",
    "db.SQL.tup_updated": "tup_updated", "db.SQL.tup_deleted": "tup_deleted", "db.IO.blks_read": "blks_read",
    "db.Cache.blks_hit": "blks_hit", "db.Concurrency.deadlocks": "deadlocks", "db.Temp.temp_bytes": "temp_bytes",
}
GAUGES = {"db.User.numbackends": "numbackends"}
OS_METRICS = ("os.cpuUtilization.total", "os.cpuUtilization.user", "os.cpuUtilization.system", "os.memory.free",
              "os.memory.total")
RETENTION_DAYS = 7


def sql_id(text: str) -> str:
    """db.sql.id: a digest of the statement as it was sent."""
    return hashlib.sha1(text.encode()).hexdigest()[:16].upper()


NORMALIZED = "SELECT queryid::text, query FROM pg_stat_statements WHERE queryid::text = ANY(%s)"


class Sampler:
    def __init__(self, store: Store, nodes: PostgresNodes, tasks: Tasks, lookup: Callable[[Scope, str], DBInstance | None]) -> None:
        self.store = store
        self.nodes = nodes
        self.tasks = tasks
        self.lookup = lookup
        self.loops = InstanceLoops(tasks, "Performance Insights sampling")
        # Called each sampled second with (scope, identifier, second, active sessions, sessions on CPU):
        # CloudWatch's high-resolution DBLoad.
        self.on_sample: list[Callable[[Scope, str, int, int, int], None]] = []
        store.db.executescript(SCHEMA)
        store.on_reset(lambda: [store.db.execute(f"DELETE FROM {t}") for t in ("rds_pi_load", "rds_pi_sql", "rds_pi_counters")])

    def on_instance(self, scope: Scope, instance: DBInstance | None, identifier: str) -> None:
        wanted = instance is not None and instance.performance_insights and instance.status == "available"
        self.loops.keep(scope, identifier, wanted, lambda: self._loop(scope, identifier))

    async def _loop(self, scope: Scope, identifier: str) -> None:
        connection: psycopg.AsyncConnection | None = None
        address = None
        previous: dict[str, float] = {}
        cpu_before = _cpu_times()
        # db.sql_tokenized: the server's query id (pg_stat_statements), whose text with its
        # constants replaced by $1, $2 ... is known once the statement has finished once.
        tokenized: set[str] = set()
        pending: dict[str, None] = {}  # ids seen whose normalized text is not known yet, oldest first
        next_at = time.time()
        try:
            while True:
                instance = self.lookup(scope, identifier)
                if instance is None:
                    return
                primary = instance.primary
                second = int(time.time())
                try:
                    if connection is None or address != primary.address or connection.closed:
                        if connection is not None:
                            await connection.close()
                        address = primary.address
                        connection = await self.nodes.connect(primary.address, instance.port, timeout=2)
                    sessions = await (await connection.execute(ACTIVE)).fetchall()
                    columns = ", ".join(f"sum({c})" for c in [*COUNTERS.values(), *GAUGES.values()])
                    totals = await (await connection.execute(f"SELECT {columns} FROM pg_stat_database")).fetchone()
                    for row in sessions:
                        if row[2] and row[2] not in tokenized:
                            pending[row[2]] = None
                    while len(pending) > 200:
                        pending.pop(next(iter(pending)))
                    normalized = await (await connection.execute(NORMALIZED, (list(pending),))).fetchall() if pending else []
                    for query_id, _ in normalized:
                        tokenized.add(query_id)
                        pending.pop(query_id, None)
                except (psycopg.Error, OSError):
                    # Down (a failover, a reboot): no sessions to count; reconnect next second.
                    if connection is not None:
                        await connection.close()
                    connection = None
                    sessions, totals, normalized = [], None, []
                cpu_now = _cpu_times()
                self._store(instance.resource_id, second, sessions, totals, previous, cpu_before, cpu_now, normalized,
                            instance.pi_retention)
                cpu_before = cpu_now
                on_cpu = sum(1 for row in sessions if row[1] == "CPU")
                for listener in self.on_sample:
                    listener(scope, identifier, second, len(sessions), on_cpu)
                next_at += 1
                await asyncio.sleep(max(next_at - time.time(), 0.05))
        finally:
            if connection is not None:
                await connection.close()

    def _store(self, resource_id: str, second: int, sessions: list, totals, previous: dict, cpu_before, cpu_now,
               normalized: list, retention_days: int = RETENTION_DAYS) -> None:
        groups: dict[tuple, int] = {}
        statements: dict[tuple[str, str], str] = {}
        for wait_event, wait_type, query_id, query, user, host, application, db in sessions:
            identifier = sql_id(query or "")
            token = query_id or identifier
            statements[("sql", identifier)] = query or ""
            statements[("tok", token)] = query or ""  # until pg_stat_statements has its normalized text
            key = (wait_event, wait_type, identifier, user or "", host, application or "", db or "", token)
            groups[key] = groups.get(key, 0) + 1
        counters: list[tuple[str, float]] = []
        if totals is not None:
            values = dict(zip([*COUNTERS, *GAUGES], [float(v or 0) for v in totals]))
            for name in COUNTERS:
                if name in previous:
                    counters.append((name, max(values[name] - previous[name], 0.0)))
                previous[name] = values[name]
            counters += [(name, values[name]) for name in GAUGES]
        delta = [a - b for a, b in zip(cpu_now, cpu_before)]
        total = sum(delta) or 1
        mem = _meminfo()
        counters += [("os.cpuUtilization.total", 100 * (total - delta[3] - delta[4]) / total),
                     ("os.cpuUtilization.user", 100 * delta[0] / total), ("os.cpuUtilization.system", 100 * delta[2] / total),
                     ("os.memory.free", float(mem.get("MemFree", 0))), ("os.memory.total", float(mem.get("MemTotal", 0)))]
        with self.store.transaction() as db:
            db.executemany("INSERT INTO rds_pi_load (resource_id, second, wait_event, wait_type, sql_id, db_user, host, "
                           "application, db, tokenized_id, sessions) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                           [(resource_id, second, *key, count) for key, count in groups.items()])
            db.executemany("INSERT OR IGNORE INTO rds_pi_sql VALUES (?,?,?,?)",
                           [(resource_id, kind, k, v) for (kind, k), v in statements.items()])
            db.executemany("INSERT OR REPLACE INTO rds_pi_sql VALUES (?,?,?,?)",
                           [(resource_id, "tok", query_id, text) for query_id, text in normalized])
            db.executemany("INSERT INTO rds_pi_counters VALUES (?,?,?,?)", [(resource_id, second, n, v) for n, v in counters])
            if second % 60 == 0:
                cutoff = second - retention_days * 86400  # PerformanceInsightsRetentionPeriod
                db.execute("DELETE FROM rds_pi_load WHERE resource_id = ? AND second < ?", (resource_id, cutoff))
                db.execute("DELETE FROM rds_pi_counters WHERE resource_id = ? AND second < ?", (resource_id, cutoff))

    # -- what PI reads -----------------------------------------------------------------------------
    def load(self, resource_id: str, start: int, end: int) -> list[tuple]:
        """(second, wait_event, wait_type, sql_id, user, host, application, db, tokenized id, sessions) in [start, end)."""
        return self.store.execute("SELECT second, wait_event, wait_type, sql_id, db_user, host, application, db, tokenized_id, "
                                  "sessions "
                                  "FROM rds_pi_load WHERE resource_id = ? AND second >= ? AND second < ?",
                                  (resource_id, start, end)).fetchall()

    def counters(self, resource_id: str, metric: str, start: int, end: int) -> list[tuple[int, float]]:
        return self.store.execute("SELECT second, value FROM rds_pi_counters WHERE resource_id = ? AND metric = ? AND second >= ? "
                                  "AND second < ?", (resource_id, metric, start, end)).fetchall()

    def statement(self, resource_id: str, identifier: str, tokenized: bool = False) -> str | None:
        """A statement's text by its db.sql.id, or its normalized text by its db.sql_tokenized.id."""
        row = self.store.execute("SELECT statement FROM rds_pi_sql WHERE resource_id = ? AND kind = ? AND sql_id = ?",
                                 (resource_id, "tok" if tokenized else "sql", identifier)).fetchone()
        return row[0] if row else None

    def stop_all(self) -> None:
        self.loops.stop_all()
