"""The audit trail: what CloudTrail's LookupEvents reads, and what its trails and event data
stores deliver.

The gateway records every management call after it ran (successful or not), with who made it,
from where, what it asked and which resources it touched. Kept in its own SQLite table so
lookups by attribute and time stay fast; retained 90 days, as CloudTrail's event history is.

Calls that change state are written before their response is sent. Read-only calls (Describe,
List, Get ...) are many and cheap, so their events are written in batches, at most a second later
(CloudTrail itself delivers events minutes after the call); a lookup writes what is pending first.

Data events (item reads and writes, object operations, log events) are not in event history, as
on AWS: they are recorded only for an account whose trails or event data stores may select them
(``want_data_events``), batched like reads, marked ``management=0`` (LookupEvents never shows
them) and kept a day, long enough for those consumers to take them (``read_since``).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable

import orjson

from regionbox.core import clock
from regionbox.core.context import Caller, RequestContext
from regionbox.core.store import Store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_events (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    event_time REAL NOT NULL,
    event_name TEXT NOT NULL,
    event_source TEXT NOT NULL,
    username TEXT,
    access_key_id TEXT,
    read_only INTEGER NOT NULL,
    record BLOB NOT NULL,
    management INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS audit_resources (
    event_id TEXT NOT NULL REFERENCES audit_events(id) ON DELETE CASCADE,
    resource_type TEXT,
    resource_name TEXT
);
CREATE INDEX IF NOT EXISTS audit_resources_name ON audit_resources(resource_name);
"""
# Event history reads management events by account, region and time; created after the column
# exists (state written before data events were recorded gains it on start-up).
_HISTORY_INDEX = """
DROP INDEX IF EXISTS audit_events_time;
CREATE INDEX IF NOT EXISTS audit_events_history ON audit_events(account, region, management, event_time);
"""

READ_ONLY_PREFIXES = ("Describe", "Get", "List", "Lookup", "Head", "Search", "Select", "Query", "Scan", "BatchGet", "Check",
                      "Filter")
# "Test" operations that only read; others act (ElastiCache TestFailover fails a primary over).
READ_ONLY_TESTS = frozenset({"TestMetricFilter", "TestInvokeMethod", "TestDNSAnswer", "TestEventPattern",
                             "TestInvokeAuthorizer", "TestTransformer"})


def is_read_only(operation: str) -> bool:
    return operation.startswith(READ_ONLY_PREFIXES) or operation in READ_ONLY_TESTS


RETENTION_SECONDS = 90 * 86400
# Data events only wait here for the trails and event data stores that deliver them.
DATA_RETENTION_SECONDS = 86400
GLOBAL_EVENT_SOURCES = frozenset({"iam.amazonaws.com", "sts.amazonaws.com"})
GLOBAL_EVENT_REGION = "us-east-1"


def user_identity(caller: Caller) -> dict[str, Any]:
    """CloudTrail's userIdentity block for a caller."""
    identity: dict[str, Any] = {
        "type": caller.type,
        "principalId": caller.user_id,
        "arn": caller.arn,
        "accountId": caller.account_id,
    }
    if caller.access_key_id:
        identity["accessKeyId"] = caller.access_key_id
    if caller.type == "IAMUser":
        identity["userName"] = caller.arn.rsplit("/", 1)[-1]
    if caller.type == "AssumedRole" and caller.role_arn:
        identity["sessionContext"] = {
            "sessionIssuer": {"type": "Role", "principalId": caller.user_id.split(":", 1)[0], "arn": caller.role_arn,
                              "accountId": caller.account_id, "userName": caller.role_arn.rsplit("/", 1)[-1]},
            "attributes": {"mfaAuthenticated": "false"},
        }
    return identity


def _resource(resource: dict[str, Any], account_id: str) -> dict[str, Any]:
    entry = {"type": resource["ResourceType"], "accountId": account_id}
    name = resource["ResourceName"]
    entry["ARN" if name.startswith("arn:") else "name"] = name
    return entry


def data_resources(arns: list[str]) -> list[tuple[str, str]]:
    """CloudTrail's resource entries (type, ARN) of a data event, from the ARNs it touched: an S3
    object event names the object and its bucket, a DynamoDB one its table (an index's table)."""
    found: list[tuple[str, str]] = []
    for arn in arns:
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn":
            continue
        service, resource = parts[2], parts[5]
        if service == "s3":
            bucket, slash, _ = resource.partition("/")
            if slash:
                found.append(("AWS::S3::Object", arn))
            found.append(("AWS::S3::Bucket", ":".join(parts[:5]) + ":" + bucket))
        elif service == "dynamodb" and resource.startswith("table/"):
            segments = resource.split("/")
            if len(segments) >= 4 and segments[2] == "stream":
                found.append(("AWS::DynamoDB::Stream", arn))
            else:
                found.append(("AWS::DynamoDB::Table", ":".join(parts[:5]) + ":" + "/".join(segments[:2])))
        elif service == "logs" and resource.startswith("log-group:"):
            found.append(("AWS::Logs::LogGroup", ":".join(parts[:5]) + ":log-group:" + resource.split(":")[1]))
        elif service == "cloudtrail" and resource.startswith("channel/"):
            found.append(("AWS::CloudTrail::Channel", arn))
        elif service == "lambda" and resource.startswith("function:"):
            found.append(("AWS::Lambda::Function", arn))
    return list(dict.fromkeys(found))


# Deeper parameters are cut here: CloudTrail records what a call asked, not every level of a
# document nested thousands deep (which would also take Python's recursion limit).
MAX_DEPTH = 32
_INT64_LOW, _UINT64_HIGH = -(2**63), 2**64 - 1  # what orjson writes as a number


def _json_safe(value: Any, depth: int = 0) -> Any:
    """A value orjson can always write: parameters and outputs hold what handlers and parsers put
    there (integers beyond 64 bits, bytes, datetimes, Decimals, sets, lone surrogates, objects),
    and an event that cannot be written would be lost."""
    kind = type(value)
    if value is None or kind is bool or kind is float:
        return value
    if kind is str:
        return _text(value)
    if isinstance(value, int):
        return int(value) if _INT64_LOW <= value <= _UINT64_HIGH else _integer_text(value)
    if depth >= MAX_DEPTH:
        return "..."
    if isinstance(value, dict):
        return {_text(k) if type(k) is str else _text(_scalar_text(k)): _json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_json_safe(v, depth + 1) for v in value]
    if isinstance(value, datetime):
        return clock.iso(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "<binary>"
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Decimal):
        return str(value)
    return _text(_scalar_text(value))


def _text(text: str) -> str:
    """Text orjson accepts: lone surrogates (which UTF-8 cannot hold) as \\udXXX escapes."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _integer_text(number: int) -> str:
    try:
        return str(number)
    except ValueError:  # more digits than Python prints
        return f"<integer of {number.bit_length()} bits>"


def _scalar_text(value: Any) -> str:
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - an object that cannot even print itself
        return f"<{type(value).__name__}>"


def _redacted(value: Any, depth: int = 0) -> Any:
    """Secrets never reach the trail: CloudTrail writes a placeholder for them. Nesting deeper
    than MAX_DEPTH is cut, as _json_safe cuts it."""
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            return "..."
        return {k: (HIDDEN if k in SECRET_FIELDS else _redacted(v, depth + 1)) for k, v in value.items()}
    if isinstance(value, list):
        if depth >= MAX_DEPTH:
            return "..."
        return [_redacted(v, depth + 1) for v in value]
    return value


SECRET_FIELDS = frozenset({"SecretAccessKey", "Password", "MasterUserPassword", "AuthToken", "SecretString",
                           "SecretBinary", "PrivateKey"})
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"

# LookupEvents attribute -> column of audit_events
LOOKUP_COLUMNS = {"EventId": "id", "EventName": "event_name", "Username": "username",
                  "EventSource": "event_source", "AccessKeyId": "access_key_id", "ReadOnly": "read_only"}


@dataclass(frozen=True)
class StoredEvent:
    """An event as trails and event data stores take it: its position in the trail, where and
    what it was, and the CloudTrail record."""

    rowid: int
    account: str
    region: str
    event_time: float
    management: bool
    read_only: bool
    event_source: str
    event_name: str
    record: bytes


@dataclass(frozen=True)
class AuditEvent:
    rowid: int
    event_id: str
    event_time: float
    event_name: str
    event_source: str
    username: str | None
    access_key_id: str | None
    read_only: bool
    record: bytes
    resources: list[tuple[str, str]]


def _dumps(record: dict[str, Any]) -> bytes:
    """The event as JSON. Parameters and outputs go in as handlers and parsers left them, which
    orjson writes directly almost always; what it cannot write (integers beyond 64 bits, bytes,
    Decimals, sets, lone surrogates ...) is made safe first; should a value still defeat the
    encoder, the event is kept without its parameters and response rather than lost: every call
    that reached a provider is recorded."""
    try:
        return orjson.dumps(record, option=orjson.OPT_UTC_Z)
    except (TypeError, ValueError):
        pass
    try:
        return orjson.dumps(_json_safe(record))
    except (TypeError, ValueError):
        kept = {**record, "requestParameters": None, "responseElements": None,
                "additionalEventData": {"omitted": "request parameters and response elements could not be recorded"}}
        return orjson.dumps(_json_safe(kept))


class AuditTrail:
    def __init__(self, store: Store):
        self.store = store
        store.db.executescript(_SCHEMA)
        if "management" not in {row[1] for row in store.db.execute("PRAGMA table_info(audit_events)")}:
            store.db.execute("ALTER TABLE audit_events ADD COLUMN management INTEGER NOT NULL DEFAULT 1")
        store.db.executescript(_HISTORY_INDEX)
        store.on_reset(self._reset)
        # read-only and data events waiting for the next batch: (event row, resource rows)
        self._pending: list[tuple[tuple, list[tuple[str, str, str]]]] = []
        self._flush_timer: asyncio.TimerHandle | None = None
        # Which accounts' data events someone may deliver (CloudTrail's trails and event data stores).
        self._data_wanted: Callable[[str], bool] | None = None
        # Event history keeps 90 days, as CloudTrail's does; older events go at start-up.
        store.execute("DELETE FROM audit_events WHERE event_time < ?", (clock.epoch() - RETENTION_SECONDS,))
        self.prune_data_events()

    def want_data_events(self, wanted: Callable[[str], bool] | None) -> None:
        """Record data events of the accounts for which ``wanted(account)`` is true (None: of none)."""
        self._data_wanted = wanted

    def wants_data_events(self, account: str) -> bool:
        return self._data_wanted is not None and self._data_wanted(account)

    def prune_data_events(self) -> None:
        self.store.execute("DELETE FROM audit_events WHERE management=0 AND event_time < ?",
                           (clock.epoch() - DATA_RETENTION_SECONDS,))

    def record(self, ctx: RequestContext, event_source: str, params: dict, error: Exception | None = None,
               response: dict | None = None, recipient_account: str | None = None,
               data: list[tuple[str, str]] | None = None) -> None:
        """Record a call in the caller's account, or in ``recipient_account`` (the other account of
        a cross-account call, such as the role's account for AssumeRole). With ``data`` (its
        resources: (type, ARN) pairs, see ``data_resources``) the call is a data event."""
        caller = ctx.caller
        recipient = recipient_account or caller.account_id
        identity = user_identity(caller)
        username = caller.session_name if caller.type == "AssumedRole" else (
            "root" if caller.type == "Root" else caller.arn.rsplit("/", 1)[-1])
        # Global services (IAM, STS's global endpoint) record their events in us-east-1, as on AWS.
        region = GLOBAL_EVENT_REGION if event_source in GLOBAL_EVENT_SOURCES else ctx.region
        event_id = str(uuid.uuid4())
        when = clock.epoch()
        read_only = is_read_only(ctx.operation)
        management = data is None
        if not management:
            # An object's body is no parameter CloudTrail records.
            params = {k: v for k, v in params.items() if k != "Body"}
        record = {
            "eventVersion": "1.08",
            "userIdentity": identity,
            "eventTime": clock.iso(when).split(".")[0] + "Z",
            "eventSource": event_source,
            "eventName": ctx.operation,
            "awsRegion": region,
            "sourceIPAddress": ctx.source_ip,
            "userAgent": ctx.user_agent,
            "requestParameters": _redacted(params) or None,
            "responseElements": _redacted(response) if response is not None and not read_only and management else None,
            "requestID": ctx.request_id,
            "eventID": event_id,
            "readOnly": read_only,
            "resources": ([_resource(r, recipient) for r in ctx.resources] if management else
                          [{"type": rtype, "ARN": arn, "accountId": recipient} for rtype, arn in data]) or None,
            "eventType": "AwsApiCall",
            "managementEvent": management,
            "recipientAccountId": recipient,
            "eventCategory": "Management" if management else "Data",
        }
        if error is not None:
            # CloudTrail's code may differ from the wire's (every IAM refusal is AccessDenied).
            record["errorCode"] = _json_safe(getattr(error, "trail_code", None) or getattr(error, "code", type(error).__name__))
            record["errorMessage"] = _json_safe(getattr(error, "message", None) or _scalar_text(error))
        row = (event_id, recipient, region, when, ctx.operation, event_source, username,
               caller.access_key_id, int(read_only), _dumps(record), int(management))
        # LookupEvents finds management events by resource; data events are never looked up.
        resources = [(event_id, r["ResourceType"], r["ResourceName"]) for r in ctx.resources] if management else []
        if read_only or not management:
            self._pending.append((row, resources))
            if len(self._pending) >= 1000:
                self.flush()
            else:
                self._flush_soon()
        else:
            self._write([(row, resources)])

    def flush(self) -> None:
        """Write the pending read-only events."""
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        pending, self._pending = self._pending, []
        if pending:
            self._write(pending)

    def _flush_soon(self) -> None:
        if self._flush_timer is not None:
            return
        try:
            self._flush_timer = asyncio.get_running_loop().call_later(1.0, self.flush)
        except RuntimeError:  # no event loop (a script using the store directly): write now
            self.flush()

    def _write(self, events: list[tuple[tuple, list[tuple[str, str, str]]]]) -> None:
        with self.store.transaction():
            self.store.executemany(
                "INSERT INTO audit_events(id, account, region, event_time, event_name, event_source, username, "
                "access_key_id, read_only, record, management) VALUES (?,?,?,?,?,?,?,?,?,?,?)", [row for row, _ in events])
            resources = [resource for _, rows in events for resource in rows]
            if resources:
                self.store.executemany("INSERT INTO audit_resources VALUES (?,?,?)", resources)

    def _reset(self) -> None:
        self._pending.clear()
        self.store.db.execute("DELETE FROM audit_events")

    def calls(self, account: str) -> list[tuple[float, str, str, str, dict[str, Any]]]:
        """Every recorded call of an account in every region, oldest first: (time, region, event
        source, event name, userIdentity). IAM's service last accessed reports read it."""
        self.flush()
        rows = self.store.execute("SELECT event_time, region, event_source, event_name, record FROM audit_events "
                                  "WHERE account=? ORDER BY event_time, rowid", (account,)).fetchall()
        return [(when, region, source, name, orjson.loads(record)["userIdentity"]) for when, region, source, name, record in rows]

    def lookup(self, account: str, region: str, *, attribute: tuple[str, str] | None = None,
               start: float | None = None, end: float | None = None, before: tuple[float, int] | None = None,
               limit: int = 50) -> list[AuditEvent]:
        """Events of one account and region, newest first, optionally matching one attribute
        (LookupEvents' keys), within [start, end], strictly older than the ``before`` cursor."""
        self.flush()
        where, args = ["account=?", "region=?", "management=1"], [account, region]
        if attribute is not None:
            key, value = attribute
            if key in ("ResourceType", "ResourceName"):
                column = "resource_type" if key == "ResourceType" else "resource_name"
                where.append(f"EXISTS (SELECT 1 FROM audit_resources r WHERE r.event_id=audit_events.id AND r.{column}=?)")
            elif key == "ReadOnly":
                where.append("read_only=?")
                value = 1 if value.lower() == "true" else 0
            else:
                where.append(f"{LOOKUP_COLUMNS[key]}=?")
            args.append(value)
        for sql, values in (("event_time>=?", (start,)), ("event_time<=?", (end,)), ("(event_time, rowid) < (?, ?)", before)):
            if values is not None and None not in values:
                where.append(sql)
                args.extend(values)
        rows = self.store.execute(
            "SELECT rowid, id, event_time, event_name, event_source, username, access_key_id, read_only, record "
            f"FROM audit_events WHERE {' AND '.join(where)} ORDER BY event_time DESC, rowid DESC LIMIT ?",
            (*args, limit),
        ).fetchall()
        resources: dict[str, list[tuple[str, str]]] = {}
        if rows:
            ids = [row[1] for row in rows]
            for event_id, rtype, rname in self.store.execute(
                f"SELECT event_id, resource_type, resource_name FROM audit_resources WHERE event_id IN ({','.join('?' * len(ids))})",
                ids,
            ):
                resources.setdefault(event_id, []).append((rtype, rname))
        return [AuditEvent(row[0], row[1], row[2], row[3], row[4], row[5], row[6], bool(row[7]), row[8],
                           resources.get(row[1], [])) for row in rows]

    def read_since(self, after: int, limit: int = 1000, accounts: set[str] | None = None) -> list[StoredEvent]:
        """Events recorded after position ``after`` (a rowid), oldest first, management and data,
        of ``accounts`` (every account when None): what trails and event data stores deliver."""
        self.flush()
        where, args = "rowid > ?", [after]
        if accounts is not None:
            where += f" AND account IN ({','.join('?' * len(accounts))})"
            args.extend(sorted(accounts))
        rows = self.store.execute(
            "SELECT rowid, account, region, event_time, management, read_only, event_source, event_name, record "
            f"FROM audit_events WHERE {where} ORDER BY rowid LIMIT ?", (*args, limit)).fetchall()
        return [StoredEvent(row[0], row[1], row[2], row[3], bool(row[4]), bool(row[5]), row[6], row[7], row[8])
                for row in rows]

    def position(self) -> int:
        """The position of the latest event (pending ones written first): where a consumer that
        starts now begins."""
        self.flush()
        row = self.store.execute("SELECT MAX(rowid) FROM audit_events").fetchone()
        return row[0] or 0
