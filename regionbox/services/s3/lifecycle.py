"""Lifecycle configuration: Put/Get/DeleteBucketLifecycleConfiguration, and the sweep that really
expires what is due (a background task every ``s3_lifecycle_interval`` seconds, cloud.tasks).

Expiration follows AWS's rule: an object is due at midnight UTC after its age in days (from its
last modification, rounded up to the next midnight), or from a rule's Date on. Noncurrent
versions expire by NoncurrentDays after they became noncurrent (approximated by the next newer
version's date), a delete marker left alone with ExpiredObjectDeleteMarker, and incomplete
multipart uploads by AbortIncompleteMultipartUpload.DaysAfterInitiation.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.protocol.values import to_epoch
from regionbox.services.s3 import object_lock
from regionbox.services.s3.errors import invalid_argument, malformed_xml, no_configuration
from regionbox.services.s3.models import Bucket, Version
from regionbox.services.s3.notifications import Notifier
from regionbox.services.s3.policies import Access
from regionbox.services.s3.state import S3State, partition_scope
from regionbox.services.s3.versions import Versions

if TYPE_CHECKING:
    from regionbox.services.s3.multipart import Multipart

log = logging.getLogger("regionbox.s3")
DAY = 86400


def due(modified: float, days: int) -> float:
    """Midnight UTC after ``modified`` + ``days`` days."""
    return (int(modified) // DAY + days + 1) * DAY


def _filter(rule: dict) -> tuple[str, list[dict], int | None, int | None]:
    found = rule.get("Filter") or {}
    if "And" in found:
        found = found["And"]
        tags = found.get("Tags") or []
    else:
        tags = [found["Tag"]] if found.get("Tag") else []
    return (found.get("Prefix") if found.get("Prefix") is not None else rule.get("Prefix") or "", tags,
            found.get("ObjectSizeGreaterThan"), found.get("ObjectSizeLessThan"))


def applies(rule: dict, version: Version) -> bool:
    prefix, tags, bigger, smaller = _filter(rule)
    if not version.key.startswith(prefix):
        return False
    own = {t["Key"]: t["Value"] for t in version.meta.get("tags") or []}
    if any(own.get(t["Key"]) != t.get("Value") for t in tags):
        return False
    if bigger is not None and not version.size > bigger:
        return False
    return smaller is None or version.size < smaller


class Lifecycle:
    def __init__(self, state: S3State, access: Access, versions: Versions, notifier: Notifier) -> None:
        self.state = state
        self.access = access
        self.versions = versions
        self.notifier = notifier
        self.multipart: Multipart | None = None  # set by load(): aborting uploads is the multipart handlers' job

    def put_bucket_lifecycle_configuration(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        rules = (params.get("LifecycleConfiguration") or {}).get("Rules") or []
        if not rules or len(rules) > 1000:
            raise malformed_xml()
        ids = [rule.get("ID") for rule in rules if rule.get("ID")]
        if len(ids) != len(set(ids)):
            raise invalid_argument("Rule ID must be unique. Found same ID for more than one rule", "ID", ids[0])
        for rule in rules:
            if rule.get("Status") not in ("Enabled", "Disabled"):
                raise malformed_xml()
            expiration = rule.get("Expiration") or {}
            if expiration.get("Days") is not None and expiration["Days"] <= 0:
                raise invalid_argument("'Days' for Expiration action must be a positive integer", "Days", str(expiration["Days"]))
            if expiration.get("Date") is not None:
                moment = expiration["Date"]
                epoch = to_epoch(moment)
                if epoch % DAY:
                    raise invalid_argument("'Date' must be at midnight GMT", "Date", str(moment))
            if not any(rule.get(k) for k in ("Expiration", "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload",
                                            "Transitions", "NoncurrentVersionTransitions")):
                raise invalid_request("At least one action needs to be specified in a rule")
        bucket.lifecycle = rules
        self.state.save(bucket)
        return {"TransitionDefaultMinimumObjectSize": params.get("TransitionDefaultMinimumObjectSize", "all_storage_classes_128K")}

    def get_bucket_lifecycle_configuration(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        if not bucket.lifecycle:
            raise no_configuration("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist", bucket.name)
        return {"Rules": bucket.lifecycle, "TransitionDefaultMinimumObjectSize": "all_storage_classes_128K"}

    def delete_bucket_lifecycle(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        bucket.lifecycle = None
        self.state.save(bucket)
        return {}

    # -- the sweep --------------------------------------------------------------------------------
    async def run(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self.sweep()

    async def sweep(self, now: float | None = None) -> int:
        """Expire everything due; returns how many versions and uploads went."""
        now = clock.epoch() if now is None else now
        gone = 0
        for bucket in self.state.all_buckets():
            rules = [rule for rule in bucket.lifecycle or [] if rule.get("Status") == "Enabled"]
            if rules:
                gone += await self._sweep_bucket(bucket, rules, now)
        return gone

    async def _sweep_bucket(self, bucket: Bucket, rules: list[dict], now: float) -> int:
        gone = 0
        newer_modified: dict[str, float] = {}
        for version in list(self.state.catalog.all_versions(bucket.name)):
            for rule in rules:
                if not applies(rule, version):
                    continue
                if version.latest:
                    if await self._expire_current(bucket, rule, version, now):
                        gone += 1
                        break
                else:
                    days = (rule.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays")
                    became = newer_modified.get(version.key, version.modified)
                    # A locked version outlives any rule (Object Lock wins over lifecycle, as on AWS).
                    if days and now >= due(became, days) and not object_lock.locked(version, now):
                        self.versions.remove(version)
                        gone += 1
                        break
            newer_modified[version.key] = version.modified
        for upload in [u for u in self.state.uploads.values(partition_scope(bucket.region)) if u.bucket == bucket.name]:
            for rule in rules:
                days = (rule.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation")
                prefix = _filter(rule)[0]
                if days and upload.key.startswith(prefix) and now >= due(upload.initiated, days) and self.multipart:
                    self.multipart.abort(partition_scope(bucket.region), upload)
                    gone += 1
                    break
        return gone

    async def _expire_current(self, bucket: Bucket, rule: dict, version: Version, now: float) -> bool:
        expiration = rule.get("Expiration") or {}
        if version.delete_marker:
            alone = len(self.state.catalog.versions_of(bucket.name, version.key)) == 1
            if alone and expiration.get("ExpiredObjectDeleteMarker"):
                self.versions.remove(version)
                return True
            return False
        when = None
        if expiration.get("Days"):
            when = due(version.modified, expiration["Days"])
        elif expiration.get("Date") is not None:
            when = to_epoch(expiration["Date"])
        if when is None or now < when:
            return False
        removed, marker = self.versions.delete(bucket, version.key, None)
        await self.notifier.expired(bucket, version.key, marker or removed or version,
                                    "DeleteMarkerCreated" if marker else "Delete")
        return True


def invalid_request(message: str) -> ServiceError:
    return ServiceError("InvalidRequest", message, 400)
