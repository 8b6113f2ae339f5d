"""Account policies: PutAccountPolicy, DescribeAccountPolicies, DeleteAccountPolicy.

Each type is checked as AWS checks it and takes effect where AWS applies it:

- DATA_PROTECTION_POLICY (one per account): masks every group's events, on top of a group's own
  policy (data_protection.py);
- SUBSCRIPTION_FILTER_POLICY (one per account): delivers every group's events but those
  ``LogGroupName NOT IN [...]`` excludes, beside the groups' own filters (subscription_filters.py);
- TRANSFORMER_POLICY: the transformer of groups selected by ``LogGroupNamePrefix`` that have none;
- FIELD_INDEX_POLICY: the field indexes of groups selected by prefix that have no index policy;
- RETENTION_POLICY: overrides the retention of the groups it selects (``RETROACTIVE``), or of the
  groups created after it (``NEW_ONLY``); ``dryRun`` tells what it would change;
- METRIC_EXTRACTION_POLICY: kept (it extracts metrics for CloudWatch, which regionbox does not serve yet).
"""

from __future__ import annotations

import json
from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import Paginator
from regionbox.services.logs.data_protection import check_document
from regionbox.services.logs.index_policies import check_index_document
from regionbox.services.logs.listing import page_of
from regionbox.services.logs.log_groups import RETENTION_DAYS
from regionbox.services.logs.metric_filters import check_pattern
from regionbox.services.logs.models import AccountPolicy, LogGroup
from regionbox.services.logs.state import LogsState, not_found, now_ms, retention_applies
from regionbox.services.logs.subscription_filters import SubscriptionFilters
from regionbox.services.logs.transformers import check_processors

MAX_DOCUMENT_CHARACTERS = 30_720
# How many policies of each type an account may have in a region.
LIMITS = {"DATA_PROTECTION_POLICY": 1, "SUBSCRIPTION_FILTER_POLICY": 1, "TRANSFORMER_POLICY": 20,
          "FIELD_INDEX_POLICY": 40, "METRIC_EXTRACTION_POLICY": 1, "RETENTION_POLICY": 20}
# The selection criteria each type accepts (the attribute the criteria names).
SELECTIONS = {"SUBSCRIPTION_FILTER_POLICY": ("LogGroupName NOT IN",), "TRANSFORMER_POLICY": ("LogGroupNamePrefix",),
              "FIELD_INDEX_POLICY": ("LogGroupNamePrefix", "DataSourceName"), "RETENTION_POLICY": ("LogGroupNamePrefix",)}
RETENTION_ACCOUNT_DAYS = tuple(d for d in RETENTION_DAYS if d >= 30)


def _key(policy_type: str, name: str) -> str:
    return f"{policy_type}:{name}"


def _object(document: str, what: str) -> dict:
    try:
        parsed = json.loads(document)
    except ValueError:
        raise invalid(f"Invalid {what} policy document: the policy document is not valid JSON.") from None
    if not isinstance(parsed, dict):
        raise invalid(f"Invalid {what} policy document: the policy document must be a JSON object.")
    return parsed


class AccountPolicies:
    def __init__(self, state: LogsState, subscriptions: SubscriptionFilters, paginator: Paginator) -> None:
        self.state = state
        self.policies = state.account_policies
        self.subscriptions = subscriptions
        self.paginator = paginator

    def _check(self, ctx: RequestContext, policy_type: str, document: str) -> None:
        if policy_type == "DATA_PROTECTION_POLICY":
            check_document(document)
        elif policy_type == "SUBSCRIPTION_FILTER_POLICY":
            parsed = _object(document, "subscription filter")
            if not isinstance(parsed.get("DestinationArn"), str):
                raise invalid("Invalid subscription filter policy document: DestinationArn is required.")
            if parsed.get("Distribution", "ByLogStream") not in ("ByLogStream", "Random"):
                raise invalid("Invalid subscription filter policy document: Distribution must be ByLogStream or Random.")
            check_pattern(parsed.get("FilterPattern", ""))
            self.subscriptions.check_destination(ctx, parsed["DestinationArn"], parsed.get("RoleArn"))
        elif policy_type == "TRANSFORMER_POLICY":
            check_processors(_object(document, "transformer").get("transformerConfig"))
        elif policy_type == "FIELD_INDEX_POLICY":
            check_index_document(document)
        elif policy_type == "RETENTION_POLICY":
            parsed = _object(document, "retention")
            days = parsed.get("retentionInDays")
            if days != "NEVER_EXPIRE" and days not in RETENTION_ACCOUNT_DAYS:
                raise invalid("Invalid retention policy document: retentionInDays must be NEVER_EXPIRE or one of "
                              f"{', '.join(map(str, RETENTION_ACCOUNT_DAYS))}.")
            if parsed.get("enforcementMode", "RETROACTIVE") not in ("NEW_ONLY", "RETROACTIVE"):
                raise invalid("Invalid retention policy document: enforcementMode must be NEW_ONLY or RETROACTIVE.")
        else:
            _object(document, "metric extraction")

    def put_account_policy(self, ctx: RequestContext, params: dict) -> dict:
        name, policy_type, document = params["policyName"], params["policyType"], params["policyDocument"]
        criteria = params.get("selectionCriteria")
        if name.startswith("aws/"):
            raise invalid("Invalid policy name: a policy name cannot start with aws/.")
        if len(document) > MAX_DOCUMENT_CHARACTERS:
            raise invalid(f"The policy document exceeds {MAX_DOCUMENT_CHARACTERS} characters.")
        if criteria is not None:
            allowed = SELECTIONS.get(policy_type)
            if allowed is None:
                raise invalid(f"selectionCriteria is not supported for policy type {policy_type}.")
            if not criteria.strip().startswith(allowed):
                raise invalid(f"Invalid selectionCriteria for {policy_type}: use {' or '.join(allowed)}.")
        if params.get("dryRun") and policy_type != "RETENTION_POLICY":
            raise invalid("dryRun is supported only for the RETENTION_POLICY policy type.")
        self._check(ctx, policy_type, document)
        key = _key(policy_type, name)
        existing = self.policies.get(ctx.scope, key)
        now = now_ms()
        policy = AccountPolicy(name=name, policy_type=policy_type, document=document, last_updated=now,
                               scope=params.get("scope") or "ALL", selection_criteria=criteria,
                               creation_time=existing.creation_time if existing else now)
        if params.get("dryRun"):
            return {"dryRunResult": self._impact(ctx, existing, policy)}
        if existing is None and len(self.state.account_policies_of(ctx.scope, policy_type)) >= LIMITS[policy_type]:
            raise ServiceError("LimitExceededException", f"The account already has the maximum number of "
                               f"{policy_type} account policies ({LIMITS[policy_type]}).")
        self.policies.put(ctx.scope, key, policy)
        return {"accountPolicy": self._shape(ctx, policy)}

    def describe_account_policies(self, ctx: RequestContext, params: dict) -> dict:
        accounts = params.get("accountIdentifiers") or [ctx.account_id]
        found = [] if ctx.account_id not in accounts else self.state.account_policies_of(ctx.scope, params["policyType"])
        if params.get("policyName"):
            found = [p for p in found if p.name == params["policyName"]]
        return page_of(self.paginator, sorted(found, key=lambda p: p.name), params, "accountPolicies",
                       lambda p: self._shape(ctx, p))

    def delete_account_policy(self, ctx: RequestContext, params: dict) -> dict:
        key = _key(params["policyType"], params["policyName"])
        existing = self.policies.get(ctx.scope, key)
        if existing is None:
            raise not_found(f"Policy with name [{params['policyName']}] does not exist")
        if params.get("dryRun"):
            if params["policyType"] != "RETENTION_POLICY":
                raise invalid("dryRun is supported only for the RETENTION_POLICY policy type.")
            return {"dryRunResult": self._impact(ctx, existing, None)}
        self.policies.delete(ctx.scope, key)
        return {}

    def _impact(self, ctx: RequestContext, before: AccountPolicy | None, after: AccountPolicy | None) -> dict:
        """What replacing the retention policy ``before`` by ``after`` (None: deleting it) would do."""
        counts = {"increased": 0, "decreased": 0, "unchanged": 0}
        impacts = []
        for group in self.state.groups.values(ctx.scope):
            current, _ = self.state.retention(ctx.scope, group)
            proposed = self._proposed(ctx, group, before, after)
            if current == proposed:
                counts["unchanged"] += 1
            elif current is None or (proposed is not None and proposed < current):
                counts["decreased"] += 1
            else:
                counts["increased"] += 1
            selected = after is not None and retention_applies(after, group) or \
                before is not None and retention_applies(before, group)
            if selected:
                stored = sum(self.state.stats(s).stored_bytes for s in self.state.streams_of(ctx.scope, group.name))
                impacts.append({"logGroupName": group.name, "currentRetention": _days(current),
                                "proposedRetention": _days(proposed), "storedBytes": stored})
        impacts.sort(key=lambda i: -i["storedBytes"])
        return {"totalMatchedLogGroups": sum(counts.values()), "increasedRetentionLogGroupCount": counts["increased"],
                "decreasedRetentionLogGroupCount": counts["decreased"],
                "unchangedRetentionLogGroupCount": counts["unchanged"], "failedAnalysisCount": 0,
                "topLogGroupsImpacted": impacts[:20]}

    def _proposed(self, ctx: RequestContext, group: LogGroup, before: AccountPolicy | None,
                  after: AccountPolicy | None) -> int | None:
        others = [p for p in self.state.account_policies_of(ctx.scope, "RETENTION_POLICY")
                  if before is None or p.name != before.name]
        candidates = [p for p in others + ([after] if after else []) if retention_applies(p, group)]
        if not candidates:
            return group.retention_in_days
        chosen = max(candidates, key=lambda p: len(p.selection_criteria or ""))
        days = json.loads(chosen.document)["retentionInDays"]
        return None if days == "NEVER_EXPIRE" else int(days)

    @staticmethod
    def _shape(ctx: RequestContext, policy: AccountPolicy) -> dict:
        shape: dict[str, Any] = {"policyName": policy.name, "policyDocument": policy.document,
                                 "lastUpdatedTime": policy.last_updated, "policyType": policy.policy_type,
                                 "scope": policy.scope, "accountId": ctx.account_id}
        if policy.selection_criteria is not None:
            shape["selectionCriteria"] = policy.selection_criteria
        return shape


def _days(days: int | None) -> str:
    return "NEVER_EXPIRE" if days is None else str(days)
