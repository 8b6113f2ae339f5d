"""What CloudTrail offers other services (``cloud.services.api("cloudtrail")``): the CloudTrail
Data service puts events into a channel's event data stores and asks for a channel's resource
policy (IAM's view of cross-account PutAuditEvents)."""

from __future__ import annotations

from regionbox.core.context import RequestContext
from regionbox.services.cloudtrail.channels import Channels


class CloudTrailApi:
    def __init__(self, channels: Channels) -> None:
        self._channels = channels

    def put_audit_events(self, ctx: RequestContext, channel_arn: str, events: list[dict],
                         external_id: str | None = None) -> dict:
        """PutAuditEvents' answer: {"successful": [...], "failed": [...]}, or a ServiceError with
        the CloudTrail Data service's codes (ChannelNotFound, InvalidChannelARN ...)."""
        return self._channels.put_audit_events(ctx, channel_arn, events, external_id)

    def channel_policy(self, channel_arn: str) -> str | None:
        return self._channels.channel_policy(channel_arn)
