"""Export tasks: CreateExportTask, DescribeExportTasks, CancelExportTask.

An export copies a group's events of a time range (optionally of the streams with a prefix) to
an S3 bucket of the same region, laid out as AWS lays it out:
``<prefix>/aws-logs-write-test`` (the write check AWS makes first), then for each stream
``<prefix>/<task id>/<stream>/000000.gz``, ``000001.gz`` ... each a gzip of lines
``<ISO-8601 timestamp> <message>``. Events are masked as any reader without logs:Unmask sees them.

The bucket is S3's (``cloud.services.api("s3")``, its ``bucket`` and ``put_object``), in the
task's region; a missing one is AWS's InvalidParameterException. Objects are written as the
bucket owner (the bucket policy AWS wants for logs.amazonaws.com is not checked). A task runs in the background, PENDING then RUNNING then COMPLETED (or CANCELLED, or FAILED
with the reason); an account has one active task at a time, as on AWS.
"""

from __future__ import annotations

import asyncio
import gzip
import uuid
from datetime import datetime, timezone
from typing import Any, Callable

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.logs.data_protection import DataProtection
from regionbox.services.logs.listing import page_of
from regionbox.services.logs.models import ExportTask
from regionbox.services.logs.state import LogsState, not_found, now_ms

DEFAULT_PREFIX = "exportedlogs"
EVENTS_PER_OBJECT = 100_000
ACTIVE = ("PENDING", "RUNNING", "PENDING_CANCEL")
NO_BUCKET = "The given bucket does not exist. Please make sure the bucket is valid."


def _line(timestamp: int, message: str) -> str:
    moment = datetime.fromtimestamp(timestamp / 1000, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z {message}\n"


class ExportTasks:
    def __init__(self, state: LogsState, masking: DataProtection, s3: Callable[[], Any], tasks: Tasks,
                 paginator: Paginator) -> None:
        self.state = state
        self.exports = state.export_tasks
        self.masking = masking
        self.s3 = s3  # S3's api, or None while regionbox does not serve S3
        self.tasks = tasks
        self.paginator = paginator

    def create_export_task(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group(ctx.scope, params["logGroupName"])
        start, end = params["from"], params["to"]
        if start > end:
            raise invalid("The 'from' time must be less than or equal to the 'to' time.")
        s3 = self.s3()
        bucket = s3.bucket(params["destination"], ctx.region) if s3 is not None else None
        if bucket is None or bucket.region != ctx.region:
            raise invalid(NO_BUCKET)
        if any(t.status in ACTIVE for t in self.exports.values(ctx.scope)):
            raise ServiceError("LimitExceededException", "Resource limit exceeded.")
        task = ExportTask(task_id=str(uuid.uuid4()), name=params.get("taskName"), group=group.name, start=start,
                          end=end, destination=params["destination"],
                          destination_prefix=params.get("destinationPrefix") or DEFAULT_PREFIX,
                          stream_prefix=params.get("logStreamNamePrefix"), status="PENDING",
                          message="Pending.", creation_time=now_ms())
        self.exports.put(ctx.scope, task.task_id, task)
        self.tasks.spawn(self._run(ctx.scope, task.task_id, bucket.owner), owner="logs",
                         what=f"export task {task.task_id}",
                         on_failure=lambda error: self._finish(ctx.scope, task.task_id, "FAILED", str(error)))
        return {"taskId": task.task_id}

    async def _run(self, scope: Scope, task_id: str, owner: str) -> None:
        task = self.exports.get(scope, task_id)
        if task is None or task.status != "PENDING":
            return
        task.status, task.message = "RUNNING", "Started successfully"
        self.exports.put(scope, task_id, task)
        s3, region = self.s3(), scope[1]
        prefix = task.destination_prefix.rstrip("/")
        await s3.put_object(owner, task.destination, f"{prefix}/aws-logs-write-test",
                            b"Permission Check Successful", region=region)
        group = self.state.groups.get(scope, task.group)
        if group is not None:
            mask = self.masking.reader(scope, group, unmask=False)
            streams = sorted((s for s in self.state.streams_of(scope, group.name)
                              if not task.stream_prefix or s.name.startswith(task.stream_prefix)), key=lambda s: s.name)
            for stream in streams:
                lines, part = [], 0
                # Read whole before the first await: no statement of the loop's connection stays
                # open while other calls write through it.
                events = list(self.state.events.read(sid=stream.sid, start=task.start, end=task.end + 1))
                for count, event in enumerate(events):
                    if count % 1000 == 0:
                        await asyncio.sleep(0)  # a long export shares the event loop
                        if self._cancelled(scope, task_id):
                            return
                    lines.append(_line(event.timestamp, mask(event.message) if mask else event.message))
                    if len(lines) >= EVENTS_PER_OBJECT:
                        await self._write(s3, owner, task, prefix, stream.name, part, lines, region)
                        lines, part = [], part + 1
                if lines:
                    await self._write(s3, owner, task, prefix, stream.name, part, lines, region)
        if not self._cancelled(scope, task_id):
            self._finish(scope, task_id, "COMPLETED", "Completed successfully")

    @staticmethod
    async def _write(s3: Any, owner: str, task: ExportTask, prefix: str, stream: str, part: int, lines: list[str],
                     region: str) -> None:
        await s3.put_object(owner, task.destination, f"{prefix}/{task.task_id}/{stream}/{part:06d}.gz",
                            gzip.compress("".join(lines).encode()), content_type="application/octet-stream",
                            region=region)

    def _cancelled(self, scope: Scope, task_id: str) -> bool:
        task = self.exports.get(scope, task_id)
        if task is not None and task.status == "PENDING_CANCEL":
            self._finish(scope, task_id, "CANCELLED", "Cancelled by user")
            return True
        return task is None

    def _finish(self, scope: Scope, task_id: str, status: str, message: str) -> None:
        task = self.exports.get(scope, task_id)
        if task is not None:
            task.status, task.message, task.completion_time = status, message, now_ms()
            self.exports.put(scope, task_id, task)

    def cancel_export_task(self, ctx: RequestContext, params: dict) -> dict:
        task = self.exports.get(ctx.scope, params["taskId"])
        if task is None:
            raise not_found("The specified export task does not exist.")
        if task.status not in ("PENDING", "RUNNING"):
            raise ServiceError("InvalidOperationException", f"The export task is {task.status}: only a PENDING or "
                               "RUNNING export task can be cancelled.")
        task.status, task.message = "PENDING_CANCEL", "Cancelling."
        self.exports.put(ctx.scope, task.task_id, task)
        return {}

    def describe_export_tasks(self, ctx: RequestContext, params: dict) -> dict:
        found = sorted(self.exports.values(ctx.scope), key=lambda t: -t.creation_time)
        if params.get("taskId"):
            found = [t for t in found if t.task_id == params["taskId"]]
        if params.get("statusCode"):
            found = [t for t in found if t.status == params["statusCode"]]
        return page_of(self.paginator, found, params, "exportTasks", self._shape)

    def fail_unfinished(self) -> None:
        """Tasks the cloud was running when it stopped will never finish."""
        for scope, task_id, task in list(self.exports.all()):
            if task.status in ACTIVE:
                self._finish(scope, task_id, "FAILED", "The export was interrupted.")

    @staticmethod
    def _shape(task: ExportTask) -> dict:
        shape: dict[str, Any] = {"taskId": task.task_id, "logGroupName": task.group, "from": task.start, "to": task.end,
                                 "destination": task.destination, "destinationPrefix": task.destination_prefix,
                                 "status": {"code": task.status, "message": task.message},
                                 "executionInfo": {"creationTime": task.creation_time}}
        if task.name:
            shape["taskName"] = task.name
        if task.completion_time is not None:
            shape["executionInfo"]["completionTime"] = task.completion_time
        return shape
