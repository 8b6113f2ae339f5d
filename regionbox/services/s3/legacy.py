"""The deprecated bucket APIs, GetBucketLifecycle/PutBucketLifecycle and GetBucketNotification/
PutBucketNotification, on the current configurations, as S3 keeps one configuration for both.

On the wire they share their URI and XML elements with the current operations, and the router
resolves such a request to the current one (current before deprecated), whose handlers read and
write the same documents: an old SDK's call works unchanged. These adapters are what the
registration table names for them, mapping the old shapes (one configuration of each kind, the
single Event) to the current ones.
"""

from __future__ import annotations

from regionbox.core.context import RequestContext
from regionbox.services.s3.lifecycle import Lifecycle
from regionbox.services.s3.notifications import NotificationConfigurations

# old member -> (current list member, old ARN member, current ARN member)
KINDS = {"TopicConfiguration": ("TopicConfigurations", "Topic", "TopicArn"),
         "QueueConfiguration": ("QueueConfigurations", "Queue", "QueueArn"),
         "CloudFunctionConfiguration": ("LambdaFunctionConfigurations", "CloudFunction", "LambdaFunctionArn")}


class Legacy:
    def __init__(self, lifecycle: Lifecycle, notifications: NotificationConfigurations) -> None:
        self.lifecycle = lifecycle
        self.notifications = notifications

    def put_bucket_lifecycle(self, ctx: RequestContext, params: dict) -> dict:
        self.lifecycle.put_bucket_lifecycle_configuration(ctx, params)  # rules with a bare Prefix: the same rules
        return {}

    def get_bucket_lifecycle(self, ctx: RequestContext, params: dict) -> dict:
        rules = self.lifecycle.get_bucket_lifecycle_configuration(ctx, params)["Rules"]
        return {"Rules": [{**{k: v for k, v in rule.items() if k != "Filter"},
                           "Prefix": rule.get("Prefix", (rule.get("Filter") or {}).get("Prefix", ""))} for rule in rules]}

    def put_bucket_notification(self, ctx: RequestContext, params: dict) -> dict:
        old = params.get("NotificationConfiguration") or {}
        current: dict = {}
        for member, (kind, old_arn, arn) in KINDS.items():
            config = old.get(member)
            if config:
                events = config.get("Events") or ([config["Event"]] if config.get("Event") else [])
                current[kind] = [{**({"Id": config["Id"]} if config.get("Id") else {}), arn: config.get(old_arn, ""),
                                  "Events": events}]
        return self.notifications.put_bucket_notification_configuration(
            ctx, {"Bucket": params["Bucket"], "NotificationConfiguration": current})

    def get_bucket_notification(self, ctx: RequestContext, params: dict) -> dict:
        current = self.notifications.get_bucket_notification_configuration(ctx, params)
        output = {}
        for member, (kind, old_arn, arn) in KINDS.items():
            if current.get(kind):
                config = current[kind][0]  # the old API shows one configuration of each kind
                output[member] = {"Id": config.get("Id"), old_arn: config[arn], "Events": config.get("Events") or [],
                                  "Event": (config.get("Events") or [None])[0]}
        return output
