"""Exports to S3: ExportTableToPointInTime, DescribeExport and ListExports.

An export needs point-in-time recovery and reads the table as it was at ExportTime (a full
export) or the changes of a window (an incremental export: each item written in
(ExportFromTime, ExportToTime] with its last write time, its keys, its new image and, for
NEW_AND_OLD_IMAGES, its image before the window), both from the change history (history.py).
It answers IN_PROGRESS and a background task writes, with the caller's S3 permissions, the
layout AWS documents under ``<S3Prefix>/AWSDynamoDB/<ExportId>/``::

    _started                    written first, to prove the bucket takes writes
    data/<id>.json.gz           DynamoDB JSON lines (ION: data/<id>.ion.gz), gzip
    manifest-files.json         one line per data file: itemCount, md5Checksum, etag, dataFileS3Key
    manifest-files.md5          base64 MD5 of manifest-files.json
    manifest-summary.json       the export's summary (ExportManifest points here)
    manifest-summary.md5

then COMPLETED (or FAILED with S3's reason as FailureCode/FailureMessage). A FilterSpecification
(key condition, filter, projection) keeps the items it selects. AWS also wants an incremental
window of at least 15 minutes; regionbox takes any window up to 24 hours, so that tests need not
wait.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import gzip
import hashlib
import secrets
import time
from typing import Any, AsyncIterator, Callable

import orjson

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import PageRule, Paginator
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.dynamodb.expressions.request import QUERY_EXPRESSIONS, compile_request
from regionbox.services.dynamodb.formats import ion_line, json_line
from regionbox.services.dynamodb.jobs import by_client_token, ending, finish
from regionbox.services.dynamodb.models import Export, Table
from regionbox.services.dynamodb.recovery import window
from regionbox.services.dynamodb.state import DynamoDBState

FILE_ITEMS = 10_000  # records per data file
MAX_INCREMENTAL = 24 * 3600
REQUEST = "Invalid Request: "
PAGES = PageRule(out_of_range=lambda n: invalid(f"1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy "
                                                "constraint: Member must have value less than or equal to 25"),
                 size="MaxResults", default=25, maximum=25,
                 bad_token=lambda token: invalid(f"{REQUEST}Provided nextToken is invalid: {token}"))


def _epoch(value: Any) -> float | None:
    return value.timestamp() if hasattr(value, "timestamp") else value


def _request(params: dict) -> dict:
    """What an export request asks, comparable across calls (ClientToken left out)."""
    out = {}
    for key, value in params.items():
        if key == "ClientToken":
            continue
        if key == "IncrementalExportSpecification":
            value = {k: _epoch(v) for k, v in value.items()}
        out[key] = _epoch(value)
    return out


class Exports:
    def __init__(self, state: DynamoDBState, tasks: Tasks, paginator: Paginator, s3: Callable[[], Any]) -> None:
        self.state = state
        self.tasks = tasks
        self.paginator = paginator
        self.s3 = s3  # S3's API, reached when an export runs

    # -- start -------------------------------------------------------------------------------
    def export_table_to_point_in_time(self, ctx: RequestContext, params: dict) -> dict:
        arn = params["TableArn"]
        if not arn.startswith("arn:") or ":table/" not in arn:
            raise invalid(f"{REQUEST}Table ARN is invalid.")
        table = self.state.find_table(ctx, arn)
        if table is None or table.arn != arn:
            raise ServiceError("TableNotFoundException", f"Table not found: {arn.split(':table/', 1)[1]}")
        request = _request(params)
        token = params.get("ClientToken")
        existing = by_client_token(self.state.exports.values(ctx.scope), token, request, ServiceError(
            "ExportConflictException", "There was a conflict when writing to the specified S3 bucket: the ClientToken was "
            "used by an export with other parameters"))
        if existing is not None:
            return {"ExportDescription": self._description(existing)}
        if table.pitr is None:
            raise ServiceError("PointInTimeRecoveryUnavailableException",
                               f"Point in time recovery is not enabled for table '{table.name}'")
        now = time.time()
        earliest, latest = window(table.pitr, now)
        kind = params.get("ExportType") or "FULL_EXPORT"
        spec = params.get("IncrementalExportSpecification")
        if kind == "INCREMENTAL_EXPORT":
            if spec is None or spec.get("ExportFromTime") is None:
                raise invalid(f"{REQUEST}ExportFromTime must be provided in IncrementalExportSpecification")
            if params.get("ExportTime") is not None:
                raise invalid(f"{REQUEST}ExportTime cannot be specified for an incremental export")
            start, end = _epoch(spec["ExportFromTime"]), _epoch(spec.get("ExportToTime")) or latest
            if not earliest <= start < end <= latest or end - start > MAX_INCREMENTAL:
                raise ServiceError("InvalidExportTimeException", "Incremental export period must be within the point in "
                                   "time recovery window, start before it ends and last at most 24 hours")
            moment = end
        else:
            if spec is not None:
                raise invalid(f"{REQUEST}IncrementalExportSpecification can only be specified for an incremental export")
            moment = _epoch(params.get("ExportTime")) or latest
            if not earliest <= moment <= latest:
                raise ServiceError("InvalidExportTimeException", "Export time must be within the point in time recovery "
                                   "window: between EarliestRestorableDateTime and LatestRestorableDateTime")
        if params.get("FilterSpecification"):
            compile_request(params["FilterSpecification"], self.state.schema(table).key_types, QUERY_EXPRESSIONS)
        export = Export(arn=ctx.arn("dynamodb", f"table/{table.name}/export/{int(now * 1000):014d}-{secrets.token_hex(4)}"),
                        table_arn=table.arn, table_id=table.table_id, started=now, export_time=moment,
                        bucket=params["S3Bucket"], request={**request, "ClientToken": token})
        self.state.exports.put(ctx.scope, export.arn, export)
        ctx.touched("AWS::DynamoDB::Export", export.arn)
        self.tasks.spawn(self._run(ctx.scope, export.arn, ctx.account_id, table), owner="dynamodb",
                         what=f"exporting {table.name} to s3://{export.bucket}",
                         on_failure=lambda error: self._finish(ctx.scope, export.arn, "FAILED", failure=("InternalError", str(error))))
        return {"ExportDescription": self._description(export)}

    # -- the export itself -------------------------------------------------------------------
    async def _run(self, scope: Scope, arn: str, account: str, table: Table) -> None:
        export = self.state.exports.get(scope, arn)
        request = export.request
        s3 = self.s3()
        bucket = s3.bucket(export.bucket, region=scope[1])
        if bucket is None:
            self._finish(scope, arn, "FAILED", failure=("S3NoSuchBucket", "The specified bucket does not exist"))
            return
        prefix = (request.get("S3Prefix") or "").rstrip("/")
        base = f"{prefix}/AWSDynamoDB/{arn.rsplit('/', 1)[1]}" if prefix else f"AWSDynamoDB/{arn.rsplit('/', 1)[1]}"
        fmt = request.get("ExportFormat") or "DYNAMODB_JSON"
        put = self._putter(s3, account, bucket.name, bucket.region)
        try:
            await put(f"{base}/_started", b"")
            files, count = [], 0
            chunk: list[bytes] = []
            async for record in self._records(table, export):
                chunk.append((ion_line(record) if fmt == "ION" else json_line(record)).encode())
                if len(chunk) >= FILE_ITEMS:
                    files.append(await self._data_file(put, base, fmt, chunk))
                    count, chunk = count + len(chunk), []
            if chunk:
                files.append(await self._data_file(put, base, fmt, chunk))
                count += len(chunk)
            manifest_files = b"".join(orjson.dumps(f) + b"\n" for f in files)
            await put(f"{base}/manifest-files.json", manifest_files)
            await put(f"{base}/manifest-files.md5", _md5(manifest_files).encode())
            size = self.state.items.stats(table.tid)[1]
            summary = self._summary(export, base, count, size, fmt)
            await put(f"{base}/manifest-summary.json", summary)
            await put(f"{base}/manifest-summary.md5", _md5(summary).encode())
        except ServiceError as error:  # S3 refused a write: the export fails with its reason
            self._finish(scope, arn, "FAILED", failure=(f"S3{error.code}", error.message))
            return
        self._finish(scope, arn, "COMPLETED", manifest=f"{base}/manifest-summary.json", count=count, size=size)

    @staticmethod
    def _putter(s3: Any, account: str, bucket: str, region: str):
        async def put(key: str, body: bytes) -> Any:
            return await s3.put_object(account, bucket, key, body, region=region)
        return put

    async def _data_file(self, put, base: str, fmt: str, lines: list[bytes]) -> dict:
        body = gzip.compress(b"\n".join(lines) + b"\n", mtime=0)
        key = f"{base}/data/{secrets.token_hex(13)}.{'ion' if fmt == 'ION' else 'json'}.gz"
        info = await put(key, body)
        return {"itemCount": len(lines), "md5Checksum": _md5(body), "etag": info.etag.strip('"'), "dataFileS3Key": key}

    async def _records(self, table: Table, export: Export) -> AsyncIterator[dict]:
        request = export.request
        schema = self.state.schema(table)
        spec = request.get("FilterSpecification")
        compiled = compile_request(spec, schema.key_types, QUERY_EXPRESSIONS) if spec else None

        def selected(item: dict) -> dict | None:
            if compiled is None:
                return item
            if compiled.key_condition is not None and not compiled.key_condition.matches(item):
                return None
            if compiled.filter is not None and not compiled.filter.evaluate(item):
                return None
            return compiled.projection.apply(item) if compiled.projection is not None else item

        if request.get("ExportType") == "INCREMENTAL_EXPORT":
            incremental = request["IncrementalExportSpecification"]
            start, end = incremental["ExportFromTime"], export.export_time
            with_old = (incremental.get("ExportViewType") or "NEW_AND_OLD_IMAGES") == "NEW_AND_OLD_IMAGES"
            history = self.state.history
            then, now = history.before(table.tid, start), history.before(table.tid, end)
            for key, at in sorted(history.last_writes(table.tid, start, end).items(), key=lambda kv: kv[1]):
                new = now[key] if key in now else self.state.items.row(table.tid, *key)
                old = then.get(key)
                record: dict[str, Any] = {"Metadata": {"WriteTimestampMicros": {"N": str(int(at * 1_000_000))}},
                                          "Keys": schema.key_of(new if new is not None else old)}
                if new is not None and (shown := selected(new)) is not None:
                    record["NewImage"] = shown
                if with_old and old is not None and (shown := selected(old)) is not None:
                    record["OldImage"] = shown
                yield record
            return
        # A full export reads a copy of the table put back to ExportTime, so writes meanwhile are no part of it.
        items = self.state.items
        copy = export.copy = items.next_id()
        self.state.exports.put(self._scope_of(export), export.arn, export)
        try:
            position = None
            while True:
                position = items.copy_chunk(table.tid, copy, position)
                await asyncio.sleep(0)
                if position is None:
                    break
            self.state.history.rewind(items, table.tid, export.export_time, copy)
            copied = dataclasses.replace(schema, tid=copy)
            for n, row in enumerate(items.scan(copied, None, (0, 1 << 32), None, chunk=1024)):
                item = selected(row.item)
                if item is not None:
                    yield {"Item": item}
                if n % 1024 == 1023:
                    await asyncio.sleep(0)
        finally:
            items.drop_table(copy, [])
            export.copy = None
            self.state.exports.put(self._scope_of(export), export.arn, export)

    @staticmethod
    def _scope_of(export: Export) -> Scope:
        parts = export.arn.split(":")
        return parts[4], parts[3]

    def resume(self) -> None:
        """After a restart: exports under way start over (their half-made copy dropped)."""
        for scope, arn, export in list(self.state.exports.all()):
            if export.status != "IN_PROGRESS":
                continue
            if export.copy is not None:
                self.state.items.drop_table(export.copy, [])
                export.copy = None
                self.state.exports.put(scope, arn, export)
            table = self.state.find_table_in(scope, export.table_arn)
            if table is None:
                self._finish(scope, arn, "FAILED", failure=("TableNotFound", "The table was deleted during the export"))
                continue
            self.tasks.spawn(self._run(scope, arn, scope[0], table), owner="dynamodb", what=f"exporting {table.name}",
                             on_failure=lambda error, s=scope, a=arn: self._finish(s, a, "FAILED",
                                                                                   failure=("InternalError", str(error))))

    def _summary(self, export: Export, base: str, count: int, size: int, fmt: str) -> bytes:
        request = export.request
        summary = {
            "version": "2020-06-30", "exportArn": export.arn, "startTime": clock.iso(export.started),
            "endTime": clock.iso(time.time()), "tableArn": export.table_arn, "tableId": export.table_id,
            "exportTime": clock.iso(export.export_time), "s3Bucket": export.bucket, "s3Prefix": request.get("S3Prefix"),
            "s3SseAlgorithm": request.get("S3SseAlgorithm") or "AES256", "s3SseKmsKeyId": request.get("S3SseKmsKeyId"),
            "manifestFilesS3Key": f"{base}/manifest-files.json", "billedSizeBytes": size, "itemCount": count,
            "outputFormat": fmt, "exportType": request.get("ExportType") or "FULL_EXPORT",
        }
        return orjson.dumps(summary)

    def _finish(self, scope: Scope, arn: str, status: str, manifest: str | None = None, count: int = 0, size: int = 0,
                failure: tuple[str, str] | None = None) -> None:
        finish(self.state.exports, scope, arn, status, failure, manifest=manifest, item_count=count, billed_size=size)

    # -- describe / list ---------------------------------------------------------------------
    @staticmethod
    def _description(export: Export) -> dict:
        request = export.request
        out: dict[str, Any] = {
            "ExportArn": export.arn, "ExportStatus": export.status, "StartTime": export.started, "TableArn": export.table_arn,
            "TableId": export.table_id, "ExportTime": export.export_time, "S3Bucket": export.bucket,
            "ExportFormat": request.get("ExportFormat") or "DYNAMODB_JSON", "ExportType": request.get("ExportType") or "FULL_EXPORT",
            "S3SseAlgorithm": request.get("S3SseAlgorithm") or "AES256",
        }
        for member in ("ClientToken", "S3BucketOwner", "S3Prefix", "S3SseKmsKeyId", "FilterSpecification"):
            if request.get(member) is not None:
                out[member] = request[member]
        if request.get("IncrementalExportSpecification"):
            spec = request["IncrementalExportSpecification"]
            out["IncrementalExportSpecification"] = {"ExportFromTime": spec["ExportFromTime"], "ExportToTime": export.export_time,
                                                     "ExportViewType": spec.get("ExportViewType") or "NEW_AND_OLD_IMAGES"}
        if export.status == "COMPLETED":
            out.update(ExportManifest=export.manifest, ItemCount=export.item_count, BilledSizeBytes=export.billed_size)
        return ending(export, out)

    def describe_export(self, ctx: RequestContext, params: dict) -> dict:
        arn = params["ExportArn"]
        if "/export/" not in arn or not arn.startswith("arn:"):
            raise invalid("Invalid Export ARN")
        export = self.state.exports.get(ctx.scope, arn)
        if export is None:
            raise ServiceError("ExportNotFoundException", f"Export not found: {arn}")
        return {"ExportDescription": self._description(export)}

    def list_exports(self, ctx: RequestContext, params: dict) -> dict:
        wanted = params.get("TableArn")
        exports = [e for e in self.state.exports.values(ctx.scope) if wanted is None or e.table_arn == wanted]
        exports.sort(key=lambda e: (e.started, e.arn))
        page, token = self.paginator.paginate(exports, params, PAGES, query=wanted)
        summaries = [{"ExportArn": e.arn, "ExportStatus": e.status, "ExportType": e.request.get("ExportType") or "FULL_EXPORT"}
                     for e in page]
        return {"ExportSummaries": summaries, **({"NextToken": token} if token else {})}


def _md5(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body).digest()).decode()
