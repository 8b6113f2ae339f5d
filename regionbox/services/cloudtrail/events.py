"""CloudTrail event history: LookupEvents over the cloud's audit trail (``core/audit.py``).

The gateway records every management call in the caller's account and the call's region (IAM
and STS in us-east-1, as AWS records global services); LookupEvents reads the calling account's
events in the region it is called in, newest first, for the last 90 days.
"""

from __future__ import annotations

from datetime import datetime
from regionbox.core import clock
from regionbox.core.audit import RETENTION_SECONDS, AuditTrail
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import InvalidToken, Paginator

MAX_RESULTS = 50
ATTRIBUTE_KEYS = ("EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName",
                  "EventSource", "AccessKeyId")


def _epoch(value: datetime | float | None) -> float | None:
    if value is None:
        return None
    return value.timestamp() if isinstance(value, datetime) else float(value)


class EventHistory:
    """LookupEvents: the calling account's events in the region it is called in."""

    def __init__(self, audit: AuditTrail, paginator: Paginator) -> None:
        self.audit = audit
        self.paginator = paginator

    def lookup_events(self, ctx: RequestContext, params: dict) -> dict:
        attribute = self._attribute(params.get("LookupAttributes") or [])
        if params.get("EventCategory") == "insight":
            # No Insights events are generated: insight lookups find nothing, as on an account
            # without Insights enabled.
            return {"Events": []}
        limit = params.get("MaxResults")
        if limit is not None and not 1 <= limit <= MAX_RESULTS:
            raise ServiceError("InvalidMaxResultsException", f"Value for MaxResults must be between 1 and {MAX_RESULTS}.")
        start, end = _epoch(params.get("StartTime")), _epoch(params.get("EndTime"))
        if start is not None and end is not None and start > end:
            raise ServiceError("InvalidTimeRangeException", "Start time must be earlier than end time.")
        # A token is only good for the query that produced it, as on AWS.
        query = [list(attribute) if attribute else None, start, end]
        start = max(start or 0.0, clock.epoch() - RETENTION_SECONDS)
        before = None
        if params.get("NextToken"):
            try:
                payload = self.paginator.decode(params["NextToken"])
                if payload["q"] != query:
                    raise InvalidToken(params["NextToken"])
                before = (float(payload["c"][0]), int(payload["c"][1]))
            except (InvalidToken, KeyError, TypeError, IndexError, ValueError):
                raise ServiceError("InvalidNextTokenException", "Invalid NextToken.") from None
        size = limit or MAX_RESULTS
        events = self.audit.lookup(ctx.account_id, ctx.region, attribute=attribute, start=start, end=end,
                                         before=before, limit=size + 1)
        result: dict = {"Events": [self._event(e) for e in events[:size]]}
        if len(events) > size:
            last = events[size - 1]
            result["NextToken"] = self.paginator.encode(
                {"q": query, "c": [last.event_time, last.rowid]})
        return result

    @staticmethod
    def _attribute(attributes: list[dict]) -> tuple[str, str] | None:
        if len(attributes) > 1:
            raise ServiceError("InvalidLookupAttributesException", "You can only specify one lookup attribute.")
        if not attributes:
            return None
        key, value = attributes[0].get("AttributeKey"), attributes[0].get("AttributeValue")
        if key not in ATTRIBUTE_KEYS:
            raise ServiceError("InvalidLookupAttributesException", f"Lookup attribute key {key} is not valid.")
        if not value:
            raise ServiceError("InvalidLookupAttributesException", "Lookup attribute value must not be empty.")
        if key == "ReadOnly" and value.lower() not in ("true", "false"):
            raise ServiceError("InvalidLookupAttributesException", "ReadOnly lookup attribute value must be true or false.")
        return key, value

    @staticmethod
    def _event(event) -> dict:
        shape = {
            "EventId": event.event_id,
            "EventName": event.event_name,
            "ReadOnly": "true" if event.read_only else "false",
            "EventTime": clock.from_epoch(event.event_time),
            "EventSource": event.event_source,
            "Resources": [{"ResourceType": rtype, "ResourceName": rname} for rtype, rname in event.resources],
            "CloudTrailEvent": event.record.decode(),
        }
        if event.username:
            shape["Username"] = event.username
        if event.access_key_id:
            shape["AccessKeyId"] = event.access_key_id
        return shape
