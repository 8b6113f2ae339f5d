"""Who a key is: GetCallerIdentity and GetAccessKeyInfo, answered from the credential registry."""

from __future__ import annotations

from regionbox.core import arns
from regionbox.core.context import RequestContext
from regionbox.core.credentials import CredentialRegistry


class CallerIdentity:
    def __init__(self, credentials: CredentialRegistry) -> None:
        self.credentials = credentials

    def get_caller_identity(self, ctx: RequestContext, params: dict) -> dict:
        caller = ctx.caller
        arn = caller.arn
        if caller.type == "Root":
            # The root user is in the partition of the region asked: arn:aws-cn:iam::...:root in cn-*.
            arn = arns.arn("iam", "", caller.account_id, "root", ctx.partition)
        return {"UserId": caller.user_id, "Account": caller.account_id, "Arn": arn}

    def get_access_key_info(self, ctx: RequestContext, params: dict) -> dict:
        return {"Account": self.credentials.account_of(params["AccessKeyId"])}
