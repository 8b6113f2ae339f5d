"""Policy documents: IAM's grammar, its checks in IAM's order, and its MalformedPolicyDocument
messages. Evaluating policies (trust, identity, resource, boundary and session policies alike) is
evaluation.py's, with the matching of conditions.py.

The order IAM checks a document in, each stage with its one message:

1. JSON and shape ("Syntax errors in policy."): an object with only Version, Id, Statement; a
   Version IAM knows; Statement an object or a non-empty list of objects with only the known
   elements, never both Action and NotAction or Resource and NotResource; Effect present and
   Allow or Deny in any case (another word: "Invalid effect: <word>"); Action, Resource and their
   Not* forms strings or lists of strings; Condition an object of operator -> object of key ->
   string, number, boolean or list; Sid and Id strings.
2. Version ("Policy document must be version 2012-10-17 or greater.") for identity policies.
3. Legacy parsing ("The policy failed legacy parsing"): Effect in its exact case, Date* condition
   values that are ISO 8601 dates or epoch numbers, resources with "::" that are not whole ARNs.
4. Sid uniqueness ("Statement IDs (SID) in a single policy must be unique.").
5. Actions present ("Policy statement must contain actions.").
6. Resource formats (the first error met): "*" or an ARN of a known partition, a vendor without
   wildcards, no region in IAM and S3 ARNs, IAM paths starting with a resource type.
7. Action vendors ("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
   "Actions/Condition can contain only one colon.", "Vendor <v> is not valid").
8. What the kind of policy requires: identity policies no Principal and some Resource, trust
   policies a valid Principal, no Resource and only STS actions, resource policies both.

Trust policies keep the wording IAM uses for them (from CreateRole and UpdateAssumeRolePolicy):
"This policy contains invalid Json", "Missing required field Statement", "The policy failed legacy
parsing" for an unknown Version, "AssumeRolepolicy contained an invalid principal: ...".
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from regionbox.core.errors import ServiceError

VERSIONS = ("2012-10-17", "2008-10-17")
CURRENT = "2012-10-17"
PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")
_TOP = {"Version", "Id", "Statement"}
_STATEMENT = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
IAM_RESOURCE_TYPES = ("user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/", "server-certificate/",
                      "policy/", "sms-mfa/", "saml-provider/", "oidc-provider/", "report/", "access-report/")
TRUST_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity", "sts:TagSession",
                 "sts:SetSourceIdentity", "sts:SetContext")
SYNTAX = "Syntax errors in policy."


def malformed(message: str) -> ServiceError:
    return ServiceError("MalformedPolicyDocument", message, status=400)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def parse(document: str, *, trust: bool = False, resource: bool = False, session: bool = False) -> dict:
    """Parse and validate a policy. ``trust``: a role's trust policy (Principal required,
    Resource forbidden); ``resource``: a resource-based policy (a table's: Principal and Resource
    required); ``session``: a session policy (an identity policy whose Version may be older);
    otherwise an identity policy (inline or managed)."""
    try:
        policy = json.loads(document)
    except (ValueError, TypeError):
        raise malformed("This policy contains invalid Json" if trust else SYNTAX) from None
    if not isinstance(policy, dict):
        raise malformed("This policy contains invalid Json" if trust else SYNTAX)
    statements = _check_syntax(policy, trust)
    if not trust and not resource and not session and policy.get("Version") != CURRENT:
        raise malformed("Policy document must be version 2012-10-17 or greater.")
    _check_legacy(statements)
    sids = [s["Sid"] for s in statements if s.get("Sid")]
    if len(sids) != len(set(sids)):
        raise malformed("Statement IDs (SID) in a single policy must be unique.")
    for statement in statements:
        if not _as_list(statement.get("Action", statement.get("NotAction"))):
            raise malformed("Policy statement must contain actions.")
    for statement in statements:
        for key in ("Resource", "NotResource"):
            for value in sorted((r for r in _as_list(statement.get(key)) if r), reverse=True):
                error = _resource_error(value)
                if error:
                    raise malformed(error)
    for statement in statements:
        for key in ("Action", "NotAction"):
            for action in _as_list(statement.get(key)):
                _check_vendor(action)
    for statement in statements:
        _check_kind(statement, trust, resource)
    return policy


def _check_syntax(policy: dict, trust: bool) -> list[dict]:
    if set(policy) - _TOP:
        raise malformed(SYNTAX)
    if "Version" in policy and policy["Version"] not in VERSIONS:
        raise malformed("The policy failed legacy parsing" if trust else SYNTAX)
    if "Id" in policy and not isinstance(policy["Id"], str):
        raise malformed(SYNTAX)
    if "Statement" not in policy:
        raise malformed("Missing required field Statement" if trust else SYNTAX)
    raw = policy["Statement"]
    statements = [raw] if isinstance(raw, dict) else raw
    if not isinstance(statements, list) or not statements:
        raise malformed(SYNTAX)
    for statement in statements:
        _check_statement_syntax(statement)
    return statements


def _strings(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(v is None or isinstance(v, str) for v in value))


def _check_statement_syntax(statement: Any) -> None:
    if not isinstance(statement, dict) or set(statement) - _STATEMENT:
        raise malformed(SYNTAX)
    if ("Action" in statement and "NotAction" in statement) or ("Resource" in statement and "NotResource" in statement):
        raise malformed(SYNTAX)
    effect = statement.get("Effect")
    if not isinstance(effect, str):
        raise malformed(SYNTAX)
    if effect.lower() not in ("allow", "deny"):
        raise malformed(f"Invalid effect: {effect}")
    for key in ("Action", "NotAction", "Resource", "NotResource"):
        if key in statement and not _strings(statement[key]):
            raise malformed(SYNTAX)
    if "Sid" in statement and not isinstance(statement["Sid"], str):
        raise malformed(SYNTAX)
    condition = statement.get("Condition")
    if condition is not None:
        if not isinstance(condition, dict):
            raise malformed(SYNTAX)
        for operator, tests in condition.items():
            if not isinstance(tests, dict):
                raise malformed(SYNTAX)
            for value in tests.values():
                if not isinstance(value, (str, bool, int, float, list)):
                    raise malformed(SYNTAX)
            # An operator IAM does not know is stored: it never matches (conditions.py).


def _check_legacy(statements: list[dict]) -> None:
    for statement in statements:
        if statement["Effect"] not in ("Allow", "Deny"):
            raise malformed("The policy failed legacy parsing")  # "allow": known, but not in IAM's case
        for operator, tests in (statement.get("Condition") or {}).items():
            base = operator.split(":", 1)[-1].removesuffix("IfExists")
            if base.startswith("Date"):
                for value in (v for values in tests.values() for v in _as_list(values)):
                    if not _legacy_date(str(value)):
                        raise malformed("The policy failed legacy parsing")
        for key in ("Resource", "NotResource"):
            for value in _as_list(statement.get(key)):
                if value and value != "*" and (("::" in value and value.count(":") < 5) or value.split(":")[2:3] == [""]):
                    raise malformed("The policy failed legacy parsing")


def _legacy_date(value: str) -> bool:
    if "t" not in value.lower() and "-" not in value:
        return value.isdigit() and int(value) <= 2**63 - 1
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        return True
    except ValueError:
        return False


def _resource_error(value: str) -> str | None:
    """IAM's error for a Resource value, or None for "*" and well-formed ARNs."""
    if value == "*" or "${" in value.split(":", 1)[0]:
        return None
    parts = value.split(":", 5)
    if len(parts) < 2:
        return f'Resource {value} must be in ARN format or "*".'
    partition = parts[1]
    if partition != "*" and partition not in PARTITIONS:
        rest = value.split(":", 2)[2].split(":") if value.count(":") >= 2 else [""]
        fields = [rest[0] if rest[0] != "" or len(rest) > 1 else "*", rest[1] if len(rest) > 1 else "*",
                  rest[2] if len(rest) > 2 else "*", ":".join(rest[3:]) if len(rest) > 3 else "*"]
        return f'Partition "{partition}" is not valid for resource "arn:{partition}:{":".join(fields)}".'
    if len(parts) < 3:
        return "Resource vendor must be fully qualified and cannot contain regexes."
    service = parts[2]
    if not service or "*" in service or "?" in service:
        return "Resource vendor must be fully qualified and cannot contain regexes."
    region = parts[3] if len(parts) > 3 else ""
    resource = parts[5] if len(parts) > 5 else ""
    if service == "iam" and region:
        return f"IAM resource {value} cannot contain region information."
    if service == "s3" and region and not resource.startswith("accesspoint/"):
        return f"Resource {value} can not contain region information."
    if service == "iam" and not resource.startswith(IAM_RESOURCE_TYPES) and resource not in ("*", "root") \
            and not resource.startswith("${"):
        return f'IAM resource path must either be "*" or start with {", ".join(IAM_RESOURCE_TYPES)}.'
    return None


def _check_vendor(action: Any) -> None:
    parts = str(action).split(":")
    if len(parts) == 1 and parts[0] != "*":
        raise malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
    if len(parts) > 2:
        raise malformed("Actions/Condition can contain only one colon.")
    if parts[0] != "*" and re.search(r"[^a-zA-Z0-9\-.*]", parts[0]):
        raise malformed(f"Vendor {parts[0]} is not valid")


def _check_kind(statement: dict, trust: bool, resource: bool) -> None:
    has_principal = "Principal" in statement or "NotPrincipal" in statement
    has_resource = bool(_as_list(statement.get("Resource", statement.get("NotResource"))))
    if resource:
        if not has_principal:
            raise malformed("Policy statement must contain a principal.")
        if not has_resource:
            raise malformed("Policy statement must contain resources.")
        return
    if trust:
        _check_trust_statement(statement, has_principal)
        return
    if has_principal:
        raise malformed("Policy document should not specify a principal.")
    if not has_resource:
        raise malformed("Policy statement must contain resources.")


_ACCOUNT = re.compile(r"\d{12}")
_PRINCIPAL_ARN = re.compile(r"arn:aws[\w-]*:(iam|sts)::\d{12}:\S+")
_SERVICE = re.compile(r"[a-z0-9][a-z0-9.-]*\.(amazonaws\.com(\.cn)?|amazon\.com|aws\.internal|c2s\.ic\.gov|sc2s\.sgov\.gov)")
_FEDERATED = re.compile(r"arn:aws[\w-]*:iam::\d{12}:(saml-provider|oidc-provider)/\S+|[a-z0-9.-]+\.[a-z]{2,}(/\S*)?")


def _check_trust_statement(statement: dict, has_principal: bool) -> None:
    if not has_principal:
        raise malformed("AssumeRolepolicy contained an invalid principal: Missing required field Principal")
    if "Resource" in statement or "NotResource" in statement:
        raise malformed("Has prohibited field Resource")
    principal = statement.get("Principal", statement.get("NotPrincipal"))
    if principal != "*" and not (isinstance(principal, dict) and principal):
        raise malformed("Invalid principal in policy")
    if isinstance(principal, dict):
        for kind in principal:
            if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
                raise malformed(f'Invalid principal in policy: "{kind}"')
        for value in _as_list(principal.get("AWS")):
            if not (isinstance(value, str) and (value == "*" or _ACCOUNT.fullmatch(value) or _PRINCIPAL_ARN.fullmatch(value))):
                raise malformed(f'Invalid principal in policy: "AWS":"{value}"')
        for value in _as_list(principal.get("Service")):
            if not (isinstance(value, str) and _SERVICE.fullmatch(value)):
                raise malformed(f'Invalid principal in policy: "SERVICE":"{value}"')
        for value in _as_list(principal.get("Federated")):
            if not (isinstance(value, str) and _FEDERATED.fullmatch(value)):
                raise malformed(f'Invalid principal in policy: "FEDERATED":"{value}"')
    for action in _as_list(statement.get("Action")):
        if action not in TRUST_ACTIONS and not (isinstance(action, str) and action.startswith("sts:") and "*" in action) \
                and action != "*":
            raise malformed("Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and "
                            "sts:AssumeRoleWithWebIdentity")
