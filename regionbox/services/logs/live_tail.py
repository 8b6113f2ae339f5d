"""Live Tail: StartLiveTail answers with an event stream of the events its log groups accept
from then on, as AWS's does:

- one ``sessionStart`` event first (request and session ids, what the session tails);
- every second a ``sessionUpdate``, with the matching events that arrived since the last one
  (an empty list when none did); at most 500 per update, sampled down (``sampled: true``) when
  more matched; while the client reads slower than events arrive, at most 5,000 wait and the
  oldest are dropped;
- after the session limit (3 hours; ``Config.logs_live_tail_seconds``) the stream ends with
  ``SessionTimeoutException``. The client ends it sooner by closing the stream.

Events come from ``LogsState.append`` (every PutLogEvents and every service writing logs), are
matched against the session's streams and filter pattern, and masked by the group's data
protection policy, as every read of Logs is.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.store import Scope
from regionbox.services.logs.event_table import StoredEvent
from regionbox.services.logs.models import LogGroup, LogStream
from regionbox.services.logs.patterns import PatternError, compile_pattern
from regionbox.services.logs.state import LogsState

UPDATE_SECONDS = 1.0
UPDATE_EVENTS = 500  # AWS: at most 500 events per sessionUpdate, sampled beyond
BUFFERED_EVENTS = 5000  # AWS: "buffers up to ... 5000 log events, after which it starts dropping the oldest"
SESSIONS_PER_ACCOUNT = 15  # AWS quota: concurrent Live Tail sessions per account and region
TIMEOUT_MESSAGE = "Session timed out after reaching the maximum session duration of 3 hours."

# The group's masking of a message for readers without logs:Unmask (data_protection.py).
Mask = Callable[[Scope, LogGroup, str], str]


@dataclass(eq=False)
class Session:
    scope: Scope
    session_id: str
    gids: dict[int, str]  # group key -> the logGroupIdentifier results carry ("account:name")
    stream_names: frozenset[str] | None
    stream_prefixes: tuple[str, ...] | None
    matches: Callable[[str], bool]
    deadline: float  # monotonic
    pending: deque = field(default_factory=lambda: deque(maxlen=BUFFERED_EVENTS))
    ended: bool = False

    def wants(self, stream: str) -> bool:
        if self.stream_names is not None:
            return stream in self.stream_names
        return self.stream_prefixes is None or stream.startswith(self.stream_prefixes)


class SessionStream:
    """The stream of one session's events; closing it (or the client going away) ends the
    session. A class rather than a generator, so that the session is released even when the
    stream is closed before it was first read."""

    def __init__(self, tail: "LiveTail", session: Session, start: dict) -> None:
        self.tail = tail
        self.session = session
        self.start: dict | None = start
        self.next_update = time.monotonic() + UPDATE_SECONDS

    def __aiter__(self) -> "SessionStream":
        return self

    async def __anext__(self) -> dict:
        session = self.session
        if session.ended:
            raise StopAsyncIteration
        if self.start is not None:
            event, self.start = self.start, None
            return {"sessionStart": event}
        wait = min(self.next_update, session.deadline) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        if time.monotonic() >= session.deadline:
            await self.aclose()
            raise ServiceError("SessionTimeoutException", TIMEOUT_MESSAGE)
        self.next_update = max(self.next_update + UPDATE_SECONDS, time.monotonic())
        results = list(session.pending)
        session.pending.clear()
        sampled = len(results) > UPDATE_EVENTS
        if sampled:
            kept = sorted(random.sample(range(len(results)), UPDATE_EVENTS))
            results = [results[i] for i in kept]
        return {"sessionUpdate": {"sessionMetadata": {"sampled": sampled}, "sessionResults": results}}

    async def aclose(self) -> None:
        self.tail.end(self.session)


class LiveTail:
    def __init__(self, state: LogsState, session_seconds: Callable[[], float], mask: Mask) -> None:
        self.state = state
        self.session_seconds = session_seconds
        self.mask = mask
        self.sessions: dict[str, Session] = {}
        self.by_group: dict[int, set[Session]] = {}
        state.listeners.append(self._accepted)

    def start_live_tail(self, ctx: RequestContext, params: dict) -> dict:
        identifiers = params["logGroupIdentifiers"]
        names, prefixes = params.get("logStreamNames"), params.get("logStreamNamePrefixes")
        if names and prefixes:
            raise invalid("logStreamNames and logStreamNamePrefixes are mutually exclusive parameters.")
        if (names or prefixes) and len(identifiers) != 1:
            raise invalid("logStreamNames or logStreamNamePrefixes can be specified only when logGroupIdentifiers "
                          "holds exactly one log group.")
        groups = []
        for identifier in identifiers:
            group = self.state.group(ctx.scope, self.state.name_from_identifier(ctx, identifier))
            if group.log_group_class != "STANDARD":
                raise ServiceError("InvalidOperationException",
                                   f"Live Tail is not supported for log group {group.name} in the "
                                   f"{group.log_group_class} log class.")
            groups.append(group)
        try:
            matches = compile_pattern(params.get("logEventFilterPattern"))
        except PatternError as error:
            raise invalid(str(error)) from None
        if sum(1 for s in self.sessions.values() if s.scope[0] == ctx.account_id) >= SESSIONS_PER_ACCOUNT:
            raise ServiceError("LimitExceededException",
                               f"The account has reached its limit of {SESSIONS_PER_ACCOUNT} concurrent Live Tail sessions.")
        session = Session(scope=ctx.scope, session_id=str(uuid.uuid4()),
                          gids={g.gid: f"{ctx.account_id}:{g.name}" for g in groups},
                          stream_names=frozenset(names) if names else None,
                          stream_prefixes=tuple(prefixes) if prefixes else None, matches=matches,
                          deadline=time.monotonic() + self.session_seconds())
        self.sessions[session.session_id] = session
        for gid in session.gids:
            self.by_group.setdefault(gid, set()).add(session)
        start = {"requestId": ctx.request_id, "sessionId": session.session_id, "logGroupIdentifiers": identifiers}
        if names:
            start["logStreamNames"] = names
        if prefixes:
            start["logStreamNamePrefixes"] = prefixes
        if params.get("logEventFilterPattern") is not None:
            start["logEventFilterPattern"] = params["logEventFilterPattern"]
        return {"responseStream": SessionStream(self, session, start)}

    def end(self, session: Session) -> None:
        session.ended = True
        self.sessions.pop(session.session_id, None)
        for gid in session.gids:
            tails = self.by_group.get(gid)
            if tails is not None:
                tails.discard(session)
                if not tails:
                    del self.by_group[gid]

    def end_all(self) -> None:
        for session in list(self.sessions.values()):
            self.end(session)

    def _accepted(self, scope: Scope, group: LogGroup, stream: LogStream, events: list[StoredEvent]) -> None:
        for session in self.by_group.get(group.gid, ()):
            if not session.wants(stream.name):
                continue
            for event in events:
                message = self.mask(scope, group, event.message)
                if session.matches(message):
                    session.pending.append({"logStreamName": stream.name, "logGroupIdentifier": session.gids[group.gid],
                                            "message": message, "timestamp": event.timestamp,
                                            "ingestionTime": event.ingestion_time})
