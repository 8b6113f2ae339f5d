"""Service-managed users: Create/Describe/List/Update/Delete, with their role, session policy,
home directory (PATH, or LOGICAL with mappings), POSIX profile and SSH public keys
(ImportSshPublicKey, DeleteSshPublicKey). Users of custom identity providers live in the
provider, not here: CreateUser on such a server is refused, as on AWS."""

from __future__ import annotations

import json
import secrets

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.transfer.models import SshKey, User
from regionbox.services.transfer.state import TransferState, bad_request, exists, not_found, user_key

RULE = PageRule(out_of_range=lambda n: invalid(f"MaxResults {n} is out of range [1, 1000]"), default=1000, maximum=1000)
MAX_KEYS = 50  # SSH public keys per service-managed user


def public_key(body: str):
    """The asyncssh key of an OpenSSH public key line; InvalidRequestException otherwise."""
    import asyncssh

    try:
        return asyncssh.import_public_key(body.strip())
    except (asyncssh.KeyImportError, ValueError):
        raise bad_request("Unsupported or invalid SSH public key format") from None


def check_home(home_type: str, home: str, mappings: list[dict] | None) -> None:
    if home_type == "LOGICAL":
        if not mappings:
            raise bad_request("HomeDirectoryMappings are required when HomeDirectoryType is LOGICAL")
        for mapping in mappings:
            target = mapping.get("Target", "")
            if not target.startswith("/") or len(target.strip("/")) == 0:
                raise bad_request(f"Invalid target {target!r}: a target is /bucket or /bucket/prefix")
            if mapping.get("Type") == "FILE" and target.endswith("/"):
                raise bad_request(f"Invalid target {target!r} for a FILE mapping")
    elif mappings:
        raise bad_request("HomeDirectoryMappings can only be used when HomeDirectoryType is LOGICAL")


def check_policy(iam, policy: str) -> None:
    if not policy:
        return
    try:
        json.loads(policy)
        iam.check_session_policy(policy)
    except (ValueError, ServiceError) as error:
        message = getattr(error, "message", None) or str(error)
        raise bad_request(f"Invalid session policy: {message}") from None


def update_login(holder, params: dict, iam) -> None:
    """UpdateUser's and UpdateAccess's changes to what a login gets (role, home directory and
    mappings, session policy, POSIX profile) on a User or an Access, checked first."""
    home_type = params.get("HomeDirectoryType") or holder.home_directory_type
    mappings = params["HomeDirectoryMappings"] if "HomeDirectoryMappings" in params else (
        holder.mappings if home_type == "LOGICAL" else [])
    check_home(home_type, params.get("HomeDirectory", holder.home_directory), mappings)
    if "Policy" in params:
        check_policy(iam, params["Policy"])
        holder.policy = params["Policy"]
    holder.home_directory_type, holder.mappings = home_type, list(mappings or [])
    if "HomeDirectory" in params:
        holder.home_directory = params["HomeDirectory"]
    if params.get("Role"):
        holder.role = params["Role"]
    if "PosixProfile" in params:
        holder.posix_profile = params["PosixProfile"]


class Users:
    def __init__(self, state: TransferState, paginator: Paginator, iam) -> None:
        self.state = state
        self.paginator = paginator
        self.iam = iam  # () -> IamApi

    def _server(self, ctx: RequestContext, server_id: str):
        return self.state.server_for(ctx.scope, server_id, "SERVICE_MANAGED",
                                     "its users are managed by that provider, not by Transfer Family")

    def create_user(self, ctx: RequestContext, params: dict) -> dict:
        server = self._server(ctx, params["ServerId"])
        name = params["UserName"]
        if (ctx.scope, user_key(server.server_id, name)) in self.state.users:
            raise exists("User already exists", name, "User")
        home_type = params.get("HomeDirectoryType") or "PATH"
        check_home(home_type, params.get("HomeDirectory") or "", params.get("HomeDirectoryMappings"))
        check_policy(self.iam(), params.get("Policy") or "")
        keys = []
        if params.get("SshPublicKeyBody"):
            public_key(params["SshPublicKeyBody"])
            keys.append(SshKey(_key_id(), params["SshPublicKeyBody"].strip(), clock.epoch()))
        user = User(server_id=server.server_id, user_name=name, arn=ctx.arn("transfer", f"user/{server.server_id}/{name}"),
                    role=params["Role"], home_directory=params.get("HomeDirectory") or "", home_directory_type=home_type,
                    mappings=list(params.get("HomeDirectoryMappings") or []), policy=params.get("Policy") or "",
                    posix_profile=params.get("PosixProfile"), ssh_keys=keys, tags=list(params.get("Tags") or []))
        self.state.save_user(ctx.scope, user)
        ctx.touched("AWS::Transfer::User", name)
        return {"ServerId": server.server_id, "UserName": name}

    def describe_user(self, ctx: RequestContext, params: dict) -> dict:
        self.state.server(ctx.scope, params["ServerId"])
        user = self.state.user(ctx.scope, params["ServerId"], params["UserName"])
        shape = {"Arn": user.arn, "UserName": user.user_name, "Role": user.role, "HomeDirectoryType": user.home_directory_type,
                 "SshPublicKeys": [{"DateImported": k.imported, "SshPublicKeyBody": k.body, "SshPublicKeyId": k.key_id}
                                   for k in user.ssh_keys], "Tags": user.tags}
        if user.home_directory:
            shape["HomeDirectory"] = user.home_directory
        if user.mappings:
            shape["HomeDirectoryMappings"] = user.mappings
        if user.policy:
            shape["Policy"] = user.policy
        if user.posix_profile:
            shape["PosixProfile"] = user.posix_profile
        return {"ServerId": user.server_id, "User": shape}

    def list_users(self, ctx: RequestContext, params: dict) -> dict:
        server = self.state.server(ctx.scope, params["ServerId"])
        users = self.state.users_of(ctx.scope, server.server_id)
        page, token = self.paginator.paginate(users, params, RULE, query=server.server_id)
        listed = []
        for user in page:
            item = {"Arn": user.arn, "UserName": user.user_name, "Role": user.role,
                    "HomeDirectoryType": user.home_directory_type, "SshPublicKeyCount": len(user.ssh_keys)}
            if user.home_directory:
                item["HomeDirectory"] = user.home_directory
            listed.append(item)
        return {"ServerId": server.server_id, "Users": listed, **({"NextToken": token} if token else {})}

    def update_user(self, ctx: RequestContext, params: dict) -> dict:
        self.state.server(ctx.scope, params["ServerId"])
        user = self.state.user(ctx.scope, params["ServerId"], params["UserName"])
        update_login(user, params, self.iam())
        self.state.save_user(ctx.scope, user)
        ctx.touched("AWS::Transfer::User", user.user_name)
        return {"ServerId": user.server_id, "UserName": user.user_name}

    def delete_user(self, ctx: RequestContext, params: dict) -> dict:
        self.state.server(ctx.scope, params["ServerId"])
        user = self.state.user(ctx.scope, params["ServerId"], params["UserName"])
        self.state.users.delete(ctx.scope, user_key(user.server_id, user.user_name))
        ctx.touched("AWS::Transfer::User", user.user_name)
        return {}

    # -- SSH public keys -------------------------------------------------------------------------
    def import_ssh_public_key(self, ctx: RequestContext, params: dict) -> dict:
        self._server(ctx, params["ServerId"])
        user = self.state.user(ctx.scope, params["ServerId"], params["UserName"])
        body = params["SshPublicKeyBody"].strip()
        new = public_key(body)
        if any(public_key(k.body).public_data == new.public_data for k in user.ssh_keys):
            raise exists("Public key already exists", user.user_name, "PublicKey")
        if len(user.ssh_keys) >= MAX_KEYS:
            raise bad_request(f"A user can have at most {MAX_KEYS} SSH public keys")
        key = SshKey(_key_id(), body, clock.epoch())
        user.ssh_keys.append(key)
        self.state.save_user(ctx.scope, user)
        return {"ServerId": user.server_id, "SshPublicKeyId": key.key_id, "UserName": user.user_name}

    def delete_ssh_public_key(self, ctx: RequestContext, params: dict) -> dict:
        self.state.server(ctx.scope, params["ServerId"])
        user = self.state.user(ctx.scope, params["ServerId"], params["UserName"])
        key = next((k for k in user.ssh_keys if k.key_id == params["SshPublicKeyId"]), None)
        if key is None:
            raise not_found("Unknown public key", params["SshPublicKeyId"], "PublicKey")
        user.ssh_keys.remove(key)
        self.state.save_user(ctx.scope, user)
        return {}


def _key_id() -> str:
    return f"key-{secrets.token_hex(9)[:17]}"
