"""Scheduled queries: CreateScheduledQuery, GetScheduledQuery, UpdateScheduledQuery,
DeleteScheduledQuery, ListScheduledQueries, GetScheduledQueryHistory.

A scheduled query is checked as AWS checks it (a cron schedule, log groups that exist, an
execution role IAM knows, a Logs Insights query that parses, an S3 URI or a lookup table as
destination) and kept. Its runs are not made by regionbox (there is no scheduler of queries yet),
so its history is empty and its lastExecutionStatus absent; its query can be run with StartQuery.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.services.logs.insights import MalformedQuery, parse_query
from regionbox.services.logs.listing import describe_rule, page_of
from regionbox.services.logs.models import ScheduledQuery
from regionbox.services.logs.state import LogsState, now_ms

PAGES = describe_rule(maximum=1000, size="maxResults")
_CRON_FIELD = re.compile(r"^(\*|\?|L|W|[0-9A-Za-z]+(-[0-9A-Za-z]+)?(/\d+)?(#\d)?)(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?(/\d+)?))*$|^\*/\d+$")
_MUTABLE = {"description": "description", "queryLanguage": "language", "queryString": "query",
            "logGroupIdentifiers": "group_identifiers", "scheduleExpression": "schedule", "timezone": "timezone",
            "startTimeOffset": "start_offset", "endTimeOffset": "end_offset", "destinationConfiguration": "destination",
            "scheduleStartTime": "schedule_start", "scheduleEndTime": "schedule_end",
            "executionRoleArn": "execution_role_arn", "state": "state"}


def _validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def check_schedule(expression: str) -> None:
    """A cron schedule: ``cron(<6 fields>)`` as EventBridge writes it, or 5 plain cron fields."""
    inner = expression[5:-1] if expression.startswith("cron(") and expression.endswith(")") else expression
    fields = inner.split()
    if len(fields) not in (5, 6) or not all(_CRON_FIELD.match(f) for f in fields):
        raise _validation(f"Invalid schedule expression: {expression}")


class ScheduledQueries:
    def __init__(self, state: LogsState, iam: Callable[[], Any], paginator: Paginator) -> None:
        self.state = state
        self.queries = state.scheduled_queries
        self.iam = iam
        self.paginator = paginator

    def _check(self, ctx: RequestContext, query: ScheduledQuery) -> None:
        check_schedule(query.schedule)
        if query.language == "CWLI":
            try:
                parse_query(query.query)
            except MalformedQuery as error:
                raise _validation(f"Invalid query string: {error}") from None
        for identifier in query.group_identifiers:
            name = identifier.removesuffix(":*").split(":")[-1] if identifier.startswith("arn:") else identifier
            if (ctx.scope, name) not in self.state.groups:
                raise ServiceError("ResourceNotFoundException", f"Log group {identifier} does not exist.")
        if self.iam().role_by_arn(query.execution_role_arn) is None:
            raise _validation(f"The execution role {query.execution_role_arn} does not exist.")
        if query.start_offset is not None and query.end_offset is not None and query.end_offset > query.start_offset:
            raise _validation("endTimeOffset must not be greater than startTimeOffset.")
        if query.schedule_start is not None and query.schedule_end is not None and query.schedule_end < query.schedule_start:
            raise _validation("scheduleEndTime must be after scheduleStartTime.")
        destination = query.destination or {}
        if not destination.get("s3Configuration") and not destination.get("lookupTableConfiguration") and destination:
            raise _validation("destinationConfiguration needs an s3Configuration or a lookupTableConfiguration.")

    def create_scheduled_query(self, ctx: RequestContext, params: dict) -> dict:
        name = params["name"]
        if (ctx.scope, name) in self.queries:
            raise ServiceError("ConflictException", f"A scheduled query named {name} already exists.")
        now = now_ms()
        query = ScheduledQuery(arn=ctx.arn("logs", f"scheduled-query:{name}"), name=name, query=params["queryString"],
                               language=params["queryLanguage"], schedule=params["scheduleExpression"],
                               execution_role_arn=params["executionRoleArn"], state=params.get("state") or "ENABLED",
                               creation_time=now, last_updated=now, tags=dict(params.get("tags") or {}))
        for member, attribute in _MUTABLE.items():
            if member in params and member not in ("queryLanguage", "queryString", "scheduleExpression",
                                                   "executionRoleArn", "state"):
                setattr(query, attribute, params[member])
        self._check(ctx, query)
        self.queries.put(ctx.scope, name, query)
        return {"scheduledQueryArn": query.arn, "state": query.state}

    def _find(self, ctx: RequestContext, identifier: str) -> ScheduledQuery:
        name = identifier.rsplit("scheduled-query:", 1)[-1] if identifier.startswith("arn:") else identifier
        found = self.queries.get(ctx.scope, name)
        if found is None or (identifier.startswith("arn:") and found.arn != identifier):
            raise ServiceError("ResourceNotFoundException", f"Scheduled query {identifier} does not exist.")
        return found

    def get_scheduled_query(self, ctx: RequestContext, params: dict) -> dict:
        return self._shape(self._find(ctx, params["identifier"]))

    def update_scheduled_query(self, ctx: RequestContext, params: dict) -> dict:
        query = self._find(ctx, params["identifier"])
        for member, attribute in _MUTABLE.items():
            if member in params:
                setattr(query, attribute, params[member])
        self._check(ctx, query)
        query.last_updated = now_ms()
        self.queries.put(ctx.scope, query.name, query)
        return self._shape(query)

    def delete_scheduled_query(self, ctx: RequestContext, params: dict) -> dict:
        self.queries.delete(ctx.scope, self._find(ctx, params["identifier"]).name)
        return {}

    def list_scheduled_queries(self, ctx: RequestContext, params: dict) -> dict:
        found = sorted(self.queries.values(ctx.scope), key=lambda q: q.name)
        if params.get("state"):
            found = [q for q in found if q.state == params["state"]]
        return page_of(self.paginator, found, params, "scheduledQueries", self._summary, rule=PAGES)

    def get_scheduled_query_history(self, ctx: RequestContext, params: dict) -> dict:
        query = self._find(ctx, params["identifier"])
        if params["endTime"] < params["startTime"]:
            raise _validation("endTime must not be before startTime.")
        result = page_of(self.paginator, [], params, "triggerHistory", rule=PAGES)
        return {"name": query.name, "scheduledQueryArn": query.arn, **result}

    @staticmethod
    def _summary(query: ScheduledQuery) -> dict:
        return {"scheduledQueryArn": query.arn, "name": query.name, "state": query.state,
                "scheduleType": "CUSTOMER_MANAGED", "scheduleExpression": query.schedule, "timezone": query.timezone or "UTC",
                "destinationConfiguration": query.destination or {}, "creationTime": query.creation_time,
                "lastUpdatedTime": query.last_updated}

    @staticmethod
    def _shape(query: ScheduledQuery) -> dict:
        shape: dict[str, Any] = {
            "scheduledQueryArn": query.arn, "name": query.name, "description": query.description,
            "queryLanguage": query.language, "queryString": query.query, "logGroupIdentifiers": query.group_identifiers,
            "scheduleExpression": query.schedule, "timezone": query.timezone or "UTC", "state": query.state,
            "scheduleType": "CUSTOMER_MANAGED", "executionRoleArn": query.execution_role_arn, "creationTime": query.creation_time,
            "lastUpdatedTime": query.last_updated}
        for member, value in (("startTimeOffset", query.start_offset), ("endTimeOffset", query.end_offset),
                              ("destinationConfiguration", query.destination), ("scheduleStartTime", query.schedule_start),
                              ("scheduleEndTime", query.schedule_end)):
            if value is not None:
                shape[member] = value
        return shape
