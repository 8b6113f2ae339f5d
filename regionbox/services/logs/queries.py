"""Logs Insights queries: StartQuery, GetQueryResults, StopQuery, DescribeQueries.

StartQuery checks the request and the query, records it and answers at once; the scan runs in a
worker thread (query_runs.py) and clients poll GetQueryResults until the status is final, as
they must on AWS. While a query runs, GetQueryResults shows its statistics so far and no rows.
"""

from __future__ import annotations

import uuid

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.logs.data_protection import DataProtection
from regionbox.services.logs.listing import page_of
from regionbox.services.logs.insights import Execution, MalformedQuery, parse_query
from regionbox.services.logs.query_runs import QueryHistory, QueryRecord, QueryRun, QueryRunner, Source
from regionbox.services.logs.state import LogsState, now_ms

DEFAULT_LIMIT = 10_000

QUERY_PAGES = PageRule(
    token="nextToken", size="maxResults", default=1000, minimum=1, maximum=1000,
    out_of_range=lambda size: invalid(f"1 validation error detected: Value '{size}' at 'maxResults' failed to satisfy "
                                      "constraint: Member must have value between 1 and 1000"),
    bad_token=lambda token: invalid("The specified nextToken is invalid."))


GROUPS_FOR_QUERY = PageRule(
    token="nextToken", size="maxResults", default=50, minimum=50, maximum=500,
    out_of_range=lambda size: invalid(f"1 validation error detected: Value '{size}' at 'maxResults' failed to satisfy "
                                      "constraint: Member must have value between 50 and 500"),
    bad_token=lambda token: invalid("The specified nextToken is invalid."))


def _no_such_query() -> ServiceError:
    return ServiceError("ResourceNotFoundException", "Query does not exist.")


class Queries:
    def __init__(self, state: LogsState, history: QueryHistory, runner: QueryRunner, paginator: Paginator,
                 masking: DataProtection) -> None:
        self.state = state
        self.masking = masking
        self.history = history
        self.runner = runner
        self.paginator = paginator

    def start_query(self, ctx: RequestContext, params: dict) -> dict:
        if (params.get("queryLanguage") or "CWLI") != "CWLI":
            raise ServiceError("MalformedQueryException", "regionbox runs Logs Insights QL (CWLI) queries only.")
        named = [params.get(k) for k in ("logGroupName", "logGroupNames", "logGroupIdentifiers") if params.get(k)]
        if len(named) != 1:
            raise invalid("Exactly one of logGroupName, logGroupNames and logGroupIdentifiers must be given.")
        names = named[0] if isinstance(named[0], list) else [named[0]]
        groups = [self.state.group(ctx.scope, self.state.name_from_identifier(ctx, n.removesuffix(":*"))) for n in names]
        start, end = params["startTime"], params["endTime"]
        if end < start:
            raise invalid("End time should not be before the start time.")
        try:
            query = parse_query(params["queryString"])
        except MalformedQuery as error:
            raise ServiceError("MalformedQueryException", str(error)) from None
        sources = [Source(gid=group.gid, log=f"{ctx.account_id}:{group.name}",
                          streams={s.sid: s.name for s in self.state.streams_of(ctx.scope, group.name)},
                          start=self.state.time_range(ctx.scope, group, {"startTime": start * 1000})[0], end=(end + 1) * 1000,
                          mask=self.masking.reader(ctx.scope, group, unmask=False))
                   for group in groups]
        run = QueryRun(query_id=str(uuid.uuid4()), execution=Execution(query, params.get("limit") or DEFAULT_LIMIT),
                       sources=sources, create_time=now_ms())
        self.history.expire()
        self.history.add(ctx.scope, run.query_id, params["queryString"], [g.name for g in groups], run.create_time)
        self.runner.submit(run)
        return {"queryId": run.query_id}

    def _record(self, ctx: RequestContext, query_id: str) -> QueryRecord:
        found = self.history.get(ctx.scope, query_id)
        if found is None:
            raise _no_such_query()
        return found

    def get_query_results(self, ctx: RequestContext, params: dict) -> dict:
        found = self._record(ctx, params["queryId"])
        run = self.runner.running.get(found.query_id)
        if run is not None:
            status, rows = run.status, []
            scanned, matched, size = run.execution.scanned, run.execution.matched, run.bytes_scanned
        else:
            status, rows = found.status, self.history.results(found.query_id)
            scanned, matched, size = found.scanned, found.matched, found.bytes_scanned
        return {
            "queryLanguage": "CWLI",
            "results": rows,
            "statistics": {"recordsMatched": float(matched), "recordsScanned": float(scanned),
                           "bytesScanned": float(size), "logGroupsScanned": float(len(found.group_names))},
            "status": status,
        }

    def stop_query(self, ctx: RequestContext, params: dict) -> dict:
        found = self._record(ctx, params["queryId"])
        # Only a query that has not finished can be stopped; it ends Cancelled.
        return {"success": self.runner.stop(found.query_id)}

    def describe_queries(self, ctx: RequestContext, params: dict) -> dict:
        found = [(record, self._status(record)) for record in self.history.recent(ctx.scope)]
        if params.get("logGroupName"):
            found = [(q, status) for q, status in found if params["logGroupName"] in q.group_names]
        if params.get("status"):
            found = [(q, status) for q, status in found if status == params["status"]]
        page, token = self.paginator.paginate(found, params, QUERY_PAGES)
        result: dict = {"queries": [{"queryLanguage": "CWLI", "queryId": q.query_id, "queryString": q.query_string,
                                     "status": status, "createTime": q.create_time, "logGroupName": q.group_names[0],
                                     "queryDuration": q.duration_ms, "bytesScanned": float(q.bytes_scanned)}
                                    for q, status in page]}
        if token:
            result["nextToken"] = token
        return result

    def list_log_groups_for_query(self, ctx: RequestContext, params: dict) -> dict:
        found = self._record(ctx, params["queryId"])
        arns = [ctx.arn("logs", f"log-group:{name}") for name in found.group_names]
        return page_of(self.paginator, arns, params, "logGroupIdentifiers", rule=GROUPS_FOR_QUERY)

    def _status(self, record: QueryRecord) -> str:
        run = self.runner.running.get(record.query_id)
        return run.status if run is not None else record.status
