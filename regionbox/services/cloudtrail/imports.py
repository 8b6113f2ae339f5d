"""Imports of trail log files from S3 into event data stores: StartImport, GetImport, ListImports,
StopImport, ListImportFailures.

An import reads the gzip'd ``{"Records": [...]}`` log files under its S3 location (a trail's
``AWSLogs/`` tree, or any prefix in it), keeps the events between StartEventTime and
EndEventTime, and adds them to its destination store, as a background task: INITIALIZING, then
IN_PROGRESS, then COMPLETED, FAILED (no file could be read) or STOPPED (StopImport). A file that
cannot be read or parsed is a failure entry (ListImportFailures) and the import goes on. The
access role must exist and trust cloudtrail.amazonaws.com; the files are read as the bucket's
owner. One import runs at a time per account, as on AWS.
"""

from __future__ import annotations

import gzip
import logging
import uuid
from typing import TYPE_CHECKING, Callable

import orjson

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.tasks import Tasks
from regionbox.services.cloudtrail import errors
from regionbox.services.cloudtrail.destinations import SERVICE
from regionbox.services.cloudtrail.event_data_stores import categories
from regionbox.services.cloudtrail.lake_parser import RunError, Timestamp
from regionbox.services.cloudtrail.models import Import
from regionbox.services.cloudtrail.paging import LISTING, listed
from regionbox.services.cloudtrail.state import CloudTrailState

if TYPE_CHECKING:
    from regionbox.services.iam.api import IamApi
    from regionbox.services.s3.api import S3Api

log = logging.getLogger("regionbox.cloudtrail")
RUNNING = ("INITIALIZING", "IN_PROGRESS")
FAILURES_KEPT = 1000


def _shape(item: Import) -> dict:
    shape = {"ImportId": item.import_id, "Destinations": item.destinations, "ImportSource": item.source,
             "ImportStatus": item.status, "CreatedTimestamp": clock.from_epoch(item.created),
             "UpdatedTimestamp": clock.from_epoch(item.updated)}
    if item.start_event_time is not None:
        shape["StartEventTime"] = clock.from_epoch(item.start_event_time)
    if item.end_event_time is not None:
        shape["EndEventTime"] = clock.from_epoch(item.end_event_time)
    return shape


def _statistics(item: Import) -> dict:
    return {"PrefixesFound": item.prefixes_found, "PrefixesCompleted": item.prefixes_completed,
            "FilesCompleted": item.files_completed, "EventsCompleted": item.events_completed,
            "FailedEntries": item.failed_entries}


class Imports:
    def __init__(self, state: CloudTrailState, paginator: Paginator, tasks: Tasks, s3: Callable[[], "S3Api"],
                 iam: Callable[[], "IamApi"]) -> None:
        self.state = state
        self.paginator = paginator
        self.tasks = tasks
        self.s3 = s3
        self.iam = iam

    def _invalid_source(self, message: str) -> ServiceError:
        return errors.error("InvalidImportSourceException", message)

    def start_import(self, ctx: RequestContext, params: dict) -> dict:
        if params.get("ImportId"):
            item = self._import(ctx, params["ImportId"])
            if item.status in RUNNING:
                raise errors.error("AccountHasOngoingImportException", f"The import {item.import_id} is still in progress.")
        else:
            if not params.get("Destinations") or not params.get("ImportSource"):
                raise errors.invalid_parameter("Destinations and ImportSource are required to start a new import.")
            now = clock.epoch()
            start, end = params.get("StartEventTime"), params.get("EndEventTime")
            if start is not None and end is not None and start > end:
                raise errors.invalid_parameter("StartEventTime must be earlier than EndEventTime.")
            item = Import(import_id=str(uuid.uuid4()), destinations=list(params["Destinations"]),
                          source={"S3": dict(params["ImportSource"]["S3"])}, status="INITIALIZING", created=now,
                          updated=now, start_event_time=start.timestamp() if start else None,
                          end_event_time=end.timestamp() if end else None)
        if any(i.status in RUNNING for i in self.state.imports.values(ctx.scope)):
            raise errors.error("AccountHasOngoingImportException",
                               "An import is already in progress in this account; wait for it to finish.")
        for destination in item.destinations:
            eds = self.state.event_data_store(ctx, destination, active=True)
            if not categories(eds.advanced_event_selectors) & {"Management", "Data"}:
                raise errors.eds_category(f"The event data store {eds.arn} cannot take imported CloudTrail events.")
        bucket, prefix = self._source(ctx, item.source["S3"])
        item.status, item.updated, item.failures = "INITIALIZING", clock.epoch(), []
        item.prefixes_found = item.prefixes_completed = item.files_completed = item.events_completed = 0
        item.failed_entries = 0
        item.updated = clock.epoch()
        self.state.imports.put(ctx.scope, item.import_id, item)
        self.tasks.spawn(self._run(ctx.scope, item.import_id, bucket, prefix), owner="cloudtrail",
                         what=f"CloudTrail import {item.import_id}",
                         on_failure=lambda error: self._finish(ctx.scope, item.import_id, "FAILED"))
        return {**_shape(item)}

    def _source(self, ctx: RequestContext, source: dict) -> tuple[str, str]:
        uri = source["S3LocationUri"]
        if not uri.startswith("s3://") or not uri[5:].split("/", 1)[0]:
            raise self._invalid_source(f"The S3 location {uri} is not valid: it must be s3://bucket[/prefix].")
        bucket, _, prefix = uri[5:].partition("/")
        if self.s3().bucket(bucket, source["S3BucketRegion"]) is None:
            raise self._invalid_source(f"The S3 bucket {bucket} does not exist.")
        role_arn = source["S3BucketAccessRoleArn"]
        iam = self.iam()
        role = iam.role_by_arn(role_arn)
        if role is None or not iam.service_allowed(iam.trust_policy(role_arn), SERVICE, "sts:AssumeRole", role.arn,
                                                   {"aws:SourceAccount": ctx.account_id}):
            raise self._invalid_source(f"CloudTrail cannot assume the role {role_arn}: check that it exists and that "
                                       "its trust policy allows cloudtrail.amazonaws.com.")
        return bucket, prefix

    async def _run(self, scope: tuple[str, str], import_id: str, bucket: str, prefix: str) -> None:
        item = self.state.imports.get(scope, import_id)
        s3 = self.s3()
        region = item.source["S3"]["S3BucketRegion"]
        owner = s3.bucket(bucket, region).owner
        keys, token = [], None
        while True:
            listed = s3.list_objects(owner, bucket, prefix=prefix, token=token, region=region)
            keys.extend(o.key for o in listed.objects if o.key.endswith(".json.gz") and "/CloudTrail/" in f"/{o.key}")
            token = listed.next_token
            if not token:
                break
        stores = [d.rsplit("/", 1)[-1] for d in item.destinations]
        item.prefixes_found = len({k.rsplit("/", 1)[0] for k in keys})
        item.status = "IN_PROGRESS"
        self._save(scope, item)
        for index, key in enumerate(keys):
            current = self.state.imports.get(scope, import_id)
            if current is None or current.status == "STOPPED":
                return
            try:
                _, body = await s3.get_object(owner, bucket, key, region=region)
                raw = b"".join([chunk async for chunk in body])
                records = orjson.loads(gzip.decompress(raw))["Records"]
                rows = []
                for record in records:
                    when = Timestamp.parse(record["eventTime"]).epoch
                    if (item.start_event_time is None or when >= item.start_event_time) and \
                            (item.end_event_time is None or when <= item.end_event_time):
                        rows.extend((store, when, orjson.dumps(record)) for store in stores)
                self.state.lake.insert(rows)
                item.events_completed += len(rows) // max(len(stores), 1)
                item.files_completed += 1
            except (ServiceError, OSError, EOFError, ValueError, KeyError, TypeError, RunError) as error:
                item.failed_entries += 1
                if len(item.failures) < FAILURES_KEPT:
                    item.failures.append({"Location": f"s3://{bucket}/{key}", "Status": "FAILED",
                                          "ErrorType": type(error).__name__,
                                          "ErrorMessage": getattr(error, "message", None) or str(error) or "unreadable",
                                          "LastUpdatedTime": clock.epoch()})
            # Listings are in key order: a folder is complete when the next key is in another one.
            if index + 1 == len(keys) or keys[index + 1].rsplit("/", 1)[0] != key.rsplit("/", 1)[0]:
                item.prefixes_completed += 1
            self._save(scope, item)
        self._finish(scope, import_id, "FAILED" if keys and item.files_completed == 0 else "COMPLETED", item)

    def _save(self, scope: tuple[str, str], item: Import) -> None:
        if self.state.imports.get(scope, item.import_id) is not item:
            return  # reset (or forgotten) meanwhile: nothing to bring back
        item.updated = clock.epoch()
        self.state.imports.put(scope, item.import_id, item)

    def _finish(self, scope: tuple[str, str], import_id: str, status: str, item: Import | None = None) -> None:
        item = self.state.imports.get(scope, import_id)
        if item is None:
            return  # the account was reset meanwhile
        if item.status != "STOPPED":
            item.status = status
        self._save(scope, item)

    def _import(self, ctx: RequestContext, import_id: str) -> Import:
        found = self.state.imports.get(ctx.scope, import_id)
        if found is None:
            raise errors.error("ImportNotFoundException", f"The import {import_id} was not found.")
        return found

    def get_import(self, ctx: RequestContext, params: dict) -> dict:
        item = self._import(ctx, params["ImportId"])
        return {**_shape(item), "ImportStatistics": _statistics(item)}

    def stop_import(self, ctx: RequestContext, params: dict) -> dict:
        item = self._import(ctx, params["ImportId"])
        if item.status in RUNNING:
            item.status = "STOPPED"
            self._save(ctx.scope, item)
        return {**_shape(item), "ImportStatistics": _statistics(item)}

    def list_imports(self, ctx: RequestContext, params: dict) -> dict:
        destination, status = params.get("Destination"), params.get("ImportStatus")
        if destination:
            destination = self.state.event_data_store(ctx, destination).arn
        found = sorted((i for i in self.state.imports.values(ctx.scope)
                        if (destination is None or destination in i.destinations)
                        and (status is None or i.status == status)), key=lambda i: i.created)
        return listed(self.paginator, found, params, LISTING, ["ListImports", destination, status], "Imports",
                      lambda i: {"ImportId": i.import_id, "ImportStatus": i.status, "Destinations": i.destinations,
                                 "CreatedTimestamp": clock.from_epoch(i.created),
                                 "UpdatedTimestamp": clock.from_epoch(i.updated)})

    def list_import_failures(self, ctx: RequestContext, params: dict) -> dict:
        item = self._import(ctx, params["ImportId"])
        return listed(self.paginator, item.failures, params, LISTING, ["ListImportFailures", item.import_id], "Failures",
                      lambda f: {**f, "LastUpdatedTime": clock.from_epoch(f["LastUpdatedTime"])})
