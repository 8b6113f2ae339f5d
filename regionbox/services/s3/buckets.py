"""Buckets: create (LocationConstraint rules, names global across accounts), head, list, delete
(only when empty), location, versioning, tagging, ACLs, and the settings S3 stores and echoes
(encryption, ownership controls, public access block, website, logging, accelerate, request payment).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.s3.errors import access_denied, invalid_argument, malformed_xml, no_configuration
from regionbox.services.s3.models import Bucket
from regionbox.services.s3.policies import ALL_USERS, AUTHENTICATED_USERS, Access
from regionbox.services.s3.state import S3State, canonical_id, owner

_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
LEGACY_REGIONS = {"EU": "eu-west-1"}
DEFAULT_BLOCK = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
CANNED = {"private": [], "public-read": [(ALL_USERS, "READ")], "public-read-write": [(ALL_USERS, "READ"), (ALL_USERS, "WRITE")],
          "authenticated-read": [(AUTHENTICATED_USERS, "READ")]}
MAX_TAGS = 50


def valid_name(name: str) -> bool:
    if not _NAME.fullmatch(name) or ".." in name or ".-" in name or "-." in name:
        return False
    if name.startswith(("xn--", "sthree-", "amzn-s3-demo-")) or name.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3")):
        return False
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return True
    return False


def grants_of(canned: str | None, account: str) -> list[dict]:
    """An ACL's grants (beyond the owner's FULL_CONTROL) from a canned ACL name."""
    if canned is None:
        return []
    if canned not in CANNED and canned not in ("bucket-owner-read", "bucket-owner-full-control", "aws-exec-read",
                                               "log-delivery-write"):
        raise invalid_argument("", "x-amz-acl", canned)
    return [{"Grantee": {"Type": "Group", "URI": uri}, "Permission": permission} for uri, permission in CANNED.get(canned, [])]


def acl_document(account: str, grants: list[dict] | None) -> dict:
    mine = {"Grantee": {"Type": "CanonicalUser", **owner(account)}, "Permission": "FULL_CONTROL"}
    return {"Owner": owner(account), "Grants": [mine, *(grants or [])]}


def acls_enforced_off(bucket: Bucket) -> bool:
    rules = (bucket.settings.get("OwnershipControls") or {}).get("Rules") or [{}]
    return rules[0].get("ObjectOwnership", "BucketOwnerEnforced") == "BucketOwnerEnforced"


def check_acl_allowed(bucket: Bucket, canned: str | None, grants: list[dict]) -> None:
    """With ACLs disabled (BucketOwnerEnforced, the default), only the owner-only ACLs are accepted."""
    if acls_enforced_off(bucket) and (grants or canned not in (None, "private", "bucket-owner-full-control")):
        raise ServiceError("AccessControlListNotSupported", "The bucket does not allow ACLs", 400)
    if any(g.get("Grantee", {}).get("URI") in (ALL_USERS, AUTHENTICATED_USERS) for g in grants) and \
            (bucket.settings.get("PublicAccessBlockConfiguration") or {}).get("BlockPublicAcls"):
        raise ServiceError("AccessDenied", "Access Denied", 403)


def tag_set(tagging: dict, limit: int = MAX_TAGS) -> list[dict]:
    tags = tagging.get("TagSet") or []
    keys = [tag["Key"] for tag in tags]
    if len(keys) != len(set(keys)):
        raise invalid_argument("Cannot provide multiple Tags with the same key", "")
    if len(tags) > limit:
        raise ServiceError("BadRequest", f"Object tags cannot be greater than {limit}", 400)
    for tag in tags:
        if len(tag["Key"]) > 128 or not tag["Key"]:
            raise ServiceError("InvalidTag", "The TagKey you have provided is invalid", 400, TagKey=tag["Key"])
        if len(tag.get("Value", "")) > 256:
            raise ServiceError("InvalidTag", "The TagValue you have provided is too long, max 256", 400,
                               TagKey=tag["Key"], TagValue=tag["Value"])
    return [{"Key": tag["Key"], "Value": tag.get("Value", "")} for tag in tags]


class Buckets:
    def __init__(self, state: S3State, access: Access, lifecycle_hooks: list) -> None:
        self.state = state
        self.access = access
        self.on_delete = lifecycle_hooks  # called with a bucket being deleted (notifications, lifecycle ...)

    def create_bucket(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        if not ctx.caller.access_key_id:
            raise access_denied()  # an anonymous caller owns nothing
        if not valid_name(name):
            raise ServiceError("InvalidBucketName", "The specified bucket is not valid.", 400, BucketName=name)
        config = params.get("CreateBucketConfiguration") or {}
        constraint = config.get("LocationConstraint")
        if constraint == "us-east-1":
            raise ServiceError("InvalidLocationConstraint", "The specified location-constraint is not valid", 400,
                               LocationConstraint=constraint)
        region = LEGACY_REGIONS.get(constraint, constraint) if constraint else "us-east-1"
        if region != ctx.region:
            which = f"{constraint} location constraint" if constraint else "unspecified location constraint"
            raise ServiceError("IllegalLocationConstraintException",
                               f"The {which} is incompatible for the region specific endpoint this request was sent to.", 400)
        existing = self.state.find(ctx.region, name)
        if existing is not None:
            if existing.owner != ctx.account_id or not ctx.caller.access_key_id:
                raise ServiceError("BucketAlreadyExists", "The requested bucket name is not available. The bucket namespace "
                                   "is shared by all users of the system. Please select a different name and try again.",
                                   409, BucketName=name)
            if existing.region == "us-east-1":
                return {"Location": f"/{name}"}  # us-east-1 answers success again, for old clients' sake
            raise ServiceError("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded "
                               "and you already own it.", 409, BucketName=name)
        ownership = params.get("ObjectOwnership", "BucketOwnerEnforced")
        bucket = Bucket(name=name, owner=ctx.account_id, region=region, created=clock.epoch(),
                        object_lock=bool(params.get("ObjectLockEnabledForBucket")),
                        settings={"PublicAccessBlockConfiguration": dict(DEFAULT_BLOCK),
                                  "OwnershipControls": {"Rules": [{"ObjectOwnership": ownership}]}})
        if params.get("ACL"):
            grants = grants_of(params["ACL"], ctx.account_id)
            if ownership == "BucketOwnerEnforced" and grants:
                raise ServiceError("InvalidBucketAclWithObjectOwnership", "Bucket cannot have ACLs set with "
                                   "ObjectOwnership's BucketOwnerEnforced setting", 400)
            bucket.acl = grants
        if bucket.object_lock:
            bucket.versioning = "Enabled"
        self.state.save(bucket)
        ctx.touched("AWS::S3::Bucket", name)
        return {"Location": f"/{name}" if region == "us-east-1" else f"http://{name}.s3.localhost/"}

    def delete_bucket(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        if not self.state.catalog.is_empty(bucket.name):
            raise ServiceError("BucketNotEmpty", "The bucket you tried to delete is not empty", 409, BucketName=bucket.name)
        if any(upload.bucket == bucket.name for _, _, upload in self.state.uploads.all()):
            raise ServiceError("BucketNotEmpty", "The bucket you tried to delete is not empty", 409, BucketName=bucket.name)
        self.state.buckets.delete((ctx.partition, ""), bucket.name)
        for hook in self.on_delete:
            hook(bucket)
        return {}

    def head_bucket(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        return {"BucketRegion": bucket.region, "BucketArn": f"arn:{ctx.partition}:s3:::{bucket.name}"}

    def list_buckets(self, ctx: RequestContext, params: dict) -> dict:
        if not ctx.caller.access_key_id:
            raise access_denied()
        prefix = params.get("Prefix") or ""
        mine = sorted((b for b in self.state.all_buckets() if b.owner == ctx.account_id and b.name.startswith(prefix)
                       and (not params.get("BucketRegion") or b.region == params["BucketRegion"])), key=lambda b: b.name)
        start = params.get("ContinuationToken")
        if start:
            mine = [b for b in mine if b.name > start]
        limit = params.get("MaxBuckets")
        if limit is not None and not 1 <= limit <= 10000:
            raise invalid_argument("Argument max-buckets must be an integer between 1 and 10000", "max-buckets", str(limit))
        page = mine[:limit] if limit else mine
        output: dict[str, Any] = {
            "Buckets": [{"Name": b.name, "CreationDate": b.created, "BucketRegion": b.region,
                         "BucketArn": f"arn:{ctx.partition}:s3:::{b.name}"} for b in page],
            "Owner": owner(ctx.account_id)}
        if limit and len(mine) > limit:
            output["ContinuationToken"] = page[-1].name
        if prefix:
            output["Prefix"] = prefix
        return output

    def list_directory_buckets(self, ctx: RequestContext, params: dict) -> dict:
        # Directory buckets (S3 Express One Zone) cannot be created here (CreateBucket refuses
        # "--x-s3" names), so the account has none: an empty list is the true answer.
        if not ctx.caller.access_key_id:
            raise access_denied()
        limit = params.get("MaxDirectoryBuckets")
        if limit is not None and not 0 <= limit <= 1000:
            raise invalid_argument("Argument max-directory-buckets must be an integer between 0 and 1000",
                                   "max-directory-buckets", str(limit))
        return {"Buckets": []}

    def get_bucket_location(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        # us-east-1 is the empty constraint, as S3 has answered since before regions had names.
        return {"LocationConstraint": None if bucket.region == "us-east-1" else bucket.region}

    # -- versioning -------------------------------------------------------------------------------
    def put_bucket_versioning(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        config = params["VersioningConfiguration"]
        status = config.get("Status")
        if status not in (None, "Enabled", "Suspended"):
            raise malformed_xml()
        if bucket.object_lock and status == "Suspended":
            raise ServiceError("InvalidBucketState", "An Object Lock configuration is present on this bucket, so the "
                               "versioning state cannot be changed.", 409)
        if status:
            bucket.versioning = status
        if config.get("MFADelete"):
            bucket.mfa_delete = config["MFADelete"]
        self.state.save(bucket)
        return {}

    def get_bucket_versioning(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        output = {}
        if bucket.versioning:
            output["Status"] = bucket.versioning
        if bucket.mfa_delete:
            output["MFADelete"] = bucket.mfa_delete
        return output

    # -- tagging ----------------------------------------------------------------------------------
    def put_bucket_tagging(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        bucket.tags = tag_set(params["Tagging"])
        self.state.save(bucket)
        return {}

    def get_bucket_tagging(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        if not bucket.tags:
            raise no_configuration("NoSuchTagSet", "The TagSet does not exist", bucket.name)
        return {"TagSet": bucket.tags}

    def delete_bucket_tagging(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        bucket.tags = None
        self.state.save(bucket)
        return {}

    # -- ACL --------------------------------------------------------------------------------------
    def get_bucket_acl(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        return acl_document(bucket.owner, bucket.acl)

    def put_bucket_acl(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        grants = grants_of(params.get("ACL"), ctx.account_id)
        if params.get("AccessControlPolicy"):
            grants = [g for g in params["AccessControlPolicy"].get("Grants", [])
                      if g.get("Grantee", {}).get("ID") != canonical_id(bucket.owner)]
        check_acl_allowed(bucket, params.get("ACL"), grants)
        bucket.acl = grants
        self.state.save(bucket)
        return {}


class BucketSettings:
    """Settings S3 stores and echoes as given: one Put/Get/Delete triple per setting."""

    # setting (the Put input member) -> (error code and message when absent, or None: an empty answer)
    MISSING = {
        "ServerSideEncryptionConfiguration": None,
        "OwnershipControls": ("OwnershipControlsNotFoundError", "The bucket ownership controls were not found"),
        "PublicAccessBlockConfiguration": ("NoSuchPublicAccessBlockConfiguration",
                                           "The public access block configuration was not found"),
        "WebsiteConfiguration": ("NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration"),
        "BucketLoggingStatus": None,
        "AccelerateConfiguration": None,
        "RequestPaymentConfiguration": None,
    }
    # Encryption every bucket has had since 2023 when none was set: SSE-S3.
    DEFAULT_ENCRYPTION = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                                     "BucketKeyEnabled": False}]}

    def __init__(self, state: S3State, access: Access) -> None:
        self.state = state
        self.access = access

    def putter(self, setting: str):
        def put(ctx: RequestContext, params: dict) -> dict:
            bucket = self.access.bucket(ctx, params["Bucket"])
            value = params[setting]
            if setting == "ServerSideEncryptionConfiguration":
                for rule in value.get("Rules", []):
                    algorithm = (rule.get("ApplyServerSideEncryptionByDefault") or {}).get("SSEAlgorithm")
                    if algorithm not in ("AES256", "aws:kms", "aws:kms:dsse"):
                        raise malformed_xml()
            bucket.settings[setting] = value
            self.state.save(bucket)
            return {}
        return put

    def getter(self, setting: str, output_member: str | None = None):
        def get(ctx: RequestContext, params: dict) -> dict:
            bucket = self.access.bucket(ctx, params["Bucket"])
            value = bucket.settings.get(setting)
            if value is None and setting == "ServerSideEncryptionConfiguration":
                value = self.DEFAULT_ENCRYPTION
            if value is None:
                missing = self.MISSING.get(setting)
                if missing is not None:
                    raise no_configuration(missing[0], missing[1], bucket.name)
                return {}
            if output_member is None:
                return dict(value)  # the setting's members are the output's (accelerate, request payment, logging)
            return {output_member: value}
        return get

    def deleter(self, setting: str):
        def delete(ctx: RequestContext, params: dict) -> dict:
            bucket = self.access.bucket(ctx, params["Bucket"])
            bucket.settings.pop(setting, None)
            self.state.save(bucket)
            return {}
        return delete
