"""Policy documents: validation as IAM does it, with IAM's MalformedPolicyDocument messages.

Evaluating them (trust, identity, resource, boundary and session policies alike) is
evaluation.py's, with the matching of conditions.py.
"""

from __future__ import annotations

import json
import re
from typing import Any

from regionbox.core.errors import ServiceError

VERSIONS = ("2012-10-17", "2008-10-17")


def malformed(message: str) -> ServiceError:
    return ServiceError("MalformedPolicyDocument", message, status=400)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def parse(document: str, *, trust: bool = False, resource: bool = False) -> dict:
    """Parse and validate a policy. ``trust`` selects the rules of a role's trust policy
    (Principal required, Resource forbidden) instead of an identity policy's (the reverse);
    ``resource`` those of a resource-based policy (a table's: Principal and Resource required)."""
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
        _validate_statement(statement, trust, resource)
    return policy


_STATEMENT_FIELDS = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
                     "Resource", "NotResource", "Condition"}


def _validate_statement(statement: Any, trust: bool, resource: bool = False) -> None:
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
    if resource:
        if not has_principal:
            raise malformed("Policy statement must contain a principal.")
        if not has_resource:
            raise malformed("Policy statement must contain resources.")
    elif trust:
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
