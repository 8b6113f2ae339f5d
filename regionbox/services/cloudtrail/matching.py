"""Which events a trail or an event data store takes: basic event selectors (ReadWriteType,
management events and their excluded sources, DataResources) and advanced event selectors (field
conditions), evaluated as AWS documents them.

Basic selectors: an event is logged if any selector takes it; a selector takes a management event
if it includes management events of its read/write type from a source it does not exclude, and
a data event of its read/write type on a resource one of its DataResources names (an S3 object
by ARN prefix, "arn:aws:s3" for every object; a table or function by ARN, "arn:aws:dynamodb" /
"arn:aws:lambda" for all). Advanced selectors: an event is logged if any selector takes it; a
selector takes it if every field condition holds; a condition holds if one of its Equals,
StartsWith or EndsWith values matches (when it has any) and none of its NotEquals,
NotStartsWith or NotEndsWith values does. The resources.type and resources.ARN conditions of a
selector must hold for one and the same resource of the event.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson

from regionbox.core.audit import StoredEvent

# A trail without selectors logs every management event, read and write, and no data events.
DEFAULT_SELECTORS = [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [],
                      "ExcludeManagementEventSources": []}]
RESOURCE_FIELDS = ("resources.type", "resources.ARN")
POSITIVE = ("Equals", "StartsWith", "EndsWith")
NEGATIVE = ("NotEquals", "NotStartsWith", "NotEndsWith")


@dataclass
class EventView:
    """An event as selectors see it; its record is parsed once, on first need."""

    stored: StoredEvent

    @cached_property
    def record(self) -> dict[str, Any]:
        return orjson.loads(self.stored.record)

    @property
    def category(self) -> str:
        return "Management" if self.stored.management else "Data"

    @cached_property
    def resources(self) -> list[tuple[str, str]]:
        return [(r.get("type", ""), r.get("ARN", "")) for r in self.record.get("resources") or [] if r.get("ARN")]

    def field(self, name: str) -> str | None:
        if name == "eventCategory":
            return self.record.get("eventCategory") or self.category
        if name == "readOnly":
            return "true" if self.stored.read_only else "false"
        if name == "eventSource":
            return self.stored.event_source
        if name == "eventName":
            return self.stored.event_name
        if name == "userIdentity.arn":
            return (self.record.get("userIdentity") or {}).get("arn")
        value = self.record.get(name)
        if isinstance(value, bool):
            return "true" if value else "false"
        return None if value is None else str(value)


def _holds(selector: dict, value: str | None) -> bool:
    positives = [(op, v) for op in POSITIVE for v in selector.get(op) or []]
    if positives:
        if value is None or not any(_test(op, v, value) for op, v in positives):
            return False
    for op in NEGATIVE:
        for expected in selector.get(op) or []:
            if value is not None and _test(op[3:], expected, value):
                return False
    return True


def _test(operator: str, expected: str, value: str) -> bool:
    if operator == "Equals":
        return value == expected
    if operator == "StartsWith":
        return value.startswith(expected)
    return value.endswith(expected)


def advanced_matches(selectors: list[dict], event: EventView) -> bool:
    for selector in selectors:
        fields = selector.get("FieldSelectors") or []
        plain = [f for f in fields if f.get("Field") not in RESOURCE_FIELDS]
        if not all(_holds(f, event.field(f["Field"])) for f in plain):
            continue
        on_resources = [f for f in fields if f.get("Field") in RESOURCE_FIELDS]
        if on_resources and not any(
                all(_holds(f, rtype if f["Field"] == "resources.type" else arn) for f in on_resources)
                for rtype, arn in event.resources):
            continue
        return True
    return False


def _resource_matches(rtype: str, value: str, arn: str) -> bool:
    parts = value.split(":")
    if len(parts) == 3 or (rtype == "AWS::S3::Object" and value.endswith(":::") and len(parts) == 6):
        return arn.startswith(value)  # "arn:aws:s3": every object; "arn:aws:dynamodb": every table
    if rtype == "AWS::S3::Object":
        return arn.startswith(value)
    return arn == value


def basic_matches(selectors: list[dict] | None, event: EventView) -> bool:
    stored = event.stored
    for selector in DEFAULT_SELECTORS if selectors is None else selectors:
        kind = selector.get("ReadWriteType") or "All"
        if (kind == "ReadOnly" and not stored.read_only) or (kind == "WriteOnly" and stored.read_only):
            continue
        if stored.management:
            if selector.get("IncludeManagementEvents", True) and \
                    stored.event_source not in (selector.get("ExcludeManagementEventSources") or []):
                return True
            continue
        for data in selector.get("DataResources") or []:
            if any(rtype == data.get("Type") and any(_resource_matches(rtype, v, arn) for v in data.get("Values") or [])
                   for rtype, arn in event.resources):
                return True
    return False


def trail_matches(basic: list[dict] | None, advanced: list[dict] | None, event: EventView) -> bool:
    return advanced_matches(advanced, event) if advanced is not None else basic_matches(basic, event)
