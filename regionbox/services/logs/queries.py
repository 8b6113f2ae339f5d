"""Logs Insights queries: StartQuery, GetQueryResults, StopQuery, DescribeQueries.

Events are local, so a query runs to completion inside StartQuery and is ``Complete`` when
GetQueryResults first asks (AWS's clients poll until then either way). Queries and their results
are kept in memory for the life of the process, per account and region, as AWS keeps them for a
while after they ran.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import InvalidToken, Paginator
from regionbox.core.store import Scope
from regionbox.services.logs.event_table import event_id
from regionbox.services.logs.insights import MalformedQuery, parse_query, record_of, run
from regionbox.services.logs.state import LogsState

DEFAULT_LIMIT = 10_000


@dataclass
class QueryRun:
    query_id: str
    query_string: str
    group_names: list[str]
    create_time: int  # epoch ms
    duration_ms: int
    results: list[list[dict]]
    scanned: int
    matched: int
    bytes_scanned: int
    status: str = "Complete"


class Queries:
    def __init__(self, state: LogsState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator
        # scope -> query id -> QueryRun (kept in memory)
        self.runs: dict[Scope, dict[str, QueryRun]] = {}

    def reset(self) -> None:
        self.runs.clear()

    def _queries(self, ctx: RequestContext) -> dict[str, QueryRun]:
        return self.runs.setdefault(ctx.scope, {})

    def start_query(self, ctx: RequestContext, params: dict) -> dict:
        if (params.get("queryLanguage") or "CWLI") != "CWLI":
            raise ServiceError("MalformedQueryException", "regionbox runs Logs Insights QL (CWLI) queries only.")
        sources = [params.get(k) for k in ("logGroupName", "logGroupNames", "logGroupIdentifiers") if params.get(k)]
        if len(sources) != 1:
            raise invalid("Exactly one of logGroupName, logGroupNames and logGroupIdentifiers must be given.")
        names = sources[0] if isinstance(sources[0], list) else [sources[0]]
        groups = [self.state.group(ctx.scope, self.state.name_from_identifier(ctx, n.removesuffix(":*"))) for n in names]
        start, end = params["startTime"], params["endTime"]
        if end < start:
            raise invalid("End time should not be before the start time.")
        try:
            query = parse_query(params["queryString"])
        except MalformedQuery as error:
            raise ServiceError("MalformedQueryException", str(error)) from None
        began = clock.epoch()
        records, size = [], 0
        for group in groups:
            streams = {s.sid: s.name for s in self.state.streams_of(ctx.scope, group.name)}
            low, _ = self.state.time_range(group, {"startTime": start * 1000})
            for event in self.state.events.read(gid=group.gid, start=low, end=(end + 1) * 1000):
                size += len(event.message.encode())
                records.append(record_of(event.timestamp, event.message, streams.get(event.sid, ""),
                                         f"{ctx.account_id}:{group.name}", event.ingestion_time, event_id(event)))
        results, scanned, matched = run(query, records, params.get("limit") or DEFAULT_LIMIT)
        query_id = str(uuid.uuid4())
        self._queries(ctx)[query_id] = QueryRun(query_id, params["queryString"], [g.name for g in groups],
                                                int(began * 1000), int((clock.epoch() - began) * 1000), results,
                                                scanned, matched, size)
        return {"queryId": query_id}

    def _query(self, ctx: RequestContext, query_id: str) -> QueryRun:
        found = self._queries(ctx).get(query_id)
        if found is None:
            raise ServiceError("ResourceNotFoundException", "Query does not exist.")
        return found

    def get_query_results(self, ctx: RequestContext, params: dict) -> dict:
        found = self._query(ctx, params["queryId"])
        return {
            "queryLanguage": "CWLI",
            "results": found.results,
            "statistics": {"recordsMatched": float(found.matched), "recordsScanned": float(found.scanned),
                           "bytesScanned": float(found.bytes_scanned), "logGroupsScanned": float(len(found.group_names))},
            "status": found.status,
        }

    def stop_query(self, ctx: RequestContext, params: dict) -> dict:
        # Queries finish inside StartQuery: there is never a running one to stop.
        self._query(ctx, params["queryId"])
        return {"success": False}

    def describe_queries(self, ctx: RequestContext, params: dict) -> dict:
        found = sorted(self._queries(ctx).values(), key=lambda q: q.create_time, reverse=True)
        if params.get("logGroupName"):
            found = [q for q in found if params["logGroupName"] in q.group_names]
        if params.get("status"):
            found = [q for q in found if q.status == params["status"]]
        try:
            page, token = self.paginator.page(found, params.get("nextToken"), params.get("maxResults"), 1000)
        except InvalidToken:
            raise invalid("The specified nextToken is invalid.") from None
        result: dict = {"queries": [{"queryLanguage": "CWLI", "queryId": q.query_id, "queryString": q.query_string,
                                     "status": q.status, "createTime": q.create_time, "logGroupName": q.group_names[0],
                                     "queryDuration": q.duration_ms, "bytesScanned": float(q.bytes_scanned)}
                                    for q in page]}
        if token:
            result["nextToken"] = token
        return result
