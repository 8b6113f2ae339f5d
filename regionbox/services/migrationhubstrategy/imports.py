"""StartImportFileTask, GetImportFileTask, ListImportFileTask: a list of servers to assess, as a
CSV in S3 in the Migration Hub import template's columns (ExternalId, IPAddress, MACAddress,
HostName, OS.Name, OS.Version, CPU.UsagePct.Avg ...; the same file Application Discovery Service
imports).

With ``dataSourceType`` ApplicationDiscoveryService (the default) each row names a server
Application Discovery Service discovered (by host name, IP or MAC address); with Import or MPA
the row is the server, assessed from what the row says. Either way the server carries the task's
``groupId``s (ListServers' and reports' ``groupIdFilter``), and a ManualImport assessment
assesses exactly the imported servers. Each row's outcome goes into a status report CSV beside
the file (or in ``s3bucketForReportData``).
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import uuid
from typing import Any

import orjson

from regionbox.core import clock
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.services.migrationhubstrategy.assessments import BUCKET_PREFIX
from regionbox.services.migrationhubstrategy.common import PAGES, invalid, not_found, with_token
from regionbox.services.migrationhubstrategy.models import ImportFileTask, StrategyState

KEYS = ("ExternalId", "IPAddress", "MACAddress", "HostName")


def row_server(row: dict) -> dict:
    """A row of the template as DiscoveryApi gives a server, for rows that are the server."""
    identity = row.get("ExternalId") or row.get("HostName") or row.get("IPAddress") or row.get("MACAddress")
    attributes = {"server.hostName": row.get("HostName") or identity, "server.osName": row.get("OS.Name", ""),
                  "server.osVersion": row.get("OS.Version", ""), "server.type": "OTHER"}
    if row.get("CPU.UsagePct.Avg"):
        attributes["server.performance.avgCpuUsagePct"] = row["CPU.UsagePct.Avg"]
    if row.get("IPAddress") or row.get("MACAddress"):
        attributes["server.networkInterfaceInfo"] = orjson.dumps(
            [{"name": "", "ipAddress": row.get("IPAddress", ""), "macAddress": row.get("MACAddress", "")}]).decode()
    # Ids of servers that only an import knows: "i-server-" and 14 characters, as long as a discovered one's.
    return {"configurationId": "i-server-" + hashlib.sha256(identity.encode()).hexdigest()[:14], "attributes": attributes,
            "processes": [], "applications": []}


class Imports:
    def __init__(self, state: StrategyState, services: Any, tasks: Any, paginator: Paginator) -> None:
        self.state = state
        self.services = services
        self.tasks = tasks
        self.paginator = paginator

    def start_import_file_task(self, ctx, params: dict) -> dict:
        for member in ("S3Bucket", "s3bucketForReportData"):
            if member in params and not params[member].startswith(BUCKET_PREFIX):
                raise invalid(f"The bucket name in {member} must begin with {BUCKET_PREFIX}.")
        source = params.get("dataSourceType") or "ApplicationDiscoveryService"
        if source == "StrategyRecommendationsApplicationDataCollector":
            raise invalid("Servers of a Strategy Recommendations collector cannot be imported: no collector is registered.")
        task = ImportFileTask(id=str(uuid.uuid4()), name=params["name"], bucket=params["S3Bucket"], key=params["s3key"],
                              data_source=source, start_time=clock.epoch(), group_ids=params.get("groupId") or [],
                              report_bucket=params.get("s3bucketForReportData"))
        self.state.imports.put(ctx.scope, task.id, task)
        scope, region = ctx.scope, ctx.region
        self.tasks.spawn(self.run(scope, region, task.id), owner="migrationhubstrategy", what=f"import {task.id}",
                         on_failure=lambda error: self.end(scope, task.id, "ImportFailed"))
        return {"id": task.id}

    def end(self, scope: Scope, task_id: str, status: str) -> None:
        task = self.state.imports.get(scope, task_id)
        task.status, task.completion_time = status, clock.epoch()
        self.state.imports.put(scope, task_id, task)

    async def run(self, scope: Scope, region: str, task_id: str) -> None:
        await asyncio.sleep(0)
        task = self.state.imports.get(scope, task_id)
        s3 = self.services.api("s3")
        try:
            _, body = await s3.get_object(scope[0], task.bucket, task.key, region=region)
            rows = list(csv.DictReader(io.StringIO(b"".join([chunk async for chunk in body]).decode("utf-8-sig"))))
        except (ServiceError, UnicodeDecodeError, csv.Error):
            return self.end(scope, task_id, "ImportFailed")
        discovery = self.services.api("discovery") if task.data_source == "ApplicationDiscoveryService" else None
        outcomes, servers = [], []
        for number, row in enumerate(rows, start=2):  # line 1 is the header
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            if not any(row.get(key) for key in KEYS):
                outcomes.append([number, "", "FAILED", f"The row has none of {', '.join(KEYS)}."])
                continue
            if task.data_source == "ApplicationDiscoveryService":
                wanted = {row[k] for k in ("IPAddress", "MACAddress", "HostName") if row.get(k)}
                match = next(iter(discovery.servers_identified_by(scope[0], region, wanted)), None)
                if match is None:
                    outcomes.append([number, row.get("ExternalId", ""), "FAILED",
                                     "No server discovered by Application Discovery Service has this host name, IP or MAC address."])
                    continue
                servers.append({"configurationId": match["configurationId"]})
                outcomes.append([number, row.get("ExternalId", ""), "SUCCESS", match["configurationId"]])
            else:
                server = row_server(row)
                servers.append(server)
                outcomes.append([number, row.get("ExternalId", ""), "SUCCESS", server["configurationId"]])
        report_bucket = task.report_bucket or task.bucket
        report_key = f"{task.key}.status-report-{task.id}.csv"
        text = io.StringIO()
        csv.writer(text).writerows([["row", "ExternalId", "status", "detail"], *outcomes])
        await s3.put_object(scope[0], report_bucket, report_key, text.getvalue().encode(), content_type="text/csv", region=region)
        task = self.state.imports.get(scope, task_id)
        task.servers, task.report_bucket, task.report_key = servers, report_bucket, report_key
        task.success = sum(1 for o in outcomes if o[2] == "SUCCESS")
        task.failed = len(outcomes) - task.success
        task.status = "ImportSuccess" if not task.failed else "ImportPartialSuccess" if task.success else "ImportFailed"
        task.completion_time = clock.epoch()
        self.state.imports.put(scope, task_id, task)

    @staticmethod
    def shape(task: ImportFileTask) -> dict:
        out = {"id": task.id, "importName": task.name, "inputS3Bucket": task.bucket, "inputS3Key": task.key,
               "status": task.status, "startTime": task.start_time, "numberOfRecordsSuccess": task.success,
               "numberOfRecordsFailed": task.failed}
        for member, value in (("completionTime", task.completion_time), ("statusReportS3Bucket", task.report_bucket if task.report_key else None),
                              ("statusReportS3Key", task.report_key)):
            if value is not None:
                out[member] = value
        return out

    def get_import_file_task(self, ctx, params: dict) -> dict:
        task = self.state.imports.get(ctx.scope, params["id"])
        if task is None:
            raise not_found(f"Import file task {params['id']} was not found.")
        return self.shape(task)

    def list_import_file_task(self, ctx, params: dict) -> dict:
        tasks = sorted(self.state.imports.values(ctx.scope), key=lambda t: t.start_time)
        page, token = self.paginator.paginate(tasks, params, PAGES)
        return with_token({"taskInfos": [self.shape(t) for t in page]}, token)
