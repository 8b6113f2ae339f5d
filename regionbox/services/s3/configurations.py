"""The bucket configurations kept by id: analytics, metrics, inventory and intelligent tiering.
Each family has Put/Get/Delete by id and a List paged as S3 pages it (100 a page, an opaque
ContinuationToken), up to 1,000 configurations a bucket; each is validated as S3 validates it.

What they drive here: inventory configurations produce real reports (inventory.py). Analytics,
request metrics and intelligent tiering are stored and echoed only: regionbox has no storage-class
analysis, no CloudWatch request metrics for S3 and no access tiers to move objects between.
"""

from __future__ import annotations

import base64
import re
from typing import Callable

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.s3.errors import invalid_argument, malformed_xml
from regionbox.services.s3.policies import Access
from regionbox.services.s3.state import S3State

PAGE = 100
LIMIT = 1000
_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_BUCKET_ARN = re.compile(r"arn:aws[\w-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
INVENTORY_FIELDS = {
    "Size", "LastModifiedDate", "StorageClass", "ETag", "IsMultipartUploaded", "ReplicationStatus", "EncryptionStatus",
    "ObjectLockRetainUntilDate", "ObjectLockMode", "ObjectLockLegalHoldStatus", "ObjectLockEventHoldStatus",
    "ObjectLockEventHoldDuration", "IntelligentTieringAccessTier", "BucketKeyStatus", "ChecksumAlgorithm",
    "ObjectAccessControlList", "ObjectOwner", "LifecycleExpirationDate", "IntelligentTieringReferenceDate"}
# Days an object must go unaccessed before each tier: (least, most), from the S3 user guide.
TIER_DAYS = {"ARCHIVE_ACCESS": (90, 730), "DEEP_ARCHIVE_ACCESS": (180, 730)}


def _destination_bucket(destination: dict) -> None:
    if not _BUCKET_ARN.fullmatch(destination.get("Bucket") or ""):
        raise invalid_argument("Invalid bucket ARN", "Bucket", destination.get("Bucket") or "")


def check_inventory(config: dict) -> None:
    destination = (config.get("Destination") or {}).get("S3BucketDestination") or {}
    _destination_bucket(destination)
    if destination.get("Format") not in ("CSV", "ORC", "Parquet"):
        raise malformed_xml()
    if (config.get("Schedule") or {}).get("Frequency") not in ("Daily", "Weekly"):
        raise malformed_xml()
    if config.get("IncludedObjectVersions") not in ("All", "Current"):
        raise malformed_xml()
    for name in config.get("OptionalFields") or []:
        if name not in INVENTORY_FIELDS:
            raise malformed_xml()


def check_analytics(config: dict) -> None:
    export = (config.get("StorageClassAnalysis") or {}).get("DataExport")
    if export is not None:
        if export.get("OutputSchemaVersion") != "V_1":
            raise malformed_xml()
        destination = (export.get("Destination") or {}).get("S3BucketDestination") or {}
        _destination_bucket(destination)
        if destination.get("Format") != "CSV":
            raise malformed_xml()


def check_tiering(config: dict) -> None:
    if config.get("Status") not in ("Enabled", "Disabled"):
        raise malformed_xml()
    tierings = config.get("Tierings") or []
    if not tierings:
        raise malformed_xml()
    tiers = [tiering.get("AccessTier") for tiering in tierings]
    if len(tiers) != len(set(tiers)):
        raise invalid_argument("Duplicate access tier in the configuration", "AccessTier", tiers[0])
    for tiering in tierings:
        least, most = TIER_DAYS.get(tiering.get("AccessTier"), (None, None))
        if least is None:
            raise malformed_xml()
        if not least <= tiering["Days"] <= most:
            raise invalid_argument(f"Days for {tiering['AccessTier']} must be between {least} and {most}", "Days",
                                   str(tiering["Days"]))


def _no_check(config: dict) -> None:
    return None


class Configurations:
    """One family: ``member`` is the model's name of a configuration ("MetricsConfiguration"),
    which names its input, output, list and the bucket setting that keeps them by id."""

    def __init__(self, state: S3State, access: Access, member: str,
                 check: Callable[[dict], None] = _no_check) -> None:
        self.state = state
        self.access = access
        self.member = member
        self.check = check
        self.setting = member + "s"

    def put(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        config, config_id = params[self.member], params["Id"]
        if not _ID.fullmatch(config_id):
            raise invalid_argument("The configuration ID is not valid", "id", config_id)
        if config.get("Id") != config_id:
            # S3 takes the id from the query string and refuses a body naming another.
            raise invalid_argument("The configuration ID in the request body does not match the ID in the request URI",
                                   "id", config.get("Id") or "")
        self.check(config)
        kept = dict(bucket.settings.get(self.setting) or {})
        if config_id not in kept and len(kept) >= LIMIT:
            raise ServiceError("TooManyConfigurations", "You are attempting to create a new configuration but have already "
                               "reached the 1,000-configuration limit.", 400)
        kept[config_id] = config
        bucket.settings[self.setting] = kept
        self.state.save(bucket)
        return {}

    def get(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        found = (bucket.settings.get(self.setting) or {}).get(params["Id"])
        if found is None:
            raise no_such_configuration()
        return {self.member: found}

    def delete(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        kept = dict(bucket.settings.get(self.setting) or {})
        if kept.pop(params["Id"], None) is None:
            raise no_such_configuration()
        bucket.settings[self.setting] = kept
        self.state.save(bucket)
        return {}

    def list(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        kept = bucket.settings.get(self.setting) or {}
        ids = sorted(kept)
        token = params.get("ContinuationToken")
        if token:
            try:
                after = base64.urlsafe_b64decode(token.encode()).decode()
            except ValueError:
                raise invalid_argument("The continuation token provided is incorrect", "continuation-token", token) from None
            ids = [config_id for config_id in ids if config_id > after]
        page = ids[:PAGE]
        output = {f"{self.member}List": [kept[config_id] for config_id in page], "IsTruncated": len(ids) > PAGE}
        if token:
            output["ContinuationToken"] = token
        if len(ids) > PAGE:
            output["NextContinuationToken"] = base64.urlsafe_b64encode(page[-1].encode()).decode()
        return output

    def operations(self, family: str) -> dict:
        """The four registrations: {"PutBucket<Family>Configuration": ..., "ListBucket<Family>Configurations": ...}."""
        return {f"PutBucket{family}Configuration": self.put, f"GetBucket{family}Configuration": self.get,
                f"DeleteBucket{family}Configuration": self.delete, f"ListBucket{family}Configurations": self.list}


def no_such_configuration() -> ServiceError:
    return ServiceError("NoSuchConfiguration", "The specified configuration does not exist.", 404)
