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

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import orjson

from regionbox.core.store import Scope, Store
from regionbox.core.tasks import Tasks
from regionbox.core.worker_queries import Stopped, TimedOut, WorkerQueries, checked
from regionbox.services.logs.event_table import EventReader, EventTable, event_id
from regionbox.services.logs.insights import Execution, record_of
from regionbox.services.logs.state import DAY_MS, now_ms

QUERY_WORKERS = 2  # queries scanning at once; more wait as Scheduled
QUERY_TIMEOUT_SECONDS = 3600  # AWS: queries time out after 60 minutes
RETENTION_MS = 7 * DAY_MS  # AWS: "Results from a query are retrievable for 7 days."
QUERIES_KEPT = 100  # per account and region
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
    began: float = field(default_factory=time.monotonic)


class QueryRunner(WorkerQueries[QueryRun, tuple[str, bytes | None]]):
    def __init__(self, events: EventTable, history: QueryHistory, tasks: Tasks) -> None:
        super().__init__(tasks, owner="logs", what="Logs Insights query", workers=QUERY_WORKERS)
        self.events = events
        self.history = history

    def finish(self, run: QueryRun, outcome: tuple[str, bytes | None]) -> None:
        status, results = outcome
        self.history.finish(run.query_id, status, now_ms() - run.create_time, run.execution.scanned,
                            run.execution.matched, run.bytes_scanned, results)
        self.history.expire()

    def fail(self, run: QueryRun, message: str) -> None:
        self.finish(run, ("Failed", None))

    # -- in the worker thread ----------------------------------------------------------------
    def scan(self, run: QueryRun) -> tuple[str, bytes | None]:
        if run.stop.is_set():
            return "Cancelled", None
        run.status = "Running"
        try:
            with self.events.reader() as reader:
                rows = run.execution.run(checked(self._records(run, reader), run, QUERY_TIMEOUT_SECONDS))
        except Stopped:
            return "Cancelled", None
        except TimedOut:
            return "Timeout", None
        return "Complete", orjson.dumps(rows)

    @staticmethod
    def _records(run: QueryRun, reader: EventReader):
        for source in run.sources:
            for event in reader.read(gid=source.gid, start=source.start, end=source.end):
                run.bytes_scanned += len(event.message.encode())
                message = source.mask(event.message) if source.mask else event.message
                yield record_of(event.timestamp, message, source.streams.get(event.sid, ""), source.log,
                                event.ingestion_time, event_id(event))
