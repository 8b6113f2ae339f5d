"""CloudTrail Lake queries: StartQuery, DescribeQuery, GetQueryResults, CancelQuery, ListQueries.

A statement is parsed when it is started (lake_sql.py: a statement Lake cannot run is
InvalidQueryStatementException); the query is QUEUED until a worker thread takes it, RUNNING while
it scans its event data store (off the event loop, through its own read-only connection), then
FINISHED, FAILED (with its ErrorMessage), CANCELLED (CancelQuery) or TIMED_OUT (after AWS's hour).
Its outcome is kept in SQLite; queries and results are kept seven days, as on AWS. With a
DeliveryS3Uri the results are also written to S3 as gzip'd CSV under
``<uri>/AWSLogs/<account>/CloudTrail-Lake/Query/YYYY/MM/DD/<query id>/result_1.csv.gz``.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import io
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import orjson

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope, Store
from regionbox.core.tasks import Tasks
from regionbox.core.worker_queries import Stopped, TimedOut, WorkerQueries, checked
from regionbox.services.cloudtrail import errors
from regionbox.services.cloudtrail.destinations import Destinations, log_prefix
from regionbox.services.cloudtrail.lake_parser import Query, QueryError, RunError, parse
from regionbox.services.cloudtrail.lake_sql import Execution, render
from regionbox.services.cloudtrail.lake_table import LakeTable
from regionbox.services.cloudtrail.models import EventDataStore
from regionbox.services.cloudtrail.paging import LISTING, listed, rule
from regionbox.services.cloudtrail.state import CloudTrailState

if TYPE_CHECKING:
    from regionbox.services.s3.api import S3Api

WORKERS = 2  # queries scanning at once; more wait QUEUED
MAX_CONCURRENT = 10  # AWS: ten queries queued or running per account and region
TIMEOUT_SECONDS = 3600
RETENTION_SECONDS = 7 * 86400
ACTIVE = ("QUEUED", "RUNNING")
RESULT_PAGES = rule(size="MaxQueryResults")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cloudtrail_queries (
    query_id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    store_id TEXT NOT NULL,
    create_time REAL NOT NULL,
    status TEXT NOT NULL,
    statement TEXT NOT NULL,
    error TEXT,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    scanned INTEGER NOT NULL DEFAULT 0,
    matched INTEGER NOT NULL DEFAULT 0,
    bytes_scanned INTEGER NOT NULL DEFAULT 0,
    columns BLOB,
    results BLOB,
    delivery_uri TEXT,
    delivery_status TEXT,
    alias TEXT
);
CREATE INDEX IF NOT EXISTS cloudtrail_queries_scope ON cloudtrail_queries(account, region, create_time);
"""
_COLUMNS = ("query_id, store_id, create_time, status, statement, error, duration_ms, scanned, matched, bytes_scanned, "
            "delivery_uri, delivery_status, alias")


@dataclass(frozen=True)
class QueryRecord:
    query_id: str
    store_id: str
    create_time: float
    status: str
    statement: str
    error: str | None
    duration_ms: int
    scanned: int
    matched: int
    bytes_scanned: int
    delivery_uri: str | None
    delivery_status: str | None
    alias: str | None


class QueryHistory:
    def __init__(self, store: Store) -> None:
        self.store = store
        store.db.executescript(_SCHEMA)
        store.on_reset(lambda: store.db.execute("DELETE FROM cloudtrail_queries"))

    def add(self, scope: Scope, query_id: str, store_id: str, statement: str, delivery_uri: str | None,
            alias: str | None) -> None:
        self.store.execute(
            "INSERT INTO cloudtrail_queries(query_id, account, region, store_id, create_time, status, statement, "
            "delivery_uri, delivery_status, alias) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (query_id, *scope, store_id, clock.epoch(), "QUEUED", statement, delivery_uri,
             "PENDING" if delivery_uri else None, alias))

    def update(self, query_id: str, **values: Any) -> None:
        columns = ", ".join(f"{name}=?" for name in values)
        self.store.execute(f"UPDATE cloudtrail_queries SET {columns} WHERE query_id=?", (*values.values(), query_id))

    def get(self, scope: Scope, query_id: str) -> QueryRecord | None:
        row = self.store.execute(f"SELECT {_COLUMNS} FROM cloudtrail_queries WHERE query_id=? AND account=? AND region=? "
                                 "AND create_time>=?", (query_id, *scope, clock.epoch() - RETENTION_SECONDS)).fetchone()
        return QueryRecord(*row) if row else None

    def results(self, query_id: str) -> tuple[list[str], list[list[str]]]:
        row = self.store.execute("SELECT columns, results FROM cloudtrail_queries WHERE query_id=?", (query_id,)).fetchone()
        if not row or row[1] is None:
            return [], []
        return orjson.loads(row[0]), orjson.loads(row[1])

    def of_store(self, scope: Scope, store_id: str) -> list[QueryRecord]:
        rows = self.store.execute(f"SELECT {_COLUMNS} FROM cloudtrail_queries WHERE account=? AND region=? AND store_id=? "
                                  "AND create_time>=? ORDER BY create_time DESC, rowid DESC",
                                  (*scope, store_id, clock.epoch() - RETENTION_SECONDS))
        return [QueryRecord(*row) for row in rows]

    def active(self, scope: Scope) -> int:
        return self.store.execute("SELECT COUNT(*) FROM cloudtrail_queries WHERE account=? AND region=? AND status IN "
                                  "('QUEUED', 'RUNNING')", scope).fetchone()[0]

    def latest_with_alias(self, scope: Scope, alias: str) -> QueryRecord | None:
        row = self.store.execute(f"SELECT {_COLUMNS} FROM cloudtrail_queries WHERE account=? AND region=? AND alias=? "
                                 "ORDER BY create_time DESC, rowid DESC LIMIT 1", (*scope, alias)).fetchone()
        return QueryRecord(*row) if row else None

    def expire(self) -> None:
        self.store.execute("DELETE FROM cloudtrail_queries WHERE create_time<?", (clock.epoch() - RETENTION_SECONDS,))

    def fail_unfinished(self) -> None:
        """Queries the cloud was running when it stopped (or was killed) never finish."""
        self.store.execute("UPDATE cloudtrail_queries SET status='FAILED', error='The query was interrupted.' "
                           "WHERE status IN ('QUEUED', 'RUNNING')")


@dataclass
class QueryRun:
    query_id: str
    scope: Scope
    store: EventDataStore
    execution: Execution
    delivery_uri: str | None
    began: float = field(default_factory=time.monotonic)
    stop: threading.Event = field(default_factory=threading.Event)  # CancelQuery, or the cloud stopping
    status: str = "QUEUED"  # set by the worker


Outcome = tuple[str, str | None, list | None, list | None]  # status, error, columns, rows


class QueryRunner(WorkerQueries[QueryRun, Outcome]):
    """Runs queries in worker threads; the event loop writes their outcome, then delivers it."""

    def __init__(self, lake: LakeTable, history: QueryHistory, tasks: Tasks, s3: Callable[[], "S3Api"]) -> None:
        super().__init__(tasks, owner="cloudtrail", what="CloudTrail Lake query", workers=WORKERS)
        self.lake = lake
        self.history = history
        self.s3 = s3

    async def finish(self, run: QueryRun, outcome: Outcome) -> None:
        self._record(run, *outcome)
        status = outcome[0]
        if status == "FINISHED" and run.delivery_uri and not run.stop.is_set():
            await self._deliver(run, outcome[2], outcome[3])

    def fail(self, run: QueryRun, message: str) -> None:
        self._record(run, "FAILED", message, None, None)

    def _record(self, run: QueryRun, status: str, error: str | None, columns: list | None, rows: list | None) -> None:
        if run.stop.is_set():  # CancelQuery answered CANCELLED: so it stays, even if the scan had just ended
            status, error, columns, rows = "CANCELLED", None, None, None
        execution = run.execution
        values: dict[str, Any] = {"status": status, "error": error, "duration_ms": int((time.monotonic() - run.began) * 1000),
                                  "scanned": execution.scanned, "matched": execution.matched,
                                  "bytes_scanned": execution.bytes_scanned}
        if rows is not None:
            values.update(columns=orjson.dumps(columns), results=orjson.dumps(rows))
        if status != "FINISHED" and run.delivery_uri:
            values["delivery_status"] = "CANCELLED" if status == "CANCELLED" else "FAILED"
        self.history.update(run.query_id, **values)

    async def _deliver(self, run: QueryRun, columns: list[str], rows: list[list[str]]) -> None:
        bucket, _, prefix = run.delivery_uri.removeprefix("s3://").partition("/")
        account, region = run.scope
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(columns)
        writer.writerows(rows)
        key = (f"{log_prefix(prefix.strip('/') or None, account)}CloudTrail-Lake/Query/"
               f"{time.strftime('%Y/%m/%d', time.gmtime())}/{run.query_id}/result_1.csv.gz")
        try:
            owner = self.s3().bucket(bucket, region)
            if owner is None:
                raise ServiceError("NoSuchBucket", bucket)
            await self.s3().put_object(owner.owner, bucket, key, gzip.compress(text.getvalue().encode(), mtime=0),
                                       content_type="text/csv", region=region)
            self.history.update(run.query_id, delivery_status="SUCCESS", delivery_uri=f"s3://{bucket}/{key}")
        except ServiceError as error:
            self.history.update(run.query_id, delivery_status="RESOURCE_NOT_FOUND" if error.code == "NoSuchBucket"
                                else "ACCESS_DENIED" if error.code == "AccessDenied" else "FAILED")

    # -- in the worker thread ----------------------------------------------------------------
    def scan(self, run: QueryRun) -> Outcome:
        if run.stop.is_set():
            return "CANCELLED", None, None, None
        run.status = "RUNNING"
        start, end = run.execution.time_bounds()
        # The store keeps only its retention period: older events are gone even before the sweep.
        oldest = clock.epoch() - run.store.retention_days * 86400
        start = oldest if start is None else max(start, oldest)
        try:
            with self.lake.reader() as reader:
                source = reader.read(run.store.store_id, start, end)
                try:
                    columns, rows = run.execution.run(checked(source, run, TIMEOUT_SECONDS))
                finally:
                    source.close()  # a LIMIT may stop reading early: done with it before the connection closes
        except Stopped:
            return "CANCELLED", None, None, None
        except TimedOut:
            return "TIMED_OUT", "The query timed out after 1 hour.", None, None
        except RunError as error:
            return "FAILED", str(error), None, None
        return "FINISHED", None, columns, [[render(v) for v in row] for row in rows]

    def live_status(self, query_id: str) -> str | None:
        """QUEUED or RUNNING for a query a worker has not finished (the stored status says QUEUED)."""
        run = self.running.get(query_id)
        return run.status if run is not None else None


class LakeQueries:
    def __init__(self, state: CloudTrailState, history: QueryHistory, runner: QueryRunner, paginator: Paginator,
                 destinations: Destinations, ingest: Callable[[], None]) -> None:
        self.state = state
        self.history = history
        self.runner = runner
        self.paginator = paginator
        self.destinations = destinations
        self.ingest = ingest  # takes the events recorded so far into the event data stores

    def start(self, ctx: RequestContext, statement: str, *, delivery_uri: str | None = None,
              alias: str | None = None, owner: str | None = None) -> str:
        """Start a query (StartQuery, a dashboard's refresh): its ID. With ``owner``, the store is
        that account's (its resource policy let the caller in: IAM decided in the gateway)."""
        try:
            query = parse(statement)
        except QueryError as error:
            raise errors.invalid_query(str(error)) from None
        eds = self._target(ctx, query, owner)
        if delivery_uri:
            bucket, _, prefix = delivery_uri.removeprefix("s3://").partition("/")
            self.destinations.bucket(bucket, ctx.region, prefix.strip("/") or None, ctx.account_id, eds.arn,
                                     folder="CloudTrail-Lake/")
        if self.history.active(ctx.scope) >= MAX_CONCURRENT:
            raise errors.error("MaxConcurrentQueriesException",
                               f"You are already running the maximum number of concurrent queries ({MAX_CONCURRENT}). "
                               "Wait a minute for some queries to finish, and then run the query again.")
        self.ingest()
        query_id = str(uuid.uuid4())
        self.history.add(ctx.scope, query_id, eds.store_id, statement, delivery_uri, alias)
        self.runner.submit(QueryRun(query_id, ctx.scope, eds, Execution(query), delivery_uri))
        return query_id

    def _target(self, ctx: RequestContext, query: Query, owner: str | None) -> EventDataStore:
        try:
            eds = self.state.event_data_store(ctx, query.target, owner=owner)
        except ServiceError as error:
            if error.code == "EventDataStoreARNInvalidException":
                raise errors.invalid_query(f"line 1:1: Table '{query.target}' does not exist") from None
            raise
        if eds.status == "PENDING_DELETION":
            raise errors.eds_inactive(eds.arn)
        return eds

    # -- handlers ------------------------------------------------------------------------------
    async def start_query(self, ctx: RequestContext, params: dict) -> dict:
        statement = params.get("QueryStatement")
        if not statement:
            if params.get("QueryAlias"):
                raise errors.invalid_parameter("QueryAlias and QueryParameters are used only by the queries that "
                                               "populate CloudTrail Lake dashboards.")
            raise errors.invalid_parameter("QueryStatement is required.")
        owner = params.get("EventDataStoreOwnerAccountId")
        query_id = self.start(ctx, statement, delivery_uri=params.get("DeliveryS3Uri"), owner=owner)
        return {"QueryId": query_id, **({"EventDataStoreOwnerAccountId": owner} if owner else {})}

    def _record(self, ctx: RequestContext, params: dict) -> QueryRecord:
        """The query a request names: by QueryId, or by a dashboard widget's QueryAlias (the
        latest run, or the run of a RefreshId)."""
        if params.get("EventDataStore"):
            eds = self.state.event_data_store(ctx, params["EventDataStore"])
            if eds.status == "PENDING_DELETION":
                raise errors.eds_inactive(eds.arn)
        query_id, alias = params.get("QueryId"), params.get("QueryAlias")
        if query_id is None and not alias:
            raise errors.invalid_parameter("Specify QueryId or QueryAlias.")
        if query_id is None and params.get("RefreshId"):
            query_id = next((d.refreshes[params["RefreshId"]].get(alias) for d in self.state.dashboards.values(ctx.scope)
                             if params["RefreshId"] in d.refreshes), None)
            if query_id is None:
                raise errors.query_not_found(f"{alias} (refresh {params['RefreshId']})")
        found = self.history.get(ctx.scope, query_id) if query_id else self.history.latest_with_alias(ctx.scope, alias)
        if found is None:
            raise errors.query_not_found(query_id or alias)
        live = self.runner.live_status(found.query_id) if found.status in ACTIVE else None
        return dataclasses.replace(found, status=live) if live else found

    def describe_query(self, ctx: RequestContext, params: dict) -> dict:
        record = self._record(ctx, params)
        result: dict = {"QueryId": record.query_id, "QueryString": record.statement, "QueryStatus": record.status,
                        "QueryStatistics": {"EventsMatched": record.matched, "EventsScanned": record.scanned,
                                            "BytesScanned": record.bytes_scanned,
                                            "ExecutionTimeInMillis": record.duration_ms,
                                            "CreationTime": clock.from_epoch(record.create_time)}}
        if record.error:
            result["ErrorMessage"] = record.error
        if record.delivery_uri:
            result["DeliveryS3Uri"] = record.delivery_uri
            result["DeliveryStatus"] = record.delivery_status or "PENDING"
        return result

    def get_query_results(self, ctx: RequestContext, params: dict) -> dict:
        record = self._record(ctx, params)
        result: dict = {"QueryStatus": record.status}
        if record.status != "FINISHED":
            result["QueryStatistics"] = {"ResultsCount": 0, "TotalResultsCount": 0, "BytesScanned": record.bytes_scanned}
            if record.error:
                result["ErrorMessage"] = record.error
            return result
        columns, rows = self.history.results(record.query_id)
        page, token = self.paginator.paginate(rows, params, RESULT_PAGES, query=["GetQueryResults", record.query_id])
        result["QueryResultRows"] = [[{name: value} for name, value in zip(columns, row)] for row in page]
        result["QueryStatistics"] = {"ResultsCount": len(page), "TotalResultsCount": len(rows),
                                     "BytesScanned": record.bytes_scanned}
        if token:
            result["NextToken"] = token
        return result

    def cancel_query(self, ctx: RequestContext, params: dict) -> dict:
        record = self._record(ctx, {"EventDataStore": params.get("EventDataStore"), "QueryId": params["QueryId"]})
        if record.status not in ACTIVE:
            raise errors.error("InactiveQueryException",
                               f"The query {record.query_id} is in a terminal state ({record.status}) and cannot be cancelled.")
        # As on AWS the query shows CANCELLED at once, though its worker stops at its next look.
        self.runner.stop(record.query_id)
        self.history.update(record.query_id, status="CANCELLED")
        return {"QueryId": record.query_id, "QueryStatus": "CANCELLED"}

    def list_queries(self, ctx: RequestContext, params: dict) -> dict:
        eds = self.state.event_data_store(ctx, params["EventDataStore"])
        if eds.status == "PENDING_DELETION":
            raise errors.eds_inactive(eds.arn)
        start, end = params.get("StartTime"), params.get("EndTime")
        if start is not None and end is not None and start > end:
            raise errors.error("InvalidDateRangeException", "A date range for the query was specified that is not valid. "
                               "Be sure that the start time is chronologically before the end time.")
        status = params.get("QueryStatus")
        found = [r for r in self.history.of_store(ctx.scope, eds.store_id)
                 if (status is None or r.status == status)
                 and (start is None or r.create_time >= start.timestamp())
                 and (end is None or r.create_time <= end.timestamp())]
        query = ["ListQueries", eds.store_id, status, start.timestamp() if start else None, end.timestamp() if end else None]
        return listed(self.paginator, found, params, LISTING, query, "Queries",
                      lambda r: {"QueryId": r.query_id, "QueryStatus": r.status,
                                 "CreationTime": clock.from_epoch(r.create_time)})
