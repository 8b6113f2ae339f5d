"""IAM groups: CreateGroup ... DeleteGroup, their members, ListGroupsForUser. A group's inline
and attached policies are entity_policies.py's (as a role's and a user's); evaluation.py counts
them for every member (principals.py)."""

from __future__ import annotations

from regionbox.core import clock, ids
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.iam.entities import Entities
from regionbox.services.iam.listing import Listing
from regionbox.services.iam.models import Group, User
from regionbox.services.iam.state import IamState
from regionbox.services.iam.users import user_shape

GROUPS_PER_ACCOUNT = 300
GROUPS_PER_USER = 10


def group_shape(group: Group) -> dict:
    return {"Path": group.path, "GroupName": group.name, "GroupId": group.group_id, "Arn": group.arn,
            "CreateDate": group.create_date}


class Groups:
    def __init__(self, groups: Entities[Group], users: Entities[User], state: IamState, listing: Listing) -> None:
        self.groups = groups
        self.users = users
        self.state = state
        self.listing = listing

    def create_group(self, ctx: RequestContext, params: dict) -> dict:
        name, path = params["GroupName"], params.get("Path") or "/"
        if self.groups.exists(ctx, name):
            raise ServiceError("EntityAlreadyExists", f"Group with name {name} already exists.", status=409)
        if len(self.groups.all(ctx)) >= GROUPS_PER_ACCOUNT:
            raise ServiceError("LimitExceeded", f"Cannot exceed quota for GroupsPerAccount: {GROUPS_PER_ACCOUNT}", status=409)
        group = Group(name=name, group_id=ids.upper_id("AGPA", 17), arn=ctx.arn("iam", f"group{path}{name}", regional=False),
                      path=path, create_date=clock.epoch())
        self.groups.save(ctx, group)
        return {"Group": group_shape(group)}

    def get_group(self, ctx: RequestContext, params: dict) -> dict:
        group = self.groups.named(ctx, params)
        members = sorted((u for u in (self.users.find(ctx, n) for n in group.members) if u is not None),
                         key=lambda u: u.name.lower())
        page = self.listing.page("Users", members, params,
                                 lambda u: {k: v for k, v in user_shape(u).items() if k != "Tags"})
        return {"Group": group_shape(group), **page}

    def list_groups(self, ctx: RequestContext, params: dict) -> dict:
        prefix = params.get("PathPrefix") or "/"
        groups = sorted((g for g in self.groups.all(ctx) if g.path.startswith(prefix)), key=lambda g: g.name.lower())
        return self.listing.page("Groups", groups, params, group_shape)

    def list_groups_for_user(self, ctx: RequestContext, params: dict) -> dict:
        user = self.users.named(ctx, params)
        groups = sorted(self.state.groups_of(ctx.global_scope, user.name), key=lambda g: g.name.lower())
        return self.listing.page("Groups", groups, params, group_shape)

    def update_group(self, ctx: RequestContext, params: dict) -> dict:
        group = self.groups.named(ctx, params)
        old_name = group.name
        new_name = params.get("NewGroupName") or group.name
        if new_name.lower() != old_name.lower() and self.groups.exists(ctx, new_name):
            raise ServiceError("EntityAlreadyExists", f"Group with name {new_name} already exists.", status=409)
        group.name = new_name
        group.path = params.get("NewPath") or group.path
        group.arn = ctx.arn("iam", f"group{group.path}{group.name}", regional=False)
        self.groups.rename(ctx, group, old_name)
        return {}

    def delete_group(self, ctx: RequestContext, params: dict) -> dict:
        group = self.groups.named(ctx, params)
        if group.members:
            raise ServiceError("DeleteConflict", "Cannot delete entity, must remove users from group first.", status=409)
        self.groups.delete(ctx, group)
        return {}

    def add_user_to_group(self, ctx: RequestContext, params: dict) -> dict:
        group = self.groups.named(ctx, params)
        user = self.users.named(ctx, params)
        if user.name in group.members:
            return {}  # adding twice changes nothing, as on AWS
        if len(self.state.groups_of(ctx.global_scope, user.name)) >= GROUPS_PER_USER:
            raise ServiceError("LimitExceeded", f"Cannot exceed quota for GroupsPerUser: {GROUPS_PER_USER}", status=409)
        group.members.append(user.name)
        self.groups.save(ctx, group)
        return {}

    def remove_user_from_group(self, ctx: RequestContext, params: dict) -> dict:
        group = self.groups.named(ctx, params)
        user = self.users.named(ctx, params)
        if user.name not in group.members:
            raise ServiceError("NoSuchEntity", f"The user with name {user.name} cannot be found.", status=404)
        group.members.remove(user.name)
        self.groups.save(ctx, group)
        return {}
