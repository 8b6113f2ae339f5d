"""What IAM offers other services (``cloud.services.api("iam")``): STS finds the role it is asked
to assume, asks whether the role's trust policy lets the caller in, checks a session policy,
finds the OIDC or SAML provider a federated caller comes from and the account's outbound
federation issuer, and records that the role was used; the gateway asks whether a request is
allowed (``authorize``) and tells IAM that a user's access key was used (``access_key_used``).
Nothing else of IAM's state is handed out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable

from regionbox.core import clock
from regionbox.core.arns import Arn, account_of
from regionbox.core.context import RequestContext
from regionbox.core.service import Access
from regionbox.services.iam import policy
from regionbox.services.iam.evaluation import (ANONYMOUS, AWS_SERVICE, Policy, Principal, evaluate, resource_policy_verdict,
                                               trust_allows)
from regionbox.services.iam.models import Role
from regionbox.services.iam.principals import Principals, context_of, global_context
from regionbox.services.iam.state import IamState, global_scope

if TYPE_CHECKING:
    from regionbox.core.credentials import IssuedCredentials
    from regionbox.services.iam.access_keys import KeyUsage


_SAYS_NOTHING = Policy(None, ())
# The global condition keys an unsigned request has: none about a principal.
_UNSIGNED_KEYS = frozenset({"aws:CurrentTime", "aws:EpochTime", "aws:SourceIp", "aws:RequestedRegion", "aws:SecureTransport"})


@dataclass(frozen=True)
class RoleInfo:
    """A role as other services see it: read-only."""

    account: str
    name: str
    arn: str
    role_id: str
    max_session_duration: int


@dataclass(frozen=True)
class OidcProviderInfo:
    arn: str
    url: str  # without https://, as the ARN and the token's "iss" compare
    client_ids: tuple[str, ...]


@dataclass(frozen=True)
class SamlProviderInfo:
    arn: str
    entity_id: str  # the IdP's entityID: an assertion's Issuer
    certificates: tuple[str, ...]  # base64 DER signing certificates
    valid_until: float
    private_keys: tuple[str, ...] = ()  # PEMs that decrypt encrypted assertions
    encryption_required: bool = False  # AssertionEncryptionMode Required: plain assertions are refused


@dataclass(frozen=True)
class Denial:
    action: str
    resource: str
    reason: str  # "because no identity-based policy allows the dynamodb:GetItem action"


class IamApi:
    def __init__(self, state: IamState, principals: Principals, key_usage: "KeyUsage") -> None:
        self._state = state
        self._roles = state.roles
        self._principals = principals
        self._key_usage = key_usage

    def access_key_used(self, access_key_id: str, account: str, service: str, region: str) -> None:
        """A request was signed with a user's access key (GetAccessKeyLastUsed): noted in memory."""
        self._key_usage.used(access_key_id, account, service, region)

    def oidc_provider(self, account: str, issuer: str) -> OidcProviderInfo | None:
        """The account's OIDC provider whose URL is a token's issuer (with or without https://)."""
        found = self._state.oidc_providers.get(global_scope(account), issuer.removeprefix("https://").rstrip("/").lower())
        return None if found is None else OidcProviderInfo(found.arn, found.url, tuple(found.client_ids))

    def saml_provider(self, arn: str) -> SamlProviderInfo | None:
        account = account_of(arn)
        found = self._state.saml_providers.get(global_scope(account or ""), arn.rsplit("/", 1)[-1].lower())
        if found is None or found.arn != arn:
            return None
        return SamlProviderInfo(found.arn, found.entity_id, tuple(found.certificates), found.valid_until,
                                tuple(k["Pem"] for k in found.private_keys), found.assertion_encryption_mode == "Required")

    def outbound_issuer(self, account: str) -> str | None:
        """The issuer of the account's outbound web identity tokens, while the feature is enabled."""
        settings = self._state.account(global_scope(account))
        return settings.outbound_issuer if settings.outbound_enabled else None

    def _stored(self, account: str, name: str) -> Role | None:
        return self._roles.get(global_scope(account), name.lower())

    def role(self, account: str, name: str) -> RoleInfo | None:
        found = self._stored(account, name)
        if found is None:
            return None
        return RoleInfo(account=account, name=found.name, arn=found.arn, role_id=found.role_id,
                        max_session_duration=found.max_session_duration)

    def role_by_arn(self, role_arn: str) -> RoleInfo | None:
        """The role an ARN names, if it exists with exactly that ARN (path included)."""
        try:
            arn = Arn.parse(role_arn)
        except ValueError:
            return None
        if arn.service != "iam" or not arn.resource.startswith("role/"):
            return None
        found = self.role(arn.account, arn.resource.rsplit("/", 1)[-1])
        return found if found is not None and found.arn == role_arn else None

    def trust_policy(self, role_arn: str) -> str | None:
        """The trust policy of the role an ARN names (sts:AssumeRole's resource-based policy)."""
        found = self.role_by_arn(role_arn)
        stored = self._stored(found.account, found.name) if found is not None else None
        return stored.assume_role_policy_document if stored is not None else None

    def trust_allows(self, role: RoleInfo, ctx: RequestContext, action: str, context: dict[str, Any]) -> bool:
        """Whether the role's trust policy allows ``action`` (sts:AssumeRole, sts:TagSession ...)
        to the caller of ``ctx``, with the request's own condition keys ``context`` (sts:ExternalId
        ...) besides the global ones; False for a role deleted meanwhile."""
        found = self._stored(role.account, role.name)
        if found is None or found.arn != role.arn:
            return False
        caller = ctx.caller
        principal = Principal(account=caller.account_id, arn=caller.arn, type=caller.type, role_arn=caller.role_arn)
        _, tags = self._principals.resolve(caller, None)
        keys = context_of(global_context(ctx, tags, temporary=bool(caller.access_key_id.startswith("ASIA"))), context)
        return trust_allows(self._principals.cache.get(found.assume_role_policy_document), principal,
                            action, keys)

    def federated_trust_allows(self, role: RoleInfo, ctx: RequestContext, provider: str, action: str,
                               context: dict[str, Any]) -> bool:
        """Whether the role's trust policy lets a federated caller of ``provider`` (an OIDC or SAML
        provider's ARN, or a built-in web identity provider such as accounts.google.com) perform
        ``action`` (sts:AssumeRoleWithWebIdentity ...), with the token's claims as ``context``."""
        found = self._stored(role.account, role.name)
        if found is None or found.arn != role.arn:
            return False
        principal = Principal(account=role.account, arn=provider, type="WebIdentityUser", federated=provider)
        now = clock.epoch()
        keys = context_of({"aws:CurrentTime": clock.iso(now).split(".")[0] + "Z", "aws:EpochTime": int(now),
                           "aws:SourceIp": ctx.source_ip, "aws:RequestedRegion": ctx.region,
                           "aws:SecureTransport": False}, context)
        return trust_allows(self._principals.cache.get(found.assume_role_policy_document), principal, action, keys)

    def authorize(self, ctx: RequestContext, credentials: "IssuedCredentials | None", action: str,
                  accesses: Iterable[Access], resource_policy: Callable[[str], str | None] | None = None,
                  secure: bool = False) -> Denial | None:
        """AWS's evaluation of ``action`` (or each access's own action) on every resource of
        ``accesses`` for the caller of ``ctx`` (signing with ``credentials`` when regionbox issued
        them), with each resource's policy from ``resource_policy``: the first denial, or None.
        regionbox serves plain HTTP, so aws:SecureTransport is false unless ``secure``."""
        principal, tags = self._principals.resolve(ctx.caller, credentials)
        base = context_of(global_context(ctx, tags, temporary=bool(credentials is not None and credentials.session_token),
                                         secure=secure))
        cache = self._principals.cache
        for access in accesses:
            wanted = access.action or action
            context = {**base, **context_of(access.context)} if access.context else base
            document = resource_policy(access.resource) if resource_policy is not None and access.resource != "*" else None
            decision = evaluate(principal, wanted, access.resource, context,
                                resource_policy=cache.get(document) if document else None,
                                resource_account=account_of(access.resource),
                                resource_side_by_service=access.resource_policy_checked_by_service)
            if not decision.allowed:
                return Denial(wanted, access.resource, decision.reason)
        return None

    def resource_policy_verdict(self, document: str | None, ctx: RequestContext, action: str, resource: str,
                                context: dict[str, Any] | None = None, *, anonymous: bool = False) -> str | None:
        """What a resource policy alone says of the caller of ``ctx`` (an unsigned request when
        ``anonymous``) doing ``action`` on ``resource``: "Deny", "Allow" or None. For a service
        that weighs its resource policy against more than IAM does (S3: ACLs, public access
        blocks, the bucket owner's own account); ``context``: the request's service keys."""
        if not document:
            return None
        caller = ctx.caller
        if anonymous:
            principal = Principal(account="", arn="", type=ANONYMOUS)
            keys = {k: v for k, v in global_context(ctx, {}, temporary=False).items() if k in _UNSIGNED_KEYS}
        else:
            principal, tags = self._principals.resolve(caller, None)
            keys = global_context(ctx, tags, temporary=caller.access_key_id.startswith("ASIA"))
        return resource_policy_verdict(self._parsed(document), principal, action, resource, context_of(keys, context or {}))

    def service_allowed(self, document: str | None, service: str, action: str, resource: str,
                        context: dict[str, Any]) -> bool:
        """Whether a resource policy (a bucket policy, a role's trust policy) lets the AWS service
        principal ``service`` (cloudtrail.amazonaws.com) do ``action`` on ``resource``, with the
        condition keys AWS sends for it (aws:SourceArn, aws:SourceAccount ...), and denies nothing."""
        if not document:
            return False
        principal = Principal(account="", arn=service, type=AWS_SERVICE)
        keys = context_of({"aws:PrincipalIsAWSService": True, "aws:PrincipalServiceName": service}, context)
        return resource_policy_verdict(self._parsed(document), principal, action, resource, keys) == "Allow"

    def _parsed(self, document: str) -> Policy:
        try:
            return self._principals.cache.get(document)
        except (ValueError, AttributeError, TypeError):
            return _SAYS_NOTHING  # a document IAM's language would refuse grants nothing

    def check_session_policy(self, document: str) -> None:
        """Raise IAM's MalformedPolicyDocument error for a session policy IAM would refuse."""
        policy.parse(document, session=True)

    def check_resource_policy(self, document: str) -> None:
        """Raise MalformedPolicyDocument for a resource-based policy (a table's) IAM's language refuses."""
        policy.parse(document, resource=True)

    def mark_role_used(self, role: RoleInfo, region: str) -> None:
        """Record the role's last use (GetRole's RoleLastUsed)."""
        found = self._stored(role.account, role.name)
        if found is None or found.arn != role.arn:
            return
        found.last_used, found.last_used_region = clock.epoch(), region
        self._roles.put(global_scope(role.account), found.name.lower(), found)
