"""Imports, the agentless path: StartImportTask, DescribeImportTasks, BatchDeleteImportData.

The file is a CSV in S3 in the layout of the Migration Hub import template (AWS's user guide,
"Migration Hub import"): one server per row, matched by ``ExternalId`` (a row imported again
updates its server), with at least one of ExternalId, IPAddress, MACAddress, HostName or
VMware.MoRefId with VMware.VCenterId; the specification (CPU.NumberOfProcessors, CPU.NumberOfCores,
RAM.TotalSizeInMB, OS.Name, OS.Version ...), the utilisation (CPU.UsagePct.Avg/Max,
RAM.UsedSizeInMB.Avg/Max, Disk*/Network* .Avg/.Max) become the server's attributes; ``Applications``
(comma-separated names) groups it into applications, made when missing, with ``ApplicationWave``;
``Tags`` ("key:value, key:value") tags it. Other columns are ignored.

The import runs in the background (IMPORT_IN_PROGRESS, then IMPORT_COMPLETE,
IMPORT_COMPLETE_WITH_ERRORS with an errors-and-failed-entries zip, or IMPORT_FAILED /
IMPORT_FAILED_UNSUPPORTED_FILE_TYPE). The file is read as the caller's account (S3's bucket
policies decide, as for any reader). The same ``clientRequestToken`` again is the same task; with
other parameters it is ResourceInUseException. BatchDeleteImportData deletes what an import made
(DELETE_COMPLETE), and with ``deleteHistory`` the task itself.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
import zipfile
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.discovery.applications import tag_key
from regionbox.services.discovery.deletion import delete_server
from regionbox.services.discovery.models import Application, ImportTask, Server, Tag
from regionbox.services.discovery.state import DiscoveryState, configuration_id, invalid_parameter, page_of

KEYS = ("ExternalId", "IPAddress", "MACAddress", "HostName")
# Template column -> (server.performance.<attribute>, factor)
PERFORMANCE = {
    "CPU.UsagePct.Avg": ("avgCpuUsagePct", 1), "CPU.UsagePct.Max": ("maxCpuUsagePct", 1),
    "DiskReadsPerSecondInKB.Avg": ("avgDiskReadsPerSecondInKB", 1), "DiskReadsPerSecondInKB.Max": ("maxDiskReadsPerSecondInKB", 1),
    "DiskWritesPerSecondInKB.Avg": ("avgDiskWritesPerSecondInKB", 1),
    "DiskWritesPerSecondInKB.Max": ("maxDiskWritesPerSecondInKB", 1),
    "DiskReadsOpsPerSecond.Avg": ("avgDiskReadIOPS", 1), "DiskReadsOpsPerSecond.Max": ("maxDiskReadIOPS", 1),
    "DiskWritesOpsPerSecond.Avg": ("avgDiskWriteIOPS", 1), "DiskWritesOpsPerSecond.Max": ("maxDiskWriteIOPS", 1),
    "NetworkReadsPerSecondInKB.Avg": ("avgNetworkReadsPerSecondInKB", 1),
    "NetworkReadsPerSecondInKB.Max": ("maxNetworkReadsPerSecondInKB", 1),
    "NetworkWritesPerSecondInKB.Avg": ("avgNetworkWritesPerSecondInKB", 1),
    "NetworkWritesPerSecondInKB.Max": ("maxNetworkWritesPerSecondInKB", 1),
}
NUMBERS = ("CPU.NumberOfProcessors", "CPU.NumberOfCores", "CPU.NumberOfLogicalCores", "RAM.TotalSizeInMB",
           "RAM.UsedSizeInMB.Avg", "RAM.UsedSizeInMB.Max", *PERFORMANCE)


def _location(url: str) -> tuple[str, str]:
    """(bucket, key) of s3://bucket/key or an S3 https URL (path-style or virtual-hosted)."""
    parts = urlsplit(url)
    path = unquote(parts.path.lstrip("/"))
    if parts.scheme == "s3":
        return parts.netloc, path
    host = parts.hostname or ""
    match = re.match(r"^(.+?)\.s3[.-]", host)
    if match:
        return match.group(1), path
    bucket, _, key = path.partition("/")
    return bucket, key


class Imports:
    def __init__(self, state: DiscoveryState, s3: Callable[[], Any], tasks: Tasks, paginator: Paginator,
                 bucket: Callable[[Scope], str], url: Callable[[Scope, str, str], str]) -> None:
        self.state = state
        self.s3 = s3
        self.tasks = tasks
        self.paginator = paginator
        self.bucket = bucket  # the account's discovery bucket (exports.py), for errors files
        self.url = url

    def start_import_task(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=True)
        token = params.get("clientRequestToken") or str(uuid.uuid4())
        for task in self.state.imports.values(scope):
            if task.client_request_token == token:
                if (task.name, task.import_url) != (params["name"], params["importUrl"]):
                    raise ServiceError("ResourceInUseException", "The clientRequestToken was used before, with "
                                       "other parameters.")
                return {"task": self._shape(scope, task)}
        task = ImportTask(import_task_id=f"import-task-{uuid.uuid4().hex}", client_request_token=token,
                          name=params["name"], import_url=params["importUrl"], status="IMPORT_IN_PROGRESS",
                          requested=clock.epoch())
        self.state.imports.put(scope, task.import_task_id, task)
        self.tasks.spawn(self._run(scope, task.import_task_id), owner="discovery", what=f"import {task.import_task_id}",
                         on_failure=lambda error: self._end(scope, task.import_task_id, "INTERNAL_ERROR"))
        return {"task": self._shape(scope, task)}

    def _end(self, scope: Scope, task_id: str, status: str) -> None:
        task = self.state.imports.get(scope, task_id)
        if task is not None:
            task.status, task.completed = status, clock.epoch()
            self.state.imports.put(scope, task_id, task)

    async def _run(self, scope: Scope, task_id: str) -> None:
        task = self.state.imports.get(scope, task_id)
        bucket, key = _location(task.import_url)
        try:
            _, body = await self.s3().get_object(scope[0], bucket, key, region=scope[1])
            data = b"".join([chunk async for chunk in body])
            rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        except ServiceError:
            return self._end(scope, task_id, "IMPORT_FAILED")
        except (UnicodeDecodeError, csv.Error):
            return self._end(scope, task_id, "IMPORT_FAILED_UNSUPPORTED_FILE_TYPE")
        if not rows or not any(k in rows[0] for k in (*KEYS, "VMware.MoRefId")):
            return self._end(scope, task_id, "IMPORT_FAILED_UNSUPPORTED_FILE_TYPE")
        failed: list[dict] = []
        with self.state.store.transaction():
            task = self.state.imports.get(scope, task_id)
            for number, row in enumerate(rows, start=2):
                row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
                problem = self._problem(row)
                if problem:
                    failed.append({**row, "Error": f"Row {number}: {problem}"})
                    task.server_failure += 1
                    continue
                self._server(scope, task, row)
                task.server_success += 1
            if failed:
                bucket_name = self.bucket(scope)
                archive = io.BytesIO()
                with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
                    out = io.StringIO()
                    writer = csv.DictWriter(out, fieldnames=list(dict.fromkeys(k for r in failed for k in r)),
                                            lineterminator="\n")
                    writer.writeheader()
                    writer.writerows(failed)
                    zipped.writestr("failed-entries.csv", out.getvalue())
                task.errors_bucket, task.errors_key = bucket_name, f"imports/{task_id}/errors-and-failed-entries.zip"
            task.status = "IMPORT_COMPLETE_WITH_ERRORS" if failed else "IMPORT_COMPLETE"
            task.completed = clock.epoch()
            self.state.imports.put(scope, task_id, task)
        if failed:
            await self.s3().put_object(scope[0], task.errors_bucket, task.errors_key, archive.getvalue(),
                                       content_type="application/zip", region=scope[1])

    @staticmethod
    def _problem(row: dict) -> str:
        if not any(row.get(k) for k in KEYS) and not (row.get("VMware.MoRefId") and row.get("VMware.VCenterId")):
            return ("a row needs one of ExternalId, IPAddress, MACAddress, HostName, or VMware.MoRefId with "
                    "VMware.VCenterId")
        for name in NUMBERS:
            if row.get(name):
                try:
                    float(row[name])
                except ValueError:
                    return f"{name} must be a number, not {row[name]!r}"
        return ""

    def _server(self, scope: Scope, task: ImportTask, row: dict) -> None:
        now = clock.epoch()
        external = row.get("ExternalId", "")
        server = next((s for s in self.state.servers.values(scope) if external and s.external_id == external), None)
        if server is None:
            server = Server(configuration_id=configuration_id("server"), created=now, external_id=external,
                            import_task_id=task.import_task_id)
            task.servers.append(server.configuration_id)
        server.host_name = row.get("HostName") or row.get("VMware.VMName") or server.host_name
        server.os_name = row.get("OS.Name") or server.os_name
        server.os_version = row.get("OS.Version") or server.os_version
        if row.get("VMware.MoRefId"):
            server.server_type = "VMWARE_VM"
        if row.get("CPU.NumberOfLogicalCores") or row.get("CPU.NumberOfProcessors"):
            server.num_cpus = int(float(row.get("CPU.NumberOfLogicalCores") or row["CPU.NumberOfProcessors"]))
        if row.get("CPU.NumberOfCores"):
            server.num_cores = int(float(row["CPU.NumberOfCores"]))
        total_mb = float(row["RAM.TotalSizeInMB"]) if row.get("RAM.TotalSizeInMB") else server.total_ram_kb / 1024
        if total_mb:
            server.total_ram_kb = total_mb * 1024
        for column, (attribute, _) in PERFORMANCE.items():
            if row.get(column):
                server.perf_given[f"server.performance.{attribute}"] = repr(float(row[column]))
        for column, attribute in (("RAM.UsedSizeInMB.Avg", "avgFreeRAMInKB"), ("RAM.UsedSizeInMB.Max", "minFreeRAMInKB")):
            if row.get(column) and total_mb:
                server.perf_given[f"server.performance.{attribute}"] = repr((total_mb - float(row[column])) * 1024)
        addresses = [a.strip() for a in row.get("IPAddress", "").split(",") if a.strip()]
        macs = [m.strip() for m in row.get("MACAddress", "").split(",") if m.strip()]
        if addresses or macs:
            server.interfaces = [{"name": f"eth{i}", "ipAddress": addresses[i] if i < len(addresses) else "",
                                  "macAddress": macs[i] if i < len(macs) else ""}
                                 for i in range(max(len(addresses), len(macs)))]
        self.state.servers.put(scope, server.configuration_id, server)
        for name in [n.strip() for n in next(csv.reader([row.get("Applications", "")]), []) if n.strip()]:
            application = next((a for a in self.state.applications.values(scope) if a.name == name), None)
            if application is None:
                application = Application(configuration_id=configuration_id("application"), name=name, description="",
                                          wave=row.get("ApplicationWave", ""), created=now, modified=now)
                task.applications.append(application.configuration_id)
                task.application_success += 1
            if server.configuration_id not in application.servers:
                application.servers.append(server.configuration_id)
            if row.get("ApplicationWave"):
                application.wave = row["ApplicationWave"]
            self.state.applications.put(scope, application.configuration_id, application)
        for pair in [p.strip() for p in row.get("Tags", "").split(",") if ":" in p]:
            key, value = (part.strip() for part in pair.split(":", 1))
            tagged = tag_key(server.configuration_id, key, value)
            if (scope, tagged) not in self.state.tags:
                self.state.tags.put(scope, tagged, Tag(configuration_id=server.configuration_id,
                                                        configuration_type="SERVER", key=key, value=value, created=now))

    def describe_import_tasks(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=False)
        found = sorted(self.state.imports.values(scope), key=lambda t: -t.requested)
        for item in params.get("filters") or []:
            if not item.get("name") or not item.get("values"):
                raise invalid_parameter("An import task filter needs a name and values.")
            values = set(item["values"])
            field = {"IMPORT_TASK_ID": "import_task_id", "STATUS": "status", "NAME": "name"}.get(item["name"])
            if field is not None:
                found = [t for t in found if getattr(t, field) in values]
            elif "IMPORT_TEMPLATE" not in values:  # FILE_CLASSIFICATION: every import here is the template
                found = []
        return page_of(self.paginator, found, params, "tasks", lambda t: self._shape(scope, t), query=params.get("filters"))

    def _shape(self, scope: Scope, task: ImportTask) -> dict:
        shaped = {"importTaskId": task.import_task_id, "clientRequestToken": task.client_request_token,
                  "name": task.name, "importUrl": task.import_url, "status": task.status,
                  "importRequestTime": clock.from_epoch(task.requested), "fileClassification": "IMPORT_TEMPLATE",
                  "serverImportSuccess": task.server_success, "serverImportFailure": task.server_failure,
                  "applicationImportSuccess": task.application_success,
                  "applicationImportFailure": task.application_failure}
        if task.completed is not None:
            shaped["importCompletionTime"] = clock.from_epoch(task.completed)
        if task.deleted is not None:
            shaped["importDeletedTime"] = clock.from_epoch(task.deleted)
        if task.errors_key:
            shaped["errorsAndFailedEntriesZip"] = self.url(scope, task.errors_bucket, task.errors_key)
        return shaped

    def batch_delete_import_data(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=False)
        errors = []
        with self.state.store.transaction():
            for task_id in params["importTaskIds"]:
                task = self.state.imports.get(scope, task_id)
                if task is None:
                    errors.append({"importTaskId": task_id, "errorCode": "NOT_FOUND",
                                   "errorDescription": f"Import task {task_id} was not found."})
                    continue
                for server_id in task.servers:
                    if self.state.servers.get(scope, server_id) is not None:
                        delete_server(self.state, scope, server_id)
                for application_id in task.applications:
                    self.state.applications.delete(scope, application_id)
                if params.get("deleteHistory"):
                    self.state.imports.delete(scope, task_id)
                else:
                    task.status, task.deleted = "DELETE_COMPLETE", clock.epoch()
                    self.state.imports.put(scope, task_id, task)
        return {"errors": errors}

    def fail_unfinished(self) -> None:
        for scope, task_id, task in list(self.state.imports.all()):
            if task.status == "IMPORT_IN_PROGRESS":
                self._end(scope, task_id, "INTERNAL_ERROR")
