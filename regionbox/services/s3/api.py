"""What S3 offers other services (``cloud.services.api("s3")``): Transfer Family's SFTP and FTP
servers put, get, head, delete, list and copy objects by (account, bucket, key), with bodies as
streams, and look buckets up. Every call runs the same handlers as the wire, so the semantics
(versioning, checksums, events, bucket policies, errors as ``ServiceError`` with S3's codes) are
the same; the caller is the account's root unless a ``Caller`` (a role's session) is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, AsyncIterable, AsyncIterator

from regionbox.core import ids
from regionbox.core.context import Caller, RequestContext
from regionbox.services.s3.listing import Listing
from regionbox.services.s3.objects import Objects
from regionbox.services.s3.state import S3State


@dataclass(frozen=True)
class BucketInfo:
    name: str
    owner: str
    region: str
    versioning: str
    # What the owner granted others: the bucket policy (JSON text) and ACL grants beyond the
    # owner's own (services that write into a user's bucket check them as AWS does).
    policy: str | None = None
    acl: tuple[dict, ...] = ()


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str
    last_modified: float
    version_id: str | None
    content_type: str
    metadata: dict


@dataclass(frozen=True)
class Listed:
    objects: list[ObjectInfo]
    common_prefixes: list[str]
    next_token: str | None


class S3Api:
    def __init__(self, state: S3State, objects: Objects, listing: Listing, default_region: str,
                 buckets: Any = None) -> None:
        self._state = state
        self._objects = objects
        self._listing = listing
        self._region = default_region
        self._buckets = buckets

    def _ctx(self, account: str, operation: str, region: str | None, caller: Caller | None) -> RequestContext:
        return RequestContext(caller=caller or Caller.root(account, access_key_id=account), region=region or self._region,
                              request_id=ids.request_id(), service="s3", operation=operation)

    def bucket(self, name: str, region: str | None = None) -> BucketInfo | None:
        found = self._state.find(region or self._region, name)
        if found is None:
            return None
        return BucketInfo(found.name, found.owner, found.region, found.versioning, found.policy, tuple(found.acl or ()))

    def create_bucket(self, account: str, name: str, region: str | None = None) -> BucketInfo:
        """A bucket of the account in the region, created as CreateBucket does (S3's errors as
        ``ServiceError``: BucketAlreadyExists for another owner's name); the existing one if the
        account already owns it (services that keep their output in a bucket of their own)."""
        region = region or self._region
        found = self.bucket(name, region)
        if found is None or found.owner != account:
            params: dict[str, Any] = {"Bucket": name}
            if region != "us-east-1":
                params["CreateBucketConfiguration"] = {"LocationConstraint": region}
            self._buckets.create_bucket(self._ctx(account, "CreateBucket", region, None), params)
            found = self.bucket(name, region)
        return found

    async def put_object(self, account: str, bucket: str, key: str, body: AsyncIterable[bytes] | bytes, *,
                         content_type: str | None = None, metadata: dict[str, str] | None = None,
                         region: str | None = None, caller: Caller | None = None) -> ObjectInfo:
        params: dict[str, Any] = {"Bucket": bucket, "Key": key, "Body": body}
        if content_type:
            params["ContentType"] = content_type
        if metadata:
            params["Metadata"] = metadata
        await self._objects.put_object(self._ctx(account, "PutObject", region, caller), params)
        return self.head_object(account, bucket, key, region=region, caller=caller)

    async def get_object(self, account: str, bucket: str, key: str, *, first: int | None = None, last: int | None = None,
                         region: str | None = None, caller: Caller | None = None,
                         version_id: str | None = None) -> tuple[ObjectInfo, AsyncIterator[bytes]]:
        """The object (bytes ``first``..``last``) and its body, an async iterator of chunks. A body kept
        in files also offers them as ``pieces`` ((path, offset, length), or None once read as
        chunks), so that a sender can have the kernel copy them to its socket (os.sendfile)."""
        params: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if version_id:
            params["VersionId"] = version_id
        if first is not None:
            params["Range"] = f"bytes={first}-{'' if last is None else last}"
        output = self._objects.get_object(self._ctx(account, "GetObject", region, caller), params)
        return self._info(key, output), output["Body"]

    def head_object(self, account: str, bucket: str, key: str, *, region: str | None = None,
                    caller: Caller | None = None) -> ObjectInfo:
        output = self._objects.head_object(self._ctx(account, "HeadObject", region, caller), {"Bucket": bucket, "Key": key})
        return self._info(key, output)

    async def delete_object(self, account: str, bucket: str, key: str, *, region: str | None = None,
                            caller: Caller | None = None) -> None:
        await self._objects.delete_object(self._ctx(account, "DeleteObject", region, caller), {"Bucket": bucket, "Key": key})

    async def copy_object(self, account: str, source_bucket: str, source_key: str, bucket: str, key: str, *,
                          region: str | None = None, caller: Caller | None = None) -> ObjectInfo:
        from urllib.parse import quote

        await self._objects.copy_object(self._ctx(account, "CopyObject", region, caller),
                                        {"Bucket": bucket, "Key": key, "CopySource": f"{source_bucket}/{quote(source_key)}"})
        return self.head_object(account, bucket, key, region=region, caller=caller)

    def list_objects(self, account: str, bucket: str, *, prefix: str = "", delimiter: str = "", token: str | None = None,
                     limit: int = 1000, region: str | None = None, caller: Caller | None = None) -> Listed:
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "Delimiter": delimiter, "MaxKeys": limit}
        if token:
            params["ContinuationToken"] = token
        output = self._listing.list_objects_v2(self._ctx(account, "ListObjectsV2", region, caller), params)
        return Listed([ObjectInfo(c["Key"], c["Size"], c["ETag"], c["LastModified"], None, "", {}) for c in output["Contents"]],
                      [p["Prefix"] for p in output["CommonPrefixes"]], output.get("NextContinuationToken"))

    @staticmethod
    def _info(key: str, output: dict) -> ObjectInfo:
        return ObjectInfo(key, output["ContentLength"] if "ContentRange" not in output else int(output["ContentRange"].rsplit("/", 1)[1]),
                          output["ETag"], output["LastModified"], output.get("VersionId"),
                          output.get("ContentType", ""), output.get("Metadata") or {})
