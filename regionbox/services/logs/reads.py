"""Reading events: GetLogEvents (one stream, token-walked both ways) and FilterLogEvents.

GetLogEvents tokens are ``f/`` or ``b/`` followed by 56 digits that encode a position in the
stream (timestamp, event row) plus the stream's key, so a token from another stream is refused.
``f/X`` reads the events after X, ``b/X`` the events before X; at either end the same token comes
back, which is how clients know they reached the end (as on AWS).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import InvalidToken
from regionbox.services.logs.events import START, Cursor, StoredEvent
from regionbox.services.logs.patterns import PatternError, compile_pattern

if TYPE_CHECKING:
    from regionbox.services.logs.models import LogGroup

MAX_EVENTS = 10_000
MAX_RESPONSE_BYTES = 1_048_576
# FilterLogEvents stops after looking at this many events and hands back a token to go on, as
# AWS returns partial (even empty) pages with a nextToken when a search runs long.
FILTER_SCAN_LIMIT = 200_000
_KEY_MOD = 10**18


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message, status=400)


def _digits(sid: int, cursor: Cursor) -> str:
    timestamp, rowid = cursor
    return f"{timestamp + 1:019d}{sid % _KEY_MOD:018d}{rowid:019d}"


def event_id(event: StoredEvent) -> str:
    return _digits(event.sid, event.cursor)


def _parse_token(token: str, sid: int) -> tuple[str, Cursor]:
    direction, _, digits = token.partition("/")
    if direction not in ("f", "b") or len(digits) != 56 or not digits.isdigit() or int(digits[19:37]) != sid % _KEY_MOD:
        raise _invalid("The specified nextToken is invalid.")
    return direction, (int(digits[:19]) - 1, int(digits[37:]))


def _within_budget(events: Iterator[StoredEvent], limit: int) -> list[StoredEvent]:
    """Take events until ``limit`` or the 1 MB response budget (26 bytes of overhead each)."""
    taken, size = [], 0
    for event in events:
        size += len(event.message.encode()) + 26
        if taken and size > MAX_RESPONSE_BYTES:
            break
        taken.append(event)
        if len(taken) >= limit:
            break
    return taken


class ReadsMixin:
    def _time_range(self, group: "LogGroup", params: dict) -> tuple[int | None, int | None]:
        start, end = params.get("startTime"), params.get("endTime")
        if start is not None and end is not None and start > end:
            raise _invalid("startTime must be less than or equal to endTime.")
        cutoff = self._retention_cutoff(group)
        if cutoff is not None:
            start = max(start or 0, cutoff)
        return start, end

    def get_log_events(self, ctx: RequestContext, params: dict) -> dict:
        group = self._group_named(ctx, params)
        stream = self._stream(ctx.scope, group.name, params["logStreamName"])
        start, end = self._time_range(group, params)
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
        if events:
            forward, back = events[-1].cursor, events[0].cursor
        else:
            # Nothing more this way: hand back the same position, so the caller sees the end.
            position = cursor if cursor is not None else START
            forward = back = position
        return {
            "events": [{"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion_time} for e in events],
            "nextForwardToken": f"f/{_digits(stream.sid, forward)}",
            "nextBackwardToken": f"b/{_digits(stream.sid, back)}",
        }

    def filter_log_events(self, ctx: RequestContext, params: dict) -> dict:
        group = self._group_named(ctx, params)
        names, prefix = params.get("logStreamNames"), params.get("logStreamNamePrefix")
        if names and prefix:
            raise _invalid("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
        try:
            matches = compile_pattern(params.get("filterPattern"))
        except PatternError as error:
            raise _invalid(str(error)) from None
        streams = {s.sid: s for s in self._streams_of(ctx.scope, group.name)
                   if (not names or s.name in names) and (not prefix or s.name.startswith(prefix))}
        start, end = self._time_range(group, params)
        after = None
        if params.get("nextToken"):
            try:
                payload = self.cloud.paginator.decode(params["nextToken"])
                if payload["g"] != group.gid:
                    raise InvalidToken(params["nextToken"])
                after = (int(payload["c"][0]), int(payload["c"][1]))
            except (InvalidToken, KeyError, TypeError, IndexError, ValueError):
                raise _invalid("The specified nextToken is invalid.") from None
        limit = params.get("limit") or MAX_EVENTS
        found: list[StoredEvent] = []
        size, scanned, last = 0, 0, None
        more = False
        if streams:
            # FilterLogEvents' endTime is inclusive, unlike GetLogEvents'.
            rows = self.events.read(gid=group.gid, sids=None if not (names or prefix) else list(streams),
                                    start=start, end=None if end is None else end + 1, after=after)
            for event in rows:
                scanned += 1
                if matches(event.message):
                    size += len(event.message.encode()) + 26
                    if found and size > MAX_RESPONSE_BYTES:
                        more = True
                        break
                    found.append(event)
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
            result["nextToken"] = self.cloud.paginator.encode({"g": group.gid, "c": list(last)})
        return result
