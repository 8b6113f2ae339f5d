"""IAM users: CreateUser, GetUser, ListUsers, DeleteUser (their access keys are in
access_keys.py, their inline and attached policies in entity_policies.py)."""

from __future__ import annotations

from regionbox.core import clock, ids
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.services.iam.entities import Entities, with_boundary_and_tags
from regionbox.services.iam.listing import Listing
from regionbox.services.iam.models import User
from regionbox.services.iam.tags import checked_tags


def named_or_calling_user(users: Entities[User], ctx: RequestContext, params: dict) -> User:
    """UserName, or the calling IAM user when it is left out (as IAM does)."""
    if params.get("UserName"):
        return users.get(ctx, params["UserName"])
    if ctx.caller.type != "IAMUser":
        # Root access keys are not emulated: they would be a second way to be root.
        raise invalid("Must specify userName when calling with non-User credentials")
    return users.get(ctx, ctx.caller.arn.rsplit("/", 1)[-1])


def _user_shape(user: User) -> dict:
    return with_boundary_and_tags({"Path": user.path, "UserName": user.name, "UserId": user.user_id, "Arn": user.arn,
                                   "CreateDate": user.create_date}, user)


class Users:
    def __init__(self, users: Entities[User], listing: Listing, root_created: float) -> None:
        self.users = users
        self.listing = listing
        self.root_created = root_created  # when the root user "was created": the cloud's start

    def create_user(self, ctx: RequestContext, params: dict) -> dict:
        name, path = params["UserName"], params.get("Path") or "/"
        if self.users.exists(ctx, name):
            raise ServiceError("EntityAlreadyExists", f"User with name {name} already exists.", status=409)
        user = User(name=name, user_id=ids.upper_id("AIDA", 17), arn=ctx.arn("iam", f"user{path}{name}", regional=False),
                    path=path, create_date=clock.epoch(), permissions_boundary=params.get("PermissionsBoundary"),
                    tags=checked_tags(params.get("Tags") or []))
        self.users.save(ctx, user)
        return {"User": _user_shape(user)}

    def get_user(self, ctx: RequestContext, params: dict) -> dict:
        if not params.get("UserName") and ctx.caller.type == "Root":
            # The root user describes itself by its account (no user name, no path).
            return {"User": {"UserId": ctx.account_id, "Arn": ctx.caller.arn, "CreateDate": self.root_created}}
        return {"User": _user_shape(named_or_calling_user(self.users, ctx, params))}

    def list_users(self, ctx: RequestContext, params: dict) -> dict:
        prefix = params.get("PathPrefix") or "/"
        users = sorted((u for u in self.users.all(ctx) if u.path.startswith(prefix)), key=lambda u: u.name.lower())
        return self.listing.page("Users", users, params, lambda u: {k: v for k, v in _user_shape(u).items() if k != "Tags"})

    def delete_user(self, ctx: RequestContext, params: dict) -> dict:
        user = self.users.named(ctx, params)
        if user.access_keys:
            raise ServiceError("DeleteConflict", "Cannot delete entity, must delete access keys first.", status=409)
        self.users.delete(ctx, user)
        return {}
