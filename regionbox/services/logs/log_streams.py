"""Log streams: create, describe (by name or by last event time), delete."""

from __future__ import annotations

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.services.logs.event_table import sequence_token
from regionbox.services.logs.listing import KeyPages
from regionbox.services.logs.models import LogStream
from regionbox.services.logs.state import LogsState

STREAM_RESOURCE = "AWS::Logs::LogStream"


class LogStreams:
    def __init__(self, state: LogsState, pages: KeyPages) -> None:
        self.state = state
        self.pages = pages

    def create_log_stream(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group(ctx.scope, params["logGroupName"])
        name = params["logStreamName"]
        if self.state.find_stream(ctx.scope, group.name, name) is not None:
            raise ServiceError("ResourceAlreadyExistsException", "The specified log stream already exists")
        self.state.create_stream(ctx.scope, group, name)
        ctx.touched(STREAM_RESOURCE, name)
        return {}

    def delete_log_stream(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group(ctx.scope, params["logGroupName"])
        stream = self.state.stream(ctx.scope, group.name, params["logStreamName"])
        self.state.delete_stream(ctx.scope, stream)
        ctx.touched(STREAM_RESOURCE, stream.name)
        return {}

    def _shape(self, stream: LogStream) -> dict:
        stats = self.state.stats(stream)
        shape = {"logStreamName": stream.name, "creationTime": stream.creation_time, "arn": stream.arn,
                 "storedBytes": stats.stored_bytes}
        if stats.sequence:
            shape["firstEventTimestamp"] = stats.first_timestamp
            shape["lastEventTimestamp"] = stats.last_timestamp
            shape["lastIngestionTime"] = stats.last_ingestion
            shape["uploadSequenceToken"] = sequence_token(stats.sequence)
        return shape

    def describe_log_streams(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group_named(ctx, params)
        order_by, prefix = params.get("orderBy") or "LogStreamName", params.get("logStreamNamePrefix")
        if order_by == "LastEventTime" and prefix:
            raise invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
        streams = self.state.streams_of(ctx.scope, group.name)
        if prefix:
            streams = [s for s in streams if s.name.startswith(prefix)]
        if order_by == "LastEventTime":
            sort_key = lambda s: (self.state.stats(s).last_timestamp, s.name)  # noqa: E731
        else:
            sort_key = lambda s: (s.name,)  # noqa: E731
        page, token = self.pages.page(streams, sort_key, params, descending=bool(params.get("descending")))
        result: dict = {"logStreams": [self._shape(s) for s in page]}
        if token:
            result["nextToken"] = token
        return result
