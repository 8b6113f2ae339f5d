"""Inventory reports: what an enabled CSV inventory configuration delivers, as S3 lays it out in
the destination bucket:

    <prefix>/<source bucket>/<config id>/data/<uuid>.csv.gz        the listing, gzipped CSV
    <prefix>/<source bucket>/<config id>/<YYYY-MM-DDTHH-MMZ>/manifest.json  (and manifest.checksum)
    <prefix>/<source bucket>/<config id>/hive/dt=<YYYY-MM-DD-HH-MM>/symlink.txt

Columns are Bucket, Key (URL-encoded), then VersionId, IsLatest, IsDeleteMarker when the
configuration includes All versions, then the OptionalFields in the order given; every value
quoted. A Daily configuration reports once a day, a Weekly one once every seven, the first one a
period after S3 first sees it (AWS: within 48 hours). A day lasts ``s3_day`` seconds (config.py),
so that tests and demos need not wait one. ORC and Parquet configurations are accepted and stored
but produce no report: regionbox writes CSV only.
"""

from __future__ import annotations

import asyncio
import csv
import gzip
import hashlib
import io
import time
import uuid
from typing import Any
from urllib.parse import quote

import orjson

from regionbox.core import clock
from regionbox.services.s3.models import Bucket, Version
from regionbox.services.s3.objects import chunks_of
from regionbox.services.s3.state import S3State
from regionbox.services.s3.versions import Versions

SETTING = "InventoryConfigurations"
LAST = "inventory_reported"  # {config id: epoch of its last report}, beside the configurations


def _cell(field: str, version: Version) -> str:
    meta = version.meta
    if version.delete_marker:
        return ""
    retention = meta.get("retention") or {}
    values: dict[str, Any] = {
        "Size": version.size, "LastModifiedDate": clock.iso(version.modified), "ETag": version.etag.strip('"'),
        "StorageClass": version.storage_class, "IsMultipartUploaded": "true" if meta.get("parts") else "false",
        "ReplicationStatus": meta.get("replication", ""), "EncryptionStatus": {"aws:kms": "SSE-KMS"}.get(
            meta.get("ServerSideEncryption", "AES256"), "SSE-S3"),
        "ObjectLockMode": retention.get("Mode", ""),
        "ObjectLockRetainUntilDate": clock.iso(retention["RetainUntilDate"]) if retention else "",
        "ObjectLockLegalHoldStatus": meta.get("legal_hold", "OFF"), "BucketKeyStatus": "DISABLED",
        "ChecksumAlgorithm": ",".join(meta.get("checksums") or {}), "ObjectOwner": meta.get("owner", ""),
    }
    return str(values.get(field, ""))


def rows(versions: list[Version], config: dict, bucket: str) -> tuple[list[str], list[list[str]]]:
    """(the file schema, the rows) of a report over ``versions`` (every version of the bucket, key order)."""
    every = config.get("IncludedObjectVersions") == "All"
    fields = config.get("OptionalFields") or []
    schema = ["Bucket", "Key", *(["VersionId", "IsLatest", "IsDeleteMarker"] if every else []), *fields]
    prefix = (config.get("Filter") or {}).get("Prefix") or ""
    found = []
    for version in versions:
        if not version.key.startswith(prefix) or (not every and (not version.latest or version.delete_marker)):
            continue
        row = [bucket, quote(version.key, safe="/")]
        if every:
            row += [version.version_id if version.version_id != "null" else "", str(version.latest).lower(),
                    str(version.delete_marker).lower()]
        found.append(row + [_cell(field, version) for field in fields])
    return schema, found


class Inventory:
    def __init__(self, state: S3State, versions: Versions, day: float) -> None:
        self.state = state
        self.versions = versions
        self.day = day

    async def run(self) -> None:
        while True:
            await asyncio.sleep(min(self.day / 24, 60))
            await self.sweep()

    async def sweep(self, now: float | None = None) -> int:
        """Deliver every report due; returns how many."""
        now = clock.epoch() if now is None else now
        delivered = 0
        for bucket in self.state.all_buckets():
            configs = bucket.settings.get(SETTING) or {}
            if not configs:
                continue
            last = dict(bucket.settings.get(LAST) or {})
            for config_id, config in configs.items():
                period = self.day * (7 if (config.get("Schedule") or {}).get("Frequency") == "Weekly" else 1)
                if config_id not in last:
                    last[config_id] = now  # first seen: the first report comes one period later
                elif now - last[config_id] >= period and config.get("IsEnabled"):
                    if await self.report(bucket, config, now):
                        delivered += 1
                    last[config_id] = now
            current = self.state.find(bucket.region, bucket.name)
            if current is not None and current.settings.get(LAST) != last:
                current.settings[LAST] = {k: v for k, v in last.items() if k in configs}
                self.state.save(current)
        return delivered

    async def report(self, bucket: Bucket, config: dict, now: float) -> bool:
        target = config["Destination"]["S3BucketDestination"]
        if target.get("Format") != "CSV":
            return False
        destination = self.state.find(bucket.region, target["Bucket"].rsplit(":", 1)[-1])
        if destination is None:
            return False  # AWS skips a delivery whose destination is gone
        schema, found = rows(list(self.state.catalog.all_versions(bucket.name)), config, bucket.name)
        text = io.StringIO()
        csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(found)
        data = gzip.compress(text.getvalue().encode(), mtime=0)
        base = "/".join(part for part in (target.get("Prefix", "").strip("/"), bucket.name, config["Id"]) if part)
        data_key = f"{base}/data/{uuid.uuid4()}.csv.gz"
        await self._put(destination, data_key, data, "application/x-gzip")
        stamp = time.strftime("%Y-%m-%dT%H-%MZ", time.gmtime(now))
        manifest = orjson.dumps({
            "sourceBucket": bucket.name, "destinationBucket": target["Bucket"], "version": "2016-11-30",
            "creationTimestamp": str(int(now * 1000)), "fileFormat": "CSV", "fileSchema": ", ".join(schema),
            "files": [{"key": data_key, "size": len(data), "MD5checksum": hashlib.md5(data).hexdigest()}]},
            option=orjson.OPT_INDENT_2)
        await self._put(destination, f"{base}/{stamp}/manifest.json", manifest, "application/json")
        await self._put(destination, f"{base}/{stamp}/manifest.checksum", hashlib.md5(manifest).hexdigest().encode(), "text/plain")
        hive = time.strftime("%Y-%m-%d-%H-%M", time.gmtime(now))
        await self._put(destination, f"{base}/hive/dt={hive}/symlink.txt", f"s3://{destination.name}/{data_key}\n".encode(),
                        "text/plain")
        return True

    async def _put(self, bucket: Bucket, key: str, data: bytes, content_type: str) -> None:
        writer = self.state.files.writer(["CRC64NVME"])
        try:
            await writer.consume(chunks_of(data), len(data))
            files = writer.commit()
        except BaseException:
            writer.discard()
            raise
        meta = {"ContentType": content_type, "owner": bucket.owner, "checksum_type": "FULL_OBJECT",
                "checksums": {name: checksum.b64() for name, checksum in writer.checksums.items()}}
        self.versions.commit(bucket, key, files, writer.size, writer.etag, meta, inline=writer.inline)
