"""Tags of every taggable Logs resource by ARN: TagResource, UntagResource, ListTagsForResource.

Log groups, destinations, delivery sources, delivery destinations, deliveries, anomaly
detectors, lookup tables and scheduled queries take tags: at most 50 each, keys not starting
with ``aws:`` (reserved for AWS), as AWS's limits. (The deprecated TagLogGroup family, by group
name, is in log_groups.py.)
"""

from __future__ import annotations

from typing import Any, Iterable

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.store import Collection
from regionbox.services.logs.state import LogsState, not_found

TAGS_MAX = 50


def checked_tags(tags: dict[str, str] | None) -> dict[str, str]:
    """Tags a create call may give: AWS's limits."""
    tags = dict(tags or {})
    if any(key.lower().startswith("aws:") for key in tags):
        raise invalid("Tag keys starting with 'aws:' are reserved for AWS use.")
    if len(tags) > TAGS_MAX:
        raise invalid(f"A resource can have at most {TAGS_MAX} tags.")
    return tags


def merge_tags(arn: str, current: dict[str, str], added: dict[str, str]) -> dict[str, str]:
    checked_tags(added)
    merged = {**current, **added}
    if len(merged) > TAGS_MAX:
        raise ServiceError("TooManyTagsException", f"A resource can have no more than {TAGS_MAX} tags.",
                           resourceName=arn)
    return merged


class Tags:
    def __init__(self, state: LogsState) -> None:
        self.state = state
        # ARN resource type -> the collection of that resource and how its documents are keyed.
        self.kinds: dict[str, tuple[Collection, str]] = {
            "log-group": (state.groups, "name"), "destination": (state.destinations, "name"),
            "delivery-source": (state.delivery_sources, "name"),
            "delivery-destination": (state.delivery_destinations, "name"), "delivery": (state.deliveries, "id"),
            "anomaly-detector": (state.anomaly_detectors, "arn"), "lookup-table": (state.lookup_tables, "name"),
            "scheduled-query": (state.scheduled_queries, "name"),
        }

    def _resource(self, ctx: RequestContext, arn: str) -> tuple[Collection, str, Any]:
        parts = arn.removesuffix(":*").split(":")
        if len(parts) < 7 or parts[0] != "arn" or parts[2] != "logs" or parts[5] not in self.kinds:
            raise invalid(f"Invalid resource ARN: {arn}")
        if parts[3] != ctx.region or parts[4] != ctx.account_id:
            raise not_found("The specified resource does not exist.")
        collection, keyed_by = self.kinds[parts[5]]
        key = arn.removesuffix(":*") if keyed_by == "arn" else ":".join(parts[6:])
        found = collection.get(ctx.scope, key)
        if found is None or getattr(found, "arn", arn.removesuffix(":*")) != arn.removesuffix(":*"):
            raise not_found("The specified resource does not exist.")
        return collection, key, found

    def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        collection, key, found = self._resource(ctx, params["resourceArn"])
        found.tags = merge_tags(params["resourceArn"], found.tags, params["tags"])
        collection.put(ctx.scope, key, found)
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        collection, key, found = self._resource(ctx, params["resourceArn"])
        _drop(found, params["tagKeys"])
        collection.put(ctx.scope, key, found)
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, params: dict) -> dict:
        return {"tags": dict(self._resource(ctx, params["resourceArn"])[2].tags)}


def _drop(found: Any, keys: Iterable[str]) -> None:
    for key in keys:
        found.tags.pop(key, None)
