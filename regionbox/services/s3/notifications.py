"""Event notifications: PutBucketNotificationConfiguration (stored, validated as S3 does) and the
events themselves, published on the cloud's bus as topic "s3.event" with AWS's event JSON:

    {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put", ...}],
     "destinations": [{"type": "LambdaFunction", "arn": ..., "id": ...}]}

``destinations`` are the bucket's configurations the event matches (by event type and key
filter), so Lambda, SQS or SNS (when regionbox serves them) deliver to their own; events go out
for every change, so EventBridge-style subscribers see them too.
"""

from __future__ import annotations

import fnmatch
import re
import secrets
from typing import Any

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.events import EventBus
from regionbox.core.errors import ServiceError
from regionbox.protocol.values import format_iso8601, from_epoch
from regionbox.services.s3.models import Bucket, Version
from regionbox.services.s3.policies import Access
from regionbox.services.s3.state import S3State, canonical_id

TOPIC = "s3.event"
EVENTS = {
    "s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post", "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload", "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated", "s3:ObjectRestore:*", "s3:ObjectRestore:Post", "s3:ObjectRestore:Completed",
    "s3:ObjectRestore:Delete", "s3:ReducedRedundancyLostObject", "s3:Replication:*", "s3:LifecycleExpiration:*",
    "s3:LifecycleExpiration:Delete", "s3:LifecycleExpiration:DeleteMarkerCreated", "s3:LifecycleTransition",
    "s3:IntelligentTiering", "s3:ObjectTagging:*", "s3:ObjectTagging:Put", "s3:ObjectTagging:Delete",
    "s3:ObjectAcl:Put", "s3:TestEvent",
}
KINDS = {"TopicConfigurations": ("TopicArn", "sns"), "QueueConfigurations": ("QueueArn", "sqs"),
         "LambdaFunctionConfigurations": ("LambdaFunctionArn", "lambda")}
_ARN = re.compile(r"arn:aws[\w-]*:(sns|sqs|lambda):[a-z0-9-]+:\d{12}:\S+")


def _invalid(message: str, name: str = "", value: str = "") -> ServiceError:
    return ServiceError("InvalidArgument", message, 400, ArgumentName=name, ArgumentValue=value)


def _prefix_suffix(config: dict) -> tuple[str, str]:
    rules = ((config.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
    found: dict[str, str] = {}
    for rule in rules:
        name = (rule.get("Name") or "").lower()
        if name not in ("prefix", "suffix"):
            raise _invalid("filter rule name must be either prefix or suffix", "FilterRule.Name", rule.get("Name", ""))
        if name in found:
            raise _invalid(f"Cannot specify more than one {name} rule in a filter.", "FilterRule.Name", rule.get("Name", ""))
        found[name] = rule.get("Value", "")
    return found.get("prefix", ""), found.get("suffix", "")


def _events_overlap(a: list[str], b: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(x, y) or fnmatch.fnmatchcase(y, x) for x in a for y in b)


def validate(configuration: dict) -> None:
    seen: list[tuple[list[str], str, str]] = []
    for kind, (arn_member, service) in KINDS.items():
        for config in configuration.get(kind) or []:
            arn = config.get(arn_member, "")
            match = _ARN.fullmatch(arn)
            if match is None or match.group(1) != service:
                raise _invalid("The ARN is not well formed", arn_member, arn)
            events = config.get("Events") or []
            for event in events:
                if event not in EVENTS:
                    raise _invalid("The event is not supported for notifications", "Event", event)
            prefix, suffix = _prefix_suffix(config)
            for other_events, other_prefix, other_suffix in seen:
                if _events_overlap(events, other_events) and (prefix.startswith(other_prefix) or other_prefix.startswith(prefix)) \
                        and (suffix.endswith(other_suffix) or other_suffix.endswith(suffix)):
                    raise _invalid("Configurations overlap. Configurations on the same bucket cannot share a common "
                                   "event type.", "Event", events[0] if events else "")
            seen.append((events, prefix, suffix))


class Notifier:
    def __init__(self, bus: EventBus) -> None:
        self.bus = bus

    async def created(self, ctx: RequestContext, bucket: Bucket, version: Version, how: str) -> None:
        await self._publish(ctx, bucket, version.key, f"ObjectCreated:{how}", version)

    async def removed(self, ctx: RequestContext, bucket: Bucket, key: str, version: Version, how: str) -> None:
        await self._publish(ctx, bucket, key, f"ObjectRemoved:{how}", version)

    async def restored(self, ctx: RequestContext, bucket: Bucket, version: Version) -> None:
        await self._publish(ctx, bucket, version.key, "ObjectRestore:Post", version)

    async def expired(self, bucket: Bucket, key: str, version: Version, how: str) -> None:
        await self._publish(None, bucket, key, f"LifecycleExpiration:{how}", version)

    async def _publish(self, ctx: RequestContext | None, bucket: Bucket, key: str, name: str, version: Version) -> None:
        from urllib.parse import quote_plus

        record: dict[str, Any] = {
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": bucket.region,
            "eventTime": format_iso8601(from_epoch(clock.epoch())), "eventName": name,
            "userIdentity": {"principalId": ctx.caller.user_id if ctx else "s3.amazonaws.com"},
            "requestParameters": {"sourceIPAddress": ctx.source_ip if ctx else "s3.amazonaws.com"},
            "responseElements": {"x-amz-request-id": ctx.request_id if ctx else "", "x-amz-id-2": ""},
            "s3": {"s3SchemaVersion": "1.0", "configurationId": "",
                   "bucket": {"name": bucket.name, "ownerIdentity": {"principalId": canonical_id(bucket.owner)},
                              "arn": f"arn:aws:s3:::{bucket.name}"},
                   "object": {"key": quote_plus(key, safe="/"), "sequencer": f"{version.seq:016X}"}}}
        if name.startswith("ObjectCreated"):
            record["s3"]["object"].update({"size": version.size, "eTag": version.etag.strip('"')})
        if version.version_id != "null":
            record["s3"]["object"]["versionId"] = version.version_id
        destinations = []
        for kind, (arn_member, _) in KINDS.items():
            for config in bucket.notification.get(kind) or []:
                prefix, suffix = _prefix_suffix(config)
                if key.startswith(prefix) and key.endswith(suffix) and \
                        any(fnmatch.fnmatchcase(f"s3:{name}", event) for event in config.get("Events") or []):
                    destinations.append({"type": kind[:-len("Configurations")], "arn": config[arn_member],
                                         "id": config.get("Id", "")})
        if destinations:
            record["s3"]["configurationId"] = destinations[0]["id"]
        await self.bus.publish(TOPIC, {"Records": [record], "destinations": destinations,
                                       "eventBridge": "EventBridgeConfiguration" in bucket.notification})


class NotificationConfigurations:
    def __init__(self, state: S3State, access: Access) -> None:
        self.state = state
        self.access = access

    def put_bucket_notification_configuration(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        configuration = params.get("NotificationConfiguration") or {}
        validate(configuration)
        for kind in KINDS:
            for config in configuration.get(kind) or []:
                config.setdefault("Id", secrets.token_hex(16))
        bucket.notification = configuration
        self.state.save(bucket)
        return {}

    def get_bucket_notification_configuration(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        return dict(bucket.notification)
