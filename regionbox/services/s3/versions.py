"""Writing and removing object versions as the bucket's versioning state says.

- Unversioned (never enabled): each write replaces the key's one version, id "null".
- Enabled: each write adds a version with a new id; a delete without a version id adds a delete
  marker; a delete with one removes that version for good.
- Suspended: writes replace the "null" version (older versions stay); a delete adds a "null"
  delete marker in place of the "null" version.

One store transaction per change; files a change frees are removed after it committed.
"""

from __future__ import annotations

import base64
import secrets
from typing import Callable

from regionbox.core import clock
from regionbox.services.s3 import object_lock
from regionbox.services.s3.models import Bucket, Version
from regionbox.services.s3.state import S3State

NULL = "null"


def new_version_id() -> str:
    # 32 URL-safe characters, like S3's.
    return base64.urlsafe_b64encode(secrets.token_bytes(24)).decode().replace("-", ".").replace("_", "x")


class Versions:
    def __init__(self, state: S3State) -> None:
        self.state = state
        # Replication (replication.py), set by load(): marks a new version PENDING before it is
        # written and copies it to its destinations after.
        self.replication = None

    def commit(self, bucket: Bucket, key: str, files: list, size: int, etag: str, meta: dict,
               also: Callable[[], None] | None = None, inline: bytes | None = None) -> Version:
        """Make the written data the key's current object; returns the new version. ``also`` runs
        in the same transaction (CompleteMultipartUpload forgets its upload there)."""
        catalog = self.state.catalog
        version_id = new_version_id() if bucket.versioning == "Enabled" else NULL
        now = clock.epoch()
        object_lock.apply_default(bucket, meta, now)
        version = Version(bucket.name, key, version_id, catalog.next_seq(), True, False, size, etag, now, files, meta,
                          inline)
        if self.replication is not None:
            self.replication.stamp(bucket, version)
        with self.state.store.transaction():
            replaced = catalog.put(version)
            if also is not None:
                also()
        if replaced is not None:
            self.state.files.remove(file_id for file_id, _ in replaced.files)
        if self.replication is not None:
            self.replication.schedule(bucket, version)
        return version

    def delete(self, bucket: Bucket, key: str, version_id: str | None) -> tuple[Version | None, Version | None]:
        """DeleteObject: (the version removed, the delete marker added): either may be None."""
        catalog = self.state.catalog
        if version_id is not None:
            found = catalog.version(bucket.name, key, version_id)
            if found is None:
                return None, None
            self.remove(found)
            return found, None
        if not bucket.versioning:
            found = catalog.version(bucket.name, key, NULL)
            if found is not None:
                self.remove(found)
            return found, None
        marker_id = new_version_id() if bucket.versioning == "Enabled" else NULL
        marker = Version(bucket.name, key, marker_id, catalog.next_seq(), True, True, 0, "", clock.epoch(), [], {})
        with self.state.store.transaction():
            replaced = catalog.put(marker)
        if replaced is not None:
            self.state.files.remove(file_id for file_id, _ in replaced.files)
        if self.replication is not None:
            self.replication.schedule(bucket, marker)
        return None, marker

    def remove(self, version: Version) -> None:
        with self.state.store.transaction():
            self.state.catalog.remove(version)
        self.state.files.remove(file_id for file_id, _ in version.files)
