"""Log groups: create, describe and list, delete (with deletion protection), retention, bearer
token authentication, and tags by group name (the deprecated API; TagResource & co are tags.py).

A group's class (STANDARD, INFREQUENT_ACCESS, DELIVERY, ESSENTIALS) is set when it is created
and never changes; the features AWS keeps for Standard groups refuse the others where they are
(metric and subscription filters, Live Tail, transformers, field indexes, anomaly detection)."""

from __future__ import annotations

from typing import Callable

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.services.logs.data_protection import DataProtection
from regionbox.services.logs.listing import KeyPages, describe_rule, page_of
from regionbox.services.logs.metric_filters import MetricFilters
from regionbox.services.logs.models import LogGroup
from regionbox.services.logs.state import LogsState
from regionbox.services.logs.tags import checked_tags, merge_tags

RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
GROUP_RESOURCE = "AWS::Logs::LogGroup"
LIST_PAGES = describe_rule(maximum=1000)


class LogGroups:
    def __init__(self, state: LogsState, pages: KeyPages, paginator: Paginator, metric_filters: MetricFilters,
                 masking: DataProtection, indexes: Callable[[Scope, LogGroup], dict]) -> None:
        self.state = state
        self.groups = state.groups
        self.pages = pages
        self.paginator = paginator
        self.metric_filters = metric_filters
        self.masking = masking
        self.indexes = indexes  # a group's field indexes (index_policies.py)

    def _save(self, ctx: RequestContext, group: LogGroup) -> None:
        self.groups.put(ctx.scope, group.name, group)
        ctx.touched(GROUP_RESOURCE, group.name)

    def create_log_group(self, ctx: RequestContext, params: dict) -> dict:
        name = params["logGroupName"]
        if (ctx.scope, name) in self.groups:
            raise ServiceError("ResourceAlreadyExistsException", "The specified log group already exists")
        tags = checked_tags(params.get("tags"))
        self.state.create_group(ctx.scope, name, kms_key_id=params.get("kmsKeyId"),
                                log_group_class=params.get("logGroupClass") or "STANDARD",
                                deletion_protection=bool(params.get("deletionProtectionEnabled")), tags=dict(tags))
        ctx.touched(GROUP_RESOURCE, name)
        return {}

    def delete_log_group(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group(ctx.scope, params["logGroupName"])
        if group.deletion_protection:
            raise ServiceError("ValidationException",
                               f"Log group {group.name} has deletion protection enabled and cannot be deleted.")
        self.state.delete_group(ctx.scope, group)
        ctx.touched(GROUP_RESOURCE, group.name)
        return {}

    def put_log_group_deletion_protection(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group_named(ctx, params)
        group.deletion_protection = bool(params["deletionProtectionEnabled"])
        self._save(ctx, group)
        return {}

    def _shape(self, scope: Scope, group: LogGroup) -> dict:
        shape = {
            "logGroupName": group.name,
            "creationTime": group.creation_time,
            "metricFilterCount": self.metric_filters.count(scope, group.name),
            "arn": f"{group.arn}:*",
            "logGroupArn": group.arn,
            "storedBytes": sum(self.state.stats(s).stored_bytes for s in self.state.streams_of(scope, group.name)),
            "logGroupClass": group.log_group_class,
            "deletionProtectionEnabled": group.deletion_protection,
        }
        days, policy = self.state.retention(scope, group)
        if days is not None:
            shape["retentionInDays"] = days
        if policy is not None:
            shape["retentionPolicyName"] = policy
        if group.kms_key_id:
            shape["kmsKeyId"] = group.kms_key_id
        if self.masking.active(scope, group):
            shape["dataProtectionStatus"] = "ACTIVATED"
        if group.bearer_token_authentication:
            shape["bearerTokenAuthenticationEnabled"] = True
        return shape

    def describe_log_groups(self, ctx: RequestContext, params: dict) -> dict:
        prefix, pattern = params.get("logGroupNamePrefix"), params.get("logGroupNamePattern")
        identifiers = params.get("logGroupIdentifiers")
        if prefix and pattern:
            raise invalid("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
        if identifiers and (prefix or pattern):
            raise invalid("LogGroup identifiers and LogGroup name prefix or pattern are mutually exclusive parameters.")
        groups = self.groups.values(ctx.scope)
        if prefix:
            groups = [g for g in groups if g.name.startswith(prefix)]
        if pattern:
            # logGroupNamePattern is a case-insensitive substring match.
            groups = [g for g in groups if pattern.lower() in g.name.lower()]
        if identifiers:
            wanted = {self._name_or_none(ctx, i) for i in identifiers}
            groups = [g for g in groups if g.name in wanted]
        if params.get("logGroupClass"):
            groups = [g for g in groups if g.log_group_class == params["logGroupClass"]]
        page, token = self.pages.page(groups, lambda g: (g.name,), params)
        result: dict = {"logGroups": [self._shape(ctx.scope, g) for g in page]}
        if token:
            result["nextToken"] = token
        return result

    def list_log_groups(self, ctx: RequestContext, params: dict) -> dict:
        groups = sorted(self.groups.values(ctx.scope), key=lambda g: g.name)
        if params.get("logGroupNamePattern"):
            # "^" anchors an alternative at the start of the name; otherwise it matches anywhere.
            alternatives = params["logGroupNamePattern"].split("|")
            groups = [g for g in groups if any(g.name.startswith(a[1:]) if a.startswith("^") else a in g.name
                                               for a in alternatives)]
        if params.get("logGroupClass"):
            groups = [g for g in groups if g.log_group_class == params["logGroupClass"]]
        for wanted in params.get("logGroupTags") or []:
            groups = [g for g in groups if wanted["key"] in g.tags
                      and (not wanted.get("values") or g.tags[wanted["key"]] in wanted["values"])]
        if params.get("fieldIndexNames"):
            groups = [g for g in groups if set(params["fieldIndexNames"]) & set(self.indexes(ctx.scope, g))]
        if params.get("dataSources"):
            groups = []  # no group of regionbox's carries a data source (vended logs label theirs)
        if params.get("accountIdentifiers") and ctx.account_id not in params["accountIdentifiers"]:
            groups = []  # other accounts' groups are shared only with monitoring accounts (OAM), not served
        return page_of(self.paginator, groups, params, "logGroups",
                       lambda g: {"logGroupName": g.name, "logGroupArn": g.arn, "logGroupClass": g.log_group_class},
                       rule=LIST_PAGES)

    def list_aggregate_log_group_summaries(self, ctx: RequestContext, params: dict) -> dict:
        # Summaries group log groups by their data source (name, type, format); regionbox's groups
        # carry none, so there is nothing to aggregate.
        return page_of(self.paginator, [], params, "aggregateLogGroupSummaries")

    def _name_or_none(self, ctx: RequestContext, identifier: str) -> str | None:
        try:
            return self.state.name_from_identifier(ctx, identifier.removesuffix(":*"))
        except ServiceError:
            return None

    # -- retention -----------------------------------------------------------------------------
    def put_retention_policy(self, ctx: RequestContext, params: dict) -> dict:
        days = params["retentionInDays"]
        if days not in RETENTION_DAYS:
            raise invalid(f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy "
                          f"constraint: Member must satisfy enum value set: [{', '.join(map(str, RETENTION_DAYS))}]")
        group = self.state.group(ctx.scope, params["logGroupName"])
        group.retention_in_days = days
        self._save(ctx, group)
        self.state.purge_expired(ctx.scope, group)
        return {}

    def delete_retention_policy(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group(ctx.scope, params["logGroupName"])
        group.retention_in_days = None
        self._save(ctx, group)
        return {}

    # -- tags by group name (deprecated by AWS for TagResource & co, tags.py) -------------------
    def tag_log_group(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group(ctx.scope, params["logGroupName"])
        group.tags = merge_tags(group.arn, group.tags, params["tags"])
        self._save(ctx, group)
        return {}

    def untag_log_group(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group(ctx.scope, params["logGroupName"])
        for key in params["tags"]:
            group.tags.pop(key, None)
        self._save(ctx, group)
        return {}

    def list_tags_log_group(self, ctx: RequestContext, params: dict) -> dict:
        return {"tags": dict(self.state.group(ctx.scope, params["logGroupName"]).tags)}

    def put_bearer_token_authentication(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group_named(ctx, params)
        group.bearer_token_authentication = bool(params["bearerTokenAuthenticationEnabled"])
        self._save(ctx, group)
        return {}
