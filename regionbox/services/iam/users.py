"""IAM users: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser (their access keys are in
access_keys.py, their inline and attached policies in entity_policies.py, their password in
login_profiles.py, their groups in groups.py)."""

from __future__ import annotations

from regionbox.core import clock, ids
from regionbox.core.context import RequestContext
from regionbox.core.credentials import CredentialRegistry
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.store import Store
from regionbox.services.iam.boundaries import checked_boundary
from regionbox.services.iam.entities import Entities, with_boundary_and_tags
from regionbox.services.iam.managed_policies import StoredPolicies
from regionbox.services.iam.listing import Listing
from regionbox.services.iam.models import User
from regionbox.services.iam.state import IamState
from regionbox.services.iam.tags import checked_tags

USERS_PER_ACCOUNT = 5000


def named_or_calling_user(users: Entities[User], ctx: RequestContext, params: dict) -> User:
    """UserName, or the calling IAM user when it is left out (as IAM does)."""
    if params.get("UserName"):
        return users.get(ctx, params["UserName"])
    if ctx.caller.type != "IAMUser":
        # Root access keys are not emulated: they would be a second way to be root.
        raise invalid("Must specify userName when calling with non-User credentials")
    return users.get(ctx, ctx.caller.arn.rsplit("/", 1)[-1])


def user_shape(user: User) -> dict:
    shape = {"Path": user.path, "UserName": user.name, "UserId": user.user_id, "Arn": user.arn,
             "CreateDate": user.create_date}
    if user.password_last_used:
        shape["PasswordLastUsed"] = user.password_last_used
    return with_boundary_and_tags(shape, user)


# What DeleteUser refuses to leave behind, in the order IAM checks it.
_DELETE_CONFLICTS = (
    (lambda u, state, scope: u.login_profile is not None, "must delete login profile first"),
    (lambda u, state, scope: u.access_keys, "must delete access keys first"),
    (lambda u, state, scope: u.signing_certificates, "must delete signing certificates first"),
    (lambda u, state, scope: u.ssh_public_keys, "must delete SSH public keys first"),
    (lambda u, state, scope: u.service_credentials, "must delete service specific credentials first"),
    (lambda u, state, scope: any(d.user_name == u.name for d in state.mfa_devices.values(scope)),
     "must delete MFA device first"),
    (lambda u, state, scope: state.groups_of(scope, u.name), "must remove user from all groups first"),
)


class Users:
    def __init__(self, users: Entities[User], state: IamState, policies: StoredPolicies, credentials: CredentialRegistry,
                 store: Store, listing: Listing, root_created: float) -> None:
        self.users = users
        self.policies = policies  # for the permissions boundary
        self.state = state
        self.credentials = credentials
        self.store = store
        self.listing = listing
        self.root_created = root_created  # when the root user "was created": the cloud's start

    def create_user(self, ctx: RequestContext, params: dict) -> dict:
        name, path = params["UserName"], params.get("Path") or "/"
        if self.users.exists(ctx, name):
            raise ServiceError("EntityAlreadyExists", f"User with name {name} already exists.", status=409)
        if len(self.users.all(ctx)) >= USERS_PER_ACCOUNT:
            raise ServiceError("LimitExceeded", f"Cannot exceed quota for UsersPerAccount: {USERS_PER_ACCOUNT}", status=409)
        user = User(name=name, user_id=ids.upper_id("AIDA", 17), arn=ctx.arn("iam", f"user{path}{name}", regional=False),
                    path=path, create_date=clock.epoch(),
                    permissions_boundary=checked_boundary(ctx, self.policies, params.get("PermissionsBoundary")),
                    tags=checked_tags(params.get("Tags") or []))
        self.users.save(ctx, user)
        return {"User": user_shape(user)}

    def get_user(self, ctx: RequestContext, params: dict) -> dict:
        if not params.get("UserName") and ctx.caller.type == "Root":
            # The root user describes itself by its account (no user name, no path).
            return {"User": {"UserId": ctx.account_id, "Arn": ctx.caller.arn, "CreateDate": self.root_created}}
        return {"User": user_shape(named_or_calling_user(self.users, ctx, params))}

    def list_users(self, ctx: RequestContext, params: dict) -> dict:
        prefix = params.get("PathPrefix") or "/"
        users = sorted((u for u in self.users.all(ctx) if u.path.startswith(prefix)), key=lambda u: u.name.lower())
        return self.listing.page("Users", users, params, lambda u: {k: v for k, v in user_shape(u).items() if k != "Tags"})

    def update_user(self, ctx: RequestContext, params: dict) -> dict:
        """Rename or move a user: its keys, groups and MFA devices follow it; its sessions and
        keys act under the new ARN from the next request on."""
        user = self.users.named(ctx, params)
        old_name = user.name
        new_name = params.get("NewUserName") or user.name
        if new_name.lower() != old_name.lower() and self.users.exists(ctx, new_name):
            raise ServiceError("EntityAlreadyExists", f"User with name {new_name} already exists.", status=409)
        user.name = new_name
        user.path = params.get("NewPath") or user.path
        user.arn = ctx.arn("iam", f"user{user.path}{user.name}", regional=False)
        scope = ctx.global_scope
        with self.store.transaction():
            self.users.rename(ctx, user, old_name)
            for group in self.state.groups_of(scope, old_name):
                group.members = [new_name if m == old_name else m for m in group.members]
                self.state.groups.put(scope, group.name.lower(), group)
            for device in self.state.mfa_devices.values(scope):
                if device.user_name == old_name:
                    device.user_name = new_name
                    self.state.mfa_devices.put(scope, device.name.lower(), device)
            for summary in user.access_keys:
                issued = self.credentials.issued(summary["AccessKeyId"])
                if issued is not None:
                    issued.caller = {**issued.caller, "arn": user.arn}
                    self.credentials.register(issued)
        return {}

    def delete_user(self, ctx: RequestContext, params: dict) -> dict:
        user = self.users.named(ctx, params)
        for conflict, what in _DELETE_CONFLICTS:
            if conflict(user, self.state, ctx.global_scope):
                raise ServiceError("DeleteConflict", f"Cannot delete entity, {what}.", status=409)
        self.users.delete(ctx, user)
        return {}
