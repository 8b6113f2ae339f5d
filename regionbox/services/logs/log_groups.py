"""Log groups: create, describe, delete (with deletion protection), retention, and tags (the
current ARN-based API and the deprecated name-based one)."""

from __future__ import annotations

from typing import Iterable

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.store import Scope
from regionbox.services.logs.data_protection import DataProtection
from regionbox.services.logs.listing import KeyPages
from regionbox.services.logs.metric_filters import MetricFilters
from regionbox.services.logs.models import LogGroup
from regionbox.services.logs.state import LogsState, not_found

RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
TAGS_MAX = 50
GROUP_RESOURCE = "AWS::Logs::LogGroup"


class LogGroups:
    def __init__(self, state: LogsState, pages: KeyPages, metric_filters: MetricFilters, masking: DataProtection) -> None:
        self.state = state
        self.groups = state.groups
        self.pages = pages
        self.metric_filters = metric_filters
        self.masking = masking

    def _save(self, ctx: RequestContext, group: LogGroup) -> None:
        self.groups.put(ctx.scope, group.name, group)
        ctx.touched(GROUP_RESOURCE, group.name)

    def create_log_group(self, ctx: RequestContext, params: dict) -> dict:
        name = params["logGroupName"]
        if (ctx.scope, name) in self.groups:
            raise ServiceError("ResourceAlreadyExistsException", "The specified log group already exists")
        tags = params.get("tags") or {}
        if len(tags) > TAGS_MAX:
            raise invalid(f"A log group can have at most {TAGS_MAX} tags.")
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
        if group.retention_in_days is not None:
            shape["retentionInDays"] = group.retention_in_days
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
        self.state.purge_expired(group)
        return {}

    def delete_retention_policy(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group(ctx.scope, params["logGroupName"])
        group.retention_in_days = None
        self._save(ctx, group)
        return {}

    # -- tags ----------------------------------------------------------------------------------
    def _by_arn(self, ctx: RequestContext, arn: str) -> LogGroup:
        parts = arn.removesuffix(":*").split(":")
        if len(parts) != 7 or parts[2] != "logs" or parts[5] != "log-group":
            raise invalid(f"Invalid resource ARN: {arn}")
        if parts[3] != ctx.region or parts[4] != ctx.account_id:
            raise not_found("The specified resource does not exist.")
        group = self.groups.get(ctx.scope, parts[6])
        if group is None:
            raise not_found("The specified resource does not exist.")
        return group

    def _tag(self, ctx: RequestContext, group: LogGroup, tags: dict) -> None:
        merged = {**group.tags, **tags}
        if len(merged) > TAGS_MAX:
            raise ServiceError("TooManyTagsException", f"A resource can have no more than {TAGS_MAX} tags.",
                               resourceName=group.arn)
        group.tags = merged
        self._save(ctx, group)

    def _untag(self, ctx: RequestContext, group: LogGroup, keys: Iterable[str]) -> None:
        for key in keys:
            group.tags.pop(key, None)
        self._save(ctx, group)

    def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        self._tag(ctx, self._by_arn(ctx, params["resourceArn"]), params["tags"])
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        self._untag(ctx, self._by_arn(ctx, params["resourceArn"]), params["tagKeys"])
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, params: dict) -> dict:
        return {"tags": dict(self._by_arn(ctx, params["resourceArn"]).tags)}

    def tag_log_group(self, ctx: RequestContext, params: dict) -> dict:
        self._tag(ctx, self.state.group(ctx.scope, params["logGroupName"]), params["tags"])
        return {}

    def untag_log_group(self, ctx: RequestContext, params: dict) -> dict:
        self._untag(ctx, self.state.group(ctx.scope, params["logGroupName"]), params["tags"])
        return {}

    def list_tags_log_group(self, ctx: RequestContext, params: dict) -> dict:
        return {"tags": dict(self.state.group(ctx.scope, params["logGroupName"]).tags)}
