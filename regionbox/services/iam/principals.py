"""Who a caller is for IAM: the user or role behind it with the policies that speak for it
(inline, attached customer and AWS managed, a user's groups' inline and attached ones,
permissions boundary, session policies) and the global condition keys of its requests.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from regionbox.core import clock
from regionbox.core.context import Caller, RequestContext
from regionbox.services.iam import aws_managed
from regionbox.services.iam.conditions import Context, build_context
from regionbox.services.iam.evaluation import Policy, PolicyCache, Principal
from regionbox.services.iam.state import IamState, global_scope

if TYPE_CHECKING:
    from regionbox.core.credentials import IssuedCredentials

ROOT_PERMISSIONS = Policy.parse({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
# aws:PrincipalType as AWS spells it, from CloudTrail's identity types.
PRINCIPAL_TYPES = {"Root": "Account", "IAMUser": "User", "AssumedRole": "AssumedRole", "FederatedUser": "FederatedUser"}


class Principals:
    def __init__(self, state: IamState) -> None:
        self.state = state
        self.cache = PolicyCache()

    def document(self, account: str, arn: str) -> str | None:
        """The default version of a managed policy (AWS's, or one of ``account``'s)."""
        if aws_managed.is_aws_managed(arn):
            found = aws_managed.find(arn)
            return found.document if found is not None else None
        name = arn.rsplit("/", 1)[-1].lower()
        managed = self.state.policies.get(global_scope(account), name)
        if managed is None or managed.arn != arn:
            return None
        return next((v.document for v in managed.versions if v.version_id == managed.default_version_id), None)

    def _policies(self, account: str, arns: list[str]) -> list[Policy]:
        documents = (self.document(account, arn) for arn in arns)
        return [self.cache.get(d) for d in documents if d is not None]

    def identity_policies(self, account: str, entity) -> list[Policy]:
        """The identity-based policies of a role or a user (with its groups' policies)."""
        holders = [entity]
        if getattr(entity, "user_id", None) is not None:
            holders += self.state.groups_of(global_scope(account), entity.name)
        found = []
        for holder in holders:
            found += [self.cache.get(d) for d in holder.inline_policies.values()]
            found += self._policies(account, holder.attached_policies)
        return found

    def _entity(self, caller: Caller, issuer_arn: str | None = None):
        """The stored role (of a session) or user a caller acts as; None once it is gone (a role
        deleted and created again under the same name is another role: its old sessions end)."""
        scope = global_scope(caller.account_id)
        if caller.type == "AssumedRole" and caller.role_arn:
            role = self.state.roles.get(scope, caller.role_arn.rsplit("/", 1)[-1].lower())
            return role if role is not None and caller.user_id.startswith(role.role_id + ":") else None
        if caller.type == "IAMUser":
            user = self.state.users.get(scope, caller.arn.rsplit("/", 1)[-1].lower())
            return user if user is not None and user.user_id == caller.user_id else None
        if caller.type == "FederatedUser" and issuer_arn:
            # A federated user acts within the permissions of the IAM user that got its token.
            user = self.state.users.get(scope, issuer_arn.rsplit("/", 1)[-1].lower())
            return user if user is not None and user.arn == issuer_arn else None
        return None

    def resolve(self, caller: Caller, credentials: "IssuedCredentials | None") -> tuple[Principal, dict[str, str]]:
        """The principal with its policies, and its tags (aws:PrincipalTag)."""
        principal = Principal(account=caller.account_id, arn=caller.arn, type=caller.type, role_arn=caller.role_arn)
        if caller.type == "Root":
            return principal, {}
        entity = self._entity(caller, credentials.issuer_arn if credentials is not None else None)
        tags: dict[str, str] = {}
        if entity is not None:
            principal.identity = self.identity_policies(caller.account_id, entity)
            if entity.permissions_boundary:
                boundary = self._policies(caller.account_id, [entity.permissions_boundary])
                # A boundary whose policy is gone allows nothing, as a missing document would.
                principal.boundary = boundary[0] if boundary else Policy(None, ())
            tags = {t["Key"]: t["Value"] for t in entity.tags}
        elif caller.type == "FederatedUser" and credentials is not None and (credentials.issuer_arn or "").endswith(":root"):
            # The root user's federation token: anything its session policies allow.
            principal.identity = [ROOT_PERMISSIONS]
        if credentials is not None:
            tags.update(credentials.session_tags)
            if credentials.session_policy or credentials.session_policy_arns or caller.type == "FederatedUser":
                # A federation token without a session policy grants nothing: the session policies
                # are what it may do, within its user's permissions.
                session = [self.cache.get(credentials.session_policy)] if credentials.session_policy else []
                principal.session = session + self._policies(caller.account_id, credentials.session_policy_arns)
            principal.scopes = [self.cache.get(document) for document in credentials.scoped_policies]
        return principal, tags


def global_context(ctx: RequestContext, tags: dict[str, str], *, temporary: bool, secure: bool = False) -> dict[str, Any]:
    """The global condition keys of a request (AWS's "aws:" keys), as AWS spells them."""
    caller = ctx.caller
    now = clock.epoch()
    values: dict[str, Any] = {
        "aws:CurrentTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "aws:EpochTime": int(now),
        "aws:SourceIp": ctx.source_ip,
        "aws:RequestedRegion": ctx.region,
        "aws:SecureTransport": secure,
        "aws:PrincipalAccount": caller.account_id,
        "aws:PrincipalArn": caller.role_arn or caller.arn,
        "aws:PrincipalType": PRINCIPAL_TYPES.get(caller.type, caller.type),
        "aws:userid": caller.user_id,
        "aws:PrincipalIsAWSService": False,
        "aws:ViaAWSService": False,
    }
    if caller.type == "IAMUser":
        values["aws:username"] = caller.arn.rsplit("/", 1)[-1]
    if temporary:
        values["aws:MultiFactorAuthPresent"] = False
    for key, value in tags.items():
        values[f"aws:PrincipalTag/{key}"] = value
    return values


def context_of(*parts: dict[str, Any]) -> Context:
    merged: dict[str, Any] = {}
    for part in parts:
        merged.update(part)
    return build_context(merged)
