"""Subscription filters: PutSubscriptionFilter, DescribeSubscriptionFilters,
DeleteSubscriptionFilter, and the delivery of what they match as their group accepts events.

A group has at most two filters (LimitExceededException beyond, as on AWS). A filter delivers to
a Kinesis data stream, Firehose stream or Lambda function of its own account (checked through
targets.py, with AWS's error when it does not exist), or to a CloudWatch Logs destination, of its
own account or of another whose access policy allows the caller (destinations.py); events then
go on to that destination's target. Each batch of matching events of one PutLogEvents is one
record, the gzip-compressed DATA_MESSAGE AWS sends; Kinesis records are keyed by log stream
(``ByLogStream``) or at random (``Random``).
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.services.logs.destinations import Destinations
from regionbox.services.logs.event_table import StoredEvent, event_id
from regionbox.services.logs.listing import page_of
from regionbox.services.logs.metric_filters import check_pattern, refuse_class
from regionbox.services.logs.models import LogGroup, LogStream, SubscriptionFilter
from regionbox.services.logs.patterns import Predicate, compile_pattern
from regionbox.services.logs.state import LogsState, member_key, not_found, now_ms, selection_values
from regionbox.services.logs.targets import Targets, data_message, target_service
from regionbox.services.logs.transformers import Transformers

FILTERS_PER_GROUP = 2

log = logging.getLogger("regionbox.logs")


class SubscriptionFilters:
    def __init__(self, state: LogsState, targets: Targets, destinations: Destinations, transformers: Transformers,
                 paginator: Paginator) -> None:
        self.state = state
        self.transformers = transformers
        self.filters = state.subscription_filters
        self.targets = targets
        self.destinations = destinations
        self.paginator = paginator
        self._compiled: dict[str, Predicate] = {}
        state.listeners.append(self._accepted)

    def put_subscription_filter(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group(ctx.scope, params["logGroupName"])
        refuse_class(group, "Subscription filters")
        check_pattern(params["filterPattern"])
        key = member_key(group.name, params["filterName"])
        existing = self.filters.get(ctx.scope, key)
        if existing is None and sum(1 for f in self.filters.values(ctx.scope) if f.group == group.name) >= FILTERS_PER_GROUP:
            raise ServiceError("LimitExceededException", "Resource limit exceeded.")
        arn = params["destinationArn"]
        self.check_destination(ctx, arn, params.get("roleArn"))
        self.filters.put(ctx.scope, key, SubscriptionFilter(
            group=group.name, name=params["filterName"], pattern=params["filterPattern"], destination_arn=arn,
            creation_time=existing.creation_time if existing else now_ms(), role_arn=params.get("roleArn"),
            distribution=params.get("distribution") or "ByLogStream",
            apply_on_transformed_logs=bool(params.get("applyOnTransformedLogs")),
            field_selection_criteria=params.get("fieldSelectionCriteria"),
            emit_system_fields=list(params.get("emitSystemFields") or [])))
        return {}

    def delete_subscription_filter(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group(ctx.scope, params["logGroupName"])
        if self.filters.delete(ctx.scope, member_key(group.name, params["filterName"])) is None:
            raise not_found("The specified subscription filter does not exist.")
        return {}

    def describe_subscription_filters(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group(ctx.scope, params["logGroupName"])
        prefix = params.get("filterNamePrefix") or ""
        found = sorted((f for f in self.filters.values(ctx.scope) if f.group == group.name and f.name.startswith(prefix)),
                       key=lambda f: f.name)
        return page_of(self.paginator, found, params, "subscriptionFilters", self._shape)

    @staticmethod
    def _shape(found: SubscriptionFilter) -> dict:
        shape: dict[str, Any] = {"filterName": found.name, "logGroupName": found.group, "filterPattern": found.pattern,
                                 "destinationArn": found.destination_arn, "distribution": found.distribution,
                                 "applyOnTransformedLogs": found.apply_on_transformed_logs,
                                 "creationTime": found.creation_time}
        if found.role_arn:
            shape["roleArn"] = found.role_arn
        if found.field_selection_criteria is not None:
            shape["fieldSelectionCriteria"] = found.field_selection_criteria
        if found.emit_system_fields:
            shape["emitSystemFields"] = found.emit_system_fields
        return shape

    # -- delivery --------------------------------------------------------------------------------
    def _subscriptions(self, scope: Scope, group: LogGroup) -> list[SubscriptionFilter]:
        """The group's own filters, and the account's subscription filter policy if it selects it
        (as a filter named after the policy)."""
        found = [f for f in self.filters.values(scope) if f.group == group.name]
        for policy in self.state.account_policies_of(scope, "SUBSCRIPTION_FILTER_POLICY"):
            excluded = selection_values(policy.selection_criteria or "", "LogGroupName") or []
            if group.name in excluded:
                continue
            document = json.loads(policy.document)
            found.append(SubscriptionFilter(group=group.name, name=policy.name, pattern=document.get("FilterPattern", ""),
                                            destination_arn=document["DestinationArn"], creation_time=0,
                                            role_arn=document.get("RoleArn"),
                                            distribution=document.get("Distribution", "ByLogStream"),
                                            account_level=True))
        return found

    def _accepted(self, scope: Scope, group: LogGroup, stream: LogStream, events: list[StoredEvent]) -> None:
        for found in self._subscriptions(scope, group):
            matches = self._compiled.get(found.pattern) or self._compiled.setdefault(found.pattern,
                                                                                     compile_pattern(found.pattern))
            messages = [self.transformers.transformed(scope, group, e.message) if found.apply_on_transformed_logs
                        else e.message for e in events]
            matched = [{"id": event_id(e), "timestamp": e.timestamp, "message": message}
                       for e, message in zip(events, messages) if matches(message)]
            if not matched:
                continue
            target = found.destination_arn
            if target_service(target) == "logs":
                destination = self.destinations.by_arn(target)
                if destination is None:
                    continue  # a deleted destination disables the filters that publish to it
                target = destination.target_arn
            deliver = self.targets.find(target)
            if deliver is None:
                log.warning("logs: subscription filter %s of %s: its target %s is gone", found.name, group.name, target)
                continue
            key = stream.name if found.distribution == "ByLogStream" else str(uuid.uuid4())
            deliver(data_message(scope[0], group.name, stream.name, [found.name], matched,
                                 "ACCOUNT_LEVEL_POLICY" if found.account_level else None), key)

    def check_destination(self, ctx: RequestContext, arn: str, role_arn: str | None) -> None:
        """A subscription's destination, checked as AWS checks it: another account's only through
        a Logs destination that lets the caller in; a stream or function of the caller's own
        account that exists (with a role Logs can use, for streams)."""
        service = target_service(arn)
        if service == "logs":
            self.destinations.authorize(ctx, arn)
            return
        if arn.split(":")[4] != ctx.account_id:
            raise ServiceError("InvalidParameterException", "A subscription filter delivers to a Kinesis data "
                               "stream, Firehose stream or Lambda function of its own account; use a destination "
                               "for another account.")
        if service != "lambda":
            self.destinations.check_role(role_arn, arn)
        self.targets.check(arn, now_ms())
