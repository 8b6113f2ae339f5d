"""Continuous export ("Data Exploration in Amazon Athena"): StartContinuousExport,
StopContinuousExport, DescribeContinuousExports.

On AWS, Kinesis Data Firehose streams what agents report into an S3 bucket of the account,
``aws-application-discovery-service-...``, and Glue tables let Athena query it. regionbox has
neither Firehose nor Athena, so it does what S3 alone allows: while an export is ACTIVE, every
report an agent uploads is written at once to the account's discovery bucket as CSV objects
under the prefixes of AWS's Athena tables (``os_info_agent/``, ``network_interface_agent/``,
``sys_performance_agent/``, ``processes_agent/``, ``outbound_connection_agent/``,
``inbound_connection_agent/``), ``<table>/agent_id=<agent>/<time>-<n>.csv``. The Glue database
named in ``schemaStorageConfig`` is not created. One continuous export runs at a time per account
(a second start is ResourceInUseException, as AWS answers).
"""

from __future__ import annotations

import uuid
from typing import Any, Callable

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.discovery.attributes import timestamp
from regionbox.services.discovery.exports import AGENT_FILES, RENAMED, csv_text
from regionbox.services.discovery.models import ContinuousExport
from regionbox.services.discovery.state import DiscoveryState, not_found, page_of

TABLES = {"osInfo": "os_info_agent", "networkInterface": "network_interface_agent",
          "systemPerformance": "sys_performance_agent", "process": "processes_agent",
          "sourceProcessConnection": "outbound_connection_agent",
          "destinationProcessConnection": "inbound_connection_agent"}
SCHEMA = {"Athena": "application_discovery_service_database"}


class ContinuousExports:
    def __init__(self, state: DiscoveryState, s3: Callable[[], Any], tasks: Tasks, paginator: Paginator,
                 bucket: Callable[[Scope], str]) -> None:
        self.state = state
        self.s3 = s3
        self.tasks = tasks
        self.paginator = paginator
        self.bucket = bucket
        self._written = 0

    def active(self, scope: Scope) -> ContinuousExport | None:
        return next((e for e in self.state.continuous.values(scope) if e.status == "ACTIVE"), None)

    def start_continuous_export(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=True)
        if self.active(scope) is not None:
            raise ServiceError("ResourceInUseException", "A continuous export is already active for this account.")
        export = ContinuousExport(export_id=str(uuid.uuid4()), status="ACTIVE", detail="Continuous export is active.",
                                  bucket=self.bucket(scope), started=clock.epoch())
        self.state.continuous.put(scope, export.export_id, export)
        return {"exportId": export.export_id, "s3Bucket": export.bucket, "startTime": clock.from_epoch(export.started),
                "dataSource": "AGENT", "schemaStorageConfig": SCHEMA}

    def stop_continuous_export(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=False)
        export = self.state.continuous.get(scope, params["exportId"])
        if export is None:
            raise not_found(f"Continuous export {params['exportId']} does not exist.")
        if export.status == "ACTIVE":
            export.status, export.detail, export.stopped = "INACTIVE", "Continuous export was stopped.", clock.epoch()
            self.state.continuous.put(scope, export.export_id, export)
        return {"startTime": clock.from_epoch(export.started), "stopTime": clock.from_epoch(export.stopped)}

    def describe_continuous_exports(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=False)
        found = sorted(self.state.continuous.values(scope), key=lambda e: -e.started)
        if params.get("exportIds"):
            wanted = set(params["exportIds"])
            found = [e for e in found if e.export_id in wanted]
            if not found:
                raise not_found("No continuous export has these IDs.")
        return page_of(self.paginator, found, params, "descriptions", self._shape, query=params.get("exportIds"))

    @staticmethod
    def _shape(export: ContinuousExport) -> dict:
        described = {"exportId": export.export_id, "status": export.status, "statusDetail": export.detail,
                     "s3Bucket": export.bucket, "startTime": clock.from_epoch(export.started), "dataSource": "AGENT",
                     "schemaStorageConfig": SCHEMA}
        if export.stopped is not None:
            described["stopTime"] = clock.from_epoch(export.stopped)
        return described

    def deliver(self, scope: Scope, agent_id: str, rows: list[tuple[str, float, dict]]) -> None:
        """What an agent just reported, to the bucket of the active export (in the background)."""
        export = self.active(scope)
        if export is None or not rows:
            return
        by_kind: dict[str, list[dict]] = {}
        for kind, ts, doc in rows:
            row = {RENAMED.get(k, k): v for k, v in doc.items()}
            row.update(agentId=agent_id, timestamp=timestamp(ts))
            by_kind.setdefault(kind, []).append(row)
        self._written += 1
        stamp = f"{clock.epoch():.3f}-{self._written}"
        objects = {f"{TABLES[kind]}/agent_id={agent_id}/{stamp}.csv": csv_text(AGENT_FILES[kind], found).encode()
                   for kind, found in by_kind.items()}
        self.tasks.spawn(self._write(scope, export.bucket, objects), owner="discovery",
                         what=f"continuous export {export.export_id}", on_failure=lambda error: self._failed(scope, export.export_id, error))

    async def _write(self, scope: Scope, bucket: str, objects: dict[str, bytes]) -> None:
        for key, body in objects.items():
            await self.s3().put_object(scope[0], bucket, key, body, content_type="text/csv", region=scope[1])

    def _failed(self, scope: Scope, export_id: str, error: BaseException) -> None:
        export = self.state.continuous.get(scope, export_id)
        if export is not None:
            export.status, export.detail = "ERROR", f"Writing to S3 failed: {error}"[:255]
            self.state.continuous.put(scope, export_id, export)
