"""Field index policies: PutIndexPolicy, DescribeIndexPolicies, DeleteIndexPolicy, and the
field indexes they give a log group (DescribeFieldIndexes).

A policy names the fields to index (``Fields``, or ``FieldsV2`` with a type each: FIELD_INDEX
or FACET), at least one and at most 20 per group, as AWS's quota. A group's own policy wins
over an account-level one (PutAccountPolicy FIELD_INDEX_POLICY) that selects it by name prefix.
Indexes change how fast AWS answers Insights queries, not what: regionbox's queries scan either
way, so a policy is kept and reported, and DescribeFieldIndexes shows the default indexes every
Standard group has plus the policy's, with the first and last event that carries each field.
"""

from __future__ import annotations

import json
from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.services.logs.insights import record_of
from regionbox.services.logs.listing import page_of
from regionbox.services.logs.models import GroupPolicy, LogGroup
from regionbox.services.logs.state import LogsState, not_found, now_ms, selection_values

FIELDS_PER_GROUP = 20
INDEX_TYPES = ("FIELD_INDEX", "FACET")
# The fields CloudWatch Logs indexes in every Standard log group.
DEFAULT_INDEXES = ("@logStream", "@aws.region", "@aws.account", "@source.log", "@data_source_name",
                   "@data_source_type", "@data_format", "traceId", "severityText", "attributes.session.id")
SCAN_LIMIT = 50_000  # events looked at per group for a field's first and last event


def check_index_document(text: str) -> dict[str, str]:
    """The fields of an index policy document and their types, or AWS's refusal of it."""
    try:
        document = json.loads(text)
    except ValueError:
        raise invalid("Invalid index policy document: the policy document is not valid JSON.") from None
    if not isinstance(document, dict):
        raise invalid("Invalid index policy document: the policy document must be a JSON object.")
    fields, typed = document.get("Fields") or [], document.get("FieldsV2") or {}
    if not isinstance(fields, list) or not all(isinstance(f, str) and f for f in fields) or not isinstance(typed, dict):
        raise invalid("Invalid index policy document: Fields is a list of field names and FieldsV2 an object.")
    found = dict.fromkeys(fields, "FIELD_INDEX")
    for name, spec in typed.items():
        if name in found:
            raise invalid(f"Invalid index policy document: field {name} is in both Fields and FieldsV2.")
        kind = spec.get("type") if isinstance(spec, dict) else None
        if kind not in INDEX_TYPES:
            raise invalid(f"Invalid index policy document: the type of field {name} must be FIELD_INDEX or FACET.")
        found[name] = kind
    if not found:
        raise invalid("Invalid index policy document: the policy must include at least one field index.")
    if len(found) > FIELDS_PER_GROUP:
        raise ServiceError("LimitExceededException",
                           f"An index policy can include at most {FIELDS_PER_GROUP} field indexes.")
    return found


class IndexPolicies:
    def __init__(self, state: LogsState, paginator: Paginator) -> None:
        self.state = state
        self.policies = state.index_policies
        self.paginator = paginator

    def put_index_policy(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group_named(ctx, params)
        if group.log_group_class != "STANDARD":
            raise ServiceError("InvalidOperationException", "Field index policies are supported only for log groups "
                               "in the STANDARD log class.")
        check_index_document(params["policyDocument"])
        existing = self.policies.get(ctx.scope, group.name)
        policy = GroupPolicy(group.name, params["policyDocument"], now_ms(),
                             existing.creation_time if existing else now_ms())
        self.policies.put(ctx.scope, group.name, policy)
        return {"indexPolicy": self._shape(group, policy)}

    def delete_index_policy(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group_named(ctx, params)
        if self.policies.delete(ctx.scope, group.name) is None:
            raise not_found(f"No index policy found for log group {group.name}.")
        return {}

    def describe_index_policies(self, ctx: RequestContext, params: dict) -> dict:
        found = []
        for identifier in params["logGroupIdentifiers"]:
            group = self.state.group(ctx.scope, self.state.name_from_identifier(ctx, identifier))
            own = self.policies.get(ctx.scope, group.name)
            if own is not None:
                found.append(self._shape(group, own))
            else:
                found.extend(self._account_shape(group, p) for p in self._account_policies(ctx.scope, group))
        return page_of(self.paginator, found, params, "indexPolicies")

    def effective(self, scope: Scope, group: LogGroup) -> dict[str, str]:
        """Field -> index type for a group: its own policy's, else the account policies' that select it."""
        own = self.policies.get(scope, group.name)
        if own is not None:
            return check_index_document(own.document)
        fields: dict[str, str] = {}
        for policy in self._account_policies(scope, group):
            fields.update(check_index_document(policy.document))
        return fields

    def _account_policies(self, scope: Scope, group: LogGroup) -> list:
        chosen = []
        for policy in self.state.account_policies_of(scope, "FIELD_INDEX_POLICY"):
            prefixes = selection_values(policy.selection_criteria or "", "LogGroupNamePrefix")
            if policy.selection_criteria and prefixes is None:
                continue  # selects by data source, which regionbox's log groups do not carry
            if prefixes is None or any(group.name.startswith(p) for p in prefixes):
                chosen.append(policy)
        return chosen

    def describe_field_indexes(self, ctx: RequestContext, params: dict) -> dict:
        categories = set(params.get("indexCategories") or ("DEFAULT", "CUSTOM", "INACTIVE"))
        found = []
        for identifier in params["logGroupIdentifiers"]:
            group = self.state.group(ctx.scope, self.state.name_from_identifier(ctx, identifier))
            custom = self.effective(ctx.scope, group)
            wanted = [(name, "DEFAULT", "FIELD_INDEX") for name in DEFAULT_INDEXES if "DEFAULT" in categories] + \
                     [(name, "CUSTOM", kind) for name, kind in custom.items() if "CUSTOM" in categories]
            seen = self._event_times(ctx.scope, group, [name for name, _, _ in wanted])
            for name, category, kind in wanted:
                index: dict[str, Any] = {"logGroupIdentifier": group.arn, "fieldIndexName": name, "type": kind,
                                         "indexCategory": category, "lastScanTime": now_ms()}
                if name in seen:
                    index["firstEventTime"], index["lastEventTime"] = seen[name]
                found.append(index)
        return page_of(self.paginator, found, params, "fieldIndexes")

    def _event_times(self, scope: Scope, group: LogGroup, fields: list[str]) -> dict[str, tuple[int, int]]:
        """For each field, the times of the first and last of the group's events that carry it."""
        streams = {s.sid: s.name for s in self.state.streams_of(scope, group.name)}
        times: dict[str, tuple[int, int]] = {}
        for count, event in enumerate(self.state.events.read(gid=group.gid)):
            if count >= SCAN_LIMIT:
                break
            record = record_of(event.timestamp, event.message, streams.get(event.sid, ""), group.name,
                               event.ingestion_time, "")
            for name in fields:
                if name in record:
                    first = times.get(name, (event.timestamp, event.timestamp))[0]
                    times[name] = (first, event.timestamp)
        return times

    @staticmethod
    def _shape(group: LogGroup, policy: GroupPolicy) -> dict:
        return {"logGroupIdentifier": group.arn, "lastUpdateTime": policy.last_updated,
                "policyDocument": policy.document, "source": "LOG_GROUP"}

    @staticmethod
    def _account_shape(group: LogGroup, policy) -> dict:
        return {"logGroupIdentifier": group.arn, "lastUpdateTime": policy.last_updated,
                "policyDocument": policy.document, "policyName": policy.name, "source": "ACCOUNT"}
