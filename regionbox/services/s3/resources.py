"""What each S3 operation touches, for the gateway's authorization (``Service.resources``) and the
bucket policy as the resource-based policy of a bucket and its objects (``Service.resource_policy``).

As S3's authorization reference has it: bucket operations act on ``arn:aws:s3:::BUCKET``, object
operations on ``arn:aws:s3:::BUCKET/KEY`` (reading or deleting a named version is
s3:GetObjectVersion / s3:DeleteObjectVersion), a copy also reads its source (s3:GetObject), a batch
delete deletes each key, ListBuckets is s3:ListAllMyBuckets on "*". Listings carry s3:prefix,
s3:delimiter and s3:max-keys; writes s3:x-amz-acl.

S3 ARNs name no account, so IAM sees every bucket as the caller's own: the caller's identity
policies are IAM's to check, and reaching another account's bucket (its policy must allow it)
is checked by S3 itself (policies.Access), as is an anonymous caller.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from regionbox.core.context import RequestContext
from regionbox.core.service import Access
from regionbox.services.s3.policies import action_of, resource_arn
from regionbox.services.s3.state import S3State

IAM_ACTIONS = {"ListBuckets": "s3:ListAllMyBuckets"}
VERSIONED_ACTIONS = {"GetObject": "s3:GetObjectVersion", "HeadObject": "s3:GetObjectVersion",
                     "DeleteObject": "s3:DeleteObjectVersion", "GetObjectTagging": "s3:GetObjectVersionTagging",
                     "PutObjectTagging": "s3:PutObjectVersionTagging", "GetObjectAcl": "s3:GetObjectVersionAcl"}


def iam_actions(operations: list[str]) -> dict[str, str]:
    return {operation: IAM_ACTIONS.get(operation, action_of(operation)) for operation in operations}


def _context(params: dict) -> dict[str, Any]:
    keys = {"s3:prefix": params.get("Prefix"), "s3:delimiter": params.get("Delimiter"),
            "s3:max-keys": params.get("MaxKeys"), "s3:x-amz-acl": params.get("ACL"),
            "s3:VersionId": params.get("VersionId")}
    return {key: value for key, value in keys.items() if value is not None}


def _source(partition: str, copy_source: str) -> str:
    path = unquote(copy_source.partition("?")[0]).lstrip("/")
    bucket, _, key = path.partition("/")
    return resource_arn(partition, bucket, key)


def resources(ctx: RequestContext, operation: str, params: dict) -> list[str | Access]:
    bucket = params.get("Bucket")
    if operation == "ListBuckets" or not bucket:
        return ["*"]
    partition = ctx.partition
    if operation == "DeleteObjects":
        return [Access(resource_arn(partition, bucket, item["Key"]),
                       "s3:DeleteObjectVersion" if item.get("VersionId") else "s3:DeleteObject")
                for item in (params.get("Delete") or {}).get("Objects") or []] or [resource_arn(partition, bucket, None)]
    key = params.get("Key")
    if key is None:
        return [Access(resource_arn(partition, bucket, None), context=_context(params))]
    action = VERSIONED_ACTIONS.get(operation, "") if params.get("VersionId") else ""
    found: list[str | Access] = [Access(resource_arn(partition, bucket, key), action, _context(params))]
    if operation in ("CopyObject", "UploadPartCopy") and params.get("CopySource"):
        found.append(Access(_source(partition, params["CopySource"]), "s3:GetObject"))
    return found


class BucketPolicyOf:
    """The bucket policy that governs an S3 ARN (a bucket's, or its bucket's for an object)."""

    def __init__(self, state: S3State) -> None:
        self.state = state

    def __call__(self, arn: str) -> str | None:
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "s3":
            return None
        bucket = self.state.buckets.get((parts[1], ""), parts[5].split("/", 1)[0])
        return bucket.policy if bucket is not None else None
