"""Imports from S3: ImportTable, DescribeImport and ListImports.

ImportTable creates the table of TableCreationParameters (checked as CreateTable checks it) in
CREATING, answers IN_PROGRESS, and a background task reads every object under the source
prefix (GZIP or ZSTD when asked) as DynamoDB JSON, Ion or CSV (formats.py), writes each valid
item (and its index rows) in chunks of one transaction each, and counts what it processed. An
item that cannot be read or does not fit the table is an error: counted in ErrorCount and
written to the CloudWatch Logs group /aws-dynamodb/imports, as AWS does, and the import goes
on. At the end the table is ACTIVE and the import COMPLETED; a source that cannot be read at
all (no bucket) fails the import, and its table is removed.
"""

from __future__ import annotations

import asyncio
import binascii
import secrets
import time
from typing import Any, AsyncIterator, Callable

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.dynamodb.formats import (
    csv_header,
    csv_item,
    csv_records,
    item_from_ion_line,
    item_from_json_line,
    lines,
)
from regionbox.services.dynamodb.jobs import by_client_token, ending, hex_page
from regionbox.services.dynamodb.models import Import
from regionbox.services.dynamodb.state import DynamoDBState
from regionbox.services.dynamodb.table_work import TableWork
from regionbox.services.dynamodb.tables import Tables
from regionbox.services.dynamodb.writes import checked_item

LOG_GROUP = "/aws-dynamodb/imports"
CHUNK = 500  # items written per transaction
REQUEST = "Invalid Request: "


def _in_use(name: str) -> ServiceError:
    return ServiceError("ResourceInUseException", f"Table already exists: {name}")


class Imports:
    def __init__(self, state: DynamoDBState, tables: Tables, work: TableWork, tasks: Tasks, paginator: Paginator,
                 s3: Callable[[], Any], logs: Callable[[], Any]) -> None:
        self.state = state
        self.tables = tables
        self.work = work
        self.tasks = tasks
        self.paginator = paginator
        self.s3 = s3  # S3's API: where the data comes from
        self.logs = logs  # CloudWatch Logs' API: where errors are written

    # -- start -------------------------------------------------------------------------------
    def import_table(self, ctx: RequestContext, params: dict) -> dict:
        fmt = params["InputFormat"]
        options = params.get("InputFormatOptions") or {}
        if options.get("Csv") and fmt != "CSV":
            raise invalid(f"{REQUEST}Unsupported InputFormatOptions for the given input format: {fmt}.")
        request = {k: v for k, v in params.items() if k != "ClientToken"}
        token = params.get("ClientToken")
        existing = by_client_token(self.state.imports.values(ctx.scope), token, request, ServiceError(
            "ImportConflictException", "There was a conflict when importing from the specified S3 source: the ClientToken "
            "was used by an import with other parameters"))
        if existing is not None:
            return {"ImportTableDescription": self._description(existing)}
        table = self.tables.new_table(ctx, dict(params["TableCreationParameters"]), taken=_in_use)
        now = time.time()
        job = Import(arn=ctx.arn("dynamodb", f"table/{table.name}/import/{int(now * 1000):014d}-{secrets.token_hex(4)}"),
                     table_arn=table.arn, table_id=table.table_id, started=now, request={**request, "ClientToken": token})
        with self.state.store.transaction():
            self.state.save(ctx.scope, table)
            self.state.imports.put(ctx.scope, job.arn, job)
        ctx.touched("AWS::DynamoDB::Table", table.arn)
        self.tasks.spawn(self._run(ctx.scope, job.arn, ctx.account_id, table.name, table.tid), owner="dynamodb",
                         what=f"importing s3://{params['S3BucketSource']['S3Bucket']} into {table.name}",
                         on_failure=lambda error: self._fail(ctx.scope, job.arn, table.name, table.tid, "InternalError", str(error)))
        return {"ImportTableDescription": self._description(job)}

    def resume(self) -> None:
        """After a restart: imports under way start over into their emptied table."""
        for scope, arn, job in list(self.state.imports.all()):
            if job.status != "IN_PROGRESS":
                continue
            table = self.state.find_table_in(scope, job.table_arn)
            if table is None or table.status != "CREATING":
                self._fail(scope, arn, "", -1, "InternalError", "The table of the import is gone")
                continue
            self.state.items.drop_table(table.tid, [i.xid for i in table.index_objects()])
            job.processed_items = job.imported_items = job.error_count = job.processed_bytes = 0
            self.state.imports.put(scope, arn, job)
            self.tasks.spawn(self._run(scope, arn, scope[0], table.name, table.tid), owner="dynamodb",
                             what=f"importing into {table.name}",
                             on_failure=lambda error, s=scope, a=arn, t=table: self._fail(s, a, t.name, t.tid, "InternalError",
                                                                                         str(error)))

    # -- the import itself -------------------------------------------------------------------
    async def _run(self, scope: Scope, arn: str, account: str, name: str, tid: int) -> None:
        job = self.state.imports.get(scope, arn)
        request = job.request
        source = request["S3BucketSource"]
        s3 = self.s3()
        bucket = s3.bucket(source["S3Bucket"], region=scope[1])
        if bucket is None:
            self._fail(scope, arn, name, tid, "S3NoSuchBucket", "The specified bucket does not exist")
            return
        caller = account  # the caller reads, with its own S3 permissions, whoever owns the bucket
        keys, token = [], None
        while True:
            listed = s3.list_objects(caller, bucket.name, prefix=source.get("S3KeyPrefix") or "", token=token,
                                     region=bucket.region)
            keys += [o.key for o in listed.objects if not o.key.endswith("/")]
            token = listed.next_token
            if not token:
                break
        errors: list[str] = []
        for key in keys:
            info, body = await s3.get_object(caller, bucket.name, key, region=bucket.region)
            self._count(scope, arn, processed_bytes=info.size)
            batch: list[dict] = []
            async for item in self._items(body, request, name, scope):
                if isinstance(item, Exception):
                    errors.append(f"{key}: {item}")
                    self._count(scope, arn, processed=1, errors=1)
                    continue
                batch.append(item)
                if len(batch) >= CHUNK:
                    self._write(scope, arn, name, tid, batch, errors, key)
                    batch = []
                    await asyncio.sleep(0)
            if batch:
                self._write(scope, arn, name, tid, batch, errors, key)
            await asyncio.sleep(0)
        if errors:
            self._log(account, scope[1], arn, errors)
        table = self.state.tables.get(scope, name)
        if table is None or table.tid != tid:
            return
        with self.state.store.transaction():
            table.status = "ACTIVE"
            self.state.save(scope, table)
            job = self.state.imports.get(scope, arn)
            job.status, job.ended = "COMPLETED", time.time()
            self.state.imports.put(scope, arn, job)

    async def _items(self, body: AsyncIterator[bytes], request: dict, name: str, scope: Scope
                     ) -> AsyncIterator[dict | Exception]:
        fmt = request["InputFormat"]
        source = lines(body, request.get("InputCompressionType") or "NONE")
        if fmt == "CSV":
            options = (request.get("InputFormatOptions") or {}).get("Csv") or {}
            delimiter, names = options.get("Delimiter") or ",", options.get("HeaderList")
            table = self.state.tables.get(scope, name)
            key_types = {a["AttributeName"]: a["AttributeType"] for a in table.attribute_definitions}
            async for record in csv_records(source):
                if isinstance(record, ValueError) or not record.strip():
                    if isinstance(record, ValueError):
                        yield record
                    continue
                if names is None:
                    names = csv_header(record, delimiter)
                    continue
                try:
                    yield csv_item(record, delimiter, names, key_types)
                except (ValueError, binascii.Error) as error:
                    yield ValueError(str(error))
            return
        async for line in source:
            if not line.strip():
                continue
            try:
                yield item_from_ion_line(line.decode()) if fmt == "ION" else item_from_json_line(line)
            except (ValueError, KeyError, IndexError, UnicodeDecodeError) as error:
                yield ValueError(f"cannot read line: {error}")

    def _write(self, scope: Scope, arn: str, name: str, tid: int, batch: list[dict], errors: list[str], key: str) -> None:
        table = self.state.tables.get(scope, name)
        if table is None or table.tid != tid:
            return
        schema = self.state.schema(table)
        imported = failed = 0
        with self.state.store.transaction():
            for raw in batch:
                try:
                    item, _ = checked_item(schema, raw)
                except ServiceError as error:
                    errors.append(f"{key}: {error.message}")
                    failed += 1
                    continue
                self.state.items.write(schema, self.state.items.item(schema, schema.key_of(item)), item)
                imported += 1
        self._count(scope, arn, processed=len(batch), imported=imported, errors=failed)

    def _count(self, scope: Scope, arn: str, processed: int = 0, imported: int = 0, errors: int = 0,
               processed_bytes: int = 0) -> None:
        job = self.state.imports.get(scope, arn)
        job.processed_items += processed
        job.imported_items += imported
        job.error_count += errors
        job.processed_bytes += processed_bytes
        self.state.imports.put(scope, arn, job)

    def _log(self, account: str, region: str, arn: str, errors: list[str]) -> None:
        now = int(time.time() * 1000)
        self.logs().append(account, region, LOG_GROUP, arn.rsplit("/", 1)[1], [(now, e) for e in errors[:10_000]])

    def _fail(self, scope: Scope, arn: str, name: str, tid: int, code: str, message: str) -> None:
        table = self.state.tables.get(scope, name)
        with self.state.store.transaction():
            if table is not None and table.tid == tid and table.status == "CREATING":
                self.state.remove(scope, table)
            job = self.state.imports.get(scope, arn)
            if job is not None and job.status == "IN_PROGRESS":
                job.status, job.ended, job.failure_code, job.failure_message = "FAILED", time.time(), code, message
                self.state.imports.put(scope, arn, job)

    # -- describe / list ---------------------------------------------------------------------
    def _description(self, job: Import) -> dict:
        request = job.request
        region, account = job.arn.split(":")[3:5]
        out: dict[str, Any] = {
            "ImportArn": job.arn, "ImportStatus": job.status, "TableArn": job.table_arn, "TableId": job.table_id,
            "S3BucketSource": request["S3BucketSource"], "ErrorCount": job.error_count,
            "CloudWatchLogGroupArn": f"arn:{job.arn.split(':')[1]}:logs:{region}:{account}:log-group:{LOG_GROUP}:*",
            "InputFormat": request["InputFormat"], "InputCompressionType": request.get("InputCompressionType") or "NONE",
            "TableCreationParameters": request["TableCreationParameters"], "StartTime": job.started,
            "ProcessedSizeBytes": job.processed_bytes, "ProcessedItemCount": job.processed_items,
            "ImportedItemCount": job.imported_items,
        }
        for member in ("ClientToken", "InputFormatOptions"):
            if request.get(member) is not None:
                out[member] = request[member]
        return ending(job, out)

    def describe_import(self, ctx: RequestContext, params: dict) -> dict:
        arn = params["ImportArn"]
        job = self.state.imports.get(ctx.scope, arn)
        if job is None:
            raise ServiceError("ImportNotFoundException", f"Import not found: {arn}")
        return {"ImportTableDescription": self._description(job)}

    def list_imports(self, ctx: RequestContext, params: dict) -> dict:
        wanted = params.get("TableArn")
        jobs = sorted((j for j in self.state.imports.values(ctx.scope) if wanted is None or j.table_arn == wanted),
                      key=lambda j: (j.started, j.arn))
        page, following = hex_page(self.paginator, jobs, params, "PageSize", wanted)
        out: dict[str, Any] = {"ImportSummaryList": [
            {"ImportArn": j.arn, "ImportStatus": j.status, "TableArn": j.table_arn,
             "S3BucketSource": j.request["S3BucketSource"], "CloudWatchLogGroupArn": self._description(j)["CloudWatchLogGroupArn"],
             "InputFormat": j.request["InputFormat"], "StartTime": j.started, **({"EndTime": j.ended} if j.ended else {})}
            for j in page]}
        if following:
            out["NextToken"] = following
        return out
