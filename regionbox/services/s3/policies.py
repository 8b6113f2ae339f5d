"""Who may do what to a bucket: bucket policies (Put/Get/DeleteBucketPolicy, GetBucketPolicyStatus),
ACL grants to everyone, Block Public Access, and the check every handler makes (``Access``).

The rule (AWS's, for resource policies): the owner account acts on its own buckets unless the
bucket policy denies it explicitly (the root user can always manage the policy itself); another
account needs the bucket policy to allow it, and so does an anonymous caller (a request with no
access key), who may also be let in by a grant to everyone (AllUsers) in an ACL. An explicit
Deny wins over everything. Public grants count only as far as the bucket's Block Public Access
settings let them (new buckets block them, as on AWS since 2023).

The bucket policy is read by IAM's evaluator (``IamApi.resource_policy_verdict``), as every policy
in regionbox is; what the caller's own account says about its users and roles (identity policies)
is checked by the gateway with IAM, not here.
"""

from __future__ import annotations

import fnmatch
import json
from typing import TYPE_CHECKING, Any, Callable

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.s3.errors import access_denied, no_configuration
from regionbox.services.s3.models import Bucket
from regionbox.services.s3.state import S3State

if TYPE_CHECKING:
    from regionbox.services.iam.api import IamApi

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
# IAM actions whose name is not "s3:<Operation>".
ACTIONS = {
    "HeadObject": "s3:GetObject", "HeadBucket": "s3:ListBucket", "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket", "ListObjectVersions": "s3:ListBucketVersions", "CopyObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject", "UploadPart": "s3:PutObject", "UploadPartCopy": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject", "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "ListParts": "s3:ListMultipartUploadParts", "ListMultipartUploads": "s3:ListBucketMultipartUploads",
    "DeleteObjects": "s3:DeleteObject", "GetObjectAttributes": "s3:GetObject", "DeleteBucketCors": "s3:PutBucketCORS",
    "PutBucketCors": "s3:PutBucketCORS", "GetBucketCors": "s3:GetBucketCORS",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration", "DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",
    "PutBucketNotificationConfiguration": "s3:PutBucketNotification",
    "GetBucketNotificationConfiguration": "s3:GetBucketNotification", "DeleteBucketTagging": "s3:PutBucketTagging",
    "DeleteObjectTagging": "s3:DeleteObjectTagging", "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration", "DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
    "PutObjectLockConfiguration": "s3:PutBucketObjectLockConfiguration",
    "GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
    "PutBucketReplication": "s3:PutReplicationConfiguration", "GetBucketReplication": "s3:GetReplicationConfiguration",
    "DeleteBucketReplication": "s3:PutReplicationConfiguration",
    **{f"{verb}Bucket{family}Configuration{s}": f"s3:{'Get' if verb in ('Get', 'List') else 'Put'}{family}Configuration"
       for family in ("Analytics", "Metrics", "Inventory", "IntelligentTiering")
       for verb, s in (("Put", ""), ("Get", ""), ("Delete", ""), ("List", "s"))},
    "PutBucketLifecycle": "s3:PutLifecycleConfiguration", "GetBucketLifecycle": "s3:GetLifecycleConfiguration",
    "ListDirectoryBuckets": "s3express:ListAllMyDirectoryBuckets",
}
MANAGE_POLICY = {"GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy", "GetBucketPolicyStatus"}
READS = {"GetObject", "HeadObject"}
LISTS = {"ListObjects", "ListObjectsV2", "HeadBucket", "ListObjectVersions"}
WRITES = {"PutObject", "DeleteObject", "DeleteObjects", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload",
          "AbortMultipartUpload"}


def action_of(operation: str) -> str:
    return ACTIONS.get(operation, f"s3:{operation}")


def resource_arn(partition: str, bucket: str, key: str | None) -> str:
    return f"arn:{partition}:s3:::{bucket}" + (f"/{key}" if key is not None else "")


def _list(value: Any) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def is_public(document: str | None) -> bool:
    """A policy granting anyone (Principal "*") something with no condition: AWS calls it public."""
    if not document:
        return False
    try:
        statements = _list(json.loads(document).get("Statement"))
    except (ValueError, AttributeError):
        return False
    return any(isinstance(s, dict) and s.get("Effect") == "Allow" and not s.get("Condition") and
               (s.get("Principal") == "*" or (isinstance(s.get("Principal"), dict) and "*" in _list(s["Principal"].get("AWS"))))
               for s in statements)


def public_access_block(bucket: Bucket) -> dict:
    return bucket.settings.get("PublicAccessBlockConfiguration") or {}


class Access:
    """The check every S3 handler makes before it touches a bucket or its objects."""

    def __init__(self, state: S3State, iam: Callable[[], "IamApi"]) -> None:
        self.state = state
        self.iam = iam  # reads the bucket policy: one policy language, one evaluator

    def bucket(self, ctx: RequestContext, name: str, key: str | None = None, *, operation: str | None = None,
               object_grants: list | None = None, extra: dict | None = None) -> Bucket:
        """The bucket, if the caller may run ``operation`` (ctx's by default) on it (or its ``key``)."""
        bucket = self.state.bucket(ctx.region, name)
        self.check(ctx, bucket, key, operation=operation, object_grants=object_grants, extra=extra)
        return bucket

    def check(self, ctx: RequestContext, bucket: Bucket, key: str | None = None, *, operation: str | None = None,
              object_grants: list | None = None, extra: dict | None = None) -> None:
        operation = operation or ctx.operation
        anonymous = not ctx.caller.access_key_id
        own = not anonymous and ctx.account_id == bucket.owner
        block = public_access_block(bucket)
        document = bucket.policy
        if document and block.get("RestrictPublicBuckets") and is_public(document) and not own:
            document = None  # public grants reach only the owner's account and AWS services
        verdict = self.iam().resource_policy_verdict(document, ctx, action_of(operation),
                                                     resource_arn(ctx.partition, bucket.name, key), extra,
                                                     anonymous=anonymous)
        if own:
            if verdict == "Deny" and operation not in MANAGE_POLICY:
                raise access_denied()
            return
        if operation in MANAGE_POLICY and not own:
            raise ServiceError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405)
        if verdict == "Allow":
            return
        if verdict != "Deny" and self._granted(bucket, operation, anonymous, object_grants, block):
            return
        raise access_denied()

    @staticmethod
    def _granted(bucket: Bucket, operation: str, anonymous: bool, object_grants: list | None, block: dict) -> bool:
        """A grant to everyone (or every signed-in caller) in the object's or the bucket's ACL."""
        if block.get("IgnorePublicAcls"):
            return False
        groups = {ALL_USERS} if anonymous else {ALL_USERS, AUTHENTICATED_USERS}
        if operation in READS:
            grants, wanted = object_grants or [], {"READ", "FULL_CONTROL"}
        elif operation in LISTS:
            grants, wanted = bucket.acl or [], {"READ", "FULL_CONTROL"}
        elif operation in WRITES:
            grants, wanted = bucket.acl or [], {"WRITE", "FULL_CONTROL"}
        else:
            return False
        return any(g.get("Grantee", {}).get("URI") in groups and g.get("Permission") in wanted for g in grants)


# -- the bucket policy operations -----------------------------------------------------------------

def _malformed(message: str) -> ServiceError:
    return ServiceError("MalformedPolicy", message, 400)


def validate(document: str, bucket: str, partition: str) -> None:
    """S3's checks of a bucket policy, with its messages."""
    try:
        policy = json.loads(document)
    except ValueError:
        raise _malformed("Policies must be valid JSON and the first byte must be '{'") from None
    if not isinstance(policy, dict) or not document.lstrip().startswith("{"):
        raise _malformed("Policies must be valid JSON and the first byte must be '{'")
    if "Statement" not in policy:
        raise _malformed("Missing required field Statement")
    for statement in _list(policy["Statement"]):
        if not isinstance(statement, dict):
            raise _malformed("Invalid policy syntax.")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise _malformed(f"Invalid effect: {statement.get('Effect')}")
        if "Principal" not in statement and "NotPrincipal" not in statement:
            raise _malformed("Missing required field Principal")
        if "Action" not in statement and "NotAction" not in statement:
            raise _malformed("Missing required field Action")
        for action in _list(statement.get("Action", statement.get("NotAction"))):
            if not isinstance(action, str) or not (action == "*" or action.lower().startswith("s3:")):
                raise _malformed("Policy has invalid action")
        resources = _list(statement.get("Resource", statement.get("NotResource")))
        if not resources:
            raise _malformed("Missing required field Resource")
        for resource in resources:
            base = f"arn:{partition}:s3:::"
            if not isinstance(resource, str) or not (resource == "*" or (
                    resource.startswith(base) and fnmatch.fnmatchcase(bucket, resource[len(base):].split("/", 1)[0]))):
                raise _malformed("Policy has invalid resource")


class BucketPolicies:
    def __init__(self, state: S3State, access: Access) -> None:
        self.state = state
        self.access = access

    def put_bucket_policy(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        document = params["Policy"] if isinstance(params["Policy"], str) else params["Policy"].decode()
        validate(document, bucket.name, ctx.partition)
        if public_access_block(bucket).get("BlockPublicPolicy") and is_public(document):
            raise ServiceError("AccessDenied", f"User: {ctx.caller.arn} is not authorized to perform: s3:PutBucketPolicy "
                               f"on resource: \"arn:{ctx.partition}:s3:::{bucket.name}\" because public policies are "
                               "blocked by the BlockPublicPolicy block public access setting.", 403)
        bucket.policy = document
        self.state.save(bucket)
        return {}

    def get_bucket_policy(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        if not bucket.policy:
            raise no_configuration("NoSuchBucketPolicy", "The bucket policy does not exist", bucket.name)
        return {"Policy": bucket.policy}

    def delete_bucket_policy(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        bucket.policy = None
        self.state.save(bucket)
        return {}

    def get_bucket_policy_status(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        if not bucket.policy:
            raise no_configuration("NoSuchBucketPolicy", "The bucket policy does not exist", bucket.name)
        return {"PolicyStatus": {"IsPublic": is_public(bucket.policy)}}
