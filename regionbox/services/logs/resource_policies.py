"""Resource policies: PutResourcePolicy, DescribeResourcePolicies, DeleteResourcePolicy.

A policy lets AWS services (Route 53, EventBridge ...) write to the account's log groups. It is
account-scoped (at most 10 per account and region, as AWS's quota) or, with ``resourceArn``, the
one policy of a log group, guarded by a revision id that updates and deletes must name. The
document is checked with IAM's grammar for resource-based policies.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import Paginator
from regionbox.services.logs.listing import page_of
from regionbox.services.logs.models import ResourcePolicy
from regionbox.services.logs.state import LogsState, not_found, now_ms

ACCOUNT_POLICIES = 10


def _key(name: str, resource_arn: str | None) -> str:
    # An account policy is keyed by its name; a log group's by the group's ARN (one each).
    return f"{resource_arn}|{name}" if resource_arn else name


class ResourcePolicies:
    def __init__(self, state: LogsState, iam: Callable[[], Any], paginator: Paginator) -> None:
        self.state = state
        self.policies = state.resource_policies
        self.iam = iam
        self.paginator = paginator

    def _group_arn(self, ctx: RequestContext, arn: str | None) -> str | None:
        if arn is None:
            return None
        group = self.state.group_by_arn(ctx.scope, arn)
        if group is None:
            if arn.split(":")[5:6] != ["log-group"]:
                raise invalid(f"Invalid resource ARN {arn}: only log group ARNs take a resource policy.")
            raise not_found("The specified log group does not exist.")
        return group.arn

    def put_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        name, document = params.get("policyName"), params.get("policyDocument")
        if not name:
            raise invalid("policyName is required.")
        if not document:
            raise invalid("policyDocument is required.")
        try:
            self.iam().check_resource_policy(document)
        except ServiceError as error:
            raise invalid(f"Invalid policy document: {error.message}") from None
        resource = self._group_arn(ctx, params.get("resourceArn"))
        key = _key(name, resource)
        existing = self.policies.get(ctx.scope, key)
        if resource is not None:
            others = [p for p in self.policies.values(ctx.scope) if p.resource_arn == resource and p.name != name]
            if others:
                raise ServiceError("LimitExceededException", "A log group can have only one resource policy.")
            self._expect(existing, params.get("expectedRevisionId"))
        elif existing is None and sum(1 for p in self.policies.values(ctx.scope) if p.resource_arn is None) >= ACCOUNT_POLICIES:
            raise ServiceError("LimitExceededException", "Resource limit exceeded.")
        policy = ResourcePolicy(name=name, document=document, last_updated=now_ms(),
                                revision_id=uuid.uuid4().hex, resource_arn=resource)
        self.policies.put(ctx.scope, key, policy)
        result: dict[str, Any] = {"resourcePolicy": self._shape(policy)}
        if resource is not None:
            result["revisionId"] = policy.revision_id
        return result

    @staticmethod
    def _expect(existing: ResourcePolicy | None, expected: str | None) -> None:
        """A log group's policy changes only from the revision the caller saw (none: a new one)."""
        current = existing.revision_id if existing is not None else None
        if expected != current:
            raise ServiceError("OperationAbortedException", "The expectedRevisionId does not match the revision of the "
                               "log group's resource policy.")

    def describe_resource_policies(self, ctx: RequestContext, params: dict) -> dict:
        resource = params.get("resourceArn")
        scope = params.get("policyScope") or ("RESOURCE" if resource else "ACCOUNT")
        found = [p for p in self.policies.values(ctx.scope) if (p.resource_arn is not None) == (scope == "RESOURCE")]
        if resource:
            group_arn = self._group_arn(ctx, resource)
            found = [p for p in found if p.resource_arn == group_arn]
        return page_of(self.paginator, found, params, "resourcePolicies", self._shape)

    def delete_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        name = params.get("policyName")
        if not name:
            raise invalid("policyName is required.")
        resource = self._group_arn(ctx, params.get("resourceArn"))
        key = _key(name, resource)
        existing = self.policies.get(ctx.scope, key)
        if existing is None:
            raise not_found(f"Policy with name [{name}] does not exist")
        if resource is not None:
            self._expect(existing, params.get("expectedRevisionId"))
        self.policies.delete(ctx.scope, key)
        return {}

    @staticmethod
    def _shape(policy: ResourcePolicy) -> dict:
        shape: dict[str, Any] = {"policyName": policy.name, "policyDocument": policy.document,
                                 "lastUpdatedTime": policy.last_updated,
                                 "policyScope": "RESOURCE" if policy.resource_arn else "ACCOUNT"}
        if policy.resource_arn:
            shape.update(resourceArn=policy.resource_arn, revisionId=policy.revision_id)
        return shape
