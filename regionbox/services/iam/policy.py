"""Policy documents: validation as IAM does it, and evaluation of trust policies for AssumeRole.

Validation returns IAM's MalformedPolicyDocument messages. Evaluation covers what trust policies
use in practice: AWS principals (account id, account root ARN, role/user/session ARNs, "*"),
Allow/Deny with Deny winning, Action/NotAction with wildcards, and the common condition operators.
A condition operator we do not know is treated as not satisfied, so an unknown operator can never
grant access (it can only fail to deny).
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from typing import Any

from regionbox.core import arns
from regionbox.core.errors import ServiceError

VERSIONS = ("2012-10-17", "2008-10-17")


def malformed(message: str) -> ServiceError:
    return ServiceError("MalformedPolicyDocument", message, status=400)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def parse(document: str, *, trust: bool) -> dict:
    """Parse and validate a policy. ``trust`` selects the rules of a role's trust policy
    (Principal required, Resource forbidden) instead of an identity policy's (the reverse)."""
    try:
        policy = json.loads(document)
    except (ValueError, TypeError):
        raise malformed("This policy contains invalid Json") from None
    if not isinstance(policy, dict):
        raise malformed("This policy contains invalid Json")
    version = policy.get("Version")
    if version is not None and version not in VERSIONS:
        raise malformed("The policy failed legacy parsing")
    unknown = set(policy) - {"Version", "Id", "Statement"}
    if unknown:
        raise malformed(f"Syntax errors in policy. Unknown field {sorted(unknown)[0]}")
    if "Statement" not in policy:
        raise malformed("Missing required field Statement")
    statements = _as_list(policy["Statement"])
    if not statements:
        raise malformed("Syntax errors in policy.")
    for statement in statements:
        _validate_statement(statement, trust)
    return policy


_STATEMENT_FIELDS = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
                     "Resource", "NotResource", "Condition"}


def _validate_statement(statement: Any, trust: bool) -> None:
    if not isinstance(statement, dict):
        raise malformed("Syntax errors in policy.")
    unknown = set(statement) - _STATEMENT_FIELDS
    if unknown:
        raise malformed(f"Syntax errors in policy. Unknown field {sorted(unknown)[0]}")
    if "Effect" not in statement:
        raise malformed("Missing required field Effect")
    if statement["Effect"] not in ("Allow", "Deny"):
        raise malformed(f"Invalid effect: {statement['Effect']}")
    if "Action" not in statement and "NotAction" not in statement:
        raise malformed("Policy statement must contain actions.")
    for key in ("Action", "NotAction"):
        for action in _as_list(statement.get(key)):
            if not isinstance(action, str) or (action != "*" and ":" not in action):
                raise malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
    has_principal = "Principal" in statement or "NotPrincipal" in statement
    has_resource = "Resource" in statement or "NotResource" in statement
    if trust:
        if not has_principal:
            raise malformed("AssumeRolepolicy contained an invalid principal: Missing required field Principal")
        if has_resource:
            raise malformed("Has prohibited field Resource")
        principal = statement.get("Principal", statement.get("NotPrincipal"))
        if principal != "*" and not (isinstance(principal, dict) and principal):
            raise malformed("Invalid principal in policy")
        if isinstance(principal, dict):
            for kind in principal:
                if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
                    raise malformed(f'Invalid principal in policy: "{kind}"')
            for value in _as_list(principal.get("AWS")):
                if not _valid_aws_principal(value):
                    raise malformed(f'Invalid principal in policy: "AWS":"{value}"')
    else:
        if has_principal:
            raise malformed("Policy document should not specify a principal.")
        if not has_resource:
            raise malformed("Policy statement must contain resources.")
    condition = statement.get("Condition")
    if condition is not None and not isinstance(condition, dict):
        raise malformed("Syntax errors in policy.")


_ACCOUNT = re.compile(r"\d{12}")
_PRINCIPAL_ARN = re.compile(r"arn:aws[\w-]*:(iam|sts)::\d{12}:\S+")


def _valid_aws_principal(value: Any) -> bool:
    return isinstance(value, str) and (value == "*" or bool(_ACCOUNT.fullmatch(value)) or bool(_PRINCIPAL_ARN.fullmatch(value)))


# -- evaluation --------------------------------------------------------------------------------


@dataclass
class Request:
    """What is asked: who (caller's identity), which action, with which context keys."""

    account_id: str
    principal_arn: str  # the caller's ARN (session ARN for an assumed role)
    action: str
    # ARNs the caller is also known by: an assumed-role session is also its role's ARN.
    aliases: list[str] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)


def _wildcard(pattern: str, value: str, case_sensitive: bool = True) -> bool:
    if not case_sensitive:
        pattern, value = pattern.lower(), value.lower()
    # fnmatch knows [] classes; IAM does not, so escape them.
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def _principal_matches(principal: Any, request: Request) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    for value in _as_list(principal.get("AWS")):
        if value == "*" or value == request.account_id or value == arns.arn("iam", "", request.account_id, "root"):
            return True
        if value in (request.principal_arn, *request.aliases):
            return True
    return False


def _action_matches(statement: dict, action: str) -> bool:
    if "Action" in statement:
        return any(_wildcard(p, action, case_sensitive=False) for p in _as_list(statement["Action"]))
    return not any(_wildcard(p, action, case_sensitive=False) for p in _as_list(statement.get("NotAction")))


def _condition_value(context: dict, key: str) -> list[str] | None:
    for name, value in context.items():
        if name.lower() == key.lower():
            return [str(v).lower() if isinstance(v, bool) else str(v) for v in _as_list(value)]
    return None


_STRING_OPERATORS = {
    "StringEquals": lambda p, v: p == v,
    "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringLike": lambda p, v: _wildcard(p, v),
    "ArnEquals": lambda p, v: p == v,
    "ArnLike": lambda p, v: _wildcard(p, v),
    "Bool": lambda p, v: p.lower() == v.lower(),
}
_NEGATED = {"StringNotEquals": "StringEquals", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
            "StringNotLike": "StringLike", "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike"}


def _conditions_hold(conditions: dict | None, context: dict) -> bool:
    for operator, tests in (conditions or {}).items():
        if not isinstance(tests, dict):
            return False
        if_exists = operator.endswith("IfExists")
        base = operator[: -len("IfExists")] if if_exists else operator
        for key, expected in tests.items():
            expected = [str(e).lower() if isinstance(e, bool) else str(e) for e in _as_list(expected)]
            actual = _condition_value(context, key)
            if base == "Null":
                if (actual is None) != (expected[0].lower() == "true"):
                    return False
                continue
            if actual is None:
                if if_exists or base in _NEGATED:
                    continue
                return False
            if base in _NEGATED:
                compare = _STRING_OPERATORS[_NEGATED[base]]
                if any(compare(p, v) for p in expected for v in actual):
                    return False
            elif base in _STRING_OPERATORS:
                compare = _STRING_OPERATORS[base]
                if not any(compare(p, v) for p in expected for v in actual):
                    return False
            else:
                return False
    return True


def _statement_applies(statement: dict, request: Request) -> bool:
    if "Principal" in statement:
        if not _principal_matches(statement["Principal"], request):
            return False
    elif "NotPrincipal" in statement and _principal_matches(statement["NotPrincipal"], request):
        return False
    return _action_matches(statement, request.action) and _conditions_hold(statement.get("Condition"), request.context)


def allows(policy: dict, request: Request) -> bool:
    """True when some statement allows the request and none denies it."""
    allowed = False
    for statement in _as_list(policy.get("Statement")):
        if not _statement_applies(statement, request):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = True
    return allowed
