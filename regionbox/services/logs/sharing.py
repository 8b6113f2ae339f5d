"""Reaching another account's Logs resource through its policy: a destination (for a
subscription filter) or a delivery destination (for a delivery) lets in the callers its
resource-based policy allows, as IAM evaluates it; its own account needs no policy."""

from __future__ import annotations

from typing import Any

from regionbox.core.arns import account_of
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.service import Access


def authorize_sharing(iam: Any, ctx: RequestContext, action: str, arn: str, policy: str | None) -> None:
    """AccessDeniedException, in Logs' words, unless the caller may do ``action`` on ``arn``."""
    if account_of(arn) == ctx.account_id:
        return
    if policy is None or iam.authorize(ctx, None, action, [Access(arn)], lambda _: policy) is not None:
        raise ServiceError("AccessDeniedException", f"User with accountId: {ctx.account_id} is not authorized to "
                           f"perform: {action} on resource: {arn}")
