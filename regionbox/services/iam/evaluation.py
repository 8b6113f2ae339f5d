"""AWS's policy evaluation logic, for one request: explicit deny, then allow, else implicit deny.

The policies that take part (AWS's "Policy evaluation logic"):
- identity-based policies of the user or role (inline and attached, AWS managed included); the
  account root user has every permission in its own account;
- the resource's resource-based policy, when the service has one (a role's trust policy for
  sts:AssumeRole, a table's resource policy);
- the permissions boundary of the user or role, and the session policies of a session: these
  only cap what the others grant (an intersection).

An explicit Deny in any of them decides. Within one account, a resource-based policy that names
the IAM user or the role session itself (or "*") grants on its own, whatever the identity policy,
boundary or session policy say; one that names the role grants too, but a boundary and a session
policy still cap it; one that names the account only delegates to the account's identity
policies. Across accounts both sides must allow: the caller's identity (with its boundary and
session policies) and the resource's policy.

Denials carry AWS's reason: "with an explicit deny in an identity-based policy", "because no
permissions boundary allows the dynamodb:GetItem action" ...
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from regionbox.core import arns
from regionbox.services.iam.conditions import Context, arn_like, conditions_hold, substitute, wildcard

IDENTITY = "identity-based policy"
RESOURCE = "resource-based policy"
BOUNDARY = "permissions boundary"
SESSION = "session policy"
# AWS's articles for "with an explicit deny in {an identity-based policy}".
_ARTICLE = {IDENTITY: "an", RESOURCE: "a", BOUNDARY: "a", SESSION: "a"}


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class ActionSet:
    """Action patterns indexed by service prefix (ReadOnlyAccess lists thousands: a request
    compares its action with its own service's few, and the exact names in one lookup)."""

    def __init__(self, patterns: list) -> None:
        self.exact: set[str] = set()
        self.by_prefix: dict[str, list[str]] = {}
        self.anywhere: list[str] = []  # "*", "*:Get*" ...
        for pattern in patterns:
            if not isinstance(pattern, str):
                continue
            pattern = pattern.lower()
            prefix, colon, _ = pattern.partition(":")
            if not colon or "*" in prefix or "?" in prefix:
                self.anywhere.append(pattern)
            elif "*" in pattern or "?" in pattern:
                self.by_prefix.setdefault(prefix, []).append(pattern)
            else:
                self.exact.add(pattern)

    def matches(self, action: str) -> bool:
        action = action.lower()
        if action in self.exact:
            return True
        candidates = self.by_prefix.get(action.partition(":")[0], ())
        return any(wildcard(p, action) for p in candidates) or any(wildcard(p, action) for p in self.anywhere)


@dataclass(frozen=True)
class Statement:
    allow: bool
    actions: ActionSet | None  # None: the statement has NotAction
    not_actions: ActionSet
    resources: tuple[str, ...] | None  # None: no Resource (trust policies) or NotResource
    not_resources: tuple[str, ...] | None
    principal: Any  # the Principal element, or None
    not_principal: Any
    condition: dict | None

    def matches_action(self, action: str) -> bool:
        if self.actions is not None:
            return self.actions.matches(action)
        return not self.not_actions.matches(action)

    def matches_resource(self, resource: str, context: Context, version: str | None) -> bool:
        if self.resources is None and self.not_resources is None:
            return True  # trust policies name no resource: the role is the resource
        patterns = self.resources if self.resources is not None else self.not_resources
        hit = False
        for pattern in patterns or ():
            pattern = substitute(pattern, context, version)
            if pattern is not None and _resource_matches(pattern, resource):
                hit = True
                break
        return hit if self.resources is not None else not hit


def _resource_matches(pattern: str, resource: str) -> bool:
    if pattern == "*":
        return True
    if resource == "*":
        # An action AWS authorizes on "*" (most List/Describe calls) needs Resource "*".
        return False
    return arn_like(pattern, resource)


@dataclass(frozen=True)
class Policy:
    version: str | None
    statements: tuple[Statement, ...]

    @classmethod
    def parse(cls, document: str | dict) -> "Policy":
        raw = json.loads(document) if isinstance(document, str) else document
        statements = []
        for s in _as_list(raw.get("Statement")):
            if not isinstance(s, dict):
                continue
            statements.append(Statement(
                allow=s.get("Effect") == "Allow",
                actions=ActionSet(_as_list(s["Action"])) if "Action" in s else None,
                not_actions=ActionSet(_as_list(s.get("NotAction"))),
                resources=tuple(_as_list(s["Resource"])) if "Resource" in s else None,
                not_resources=tuple(_as_list(s["NotResource"])) if "NotResource" in s else None,
                principal=s.get("Principal"),
                not_principal=s.get("NotPrincipal"),
                condition=s.get("Condition"),
            ))
        return cls(raw.get("Version"), tuple(statements))


class PolicyCache:
    """Parsed policies by their document: a request re-reads the same few documents."""

    def __init__(self, size: int = 2048) -> None:
        self._parsed: OrderedDict[str, Policy] = OrderedDict()
        self._size = size

    def get(self, document: str) -> Policy:
        found = self._parsed.get(document)
        if found is None:
            found = Policy.parse(document)
            self._parsed[document] = found
            if len(self._parsed) > self._size:
                self._parsed.popitem(last=False)
        else:
            self._parsed.move_to_end(document)
        return found


AWS_SERVICE = "AWSService"
ANONYMOUS = "Anonymous"


@dataclass
class Principal:
    """Who asks, with the policies that speak for it."""

    account: str
    arn: str  # the session ARN for a role session; the service's name for an AWS service
    # "Root", "IAMUser", "AssumedRole" (CloudTrail's names); "AWSService" for a service acting on
    # a resource owner's behalf (cloudtrail.amazonaws.com delivering into a bucket), "Anonymous"
    # for an unsigned request: resource policies alone decide for those two.
    type: str
    role_arn: str | None = None
    identity: list[Policy] = field(default_factory=list)
    boundary: Policy | None = None
    # None: not a session narrowed by session policies; else the Policy and PolicyArns given.
    session: list[Policy] | None = None
    # Later narrowings of the session (GetScopedCredentials): each one must allow as well.
    scopes: list[Policy] = field(default_factory=list)
    # A web identity or SAML caller: the provider a trust policy's "Federated" principal names.
    federated: str | None = None

    @property
    def is_root(self) -> bool:
        return self.type == "Root"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""  # AWS's words after the resource: "because no identity-based policy allows ..."


ALLOW = Decision(True)


def _grant(principal_element: Any, who: Principal) -> str | None:
    """How a Principal element names the caller: "direct" (the user, the session, or everyone),
    "role" (the role a session belongs to), "account" (its account), or None."""
    if principal_element == "*":
        return "direct"
    if not isinstance(principal_element, dict):
        return None
    if who.federated is not None:
        return "direct" if who.federated in _as_list(principal_element.get("Federated")) else None
    if who.type in (AWS_SERVICE, ANONYMOUS):
        named = "*" in _as_list(principal_element.get("AWS")) or \
            (who.type == AWS_SERVICE and who.arn in _as_list(principal_element.get("Service")))
        return "direct" if named else None
    best = None
    for value in _as_list(principal_element.get("AWS")):
        if value == "*" or value == who.arn:
            return "direct"
        if who.role_arn and value == who.role_arn:
            best = "role"
        elif best is None and value in (who.account, arns.arn("iam", "", who.account, "root", who.arn.split(":")[1])):
            best = "account"
    return best


def _applies(statement: Statement, who: Principal | None, action: str, resource: str, context: Context,
             version: str | None) -> str | None:
    """How the statement applies to the request: None if not, else the grant kind ("direct" for
    policies without a Principal element)."""
    if not statement.matches_action(action):
        return None
    grant = "direct"
    if who is not None and statement.principal is not None:
        grant = _grant(statement.principal, who)
        if grant is None:
            return None
    elif who is not None and statement.not_principal is not None:
        if _grant(statement.not_principal, who) is not None:
            return None
    if not statement.matches_resource(resource, context, version):
        return None
    if statement.condition and not conditions_hold(statement.condition, context, version):
        return None
    return grant


_RANK = {None: 0, "account": 1, "role": 2, "direct": 3}


def _scan(policies: list[Policy], action: str, resource: str, context: Context,
          who: Principal | None = None) -> tuple[bool, str | None]:
    """(explicitly denied, strongest grant) over some policies."""
    grant = None
    for policy in policies:
        for statement in policy.statements:
            applies = _applies(statement, who, action, resource, context, policy.version)
            if applies is None:
                continue
            if not statement.allow:
                return True, None
            if _RANK[applies] > _RANK[grant]:
                grant = applies
    return False, grant


def _explicit(kind: str) -> Decision:
    return Decision(False, f"with an explicit deny in {_ARTICLE[kind]} {kind}")


def _implicit(kind: str, action: str) -> Decision:
    return Decision(False, f"because no {kind} allows the {action} action")


def evaluate(who: Principal, action: str, resource: str, context: Context, *, resource_policy: Policy | None = None,
             resource_account: str | None = None, resource_side_by_service: bool = False) -> Decision:
    """The decision for one action on one resource. ``resource_side_by_service``: the service
    answers what the resource policy refuses with its own error (STS for a trust policy), so
    here that policy can only grant."""
    same_account = resource_account in (None, "", who.account)
    if who.is_root and same_account and resource_policy is None:
        return ALLOW
    identity_denied, identity_grant = (False, "direct") if who.is_root else _scan(who.identity, action, resource, context)
    if identity_denied:
        return _explicit(IDENTITY)
    resource_grant = None
    if resource_policy is not None:
        resource_denied, resource_grant = _scan([resource_policy], action, resource, context, who)
        if resource_denied:
            if resource_side_by_service:
                return ALLOW if who.is_root else _without_resource(who, action, resource, context)
            return _explicit(RESOURCE)
    boundary_denied, boundary_grant = (False, None) if who.boundary is None else \
        _scan([who.boundary], action, resource, context)
    if boundary_denied:
        return _explicit(BOUNDARY)
    session_denied, session_grant = (False, None) if who.session is None else \
        _scan(who.session, action, resource, context)
    if session_denied:
        return _explicit(SESSION)
    scope_grants = [_scan([scope], action, resource, context) for scope in who.scopes]
    if any(denied for denied, _ in scope_grants):
        return _explicit(SESSION)
    if any(grant is None for _, grant in scope_grants):
        return _implicit(SESSION, action)
    if who.is_root and same_account:
        return ALLOW
    if same_account and resource_grant == "direct":
        return ALLOW  # names the user or the session itself: no other policy can narrow it
    if identity_grant is None and not (same_account and resource_grant == "role"):
        return _implicit(IDENTITY, action)
    if who.boundary is not None and boundary_grant is None:
        return _implicit(BOUNDARY, action)
    if who.session is not None and session_grant is None:
        return _implicit(SESSION, action)
    if not same_account and resource_grant is None and not resource_side_by_service:
        return _implicit(RESOURCE, action)
    return ALLOW


def _without_resource(who: Principal, action: str, resource: str, context: Context) -> Decision:
    """The identity side alone: the service itself refuses what the resource policy denies."""
    return evaluate(who, action, resource, context, resource_account="", resource_side_by_service=True)


def resource_policy_verdict(policy: Policy, who: Principal, action: str, resource: str, context: Context) -> str | None:
    """"Deny", "Allow" or None (it says nothing of the request): a resource policy on its own,
    for a service that weighs it against more than IAM does (S3 with its ACLs and public access
    blocks), or for an AWS service principal (whose permissions are only what policies grant it)."""
    denied, grant = _scan([policy], action, resource, context, who)
    return "Deny" if denied else "Allow" if grant is not None else None


def trust_allows(trust: Policy, who: Principal, action: str, context: Context) -> bool:
    """A role's trust policy alone, for STS: some statement names the caller and allows the action,
    and none denies it."""
    denied, grant = _scan([trust], action, "*", context, who)
    return not denied and grant is not None


def matched_statements(policy: Policy, who: Principal | None, action: str, resource: str,
                       context: Context) -> list[int]:
    """The indexes of the statements of ``policy`` that apply to the request (IAM's policy
    simulator shows them as MatchedStatements)."""
    return [index for index, statement in enumerate(policy.statements)
            if _applies(statement, who, action, resource, context, policy.version) is not None]
