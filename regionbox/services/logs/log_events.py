"""Log events: PutLogEvents, GetLogEvents (one stream, token-walked both ways) and
FilterLogEvents (a group, with a filter pattern).

GetLogEvents tokens are ``f/`` or ``b/`` followed by 56 digits that encode a position in the
stream (timestamp, event row) plus the stream's key, so a token from another stream is refused.
``f/X`` reads the events after X, ``b/X`` the events before X; at either end the same token comes
back, which is how clients know they reached the end (as on AWS).
"""

from __future__ import annotations

import bisect
from dataclasses import replace
from typing import Iterator

from regionbox.core.context import RequestContext
from regionbox.core.errors import invalid
from regionbox.core.pagination import InvalidToken, Paginator
from regionbox.services.logs.event_table import (START, Cursor, StoredEvent, event_id, parse_position,
                                                 position_digits, sequence_token)
from regionbox.services.logs.data_protection import DataProtection
from regionbox.services.logs.patterns import PatternError, compile_pattern
from regionbox.services.logs.state import DAY_MS, LogsState, now_ms

MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD_BYTES = 26
MAX_BATCH_SPAN_MS = DAY_MS
TOO_NEW_MS = 2 * 3_600_000
TOO_OLD_MS = 14 * DAY_MS
MAX_EVENTS = 10_000
MAX_RESPONSE_BYTES = 1_048_576
# FilterLogEvents stops after looking at this many events and hands back a token to go on, as
# AWS returns partial (even empty) pages with a nextToken when a search runs long.
FILTER_SCAN_LIMIT = 200_000


def _as_is(message: str) -> str:
    return message


def _parse_token(token: str, sid: int) -> tuple[str, Cursor]:
    direction, _, digits = token.partition("/")
    cursor = parse_position(digits, sid) if direction in ("f", "b") else None
    if cursor is None:
        raise invalid("The specified nextToken is invalid.")
    return direction, cursor


def _within_budget(events: Iterator[StoredEvent], limit: int) -> list[StoredEvent]:
    """Take events until ``limit`` or the 1 MB response budget (26 bytes of overhead each)."""
    taken, size = [], 0
    for event in events:
        size += len(event.message.encode()) + EVENT_OVERHEAD_BYTES
        if taken and size > MAX_RESPONSE_BYTES:
            break
        taken.append(event)
        if len(taken) >= limit:
            break
    return taken


class LogEvents:
    def __init__(self, state: LogsState, paginator: Paginator, masking: DataProtection) -> None:
        self.state = state
        self.events = state.events
        self.paginator = paginator
        self.masking = masking

    def put_log_events(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group(ctx.scope, params["logGroupName"])
        stream = self.state.stream(ctx.scope, group.name, params["logStreamName"])
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
        cutoff = self.state.retention_cutoff(ctx.scope, group)
        if cutoff is not None:
            expired = bisect.bisect_left(stamps, cutoff)
            if expired:
                rejected["expiredLogEventEndIndex"] = expired - 1
                first = max(first, expired)
        end = bisect.bisect_right(stamps, now + TOO_NEW_MS)
        if end < len(events):
            rejected["tooNewLogEventStartIndex"] = end
        accepted = [(e["timestamp"], e["message"]) for e in events[first:end]]
        stats = self.state.append(ctx.scope, group, stream, accepted, now) if accepted else self.state.stats(stream)
        result: dict = {"nextSequenceToken": sequence_token(stats.sequence)}
        if rejected:
            result["rejectedLogEventsInfo"] = rejected
        return result

    def get_log_events(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group_named(ctx, params)
        stream = self.state.stream(ctx.scope, group.name, params["logStreamName"])
        start, end = self.state.time_range(ctx.scope, group, params)
        limit = params.get("limit") or MAX_EVENTS
        token = params.get("nextToken")
        if token:
            direction, cursor = _parse_token(token, stream.sid)
        else:
            direction, cursor = ("f", START) if params.get("startFromHead") else ("b", None)
        backward = direction == "b"
        rows = self.events.read(sid=stream.sid, start=start, end=end, backward=backward,
                                after=None if backward else cursor, before=cursor if backward else None)
        events = _within_budget(rows, limit)
        if backward:
            events.reverse()
        mask = self.masking.reader(ctx.scope, group, bool(params.get("unmask"))) or _as_is
        if events:
            forward, back = events[-1].cursor, events[0].cursor
        else:
            # Nothing more this way: hand back the same position, so the caller sees the end.
            position = cursor if cursor is not None else START
            forward = back = position
        return {
            "events": [{"timestamp": e.timestamp, "message": mask(e.message), "ingestionTime": e.ingestion_time}
                       for e in events],
            "nextForwardToken": f"f/{position_digits(stream.sid, forward)}",
            "nextBackwardToken": f"b/{position_digits(stream.sid, back)}",
        }

    def filter_log_events(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group_named(ctx, params)
        names, prefix = params.get("logStreamNames"), params.get("logStreamNamePrefix")
        if names and prefix:
            raise invalid("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
        try:
            matches = compile_pattern(params.get("filterPattern"))
        except PatternError as error:
            raise invalid(str(error)) from None
        streams = {s.sid: s for s in self.state.streams_of(ctx.scope, group.name)
                   if (not names or s.name in names) and (not prefix or s.name.startswith(prefix))}
        start, end = self.state.time_range(ctx.scope, group, params)
        after = None
        if params.get("nextToken"):
            try:
                payload = self.paginator.decode(params["nextToken"])
                if payload["g"] != group.gid:
                    raise InvalidToken(params["nextToken"])
                after = (int(payload["c"][0]), int(payload["c"][1]))
            except (InvalidToken, KeyError, TypeError, IndexError, ValueError):
                raise invalid("The specified nextToken is invalid.") from None
        limit = params.get("limit") or MAX_EVENTS
        # A reader without logs:Unmask searches and sees the masked messages.
        mask = self.masking.reader(ctx.scope, group, bool(params.get("unmask"))) or _as_is
        found: list[StoredEvent] = []
        size, scanned, last = 0, 0, None
        more = False
        if streams:
            # FilterLogEvents' endTime is inclusive, unlike GetLogEvents'.
            rows = self.events.read(gid=group.gid, sids=None if not (names or prefix) else list(streams),
                                    start=start, end=None if end is None else end + 1, after=after)
            for event in rows:
                scanned += 1
                message = mask(event.message)
                if matches(message):
                    size += len(message.encode()) + EVENT_OVERHEAD_BYTES
                    if found and size > MAX_RESPONSE_BYTES:
                        more = True
                        break
                    found.append(replace(event, message=message) if message is not event.message else event)
                last = event.cursor
                if len(found) >= limit or scanned >= FILTER_SCAN_LIMIT:
                    more = next(rows, None) is not None
                    break
        result: dict = {
            "events": [{"logStreamName": streams[e.sid].name, "timestamp": e.timestamp, "message": e.message,
                        "ingestionTime": e.ingestion_time, "eventId": event_id(e)} for e in found],
            "searchedLogStreams": [{"logStreamName": s.name, "searchedCompletely": not more} for s in streams.values()],
        }
        if more and last is not None:
            result["nextToken"] = self.paginator.encode({"g": group.gid, "c": list(last)})
        return result
