"""What CloudWatch Logs offers other services (``cloud.services.api("logs")``): writing events
the way AWS services do (RDS Enhanced Monitoring, Transfer Family ...), without the public API's
batch rules."""

from __future__ import annotations

from typing import Callable, Iterable, Iterator

from regionbox.services.logs.state import LogsState
from regionbox.services.logs.transformers import Transformers, transformed_by


class LogsApi:
    def __init__(self, state: LogsState, transformers: Transformers | None = None) -> None:
        self._state = state
        self._transformers = transformers

    def append(self, account: str, region: str, group_name: str, stream_name: str,
               events: Iterable[dict | tuple[int, str]]) -> int:
        """Write events to a group and stream, created when missing. Events are (timestamp ms,
        message) pairs or {"timestamp", "message"} dicts, in any order; events older than the
        group's retention are dropped. Returns how many events were stored."""
        state, scope = self._state, (account, region)
        pairs = sorted((e["timestamp"], e["message"]) if isinstance(e, dict) else (int(e[0]), str(e[1])) for e in events)
        group = state.groups.get(scope, group_name) or state.create_group(scope, group_name)
        stream = state.find_stream(scope, group_name, stream_name) or state.create_stream(scope, group, stream_name)
        cutoff = state.retention_cutoff(scope, group)
        if cutoff is not None:
            pairs = [p for p in pairs if p[0] >= cutoff]
        if pairs:
            state.append(scope, group, stream, pairs)
        return len(pairs)

    def group_exists(self, account: str, region: str, group_name: str) -> bool:
        """Whether the group exists (CloudTrail delivers only to a group that does)."""
        return self._state.groups.get((account, region), group_name) is not None

    def group_names(self, account: str, region: str, prefix: str = "") -> list[str]:
        """The names of the groups that start with ``prefix``, sorted (CloudWatch's Contributor
        Insights rules name groups by prefix)."""
        return sorted(g.name for g in self._state.groups.values((account, region)) if g.name.startswith(prefix))

    def reader(self, account: str, region: str, group_names: Iterable[str], start: int | None = None,
               end: int | None = None, transformed: bool = False) -> Callable[[], Iterator[tuple[str, int, int, str]]]:
        """How to read the groups' events with ``start`` <= timestamp < ``end`` (epoch ms): a
        function for a worker thread (it opens its own read-only connection, so a long scan does
        not hold the event loop) that yields (group name, timestamp, ingestion time, message), each
        group's in time order; ``transformed`` gives each message as the group's transformer makes
        it (what a rule with applyOnTransformedLogs reads). Groups that do not exist are skipped.
        The groups and their transformers are looked up now, on the caller's thread."""
        scope = (account, region)
        plan = []
        for name in group_names:
            group = self._state.groups.get(scope, name)
            if group is not None:
                processors = self._transformers.processors_for(scope, group) \
                    if transformed and self._transformers is not None else None
                plan.append((name, group.gid, processors))
        events = self._state.events

        def read() -> Iterator[tuple[str, int, int, str]]:
            with events.reader() as reader:
                for name, gid, processors in plan:
                    for event in reader.read(gid=gid, start=start, end=end):
                        yield name, event.timestamp, event.ingestion_time, transformed_by(processors, event.message)
        return read
