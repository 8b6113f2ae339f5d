"""Tags on trails, event data stores, channels and dashboards: AddTags, RemoveTags, ListTags.

A tag's key is unique on its resource (adding it again replaces its value; a key without a value
has none), 50 tags at most, and keys beginning with "aws:" are AWS's own. Trails are tagged
from their home region only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from regionbox.core.context import RequestContext
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.cloudtrail import errors
from regionbox.services.cloudtrail.paging import listed

if TYPE_CHECKING:
    from regionbox.services.cloudtrail.state import CloudTrailState

MAX_TAGS = 50
TAG_PAGES = PageRule(token="NextToken", size="MaxResults", default=20, maximum=20,
                     out_of_range=lambda n: errors.max_results(),
                     bad_token=lambda t: errors.error("InvalidTokenException", "Reset the token and try again."))


def check_tags(existing: list[dict], added: list[dict]) -> list[dict]:
    """``existing`` with ``added`` applied (a key added again takes the new value)."""
    merged: dict[str, Any] = {t["Key"]: t.get("Value") for t in existing}
    for tag in added:
        key = tag["Key"]
        if key.lower().startswith("aws:"):
            raise errors.invalid_tag(f"The tag key {key} is not valid: keys starting with aws: are reserved for AWS use.")
        merged[key] = tag.get("Value")
    if len(merged) > MAX_TAGS:
        raise errors.tags_limit()
    return [{"Key": k, "Value": v} if v is not None else {"Key": k} for k, v in merged.items()]


class Tags:
    def __init__(self, state: "CloudTrailState", paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def _resource(self, ctx: RequestContext, resource_id: str, *, change: bool) -> tuple[Any, Any]:
        """The tagged document and how to save it."""
        parts = resource_id.split(":", 5)
        if not resource_id.startswith("arn:") or len(parts) != 6:
            raise errors.arn_invalid(f"{resource_id} is not a valid ARN of a trail, event data store, dashboard or channel.")
        kind = parts[5].split("/", 1)[0]
        state = self.state
        if parts[2] != "cloudtrail" or kind not in ("trail", "eventdatastore", "channel", "dashboard"):
            raise errors.error("ResourceTypeNotSupportedException", f"Resource type of {resource_id} is not supported.")
        if kind == "trail":
            trail = state.trail(ctx, resource_id, change=change)
            return trail, lambda: state.save_trail(trail)
        if kind == "eventdatastore":
            eds = state.event_data_store(ctx, resource_id, active=change)
            return eds, lambda: state.save_event_data_store(eds)
        if kind == "channel":
            channel = state.channel(ctx, resource_id)
            return channel, lambda: state.save_channel(ctx, channel)
        dashboard = state.dashboard(ctx, resource_id)
        return dashboard, lambda: state.dashboards.put(ctx.scope, dashboard.name, dashboard)

    def add_tags(self, ctx: RequestContext, params: dict) -> dict:
        resource, save = self._resource(ctx, params["ResourceId"], change=True)
        resource.tags = check_tags(resource.tags, params["TagsList"])
        save()
        return {}

    def remove_tags(self, ctx: RequestContext, params: dict) -> dict:
        resource, save = self._resource(ctx, params["ResourceId"], change=True)
        # A tag named with a value is removed only if the value matches; without one, whatever it is.
        removed = [(t["Key"], t.get("Value")) for t in params["TagsList"]]
        resource.tags = [t for t in resource.tags
                         if not any(t["Key"] == key and (value is None or t.get("Value") == value) for key, value in removed)]
        save()
        return {}

    def list_tags(self, ctx: RequestContext, params: dict) -> dict:
        ids = params["ResourceIdList"]
        return listed(self.paginator, ids, params, TAG_PAGES, ["ListTags", ids], "ResourceTagList",
                      lambda rid: {"ResourceId": rid, "TagsList": self._resource(ctx, rid, change=False)[0].tags})
