"""ListObjects (v1), ListObjectsV2 and ListObjectVersions: prefix, delimiter and common prefixes,
markers, start-after, continuation tokens and encoding-type=url, walked in key order straight
from the catalog's index (a common prefix is skipped over in one seek, not row by row)."""

from __future__ import annotations

import base64
from typing import Any, Iterator
from urllib.parse import quote

from regionbox.core.context import RequestContext
from regionbox.services.s3.errors import invalid_argument
from regionbox.services.s3.models import Version
from regionbox.services.s3.policies import Access
from regionbox.services.s3.state import S3State, owner

BATCH = 1000


def _after(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


class Listing:
    def __init__(self, state: S3State, access: Access) -> None:
        self.state = state
        self.access = access

    def walk(self, bucket: str, prefix: str, delimiter: str, start: str = "", versions: bool = False,
             before_seq: int | None = None) -> Iterator[Version | str]:
        """Versions (the latest of each key, or all with ``versions``) and common prefixes (str), in
        key order, after ``start`` (or from the versions of ``start`` older than ``before_seq``)."""
        catalog = self.state.catalog
        if start and start >= prefix:
            key, inclusive, seq = start, False, before_seq
        else:
            key, inclusive, seq = prefix, True, None
        while True:
            rows = (catalog.versions_from(bucket, key, inclusive, BATCH, seq) if versions
                    else catalog.latest_from(bucket, key, inclusive, BATCH))
            if not rows:
                return
            for row in rows:
                if not row.key.startswith(prefix):
                    if row.key > prefix:
                        return
                    continue
                if delimiter:
                    cut = row.key.find(delimiter, len(prefix))
                    if cut >= 0:
                        common = row.key[:cut + len(delimiter)]
                        if not (start and start.startswith(common)):  # a page may end on a common prefix
                            yield common
                        key, inclusive, seq = _after(common), True, None
                        break
                if not versions and row.delete_marker:
                    continue
                yield row
            else:
                if len(rows) < BATCH:
                    return
                key, inclusive, seq = rows[-1].key, False, (rows[-1].seq if versions else None)

    @staticmethod
    def _encode(value: str | None, url: bool) -> str | None:
        return quote(value, safe="/") if url and value is not None else value

    def _common(self, ctx: RequestContext, params: dict) -> tuple[str, str, int, bool]:
        encoding = params.get("EncodingType")
        if encoding is not None and encoding != "url":
            raise invalid_argument("Invalid Encoding Method specified in Request", "encoding-type", encoding)
        limit = params.get("MaxKeys", 1000)
        if limit < 0:
            raise invalid_argument("max-keys cannot be negative", "max-keys", str(limit))
        return params.get("Prefix") or "", params.get("Delimiter") or "", min(limit, 1000), encoding == "url"

    def _page(self, bucket: str, prefix: str, delimiter: str, start: str, limit: int) -> tuple[list, list, bool, str]:
        contents, prefixes, last = [], [], ""
        for entry in self.walk(bucket, prefix, delimiter, start):
            if len(contents) + len(prefixes) >= limit:
                return contents, prefixes, True, last
            if isinstance(entry, str):
                prefixes.append(entry)
                last = entry
            else:
                contents.append(entry)
                last = entry.key
        return contents, prefixes, False, last

    def _content(self, version: Version, url: bool, fetch_owner: bool) -> dict:
        item: dict[str, Any] = {"Key": self._encode(version.key, url), "LastModified": version.modified, "ETag": version.etag,
                                "Size": version.size, "StorageClass": version.storage_class}
        algorithms = list((version.meta.get("checksums") or {}))
        if algorithms:
            item["ChecksumAlgorithm"] = algorithms
            item["ChecksumType"] = version.meta.get("checksum_type", "FULL_OBJECT")
        if fetch_owner:
            item["Owner"] = owner(version.meta.get("owner", ""))
        return item

    def list_objects(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"], extra={"s3:prefix": params.get("Prefix") or ""})
        prefix, delimiter, limit, url = self._common(ctx, params)
        marker = params.get("Marker") or ""
        contents, prefixes, truncated, last = self._page(bucket.name, prefix, delimiter, marker, limit)
        output: dict[str, Any] = {
            "Name": bucket.name, "Prefix": self._encode(prefix, url), "Marker": self._encode(marker, url), "MaxKeys": limit,
            "IsTruncated": truncated, "Contents": [self._content(v, url, True) for v in contents],
            "CommonPrefixes": [{"Prefix": self._encode(p, url)} for p in prefixes]}
        if delimiter:
            output["Delimiter"] = self._encode(delimiter, url)
            if truncated:
                output["NextMarker"] = self._encode(last, url)
        if url:
            output["EncodingType"] = "url"
        return output

    def list_objects_v2(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"], extra={"s3:prefix": params.get("Prefix") or ""})
        prefix, delimiter, limit, url = self._common(ctx, params)
        token = params.get("ContinuationToken")
        start = params.get("StartAfter") or ""
        if token is not None:
            try:
                start = base64.urlsafe_b64decode(token.encode()).decode()
            except ValueError:
                raise invalid_argument("The continuation token provided is incorrect", "continuation-token", token) from None
        contents, prefixes, truncated, last = self._page(bucket.name, prefix, delimiter, start, limit)
        output: dict[str, Any] = {
            "Name": bucket.name, "Prefix": self._encode(prefix, url), "MaxKeys": limit, "IsTruncated": truncated,
            "KeyCount": len(contents) + len(prefixes),
            "Contents": [self._content(v, url, bool(params.get("FetchOwner"))) for v in contents],
            "CommonPrefixes": [{"Prefix": self._encode(p, url)} for p in prefixes]}
        if delimiter:
            output["Delimiter"] = self._encode(delimiter, url)
        if token is not None:
            output["ContinuationToken"] = token
        if params.get("StartAfter"):
            output["StartAfter"] = self._encode(params["StartAfter"], url)
        if truncated:
            output["NextContinuationToken"] = base64.urlsafe_b64encode(last.encode()).decode()
        if url:
            output["EncodingType"] = "url"
        return output

    def list_object_versions(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        prefix, delimiter, limit, url = self._common(ctx, params)
        key_marker, id_marker = params.get("KeyMarker") or "", params.get("VersionIdMarker") or ""
        if id_marker and not key_marker:
            raise invalid_argument("A version-id marker cannot be specified without a key marker.", "version-id-marker", id_marker)
        versions, markers, prefixes = [], [], []
        truncated, last_key, last_id = False, "", ""
        before = None
        if id_marker:
            marked = self.state.catalog.version(bucket.name, key_marker, id_marker)
            before = marked.seq if marked is not None else None
        for entry in self.walk(bucket.name, prefix, delimiter, key_marker, versions=True, before_seq=before):
            if len(versions) + len(markers) + len(prefixes) >= limit:
                truncated = True
                break
            if isinstance(entry, str):
                prefixes.append(entry)
                last_key, last_id = entry, ""
                continue
            item: dict[str, Any] = {"Key": self._encode(entry.key, url), "VersionId": entry.version_id,
                                    "IsLatest": entry.latest, "LastModified": entry.modified, "Owner": owner(entry.meta.get("owner", bucket.owner))}
            if entry.delete_marker:
                markers.append(item)
            else:
                item.update({"ETag": entry.etag, "Size": entry.size, "StorageClass": entry.storage_class})
                if entry.meta.get("checksums"):
                    item["ChecksumAlgorithm"] = list(entry.meta["checksums"])
                    item["ChecksumType"] = entry.meta.get("checksum_type", "FULL_OBJECT")
                versions.append(item)
            last_key, last_id = entry.key, entry.version_id
        output: dict[str, Any] = {
            "Name": bucket.name, "Prefix": self._encode(prefix, url), "KeyMarker": self._encode(key_marker, url),
            "VersionIdMarker": id_marker, "MaxKeys": limit, "IsTruncated": truncated, "Versions": versions,
            "DeleteMarkers": markers, "CommonPrefixes": [{"Prefix": self._encode(p, url)} for p in prefixes]}
        if delimiter:
            output["Delimiter"] = self._encode(delimiter, url)
        if truncated:
            output["NextKeyMarker"] = self._encode(last_key, url)
            if last_id:
                output["NextVersionIdMarker"] = last_id
        if url:
            output["EncodingType"] = "url"
        return output
