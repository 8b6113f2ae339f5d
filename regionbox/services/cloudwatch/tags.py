"""TagResource, UntagResource, ListTagsForResource: on the CloudWatch resources regionbox keeps
that AWS lets you tag: alarms, Contributor Insights rules, metric streams, alarm mute rules and
metric data query definitions."""

from __future__ import annotations

from regionbox.core.errors import ServiceError
from regionbox.services.cloudwatch.metric_data import too_many
from regionbox.services.cloudwatch.models import CloudWatchState

# The resource part of the ARN, before the name -> how it is written after the kind.
KINDS = {"alarm": ":", "insight-rule": "/", "metric-stream": "/", "alarm-mute-rule": ":", "metric-query-definition": "/"}


class Tags:
    def __init__(self, state: CloudWatchState) -> None:
        self.state = state
        self.collections = {"alarm": state.alarms, "insight-rule": state.insight_rules,
                            "metric-stream": state.metric_streams, "alarm-mute-rule": state.mute_rules,
                            "metric-query-definition": state.query_definitions}

    def _resource(self, ctx, arn: str):
        parts = arn.split(":", 5)
        if len(parts) == 6 and parts[2] == "cloudwatch" and (parts[4], parts[3]) == ctx.scope:
            for kind, separator in KINDS.items():
                if parts[5].startswith(kind + separator):
                    collection, name = self.collections[kind], parts[5][len(kind) + 1:]
                    resource = collection.get(ctx.scope, name)
                    if resource is not None:
                        return collection, name, resource
        raise ServiceError("ResourceNotFoundException", "The specified resource does not exist.", 404)

    def tag_resource(self, ctx, params: dict) -> dict:
        collection, name, resource = self._resource(ctx, params["ResourceARN"])
        tags = {t["Key"]: t["Value"] for t in params["Tags"]}
        if len({**resource.tags, **tags}) > 50:
            raise too_many("Tags", 50)
        resource.tags.update(tags)
        collection.put(ctx.scope, name, resource)
        return {}

    def untag_resource(self, ctx, params: dict) -> dict:
        collection, name, resource = self._resource(ctx, params["ResourceARN"])
        for key in params["TagKeys"]:
            resource.tags.pop(key, None)
        collection.put(ctx.scope, name, resource)
        return {}

    def list_tags_for_resource(self, ctx, params: dict) -> dict:
        _, _, resource = self._resource(ctx, params["ResourceARN"])
        return {"Tags": [{"Key": k, "Value": v} for k, v in resource.tags.items()]}
