"""What each DAX operation touches, for the gateway's authorization: the cluster's ARN
(arn:aws:dax:<region>:<account>:cache/<name>), as DAX's authorization reference names it for
cluster operations and tags, or "*" for parameter groups, subnet groups and events."""

from __future__ import annotations

from regionbox.core.context import RequestContext


def resources(ctx: RequestContext, operation: str, params: dict) -> list[str]:
    if params.get("ResourceName"):
        return [params["ResourceName"]]
    if params.get("ClusterName"):
        return [ctx.arn("dax", f"cache/{params['ClusterName'].lower()}")]
    if params.get("ClusterNames"):
        return [ctx.arn("dax", f"cache/{name.lower()}") for name in params["ClusterNames"]]
    return ["*"]
