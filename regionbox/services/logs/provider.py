"""CloudWatch Logs: groups, streams, retention, PutLogEvents, and an ingestion API for services.

Groups and streams are documents; events are rows in their own indexed table (events.py) and a
PutLogEvents call is one SQLite transaction. Reading (GetLogEvents, FilterLogEvents) is in
reads.py, Logs Insights queries in queries.py and insights.py. Other services write logs the way
AWS services do, without the public API's batch rules:
``cloud.services.api("logs").append(account, region, group, stream, events)``.
"""

from __future__ import annotations

import bisect
import secrets
from typing import Any, Callable, ClassVar, Iterable

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import InvalidToken
from regionbox.core.store import Scope
from regionbox.services.base import Provider
from regionbox.services.logs.events import EventTable, StreamStats
from regionbox.services.logs.models import LogGroup, LogStream
from regionbox.services.logs.queries import QueriesMixin
from regionbox.services.logs.reads import ReadsMixin

RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD_BYTES = 26
DAY_MS = 86_400_000
MAX_BATCH_SPAN_MS = DAY_MS
TOO_NEW_MS = 2 * 3_600_000
TOO_OLD_MS = 14 * DAY_MS
TAGS_MAX = 50
GROUP_RESOURCE = "AWS::Logs::LogGroup"
_NO_EVENTS = StreamStats(gid=0, first_timestamp=0, last_timestamp=0, last_ingestion=0, stored_bytes=0, sequence=0)
STREAM_RESOURCE = "AWS::Logs::LogStream"


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message, status=400)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, status=400)


def now_ms() -> int:
    return int(clock.epoch() * 1000)


def _new_key() -> int:
    # Random 62-bit keys for groups and streams in the events table: never reused, even after a
    # group is deleted and created again, so stale tokens cannot read a new group's events.
    return secrets.randbits(62) + 1


class LogsProvider(QueriesMixin, ReadsMixin, Provider):
    service: ClassVar[str] = "logs"
    # Writing and reading log events are not management events: CloudTrail's history omits them.
    data_events = frozenset({"PutLogEvents", "GetLogEvents", "FilterLogEvents", "GetLogRecord"})

    def __init__(self, cloud) -> None:
        super().__init__(cloud)
        self.groups = self.store.collection("logs.groups", LogGroup)
        self.streams = self.store.collection("logs.streams", LogStream)
        self.events = EventTable(self.store)
        # Logs Insights query runs: scope -> query id -> QueryRun (kept in memory, see queries.py)
        self.query_runs: dict = {}

    async def reset(self) -> None:
        self.query_runs.clear()

    async def start(self) -> None:
        for _, _, group in list(self.groups.all()):
            self._purge_expired(group)

    # -- lookups -------------------------------------------------------------------------------
    def _group(self, scope: Scope, name: str) -> LogGroup:
        group = self.groups.get(scope, name)
        if group is None:
            raise not_found("The specified log group does not exist.")
        return group

    def _group_named(self, ctx: RequestContext, params: dict) -> LogGroup:
        """The group from logGroupName or logGroupIdentifier (a name or an ARN)."""
        name, identifier = params.get("logGroupName"), params.get("logGroupIdentifier")
        if name and identifier:
            raise invalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
        if identifier:
            name = self._name_from_identifier(ctx, identifier)
        if not name:
            raise invalid("Should provide either name or ARN for the log group.")
        return self._group(ctx.scope, name)

    def _name_from_identifier(self, ctx: RequestContext, identifier: str) -> str:
        if not identifier.startswith("arn:"):
            return identifier
        parts = identifier.split(":")
        if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
            raise invalid(f"Invalid log group identifier: {identifier}")
        if parts[3] != ctx.region or parts[4] != ctx.account_id:
            raise not_found("The specified log group does not exist.")
        return parts[6]

    @staticmethod
    def _stream_key(group: str, stream: str) -> str:
        # ":" cannot appear in group or stream names, so the key is unambiguous.
        return f"{group}:{stream}"

    def _stream(self, scope: Scope, group: str, name: str) -> LogStream:
        stream = self.streams.get(scope, self._stream_key(group, name))
        if stream is None:
            raise not_found("The specified log stream does not exist.")
        return stream

    def _streams_of(self, scope: Scope, group: str) -> list[LogStream]:
        return [s for s in self.streams.values(scope) if s.group == group]

    # -- pagination by sort key (stable while groups/streams come and go) ----------------------
    def _page(self, items: list, sort_key: Callable[[Any], tuple], params: dict, *, descending: bool = False,
              default_limit: int = 50) -> tuple[list, str | None]:
        items = sorted(items, key=sort_key, reverse=descending)
        if params.get("nextToken"):
            try:
                last = tuple(self.cloud.paginator.decode(params["nextToken"])["k"])
                items = [i for i in items if (sort_key(i) < last if descending else sort_key(i) > last)]
            except (InvalidToken, KeyError, TypeError):
                raise invalid("The specified nextToken is invalid.") from None
        limit = params.get("limit") or default_limit
        page = items[:limit]
        token = self.cloud.paginator.encode({"k": list(sort_key(page[-1]))}) if len(items) > limit else None
        return page, token

    # -- log groups ----------------------------------------------------------------------------
    def _create_group(self, scope: Scope, name: str, **fields) -> LogGroup:
        account, region = scope
        group = LogGroup(name=name, arn=f"arn:aws:logs:{region}:{account}:log-group:{name}", gid=_new_key(),
                         creation_time=now_ms(), **fields)
        self.groups.put(scope, name, group)
        return group

    def create_log_group(self, ctx: RequestContext, params: dict) -> dict:
        name = params["logGroupName"]
        if self.groups.get(ctx.scope, name) is not None:
            raise ServiceError("ResourceAlreadyExistsException", "The specified log group already exists")
        tags = params.get("tags") or {}
        if len(tags) > TAGS_MAX:
            raise invalid(f"A log group can have at most {TAGS_MAX} tags.")
        self._create_group(ctx.scope, name, kms_key_id=params.get("kmsKeyId"),
                           log_group_class=params.get("logGroupClass") or "STANDARD",
                           deletion_protection=bool(params.get("deletionProtectionEnabled")), tags=dict(tags))
        ctx.touched(GROUP_RESOURCE, name)
        return {}

    def delete_log_group(self, ctx: RequestContext, params: dict) -> dict:
        group = self._group(ctx.scope, params["logGroupName"])
        if group.deletion_protection:
            raise ServiceError("ValidationException",
                               f"Log group {group.name} has deletion protection enabled and cannot be deleted.")
        with self.store.transaction():
            for stream in self._streams_of(ctx.scope, group.name):
                self.streams.delete(ctx.scope, self._stream_key(group.name, stream.name))
            self.events.delete_group(group.gid)
            self.groups.delete(ctx.scope, group.name)
        ctx.touched(GROUP_RESOURCE, group.name)
        return {}

    def put_log_group_deletion_protection(self, ctx: RequestContext, params: dict) -> dict:
        group = self._group_named(ctx, params)
        group.deletion_protection = bool(params["deletionProtectionEnabled"])
        self.groups.put(ctx.scope, group.name, group)
        ctx.touched(GROUP_RESOURCE, group.name)
        return {}

    def _group_shape(self, scope: Scope, group: LogGroup) -> dict:
        shape = {
            "logGroupName": group.name,
            "creationTime": group.creation_time,
            "metricFilterCount": 0,
            "arn": f"{group.arn}:*",
            "logGroupArn": group.arn,
            "storedBytes": sum(self._stats(s).stored_bytes for s in self._streams_of(scope, group.name)),
            "logGroupClass": group.log_group_class,
            "deletionProtectionEnabled": group.deletion_protection,
        }
        if group.retention_in_days is not None:
            shape["retentionInDays"] = group.retention_in_days
        if group.kms_key_id:
            shape["kmsKeyId"] = group.kms_key_id
        return shape

    def describe_log_groups(self, ctx: RequestContext, params: dict) -> dict:
        prefix, pattern = params.get("logGroupNamePrefix"), params.get("logGroupNamePattern")
        identifiers = params.get("logGroupIdentifiers")
        if prefix and pattern:
            raise invalid("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
        if identifiers and (prefix or pattern):
            raise invalid("LogGroup identifiers and LogGroup name prefix or pattern are mutually exclusive parameters.")
        groups = self.groups.values(ctx.scope)
        if prefix:
            groups = [g for g in groups if g.name.startswith(prefix)]
        if pattern:
            # logGroupNamePattern is a case-insensitive substring match.
            groups = [g for g in groups if pattern.lower() in g.name.lower()]
        if identifiers:
            wanted = {self._name_from_identifier_or_none(ctx, i) for i in identifiers}
            groups = [g for g in groups if g.name in wanted]
        if params.get("logGroupClass"):
            groups = [g for g in groups if g.log_group_class == params["logGroupClass"]]
        page, token = self._page(groups, lambda g: (g.name,), params)
        result: dict = {"logGroups": [self._group_shape(ctx.scope, g) for g in page]}
        if token:
            result["nextToken"] = token
        return result

    def _name_from_identifier_or_none(self, ctx: RequestContext, identifier: str) -> str | None:
        try:
            return self._name_from_identifier(ctx, identifier.removesuffix(":*"))
        except ServiceError:
            return None

    def put_retention_policy(self, ctx: RequestContext, params: dict) -> dict:
        days = params["retentionInDays"]
        if days not in RETENTION_DAYS:
            raise invalid(f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy "
                          f"constraint: Member must satisfy enum value set: [{', '.join(map(str, RETENTION_DAYS))}]")
        group = self._group(ctx.scope, params["logGroupName"])
        group.retention_in_days = days
        self.groups.put(ctx.scope, group.name, group)
        self._purge_expired(group)
        ctx.touched(GROUP_RESOURCE, group.name)
        return {}

    def delete_retention_policy(self, ctx: RequestContext, params: dict) -> dict:
        group = self._group(ctx.scope, params["logGroupName"])
        group.retention_in_days = None
        self.groups.put(ctx.scope, group.name, group)
        ctx.touched(GROUP_RESOURCE, group.name)
        return {}

    def _retention_cutoff(self, group: LogGroup) -> int | None:
        """Events older than this (epoch ms) are expired and never returned."""
        return now_ms() - group.retention_in_days * DAY_MS if group.retention_in_days else None

    def _purge_expired(self, group: LogGroup) -> None:
        cutoff = self._retention_cutoff(group)
        if cutoff is not None:
            self.store.execute("DELETE FROM log_events WHERE gid=? AND ts<?", (group.gid, cutoff))

    # -- tags (current ARN-based API and the deprecated name-based one) ------------------------
    def _group_by_arn(self, ctx: RequestContext, arn: str) -> LogGroup:
        parts = arn.removesuffix(":*").split(":")
        if len(parts) != 7 or parts[2] != "logs" or parts[5] != "log-group":
            raise invalid(f"Invalid resource ARN: {arn}")
        if parts[3] != ctx.region or parts[4] != ctx.account_id:
            raise not_found("The specified resource does not exist.")
        group = self.groups.get(ctx.scope, parts[6])
        if group is None:
            raise not_found("The specified resource does not exist.")
        return group

    def _tag(self, ctx: RequestContext, group: LogGroup, tags: dict) -> None:
        merged = {**group.tags, **tags}
        if len(merged) > TAGS_MAX:
            raise ServiceError("TooManyTagsException", f"A resource can have no more than {TAGS_MAX} tags.",
                               resourceName=group.arn)
        group.tags = merged
        self.groups.put(ctx.scope, group.name, group)
        ctx.touched(GROUP_RESOURCE, group.name)

    def _untag(self, ctx: RequestContext, group: LogGroup, keys: Iterable[str]) -> None:
        for key in keys:
            group.tags.pop(key, None)
        self.groups.put(ctx.scope, group.name, group)
        ctx.touched(GROUP_RESOURCE, group.name)

    def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        self._tag(ctx, self._group_by_arn(ctx, params["resourceArn"]), params["tags"])
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        self._untag(ctx, self._group_by_arn(ctx, params["resourceArn"]), params["tagKeys"])
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, params: dict) -> dict:
        return {"tags": dict(self._group_by_arn(ctx, params["resourceArn"]).tags)}

    def tag_log_group(self, ctx: RequestContext, params: dict) -> dict:
        self._tag(ctx, self._group(ctx.scope, params["logGroupName"]), params["tags"])
        return {}

    def untag_log_group(self, ctx: RequestContext, params: dict) -> dict:
        self._untag(ctx, self._group(ctx.scope, params["logGroupName"]), params["tags"])
        return {}

    def list_tags_log_group(self, ctx: RequestContext, params: dict) -> dict:
        return {"tags": dict(self._group(ctx.scope, params["logGroupName"]).tags)}

    # -- log streams ---------------------------------------------------------------------------
    def _create_stream(self, scope: Scope, group: LogGroup, name: str) -> LogStream:
        stream = LogStream(group=group.name, name=name, arn=f"{group.arn}:log-stream:{name}", sid=_new_key(),
                           creation_time=now_ms())
        self.streams.put(scope, self._stream_key(group.name, name), stream)
        return stream

    def create_log_stream(self, ctx: RequestContext, params: dict) -> dict:
        group = self._group(ctx.scope, params["logGroupName"])
        name = params["logStreamName"]
        if self.streams.get(ctx.scope, self._stream_key(group.name, name)) is not None:
            raise ServiceError("ResourceAlreadyExistsException", "The specified log stream already exists")
        self._create_stream(ctx.scope, group, name)
        ctx.touched(STREAM_RESOURCE, name)
        return {}

    def delete_log_stream(self, ctx: RequestContext, params: dict) -> dict:
        group = self._group(ctx.scope, params["logGroupName"])
        stream = self._stream(ctx.scope, group.name, params["logStreamName"])
        with self.store.transaction():
            self.events.delete_stream(stream.sid)
            self.streams.delete(ctx.scope, self._stream_key(group.name, stream.name))
        ctx.touched(STREAM_RESOURCE, stream.name)
        return {}

    def _stats(self, stream: LogStream) -> StreamStats:
        return self.events.stats.get(stream.sid) or _NO_EVENTS

    def _stream_shape(self, stream: LogStream) -> dict:
        stats = self._stats(stream)
        shape = {"logStreamName": stream.name, "creationTime": stream.creation_time, "arn": stream.arn,
                 "storedBytes": stats.stored_bytes}
        if stats.sequence:
            shape["firstEventTimestamp"] = stats.first_timestamp
            shape["lastEventTimestamp"] = stats.last_timestamp
            shape["lastIngestionTime"] = stats.last_ingestion
            shape["uploadSequenceToken"] = _sequence_token(stats.sequence)
        return shape

    def describe_log_streams(self, ctx: RequestContext, params: dict) -> dict:
        group = self._group_named(ctx, params)
        order_by, prefix = params.get("orderBy") or "LogStreamName", params.get("logStreamNamePrefix")
        if order_by == "LastEventTime" and prefix:
            raise invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
        streams = self._streams_of(ctx.scope, group.name)
        if prefix:
            streams = [s for s in streams if s.name.startswith(prefix)]
        if order_by == "LastEventTime":
            sort_key = lambda s: (self._stats(s).last_timestamp, s.name)  # noqa: E731
        else:
            sort_key = lambda s: (s.name,)  # noqa: E731
        page, token = self._page(streams, sort_key, params, descending=bool(params.get("descending")))
        result: dict = {"logStreams": [self._stream_shape(s) for s in page]}
        if token:
            result["nextToken"] = token
        return result

    # -- writing events ------------------------------------------------------------------------
    def put_log_events(self, ctx: RequestContext, params: dict) -> dict:
        group = self._group(ctx.scope, params["logGroupName"])
        stream = self._stream(ctx.scope, group.name, params["logStreamName"])
        # The model's limits (1..10,000 events, non-empty messages) are checked by the protocol layer.
        events = params["logEvents"]
        size = sum(len(e["message"].encode()) for e in events) + EVENT_OVERHEAD_BYTES * len(events)
        if size > MAX_BATCH_BYTES:
            raise invalid(f"Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}")
        stamps = [e["timestamp"] for e in events]
        if any(later < earlier for earlier, later in zip(stamps, stamps[1:])):
            raise invalid("Log events in a single PutLogEvents request must be in chronological order.")
        if stamps[-1] - stamps[0] > MAX_BATCH_SPAN_MS:
            raise invalid("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
        now = now_ms()
        rejected: dict[str, int] = {}
        # Events are in time order, so the rejected ones are a prefix (too old, expired) and a suffix (too new).
        first = bisect.bisect_left(stamps, now - TOO_OLD_MS)
        if first:
            rejected["tooOldLogEventEndIndex"] = first - 1
        cutoff = self._retention_cutoff(group)
        if cutoff is not None:
            expired = bisect.bisect_left(stamps, cutoff)
            if expired:
                rejected["expiredLogEventEndIndex"] = expired - 1
                first = max(first, expired)
        end = bisect.bisect_right(stamps, now + TOO_NEW_MS)
        if end < len(events):
            rejected["tooNewLogEventStartIndex"] = end
        accepted = [(e["timestamp"], e["message"]) for e in events[first:end]]
        stats = self.events.insert(group.gid, stream.sid, now, accepted) if accepted else self._stats(stream)
        result: dict = {"nextSequenceToken": _sequence_token(stats.sequence)}
        if rejected:
            result["rejectedLogEventsInfo"] = rejected
        return result

    def append(self, account: str, region: str, group_name: str, stream_name: str,
               events: Iterable[dict | tuple[int, str]]) -> int:
        """Write events as an AWS service does (RDS Enhanced Monitoring, Transfer Family ...):
        the group and stream are created when missing, events are (timestamp ms, message) pairs or
        {"timestamp", "message"} dicts in any order. Returns how many events were stored."""
        scope = (account, region)
        pairs = sorted((e["timestamp"], e["message"]) if isinstance(e, dict) else (int(e[0]), str(e[1])) for e in events)
        group = self.groups.get(scope, group_name) or self._create_group(scope, group_name)
        stream = (self.streams.get(scope, self._stream_key(group_name, stream_name))
                  or self._create_stream(scope, group, stream_name))
        cutoff = self._retention_cutoff(group)
        if cutoff is not None:
            pairs = [p for p in pairs if p[0] >= cutoff]
        if pairs:
            self.events.insert(group.gid, stream.sid, now_ms(), pairs)
        return len(pairs)


def _sequence_token(sequence: int) -> str:
    # Sequence tokens are accepted and ignored, as AWS does since 2023; they still look like AWS's.
    return f"{sequence:056d}"
