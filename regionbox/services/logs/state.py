"""CloudWatch Logs' one typed state: log groups and streams (documents per account and region),
their events and each stream's statistics (event_table.py), and the lookups every handler uses.

Names come from the request as AWS takes them: a group by ``logGroupName`` or by
``logGroupIdentifier`` (its name or ARN), a stream by group and name.
"""

from __future__ import annotations

import secrets

from regionbox.core import arns, clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.store import Scope, Store
from regionbox.services.logs.event_table import EventTable, StreamStats
from regionbox.services.logs.models import LogGroup, LogStream

DAY_MS = 86_400_000
_NO_EVENTS = StreamStats(gid=0, first_timestamp=0, last_timestamp=0, last_ingestion=0, stored_bytes=0, sequence=0)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, status=400)


def now_ms() -> int:
    return int(clock.epoch() * 1000)


def _new_key() -> int:
    # Random 62-bit keys for groups and streams in the events table: never reused, even after a
    # group is deleted and created again, so stale tokens cannot read a new group's events.
    return secrets.randbits(62) + 1


def _stream_key(group: str, stream: str) -> str:
    # ":" cannot appear in group or stream names, so the key is unambiguous.
    return f"{group}:{stream}"


class LogsState:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.groups = store.collection("logs.groups", LogGroup)
        self.streams = store.collection("logs.streams", LogStream)
        self.events = EventTable(store)

    # -- groups --------------------------------------------------------------------------------
    def group(self, scope: Scope, name: str) -> LogGroup:
        group = self.groups.get(scope, name)
        if group is None:
            raise not_found("The specified log group does not exist.")
        return group

    def group_named(self, ctx: RequestContext, params: dict) -> LogGroup:
        """The group from logGroupName or logGroupIdentifier (a name or an ARN)."""
        name, identifier = params.get("logGroupName"), params.get("logGroupIdentifier")
        if name and identifier:
            raise invalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
        if identifier:
            name = self.name_from_identifier(ctx, identifier)
        if not name:
            raise invalid("Should provide either name or ARN for the log group.")
        return self.group(ctx.scope, name)

    @staticmethod
    def name_from_identifier(ctx: RequestContext, identifier: str) -> str:
        if not identifier.startswith("arn:"):
            return identifier
        parts = identifier.split(":")
        if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
            raise invalid(f"Invalid log group identifier: {identifier}")
        if parts[3] != ctx.region or parts[4] != ctx.account_id:
            raise not_found("The specified log group does not exist.")
        return parts[6]

    def create_group(self, scope: Scope, name: str, **fields) -> LogGroup:
        account, region = scope
        group = LogGroup(name=name, arn=arns.arn("logs", region, account, f"log-group:{name}"), gid=_new_key(),
                         creation_time=now_ms(), **fields)
        self.groups.put(scope, name, group)
        return group

    def delete_group(self, scope: Scope, group: LogGroup) -> None:
        with self.store.transaction():
            for stream in self.streams_of(scope, group.name):
                self.streams.delete(scope, _stream_key(group.name, stream.name))
            self.events.delete_group(group.gid)
            self.groups.delete(scope, group.name)

    @staticmethod
    def retention_cutoff(group: LogGroup) -> int | None:
        """Events older than this (epoch ms) are expired and never returned."""
        return now_ms() - group.retention_in_days * DAY_MS if group.retention_in_days else None

    def time_range(self, group: LogGroup, params: dict) -> tuple[int | None, int | None]:
        """The request's startTime and endTime, never reaching before the group's retention."""
        start, end = params.get("startTime"), params.get("endTime")
        if start is not None and end is not None and start > end:
            raise invalid("startTime must be less than or equal to endTime.")
        cutoff = self.retention_cutoff(group)
        if cutoff is not None:
            start = max(start or 0, cutoff)
        return start, end

    def purge_expired(self, group: LogGroup) -> None:
        cutoff = self.retention_cutoff(group)
        if cutoff is not None:
            self.events.delete_before(group.gid, cutoff)

    def purge_all_expired(self) -> None:
        for _, _, group in list(self.groups.all()):
            self.purge_expired(group)

    # -- streams -------------------------------------------------------------------------------
    def stream(self, scope: Scope, group: str, name: str) -> LogStream:
        stream = self.find_stream(scope, group, name)
        if stream is None:
            raise not_found("The specified log stream does not exist.")
        return stream

    def find_stream(self, scope: Scope, group: str, name: str) -> LogStream | None:
        return self.streams.get(scope, _stream_key(group, name))

    def streams_of(self, scope: Scope, group: str) -> list[LogStream]:
        return [s for s in self.streams.values(scope) if s.group == group]

    def create_stream(self, scope: Scope, group: LogGroup, name: str) -> LogStream:
        stream = LogStream(group=group.name, name=name, arn=f"{group.arn}:log-stream:{name}", sid=_new_key(),
                           creation_time=now_ms())
        self.streams.put(scope, _stream_key(group.name, name), stream)
        return stream

    def delete_stream(self, scope: Scope, stream: LogStream) -> None:
        with self.store.transaction():
            self.events.delete_stream(stream.sid)
            self.streams.delete(scope, _stream_key(stream.group, stream.name))

    def stats(self, stream: LogStream) -> StreamStats:
        return self.events.stats.get(stream.sid) or _NO_EVENTS
