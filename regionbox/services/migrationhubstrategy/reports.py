"""StartRecommendationReportGeneration, GetRecommendationReportDetails: every assessed server and
application component with the strategy in force, its target, tool and reason, and the other
options, written into S3 (``cloud.services.api("s3")``) as an Excel workbook (the default) or
JSON. The bucket is the latest assessment's s3bucketForReportData, else the service's own
``migrationhub-strategy-<account>-<region>``, created in the account as needed."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import orjson

from regionbox.core import clock
from regionbox.core.errors import ServiceError
from regionbox.core.store import Scope
from regionbox.services.migrationhubstrategy.analysis import effective
from regionbox.services.migrationhubstrategy.common import in_groups, invalid, not_found
from regionbox.services.migrationhubstrategy.models import ReportTask, StrategyState
from regionbox.services.migrationhubstrategy.rules import facts_of
from regionbox.services.migrationhubstrategy.xlsx import workbook

COLUMNS = ["Resource type", "Id", "Name", "Server id", "Operating system / application type", "Strategy",
           "Target destination", "Transformation tool", "Preferred", "Reason", "Other options"]


def default_bucket(scope: Scope) -> str:
    return f"migrationhub-strategy-{scope[0]}-{scope[1]}"


class Reports:
    def __init__(self, state: StrategyState, services: Any, tasks: Any) -> None:
        self.state = state
        self.services = services
        self.tasks = tasks

    def start_recommendation_report_generation(self, ctx, params: dict) -> dict:
        scope = ctx.scope
        if any(r.status == "IN_PROGRESS" for r in self.state.reports.values(scope)):
            raise ServiceError("ConflictException", "A recommendation report is already being generated: wait for it "
                                                    "to finish.", status=409)
        if not self.state.servers.values(scope):
            raise invalid("There are no assessed servers to report on: run StartAssessment first.")
        report = ReportTask(id=str(uuid.uuid4()), status="IN_PROGRESS", output_format=params.get("outputFormat") or "Excel",
                            start_time=clock.epoch(), group_ids=params.get("groupIdFilter") or [])
        self.state.reports.put(scope, report.id, report)
        self.tasks.spawn(self.generate(scope, report.id), owner="migrationhubstrategy", what=f"report {report.id}",
                         on_failure=lambda error: self.finish(scope, report.id, "FAILED", message=str(error)))
        return {"id": report.id}

    def finish(self, scope: Scope, report_id: str, status: str, bucket: str | None = None, key: str | None = None,
               message: str | None = None) -> None:
        report = self.state.reports.get(scope, report_id)
        report.status, report.completion_time = status, clock.epoch()
        report.bucket, report.keys = bucket, [key] if key else []
        report.status_message = (message or "")[:512] or None
        self.state.reports.put(scope, report_id, report)

    def rows(self, scope: Scope, group_ids: list[dict]) -> list[dict]:
        servers = [s for s in self.state.servers.values(scope) if in_groups(s.group_ids, group_ids)]
        components = self.state.components.values(scope)
        rows = []
        for server in servers:
            facts = facts_of(server.source)
            rows.append(self.row("Server", server.id, facts.name, server.id, f"{facts.os_name} {facts.os_version}".strip(),
                                 server.options, server.preferred))
            for component in (c for c in components if c.server_id == server.id):
                rows.append(self.row("Application component", component.id, component.name, server.id,
                                     component.app_type_set or component.app_type, component.options, component.preferred))
        return rows

    @staticmethod
    def row(kind: str, resource_id: str, name: str, server_id: str, what: str, options: list[dict],
            preferred: dict | None) -> dict:
        option = effective(options, preferred) or {}
        return {"resourceType": kind, "id": resource_id, "name": name, "serverId": server_id, "type": what,
                "strategy": option.get("strategy"), "targetDestination": option.get("destination"),
                "toolName": option.get("tool"), "isPreferred": preferred is not None, "reason": option.get("reason"),
                "otherOptions": [{"strategy": o["strategy"], "targetDestination": o["destination"], "toolName": o["tool"],
                                  "reason": o["reason"]} for o in options if o is not option]}

    async def generate(self, scope: Scope, report_id: str) -> None:
        await asyncio.sleep(0)
        report = self.state.reports.get(scope, report_id)
        rows = self.rows(scope, report.group_ids)
        latest = self.state.latest_assessment(scope)
        bucket = (latest.report_bucket if latest else None) or default_bucket(scope)
        s3 = self.services.api("s3")
        try:
            s3.create_bucket(scope[0], bucket, region=scope[1])
        except ServiceError as error:
            return self.finish(scope, report_id, "FAILED", message=f"The report bucket {bucket} cannot be used: {error.message}")
        if report.output_format == "Json":
            key = f"recommendation-reports/{report_id}/StrategyRecommendations.json"
            body = orjson.dumps({"reportId": report_id, "generatedAt": clock.iso(clock.epoch()), "recommendations": rows},
                                option=orjson.OPT_INDENT_2)
            content_type = "application/json"
        else:
            key = f"recommendation-reports/{report_id}/StrategyRecommendations.xlsx"
            table = [COLUMNS] + [[r["resourceType"], r["id"], r["name"], r["serverId"], r["type"], r["strategy"] or "",
                                  r["targetDestination"] or "", r["toolName"] or "", "yes" if r["isPreferred"] else "no",
                                  r["reason"] or "", "; ".join(f"{o['strategy']} ({o['targetDestination']})"
                                                               for o in r["otherOptions"])] for r in rows]
            body = workbook("Recommendations", table)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        await s3.put_object(scope[0], bucket, key, body, content_type=content_type, region=scope[1])
        self.finish(scope, report_id, "SUCCESS", bucket=bucket, key=key)

    def get_recommendation_report_details(self, ctx, params: dict) -> dict:
        report = self.state.reports.get(ctx.scope, params["id"])
        if report is None:
            raise not_found(f"Recommendation report task {params['id']} was not found.")
        details: dict = {"status": report.status, "startTime": report.start_time, "s3Keys": report.keys}
        for member, value in (("completionTime", report.completion_time), ("s3Bucket", report.bucket),
                              ("statusMessage", report.status_message)):
            if value is not None:
                details[member] = value
        return {"id": report.id, "recommendationReportDetails": details}
