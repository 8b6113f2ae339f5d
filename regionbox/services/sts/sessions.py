"""Session credentials: AssumeRole, GetSessionToken, GetFederationToken, GetScopedCredentials,
and the role sessions that web identity and SAML federation start (web_identity.py, saml.py).

Credentials minted here are registered in ``cloud.credentials``: requests signed with them run
as the assumed role in the role's account (or as the federated user) until they expire (then
``ExpiredToken``). Roles are IAM's: this module reaches them only through IAM's declared API
(``IamApi``).

One deliberate difference from AWS: AWS refuses AssumeRole from an account's root user. Here
root is what every plain access key is (DESIGN: the account comes from the key), so root may
assume a role whenever the role's trust policy allows its account; refusing it would break every
program that assumes a role with the plain keys regionbox gives it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import TYPE_CHECKING, Callable

from regionbox.core import arns, clock, ids
from regionbox.core.audit import AuditTrail
from regionbox.core.context import Caller, RequestContext
from regionbox.core.credentials import CredentialRegistry, IssuedCredentials
from regionbox.core.errors import ServiceError, invalid

if TYPE_CHECKING:
    from regionbox.services.iam.api import IamApi, RoleInfo

ROLE_CHAINING_MAX = 3600
ROOT_SESSION_MAX = 3600
SESSION_POLICY_MAX = 2048  # packed session policy budget: PackedPolicySize is a percentage of it
SESSION_TOKEN_MAX = 2048  # bytes of a session token AWS allows (SessionTokenUtilization)
ROLE_ARN = re.compile(r"arn:aws(-cn|-us-gov)?:iam::\d{12}:role/([\x21-\x7e]+/)*[\w+=,.@-]{1,64}")


def access_denied(message: str) -> ServiceError:
    return ServiceError("AccessDenied", message, status=403)


def checked_role_arn(role_arn: str) -> str:
    """A role ARN as STS accepts it, else its ValidationError (before any permission check)."""
    if not ROLE_ARN.fullmatch(role_arn):
        raise invalid("Request ARN is invalid")
    return role_arn


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

    def _session_policy(self, params: dict, result: dict) -> None:
        """Check a request's session policy as IAM does; note its PackedPolicySize in ``result``."""
        if params.get("Policy"):
            self.iam().check_session_policy(params["Policy"])
            packed = _packed_size(params["Policy"])
            if packed > 100:
                raise ServiceError("PackedPolicyTooLarge", f"Packed policy consumes {packed}% of allotted space, please use smaller policy for session.")
            result["PackedPolicySize"] = packed

    def assume_role(self, ctx: RequestContext, params: dict) -> dict:
        role_arn = checked_role_arn(params["RoleArn"])
        caller = ctx.caller
        iam = self.iam()
        role = iam.role_by_arn(role_arn)
        if role is None:
            # AWS does not say whether the role exists: a missing role is just "not authorized".
            raise _denied(caller, "sts:AssumeRole", role_arn)
        context = request_context(params)
        for action in assume_role_actions(params):
            if not iam.trust_allows(role, ctx, action, context):
                raise _denied(caller, action, role_arn)
        chained = caller.type == "AssumedRole"
        result = self.start_role_session(ctx, role, params["RoleSessionName"], params, chained=chained,
                                         tags={t["Key"]: t["Value"] for t in params.get("Tags") or []})
        if params.get("SourceIdentity"):
            result["SourceIdentity"] = params["SourceIdentity"]
        if role.account != caller.account_id:
            # A cross-account AssumeRole is in both accounts' trails, as on AWS: the gateway records
            # it for the caller, this records it for the role's owner.
            self.audit.record(ctx, "sts.amazonaws.com", params, response=result, recipient_account=role.account)
        return result

    def start_role_session(self, ctx: RequestContext, role: "RoleInfo", session_name: str, params: dict, *,
                           chained: bool = False, tags: dict[str, str] | None = None) -> dict:
        """Credentials of a session of ``role`` (AssumeRole and the federated ways in): the
        duration checked against the role, the session policy against IAM's grammar."""
        duration = params.get("DurationSeconds") or 3600
        if chained and duration > ROLE_CHAINING_MAX:
            raise invalid("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
        if duration > role.max_session_duration:
            raise invalid("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        result: dict = {}
        self._session_policy(params, result)
        assumed = Caller.assumed_role(role.arn, role.role_id, session_name, role.account)
        result["Credentials"] = self._mint(assumed, duration, session_policy=params.get("Policy"),
                                           session_policy_arns=[p["arn"] for p in params.get("PolicyArns") or []],
                                           session_tags=tags or {})
        result["AssumedRoleUser"] = {"AssumedRoleId": assumed.user_id, "Arn": assumed.arn}
        self.iam().mark_role_used(role, ctx.region)
        ctx.touched("AWS::IAM::AccessKey", result["Credentials"]["AccessKeyId"])
        ctx.touched("AWS::IAM::Role", role.arn)
        return result

    def get_session_token(self, ctx: RequestContext, params: dict) -> dict:
        caller = ctx.caller
        if caller.type in ("AssumedRole", "FederatedUser"):
            raise access_denied("Cannot call GetSessionToken with session credentials")
        duration = params.get("DurationSeconds") or 43200
        if caller.type == "Root":
            # Root sessions are capped at one hour (AWS shortens, it does not refuse).
            duration = min(duration, ROOT_SESSION_MAX)
        return {"Credentials": self._mint(caller, duration)}

    def get_federation_token(self, ctx: RequestContext, params: dict) -> dict:
        """A federated user's session: what the session policies allow within the calling IAM
        user's permissions (no session policy: nothing)."""
        caller = ctx.caller
        if caller.type not in ("IAMUser", "Root"):
            raise access_denied("Cannot call GetFederationToken with session credentials")
        duration = params.get("DurationSeconds") or 43200
        if caller.type == "Root":
            duration = min(duration, ROOT_SESSION_MAX)
        result: dict = {}
        self._session_policy(params, result)
        name = params["Name"]
        arn = arns.arn("sts", "", caller.account_id, f"federated-user/{name}", ctx.partition)
        federated = Caller(account_id=caller.account_id, arn=arn, user_id=f"{caller.account_id}:{name}",
                           type="FederatedUser", session_name=name)
        result["Credentials"] = self._mint(federated, duration, session_policy=params.get("Policy"),
                                           session_policy_arns=[p["arn"] for p in params.get("PolicyArns") or []],
                                           session_tags={t["Key"]: t["Value"] for t in params.get("Tags") or []},
                                           issuer_arn=caller.arn)
        result["FederatedUser"] = {"FederatedUserId": federated.user_id, "Arn": arn}
        ctx.touched("AWS::IAM::AccessKey", result["Credentials"]["AccessKeyId"])
        return result

    def get_scoped_credentials(self, ctx: RequestContext, params: dict) -> dict:
        """The caller's own session, narrowed by one more policy and perhaps shortened."""
        issued = self.credentials.issued(ctx.caller.access_key_id) if ctx.caller.access_key_id else None
        if issued is None or not issued.session_token:
            raise ServiceError("InvalidSubjectCredentials", "GetScopedCredentials requires temporary security "
                               "credentials: call it with the credentials of a session.")
        result: dict = {}
        self.iam().check_session_policy(params["Policy"])
        remaining = int(issued.expiration - clock.epoch())
        duration = params.get("DurationSeconds") or remaining
        if duration > remaining:
            raise ServiceError("InsufficientSessionLifetime", f"The requested DurationSeconds ({duration}) exceeds the "
                               f"remaining lifetime of the calling session ({remaining} seconds).")
        scoped = dataclasses.replace(issued, access_key_id=ids.access_key_id("ASIA"), secret_access_key=ids.secret_access_key(),
                                     session_token=ids.token(356), expiration=int(clock.epoch()) + duration,
                                     scoped_policies=[*issued.scoped_policies, params["Policy"]])
        self.credentials.register(scoped)
        result["Credentials"] = self._credentials_shape(scoped)
        result["SessionInfo"] = {"ScopedSessionId": ctx.caller.user_id, "Arn": ctx.caller.arn}
        result["ScopedPoliciesCount"] = len(scoped.scoped_policies)
        result["SessionTokenSize"] = len(scoped.session_token)
        result["SessionTokenUtilization"] = max(1, len(scoped.session_token) * 100 // SESSION_TOKEN_MAX)
        return result

    def _mint(self, caller: Caller, duration: int, **session) -> dict:
        """``session``: IssuedCredentials' session fields (session_policy, session_policy_arns,
        session_tags, issuer_arn)."""
        credentials = IssuedCredentials.session(caller, duration, **session)
        self.credentials.register(credentials)
        return self._credentials_shape(credentials)

    @staticmethod
    def _credentials_shape(credentials: IssuedCredentials) -> dict:
        return {"AccessKeyId": credentials.access_key_id, "SecretAccessKey": credentials.secret_access_key,
                "SessionToken": credentials.session_token, "Expiration": clock.from_epoch(credentials.expiration)}
