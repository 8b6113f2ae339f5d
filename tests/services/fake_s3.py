"""An S3 stand-in for Logs' export tests, loaded by test clouds as the "s3" service: buckets a
test adds, and the part of S3's api (``bucket``, ``put_object``, as the S3 service offers them)
that CreateExportTask writes with. regionbox's own S3 replaces it once it is served."""

from __future__ import annotations

from dataclasses import dataclass

from regionbox.core.registry import Entry
from regionbox.core.service import Service

ENTRY = Entry("tests.services.fake_s3")


@dataclass(frozen=True)
class BucketInfo:
    name: str
    owner: str
    region: str
    versioning: str = "Disabled"


class FakeS3:
    def __init__(self) -> None:
        self.buckets: dict[str, BucketInfo] = {}
        self.objects: dict[tuple[str, str], bytes] = {}

    def add_bucket(self, name: str, owner: str, region: str = "us-east-1") -> None:
        self.buckets[name] = BucketInfo(name, owner, region)

    def bucket(self, name: str, region: str | None = None) -> BucketInfo | None:
        return self.buckets.get(name)

    async def put_object(self, account: str, bucket: str, key: str, body, *, content_type=None, metadata=None,
                         region=None, caller=None):
        if not isinstance(body, (bytes, bytearray)):
            body = b"".join([chunk async for chunk in body])
        self.objects[(bucket, key)] = bytes(body)


def load(cloud) -> Service:
    return Service(name="s3", api=FakeS3(), operations={})
