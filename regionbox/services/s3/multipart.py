"""Multipart uploads: create, upload part (and part copy), list parts and uploads, complete, abort.

Each part is a file of its own (storage.py) and a row of the parts table; completing writes the
object's version pointing at the parts' files in order (nothing is copied) and forgets the
upload, in one transaction. An upload and its acknowledged parts survive a restart.
"""

from __future__ import annotations

import secrets
from typing import Any

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.s3 import object_lock
from regionbox.services.s3.buckets import grants_of
from regionbox.services.s3.checksums import MEMBERS, composite, full_object_crc, multipart_etag
from regionbox.services.s3.errors import invalid_argument, malformed_xml, no_such_upload
from regionbox.services.s3.models import Bucket, Upload
from regionbox.services.s3.notifications import Notifier
from regionbox.services.s3.objects import Objects, checksum_output, chunks_of, object_meta, parse_tagging
from regionbox.services.s3.policies import Access
from regionbox.services.s3.state import S3State, owner, partition_scope
from regionbox.services.s3.versions import Versions

MIN_PART = 5 * 1024 * 1024
MAX_PART = 5 * 1024 ** 3


class Multipart:
    def __init__(self, state: S3State, access: Access, objects: Objects, versions: Versions, notifier: Notifier) -> None:
        self.state = state
        self.access = access
        self.objects = objects
        self.versions = versions
        self.notifier = notifier

    def _upload(self, ctx: RequestContext, params: dict) -> tuple[Bucket, Upload]:
        bucket = self.access.bucket(ctx, params["Bucket"], params["Key"])
        upload = self.state.upload(ctx.region, params["UploadId"])
        if upload is None or upload.bucket != bucket.name or upload.key != params["Key"]:
            raise no_such_upload(params["UploadId"])
        return bucket, upload

    def create_multipart_upload(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"], params["Key"])
        meta = object_meta(params, ctx) | object_lock.write_meta(bucket, params)
        tags = parse_tagging(params.get("Tagging"))
        if tags:
            meta["tags"] = tags
        grants = grants_of(params.get("ACL"), ctx.account_id)
        if grants:
            meta["acl"] = grants
        algorithm = (params.get("ChecksumAlgorithm") or "").upper()
        kind = params.get("ChecksumType") or ("FULL_OBJECT" if algorithm == "CRC64NVME" else "COMPOSITE" if algorithm else "")
        if kind == "FULL_OBJECT" and algorithm in ("SHA1", "SHA256"):
            raise invalid_request_checksum(algorithm, kind)
        upload = Upload(upload_id=secrets.token_urlsafe(48), bucket=bucket.name, key=params["Key"], owner=ctx.account_id,
                        initiated=clock.epoch(), meta=meta, checksum_algorithm=algorithm, checksum_type=kind)
        self.state.uploads.put(partition_scope(ctx.region), upload.upload_id, upload)
        output = {"Bucket": bucket.name, "Key": upload.key, "UploadId": upload.upload_id,
                  "ServerSideEncryption": meta.get("ServerSideEncryption", "AES256")}
        if algorithm:
            output.update({"ChecksumAlgorithm": algorithm, "ChecksumType": kind})
        return output

    async def upload_part(self, ctx: RequestContext, params: dict) -> dict:
        bucket, upload = self._upload(ctx, params)
        number = self._part_number(params["PartNumber"])
        if upload.checksum_algorithm and not params.get("ChecksumAlgorithm"):
            params = {**params, "ChecksumAlgorithm": upload.checksum_algorithm}
        writer, checksums = await self.objects.write(ctx, bucket, upload.key, params, params.get("Body"), MAX_PART,
                                                     inline=False)
        file_id = writer.commit()[0][0]
        return self._keep_part(ctx, upload, number, file_id, writer.size, writer.etag, checksums) | {
            "ServerSideEncryption": upload.meta.get("ServerSideEncryption", "AES256")}

    def _keep_part(self, ctx: RequestContext, upload: Upload, number: int, file_id: str, size: int, etag: str,
                   checksums: dict) -> dict:
        if self.state.upload(ctx.region, upload.upload_id) is None:  # aborted while the body arrived
            self.state.files.remove([file_id])
            raise no_such_upload(upload.upload_id)
        with self.state.store.transaction():
            replaced = self.state.catalog.put_part(upload.upload_id, number, size, etag, clock.epoch(), file_id, checksums)
        if replaced:
            self.state.files.remove([replaced])
        output: dict[str, Any] = {"ETag": etag}
        if upload.checksum_algorithm in checksums:
            output[MEMBERS[upload.checksum_algorithm]] = checksums[upload.checksum_algorithm]
        return output

    @staticmethod
    def _part_number(number: int) -> int:
        if not 1 <= number <= 10000:
            raise invalid_argument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", str(number))
        return number

    async def upload_part_copy(self, ctx: RequestContext, params: dict) -> dict:
        _, source = self.objects.copy_source(ctx, params)
        _, upload = self._upload(ctx, params)
        number = self._part_number(params["PartNumber"])
        first, last = 0, source.size - 1
        wanted = params.get("CopySourceRange")
        if wanted:
            try:
                first_text, _, last_text = wanted[len("bytes="):].partition("-")
                first, last = int(first_text), int(last_text)
            except ValueError:
                raise invalid_argument("The x-amz-copy-source-range value must be of the form bytes=first-last where first "
                                       "and last are the zero-based offsets of the first and last bytes to copy",
                                       "x-amz-copy-source-range", wanted) from None
            if first > last or last >= source.size:
                raise ServiceError("InvalidRange", "The requested range is not satisfiable", 416,
                                   RangeRequested=wanted, ActualObjectSize=str(source.size))
        algorithms = [upload.checksum_algorithm] if upload.checksum_algorithm else ["CRC64NVME"]
        writer = self.state.files.writer(algorithms, inline=0)
        try:
            await writer.consume(self.objects.data(source, first, last) if source.size else chunks_of(b""), MAX_PART)
            file_id = writer.commit()[0][0]
        except BaseException:
            writer.discard()
            raise
        checksums = {name: checksum.b64() for name, checksum in writer.checksums.items()}
        kept = self._keep_part(ctx, upload, number, file_id, writer.size, writer.etag, checksums)
        result = {"ETag": kept.pop("ETag"), "LastModified": clock.epoch(), **kept}
        output: dict[str, Any] = {"CopyPartResult": result}
        if source.version_id != "null":
            output["CopySourceVersionId"] = source.version_id
        return output

    def list_parts(self, ctx: RequestContext, params: dict) -> dict:
        bucket, upload = self._upload(ctx, params)
        limit = params.get("MaxParts", 1000)
        marker = params.get("PartNumberMarker") or 0
        parts = self.state.catalog.parts(upload.upload_id, after=int(marker), limit=limit + 1)
        page = parts[:limit]
        output: dict[str, Any] = {
            "Bucket": bucket.name, "Key": upload.key, "UploadId": upload.upload_id, "MaxParts": limit,
            "PartNumberMarker": int(marker), "IsTruncated": len(parts) > limit, "StorageClass": upload.meta.get("StorageClass", "STANDARD"),
            "Owner": owner(upload.owner), "Initiator": {"ID": owner(upload.owner)["ID"], "DisplayName": owner(upload.owner)["DisplayName"]},
            "Parts": [{"PartNumber": p["PartNumber"], "LastModified": p["LastModified"], "ETag": p["ETag"], "Size": p["Size"],
                       **{MEMBERS[name]: value for name, value in p["checksums"].items() if name == upload.checksum_algorithm}}
                      for p in page]}
        if page:
            output["NextPartNumberMarker"] = page[-1]["PartNumber"]
        if upload.checksum_algorithm:
            output.update({"ChecksumAlgorithm": upload.checksum_algorithm, "ChecksumType": upload.checksum_type})
        return output

    def list_multipart_uploads(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        prefix, delimiter = params.get("Prefix") or "", params.get("Delimiter") or ""
        key_marker, id_marker = params.get("KeyMarker") or "", params.get("UploadIdMarker") or ""
        limit = params.get("MaxUploads", 1000)
        uploads = sorted((u for u in self.state.uploads.values(partition_scope(ctx.region))
                          if u.bucket == bucket.name and u.key.startswith(prefix)), key=lambda u: (u.key, u.initiated))
        if key_marker:
            uploads = [u for u in uploads if u.key > key_marker or (id_marker and u.key == key_marker and u.upload_id > id_marker)]
        entries, prefixes, truncated = [], [], False
        for upload in uploads:
            if delimiter and delimiter in upload.key[len(prefix):]:
                common = upload.key[:len(prefix) + upload.key[len(prefix):].index(delimiter) + len(delimiter)]
                if common not in prefixes:
                    if len(entries) + len(prefixes) >= limit:
                        truncated = True
                        break
                    prefixes.append(common)
                continue
            if len(entries) + len(prefixes) >= limit:
                truncated = True
                break
            entries.append(upload)
        output: dict[str, Any] = {
            "Bucket": bucket.name, "KeyMarker": key_marker, "UploadIdMarker": id_marker, "MaxUploads": limit,
            "IsTruncated": truncated, "Prefix": prefix,
            "Uploads": [{"UploadId": u.upload_id, "Key": u.key, "Initiated": u.initiated,
                         "StorageClass": u.meta.get("StorageClass", "STANDARD"), "Owner": owner(u.owner), "Initiator": owner(u.owner),
                         **({"ChecksumAlgorithm": u.checksum_algorithm, "ChecksumType": u.checksum_type} if u.checksum_algorithm else {})}
                        for u in entries],
            "CommonPrefixes": [{"Prefix": p} for p in prefixes]}
        if delimiter:
            output["Delimiter"] = delimiter
        if truncated and entries:
            output.update({"NextKeyMarker": entries[-1].key, "NextUploadIdMarker": entries[-1].upload_id})
        return output

    async def complete_multipart_upload(self, ctx: RequestContext, params: dict) -> dict:
        bucket, upload = self._upload(ctx, params)
        asked = (params.get("MultipartUpload") or {}).get("Parts") or []
        if not asked:
            raise malformed_xml()
        self.objects.check_write_conditions(bucket, upload.key, params)
        stored = {p["PartNumber"]: p for p in self.state.catalog.parts(upload.upload_id)}
        chosen, previous = [], 0
        for part in asked:
            number = part["PartNumber"]
            if number <= previous:
                raise ServiceError("InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered "
                                   "by part number.", 400, UploadId=upload.upload_id)
            previous = number
            found = stored.get(number)
            if found is None or found["ETag"].strip('"') != (part.get("ETag") or "").strip('"'):
                raise ServiceError("InvalidPart", "One or more of the specified parts could not be found.  The part may not "
                                   "have been uploaded, or the specified entity tag may not match the part's entity tag.",
                                   400, UploadId=upload.upload_id, PartNumber=str(number), ETag=part.get("ETag", ""))
            chosen.append(found)
        for found in chosen[:-1]:
            if found["Size"] < MIN_PART:
                raise ServiceError("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.",
                                   400, ProposedSize=str(found["Size"]), MinSizeAllowed=str(MIN_PART),
                                   PartNumber=str(found["PartNumber"]), ETag=found["ETag"])
        meta = dict(upload.meta)
        meta["parts"] = [p["Size"] for p in chosen]
        meta["checksums"], meta["checksum_type"] = self._checksums(upload, chosen, params)
        size = sum(p["Size"] for p in chosen)
        files = [[p["file"], p["Size"]] for p in chosen]
        used = {p["file"] for p in chosen}
        unused = [p["file"] for p in stored.values() if p["file"] not in used]
        def forget_upload() -> None:
            self.state.catalog.drop_parts(upload.upload_id)
            self.state.uploads.delete(partition_scope(ctx.region), upload.upload_id)

        version = self.versions.commit(bucket, upload.key, files, size, multipart_etag([p["ETag"] for p in chosen]), meta,
                                       also=forget_upload)
        self.state.files.remove(unused)
        await self.notifier.created(ctx, bucket, version, "CompleteMultipartUpload")
        output: dict[str, Any] = {"Location": f"http://{bucket.name}.s3.localhost/{upload.key}", "Bucket": bucket.name,
                                  "Key": upload.key, "ETag": version.etag,
                                  "ServerSideEncryption": meta.get("ServerSideEncryption", "AES256")}
        if bucket.versioning:
            output["VersionId"] = version.version_id
        return output | checksum_output(meta)

    @staticmethod
    def _checksums(upload: Upload, parts: list[dict], params: dict) -> tuple[dict, str]:
        algorithm = upload.checksum_algorithm
        if not algorithm:
            return {}, "FULL_OBJECT"
        values = [p["checksums"].get(algorithm) for p in parts]
        if any(value is None for value in values):
            return {}, upload.checksum_type
        if upload.checksum_type == "FULL_OBJECT":
            value = full_object_crc(algorithm, [(v, p["Size"]) for v, p in zip(values, parts)])
        else:
            value = composite(algorithm, values)
        given = params.get(MEMBERS[algorithm])
        if given and given != value:
            raise ServiceError("BadDigest", f"The {algorithm} you specified did not match the calculated checksum.", 400)
        return {algorithm: value}, upload.checksum_type

    def abort_multipart_upload(self, ctx: RequestContext, params: dict) -> dict:
        _, upload = self._upload(ctx, params)
        self.abort(partition_scope(ctx.region), upload)
        return {}

    def abort(self, scope: tuple[str, str], upload: Upload) -> None:
        files = [p["file"] for p in self.state.catalog.parts(upload.upload_id)]
        with self.state.store.transaction():
            self.state.catalog.drop_parts(upload.upload_id)
            self.state.uploads.delete(scope, upload.upload_id)
        self.state.files.remove(files)


def invalid_request_checksum(algorithm: str, kind: str) -> ServiceError:
    return ServiceError("InvalidRequest", f"The {kind} checksum type cannot be used with the {algorithm.lower()} "
                        "checksum algorithm.", 400)
