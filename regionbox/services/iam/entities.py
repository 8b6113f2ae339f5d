"""What roles, users and groups have in common: looked up by name regardless of case, saved with their
CloudTrail resource, deleted only once they hold no policies.

``Kind`` holds the per-kind differences as data (the word IAM's messages use, the request member
naming the entity, the inline-policy size quota), so one implementation serves both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import quote

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.store import Collection

T = TypeVar("T")


@dataclass(frozen=True)
class Kind:
    label: str  # "role" / "user", as IAM's messages name them
    name_member: str  # the request member that names the entity: "RoleName" / "UserName"
    resource_type: str  # CloudTrail resource type
    inline_max: int  # aggregate size quota of the entity's inline policies


ROLE = Kind("role", "RoleName", "AWS::IAM::Role", 10240)
USER = Kind("user", "UserName", "AWS::IAM::User", 2048)
GROUP = Kind("group", "GroupName", "AWS::IAM::Group", 5120)


def encoded(document: str) -> str:
    # IAM returns documents URL-encoded (RFC 3986); boto3 decodes them back to JSON.
    return quote(document, safe="")


def policy_size(document: str) -> int:
    # IAM counts policy size without whitespace.
    return len("".join(document.split()))


def with_boundary_and_tags(shape: dict, entity) -> dict:
    """A role's or user's shape with the optional members both have: PermissionsBoundary, Tags."""
    if entity.permissions_boundary:
        shape["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy",
                                        "PermissionsBoundaryArn": entity.permissions_boundary}
    if entity.tags:
        shape["Tags"] = entity.tags
    return shape


class Entities(Generic[T]):
    """The roles, the users or the groups of the caller's account."""

    def __init__(self, kind: Kind, collection: Collection[T]) -> None:
        self.kind = kind
        self.collection = collection

    def get(self, ctx: RequestContext, name: str) -> T:
        entity = self.find(ctx, name)
        if entity is None:
            raise ServiceError("NoSuchEntity", f"The {self.kind.label} with name {name} cannot be found.", status=404)
        return entity

    def named(self, ctx: RequestContext, params: dict) -> T:
        """The entity the request names (its RoleName / UserName member)."""
        return self.get(ctx, params[self.kind.name_member])

    def find(self, ctx: RequestContext, name: str) -> T | None:
        return self.collection.get(ctx.global_scope, name.lower())

    def exists(self, ctx: RequestContext, name: str) -> bool:
        return self.find(ctx, name) is not None

    def all(self, ctx: RequestContext) -> list[T]:
        return self.collection.values(ctx.global_scope)

    def save(self, ctx: RequestContext, entity: T) -> None:
        self.collection.put(ctx.global_scope, entity.name.lower(), entity)
        ctx.touched(self.kind.resource_type, entity.name)

    def rename(self, ctx: RequestContext, entity: T, old_name: str) -> None:
        """Store ``entity`` (renamed) under its new name, in place of ``old_name``."""
        self.collection.delete(ctx.global_scope, old_name.lower())
        self.save(ctx, entity)

    def delete(self, ctx: RequestContext, entity: T) -> None:
        if entity.inline_policies:
            raise ServiceError("DeleteConflict", "Cannot delete entity, must delete policies first.", status=409)
        if entity.attached_policies:
            raise ServiceError("DeleteConflict", "Cannot delete entity, must detach all policies first.", status=409)
        self.collection.delete(ctx.global_scope, entity.name.lower())
        ctx.touched(self.kind.resource_type, entity.name)
