"""What CloudWatch Logs offers other services (``cloud.services.api("logs")``): writing events
the way AWS services do (RDS Enhanced Monitoring, Transfer Family ...), without the public API's
batch rules."""

from __future__ import annotations

from typing import Iterable

from regionbox.services.logs.state import LogsState


class LogsApi:
    def __init__(self, state: LogsState) -> None:
        self._state = state

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
