"""S3's one typed state: buckets and multipart uploads (documents), object versions and parts
(catalog.py, SQL rows), and their data (storage.py, files under ``<state dir>/s3``).

Bucket names are global within a partition, across accounts and regions: buckets live in the
scope ``(partition, "")`` keyed by name, with their owner and region inside.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from regionbox.core.arns import partition_of
from regionbox.core.store import Scope, Store
from regionbox.services.s3.catalog import Catalog
from regionbox.services.s3.errors import no_such_bucket
from regionbox.services.s3.models import Bucket, Upload
from regionbox.services.s3.storage import Files


def partition_scope(region: str) -> Scope:
    return (partition_of(region), "")


def canonical_id(account: str) -> str:
    """The account's canonical user id (64 hex digits), as S3 shows owners."""
    return hashlib.sha256(f"regionbox-canonical:{account}".encode()).hexdigest()


def owner(account: str) -> dict:
    return {"ID": canonical_id(account), "DisplayName": f"account-{account}"}


class S3State:
    def __init__(self, store: Store, root: Path) -> None:
        self.store = store
        self.buckets = store.collection("s3.buckets", Bucket)
        self.uploads = store.collection("s3.uploads", Upload)
        self.catalog = Catalog(store)
        self.files = Files(root)

    def find(self, region: str, name: str) -> Bucket | None:
        return self.buckets.get(partition_scope(region), name)

    def bucket(self, region: str, name: str) -> Bucket:
        found = self.find(region, name)
        if found is None:
            raise no_such_bucket(name)
        return found

    def save(self, bucket: Bucket) -> None:
        self.buckets.put(partition_scope(bucket.region), bucket.name, bucket)

    def all_buckets(self) -> list[Bucket]:
        return [bucket for _, _, bucket in self.buckets.all()]

    def upload(self, region: str, upload_id: str) -> Upload | None:
        return self.uploads.get(partition_scope(region), upload_id)
