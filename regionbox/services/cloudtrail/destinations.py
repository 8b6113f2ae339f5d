"""Where a trail delivers, checked as CloudTrail checks it when a trail is created or updated
(and again at each delivery): the S3 bucket must exist and its policy must let
cloudtrail.amazonaws.com read the bucket's ACL and put objects under
``[prefix/]AWSLogs/<account>/``; a CloudWatch Logs log group must exist, with a role that
cloudtrail.amazonaws.com may assume and that may create log streams and put log events in it.

Resource policies name AWS services as ``{"Service": "cloudtrail.amazonaws.com"}``: IAM
evaluates them for that service principal (``IamApi.service_allowed``), with the condition keys
AWS sets when the service acts on a trail's behalf (aws:SourceArn, aws:SourceAccount, s3:x-amz-acl).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from regionbox.core import ids
from regionbox.core.arns import Arn, partition_of
from regionbox.core.context import Caller, RequestContext
from regionbox.core.service import Access
from regionbox.services.cloudtrail import errors

if TYPE_CHECKING:
    from regionbox.services.iam.api import IamApi
    from regionbox.services.logs.api import LogsApi
    from regionbox.services.s3.api import BucketInfo, S3Api

SERVICE = "cloudtrail.amazonaws.com"


def log_prefix(prefix: str | None, account: str) -> str:
    """Where a trail's files go in its bucket: ``[prefix/]AWSLogs/<account>/``."""
    return f"{prefix}/AWSLogs/{account}/" if prefix else f"AWSLogs/{account}/"


class Destinations:
    def __init__(self, s3: Callable[[], "S3Api"], logs: Callable[[], "LogsApi"], iam: Callable[[], "IamApi"]) -> None:
        self.s3 = s3
        self.logs = logs
        self.iam = iam

    # -- S3 ------------------------------------------------------------------------------------
    def bucket(self, name: str, region: str, prefix: str | None, account: str, source_arn: str,
               folder: str = "CloudTrail/") -> "BucketInfo":
        """The bucket, if it exists and its policy lets CloudTrail deliver a trail's files (or a
        Lake query's results, in ``folder`` "CloudTrail-Lake/")."""
        found = self.s3().bucket(name, region)
        if found is None:
            raise errors.no_bucket(name)
        partition = partition_of(region)
        context = {"aws:SourceArn": source_arn, "aws:SourceAccount": account, "s3:x-amz-acl": "bucket-owner-full-control"}
        key = log_prefix(prefix, account) + folder
        iam = self.iam()
        if not (iam.service_allowed(found.policy, SERVICE, "s3:GetBucketAcl", f"arn:{partition}:s3:::{name}", context)
                and iam.service_allowed(found.policy, SERVICE, "s3:PutObject", f"arn:{partition}:s3:::{name}/{key}", context)):
            raise errors.bucket_policy(name)
        return found

    # -- CloudWatch Logs -----------------------------------------------------------------------
    def log_group(self, ctx: RequestContext, group_arn: str | None, role_arn: str | None, trail_arn: str) -> None:
        """A trail's CloudWatch Logs group and role, as CreateTrail and UpdateTrail check them."""
        if group_arn and not role_arn:
            raise errors.error("InvalidCloudWatchLogsRoleArnException", "You must specify a role ARN as well as a log group.")
        if role_arn and not group_arn:
            raise errors.error("InvalidCloudWatchLogsLogGroupArnException",
                               "You must specify a log group as well as a role ARN.")
        if not group_arn:
            return
        name = self.group_name(ctx, group_arn)
        role = self.iam().role_by_arn(role_arn) if role_arn else None
        trust = self.iam().trust_policy(role_arn) if role is not None else None
        if role is None or not self.iam().service_allowed(trust, SERVICE, "sts:AssumeRole", role.arn,
                                                          {"aws:SourceAccount": ctx.account_id, "aws:SourceArn": trail_arn}):
            raise errors.error("InvalidCloudWatchLogsRoleArnException", "Access denied. Check the trust relationships for your role.")
        if not self.logs().group_exists(ctx.account_id, ctx.region, name):
            raise errors.error("InvalidCloudWatchLogsLogGroupArnException", "CloudTrail cannot validate the specified log group ARN.")
        session = Caller.assumed_role(role.arn, role.role_id, "CloudTrail", role.account)
        as_role = RequestContext(caller=session, region=ctx.region, request_id=ids.request_id(), service="logs",
                                 operation="PutLogEvents", user_agent="cloudtrail.amazonaws.com")
        stream = ctx.arn("logs", f"log-group:{name}:log-stream:{ctx.account_id}_CloudTrail_{ctx.region}")
        denied = self.iam().authorize(as_role, None, "logs:PutLogEvents",
                                      [Access(stream, "logs:CreateLogStream"), Access(stream, "logs:PutLogEvents")])
        if denied is not None:
            raise errors.error("InvalidCloudWatchLogsLogGroupArnException", "Access denied. Check the permissions for your role.")

    @staticmethod
    def group_name(ctx: RequestContext, group_arn: str) -> str:
        """The group a trail's CloudWatchLogsLogGroupArn names (``arn:...:log-group:NAME:*``): in
        the trail's account and region, as CloudTrail requires."""
        try:
            arn = Arn.parse(group_arn)
        except ValueError:
            arn = None
        parts = arn.resource.split(":") if arn is not None else []
        if arn is None or arn.service != "logs" or len(parts) < 2 or parts[0] != "log-group" or not parts[1] \
                or parts[2:] not in ([], ["*"]) or arn.account != ctx.account_id or arn.region != ctx.region:
            raise errors.error("InvalidCloudWatchLogsLogGroupArnException", "CloudTrail cannot validate the specified log group ARN.")
        return parts[1]
