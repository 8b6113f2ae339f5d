"""What each CloudTrail operation touches, for the gateway's authorization (``Service.resources``).

As CloudTrail's authorization reference has it: trail operations act on the trail's ARN
(``arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME``, from a name or an ARN), Lake operations on the
event data store's (a query on the store its FROM names), channel, dashboard and tag operations
on the ARN they name; listings, LookupEvents, imports and the public keys on "*".
"""

from __future__ import annotations

import re

from regionbox.core.arns import arn
from regionbox.core.context import RequestContext
from regionbox.core.service import Access

_FROM = re.compile(r"\bfrom\s+([A-Za-z0-9_:/.\-]+)", re.IGNORECASE)
_TRAIL_MEMBER = {"CreateTrail": "Name", "UpdateTrail": "Name", "DeleteTrail": "Name", "GetTrail": "Name",
                 "GetTrailStatus": "Name", "StartLogging": "Name", "StopLogging": "Name",
                 "GetEventSelectors": "TrailName", "PutEventSelectors": "TrailName"}
_STORE_OPERATIONS = {"GetEventDataStore", "UpdateEventDataStore", "DeleteEventDataStore", "RestoreEventDataStore",
                     "StartEventDataStoreIngestion", "StopEventDataStoreIngestion", "ListQueries", "DescribeQuery",
                     "GetQueryResults", "CancelQuery", "EnableFederation", "DisableFederation"}


def _named(ctx: RequestContext, kind: str, value: str) -> str:
    return value if value.startswith("arn:") else ctx.arn("cloudtrail", f"{kind}/{value}")


def _trail(ctx: RequestContext, value: str) -> Access:
    # Trails have no resource policy: another account's trail ARN is CloudTrail's to refuse
    # (CloudTrailARNInvalidException), IAM checks the caller's own side.
    return Access(_named(ctx, "trail", value), resource_policy_checked_by_service=True)


def resources(ctx: RequestContext, operation: str, params: dict) -> list[str | Access]:
    if operation in _TRAIL_MEMBER:
        return [_trail(ctx, params.get(_TRAIL_MEMBER[operation]) or "")]
    if operation in ("PutInsightSelectors", "GetInsightSelectors", "PutEventConfiguration", "GetEventConfiguration"):
        if params.get("TrailName"):
            return [_trail(ctx, params["TrailName"])]
        return [_named(ctx, "eventdatastore", params["EventDataStore"])] if params.get("EventDataStore") else ["*"]
    if operation == "CreateEventDataStore":
        return [ctx.arn("cloudtrail", "eventdatastore/*")]
    if operation in _STORE_OPERATIONS:
        return [_named(ctx, "eventdatastore", params["EventDataStore"])] if params.get("EventDataStore") else ["*"]
    if operation == "StartQuery":
        found = _FROM.search(params.get("QueryStatement") or "")
        if not found:
            return ["*"]
        target = found.group(1)
        owner = params.get("EventDataStoreOwnerAccountId") or ctx.account_id
        # Another account's store is named by its ID and its owner: its resource policy decides.
        return [target if target.startswith("arn:") else
                arn("cloudtrail", ctx.region, owner, f"eventdatastore/{target}", ctx.partition)]
    if operation in ("GetChannel", "UpdateChannel", "DeleteChannel"):
        return [_named(ctx, "channel", params["Channel"])]
    if operation == "CreateChannel":
        return [ctx.arn("cloudtrail", "channel/*")]
    if operation in ("CreateDashboard",):
        return [ctx.arn("cloudtrail", f"dashboard/{params['Name']}")]
    if operation in ("GetDashboard", "UpdateDashboard", "DeleteDashboard", "StartDashboardRefresh"):
        return [_named(ctx, "dashboard", params["DashboardId"])]
    if operation in ("PutResourcePolicy", "GetResourcePolicy", "DeleteResourcePolicy"):
        return [params["ResourceArn"]]
    if operation in ("AddTags", "RemoveTags"):
        return [params["ResourceId"]]
    if operation == "ListTags":
        return list(params.get("ResourceIdList") or []) or ["*"]
    if operation == "ListInsightsData":
        return [params["InsightSource"]]
    if operation == "ListInsightsMetricData" and params.get("TrailName"):
        return [_trail(ctx, params["TrailName"])]
    return ["*"]
