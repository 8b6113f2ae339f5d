"""Event subscriptions: CreateEventSubscription, ModifyEventSubscription, DeleteEventSubscription,
DescribeEventSubscriptions, AddSourceIdentifierToSubscription, RemoveSourceIdentifierFromSubscription.

A subscription names an SNS topic, a source type, event categories (DescribeEventCategories'
table) and source identifiers, all checked as RDS checks them. regionbox serves no SNS, so no
topic exists to deliver to: a subscription is stored and listed with AWS's status for that case,
``topic-not-exist``, and nothing is delivered (the events themselves are in DescribeEvents). This
is the same stance CloudTrail takes on SNS topics, stated here rather than pretended.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Callable

from regionbox.core import clock
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.services.rds import validation as check
from regionbox.services.rds.account import quota
from regionbox.services.rds.event_categories import CATEGORIES, source_type
from regionbox.services.rds.models import EventSubscription, RdsState

NAME = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,254}(?<!-)$")
TOPIC = re.compile(r"^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$")
# What a subscription's status is while regionbox serves no SNS: AWS's status for a missing topic.
NO_TOPIC_STATUS = "topic-not-exist"


def not_found(name: str) -> ServiceError:
    return ServiceError("SubscriptionNotFound", f"Subscription {name} not found.", 404)


class EventSubscriptions:
    def __init__(self, state: RdsState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator
        # source type -> does (scope, identifier) name such a source: the types whose resources RDS keeps here.
        self.sources: dict[str, Callable[[Scope, str], bool]] = {
            "db-instance": lambda scope, name: (scope, name.lower()) in state.instances,
            "db-snapshot": lambda scope, name: (scope, name.lower()) in state.snapshots,
            "db-parameter-group": lambda scope, name: name.lower().startswith("default.postgres")
            or (scope, name.lower()) in state.parameter_groups,
        }

    # -- checks -----------------------------------------------------------------------------------
    @staticmethod
    def _topic(arn: str) -> str:
        if not TOPIC.match(arn):
            raise ServiceError("SNSInvalidTopic", f"Invalid SNS topic ARN: {arn}")
        return arn

    @staticmethod
    def _categories(kind: str | None, categories: list[str]) -> list[str]:
        allowed = set(CATEGORIES[kind]) if kind else {c for listed in CATEGORIES.values() for c in listed}
        for category in categories:
            if category not in allowed:
                raise ServiceError("SubscriptionCategoryNotFound", f"Category {category} not found.", 404)
        return list(dict.fromkeys(categories))

    def _source(self, scope: Scope, kind: str | None, identifier: str) -> str:
        if kind is None:
            raise check.combination("A SourceType must be specified to add source identifiers to a subscription.")
        exists = self.sources.get(kind)
        if exists is None or not exists(scope, identifier):
            raise ServiceError("SourceNotFound", f"Source {identifier} of type {kind} not found.", 404)
        return identifier

    def _get(self, ctx, name: str) -> EventSubscription:
        subscription = self.state.subscriptions.get(ctx.scope, name.lower())
        if subscription is None:
            raise not_found(name)
        return subscription

    @staticmethod
    def describe(ctx, subscription: EventSubscription, status: str = NO_TOPIC_STATUS) -> dict:
        created = datetime.fromtimestamp(subscription.created_at, timezone.utc)
        described = {"CustomerAwsId": ctx.account_id, "CustSubscriptionId": subscription.name,
                     "SnsTopicArn": subscription.topic_arn, "Status": status,
                     # A string in the model: RDS writes it as Date.toString() does.
                     "SubscriptionCreationTime": created.strftime("%a %b %d %H:%M:%S UTC %Y"),
                     "SourceIdsList": subscription.source_ids, "EventCategoriesList": subscription.categories,
                     "Enabled": subscription.enabled, "EventSubscriptionArn": subscription.arn}
        if subscription.source_type:
            described["SourceType"] = subscription.source_type
        return described

    def _save(self, ctx, subscription: EventSubscription) -> None:
        self.state.subscriptions.put(ctx.scope, subscription.name, subscription)

    # -- operations --------------------------------------------------------------------------------
    def create_event_subscription(self, ctx, params: dict) -> dict:
        name = params["SubscriptionName"]
        if not NAME.match(name):
            raise invalid(f"The parameter SubscriptionName is not a valid identifier: {name}. It must begin with a letter "
                          "and contain only ASCII letters, digits, and hyphens.")
        name = name.lower()
        topic = self._topic(params["SnsTopicArn"])
        kind = source_type(params.get("SourceType"))
        categories = self._categories(kind, params.get("EventCategories") or [])
        source_ids = [self._source(ctx.scope, kind, s) for s in params.get("SourceIds") or []]
        if (ctx.scope, name) in self.state.subscriptions:
            raise ServiceError("SubscriptionAlreadyExist", f"Subscription {name} already exists.")
        if len(self.state.subscriptions.values(ctx.scope)) >= quota("EventSubscriptions"):
            raise ServiceError("EventSubscriptionQuotaExceeded", f"You have reached the maximum number of event "
                               f"subscriptions ({quota('EventSubscriptions')}).")
        subscription = EventSubscription(name=name, arn=ctx.arn("rds", f"es:{name}"), topic_arn=topic, created_at=clock.epoch(),
                                         source_type=kind, source_ids=list(dict.fromkeys(source_ids)), categories=categories,
                                         enabled=params.get("Enabled", True), tags=params.get("Tags") or [])
        self._save(ctx, subscription)
        return {"EventSubscription": self.describe(ctx, subscription, "creating")}

    def modify_event_subscription(self, ctx, params: dict) -> dict:
        subscription = self._get(ctx, params["SubscriptionName"])
        if params.get("SnsTopicArn") is not None:
            subscription.topic_arn = self._topic(params["SnsTopicArn"])
        kind = subscription.source_type
        if params.get("SourceType") is not None:
            kind = source_type(params["SourceType"])
            if kind != subscription.source_type and subscription.source_ids:
                raise check.combination("The source type of a subscription that has source identifiers cannot be changed: "
                                        "remove them first.")
        categories = params["EventCategories"] if params.get("EventCategories") is not None else subscription.categories
        subscription.categories = self._categories(kind, categories)
        subscription.source_type = kind
        if params.get("Enabled") is not None:
            subscription.enabled = params["Enabled"]
        self._save(ctx, subscription)
        return {"EventSubscription": self.describe(ctx, subscription, "modifying")}

    def delete_event_subscription(self, ctx, params: dict) -> dict:
        subscription = self._get(ctx, params["SubscriptionName"])
        self.state.subscriptions.delete(ctx.scope, subscription.name)
        return {"EventSubscription": self.describe(ctx, subscription, "deleting")}

    def describe_event_subscriptions(self, ctx, params: dict) -> dict:
        name = params.get("SubscriptionName")
        subscriptions = [self._get(ctx, name)] if name else self.state.subscriptions.values(ctx.scope)
        return check.paged(self.paginator, "EventSubscriptionsList", [self.describe(ctx, s) for s in subscriptions], params)

    def add_source_identifier_to_subscription(self, ctx, params: dict) -> dict:
        subscription = self._get(ctx, params["SubscriptionName"])
        identifier = self._source(ctx.scope, subscription.source_type, params["SourceIdentifier"])
        if identifier not in subscription.source_ids:
            subscription.source_ids.append(identifier)
            self._save(ctx, subscription)
        return {"EventSubscription": self.describe(ctx, subscription)}

    def remove_source_identifier_from_subscription(self, ctx, params: dict) -> dict:
        subscription = self._get(ctx, params["SubscriptionName"])
        identifier = params["SourceIdentifier"]
        if identifier not in subscription.source_ids:
            raise ServiceError("SourceNotFound", f"Source {identifier} is not in subscription {subscription.name}.", 404)
        subscription.source_ids.remove(identifier)
        self._save(ctx, subscription)
        return {"EventSubscription": self.describe(ctx, subscription)}
