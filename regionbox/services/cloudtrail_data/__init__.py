"""CloudTrail Data: PutAuditEvents, which puts events from outside AWS into a CloudTrail Lake
channel's event data stores (the channel and its stores are CloudTrail's: ``CloudTrailApi``).

The calls are data events of CloudTrail's, not in event history. Another account may put events
into a channel whose resource policy lets it (IAM evaluates that policy in the gateway).
"""

from regionbox.core.context import RequestContext
from regionbox.core.service import Service


def load(cloud) -> Service:
    def cloudtrail():
        return cloud.services.api("cloudtrail")

    def put_audit_events(ctx: RequestContext, params: dict) -> dict:
        return cloudtrail().put_audit_events(ctx, params["channelArn"], params["auditEvents"], params.get("externalId"))

    def resources(ctx: RequestContext, operation: str, params: dict) -> list[str]:
        return [params["channelArn"]] if params.get("channelArn", "").startswith("arn:") else ["*"]

    return Service(
        name="cloudtrail-data",
        operations={"PutAuditEvents": put_audit_events},
        data_events=frozenset({"PutAuditEvents"}),
        iam_prefix="cloudtrail-data",
        resources=resources,
        resource_policy=lambda arn: cloudtrail().channel_policy(arn),
    )
