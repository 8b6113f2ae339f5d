"""Log records as Logs Insights sees them: GetLogGroupFields (the fields a group's recent events
carry, and how often), GetLogRecord (the whole record an Insights result's ``@ptr`` points at),
GetLogFields (fields of a data source) and GetLogObject (a large log object).

A ``@ptr`` is the event's id (event_table.py): its time, its stream's key and its row, so a
pointer finds the event while it exists and is refused once retention or a deletion took it.
Records are masked by data protection unless the request says ``unmask``.

Data sources (``amazon_vpc.flow`` ...) are what AWS's vended logs and pipelines label log
groups with, and large log objects are cut out of events ingested with PutOpenTelemetryLogs;
regionbox's groups carry neither, so GetLogFields and GetLogObject find nothing and say so with
AWS's ResourceNotFoundException.
"""

from __future__ import annotations

from collections import Counter

from regionbox.core.context import RequestContext
from regionbox.core.errors import invalid
from regionbox.services.logs.data_protection import DataProtection
from regionbox.services.logs.event_table import parse_position
from regionbox.services.logs.insights import format_value, record_of
from regionbox.services.logs.state import LogsState, not_found, now_ms

FIELD_WINDOW_MS = 15 * 60_000  # AWS: the 15 minutes up to now, or 8 minutes either side of ``time``
FIELD_SCAN_LIMIT = 10_000  # events looked at for GetLogGroupFields


class LogRecords:
    def __init__(self, state: LogsState, masking: DataProtection) -> None:
        self.state = state
        self.masking = masking

    def get_log_group_fields(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group_named(ctx, params)
        if params.get("time") is not None:
            middle = params["time"] * 1000
            start, end = middle - 8 * 60_000, middle + 8 * 60_000
        else:
            end = now_ms()
            start = end - FIELD_WINDOW_MS
        cutoff = self.state.retention_cutoff(ctx.scope, group)
        if cutoff is not None:
            start = max(start, cutoff)
        streams = {s.sid: s.name for s in self.state.streams_of(ctx.scope, group.name)}
        mask = self.masking.reader(ctx.scope, group, unmask=False)
        counts: Counter = Counter()
        total = 0
        for event in self.state.events.read(gid=group.gid, start=start, end=end + 1):
            if total >= FIELD_SCAN_LIMIT:
                break
            total += 1
            message = mask(event.message) if mask else event.message
            record = record_of(event.timestamp, message, streams.get(event.sid, ""), f"{ctx.account_id}:{group.name}",
                               event.ingestion_time, "")
            counts.update(name for name in record if name != "@ptr")
        return {"logGroupFields": [{"name": name, "percent": int(count * 100 / total)}
                                   for name, count in sorted(counts.items(), key=lambda i: (-i[1], i[0]))]}

    def get_log_record(self, ctx: RequestContext, params: dict) -> dict:
        pointer = params["logRecordPointer"]
        stream = None
        if len(pointer) == 56 and pointer.isdigit():
            key = int(pointer[19:37])
            stream = next((s for s in self.state.streams.values(ctx.scope) if s.sid % 10**18 == key), None)
        if stream is None:
            raise invalid("The specified log record pointer is not valid.")
        position = parse_position(pointer, stream.sid)
        event = self.state.events.find(stream.sid, position[1]) if position else None
        group = self.state.groups.get(ctx.scope, stream.group)
        cutoff = self.state.retention_cutoff(ctx.scope, group) if group is not None else None
        if event is None or group is None or (cutoff is not None and event.timestamp < cutoff):
            raise not_found("The specified log record does not exist.")
        mask = self.masking.reader(ctx.scope, group, bool(params.get("unmask")))
        record = record_of(event.timestamp, mask(event.message) if mask else event.message, stream.name,
                           f"{ctx.account_id}:{group.name}", event.ingestion_time, pointer)
        record.pop("@ptr")
        # GetLogRecord gives every value as text, the times as epoch milliseconds.
        return {"logRecord": {name: str(value) if name in ("@timestamp", "@ingestionTime") else format_value(name, value)
                              for name, value in record.items()}}

    def get_log_fields(self, ctx: RequestContext, params: dict) -> dict:
        raise not_found(f"The data source {params['dataSourceName']} of type {params['dataSourceType']} does not exist.")

    def get_log_object(self, ctx: RequestContext, params: dict) -> dict:
        raise not_found("The specified log object does not exist.")
