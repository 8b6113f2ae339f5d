"""Session credentials: AssumeRole and GetSessionToken.

Credentials minted here are registered in ``cloud.credentials``: requests signed with them run
as the assumed role in the role's account until they expire (then ``ExpiredToken``). Roles are
IAM's: this module reaches them only through IAM's declared API (``IamApi``).

One deliberate difference from AWS: AWS refuses AssumeRole from an account's root user. Here
root is what every plain access key is (DESIGN: the account comes from the key), so root may
assume a role whenever the role's trust policy allows its account.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Callable

from regionbox.core import arns, clock, ids
from regionbox.core.arns import Arn
from regionbox.core.audit import AuditTrail
from regionbox.core.context import Caller, RequestContext
from regionbox.core.credentials import CredentialRegistry, IssuedCredentials
from regionbox.core.errors import ServiceError, invalid

if TYPE_CHECKING:
    from regionbox.services.iam.api import IamApi

ROLE_CHAINING_MAX = 3600
SESSION_POLICY_MAX = 2048  # packed session policy budget: PackedPolicySize is a percentage of it


def access_denied(message: str) -> ServiceError:
    return ServiceError("AccessDenied", message, status=403)


def _denied(caller: Caller, action: str, role_arn: str) -> ServiceError:
    return access_denied(f"User: {caller.arn} is not authorized to perform: {action} on resource: {role_arn}")


def _packed_size(document: str) -> int:
    """Percentage of the packed-policy budget a session policy uses (compact JSON length)."""
    compact = json.dumps(json.loads(document), separators=(",", ":"))
    return max(1, -(-len(compact) * 100 // SESSION_POLICY_MAX))


def request_context(params: dict) -> dict:
    """The condition keys of an AssumeRole request itself (IAM adds the global ones: the caller's
    account, ARN, tags, source IP, time ...)."""
    context = {"sts:RoleSessionName": params["RoleSessionName"]}
    if params.get("ExternalId"):
        context["sts:ExternalId"] = params["ExternalId"]
    if params.get("SourceIdentity"):
        context["aws:SourceIdentity"] = params["SourceIdentity"]
    tags = params.get("Tags") or []
    for tag in tags:
        context[f"aws:RequestTag/{tag['Key']}"] = tag["Value"]
    if tags:
        context["aws:TagKeys"] = [tag["Key"] for tag in tags]
    if params.get("TransitiveTagKeys"):
        context["sts:TransitiveTagKeys"] = list(params["TransitiveTagKeys"])
    return context


def assume_role_actions(params: dict) -> list[str]:
    """Session tags and a source identity need their own permissions, in the trust policy and,
    as for sts:AssumeRole itself, in the caller's identity policy."""
    actions = ["sts:AssumeRole"]
    if params.get("Tags") or params.get("TransitiveTagKeys"):
        actions.append("sts:TagSession")
    if params.get("SourceIdentity"):
        actions.append("sts:SetSourceIdentity")
    return actions


class Sessions:
    def __init__(self, credentials: CredentialRegistry, audit: AuditTrail, iam: Callable[[], "IamApi"]) -> None:
        self.credentials = credentials
        self.audit = audit
        # IAM is loaded when a role is first asked for, not when STS loads.
        self.iam = iam

    def assume_role(self, ctx: RequestContext, params: dict) -> dict:
        role_arn, session_name = params["RoleArn"], params["RoleSessionName"]
        caller = ctx.caller
        try:
            Arn.parse(role_arn)
        except ValueError:
            raise invalid(f"{role_arn} is invalid") from None
        duration = params.get("DurationSeconds") or 3600
        iam = self.iam()
        role = iam.role_by_arn(role_arn)
        if role is None:
            # AWS does not say whether the role exists: a missing role is just "not authorized".
            raise _denied(caller, "sts:AssumeRole", role_arn)
        context = request_context(params)
        for action in assume_role_actions(params):
            if not iam.trust_allows(role, ctx, action, context):
                raise _denied(caller, action, role_arn)
        if caller.type == "AssumedRole" and duration > ROLE_CHAINING_MAX:
            raise invalid("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
        if duration > role.max_session_duration:
            raise invalid("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        result: dict = {}
        if params.get("Policy"):
            iam.check_session_policy(params["Policy"])
            packed = _packed_size(params["Policy"])
            if packed > 100:
                raise ServiceError("PackedPolicyTooLarge", f"Packed policy consumes {packed}% of allotted space, please use smaller policy for session.")
            result["PackedPolicySize"] = packed
        session_arn = arns.arn("sts", "", role.account, f"assumed-role/{role.name}/{session_name}",
                               Arn.parse(role.arn).partition)
        assumed = Caller(account_id=role.account, arn=session_arn, user_id=f"{role.role_id}:{session_name}",
                         type="AssumedRole", role_arn=role.arn, session_name=session_name)
        result["Credentials"] = self._mint(assumed, duration, session_policy=params.get("Policy"),
                                           session_policy_arns=[p["arn"] for p in params.get("PolicyArns") or []],
                                           session_tags={t["Key"]: t["Value"] for t in params.get("Tags") or []})
        result["AssumedRoleUser"] = {"AssumedRoleId": assumed.user_id, "Arn": session_arn}
        if params.get("SourceIdentity"):
            result["SourceIdentity"] = params["SourceIdentity"]
        iam.mark_role_used(role, ctx.region)
        ctx.touched("AWS::IAM::AccessKey", result["Credentials"]["AccessKeyId"])
        ctx.touched("AWS::IAM::Role", role.arn)
        if role.account != caller.account_id:
            # A cross-account AssumeRole is in both accounts' trails, as on AWS: the gateway records
            # it for the caller, this records it for the role's owner.
            self.audit.record(ctx, "sts.amazonaws.com", params, response=result, recipient_account=role.account)
        return result

    def get_session_token(self, ctx: RequestContext, params: dict) -> dict:
        caller = ctx.caller
        if caller.type == "AssumedRole":
            raise access_denied("Cannot call GetSessionToken with session credentials")
        duration = params.get("DurationSeconds") or 43200
        if caller.type == "Root":
            # Root sessions are capped at one hour (AWS shortens, it does not refuse).
            duration = min(duration, 3600)
        return {"Credentials": self._mint(caller, duration)}

    def _mint(self, caller: Caller, duration: int, **session) -> dict:
        """``session``: session_policy, session_policy_arns, session_tags (IssuedCredentials' fields)."""
        expiration = int(clock.epoch()) + duration
        credentials = IssuedCredentials(
            access_key_id=ids.access_key_id("ASIA"),
            secret_access_key=ids.secret_access_key(),
            session_token=ids.token(356),
            expiration=expiration,
            caller={"account_id": caller.account_id, "arn": caller.arn, "user_id": caller.user_id,
                    "type": caller.type, "role_arn": caller.role_arn, "session_name": caller.session_name},
            **session,
        )
        self.credentials.register(credentials)
        return {"AccessKeyId": credentials.access_key_id, "SecretAccessKey": credentials.secret_access_key,
                "SessionToken": credentials.session_token, "Expiration": clock.from_epoch(expiration)}
