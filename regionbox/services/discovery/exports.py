"""Exports: StartExportTask, DescribeExportTasks, and the deprecated ExportConfigurations /
DescribeExportConfigurations. An export is a zip of CSV files written to S3, announced by a
presigned download URL (``configurationsDownloadUrl``), as AWS's are.

- With an ``agentIds`` filter: the agents' detailed data between ``startTime`` and ``endTime``
  (default: the last 72 hours), in the files AWS documents, ``<account>_osInfo.csv``,
  ``_networkInterface.csv``, ``_systemPerformance.csv``, ``_process.csv``,
  ``_sourceProcessConnection.csv`` (outbound) and ``_destinationProcessConnection.csv`` (inbound),
  one row per observation with the agent's id, and a JSON file describing the task. At most five
  such exports run at once (OperationNotPermittedException), as AWS documents.
- With ``preferences.ec2RecommendationsPreferences`` enabled: ``EC2InstanceRecommendations.csv``
  (recommendations.py).
- Otherwise a summary of every server, application and tag: ``Servers.csv`` (DescribeConfigurations'
  server attributes as columns), ``Applications.csv`` and ``Tags.csv`` (regionbox's names: AWS does
  not document this export's files). Two summary exports a day, as AWS limits them.

AWS writes exports to a bucket it manages; regionbox writes them to one bucket per account in the
home Region, ``aws-application-discovery-service-<12 characters>``, created on first use in the
account (continuous exports write there too, as AWS's do), and presigns the URL with the
account's key.
"""

from __future__ import annotations

import csv
import io
import math
import uuid
import zipfile
from typing import Any, Callable

import orjson
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from regionbox.core import clock, ids
from regionbox.core.context import RequestContext
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.discovery import recommendations
from regionbox.services.discovery.attributes import server_attributes, timestamp
from regionbox.services.discovery.models import ExportTask
from regionbox.services.discovery.state import DiscoveryState, invalid_parameter, invalid_value, not_permitted, page_of

DETAIL_WINDOW = 72 * 3600
DAY = 86400

AGENT_FILES = {
    "osInfo": ["agentId", "timestamp", "hostName", "osName", "osVersion", "cpuType", "hypervisor"],
    "networkInterface": ["agentId", "timestamp", "name", "macAddress", "ipAddress", "netMask", "family"],
    "systemPerformance": ["agentId", "timestamp", "totalCpuUsagePct", "freeRAMInKB", "totalRAMInKB",
                          "totalDiskBytesReadPerSecondInKbps", "totalDiskBytesWrittenPerSecondInKbps",
                          "totalDiskReadOpsPerSecond", "totalDiskWriteOpsPerSecond",
                          "totalNetworkBytesReadPerSecondInKbps", "totalNetworkBytesWrittenPerSecondInKbps"],
    "process": ["agentId", "timestamp", "processConfigurationId", "agentAssignedProcessId", "name", "path", "cmdLine"],
    "sourceProcessConnection": ["agentId", "timestamp", "sourceIp", "sourcePort", "destinationIp", "destinationPort",
                                "ipVersion", "transportProtocol", "agentAssignedProcessId", "processConfigurationId"],
    "destinationProcessConnection": ["agentId", "timestamp", "sourceIp", "sourcePort", "destinationIp",
                                     "destinationPort", "ipVersion", "transportProtocol", "agentAssignedProcessId",
                                     "processConfigurationId"],
}
# Row names of what agents reported -> the export's column names.
RENAMED = {"cpu": "totalCpuUsagePct", "freeRamKb": "freeRAMInKB", "totalRamKb": "totalRAMInKB",
           "diskReadKb": "totalDiskBytesReadPerSecondInKbps", "diskWriteKb": "totalDiskBytesWrittenPerSecondInKbps",
           "diskReadOps": "totalDiskReadOpsPerSecond", "diskWriteOps": "totalDiskWriteOpsPerSecond",
           "netReadKb": "totalNetworkBytesReadPerSecondInKbps", "netWriteKb": "totalNetworkBytesWrittenPerSecondInKbps",
           "commandLine": "cmdLine", "processId": "processConfigurationId", "pid": "agentAssignedProcessId"}


def csv_text(columns: list[str], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return out.getvalue()


class Exports:
    def __init__(self, state: DiscoveryState, s3: Callable[[], Any], tasks: Tasks, paginator: Paginator,
                 endpoint: Callable[[], str]) -> None:
        self.state = state
        self.s3 = s3
        self.tasks = tasks
        self.paginator = paginator
        self.endpoint = endpoint

    # -- the account's discovery bucket ----------------------------------------------------------
    def bucket(self, scope: Scope) -> str:
        found = self.state.buckets.get(scope, "bucket")
        if found is None:
            found = {"name": f"aws-application-discovery-service-{ids.lower_alnum(12)}"}
            self.s3().create_bucket(scope[0], found["name"], scope[1])
            self.state.buckets.put(scope, "bucket", found)
        elif self.s3().bucket(found["name"], scope[1]) is None:  # the user deleted it: make it again
            self.s3().create_bucket(scope[0], found["name"], scope[1])
        return found["name"]

    def url(self, scope: Scope, bucket: str, key: str) -> str:
        request = AWSRequest("GET", f"{self.endpoint()}/{bucket}/{key}")
        S3SigV4QueryAuth(Credentials(scope[0], "regionbox"), "s3", scope[1], expires=86400).add_auth(request)
        return request.url

    # -- StartExportTask -----------------------------------------------------------------------------
    def start_export_task(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=True)
        agent_ids: list[str] = []
        for item in params.get("filters") or []:
            if item["name"] != "agentIds":
                raise invalid_parameter(f"The filter name {item['name']} is not valid: the only export filter is agentIds.")
            if item["condition"] != "EQUALS":
                raise invalid_parameter("The agentIds filter takes the condition EQUALS.")
            agent_ids.extend(item["values"])
        for agent_id in agent_ids:
            if self.state.agents.get(scope, agent_id) is None:
                raise invalid_value(f"Agent {agent_id} does not exist.")
        preferences = (params.get("preferences") or {}).get("ec2RecommendationsPreferences") or {}
        now = clock.epoch()
        running = [t for t in self.state.exports.values(scope) if t.status == "IN_PROGRESS"]
        if agent_ids and sum(1 for t in running if t.agent_ids) >= 5:
            raise not_permitted("You can run at most 5 exports of detailed agent data at a time.")
        if not agent_ids and not preferences.get("enabled") and sum(
                1 for t in self.state.exports.values(scope)
                if not t.agent_ids and not t.preferences and t.requested > now - DAY) >= 2:
            raise not_permitted("You have reached the limit of 2 summary exports in 24 hours.")
        start = clock.to_epoch(params.get("startTime"))
        end = clock.to_epoch(params.get("endTime"))
        if start is not None and end is not None and start > end:
            raise invalid_parameter("startTime must be before endTime.")
        task = ExportTask(export_id=f"export-{uuid.uuid4()}", status="IN_PROGRESS", message="Export in progress.",
                          requested=now, agent_ids=agent_ids, start=start, end=end,
                          preferences=preferences if preferences.get("enabled") else {})
        self.state.exports.put(scope, task.export_id, task)
        self.tasks.spawn(self._run(scope, task.export_id), owner="discovery", what=f"export {task.export_id}",
                         on_failure=lambda error: self._finish(scope, task.export_id, "FAILED", f"Export failed: {error}"))
        return {"exportId": task.export_id}

    def export_configurations(self, ctx: RequestContext, params: dict) -> dict:
        """Deprecated by StartExportTask: a summary export."""
        return self.start_export_task(ctx, {})

    async def _run(self, scope: Scope, export_id: str) -> None:
        task = self.state.exports.get(scope, export_id)
        if task is None:
            return
        if task.agent_ids:
            files = self._agent_files(scope, task)
        elif task.preferences:
            files = {"EC2InstanceRecommendations.csv": self._recommendations(scope, task.preferences)}
        else:
            files = self._summary(scope)
        files[f"{export_id}.json"] = orjson.dumps({
            "exportId": export_id, "accountId": scope[0], "region": scope[1], "agentIds": task.agent_ids,
            "requestedStartTime": task.start, "requestedEndTime": task.end, "files": sorted(files)},
            option=orjson.OPT_INDENT_2).decode()
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            for name, text in files.items():
                zipped.writestr(name, text)
        bucket = self.bucket(scope)
        key = f"exports/{export_id}.zip"
        await self.s3().put_object(scope[0], bucket, key, archive.getvalue(), content_type="application/zip",
                                   region=scope[1])
        task = self.state.exports.get(scope, export_id)
        if task is not None:
            task.bucket, task.key = bucket, key
            self.state.exports.put(scope, export_id, task)
        self._finish(scope, export_id, "SUCCEEDED", "Export succeeded.")

    def _finish(self, scope: Scope, export_id: str, status: str, message: str) -> None:
        task = self.state.exports.get(scope, export_id)
        if task is not None:
            task.status, task.message = status, message
            self.state.exports.put(scope, export_id, task)

    def _agent_files(self, scope: Scope, task: ExportTask) -> dict[str, str]:
        now = clock.epoch()
        end = task.end if task.end is not None else now
        start = task.start if task.start is not None else end - DETAIL_WINDOW
        rows: dict[str, list[dict]] = {kind: [] for kind in AGENT_FILES}
        for agent_id in task.agent_ids:
            agent = self.state.agents.get(scope, agent_id)
            if agent is None:
                continue
            for kind in AGENT_FILES:
                for ts, doc in self.state.records(scope, agent.server_id, kind, start, end):
                    row = {RENAMED.get(k, k): v for k, v in doc.items()}
                    row.update(agentId=agent_id, timestamp=timestamp(ts))
                    rows[kind].append(row)
        return {f"{scope[0]}_{kind}.csv": csv_text(columns, rows[kind]) for kind, columns in AGENT_FILES.items()}

    def _summary(self, scope: Scope) -> dict[str, str]:
        servers = [server_attributes(self.state, scope, s) for s in self.state.servers.values(scope)]
        columns = sorted({name for server in servers for name in server},
                         key=lambda n: (n != "server.configurationId", n))
        applications = [{"application.configurationId": a.configuration_id, "application.name": a.name,
                         "application.description": a.description, "application.wave": a.wave,
                         "application.serverIds": " ".join(a.servers)} for a in self.state.applications.values(scope)]
        tags = [{"configurationId": t.configuration_id, "configurationType": t.configuration_type, "key": t.key,
                 "value": t.value, "timeOfCreation": timestamp(t.created)} for t in self.state.tags.values(scope)]
        return {"Servers.csv": csv_text(columns, servers),
                "Applications.csv": csv_text(list(applications[0]) if applications else
                                             ["application.configurationId", "application.name"], applications),
                "Tags.csv": csv_text(["configurationId", "configurationType", "key", "value", "timeOfCreation"], tags)}

    def _recommendations(self, scope: Scope, preferences: dict) -> str:
        rows = []
        excluded = preferences.get("excludedInstanceTypes") or []
        reserved = preferences.get("reservedInstanceOptions")
        region = preferences.get("preferredRegion") or scope[1]
        for server in self.state.servers.values(scope):
            cpu_values = [doc["cpu"] for _, doc in self.state.records(scope, server.configuration_id, "systemPerformance")
                          if doc.get("cpu") is not None]
            total_mb = server.total_ram_kb / 1024
            used_mb = [total_mb - doc["freeRamKb"] / 1024 for _, doc in
                       self.state.records(scope, server.configuration_id, "systemPerformance") if doc.get("freeRamKb")]
            cpu = server.perf.get("cpu")
            free = server.perf.get("freeRamKb")
            given = server.perf_given
            cpu_avg = cpu[0] / cpu[1] if cpu else _number(given.get("server.performance.avgCpuUsagePct"))
            cpu_max = cpu[2] if cpu else _number(given.get("server.performance.maxCpuUsagePct"))
            ram_avg = total_mb - free[0] / free[1] / 1024 if free and total_mb else _used(given, "avg", total_mb)
            ram_max = total_mb - free[3] / 1024 if free and total_mb else _used(given, "max", total_mb)
            cpu_pct = recommendations.usage(preferences.get("cpuPerformanceMetricBasis"), cpu_values, cpu_avg, cpu_max)
            ram_pct = recommendations.usage(preferences.get("ramPerformanceMetricBasis"),
                                            [u / total_mb * 100 for u in used_mb] if total_mb else [],
                                            ram_avg / total_mb * 100 if ram_avg is not None and total_mb else None,
                                            ram_max / total_mb * 100 if ram_max is not None and total_mb else None)
            vcpus = max(1, math.ceil((server.num_cpus or 1) * (cpu_pct if cpu_pct is not None else 100) / 100))
            memory = max(512.0, total_mb * (ram_pct if ram_pct is not None else 100) / 100) if total_mb else 512.0
            model = recommendations.choose(vcpus, memory, excluded)
            windows = "windows" in server.os_name.lower()
            row = {"ServerId": server.configuration_id, "Server.ExternalId": server.external_id,
                   "Server.HostName": server.host_name, "Server.OS.Name": server.os_name,
                   "Server.OS.Version": server.os_version, "Server.CPU.NumberOfProcessors": server.num_cpus or "",
                   "Server.CPU.NumberOfCores": server.num_cores or "", "Server.CPU.NumberOfLogicalCores": server.num_cpus or "",
                   "Recommendation.EC2.RequestedCPU.UsagePct": _round(cpu_pct if cpu_pct is not None else 100),
                   "Recommendation.EC2.RequestedvCPU": vcpus, "Server.RAM.TotalSizeInMB": _round(total_mb),
                   "Recommendation.EC2.RequestedRAM.UsagePct": _round(ram_pct if ram_pct is not None else 100),
                   "Recommendation.EC2.RequestedRAMinMB": _round(memory),
                   "UserPreference.Recommendation.CPUSizing": _basis(preferences.get("cpuPerformanceMetricBasis")),
                   "UserPreference.Recommendation.RAMSizing": _basis(preferences.get("ramPerformanceMetricBasis")),
                   "UserPreference.Region": recommendations.REGION_NAMES.get(region, region),
                   "UserPreference.EC2.Tenancy": preferences.get("tenancy", "SHARED"),
                   "UserPreference.EC2.PricingModel": "Reserved" if reserved else "On-Demand",
                   "UserPreference.EC2.PricingModel.ContractTerm": (reserved or {}).get("termLength", ""),
                   "UserPreference.EC2.PricingModel.Payment": (reserved or {}).get("purchasingOption", ""),
                   "UserPreference.EC2.ExcludedInstances": " ".join(excluded),
                   "Applications": " ".join(a.name for a in self.state.applications_of(scope, server.configuration_id)),
                   "Tags": " ".join(f"{t.key}:{t.value}" for t in self.state.tags_of(scope, server.configuration_id)),
                   "Server.CPU.UsagePct.Avg": _round(cpu_avg), "Server.CPU.UsagePct.Max": _round(cpu_max),
                   "Server.RAM.UsedSizeInMB.Avg": _round(ram_avg), "Server.RAM.UsedSizeInMB.Max": _round(ram_max),
                   "Server.NumberOfDisks": server.num_disks or ""}
            if model is None:
                row["Recommendation.EC2.Remarks"] = "No instance type fits the requested vCPUs and memory."
            else:
                cpus, memory_mb, _ = recommendations.CATALOGUE[model]
                upfront, hourly, amortised = recommendations.price(model, windows, preferences)
                row.update({"Recommendation.EC2.Instance.Model": model, "Recommendation.EC2.Instance.vCPUCount": cpus,
                            "Recommendation.EC2.Instance.RAM.TotalSizeinMB": memory_mb,
                            "Recommendation.EC2.Instance.Price.UpfrontCost": upfront,
                            "Recommendation.EC2.Instance.Price.HourlyRate": hourly,
                            "Recommendation.EC2.Instance.Price.AmortizedHourlyRate": amortised,
                            "Recommendation.EC2.Instance.Price.EffectiveDate.UTC": recommendations.PRICE_DATE,
                            "Recommendation.EC2.Instance.OSType": "Windows" if windows else "Linux"})
            rows.append(row)
        return csv_text(recommendations.COLUMNS, rows)

    # -- DescribeExportTasks -----------------------------------------------------------------------------
    def describe_export_tasks(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=False)
        found = sorted(self.state.exports.values(scope), key=lambda t: -t.requested)
        if params.get("exportIds"):
            wanted = set(params["exportIds"])
            found = [t for t in found if t.export_id in wanted]
        for item in params.get("filters") or []:
            if item["name"] != "agentIds":
                raise invalid_parameter(f"The filter name {item['name']} is not valid: the only export filter is agentIds.")
            values = set(item["values"])
            found = [t for t in found if values & set(t.agent_ids)]
        return page_of(self.paginator, found, params, "exportsInfo", lambda t: self._info(scope, t),
                       query=[params.get("exportIds"), params.get("filters")])

    def describe_export_configurations(self, ctx: RequestContext, params: dict) -> dict:
        return self.describe_export_tasks(ctx, {k: v for k, v in params.items() if k != "filters"})

    def _info(self, scope: Scope, task: ExportTask) -> dict:
        info: dict = {"exportId": task.export_id, "exportStatus": task.status, "statusMessage": task.message,
                      "exportRequestTime": clock.from_epoch(task.requested), "isTruncated": task.truncated}
        if task.status == "SUCCEEDED" and task.key:
            info["configurationsDownloadUrl"] = self.url(scope, task.bucket, task.key)
        if task.agent_ids:
            info["requestedStartTime"] = clock.from_epoch(task.start if task.start is not None
                                                          else (task.end or task.requested) - DETAIL_WINDOW)
            info["requestedEndTime"] = clock.from_epoch(task.end if task.end is not None else task.requested)
        return info

    def fail_unfinished(self) -> None:
        """Exports the cloud was running when it stopped never finish."""
        for scope, export_id, task in list(self.state.exports.all()):
            if task.status == "IN_PROGRESS":
                self._finish(scope, export_id, "FAILED", "Export failed: regionbox stopped while it ran.")


def _number(value: str | None) -> float | None:
    return float(value) if value not in (None, "") else None


def _used(given: dict, statistic: str, total_mb: float) -> float | None:
    """Used RAM (MB) of an imported server, from its free RAM attribute."""
    name = "server.performance.avgFreeRAMInKB" if statistic == "avg" else "server.performance.minFreeRAMInKB"
    free = _number(given.get(name))
    return total_mb - free / 1024 if free is not None and total_mb else None


def _round(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _basis(basis: dict | None) -> str:
    name = (basis or {}).get("name", "AVG")
    return {"SPEC": "Specification", "AVG": "Average", "MAX": "Maximum"}.get(name, name)
