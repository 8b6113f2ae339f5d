"""Logs Insights query runs: each query scans its log groups in a worker thread, off the event
loop, and its outcome is kept in SQLite for AWS's seven days.

A query is ``Scheduled`` until a worker takes it, ``Running`` while it scans, then ``Complete``,
``Cancelled`` (StopQuery), ``Timeout`` (after AWS's 60 minutes) or ``Failed`` (an error, or the
cloud stopped under it). The worker reads events through its own read-only connection
(``EventTable.reader``) and keeps only what the answer needs (``insights.Execution``); the loop
writes the outcome. Queries and results are retrievable for 7 days, as on AWS; beyond
``QUERIES_KEPT`` per account and region the oldest finished ones are forgotten first.
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

import orjson

from regionbox.core.store import Scope, Store
from regionbox.core.tasks import Tasks
from regionbox.services.logs.event_table import EventReader, EventTable, event_id
from regionbox.services.logs.insights import Execution, record_of
from regionbox.services.logs.state import DAY_MS, now_ms

QUERY_WORKERS = 2  # queries scanning at once; more wait as Scheduled
QUERY_TIMEOUT_SECONDS = 3600  # AWS: queries time out after 60 minutes
RETENTION_MS = 7 * DAY_MS  # AWS: "Results from a query are retrievable for 7 days."
QUERIES_KEPT = 100  # per account and region
_CHECK_EVERY = 512  # events between looks at StopQuery and the timeout
ACTIVE = ("Scheduled", "Running")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS log_queries (
    query_id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    create_time INTEGER NOT NULL,
    status TEXT NOT NULL,
    query_string TEXT NOT NULL,
    log_groups TEXT NOT NULL,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    records_scanned INTEGER NOT NULL DEFAULT 0,
    records_matched INTEGER NOT NULL DEFAULT 0,
    bytes_scanned INTEGER NOT NULL DEFAULT 0,
    results BLOB
);
CREATE INDEX IF NOT EXISTS log_queries_scope ON log_queries(account, region, create_time);
CREATE INDEX IF NOT EXISTS log_queries_age ON log_queries(create_time);
"""
_COLUMNS = ("query_id, create_time, status, query_string, log_groups, duration_ms, records_scanned, "
            "records_matched, bytes_scanned")


@dataclass(frozen=True)
class QueryRecord:
    """A query as DescribeQueries and GetQueryResults report it (results apart)."""

    query_id: str
    create_time: int  # epoch ms
    status: str
    query_string: str
    group_names: list[str]
    duration_ms: int
    scanned: int
    matched: int
    bytes_scanned: int

    @classmethod
    def from_row(cls, row: tuple) -> "QueryRecord":
        return cls(row[0], row[1], row[2], row[3], orjson.loads(row[4]), *row[5:])


class QueryHistory:
    """The queries of every account and region, in their own table."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.db.executescript(_SCHEMA)
        store.on_reset(lambda: store.db.execute("DELETE FROM log_queries"))

    def add(self, scope: Scope, query_id: str, query_string: str, group_names: list[str], create_time: int) -> None:
        with self.store.transaction():
            self.store.execute("INSERT INTO log_queries(query_id, account, region, create_time, status, query_string, "
                               "log_groups) VALUES (?,?,?,?,?,?,?)",
                               (query_id, *scope, create_time, "Scheduled", query_string, orjson.dumps(group_names)))
            # The oldest finished queries beyond the bound go first; running ones always stay.
            self.store.execute(
                "DELETE FROM log_queries WHERE account=? AND region=? AND status NOT IN ('Scheduled', 'Running') "
                "AND query_id NOT IN (SELECT query_id FROM log_queries WHERE account=? AND region=? "
                "ORDER BY create_time DESC, rowid DESC LIMIT ?)", (*scope, *scope, QUERIES_KEPT))

    def finish(self, query_id: str, status: str, duration_ms: int, scanned: int, matched: int, bytes_scanned: int,
               results: bytes | None) -> None:
        self.store.execute("UPDATE log_queries SET status=?, duration_ms=?, records_scanned=?, records_matched=?, "
                           "bytes_scanned=?, results=? WHERE query_id=?",
                           (status, duration_ms, scanned, matched, bytes_scanned, results, query_id))

    def expire(self) -> None:
        self.store.execute("DELETE FROM log_queries WHERE create_time<?", (now_ms() - RETENTION_MS,))

    def fail_unfinished(self) -> None:
        """Queries the cloud was running when it stopped (or was killed) will never finish."""
        self.store.execute("UPDATE log_queries SET status='Failed' WHERE status IN ('Scheduled', 'Running')")

    def get(self, scope: Scope, query_id: str) -> QueryRecord | None:
        row = self.store.execute(f"SELECT {_COLUMNS} FROM log_queries WHERE query_id=? AND account=? AND region=? "
                                 "AND create_time>=?", (query_id, *scope, now_ms() - RETENTION_MS)).fetchone()
        return QueryRecord.from_row(row) if row else None

    def results(self, query_id: str) -> list[list[dict]]:
        row = self.store.execute("SELECT results FROM log_queries WHERE query_id=?", (query_id,)).fetchone()
        return orjson.loads(row[0]) if row and row[0] else []

    def recent(self, scope: Scope) -> list[QueryRecord]:
        """The scope's queries of the last 7 days, newest first."""
        rows = self.store.execute(f"SELECT {_COLUMNS} FROM log_queries WHERE account=? AND region=? AND create_time>=? "
                                  "ORDER BY create_time DESC, rowid DESC", (*scope, now_ms() - RETENTION_MS))
        return [QueryRecord.from_row(row) for row in rows]


@dataclass(frozen=True)
class Source:
    """One log group as a query reads it."""

    gid: int
    log: str  # the @log field: "account:group"
    streams: dict[int, str]  # stream key -> name, for @logStream
    start: int | None  # epoch ms, inclusive
    end: int  # epoch ms, exclusive
    mask: Callable[[str], str] | None = None  # the group's data protection, as readers see it


class _Stopped(Exception):
    pass


class _TimedOut(Exception):
    pass


@dataclass
class QueryRun:
    """A query that has not finished: what its worker reads and what it has done so far."""

    query_id: str
    execution: Execution
    sources: list[Source]
    create_time: int
    status: str = "Scheduled"
    bytes_scanned: int = 0
    stop: threading.Event = field(default_factory=threading.Event)


class QueryRunner:
    def __init__(self, events: EventTable, history: QueryHistory, tasks: Tasks) -> None:
        self.events = events
        self.history = history
        self.tasks = tasks
        self.executor = ThreadPoolExecutor(max_workers=QUERY_WORKERS, thread_name_prefix="logs-insights")
        self.running: dict[str, QueryRun] = {}

    def submit(self, run: QueryRun) -> None:
        self.running[run.query_id] = run
        self.tasks.spawn(self._run(run), owner="logs", what=f"Logs Insights query {run.query_id}",
                         on_failure=lambda error: self._finish(run, "Failed", None))

    async def _run(self, run: QueryRun) -> None:
        try:
            status, results = await asyncio.get_running_loop().run_in_executor(self.executor, self._scan, run)
        except asyncio.CancelledError:
            # The cloud is stopping or resetting: the worker stops at its next look; the query's
            # row (still unfinished) is marked Failed when the service starts again.
            run.stop.set()
            self.running.pop(run.query_id, None)
            raise
        self._finish(run, status, results)

    def _finish(self, run: QueryRun, status: str, results: bytes | None) -> None:
        self.running.pop(run.query_id, None)
        self.history.finish(run.query_id, status, now_ms() - run.create_time, run.execution.scanned,
                            run.execution.matched, run.bytes_scanned, results)
        self.history.expire()

    def stop(self, query_id: str) -> bool:
        """StopQuery: True if the query was still scheduled or running."""
        run = self.running.get(query_id)
        if run is None or run.stop.is_set():
            return False
        run.stop.set()
        return True

    def close(self) -> None:
        for run in list(self.running.values()):
            run.stop.set()
        self.executor.shutdown(wait=False, cancel_futures=True)

    def forget(self) -> None:
        for run in list(self.running.values()):
            run.stop.set()
        self.running.clear()

    # -- in the worker thread ----------------------------------------------------------------
    def _scan(self, run: QueryRun) -> tuple[str, bytes | None]:
        if run.stop.is_set():
            return "Cancelled", None
        run.status = "Running"
        began = time.monotonic()
        try:
            with self.events.reader() as reader:
                rows = run.execution.run(self._records(run, reader, began))
        except _Stopped:
            return "Cancelled", None
        except _TimedOut:
            return "Timeout", None
        return "Complete", orjson.dumps(rows)

    @staticmethod
    def _records(run: QueryRun, reader: EventReader, began: float):
        for source in run.sources:
            for count, event in enumerate(reader.read(gid=source.gid, start=source.start, end=source.end)):
                if count % _CHECK_EVERY == 0:
                    if run.stop.is_set():
                        raise _Stopped()
                    if time.monotonic() - began > QUERY_TIMEOUT_SECONDS:
                        raise _TimedOut()
                run.bytes_scanned += len(event.message.encode())
                message = source.mask(event.message) if source.mask else event.message
                yield record_of(event.timestamp, message, source.streams.get(event.sid, ""), source.log,
                                event.ingestion_time, event_id(event))
