"""What each Logs operation touches, for the gateway's authorization (``Service.resources``).

As CloudWatch Logs' own refusals show them: a log group is
``arn:aws:logs:REGION:ACCOUNT:log-group:NAME:log-stream:`` (so a policy needs ``log-group:NAME:*``
to cover it), a stream ``...:log-group:NAME:log-stream:STREAM``, and DescribeLogGroups without
identifiers ``...:log-group::log-stream:``. A group named by its ARN keeps that ARN's account and
region, so another account's group is authorized as that account's (and then refused: Logs
shares log groups only through Observability Access Manager links, which regionbox lacks).
"""

from __future__ import annotations

from regionbox.core.context import RequestContext

_STREAM_OPERATIONS = {"CreateLogStream", "DeleteLogStream", "PutLogEvents", "GetLogEvents"}
_QUERY_GROUPS = ("logGroupIdentifiers", "logGroupNames", "logGroupName")


def _group(ctx: RequestContext, identifier: str, stream: str = "") -> str:
    if identifier.startswith("arn:"):
        parts = identifier.removesuffix(":*").split(":")
        if len(parts) >= 7 and parts[5] == "log-group":
            return f"{':'.join(parts[:5])}:log-group:{parts[6]}:log-stream:{stream}"
        return "*"  # not a log group ARN: the handler refuses it as Logs does
    return ctx.arn("logs", f"log-group:{identifier}:log-stream:{stream}")


def resources(ctx: RequestContext, operation: str, params: dict) -> list[str]:
    if operation in ("TagResource", "UntagResource", "ListTagsForResource"):
        return [params["resourceArn"]]
    if operation == "DescribeLogGroups":
        return [_group(ctx, i) for i in params.get("logGroupIdentifiers") or []] or [ctx.arn("logs", "log-group::log-stream:")]
    if operation == "StartQuery":
        named = next((params[k] for k in _QUERY_GROUPS if params.get(k)), [])
        return [_group(ctx, n) for n in (named if isinstance(named, list) else [named])] or ["*"]
    listed = params.get("logGroupIdentifiers") or params.get("logGroupArnList")
    if listed:  # Live Tail, index policies and field indexes, anomaly detectors: each group named
        return [_group(ctx, i) for i in listed]
    for member, kind in (("destinationName", "destination"), ("anomalyDetectorArn", None),
                         ("lookupTableArn", None)):
        if params.get(member):
            return [ctx.arn("logs", f"{kind}:{params[member]}") if kind else params[member]]
    identifier = params.get("logGroupName") or params.get("logGroupIdentifier")
    if not identifier:
        return ["*"]
    stream = params.get("logStreamName", "") if operation in _STREAM_OPERATIONS else ""
    return [_group(ctx, identifier, stream)]
