"""Permissions boundaries of users and roles: Put/Delete{User,Role}PermissionsBoundary, and the
check CreateUser/CreateRole make of a boundary they are given. A boundary is a managed policy
(the account's own, or AWS's) that caps what the entity's other policies grant (evaluation.py)."""

from __future__ import annotations

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.iam import aws_managed
from regionbox.services.iam.entities import Entities
from regionbox.services.iam.managed_policies import StoredPolicies


def checked_boundary(ctx: RequestContext, policies: StoredPolicies, arn: str | None) -> str | None:
    """The boundary ARN if it names a managed policy IAM can attach, else IAM's error."""
    if arn is None:
        return None
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or not parts[5].startswith("policy/"):
        raise ServiceError("InvalidInput", f"ARN {arn} is not valid.")
    if aws_managed.is_aws_managed(arn):
        return arn  # AWS's managed policies exist in every account
    policies.get(ctx, arn)
    return arn


class Boundaries:
    """The boundary of the entities in ``entities`` (the roles, or the users)."""

    def __init__(self, entities: Entities, policies: StoredPolicies) -> None:
        self.entities = entities
        self.policies = policies

    def put(self, ctx: RequestContext, params: dict) -> dict:
        entity = self.entities.named(ctx, params)
        entity.permissions_boundary = checked_boundary(ctx, self.policies, params["PermissionsBoundary"])
        self.entities.save(ctx, entity)
        return {}

    def delete(self, ctx: RequestContext, params: dict) -> dict:
        # Removing a boundary the entity does not have succeeds, as on AWS.
        entity = self.entities.named(ctx, params)
        entity.permissions_boundary = None
        self.entities.save(ctx, entity)
        return {}
