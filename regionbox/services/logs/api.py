"""What CloudWatch Logs offers other services (``cloud.services.api("logs")``): writing events
the way AWS services do (RDS Enhanced Monitoring, Transfer Family ...), without the public API's
batch rules."""

from __future__ import annotations

from typing import Iterable, Iterator

from regionbox.services.logs.state import LogsState
from regionbox.services.logs.transformers import Transformers


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

    def events(self, account: str, region: str, group_name: str, start: int | None = None, end: int | None = None,
               transformed: bool = False) -> Iterator[tuple[int, int, str]]:
        """A group's events with ``start`` <= timestamp < ``end`` (epoch ms), in time order, as
        (timestamp, ingestion time, message); ``transformed`` gives each message as the group's
        transformer makes it (what a rule with applyOnTransformedLogs reads). Nothing for a
        group that does not exist."""
        scope = (account, region)
        group = self._state.groups.get(scope, group_name)
        if group is None:
            return
        for event in self._state.events.read(gid=group.gid, start=start, end=end):
            message = event.message
            if transformed and self._transformers is not None:
                message = self._transformers.transformed(scope, group, message)
            yield event.timestamp, event.ingestion_time, message
