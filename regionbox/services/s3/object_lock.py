"""Object Lock: a bucket's lock configuration (Put/GetObjectLockConfiguration), retention and legal
holds on versions (Put/GetObjectRetention, Put/GetObjectLegalHold), the x-amz-object-lock-*
headers of writes and reads, and the rule every removal obeys (``check_removable``).

AWS's rules, as enforced here:
- Object Lock is on from CreateBucket (ObjectLockEnabledForBucket, which also enables versioning)
  or switched on later by PutObjectLockConfiguration on a bucket whose versioning is Enabled;
  it is never switched off, and versioning can no longer be suspended (buckets.py).
- A version stays until its RetainUntilDate has passed and its legal hold is OFF. Removing it
  (DeleteObject with a version id, DeleteObjects, lifecycle) answers AccessDenied meanwhile;
  GOVERNANCE yields to x-amz-bypass-governance-retention, COMPLIANCE to nothing. A delete without
  a version id only adds a delete marker, which locks do not stop. Writes never overwrite a
  version here: a locked bucket's versioning is always Enabled.
- A retention may be extended (or GOVERNANCE raised to COMPLIANCE) freely; shortening, removing
  or weakening a GOVERNANCE one needs the bypass header; a COMPLIANCE one is never shortened.
- The bucket's default retention applies to each new version written without its own.

The bypass header is honoured for the callers who reach the handler; IAM's separate
s3:BypassGovernanceRetention permission is not checked apart from s3:PutObjectRetention /
s3:DeleteObjectVersion.
"""

from __future__ import annotations

from typing import Any

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.s3.errors import access_denied, invalid_argument, invalid_request, malformed_xml, no_configuration
from regionbox.services.s3.models import Bucket, Version
from regionbox.services.s3.policies import Access
from regionbox.services.s3.state import S3State

DAY = 86400
MODES = ("GOVERNANCE", "COMPLIANCE")
CONFIGURATION = "ObjectLockConfiguration"  # where the bucket keeps it, in Bucket.settings


def missing_lock() -> ServiceError:
    return invalid_request("Bucket is missing Object Lock Configuration")


def _no_object_lock(version: Version) -> ServiceError:
    return ServiceError("NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration",
                        404, Key=version.key, VersionId=version.version_id)


def _future(moment: Any) -> float:
    until = clock.to_epoch(moment)
    if until is None or until <= clock.epoch():
        raise invalid_argument("The retain until date must be in the future!", "RetainUntilDate", str(moment))
    return until


def write_meta(bucket: Bucket, params: dict) -> dict:
    """The lock a write asks for with x-amz-object-lock-* headers (PutObject, CopyObject,
    CreateMultipartUpload), checked as S3 checks them: {"retention": ..., "legal_hold": ...}."""
    mode, until, hold = params.get("ObjectLockMode"), params.get("ObjectLockRetainUntilDate"), params.get("ObjectLockLegalHoldStatus")
    if mode is None and until is None and hold is None:
        return {}
    if not bucket.object_lock:
        raise missing_lock()
    found: dict[str, Any] = {}
    if (mode is None) != (until is None):
        raise invalid_argument("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied")
    if mode is not None:
        if mode not in MODES:
            raise invalid_argument("Unknown wormMode directive.", "x-amz-object-lock-mode", mode)
        found["retention"] = {"Mode": mode, "RetainUntilDate": _future(until)}
    if hold is not None:
        if hold not in ("ON", "OFF"):
            raise invalid_argument("Legal Hold must be either of 'ON' or 'OFF'", "x-amz-object-lock-legal-hold", hold)
        found["legal_hold"] = hold
    return found


def apply_default(bucket: Bucket, meta: dict, now: float) -> None:
    """A new version without a retention of its own gets the bucket's default retention."""
    if not bucket.object_lock or meta.get("retention"):
        return
    default = ((bucket.settings.get(CONFIGURATION) or {}).get("Rule") or {}).get("DefaultRetention")
    if default:
        days = default.get("Days") or 365 * (default.get("Years") or 0)
        meta["retention"] = {"Mode": default["Mode"], "RetainUntilDate": now + days * DAY}


def read_output(meta: dict) -> dict:
    """The x-amz-object-lock-* headers of GetObject and HeadObject."""
    output: dict[str, Any] = {}
    if meta.get("retention"):
        output["ObjectLockMode"] = meta["retention"]["Mode"]
        output["ObjectLockRetainUntilDate"] = meta["retention"]["RetainUntilDate"]
    if meta.get("legal_hold"):
        output["ObjectLockLegalHoldStatus"] = meta["legal_hold"]
    return output


def locked(version: Version, now: float, bypass: bool = False) -> bool:
    """Whether the version may not be removed now (a delete marker never is locked)."""
    meta = version.meta
    if meta.get("legal_hold") == "ON":
        return True
    retention = meta.get("retention")
    if not retention or retention["RetainUntilDate"] <= now:
        return False
    return retention["Mode"] == "COMPLIANCE" or not bypass


def check_removable(version: Version | None, bypass: bool) -> None:
    if version is not None and locked(version, clock.epoch(), bypass):
        raise access_denied()


class ObjectLock:
    def __init__(self, state: S3State, access: Access, objects: Any) -> None:
        self.state = state
        self.access = access
        self.objects = objects  # looks versions up as every object operation does

    # -- the bucket's configuration -------------------------------------------------------------
    def put_object_lock_configuration(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        config = params.get("ObjectLockConfiguration") or {}
        if config.get("ObjectLockEnabled") != "Enabled":
            raise malformed_xml()
        rule = config.get("Rule")
        if rule is not None:
            retention = rule.get("DefaultRetention") or {}
            if retention.get("Mode") not in MODES or (retention.get("Days") is None) == (retention.get("Years") is None):
                raise malformed_xml()
            period = retention.get("Days") if retention.get("Days") is not None else retention["Years"]
            if period <= 0:
                raise invalid_argument("Default retention period must be a positive integer value", "Retention", str(period))
            if retention.get("Days", 0) > 36500 or retention.get("Years", 0) > 100:
                raise invalid_argument("Default retention period is too large.", "Retention", str(period))
        if not bucket.object_lock:
            # Since 2023 AWS lets a versioned bucket turn Object Lock on; never an unversioned one.
            if bucket.versioning != "Enabled":
                raise ServiceError("InvalidBucketState", "Versioning must be 'Enabled' on the bucket to apply a Object "
                                   "Lock configuration", 409)
            bucket.object_lock = True
        bucket.settings[CONFIGURATION] = {"ObjectLockEnabled": "Enabled", **({"Rule": rule} if rule else {})}
        self.state.save(bucket)
        return {}

    def get_object_lock_configuration(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        if not bucket.object_lock:
            raise no_configuration("ObjectLockConfigurationNotFoundError",
                                   "Object Lock configuration does not exist for this bucket", bucket.name)
        return {CONFIGURATION: bucket.settings.get(CONFIGURATION) or {"ObjectLockEnabled": "Enabled"}}

    # -- a version's retention and legal hold ---------------------------------------------------
    def _version(self, ctx: RequestContext, params: dict) -> tuple[Bucket, Version]:
        bucket = self.access.bucket(ctx, params["Bucket"], params["Key"])
        if not bucket.object_lock:
            raise missing_lock()
        return bucket, self.objects.current(bucket, params["Key"], params.get("VersionId"), "GET")

    def put_object_retention(self, ctx: RequestContext, params: dict) -> dict:
        _, version = self._version(ctx, params)
        wanted = params.get("Retention") or {}
        bypass = bool(params.get("BypassGovernanceRetention"))
        mode, until = wanted.get("Mode"), wanted.get("RetainUntilDate")
        if (mode is None) != (until is None) or (mode is not None and mode not in MODES):
            raise malformed_xml()
        new = {"Mode": mode, "RetainUntilDate": _future(until)} if mode else None
        old = version.meta.get("retention")
        if old and old["RetainUntilDate"] > clock.epoch():
            weaker = new is None or new["RetainUntilDate"] < old["RetainUntilDate"] or \
                (old["Mode"] == "COMPLIANCE" and new["Mode"] == "GOVERNANCE")
            if weaker and (old["Mode"] == "COMPLIANCE" or not bypass):
                raise access_denied()
        if new is None:
            version.meta.pop("retention", None)
        else:
            version.meta["retention"] = new
        self.state.catalog.update_meta(version)
        return {}

    def get_object_retention(self, ctx: RequestContext, params: dict) -> dict:
        _, version = self._version(ctx, params)
        if not version.meta.get("retention"):
            raise _no_object_lock(version)
        return {"Retention": dict(version.meta["retention"])}

    def put_object_legal_hold(self, ctx: RequestContext, params: dict) -> dict:
        _, version = self._version(ctx, params)
        status = (params.get("LegalHold") or {}).get("Status")
        if status not in ("ON", "OFF"):
            raise malformed_xml()
        version.meta["legal_hold"] = status
        self.state.catalog.update_meta(version)
        return {}

    def get_object_legal_hold(self, ctx: RequestContext, params: dict) -> dict:
        _, version = self._version(ctx, params)
        if not version.meta.get("legal_hold"):
            raise _no_object_lock(version)
        return {"LegalHold": {"Status": version.meta["legal_hold"]}}
