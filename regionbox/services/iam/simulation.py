"""IAM's policy simulator: SimulatePrincipalPolicy, SimulateCustomPolicy and the context keys
policies use (GetContextKeysForPrincipalPolicy, GetContextKeysForCustomPolicy).

The decisions are evaluation.py's, the same code that authorizes every request: the simulator
only chooses the policies (a principal's own, plus or instead of the documents given), builds
the context from ContextEntries (nothing else: a key the request lacks is reported in
MissingContextValues), and reports which statements matched, with their positions in the
document as IAM gives them (line and column, from 1).
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from regionbox.core.arns import account_of
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.iam import policy as grammar
from regionbox.services.iam.conditions import build_context
from regionbox.services.iam.evaluation import Policy, Principal, evaluate, matched_statements
from regionbox.services.iam.listing import Listing
from regionbox.services.iam.principals import Principals
from regionbox.services.iam.state import IamState

_VARIABLE = re.compile(r"\$\{([^}*?$]+?)(\s*,\s*'[^']*')?\}")


def _checked(documents: list[str], member: str) -> None:
    for document in documents:
        try:
            grammar.parse(document, session=True)
        except ServiceError as error:
            raise ServiceError("InvalidInput", f"{member}: {error.message}") from None


def _statement_spans(document: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) line and column of each statement of a document, as IAM reports them."""
    decoder = json.JSONDecoder()
    found = re.search(r'"Statement"\s*:\s*', document)
    if not found:
        return []
    position = found.end()
    spans = []
    if document[position] != "[":
        starts = [(position, decoder.raw_decode(document, position)[1])]
    else:
        starts, position = [], position + 1
        while True:
            while document[position] in " \t\r\n,":
                position += 1
            if document[position] == "]":
                break
            end = decoder.raw_decode(document, position)[1]
            starts.append((position, end))
            position = end

    def line_column(offset: int) -> tuple[int, int]:
        before = document[:offset]
        return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1

    for start, end in starts:
        spans.append((line_column(start), line_column(end - 1)))  # from its "{" to its "}"
    return spans


def context_keys(documents: list[str]) -> list[str]:
    """The condition keys and policy variables some policies use, first spelling first."""
    keys: dict[str, str] = {}

    def add(key: str) -> None:
        keys.setdefault(key.lower(), key)

    for document in documents:
        raw = json.loads(document)
        statements = raw.get("Statement")
        for statement in statements if isinstance(statements, list) else [statements]:
            if not isinstance(statement, dict):
                continue
            for tests in (statement.get("Condition") or {}).values():
                for key in tests if isinstance(tests, dict) else ():
                    add(key)
            for member in ("Resource", "NotResource"):
                values = statement.get(member) or []
                for value in values if isinstance(values, list) else [values]:
                    for variable in _VARIABLE.finditer(str(value)):
                        add(variable.group(1).strip())
    return list(keys.values())


def _context(entries: list[dict]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for entry in entries:
        given = entry.get("ContextKeyValues") or []
        many = (entry.get("ContextKeyType") or "string").endswith("List")
        values[entry["ContextKeyName"]] = given if many else (given[0] if given else None)
    return build_context(values)


class Simulation:
    def __init__(self, state: IamState, principals: Principals, documents: Callable[[str, str], str | None],
                 listing: Listing) -> None:
        self.state = state
        self.principals = principals
        self.documents = documents  # (account, policy ARN) -> default version's document
        self.listing = listing

    def _source(self, ctx: RequestContext, arn: str) -> tuple[Any, list[tuple[str, str, str]]]:
        """The entity an ARN names and its policies: (entity, [(id, type, document)])."""
        try:
            kind, entity = self.state.entity_at(ctx.global_scope, arn)
        except ValueError:
            kind, entity = "", None
        if not kind:
            raise ServiceError("InvalidInput", f"Invalid ARN: {arn}")
        if entity is None:
            raise ServiceError("NoSuchEntity", f"The {kind} with name {arn.rsplit('/', 1)[-1]} cannot be found.", status=404)
        holders = self.state.policy_holders(ctx.global_scope, kind, entity)
        found = []
        for holder, holder_kind in holders:
            found += [(name, holder_kind, document) for name, document in holder.inline_policies.items()]
            for policy_arn in holder.attached_policies:
                document = self.documents(ctx.account_id, policy_arn)
                if document is not None:
                    managed = "aws-managed" if account_of(policy_arn) is None else "user-managed"
                    found.append((policy_arn, managed, document))
        return entity, found

    # -- context keys -------------------------------------------------------------------------
    def get_context_keys_for_custom_policy(self, ctx: RequestContext, params: dict) -> dict:
        _checked(params["PolicyInputList"], "PolicyInputList")
        return {"ContextKeyNames": context_keys(params["PolicyInputList"])}

    def get_context_keys_for_principal_policy(self, ctx: RequestContext, params: dict) -> dict:
        _, policies = self._source(ctx, params["PolicySourceArn"])
        extra = params.get("PolicyInputList") or []
        _checked(extra, "PolicyInputList")
        return {"ContextKeyNames": context_keys([d for _, _, d in policies] + extra)}

    # -- simulation ---------------------------------------------------------------------------
    def simulate_principal_policy(self, ctx: RequestContext, params: dict) -> dict:
        entity, policies = self._source(ctx, params["PolicySourceArn"])
        excluded = {e.get("PolicyArn") or e.get("InlinePolicyIdentifier") for e in params.get("PolicyExclusionList") or []}
        policies = [p for p in policies if p[0] not in excluded]
        extra = params.get("PolicyInputList") or []
        _checked(extra, "PolicyInputList")
        policies += [(f"PolicyInputList.{i}", "none", d) for i, d in enumerate(extra, 1)]
        boundary_documents = params.get("PermissionsBoundaryPolicyInputList")
        if boundary_documents is None and getattr(entity, "permissions_boundary", None):
            document = self.documents(ctx.account_id, entity.permissions_boundary)
            boundary_documents = [document] if document else []
        kind = "AssumedRole" if entity.arn.split(":", 5)[5].startswith("role/") else "IAMUser"
        return self._simulate(ctx, params, policies, boundary_documents, entity.arn, kind)

    def simulate_custom_policy(self, ctx: RequestContext, params: dict) -> dict:
        _checked(params["PolicyInputList"], "PolicyInputList")
        policies = [(f"PolicyInputList.{i}", "none", d) for i, d in enumerate(params["PolicyInputList"], 1)]
        caller = params.get("CallerArn") or ctx.arn("iam", "user/SimulatedUser", regional=False)
        return self._simulate(ctx, params, policies, params.get("PermissionsBoundaryPolicyInputList"), caller, "IAMUser")

    def _simulate(self, ctx: RequestContext, params: dict, policies: list[tuple[str, str, str]],
                  boundary_documents: list[str] | None, caller_arn: str, caller_type: str) -> dict:
        if boundary_documents:
            _checked(boundary_documents, "PermissionsBoundaryPolicyInputList")
        resource_policy = params.get("ResourcePolicy")
        if resource_policy:
            try:
                grammar.parse(resource_policy, resource=True)
            except ServiceError as error:
                raise ServiceError("InvalidInput", f"ResourcePolicy: {error.message}") from None
        cache = self.principals.cache
        parsed = [(source, kind, document, cache.get(document)) for source, kind, document in policies]
        who = Principal(account=ctx.account_id, arn=caller_arn, type=caller_type,
                        role_arn=caller_arn if caller_type == "AssumedRole" else None,
                        identity=[p for _, _, _, p in parsed])
        if boundary_documents:
            who.boundary = cache.get(boundary_documents[0]) if len(boundary_documents) == 1 else \
                Policy(None, tuple(s for d in boundary_documents for s in cache.get(d).statements))
        context = _context(params.get("ContextEntries") or [])
        missing = [k for k in context_keys([d for _, _, d, _ in parsed]) if k.lower() not in context]
        owner = account_of(params["ResourceOwner"]) if params.get("ResourceOwner") else None
        resource_parsed = cache.get(resource_policy) if resource_policy else None
        results = []
        for action in params["ActionNames"]:
            for resource in params.get("ResourceArns") or ["*"]:
                decision = evaluate(who, action, resource, context, resource_policy=resource_parsed,
                                    resource_account=owner or account_of(resource))
                verdict = "allowed" if decision.allowed else (
                    "explicitDeny" if decision.reason.startswith("with an explicit deny") else "implicitDeny")
                matched = []
                for source, kind, document, policy in parsed:
                    spans = _statement_spans(document)
                    for index in matched_statements(policy, None, action, resource, context):
                        statement = {"SourcePolicyId": source, "SourcePolicyType": kind}
                        if index < len(spans):
                            (line, column), (end_line, end_column) = spans[index]
                            statement["StartPosition"] = {"Line": line, "Column": column}
                            statement["EndPosition"] = {"Line": end_line, "Column": end_column}
                        matched.append(statement)
                result = {"EvalActionName": action, "EvalResourceName": resource, "EvalDecision": verdict,
                          "MatchedStatements": matched, "MissingContextValues": missing}
                if who.boundary is not None:
                    allowed = bool(matched_statements(who.boundary, None, action, resource, context)) and \
                        evaluate(Principal(ctx.account_id, caller_arn, caller_type, identity=[who.boundary]), action,
                                 resource, context).allowed
                    result["PermissionsBoundaryDecisionDetail"] = {"AllowedByPermissionsBoundary": allowed}
                results.append(result)
        return self.listing.page("EvaluationResults", results, params)
