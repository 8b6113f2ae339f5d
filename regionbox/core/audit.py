"""The audit trail that CloudTrail's LookupEvents reads.

The gateway records every management call after it ran (successful or not), with who made it,
from where, what it asked and which resources it touched. Kept in its own SQLite table so
lookups by attribute and time stay fast; retained 90 days, as CloudTrail's event history is.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import orjson

from regionbox.core import clock
from regionbox.core.context import RequestContext
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
    record BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_events_time ON audit_events(account, region, event_time);
CREATE TABLE IF NOT EXISTS audit_resources (
    event_id TEXT NOT NULL REFERENCES audit_events(id) ON DELETE CASCADE,
    resource_type TEXT,
    resource_name TEXT
);
CREATE INDEX IF NOT EXISTS audit_resources_name ON audit_resources(resource_name);
"""

READ_ONLY_PREFIXES = ("Describe", "Get", "List", "Lookup", "Head", "Search", "Select", "Query", "Scan", "BatchGet", "Check", "Test")


def is_read_only(operation: str) -> bool:
    return operation.startswith(READ_ONLY_PREFIXES)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, datetime):
        return clock.iso(value)
    if isinstance(value, (bytes, bytearray)):
        return "<binary>"
    return value


class AuditTrail:
    def __init__(self, store: Store):
        self.store = store
        store.db.executescript(_SCHEMA)
        store.on_reset(lambda: store.db.execute("DELETE FROM audit_events"))

    def record(self, ctx: RequestContext, event_source: str, params: dict, error: Exception | None = None,
               response: dict | None = None) -> None:
        caller = ctx.caller
        identity: dict[str, Any] = {
            "type": caller.type,
            "principalId": caller.user_id,
            "arn": caller.arn,
            "accountId": caller.account_id,
            "accessKeyId": caller.access_key_id,
        }
        if caller.type == "AssumedRole" and caller.role_arn:
            identity["sessionContext"] = {
                "sessionIssuer": {"type": "Role", "arn": caller.role_arn, "accountId": caller.account_id,
                                  "userName": caller.role_arn.rsplit("/", 1)[-1]},
            }
        username = caller.session_name if caller.type == "AssumedRole" else (
            "root" if caller.type == "Root" else caller.arn.rsplit("/", 1)[-1])
        event_id = str(uuid.uuid4())
        when = clock.epoch()
        read_only = is_read_only(ctx.operation)
        record = {
            "eventVersion": "1.08",
            "userIdentity": identity,
            "eventTime": clock.iso(when).split(".")[0] + "Z",
            "eventSource": event_source,
            "eventName": ctx.operation,
            "awsRegion": ctx.region,
            "sourceIPAddress": ctx.source_ip,
            "userAgent": ctx.user_agent,
            "requestParameters": _json_safe(params) or None,
            "responseElements": _json_safe(response) if response is not None and not read_only else None,
            "requestID": ctx.request_id,
            "eventID": event_id,
            "readOnly": read_only,
            "resources": [{"type": r["ResourceType"], "ARN": r["ResourceName"]} for r in ctx.resources] or None,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": caller.account_id,
        }
        if error is not None:
            record["errorCode"] = getattr(error, "code", type(error).__name__)
            record["errorMessage"] = getattr(error, "message", str(error))
        with self.store.transaction():
            self.store.execute(
                "INSERT INTO audit_events VALUES (?,?,?,?,?,?,?,?,?,?)",
                (event_id, caller.account_id, ctx.region, when, ctx.operation, event_source, username,
                 caller.access_key_id, int(read_only), orjson.dumps(record)),
            )
            if ctx.resources:
                self.store.executemany(
                    "INSERT INTO audit_resources VALUES (?,?,?)",
                    [(event_id, r["ResourceType"], r["ResourceName"]) for r in ctx.resources],
                )
