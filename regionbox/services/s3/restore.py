"""Archived objects (storage class GLACIER or DEEP_ARCHIVE) and RestoreObject.

As on S3: an archived object is listed and answers HeadObject, but GetObject and copying from it
answer InvalidObjectState until a restore has made a temporary copy readable. RestoreObject
starts one (x-amz-restore: ongoing-request="true"), which is ready after the retrieval tier's time
and readable until its expiry date: the midnight (UTC) after Days days, when the object is
archived again. A second request while one runs answers RestoreAlreadyInProgress; one after it
completed sets a new expiry. GLACIER_IR (instant retrieval) is readable as it is.

Times follow the slowest end of AWS's published ranges, in hours of a day that lasts ``s3_day``
seconds (config.py), so that tests and demos need not wait hours. What a restore is doing is
worked out from its stored ready and expiry times when read, so it survives restarts as it is.
"""

from __future__ import annotations

import math
from email.utils import formatdate

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.s3.errors import invalid_argument, malformed_xml
from regionbox.services.s3.models import Version
from regionbox.services.s3.notifications import Notifier
from regionbox.services.s3.policies import Access
from regionbox.services.s3.state import S3State

ARCHIVED = ("GLACIER", "DEEP_ARCHIVE")
# Hours a retrieval takes, by storage class and tier (S3 user guide: "Archive retrieval options").
HOURS = {("GLACIER", "Expedited"): 5 / 60, ("GLACIER", "Standard"): 5, ("GLACIER", "Bulk"): 12,
         ("DEEP_ARCHIVE", "Standard"): 12, ("DEEP_ARCHIVE", "Bulk"): 48}


def readable_copy(version: Version, now: float) -> bool:
    restore = version.meta.get("restore")
    return bool(restore) and restore["ready"] <= now < restore["expiry"]


def check_readable(version: Version) -> None:
    """GetObject and copies of an archived object need a restored copy."""
    if version.storage_class in ARCHIVED and not readable_copy(version, clock.epoch()):
        raise ServiceError("InvalidObjectState", "The operation is not valid for the object's storage class", 403,
                           StorageClass=version.storage_class)


def restore_header(meta: dict) -> dict:
    """x-amz-restore of GetObject and HeadObject, while a restore runs or its copy lasts."""
    restore = meta.get("restore")
    now = clock.epoch()
    if not restore or now >= restore["expiry"]:
        return {}
    if now < restore["ready"]:
        return {"Restore": 'ongoing-request="true"'}
    return {"Restore": f'ongoing-request="false", expiry-date="{formatdate(restore["expiry"], usegmt=True)}"'}


class Restores:
    def __init__(self, state: S3State, access: Access, objects, notifier: Notifier, day: float) -> None:
        self.state = state
        self.access = access
        self.objects = objects  # looks the version up as every object operation does
        self.notifier = notifier
        self.day = day

    async def restore_object(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"], params["Key"])
        version = self.objects.current(bucket, params["Key"], params.get("VersionId"), "POST")
        request = params.get("RestoreRequest") or {}
        if request.get("Type") == "SELECT" or request.get("OutputLocation"):
            raise ServiceError("NotImplemented", "A header you provided implies functionality that is not implemented", 501)
        if version.storage_class not in ARCHIVED:
            raise ServiceError("InvalidObjectState", "Restore is not allowed for the object's current storage class", 403)
        days = request.get("Days")
        if days is None:
            raise malformed_xml()
        if days < 1:
            raise invalid_argument("The restore days must be a positive integer", "Days", str(days))
        tier = (request.get("GlacierJobParameters") or {}).get("Tier") or request.get("Tier") or "Standard"
        hours = HOURS.get((version.storage_class, tier))
        if hours is None:
            raise ServiceError("InvalidArgument", f"{tier} retrieval is not supported for the {version.storage_class} "
                               "storage class", 400)
        now = clock.epoch()
        current = version.meta.get("restore")
        if current and now < current["ready"]:
            raise ServiceError("RestoreAlreadyInProgress", "Object restore is already in progress", 409)
        # Already restored: only the expiry moves, counted from now (as S3 does for a repeated request).
        ready = current["ready"] if current and now < current["expiry"] else now + hours / 24 * self.day
        start = max(ready, now)
        version.meta["restore"] = {"ready": ready, "expiry": math.ceil((start + days * self.day) / self.day) * self.day,
                                   "tier": tier}
        with self.state.store.transaction():
            self.state.catalog.update_meta(version)
        await self.notifier.restored(ctx, bucket, version)
        return {}
