"""Replication: Put/Get/DeleteBucketReplication, and the replication itself.

A new version that a rule matches is written with ReplicationStatus PENDING (HeadObject shows it at
once, as on AWS); a background task (cloud.tasks) then copies it to each destination bucket with
the same key, version id, last-modified time, metadata, tags and lock, marked REPLICA there, and
the source version becomes COMPLETED (FAILED when a destination is gone or no longer versioned).
Data is not copied: the replica's files are hard links of the source's (storage.py).

Delete markers (a delete without a version id) are replicated when the rule says so: always
under the first schema (a rule with a bare Prefix), with DeleteMarkerReplication Enabled under the
current one (a rule with a Filter), never by a rule that filters on tags. Deleting a version by
its id is never replicated, and replicas are not replicated again, as on AWS.

Versions left PENDING by a stop or a crash are replicated when the cloud starts again (``resume``).
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from typing import Any

from regionbox.core.context import RequestContext
from regionbox.services.s3.errors import invalid_argument, invalid_request, malformed_xml, no_configuration
from regionbox.services.s3.models import Bucket, Version
from regionbox.services.s3.policies import Access
from regionbox.services.s3.state import S3State

log = logging.getLogger("regionbox.s3")
SETTING = "ReplicationConfiguration"  # where a bucket keeps it, in Bucket.settings
_ROLE = re.compile(r"arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]+")
_BUCKET = re.compile(r"arn:aws[\w-]*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])")


def _filter_parts(rule: dict) -> tuple[str, list[dict]]:
    found = rule.get("Filter")
    if found is None:
        return rule.get("Prefix") or "", []
    if "And" in found:
        return found["And"].get("Prefix") or "", found["And"].get("Tags") or []
    return found.get("Prefix") or "", [found["Tag"]] if found.get("Tag") else []


def matches(rule: dict, key: str, tags: list[dict]) -> bool:
    prefix, wanted = _filter_parts(rule)
    own = {tag["Key"]: tag["Value"] for tag in tags}
    return key.startswith(prefix) and all(own.get(tag["Key"]) == tag.get("Value") for tag in wanted)


def replicates_markers(rule: dict) -> bool:
    if rule.get("Filter") is None:
        return True  # the first schema replicated every delete marker
    return (rule.get("DeleteMarkerReplication") or {}).get("Status") == "Enabled" and not _filter_parts(rule)[1]


def destination_of(rule: dict) -> str:
    return _BUCKET.fullmatch(rule["Destination"]["Bucket"]).group(1)


class Replication:
    def __init__(self, state: S3State, access: Access, tasks: Any) -> None:
        self.state = state
        self.access = access
        self.tasks = tasks  # cloud.tasks

    # -- configuration ----------------------------------------------------------------------------
    def put_bucket_replication(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        config = params["ReplicationConfiguration"]
        rules = config.get("Rules") or []
        if bucket.versioning != "Enabled":
            raise invalid_request("Versioning must be 'Enabled' on the bucket to apply a replication configuration")
        if not _ROLE.fullmatch(config.get("Role") or ""):
            raise invalid_argument("Invalid ARN", "Role", config.get("Role") or "")
        if not rules or len(rules) > 1000:
            raise malformed_xml()
        current = [rule.get("Filter") is not None for rule in rules]
        if any(current) and not all(current):
            raise malformed_xml()  # the two schemas do not mix in one configuration
        ids = [rule.get("ID") for rule in rules if rule.get("ID")]
        if len(ids) != len(set(ids)):
            raise invalid_argument("Rule Id must be unique", "ID", ids[0])
        priorities = [rule.get("Priority") for rule in rules if rule.get("Priority") is not None]
        if len(priorities) != len(set(priorities)):
            raise invalid_request("Found overlapping priorities: two or more rules have the same priority")
        for rule in rules:
            self._check_rule(ctx, rule, current[0])
        stored = [{"ID": rule.get("ID") or secrets.token_hex(16), **{k: v for k, v in rule.items() if k != "ID"}}
                  for rule in rules]
        bucket.settings[SETTING] = {"Role": config["Role"], "Rules": stored}
        self.state.save(bucket)
        return {}

    def _check_rule(self, ctx: RequestContext, rule: dict, current_schema: bool) -> None:
        if rule.get("Status") not in ("Enabled", "Disabled") or len(rule.get("ID") or "") > 255:
            raise malformed_xml()
        if current_schema:
            if rule.get("DeleteMarkerReplication") is None:
                raise invalid_argument("DeleteMarkerReplication must be specified for this version of Cross Region "
                                       "Replication configuration schema.", "DeleteMarkerReplication", "null")
            if (rule["DeleteMarkerReplication"].get("Status") == "Enabled") and _filter_parts(rule)[1]:
                raise invalid_request("Delete marker replication is not supported if any Tag filter is specified. Please "
                                      "refer to S3 Developer Guide for more information.")
        elif rule.get("DeleteMarkerReplication") is not None or rule.get("Priority") is not None:
            raise malformed_xml()  # only the current schema (Filter) has them
        found = _BUCKET.fullmatch(rule["Destination"].get("Bucket") or "")
        if found is None:
            raise invalid_argument("Invalid bucket ARN", "Bucket", rule["Destination"].get("Bucket") or "")
        destination = self.state.find(ctx.region, found.group(1))
        if destination is None:
            raise invalid_request("Destination bucket must exist.")
        if destination.versioning != "Enabled":
            raise invalid_request("Destination bucket must have versioning enabled.")

    def get_bucket_replication(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        if not bucket.settings.get(SETTING):
            raise no_configuration("ReplicationConfigurationNotFoundError", "The replication configuration was not found",
                                   bucket.name)
        return {SETTING: bucket.settings[SETTING]}

    def delete_bucket_replication(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        bucket.settings.pop(SETTING, None)
        self.state.save(bucket)
        return {}

    # -- replicating ------------------------------------------------------------------------------
    def _targets(self, bucket: Bucket, version: Version) -> list[dict]:
        """The rules the version goes by, one per destination (the highest priority wins)."""
        config = bucket.settings.get(SETTING)
        if not config or version.meta.get("replication") == "REPLICA":
            return []
        tags = version.meta.get("tags") or []
        chosen: dict[str, dict] = {}
        for rule in sorted(config["Rules"], key=lambda r: -(r.get("Priority") or 0)):
            if rule.get("Status") != "Enabled" or not matches(rule, version.key, tags):
                continue
            if version.delete_marker and not replicates_markers(rule):
                continue
            chosen.setdefault(destination_of(rule), rule)
        return list(chosen.values())

    def stamp(self, bucket: Bucket, version: Version) -> None:
        """Called before a new version is written: PENDING if some rule will replicate it."""
        if not version.delete_marker and self._targets(bucket, version):
            version.meta["replication"] = "PENDING"

    def schedule(self, bucket: Bucket, version: Version) -> None:
        """Called once a new version (or delete marker) is written."""
        if version.delete_marker and not self._targets(bucket, version):
            return
        if not version.delete_marker and version.meta.get("replication") != "PENDING":
            return
        self.tasks.spawn(self.replicate(bucket.region, bucket.name, version.key, version.version_id), owner="s3",
                         what=f"replicating s3://{bucket.name}/{version.key} ({version.version_id})")

    async def replicate(self, region: str, name: str, key: str, version_id: str) -> None:
        await asyncio.sleep(0)  # after the request that wrote it has been answered
        bucket = self.state.find(region, name)
        version = self.state.catalog.version(name, key, version_id)
        if bucket is None or version is None:
            return  # gone meanwhile: nothing left to replicate
        status = "COMPLETED"
        for rule in self._targets(bucket, version):
            destination = self.state.find(region, destination_of(rule))
            if destination is None or destination.versioning != "Enabled":
                status = "FAILED"
                continue
            self._copy(version, destination, rule["Destination"].get("StorageClass"))
        if not version.delete_marker:
            current = self.state.catalog.version(name, key, version_id)
            if current is not None:
                current.meta["replication"] = status
                with self.state.store.transaction():
                    self.state.catalog.update_meta(current)

    def _copy(self, version: Version, destination: Bucket, storage_class: str | None) -> None:
        catalog = self.state.catalog
        meta = {**version.meta, "replication": "REPLICA"} if not version.delete_marker else {}
        if storage_class and not version.delete_marker:
            meta["StorageClass"] = storage_class
        files = self.state.files.link(version.files)
        replica = Version(destination.name, version.key, version.version_id, catalog.next_seq(), True, version.delete_marker,
                          version.size, version.etag, version.modified, files, meta, version.inline)
        with self.state.store.transaction():
            replaced = catalog.put(replica)
        if replaced is not None:
            self.state.files.remove(file_id for file_id, _ in replaced.files)

    def resume(self) -> int:
        """Schedule what a stop left PENDING; returns how many versions."""
        count = 0
        for bucket in self.state.all_buckets():
            if not bucket.settings.get(SETTING):
                continue
            for version in self.state.catalog.all_versions(bucket.name):
                if version.meta.get("replication") == "PENDING":
                    self.schedule(bucket, version)
                    count += 1
        return count

