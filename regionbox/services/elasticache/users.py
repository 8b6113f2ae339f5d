"""RBAC: users and user groups, enforced by the engine's ACLs.

A user's access string is Redis ACL syntax ("on ~app:* +@read"); a replication group with user
groups gets one ACL entry per user, so the engine itself refuses what the user may not do
(NOPERM), a wrong password (WRONGPASS) and unauthenticated clients when the "default" user
requires a password (NOAUTH). Every account has AWS's built-in user ``default`` (no password,
full access), which user groups may include.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.events import EventLog, Messages
from regionbox.services.elasticache.models import User, UserGroup
from regionbox.services.elasticache.nodes import RedisNodes, sha256
from regionbox.services.elasticache.restricted import DENIED, RENAMED
from regionbox.services.elasticache.state import DEFAULT_USER, ElastiCacheState
from regionbox.services.elasticache.tags import checked_tags

MAX_USERS = 1000  # "Users per account"
DELETE_SECONDS = 1.0  # how long a deleted user shows "deleting"
_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{0,39}$")
_ACL_TOKEN = re.compile(r"^(on|off|~\S*|%R?W?~\S*|&\S*|[+-]@?[\w|\-]+|allkeys|allcommands|nocommands|allchannels|resetkeys|resetchannels)$")
_PASSWORD = re.compile(r'^[!#-.0-?A-~]{16,128}$')
ACL_CATEGORIES = frozenset({"all", "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog",
                            "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection", "transaction",
                            "scripting"})


def _check_access_string(value: str) -> str:
    """Redis ACL rules, of the categories Redis has; naming a command ElastiCache restricts is
    refused ("If you specify a forbidden or a renamed command, an exception will be thrown")."""
    tokens = value.split()
    if not tokens or not all(_ACL_TOKEN.match(t) for t in tokens):
        raise check.invalid(f"Access string {value!r} is invalid.")
    for token in tokens:
        if token[:2] in ("+@", "-@") and token[2:] not in ACL_CATEGORIES:
            raise check.invalid(f"Access string {value!r} is invalid: there is no command category {token[2:]}.")
        command = token[1:].lower() if token[:1] in "+-" and token[1:2] != "@" else ""
        if command and (command.split("|")[0].upper() in RENAMED or command in DENIED):
            raise check.invalid(f"Access string {value!r} is invalid: {command} is a restricted command.")
    return value


def _check_passwords(passwords: list[str]) -> list[str]:
    if len(passwords) > 2:
        raise check.invalid("A user can have at most two passwords.")
    for password in passwords:
        if not 16 <= len(password) <= 128:
            raise check.invalid("Passwords length must be between 16-128 characters.")
        if not _PASSWORD.match(password):
            raise check.invalid("Passwords must be printable characters, excluding spaces, '\"', '/' and '@'.")
    return [sha256(p) for p in passwords]


AUTHENTICATION_TYPES = ("password", "no-password-required", "iam")


def _authentication(params: dict, required: bool) -> tuple[str, list[str]] | None:
    """(type, password hashes) from Passwords / NoPasswordRequired / AuthenticationMode, checked
    in AWS's order: the mode's type, the flag against it, passwords against it, then the passwords."""
    mode = params.get("AuthenticationMode") or {}
    passwords = params.get("Passwords") or mode.get("Passwords")
    no_password = params.get("NoPasswordRequired")
    kind = mode.get("Type")
    if kind is not None and kind not in AUTHENTICATION_TYPES:
        raise check.invalid(f"Input Authentication type: {kind} is not in the allowed list: [{','.join(AUTHENTICATION_TYPES)}]")
    if no_password and kind is not None and kind != "no-password-required":
        raise check.invalid_combination(f"No password required flag is true but provided authentication type is {kind}")
    if passwords and kind is not None and kind != "password":
        raise check.invalid_combination(f"Password field is not allowed with authentication type: {kind}")
    if passwords and no_password:
        raise check.invalid_combination("Passwords cannot be provided when no password is required.")
    if kind == "password" and not passwords:
        raise check.invalid_combination("A user with Authentication Mode: password, must have at least one password")
    if kind == "iam":
        return "iam", []
    if kind == "no-password-required" or no_password:
        return "no-password", []
    if passwords:
        return "password", _check_passwords(passwords)
    if required:
        raise check.invalid("No password was provided. If you want to create/update the user without password, please use the "
                            "NoPasswordRequired flag.")
    return None


def _describe_user(user: User) -> dict[str, Any]:
    return {"UserId": user.user_id, "UserName": user.user_name, "Status": user.status, "Engine": user.engine,
            "MinimumEngineVersion": user.minimum_engine_version, "AccessString": user.access_string,
            "UserGroupIds": list(user.user_group_ids),
            "Authentication": {"Type": user.authentication_type, "PasswordCount": len(user.password_hashes)},
            "ARN": user.arn}


def _describe_user_group(group: UserGroup) -> dict[str, Any]:
    result = {"UserGroupId": group.user_group_id, "Status": group.status, "Engine": group.engine,
              "UserIds": list(group.user_ids), "MinimumEngineVersion": group.minimum_engine_version,
              "ReplicationGroups": list(group.replication_groups), "ServerlessCaches": [], "ARN": group.arn}
    if group.pending:
        result["PendingChanges"] = dict(group.pending)
    return result


class UserGroups:
    """Create/Describe/Modify/DeleteUserGroup; which replication groups use a user group, and
    bringing their engines' ACLs up to date when its users change."""

    def __init__(self, state: ElastiCacheState, nodes: RedisNodes, events: EventLog, paginator: Paginator) -> None:
        self.state = state
        self.nodes = nodes
        self.events = events
        self.paginator = paginator

    def link(self, scope: Scope, group_id: str, rg_id: str) -> None:
        group = self.state.user_group(scope, group_id)
        if rg_id not in group.replication_groups:
            group.replication_groups.append(rg_id)
            self.state.user_groups.put(scope, group_id, group)

    def unlink(self, scope: Scope, group_id: str, rg_id: str) -> None:
        group = self.state.user_groups.get(scope, group_id)
        if group is not None and rg_id in group.replication_groups:
            group.replication_groups.remove(rg_id)
            self.state.user_groups.put(scope, group_id, group)

    async def reload_acls(self, scope: Scope, group_ids: list[str], source: tuple[str, str, str]) -> None:
        """The replication groups using these user groups get their users again (ACL LOAD).

        Rule: the API call has succeeded (its CloudTrail event says so, once); a group whose nodes
        did not take the change is an event on ``source`` (source type, id, and what it is)."""
        rg_ids = {rg_id for gid in group_ids if (g := self.state.user_groups.get(scope, gid)) for rg_id in g.replication_groups}
        groups = [rg for rg_id in sorted(rg_ids) if (rg := self.state.replication_groups.get(scope, rg_id)) is not None]
        results = await asyncio.gather(*(self.nodes.reload_acl(scope, rg) for rg in groups), return_exceptions=True)
        source_type, source_id, what = source
        for rg, result in zip(groups, results):
            failures = [str(result)] if isinstance(result, BaseException) else result
            if failures:
                self.events.record(scope, source_id, source_type, Messages.USERS_UPDATE_FAILED.format(
                    what=what, name=source_id, group=rg.replication_group_id, reason="; ".join(failures)))

    def _check_members(self, scope: Scope, user_ids: list[str]) -> None:
        users = [self.state.user(scope, uid) for uid in user_ids]
        deleting = next((u.user_id for u in users if u.status == "deleting"), None)
        if deleting:
            raise ServiceError("InvalidUserState", f"User {deleting} is not in active state.")
        if user_ids and DEFAULT_USER not in {u.user_name for u in users}:
            raise ServiceError("DefaultUserRequired", "A user with the user name default must be included in the user group.")
        names = [u.user_name for u in users]
        if len(names) != len(set(names)):
            raise ServiceError("DuplicateUserName", "A user group cannot contain two users with the same user name.")

    def _set_membership(self, scope: Scope, group_id: str, user_ids: list[str], member: bool) -> None:
        for uid in user_ids:
            user = self.state.users.get(scope, uid)
            if user is None:
                continue
            if member and group_id not in user.user_group_ids:
                user.user_group_ids.append(group_id)
            elif not member and group_id in user.user_group_ids:
                user.user_group_ids.remove(group_id)
            self.state.users.put(scope, uid, user)

    def create_user_group(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        group_id = params["UserGroupId"]
        if not _NAME.match(group_id):
            raise check.invalid("The parameter UserGroupId must begin with a letter and contain only ASCII letters, "
                                "digits and hyphens.")
        if self.state.user_groups.get(scope, group_id) is not None:
            raise ServiceError("UserGroupAlreadyExists", f"User group {group_id} already exists.")
        engine = check.engine(params.get("Engine"))
        user_ids = list(dict.fromkeys(params.get("UserIds") or []))
        self._check_members(scope, user_ids)
        group = UserGroup(user_group_id=group_id, arn=ctx.arn("elasticache", f"usergroup:{group_id}"), engine=engine,
                          user_ids=user_ids, tags=list(params.get("Tags") or []))
        with self.state.transaction():
            self.state.user_groups.put(scope, group_id, group)
            self._set_membership(scope, group_id, user_ids, True)
        ctx.touched("UserGroup", group_id)
        return _describe_user_group(group)

    def describe_user_groups(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        groups = ([self.state.user_group(scope, params["UserGroupId"])] if params.get("UserGroupId")
                  else self.state.user_groups.values(scope))
        return check.paged(self.paginator, "UserGroups", [_describe_user_group(g) for g in groups], params)

    async def modify_user_group(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        group = self.state.user_group(scope, params["UserGroupId"])
        to_add = list(params.get("UserIdsToAdd") or [])
        to_remove = list(params.get("UserIdsToRemove") or [])
        for uid in to_add + to_remove:
            self.state.user(scope, uid)
        new_ids = [uid for uid in group.user_ids if uid not in to_remove] + [uid for uid in to_add if uid not in group.user_ids]
        self._check_members(scope, new_ids)
        with self.state.transaction():
            group.user_ids = new_ids
            self.state.user_groups.put(scope, group.user_group_id, group)
            self._set_membership(scope, group.user_group_id, to_remove, False)
            self._set_membership(scope, group.user_group_id, to_add, True)
        # Answered once the engines enforce the new membership.
        await self.reload_acls(scope, [group.user_group_id], ("user-group", group.user_group_id, "user group"))
        return _describe_user_group(group)

    def delete_user_group(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        group = self.state.user_group(scope, params["UserGroupId"])
        if group.replication_groups:
            raise ServiceError("InvalidUserGroupState", f"User group {group.user_group_id} is associated with replication groups "
                                                        f"{', '.join(group.replication_groups)}.")
        with self.state.transaction():
            self._set_membership(scope, group.user_group_id, group.user_ids, False)
            self.state.user_groups.delete(scope, group.user_group_id)
        group.status = "deleting"
        return _describe_user_group(group)


class Users:
    """Create/Describe/Modify/DeleteUser."""

    def __init__(self, state: ElastiCacheState, user_groups: UserGroups, tasks: Tasks, paginator: Paginator) -> None:
        self.state = state
        self.user_groups = user_groups
        self.tasks = tasks
        self.paginator = paginator

    def create_user(self, ctx: RequestContext, params: dict) -> dict:
        """AWS's order of checks: the request's own values (ids, engine, authentication, access
        string), then the account's state (the id taken, the name taken, the quota)."""
        scope = ctx.scope
        user_id, user_name = params["UserId"], params["UserName"]
        for name, value in (("UserId", user_id), ("UserName", user_name)):
            if not _NAME.match(value):
                raise check.invalid(f"The parameter {name} must begin with a letter and contain only ASCII letters, "
                                    "digits and hyphens (at most 40).")
        engine = check.engine(params.get("Engine"))
        kind, hashes = _authentication(params, required=True)
        access = _check_access_string(params["AccessString"])
        tags = checked_tags(params.get("Tags") or [])
        if user_id == DEFAULT_USER or self.state.users.get(scope, user_id) is not None:
            raise ServiceError("UserAlreadyExists", f"User {user_id} already exists.")
        if any(u.user_name == user_name for u in self.state.users.values(scope)) and user_name != DEFAULT_USER:
            raise ServiceError("DuplicateUserName", f"User name {user_name} already exists.")
        if len(self.state.users.values(scope)) >= MAX_USERS:
            raise ServiceError("UserQuotaExceeded", f"The quota of {MAX_USERS} users has been exceeded.")
        user = User(user_id=user_id, user_name=user_name, arn=ctx.arn("elasticache", f"user:{user_id}"), engine=engine,
                    access_string=access, authentication_type=kind, password_hashes=hashes, tags=tags)
        self.state.users.put(scope, user_id, user)
        ctx.touched("User", user_id)
        return _describe_user(user)

    def describe_users(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        if params.get("UserId"):
            users = [self.state.user(scope, params["UserId"])]
        else:
            users = [self.state.builtin_default_user(scope), *self.state.users.values(scope)]
        if params.get("Engine"):
            users = [u for u in users if u.engine == params["Engine"] or u.user_id == DEFAULT_USER]
        for flt in params.get("Filters") or []:
            if flt.get("Name") == "user-id":
                users = [u for u in users if u.user_id in flt.get("Values", [])]
        return check.paged(self.paginator, "Users", [_describe_user(u) for u in users], params)

    async def modify_user(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        if params["UserId"] == DEFAULT_USER and not self.state.users.get(scope, DEFAULT_USER):
            raise check.invalid("The default user cannot be modified.")
        user = self.active(scope, params["UserId"])
        access = user.access_string
        if params.get("AccessString"):
            access = _check_access_string(params["AccessString"])
        if params.get("AppendAccessString"):
            access = _check_access_string(f"{access} {params['AppendAccessString']}")
        auth = _authentication(params, required=False)
        user.access_string = access
        if auth is not None:
            user.authentication_type, user.password_hashes = auth
        self.state.users.put(scope, user.user_id, user)
        # Answered once the engines enforce the user's new access and passwords.
        await self.user_groups.reload_acls(scope, user.user_group_ids, ("user", user.user_id, "user"))
        return _describe_user(user)

    def delete_user(self, ctx: RequestContext, params: dict) -> dict:
        """The user shows "deleting" (DescribeUsers lists it so) until it is gone, moments later."""
        scope = ctx.scope
        user_id = params["UserId"]
        if user_id == DEFAULT_USER:
            raise ServiceError("DefaultUserAssociatedToUserGroup", "The default user cannot be deleted.")
        user = self.active(scope, user_id)
        if user.user_group_ids:
            raise ServiceError("InvalidUserState", f"User {user_id} is a member of user groups {', '.join(user.user_group_ids)}.")
        user.status = "deleting"
        self.state.users.put(scope, user_id, user)
        self._forget_later(scope, user_id)
        return _describe_user(user)

    def active(self, scope: Scope, user_id: str) -> User:
        user = self.state.user(scope, user_id)
        if user.status == "deleting":
            raise ServiceError("InvalidUserState", f"User {user_id} is not in active state.")
        return user

    def _forget_later(self, scope: Scope, user_id: str) -> None:
        async def forget() -> None:
            await asyncio.sleep(DELETE_SECONDS)
            user = self.state.users.get(scope, user_id)
            if user is not None and user.status == "deleting":
                self.state.users.delete(scope, user_id)

        self.tasks.spawn(forget(), owner="elasticache", what=f"deleting user {user_id}")

    def finish_deletions(self) -> None:
        """After a restart of regionbox: users that were being deleted are gone."""
        for scope, user_id, user in list(self.state.users.all()):
            if user.status == "deleting":
                self._forget_later(scope, user_id)
