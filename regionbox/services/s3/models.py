"""S3's stored documents: buckets (a collection, global names per partition) and multipart uploads.
Object versions and parts are rows of their own tables (catalog.py): there may be millions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass
class Bucket:
    SCHEMA_VERSION: ClassVar[int] = 1

    name: str
    owner: str  # account id
    region: str
    created: float
    versioning: str = ""  # "", "Enabled", "Suspended" (never back to "" once set, as on AWS)
    mfa_delete: str = ""
    tags: list[dict] | None = None
    policy: str | None = None
    cors: list[dict] | None = None
    lifecycle: list[dict] | None = None
    notification: dict = field(default_factory=dict)
    acl: list[dict] | None = None  # grants beyond the owner's FULL_CONTROL
    object_lock: bool = False
    # Settings stored and echoed as given (encryption, website, logging, accelerate, ownership ...),
    # by the name of the member their Put operation takes.
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class Upload:
    """A multipart upload in progress; its parts are rows of the parts table."""

    SCHEMA_VERSION: ClassVar[int] = 1

    upload_id: str
    bucket: str
    key: str
    owner: str
    initiated: float
    meta: dict  # what the object will carry: content headers, user metadata, tags, SSE, storage class
    checksum_algorithm: str = ""
    checksum_type: str = ""  # COMPOSITE or FULL_OBJECT


@dataclass
class Version:
    """One version of an object (or a delete marker), as the catalog keeps it."""

    bucket: str
    key: str
    version_id: str  # "null" when written without versioning
    seq: int
    latest: bool
    delete_marker: bool
    size: int
    etag: str
    modified: float
    files: list  # [[file id, size], ...]: one file, or a multipart object's parts in order
    meta: dict  # content headers, Metadata, checksums, tags, storage class, SSE, parts, owner
    inline: bytes | None = None  # the data itself, for small objects (no files then)

    @property
    def storage_class(self) -> str:
        return self.meta.get("StorageClass", "STANDARD")
