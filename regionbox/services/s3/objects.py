"""Objects: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject, tagging,
ACLs and GetObjectAttributes. Bodies stream to and from disk (storage.py); what an object is
(its versions) is the catalog's (versions.py writes it)."""

from __future__ import annotations

import base64
from typing import Any, AsyncIterator
from urllib.parse import unquote

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.s3 import conditions, object_lock, restore
from regionbox.services.s3.buckets import acl_document, check_acl_allowed, grants_of, tag_set
from regionbox.services.s3.checksums import MEMBERS
from regionbox.services.s3.errors import (bad_digest, invalid_argument, invalid_request, malformed_xml,
                                          method_not_allowed, no_such_key, no_such_version)
from regionbox.services.s3.models import Bucket, Version
from regionbox.services.s3.notifications import Notifier
from regionbox.services.s3.policies import Access
from regionbox.services.s3.state import S3State
from regionbox.services.s3.storage import INLINE, BodyWriter
from regionbox.services.s3.versions import NULL, Versions

MAX_PUT = 5 * 1024 ** 3
# What a write stores of its input and a read gives back, by member name.
CONTENT = ("ContentType", "ContentEncoding", "ContentDisposition", "ContentLanguage", "CacheControl", "Expires",
           "WebsiteRedirectLocation")
ENCRYPTION = ("ServerSideEncryption", "SSEKMSKeyId", "BucketKeyEnabled", "SSECustomerAlgorithm", "SSECustomerKeyMD5")
# What a copy does not take from its source: who owns it and may read it, and the state of the
# source version itself (its lock, replication status, restored copy).
NOT_COPIED = ("acl", "tags", "owner", "retention", "legal_hold", "replication", "restore")
OVERRIDES = {"ResponseContentType": "ContentType", "ResponseContentEncoding": "ContentEncoding",
             "ResponseContentDisposition": "ContentDisposition", "ResponseContentLanguage": "ContentLanguage",
             "ResponseCacheControl": "CacheControl", "ResponseExpires": "Expires"}


async def chunks_of(body: Any) -> AsyncIterator[bytes]:
    """A payload as chunks, whatever it came as (a request stream, bytes from in-process callers)."""
    if body is None:
        return
    if isinstance(body, (bytes, bytearray, str)):
        yield body.encode() if isinstance(body, str) else bytes(body)
        return
    async for chunk in body:
        yield chunk


def given_checksums(params: dict) -> dict[str, str]:
    """Checksums the client sent in headers: {"CRC32": b64}."""
    return {name: params[member] for name, member in MEMBERS.items() if params.get(member)}


def algorithms_for(params: dict, given: dict[str, str], body: Any) -> list[str]:
    """Which checksums to compute: those given or announced (header, trailer, algorithm), else
    CRC64NVME, which S3 computes for every object uploaded without one."""
    wanted = set(given)
    algorithm = params.get("ChecksumAlgorithm")
    if algorithm:
        wanted.add(algorithm.upper())
    for name in getattr(body, "announced", ()):
        if name.startswith("x-amz-checksum-"):
            wanted.add(name[len("x-amz-checksum-"):].upper())
    if len(wanted) > 1:
        raise invalid_request("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
    return sorted(wanted) or ["CRC64NVME"]


def verify_checksums(writer: BodyWriter, given: dict[str, str], body: Any, content_md5: str | None) -> dict[str, str]:
    """Compare what was computed with what the client sent (headers and trailers); return the checksums to keep."""
    trailers = getattr(body, "trailers", None) or {}
    for name, value in trailers.items():
        if name.startswith("x-amz-checksum-"):
            given = {**given, name[len("x-amz-checksum-"):].upper(): value}
    computed = {name: checksum.b64() for name, checksum in writer.checksums.items()}
    for name, value in given.items():
        if name in computed and computed[name] != value:
            raise bad_digest(name)
    if content_md5 is not None:
        try:
            expected = base64.b64decode(content_md5, validate=True)
        except ValueError:
            raise ServiceError("InvalidDigest", "The Content-MD5 you specified was invalid.", 400) from None
        if expected != writer.md5.digest():
            raise bad_digest("MD5")
    return computed


def checksum_output(meta: dict, part: bool = False) -> dict:
    output = {MEMBERS[name]: value for name, value in (meta.get("checksums") or {}).items()}
    if output and not part:
        output["ChecksumType"] = meta.get("checksum_type", "FULL_OBJECT")
    return output


def object_meta(params: dict, ctx: RequestContext) -> dict:
    meta = {name: params[name] for name in CONTENT if params.get(name) is not None}
    if params.get("Metadata"):
        meta["Metadata"] = params["Metadata"]
    if params.get("StorageClass") and params["StorageClass"] != "STANDARD":
        meta["StorageClass"] = params["StorageClass"]
    meta.update({name: params[name] for name in ENCRYPTION if params.get(name) is not None})
    meta["owner"] = ctx.account_id
    return meta


def parse_tagging(header: str | None) -> list[dict] | None:
    """x-amz-tagging: a URL-encoded query string of tags."""
    if header is None:
        return None
    from urllib.parse import parse_qsl

    return tag_set({"TagSet": [{"Key": k, "Value": v} for k, v in parse_qsl(header, keep_blank_values=True)]}, limit=10)


def read_output(bucket: Bucket, version: Version, params: dict) -> dict:
    """The headers GetObject and HeadObject answer with."""
    meta = version.meta
    output: dict[str, Any] = {name: meta[name] for name in CONTENT if meta.get(name) is not None}
    output.setdefault("ContentType", "binary/octet-stream")
    output.update({"ETag": version.etag, "LastModified": version.modified, "AcceptRanges": "bytes",
                   "ServerSideEncryption": meta.get("ServerSideEncryption", "AES256")})
    output.update({name: meta[name] for name in ENCRYPTION[1:] if meta.get(name) is not None})
    if meta.get("Metadata"):
        output["Metadata"] = meta["Metadata"]
    if meta.get("StorageClass"):
        output["StorageClass"] = meta["StorageClass"]
    if meta.get("tags"):
        output["TagCount"] = len(meta["tags"])
    if bucket.versioning or version.version_id != NULL:
        output["VersionId"] = version.version_id
    output.update(object_lock.read_output(meta))
    output.update(restore.restore_header(meta))
    if meta.get("replication"):
        output["ReplicationStatus"] = meta["replication"]
    if params.get("ChecksumMode") == "ENABLED":
        output.update(checksum_output(meta))
    for override, member in OVERRIDES.items():
        if params.get(override) is not None:
            output[member] = params[override]
    return output


class Objects:
    def __init__(self, state: S3State, access: Access, versions: Versions, notifier: Notifier) -> None:
        self.state = state
        self.access = access
        self.versions = versions
        self.notifier = notifier

    # -- looking objects up -----------------------------------------------------------------------
    def current(self, bucket: Bucket, key: str, version_id: str | None, method: str = "GET") -> Version:
        """The version a read names (the latest without a version id); delete markers answer as S3 does."""
        catalog = self.state.catalog
        if version_id is not None:
            if version_id != NULL and len(version_id) < 8:
                raise invalid_argument("Invalid version id specified", "versionId", version_id)
            found = catalog.version(bucket.name, key, version_id)
            if found is None:
                raise no_such_version(key, version_id)
            if found.delete_marker:
                raise method_not_allowed(method, "DeleteMarker")
            return found
        found = catalog.latest(bucket.name, key)
        if found is None or found.delete_marker:
            raise no_such_key(key)
        return found

    # -- writes -----------------------------------------------------------------------------------
    async def write(self, ctx: RequestContext, bucket: Bucket, key: str, params: dict, body: Any,
                    limit: int = MAX_PUT, inline: bool = True) -> tuple[BodyWriter, dict]:
        """Stream ``body`` to a file (or memory, when small and ``inline``), checking checksums;
        returns the writer (committed by the caller) and checksums."""
        given = given_checksums(params)
        writer = self.state.files.writer(algorithms_for(params, given, body), INLINE if inline else 0)
        try:
            await writer.consume(chunks_of(body), limit)
            if params.get("ContentLength") is not None and getattr(body, "decoded_length", None) is None \
                    and not isinstance(body, (bytes, bytearray, str)) and writer.size < params["ContentLength"]:
                raise ServiceError("IncompleteBody", "You did not provide the number of bytes specified by the "
                                   "Content-Length HTTP header", 400)
            checksums = verify_checksums(writer, given, body, params.get("ContentMD5"))
        except BaseException:
            writer.discard()
            raise
        return writer, checksums

    async def put_object(self, ctx: RequestContext, params: dict, how: str = "Put") -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"], params["Key"])
        key = params["Key"]
        if len(key.encode()) > 1024:
            raise ServiceError("KeyTooLongError", "Your key is too long", 400)
        self.check_write_conditions(bucket, key, params)
        tags = parse_tagging(params.get("Tagging"))
        grants = grants_of(params.get("ACL"), ctx.account_id)
        check_acl_allowed(bucket, params.get("ACL"), grants)
        lock = object_lock.write_meta(bucket, params)
        writer, checksums = await self.write(ctx, bucket, key, params, params.get("Body"))
        try:
            # Checked again once the body is in: another writer may have won meanwhile.
            self.check_write_conditions(bucket, key, params)
            files = writer.commit()
        except BaseException:
            writer.discard()
            raise
        meta = object_meta(params, ctx) | {"checksums": checksums, "checksum_type": "FULL_OBJECT"} | lock
        if tags:
            meta["tags"] = tags
        if grants:
            meta["acl"] = grants
        version = self.versions.commit(bucket, key, files, writer.size, writer.etag, meta, inline=writer.inline)
        await self.notifier.created(ctx, bucket, version, how)
        return self._write_output(bucket, version) | checksum_output(meta)

    def check_write_conditions(self, bucket: Bucket, key: str, params: dict) -> None:
        if params.get("IfNoneMatch") is not None or params.get("IfMatch") is not None:
            conditions.check_write(self.state.catalog.latest(bucket.name, key), params, key)

    def data(self, version: Version, first: int, last: int) -> AsyncIterator[bytes]:
        """Bytes ``first``..``last`` of a version's data, from its row or its files."""
        if version.inline is not None:
            return chunks_of(version.inline[first:last + 1])
        return self.state.files.read(version.files, first, last)

    @staticmethod
    def _write_output(bucket: Bucket, version: Version) -> dict:
        output: dict[str, Any] = {"ETag": version.etag, "ServerSideEncryption": version.meta.get("ServerSideEncryption", "AES256"),
                                  "Size": version.size}
        output.update({name: version.meta[name] for name in ENCRYPTION[1:] if version.meta.get(name) is not None})
        if bucket.versioning:
            output["VersionId"] = version.version_id
        return output

    # -- reads ------------------------------------------------------------------------------------
    def _readable(self, ctx: RequestContext, params: dict, method: str) -> tuple[Bucket, Version]:
        bucket = self.state.bucket(ctx.region, params["Bucket"])
        key = params["Key"]
        try:
            version = self.current(bucket, key, params.get("VersionId"), method)
        except ServiceError:
            # No object: a caller who may not list the bucket learns nothing (403 rather than 404).
            self.access.check(ctx, bucket, key)
            raise
        self.access.check(ctx, bucket, key, object_grants=version.meta.get("acl"))
        conditions.check_read(version, params)
        return bucket, version

    def get_object(self, ctx: RequestContext, params: dict) -> dict:
        bucket, version = self._readable(ctx, params, "GET")
        restore.check_readable(version)
        output = read_output(bucket, version, params)
        first, last = 0, version.size - 1
        part_number = params.get("PartNumber")
        if part_number is not None:
            first, last = self._part_range(version, part_number)
            output["PartsCount"] = len(version.meta.get("parts") or [version.size])
            if first > 0 or last < version.size - 1:
                output["ContentRange"] = f"bytes {first}-{last}/{version.size}"
        else:
            wanted = conditions.byte_range(params.get("Range"), version.size)
            if wanted is not None:
                first, last = wanted
                output["ContentRange"] = f"bytes {first}-{last}/{version.size}"
        if "ContentRange" in output:  # a piece of the object: the whole object's checksums do not describe it
            for member in [m for m in output if m.startswith("Checksum")]:
                output.pop(member)
        output["ContentLength"] = max(0, last - first + 1)
        output["Body"] = self.data(version, first, last) if version.size else chunks_of(b"")
        return output

    @staticmethod
    def _part_range(version: Version, number: int) -> tuple[int, int]:
        sizes = version.meta.get("parts") or [version.size]
        if not 1 <= number <= len(sizes):
            raise ServiceError("InvalidPartNumber", "The requested partnumber is not satisfiable", 416,
                               PartNumberRequested=str(number), ActualPartCount=str(len(sizes)))
        first = sum(sizes[:number - 1])
        return first, first + sizes[number - 1] - 1

    def head_object(self, ctx: RequestContext, params: dict) -> dict:
        bucket, version = self._readable(ctx, params, "HEAD")
        output = read_output(bucket, version, params)
        size = version.size
        if params.get("PartNumber") is not None:
            first, last = self._part_range(version, params["PartNumber"])
            output["PartsCount"] = len(version.meta.get("parts") or [version.size])
            size = last - first + 1
        else:
            wanted = conditions.byte_range(params.get("Range"), version.size)
            if wanted is not None:
                size = wanted[1] - wanted[0] + 1
                output["ContentRange"] = f"bytes {wanted[0]}-{wanted[1]}/{version.size}"
        output["ContentLength"] = size
        return output

    # -- deletes ----------------------------------------------------------------------------------
    async def delete_object(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"], params["Key"],
                                    operation="DeleteObjectVersion" if params.get("VersionId") else "DeleteObject")
        return await self._delete(ctx, bucket, params["Key"], params.get("VersionId"), params)

    async def _delete(self, ctx: RequestContext, bucket: Bucket, key: str, version_id: str | None, params: dict) -> dict:
        if version_id is not None and version_id != NULL and len(version_id) < 8:
            raise invalid_argument("Invalid version id specified", "versionId", version_id)
        if params.get("IfMatch") is not None:
            current = self.state.catalog.latest(bucket.name, key)
            if current is not None and not current.delete_marker and not conditions._matches(params["IfMatch"], current.etag):
                raise ServiceError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                                   412, Condition="If-Match")
        if version_id is not None:
            object_lock.check_removable(self.state.catalog.version(bucket.name, key, version_id),
                                        bool(params.get("BypassGovernanceRetention")))
        removed, marker = self.versions.delete(bucket, key, version_id)
        output: dict[str, Any] = {}
        if marker is not None:
            output.update({"DeleteMarker": True, "VersionId": marker.version_id})
            await self.notifier.removed(ctx, bucket, key, marker, "DeleteMarkerCreated")
        elif removed is not None:
            if version_id is not None:
                output["VersionId"] = version_id
            if removed.delete_marker:
                output["DeleteMarker"] = True
            await self.notifier.removed(ctx, bucket, key, removed, "Delete")
        return output

    async def delete_objects(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.state.bucket(ctx.region, params["Bucket"])
        request = params["Delete"]
        items = request.get("Objects") or []
        if len(items) > 1000:
            raise malformed_xml()
        deleted, errors = [], []
        for item in items:
            key, version_id = item["Key"], item.get("VersionId")
            try:
                self.access.check(ctx, bucket, key, operation="DeleteObjectVersion" if version_id else "DeleteObject")
                result = await self._delete(ctx, bucket, key, version_id, {
                    "IfMatch": item.get("ETag"), "BypassGovernanceRetention": params.get("BypassGovernanceRetention")})
            except ServiceError as error:
                errors.append({"Key": key, "Code": error.code, "Message": error.message,
                               **({"VersionId": version_id} if version_id else {})})
                continue
            entry: dict[str, Any] = {"Key": key}
            if version_id:
                entry["VersionId"] = version_id
            if result.get("DeleteMarker"):
                entry["DeleteMarker"] = True
                if not version_id:
                    entry["DeleteMarkerVersionId"] = result["VersionId"]
            deleted.append(entry)
        output: dict[str, Any] = {}
        if not request.get("Quiet") and deleted:
            output["Deleted"] = deleted
        if errors:
            output["Errors"] = errors
        return output

    # -- copy -------------------------------------------------------------------------------------
    async def copy_object(self, ctx: RequestContext, params: dict) -> dict:
        source_bucket, source = self.copy_source(ctx, params)
        bucket = self.access.bucket(ctx, params["Bucket"], params["Key"])
        key = params["Key"]
        directive = params.get("MetadataDirective", "COPY")
        if directive not in ("COPY", "REPLACE"):
            raise invalid_argument("Unknown metadata directive.", "x-amz-metadata-directive", directive)
        same = source_bucket.name == bucket.name and source.key == key and not params.get("CopySourceVersionId")
        changes = directive == "REPLACE" or any(params.get(name) for name in (
            "StorageClass", "WebsiteRedirectLocation", "ServerSideEncryption", "SSEKMSKeyId"))
        if same and not changes and not bucket.versioning:
            raise invalid_request("This copy request is illegal because it is trying to copy an object to itself without "
                                  "changing the object's metadata, storage class, website redirect location or encryption "
                                  "attributes.")
        self.check_write_conditions(bucket, key, params)
        lock = object_lock.write_meta(bucket, params)
        if directive == "REPLACE":
            meta = object_meta(params, ctx)
        else:
            meta = {name: value for name, value in source.meta.items() if name not in NOT_COPIED}
            meta.update({name: params[name] for name in ("StorageClass", "WebsiteRedirectLocation", *ENCRYPTION)
                         if params.get(name) is not None})
            meta["owner"] = ctx.account_id
        meta["checksums"] = source.meta.get("checksums") or {}
        meta["checksum_type"] = source.meta.get("checksum_type", "FULL_OBJECT")
        if source.meta.get("parts"):
            meta["parts"] = source.meta["parts"]
        meta.update(lock)
        if params.get("TaggingDirective", "COPY") == "REPLACE":
            tags = parse_tagging(params.get("Tagging"))
            if tags:
                meta["tags"] = tags
        elif source.meta.get("tags"):
            meta["tags"] = source.meta["tags"]
        files = self.state.files.link(source.files)
        version = self.versions.commit(bucket, key, files, source.size, source.etag, meta, inline=source.inline)
        await self.notifier.created(ctx, bucket, version, "Copy")
        output: dict[str, Any] = {"CopyObjectResult": {"ETag": version.etag, "LastModified": version.modified,
                                                       **checksum_output(meta)},
                                  "ServerSideEncryption": meta.get("ServerSideEncryption", "AES256")}
        if source_bucket.versioning or source.version_id != NULL:
            output["CopySourceVersionId"] = source.version_id
        if bucket.versioning:
            output["VersionId"] = version.version_id
        return output

    def copy_source(self, ctx: RequestContext, params: dict) -> tuple[Bucket, Version]:
        """The object x-amz-copy-source names ("bucket/key?versionId=..."), readable by the caller,
        with the x-amz-copy-source-if-* conditions checked."""
        text = params["CopySource"]
        path, _, query = text.partition("?")
        path = unquote(path).lstrip("/")
        name, slash, key = path.partition("/")
        if not slash or not key:
            raise invalid_argument("Invalid copy source object key", "x-amz-copy-source", text)
        version_id = None
        if query.startswith("versionId="):
            version_id = unquote(query[len("versionId="):])
        bucket = self.state.bucket(ctx.region, name)
        source = self.current(bucket, key, version_id, "GET") if version_id else self._latest_for_copy(bucket, key)
        self.access.check(ctx, bucket, key, operation="GetObject", object_grants=source.meta.get("acl"))
        restore.check_readable(source)
        conditions.check_read(source, params, prefix="CopySourceIf", condition_prefix="x-amz-copy-source-")
        return bucket, source

    def _latest_for_copy(self, bucket: Bucket, key: str) -> Version:
        found = self.state.catalog.latest(bucket.name, key)
        if found is None or found.delete_marker:
            raise no_such_key(key)
        return found

    # -- tagging, ACLs, attributes ----------------------------------------------------------------
    def _version_for_meta(self, ctx: RequestContext, params: dict, operation: str | None = None) -> tuple[Bucket, Version]:
        bucket = self.access.bucket(ctx, params["Bucket"], params["Key"], operation=operation)
        return bucket, self.current(bucket, params["Key"], params.get("VersionId"), "GET")

    def get_object_tagging(self, ctx: RequestContext, params: dict) -> dict:
        bucket, version = self._version_for_meta(ctx, params)
        output = {"TagSet": version.meta.get("tags") or []}
        if bucket.versioning or version.version_id != NULL:
            output["VersionId"] = version.version_id
        return output

    def put_object_tagging(self, ctx: RequestContext, params: dict) -> dict:
        bucket, version = self._version_for_meta(ctx, params)
        version.meta["tags"] = tag_set(params["Tagging"], limit=10)
        self.state.catalog.update_meta(version)
        return {"VersionId": version.version_id} if bucket.versioning else {}

    def delete_object_tagging(self, ctx: RequestContext, params: dict) -> dict:
        bucket, version = self._version_for_meta(ctx, params)
        version.meta.pop("tags", None)
        self.state.catalog.update_meta(version)
        return {"VersionId": version.version_id} if bucket.versioning else {}

    def get_object_acl(self, ctx: RequestContext, params: dict) -> dict:
        _, version = self._version_for_meta(ctx, params)
        return acl_document(version.meta.get("owner", ""), version.meta.get("acl"))

    def put_object_acl(self, ctx: RequestContext, params: dict) -> dict:
        bucket, version = self._version_for_meta(ctx, params)
        grants = grants_of(params.get("ACL"), ctx.account_id)
        if params.get("AccessControlPolicy"):
            grants = [g for g in params["AccessControlPolicy"].get("Grants", []) if g.get("Grantee", {}).get("Type") == "Group"]
        check_acl_allowed(bucket, params.get("ACL"), grants)
        version.meta["acl"] = grants
        self.state.catalog.update_meta(version)
        return {}

    def get_object_attributes(self, ctx: RequestContext, params: dict) -> dict:
        bucket, version = self._version_for_meta(ctx, params)
        wanted = set(params.get("ObjectAttributes") or [])
        output: dict[str, Any] = {"LastModified": version.modified}
        if bucket.versioning or version.version_id != NULL:
            output["VersionId"] = version.version_id
        if "ETag" in wanted:
            output["ETag"] = version.etag.strip('"')
        if "ObjectSize" in wanted:
            output["ObjectSize"] = version.size
        if "StorageClass" in wanted:
            output["StorageClass"] = version.storage_class
        if "Checksum" in wanted and version.meta.get("checksums"):
            output["Checksum"] = checksum_output(version.meta)
        if "ObjectParts" in wanted and version.meta.get("parts"):
            output["ObjectParts"] = {"TotalPartsCount": len(version.meta["parts"])}
        return output


