"""Function policies: AddPermission, GetPolicy, RemovePermission, the whole-document
PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy, and what they grant.

A function (and each of its versions and aliases) has a resource-based policy of its own. It is
the function's ``Service.resource_policy`` for the gateway's IAM evaluation (another account, or
a user whose identity policy says nothing, invokes a function through it), and it is what Lambda
checks when an AWS service invokes a function: S3 notifications need ``s3.amazonaws.com``, Logs
subscriptions ``logs.amazonaws.com``, each with the source ARN and account the statement names.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from regionbox.core.arns import arn as build_arn
from regionbox.core.context import RequestContext
from regionbox.core.credentials import is_account_id
from regionbox.core.errors import ServiceError
from regionbox.core.store import Scope
from regionbox.services.lambda_.errors import check_revision, conflict, invalid_value
from regionbox.services.lambda_.functions import revision
from regionbox.services.lambda_.models import LATEST, Policy
from regionbox.services.lambda_.names import FunctionRef, function_arn, parse_function
from regionbox.services.lambda_.state import LambdaState

POLICY_LIMIT = 20480  # bytes of a function's policy


def principal_element(principal: str, partition: str = "aws") -> Any:
    """How AddPermission writes a Principal: an account as its root ARN, a service by name."""
    if principal == "*":
        return "*"
    if is_account_id(principal):
        return {"AWS": build_arn("iam", "", principal, "root", partition)}
    if principal.startswith("arn:"):
        return {"AWS": principal}
    return {"Service": principal}


def new_statement(statements: list[dict], params: dict, resource: str, partition: str) -> dict[str, Any]:
    """The Allow statement AddPermission / AddLayerVersionPermission writes, refused when its Sid is taken."""
    if any(s.get("Sid") == params["StatementId"] for s in statements):
        raise conflict("The statement id (sid) provided already exists. Please provide a new statement id, or remove "
                       "the existing statement.")
    return {"Sid": params["StatementId"], "Effect": "Allow", "Principal": principal_element(params["Principal"], partition),
            "Action": params["Action"], "Resource": resource}


def document(statements: list[dict], header: dict | None = None) -> str:
    return json.dumps({"Version": "2012-10-17", "Id": "default", **(header or {}), "Statement": statements},
                      separators=(",", ":"))


def _statements_of(text: str) -> tuple[dict, list[dict]]:
    """(Version and Id, the statements) of a policy document, or AWS's refusal of one that is not."""
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    statements = parsed.get("Statement") if isinstance(parsed, dict) else None
    statements = [statements] if isinstance(statements, dict) else statements
    if not isinstance(statements, list) or not statements or not all(isinstance(s, dict) for s in statements):
        raise invalid_value("The policy is not a valid JSON policy document with at least one statement.")
    for statement in statements:
        if statement.get("Effect") not in ("Allow", "Deny") or "Action" not in statement or \
                ("Principal" not in statement and "NotPrincipal" not in statement):
            raise invalid_value("Each statement of a resource-based policy needs Effect (Allow or Deny), Principal and "
                                "Action.")
    header = {k: parsed[k] for k in ("Version", "Id") if isinstance(parsed.get(k), str)}
    return header, statements


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _conditions_hold(condition: dict | None, values: dict[str, str | None]) -> bool:
    """The few condition operators AddPermission writes, on the keys a service invocation has
    (a key absent from ``values`` is not met; one given as None is unknown and not checked)."""
    for operator, tests in (condition or {}).items():
        base = operator.removesuffix("IfExists")
        for key, expected in tests.items():
            actual = values.get(key.lower(), "")
            if actual is None:
                continue  # the invoking service did not say (Logs names no log group when it checks a target)
            if actual == "":
                if operator.endswith("IfExists"):
                    continue
                return False
            patterns = _listed(expected)
            if base in ("ArnLike", "StringLike"):
                held = any(fnmatch.fnmatchcase(actual, p) for p in patterns)
            elif base in ("ArnEquals", "StringEquals"):
                held = actual in patterns
            else:
                return False
            if not held:
                return False
    return True


class Permissions:
    def __init__(self, state: LambdaState) -> None:
        self.state = state

    def _key(self, ref: FunctionRef) -> str:
        return f"{ref.name}:{ref.qualifier or ''}"

    def _target(self, ctx: RequestContext, params: dict) -> FunctionRef:
        ref = parse_function(ctx, params["FunctionName"], params.get("Qualifier"))
        if ref.qualifier == LATEST:
            raise invalid_value("We currently do not support adding policies for $LATEST.")
        self.state.resolve(ref)  # the function, version or alias must exist
        return ref

    def add_permission(self, ctx: RequestContext, params: dict) -> dict:
        ref = self._target(ctx, params)
        key = self._key(ref)
        policy = self.state.policies.get(ref.scope, key) or Policy(function=ref.name, qualifier=ref.qualifier or "")
        check_revision(policy.revision_id, params.get("RevisionId"))
        statement = new_statement(policy.statements, params, function_arn(ref.account, ref.region, ref.name, ref.qualifier),
                                  ctx.partition)
        condition: dict[str, dict[str, str]] = {}
        if params.get("SourceAccount"):
            condition.setdefault("StringEquals", {})["AWS:SourceAccount"] = params["SourceAccount"]
        if params.get("PrincipalOrgID"):
            condition.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = params["PrincipalOrgID"]
        if params.get("EventSourceToken"):
            condition.setdefault("StringEquals", {})["lambda:EventSourceToken"] = params["EventSourceToken"]
        if params.get("FunctionUrlAuthType"):
            condition.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = params["FunctionUrlAuthType"]
        if params.get("SourceArn"):
            condition["ArnLike"] = {"AWS:SourceArn": params["SourceArn"]}
        if condition:
            statement["Condition"] = condition
        statements = [*policy.statements, statement]
        if len(document(statements)) > POLICY_LIMIT:
            raise ServiceError("PolicyLengthExceededException", "The final policy size (%d) is bigger than the limit (%d)."
                               % (len(document(statements)), POLICY_LIMIT), Type="User")
        policy.statements, policy.revision_id = statements, revision()
        self.state.policies.put(ref.scope, key, policy)
        return {"Statement": json.dumps(statement, separators=(",", ":"))}

    def get_policy(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"], params.get("Qualifier"))
        self.state.resolve(ref)
        policy = self.state.policies.get(ref.scope, self._key(ref))
        if policy is None or not policy.statements:
            raise ServiceError("ResourceNotFoundException", "The resource you requested does not exist.", status=404, Type="User")
        return {"Policy": document(policy.statements, policy.header), "RevisionId": policy.revision_id}

    # -- the policy as one document ------------------------------------------------------------
    def _resource(self, ctx: RequestContext, arn: str) -> FunctionRef:
        if ":function:" not in arn:  # a runtime/ ARN: Lambda's managed runtimes have no policy here
            raise ServiceError("ResourceNotFoundException", f"Resource not found: {arn}", status=404, Type="User")
        ref = parse_function(ctx, arn)
        self.state.resolve(ref)
        return ref

    def put_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        """Replaces every statement, AddPermission's included."""
        ref = self._resource(ctx, params["ResourceArn"])
        header, statements = _statements_of(params["Policy"])
        text = document(statements, header)
        if len(text) > POLICY_LIMIT:
            raise ServiceError("PolicyLengthExceededException", "The final policy size (%d) is bigger than the limit (%d)."
                               % (len(text), POLICY_LIMIT), Type="User")
        key = self._key(ref)
        policy = self.state.policies.get(ref.scope, key) or Policy(function=ref.name, qualifier=ref.qualifier or "")
        check_revision(policy.revision_id, params.get("RevisionId"))
        policy.statements, policy.header, policy.revision_id = statements, header, revision()
        self.state.policies.put(ref.scope, key, policy)
        return {"Policy": text, "RevisionId": policy.revision_id}

    def get_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        ref = self._resource(ctx, params["ResourceArn"])
        return self.get_policy(ctx, {"FunctionName": function_arn(ref.account, ref.region, ref.name, ref.qualifier)})

    def delete_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        ref = self._resource(ctx, params["ResourceArn"])
        key = self._key(ref)
        policy = self.state.policies.get(ref.scope, key)
        if policy is None or not policy.statements:
            raise ServiceError("ResourceNotFoundException", "The resource you requested does not exist.", status=404, Type="User")
        check_revision(policy.revision_id, params.get("RevisionId"))
        self.state.policies.delete(ref.scope, key)
        return {}

    def remove_permission(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"], params.get("Qualifier"))
        self.state.resolve(ref)
        key = self._key(ref)
        policy = self.state.policies.get(ref.scope, key)
        kept = [s for s in (policy.statements if policy else []) if s.get("Sid") != params["StatementId"]]
        if policy is None or len(kept) == len(policy.statements):
            raise ServiceError("ResourceNotFoundException", f"Statement {params['StatementId']} is not found in resource "
                               "policy.", status=404, Type="User")
        check_revision(policy.revision_id, params.get("RevisionId"))
        if kept:
            policy.statements, policy.revision_id = kept, revision()
            self.state.policies.put(ref.scope, key, policy)
        else:
            self.state.policies.delete(ref.scope, key)
        return {}

    # -- what the policies grant ---------------------------------------------------------------
    def policy_of(self, resource: str) -> str | None:
        """The resource-based policy of a function ARN (qualified or not), for IAM."""
        parts = resource.split(":")
        if len(parts) < 7 or parts[2] != "lambda" or parts[5] != "function":
            return None
        scope: Scope = (parts[4], parts[3])
        policy = self.state.policies.get(scope, f"{parts[6]}:{parts[7] if len(parts) > 7 else ''}")
        return document(policy.statements, policy.header) if policy is not None and policy.statements else None

    def service_allowed(self, ref: FunctionRef, principal: str, source_arn: str | None = None,
                        source_account: str | None = None, action: str = "lambda:InvokeFunction") -> bool:
        """Whether the function's policy lets an AWS service (``s3.amazonaws.com`` ...) do ``action``."""
        policy = self.state.policies.get(ref.scope, self._key(ref))
        values = {"aws:sourcearn": source_arn, "aws:sourceaccount": source_account}
        allowed = False
        for statement in policy.statements if policy is not None else []:
            element = statement.get("Principal")
            named = element == "*" or (isinstance(element, dict) and (
                principal in _listed(element.get("Service") or []) or "*" in _listed(element.get("AWS") or [])))
            actions = [a.lower() for a in _listed(statement.get("Action") or [])]
            if not named or not any(fnmatch.fnmatchcase(action.lower(), a) for a in actions):
                continue
            if not _conditions_hold(statement.get("Condition"), values):
                continue
            if statement.get("Effect") == "Deny":
                return False
            allowed = True
        return allowed
