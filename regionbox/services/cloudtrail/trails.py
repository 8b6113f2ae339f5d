"""Trails: CreateTrail, GetTrail, DescribeTrails, ListTrails, UpdateTrail, DeleteTrail,
StartLogging, StopLogging and GetTrailStatus.

A trail is created in its home region and changed only there; a multi-region trail is seen
(read-only) from every region. Creating or updating one checks its destinations as CloudTrail
does (destinations.py): the bucket and its policy, the CloudWatch Logs group and role. SNS
notifications, KMS encryption and organization trails need services regionbox does not serve,
so asking for them answers AWS's error for a topic, key or organization that does not exist.
A logging trail's files are written by delivery.py.
"""

from __future__ import annotations

import re
from regionbox.core import clock
from regionbox.core.audit import AuditTrail
from regionbox.core.context import RequestContext
from regionbox.core.pagination import Paginator
from regionbox.services.cloudtrail import errors
from regionbox.services.cloudtrail.destinations import Destinations
from regionbox.services.cloudtrail.models import Trail
from regionbox.services.cloudtrail.paging import listed, rule
from regionbox.services.cloudtrail.state import CloudTrailState, check_trail_name
from regionbox.services.cloudtrail.tags import check_tags

MAX_TRAILS_PER_REGION = 5
MAX_PREFIX = 200
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
TRAIL_PAGES = rule(default=50, maximum=50)
RESOURCE = "AWS::CloudTrail::Trail"


def _iso(when: float | None) -> str:
    return clock.iso(when).split(".")[0] + "Z" if when is not None else ""


def trail_shape(trail: Trail, *, described: bool = True) -> dict:
    shape: dict = {"Name": trail.name, "S3BucketName": trail.s3_bucket}
    if trail.s3_key_prefix:
        shape["S3KeyPrefix"] = trail.s3_key_prefix
    if trail.sns_topic_name:
        shape["SnsTopicName"] = trail.sns_topic_name
    shape.update({"IncludeGlobalServiceEvents": trail.include_global_service_events,
                  "IsMultiRegionTrail": trail.multi_region})
    if described:
        shape["HomeRegion"] = trail.home_region
    shape.update({"TrailARN": trail.arn, "LogFileValidationEnabled": trail.log_file_validation})
    if trail.log_group_arn:
        shape["CloudWatchLogsLogGroupArn"] = trail.log_group_arn
        shape["CloudWatchLogsRoleArn"] = trail.logs_role_arn
    if trail.kms_key_id:
        shape["KmsKeyId"] = trail.kms_key_id
    if described:
        shape["HasCustomEventSelectors"] = trail.event_selectors is not None or trail.advanced_event_selectors is not None
        shape["HasInsightSelectors"] = bool(trail.insight_selectors)
    shape["IsOrganizationTrail"] = trail.organization
    if trail.recursive_logging is not None:
        shape["RecursiveLogging"] = trail.recursive_logging
    return shape


class Trails:
    def __init__(self, state: CloudTrailState, destinations: Destinations, audit: AuditTrail, paginator: Paginator) -> None:
        self.state = state
        self.destinations = destinations
        self.audit = audit
        self.paginator = paginator

    # -- create, read, update, delete ----------------------------------------------------------
    def create_trail(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Name"]
        check_trail_name(name)
        if self.state.trails.get(ctx.scope, name) is not None:
            raise errors.error("TrailAlreadyExistsException", f"Trail {name} already exists for customer: {ctx.account_id}")
        if len(self.state.trails.values(ctx.scope)) >= MAX_TRAILS_PER_REGION:
            raise errors.error("MaximumNumberOfTrailsExceededException",
                               f"User: {ctx.account_id} already has {MAX_TRAILS_PER_REGION} trails in {ctx.region}.")
        trail = Trail(name=name, arn=ctx.arn("cloudtrail", f"trail/{name}"), account=ctx.account_id,
                      home_region=ctx.region, s3_bucket=params["S3BucketName"], created=clock.epoch())
        self._configure(ctx, trail, params, creating=True)
        trail.tags = check_tags([], params.get("TagsList") or [])
        self.state.save_trail(trail)
        ctx.touched(RESOURCE, trail.arn)
        return trail_shape(trail, described=False)

    def update_trail(self, ctx: RequestContext, params: dict) -> dict:
        trail = self.state.trail(ctx, params["Name"], change=True)
        self._configure(ctx, trail, params, creating=False)
        self.state.save_trail(trail)
        self.state.refresh_data_accounts()
        ctx.touched(RESOURCE, trail.arn)
        return trail_shape(trail, described=False)

    def _configure(self, ctx: RequestContext, trail: Trail, params: dict, *, creating: bool) -> None:
        """Apply and check CreateTrail's or UpdateTrail's settings, in AWS's order of checks;
        nothing of the trail changes unless every check passes (the caller saves it)."""
        def given(member: str, current):
            value = params.get(member)
            return current if value is None else value

        include_global = given("IncludeGlobalServiceEvents", trail.include_global_service_events)
        multi_region = given("IsMultiRegionTrail", trail.multi_region)
        if multi_region and not include_global:
            raise errors.invalid_combination("Multi-Region trail must include global service events.")
        if given("IsOrganizationTrail", trail.organization):
            raise errors.organizations_not_in_use()
        bucket = given("S3BucketName", trail.s3_bucket)
        prefix = given("S3KeyPrefix", trail.s3_key_prefix) or None
        if not _BUCKET.match(bucket or ""):
            raise errors.error("InvalidS3BucketNameException", f"S3 bucket name {bucket} is not valid.")
        if prefix is not None and len(prefix) > MAX_PREFIX:
            raise errors.error("InvalidS3PrefixException",
                               f"S3 prefix is too long. Maximum allowed length: {MAX_PREFIX} characters.")
        if creating or params.get("S3BucketName") is not None or params.get("S3KeyPrefix") is not None:
            self.destinations.bucket(bucket, ctx.region, prefix, ctx.account_id, trail.arn)
        topic = given("SnsTopicName", trail.sns_topic_name) or None
        if topic:
            # regionbox serves no SNS: every topic named is one that does not exist.
            raise errors.error("InsufficientSnsTopicPolicyException",
                               "SNS Topic does not exist or the topic policy is incorrect!")
        group, role = given("CloudWatchLogsLogGroupArn", trail.log_group_arn) or None, \
            given("CloudWatchLogsRoleArn", trail.logs_role_arn) or None
        if creating or "CloudWatchLogsLogGroupArn" in params or "CloudWatchLogsRoleArn" in params:
            self.destinations.log_group(ctx, group, role, trail.arn)
        kms = given("KmsKeyId", trail.kms_key_id) or None
        if kms:
            raise errors.kms_not_found(kms)
        trail.include_global_service_events, trail.multi_region = include_global, multi_region
        trail.s3_bucket, trail.s3_key_prefix, trail.sns_topic_name = bucket, prefix, topic
        trail.log_group_arn, trail.logs_role_arn, trail.kms_key_id = group, role, kms
        trail.log_file_validation = given("EnableLogFileValidation", trail.log_file_validation)
        # Stored and shown; regionbox's own deliveries (S3 puts, log events) make no events to
        # suppress, as if it were false.
        trail.recursive_logging = given("RecursiveLogging", trail.recursive_logging)

    def get_trail(self, ctx: RequestContext, params: dict) -> dict:
        return {"Trail": trail_shape(self.state.trail(ctx, params["Name"], arn_in_error=False))}

    def describe_trails(self, ctx: RequestContext, params: dict) -> dict:
        names = params.get("trailNameList") or []
        if names:
            # Names match trails of this region only; another region's trail is named by its ARN.
            found = [t for t in self.state.account_trails(ctx.account_id)
                     if t.arn in names or (t.name in names and t.home_region == ctx.region)]
            return {"trailList": [trail_shape(t) for t in found]}
        shadows = params.get("includeShadowTrails", True)
        seen = self.state.trails_seen_from(ctx) if shadows else self.state.trails.values(ctx.scope)
        return {"trailList": [trail_shape(t) for t in seen]}

    def list_trails(self, ctx: RequestContext, params: dict) -> dict:
        trails = self.state.account_trails(ctx.account_id)
        return listed(self.paginator, trails, params, TRAIL_PAGES, ["ListTrails"], "Trails",
                      lambda t: {"TrailARN": t.arn, "Name": t.name, "HomeRegion": t.home_region})

    def delete_trail(self, ctx: RequestContext, params: dict) -> dict:
        trail = self.state.trail(ctx, params["Name"], change=True)
        # The log files already in the bucket and the log group stay, as on AWS.
        self.state.trails.delete((trail.account, trail.home_region), trail.name)
        self.state.refresh_data_accounts()
        ctx.touched(RESOURCE, trail.arn)
        return {}

    # -- logging -------------------------------------------------------------------------------
    def start_logging(self, ctx: RequestContext, params: dict) -> dict:
        trail = self.state.trail(ctx, params["Name"], change=True)
        if not trail.logging:
            # Events from now on: what happened while the trail was stopped is not delivered
            # (unless it was stopped so briefly that its last events are still on their way).
            if trail.cursor >= trail.stop_cursor:
                trail.cursor = self.audit.position()
            trail.logging, trail.start_logging_time = True, clock.epoch()
            self.state.save_trail(trail)
            self.state.refresh_data_accounts()
            ctx.touched(RESOURCE, trail.arn)
        return {}

    def stop_logging(self, ctx: RequestContext, params: dict) -> dict:
        trail = self.state.trail(ctx, params["Name"], change=True)
        if trail.logging:
            # What happened before the trail stopped is still delivered.
            trail.logging, trail.stop_logging_time, trail.stop_cursor = False, clock.epoch(), self.audit.position()
            self.state.save_trail(trail)
            self.state.refresh_data_accounts()
        ctx.touched(RESOURCE, trail.arn)
        return {}

    def get_trail_status(self, ctx: RequestContext, params: dict) -> dict:
        trail = self.state.trail(ctx, params["Name"])
        status: dict = {"IsLogging": trail.logging}
        for member, value in (("LatestDeliveryError", trail.latest_delivery_error),
                              ("LatestCloudWatchLogsDeliveryError", trail.latest_cloudwatch_error),
                              ("LatestDigestDeliveryError", trail.latest_digest_error)):
            if value:
                status[member] = value
        for member, when in (("LatestDeliveryTime", trail.latest_delivery_time),
                             ("StartLoggingTime", trail.start_logging_time),
                             ("StopLoggingTime", trail.stop_logging_time),
                             ("LatestCloudWatchLogsDeliveryTime", trail.latest_cloudwatch_time),
                             ("LatestDigestDeliveryTime", trail.latest_digest_time)):
            if when is not None:
                status[member] = clock.from_epoch(when)
        succeeded = trail.latest_delivery_time if not trail.latest_delivery_error else None
        status.update({"LatestDeliveryAttemptTime": _iso(trail.latest_delivery_attempt_time),
                       "LatestNotificationAttemptTime": "", "LatestNotificationAttemptSucceeded": "",
                       "LatestDeliveryAttemptSucceeded": _iso(succeeded),
                       "TimeLoggingStarted": _iso(trail.start_logging_time),
                       "TimeLoggingStopped": _iso(trail.stop_logging_time)})
        return status
