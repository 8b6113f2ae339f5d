"""What each Transfer Family operation touches, for the gateway's authorization: a server's,
user's or workflow's ARN as AWS's authorization reference names them, or "*"."""

from __future__ import annotations

from regionbox.core.context import RequestContext


def resources(ctx: RequestContext, operation: str, params: dict) -> list[str]:
    if params.get("Arn"):
        return [params["Arn"]]
    server_id, user = params.get("ServerId"), params.get("UserName")
    if server_id and user and operation != "TestIdentityProvider":
        return [ctx.arn("transfer", f"user/{server_id}/{user}")]
    if server_id and operation != "CreateUser":
        return [ctx.arn("transfer", f"server/{server_id}")]
    if params.get("ConnectorId"):
        return [ctx.arn("transfer", f"connector/{params['ConnectorId']}")]
    if params.get("WorkflowId"):
        return [ctx.arn("transfer", f"workflow/{params['WorkflowId']}")]
    return ["*"]
