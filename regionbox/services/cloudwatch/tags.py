"""TagResource, UntagResource, ListTagsForResource: on alarms, the CloudWatch resources regionbox
keeps that AWS lets you tag (insight rules and metric streams are not built)."""

from __future__ import annotations

from regionbox.core.errors import ServiceError
from regionbox.services.cloudwatch.metric_data import too_many
from regionbox.services.cloudwatch.models import Alarm, CloudWatchState


class Tags:
    def __init__(self, state: CloudWatchState) -> None:
        self.state = state

    def _alarm(self, ctx, arn: str) -> Alarm:
        parts = arn.split(":", 6)
        if len(parts) == 7 and parts[2] == "cloudwatch" and parts[5] == "alarm":
            alarm = self.state.alarms.get((parts[4], parts[3]), parts[6])
            if alarm is not None and (parts[4], parts[3]) == ctx.scope:
                return alarm
        raise ServiceError("ResourceNotFoundException", "The specified resource does not exist.", 404)

    def tag_resource(self, ctx, params: dict) -> dict:
        alarm = self._alarm(ctx, params["ResourceARN"])
        tags = {t["Key"]: t["Value"] for t in params["Tags"]}
        if len({**alarm.tags, **tags}) > 50:
            raise too_many("Tags", 50)
        alarm.tags.update(tags)
        self.state.alarms.put(ctx.scope, alarm.name, alarm)
        return {}

    def untag_resource(self, ctx, params: dict) -> dict:
        alarm = self._alarm(ctx, params["ResourceARN"])
        for key in params["TagKeys"]:
            alarm.tags.pop(key, None)
        self.state.alarms.put(ctx.scope, alarm.name, alarm)
        return {}

    def list_tags_for_resource(self, ctx, params: dict) -> dict:
        alarm = self._alarm(ctx, params["ResourceARN"])
        return {"Tags": [{"Key": k, "Value": v} for k, v in alarm.tags.items()]}
