"""Bulk put items from S3 into an existing table: StartBulkPutItems, DescribeBulkOperation,
ListBulkOperations and CancelBulkOperation.

StartBulkPutItems answers IN_PROGRESS and a background task reads every object under the input
prefix (GZIP or ZSTD when asked) as DynamoDB JSON or Ion lines, each ``{"Item": ...}`` with,
optionally, a ConditionExpression (and its ExpressionAttributeNames/Values) checked against the
item it would replace. Each item is written as PutItem writes it (index rows, stream records,
point-in-time history, global table replicas), in chunks of one transaction each. A line that
cannot be read or an item the table refuses is counted in FailedItemCount and, with ``ERROR``
in OutputType, reported; a condition that fails is not an error (COMPLETED all the same) and,
with ``CONDITION_CHECK_FAILURE``, reported with the existing item. The report goes to the output
bucket under ``<S3KeyPrefix>/AWSDynamoDB/<operation id>/``: ``errors/<n>.json.gz`` and
``condition-check-failures/<n>.json.gz`` (DynamoDB JSON lines: the record, its source object and
line, the reason) and ``manifest.json`` listing them with their counts. CancelBulkOperation
moves an operation to CANCELLING; the task stops at its next chunk (items written stay), then
CANCELLED.
"""

from __future__ import annotations

import asyncio
import gzip
import secrets
import time
from typing import Any, Callable

import orjson

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.dynamodb.expressions.request import CONDITION_EXPRESSIONS, compile_request
from regionbox.services.dynamodb.formats import ion_record, json_item, json_record, lines
from regionbox.services.dynamodb.jobs import by_client_token, ending, finish, hex_page
from regionbox.services.dynamodb.models import BulkOperation
from regionbox.services.dynamodb.state import DynamoDBState
from regionbox.services.dynamodb.writes import Writer, checked_item

CHUNK = 500  # items written per transaction
REPORT_RECORDS = 10_000  # records per report file


class BulkOperations:
    def __init__(self, state: DynamoDBState, writer: Writer, tasks: Tasks, paginator: Paginator,
                 s3: Callable[[], Any]) -> None:
        self.state = state
        self.writer = writer
        self.tasks = tasks
        self.paginator = paginator
        self.s3 = s3  # S3's API: where the items come from and the report goes

    # -- start -------------------------------------------------------------------------------
    def start_bulk_put_items(self, ctx: RequestContext, params: dict) -> dict:
        table = self.state.table_for_control(ctx, params["TableName"])
        request = {k: v for k, v in params.items() if k != "ClientToken"}
        token = params.get("ClientToken")
        existing = by_client_token(self.state.bulk_operations.values(ctx.scope), token, request, ServiceError(
            "IdempotentParameterMismatchException", "Request with the same client token was already used with different "
            "parameters"), token_of=lambda o: o.client_token, request_of=lambda o: o.request)
        if existing is not None:
            return {"BulkOperationDescription": self._description(existing)}
        if table.status != "ACTIVE":
            raise ServiceError("ResourceInUseException", f"Table is not in ACTIVE state: {table.name}")
        if params["InputS3Configuration"].get("InputFormat") not in ("DYNAMODB_JSON", "ION"):
            raise invalid("Invalid Request: InputFormat must be DYNAMODB_JSON or ION")
        output = params["OutputS3Configuration"]
        if not output.get("S3Bucket"):
            raise invalid("Invalid Request: OutputS3Configuration.S3Bucket must be specified")
        if output.get("S3SseKmsKeyId") and output.get("S3SseAlgorithm") != "KMS":
            raise invalid("Invalid Request: S3SseKmsKeyId can only be specified when S3SseAlgorithm is KMS")
        now = time.time()
        operation = BulkOperation(
            arn=ctx.arn("dynamodb", f"table/{table.name}/bulk-operation/{int(now * 1000):014d}-{secrets.token_hex(4)}"),
            table_name=table.name, table_id=table.table_id, started=now, request=request, client_token=token)
        self.state.bulk_operations.put(ctx.scope, operation.arn, operation)
        ctx.touched("AWS::DynamoDB::Table", table.arn)
        self._spawn(ctx.scope, operation.arn)
        return {"BulkOperationDescription": self._description(operation)}

    def _spawn(self, scope: Scope, arn: str) -> None:
        self.tasks.spawn(self._run(scope, arn), owner="dynamodb", what=f"bulk put {arn}",
                         on_failure=lambda error: self._finish(scope, arn, "FAILED", ("InternalError", str(error))))

    def resume(self) -> None:
        """After a restart: operations under way go on from the start (puts are idempotent; a
        condition then sees the item the first pass wrote, which AWS's retries see too)."""
        for scope, arn, operation in list(self.state.bulk_operations.all()):
            if operation.status == "CANCELLING":
                self._finish(scope, arn, "CANCELLED", ("BulkOperationCancelled", "The bulk operation was cancelled"))
            elif operation.status == "IN_PROGRESS":
                self._update(scope, arn, processed=-operation.processed, failed=-operation.failed,
                             read=-operation.processed_bytes)
                self._spawn(scope, arn)

    # -- the operation itself ------------------------------------------------------------------
    async def _run(self, scope: Scope, arn: str) -> None:
        operation = self.state.bulk_operations.get(scope, arn)
        source = operation.request["InputS3Configuration"]
        output = operation.request["OutputS3Configuration"]
        wanted = set(output.get("OutputType") or [])
        s3 = self.s3()
        account = scope[0]
        bucket = s3.bucket(source["S3Bucket"], region=scope[1])
        if bucket is None:
            self._finish(scope, arn, "FAILED", ("S3NoSuchBucket", "The specified bucket does not exist"))
            return
        objects, token = [], None
        try:
            while True:
                listed = s3.list_objects(account, bucket.name, prefix=source.get("S3KeyPrefix") or "", token=token,
                                         region=bucket.region)
                objects += [o for o in listed.objects if not o.key.endswith("/")]
                token = listed.next_token
                if not token:
                    break
            self._update(scope, arn, total=sum(o.size for o in objects))
            errors: list[dict] = []
            conditions: list[dict] = []
            for info in objects:
                _, body = await s3.get_object(account, bucket.name, info.key, region=bucket.region)
                self._update(scope, arn, read=info.size)
                chunk: list[tuple[int, bytes]] = []
                number = 0
                async for line in lines(body, source.get("InputCompressionType") or "NONE"):
                    number += 1
                    if line.strip():
                        chunk.append((number, line))
                    if len(chunk) >= CHUNK:
                        if not self._put(scope, arn, info.key, chunk, source["InputFormat"], wanted, errors, conditions):
                            return
                        chunk = []
                        await asyncio.sleep(0)
                if chunk and not self._put(scope, arn, info.key, chunk, source["InputFormat"], wanted, errors, conditions):
                    return
            await self._report(s3, account, scope, arn, output, errors, conditions)
        except ServiceError as error:  # S3 refused a read or a write: the operation fails with its reason
            self._finish(scope, arn, "FAILED", (f"S3{error.code}", error.message))
            return
        failed = self.state.bulk_operations.get(scope, arn).failed
        self._finish(scope, arn, "COMPLETED_WITH_ERRORS" if failed else "COMPLETED")

    def _put(self, scope: Scope, arn: str, key: str, chunk: list[tuple[int, bytes]], fmt: str, wanted: set[str],
             errors: list[dict], conditions: list[dict]) -> bool:
        """Write one chunk in one transaction; False when the operation is to stop (cancelled, or
        its table gone)."""
        operation = self.state.bulk_operations.get(scope, arn)
        if operation.status == "CANCELLING":
            self._finish(scope, arn, "CANCELLED", ("BulkOperationCancelled", "The bulk operation was cancelled"))
            return False
        table = self.state.tables.get(scope, operation.table_name)
        if table is None or table.table_id != operation.table_id:
            self._finish(scope, arn, "FAILED", ("ResourceNotFound", f"Table {operation.table_name} was deleted"))
            return False
        schema = self.state.schema(table)
        failed = 0
        payloads: list[dict] = []
        with self.state.store.transaction():
            for n, line in chunk:
                where = {"SourceObject": key, "SourceLine": n}
                try:
                    record = ion_record(line.decode()) if fmt == "ION" else json_record(line)
                    item, _ = checked_item(schema, record["Item"])
                    condition = compile_request(record, schema.key_types, CONDITION_EXPRESSIONS).condition \
                        if record.get("ConditionExpression") else None
                except (ValueError, KeyError, IndexError, UnicodeDecodeError) as error:
                    failed += 1
                    if "ERROR" in wanted:
                        errors.append({**where, "Reason": f"The record could not be read: {error}",
                                       "Record": line.decode(errors="replace")})
                    continue
                except ServiceError as error:
                    failed += 1
                    if "ERROR" in wanted:
                        errors.append({**where, "Reason": error.message, "Record": line.decode(errors="replace")})
                    continue
                old = self.state.items.item(schema, schema.key_of(item))
                if condition is not None and not condition.evaluate(old or {}):
                    if "CONDITION_CHECK_FAILURE" in wanted:
                        conditions.append({**where, "Item": json_item(item),
                                           **({"ExistingItem": json_item(old)} if old else {})})
                    continue
                payloads += self.writer.commit_write(scope, table, schema, old, item)
        if payloads:
            self.writer.publish(payloads)
        self._update(scope, arn, processed=len(chunk), failed=failed)
        return True

    async def _report(self, s3: Any, account: str, scope: Scope, arn: str, output: dict, errors: list[dict],
                      conditions: list[dict]) -> None:
        prefix = (output.get("S3KeyPrefix") or "").rstrip("/")
        base = f"{prefix}/AWSDynamoDB/{arn.rsplit('/', 1)[1]}" if prefix else f"AWSDynamoDB/{arn.rsplit('/', 1)[1]}"
        if s3.bucket(output["S3Bucket"], region=scope[1]) is None:
            raise ServiceError("NoSuchBucket", "The specified bucket does not exist")
        files = []
        for kind, records in (("errors", errors), ("condition-check-failures", conditions)):
            for n, start in enumerate(range(0, len(records), REPORT_RECORDS)):
                chunk = records[start:start + REPORT_RECORDS]
                key = f"{base}/{kind}/{n:05d}.json.gz"
                await s3.put_object(account, output["S3Bucket"], key,
                                    gzip.compress(b"".join(orjson.dumps(r) + b"\n" for r in chunk), mtime=0), region=scope[1])
                files.append({"type": "ERROR" if kind == "errors" else "CONDITION_CHECK_FAILURE", "itemCount": len(chunk),
                              "dataFileS3Key": key})
        manifest = {"bulkOperationArn": arn, "outputTypes": sorted(set(output.get("OutputType") or [])), "files": files}
        await s3.put_object(account, output["S3Bucket"], f"{base}/manifest.json", orjson.dumps(manifest), region=scope[1])

    def _update(self, scope: Scope, arn: str, processed: int = 0, failed: int = 0, read: int = 0,
                total: int | None = None) -> None:
        operation = self.state.bulk_operations.get(scope, arn)
        operation.processed += processed
        operation.failed += failed
        operation.processed_bytes += read
        if total is not None:
            operation.total_bytes = total
        self.state.bulk_operations.put(scope, arn, operation)

    def _finish(self, scope: Scope, arn: str, status: str, failure: tuple[str, str] | None = None) -> None:
        finish(self.state.bulk_operations, scope, arn, status, failure)

    # -- describe / list / cancel ---------------------------------------------------------------
    @staticmethod
    def _description(operation: BulkOperation) -> dict:
        request = operation.request
        output = dict(request["OutputS3Configuration"])
        output.setdefault("S3SseAlgorithm", "AES256")
        out: dict[str, Any] = {
            "BulkOperationArn": operation.arn, "BulkOperationStatus": operation.status,
            "TableDetails": [{"TableName": operation.table_name, "TableId": operation.table_id}],
            "InputS3Configuration": {"InputCompressionType": "NONE", **request["InputS3Configuration"]},
            "OutputS3Configuration": output, "StartTime": operation.started,
            "ProcessedItemCount": operation.processed, "ProcessedInputBytes": operation.processed_bytes,
            "FailedItemCount": operation.failed, "PerformanceTier": request.get("PerformanceTier") or "STANDARD",
        }
        if operation.client_token:
            out["ClientToken"] = operation.client_token
        if operation.total_bytes is not None:
            out["TotalInputBytes"] = operation.total_bytes
        if request.get("MaxWriteRequestUnits"):
            out["MaxWriteRequestUnits"] = request["MaxWriteRequestUnits"]
        return ending(operation, out)

    def _operation(self, ctx: RequestContext, arn: str) -> BulkOperation:
        operation = self.state.bulk_operations.get(ctx.scope, arn)
        if operation is None:
            raise ServiceError("ResourceNotFoundException", f"Requested resource not found: Bulk operation: {arn} not found")
        return operation

    def describe_bulk_operation(self, ctx: RequestContext, params: dict) -> dict:
        return {"BulkOperationDescription": self._description(self._operation(ctx, params["BulkOperationArn"]))}

    def list_bulk_operations(self, ctx: RequestContext, params: dict) -> dict:
        recent = time.time() - 90 * 86400  # AWS lists the operations of the past 90 days, newest first
        operations = sorted((o for o in self.state.bulk_operations.values(ctx.scope) if o.started >= recent),
                            key=lambda o: (-o.started, o.arn))
        page, following = hex_page(self.paginator, operations, params, "MaxResults")
        out: dict[str, Any] = {"BulkOperationsSummaryList": [
            {"BulkOperationArn": o.arn, "BulkOperationStatus": o.status, "StartTime": o.started,
             **({"EndTime": o.ended} if o.ended is not None else {})} for o in page]}
        if following:
            out["NextToken"] = following
        return out

    def cancel_bulk_operation(self, ctx: RequestContext, params: dict) -> dict:
        operation = self._operation(ctx, params["BulkOperationArn"])
        if operation.status != "IN_PROGRESS":
            raise invalid(f"Invalid Request: Bulk operation cannot be cancelled in status {operation.status}")
        operation.status = "CANCELLING"
        self.state.bulk_operations.put(ctx.scope, operation.arn, operation)
        return {"BulkOperationArn": operation.arn, "BulkOperationStatus": operation.status}
