"""StartAssessment, GetAssessment, StopAssessment, GetLatestAssessmentId, GetPortfolioSummary.

An assessment reads what Application Discovery Service discovered (``DiscoveryApi.servers`` and
``applications``; with ``assessmentDataSourceType`` ManualImport, the servers StartImportFileTask
imported instead), keeps the servers its targets select, and derives every server's and
component's options with the rules. It answers IN_PROGRESS at once and does the work in the
background, then COMPLETE (or FAILED with the reason, STOPPED when stopped first). Its result
replaces the portfolio the previous assessment left; what a user chose for a server or component
(preferred strategy, configuration) is kept.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from regionbox.core import clock
from regionbox.core.registry import ServiceUnavailable
from regionbox.core.store import Scope
from regionbox.services.migrationhubstrategy.analysis import assess, effective, strategies_in_force
from regionbox.services.migrationhubstrategy.common import invalid, not_found, strategy_summary
from regionbox.services.migrationhubstrategy.models import PREFERENCES_KEY, Assessment, StrategyState
from regionbox.services.migrationhubstrategy.rules import Preferences, facts_of

BUCKET_PREFIX = "migrationhub-strategy-"
NO_COLLECTOR = ("No Strategy Recommendations application data collector is registered in this account: "
                "assess the servers discovered by Application Discovery Service instead.")
NO_IMPORT = "No file import has completed in this account: import the servers with StartImportFileTask first."


def selected(server: dict, targets: list[dict]) -> bool:
    """assessmentTargets: every criterion holds. A criterion names a discovered attribute
    (``server.osName``, ``server.hostName`` ...) or SERVER_ID."""
    attributes = server.get("attributes") or {}
    for target in targets:
        name, values = target["name"], target["values"]
        value = server["configurationId"] if name == "SERVER_ID" else str(attributes.get(name, ""))
        holds = {"EQUALS": value in values, "NOT_EQUALS": value not in values,
                 "CONTAINS": any(v in value for v in values), "NOT_CONTAINS": not any(v in value for v in values)}
        if not holds[target["condition"]]:
            return False
    return True


class Assessments:
    def __init__(self, state: StrategyState, services: Any, tasks: Any) -> None:
        self.state = state
        self.services = services
        self.tasks = tasks

    def start_assessment(self, ctx, params: dict) -> dict:
        for member in ("s3bucketForAnalysisData", "s3bucketForReportData"):
            if member in params and not params[member].startswith(BUCKET_PREFIX):
                raise invalid(f"The bucket name in {member} must begin with {BUCKET_PREFIX}.")
        assessment = Assessment(id=str(uuid.uuid4()), status="IN_PROGRESS", start_time=clock.epoch(),
                                data_source=params.get("assessmentDataSourceType") or "ApplicationDiscoveryService",
                                targets=params.get("assessmentTargets") or [],
                                report_bucket=params.get("s3bucketForReportData"),
                                analysis_bucket=params.get("s3bucketForAnalysisData"))
        self.state.assessments.put(ctx.scope, assessment.id, assessment)
        scope, region = ctx.scope, ctx.region
        self.tasks.spawn(self.run(scope, region, assessment.id), owner="migrationhubstrategy",
                         what=f"assessment {assessment.id}", on_failure=lambda error: self.fail(scope, assessment.id, str(error)))
        return {"assessmentId": assessment.id}

    def fail(self, scope: Scope, assessment_id: str, message: str) -> None:
        assessment = self.state.assessments.get(scope, assessment_id)
        if assessment is not None and assessment.status == "IN_PROGRESS":
            assessment.status, assessment.status_message, assessment.completion_time = "FAILED", message[:512], clock.epoch()
            self.state.assessments.put(scope, assessment_id, assessment)

    async def run(self, scope: Scope, region: str, assessment_id: str) -> None:
        await asyncio.sleep(0)  # answered first: GetAssessment may see IN_PROGRESS
        assessment = self.state.assessments.get(scope, assessment_id)
        if assessment is None or assessment.status != "IN_PROGRESS":
            return  # stopped meanwhile
        if assessment.data_source == "StrategyRecommendationsApplicationDataCollector":
            return self.fail(scope, assessment_id, NO_COLLECTOR)
        imported = self.state.imported(scope)
        if assessment.data_source == "ManualImport" and not imported:
            return self.fail(scope, assessment_id, NO_IMPORT)
        try:
            discovery = self.services.api("discovery")
        except (KeyError, ServiceUnavailable):
            return self.fail(scope, assessment_id, "Application Discovery Service is not served by this cloud.")
        discovered = discovery.servers(scope[0], region)
        applications = discovery.applications(scope[0], region)
        groups: dict[str, list[dict]] = {}
        for task in imported:
            for server in task.servers:
                kept = groups.setdefault(server["configurationId"], [])
                kept.extend(g for g in task.group_ids if g not in kept)
        if assessment.data_source == "ManualImport":
            # The imported servers: rows that are servers, and the discovered servers rows named.
            by_id = {s["configurationId"]: s for s in discovered}
            chosen = {s["configurationId"]: s if "attributes" in s else by_id.get(s["configurationId"])
                      for task in imported for s in task.servers}
            discovered = [s for s in chosen.values() if s is not None]
        servers = [s for s in discovered if selected(s, assessment.targets)]
        now = clock.epoch()
        preferences = Preferences.of(self.state.preferences.get(scope, PREFERENCES_KEY))
        previous_servers = {s.id: s for s in self.state.servers.values(scope)}
        previous_components = {c.id: c for c in self.state.components.values(scope)}
        assessed, components = assess(servers, applications, preferences, now, clock.now().date(),
                                      previous_servers, previous_components)
        for server in assessed:
            server.group_ids = groups.get(server.id, [])
        with self.state.store.transaction():
            for server_id in previous_servers:
                self.state.servers.delete(scope, server_id)
            for component_id in previous_components:
                self.state.components.delete(scope, component_id)
            for server in assessed:
                self.state.servers.put(scope, server.id, server)
            for component in components:
                self.state.components.put(scope, component.id, component)
            assessment.status, assessment.completion_time = "COMPLETE", clock.epoch()
            assessment.servers = assessment.success = len(assessed)
            if not assessed:
                assessment.status_message = "Application Discovery Service has discovered no servers to assess."
            self.state.assessments.put(scope, assessment.id, assessment)

    def get_assessment(self, ctx, params: dict) -> dict:
        assessment = self.state.assessments.get(ctx.scope, params["id"])
        if assessment is None:
            raise not_found(f"Assessment {params['id']} was not found.")
        details: dict = {"status": assessment.status, "servers": assessment.servers, "success": assessment.success,
                         "failed": assessment.failed,
                         "inProgress": assessment.servers - assessment.success - assessment.failed
                         if assessment.status != "IN_PROGRESS" else assessment.servers,
                         "startTime": assessment.start_time}
        if assessment.completion_time is not None:
            details["completionTime"] = assessment.completion_time
        if assessment.status_message:
            details["statusMessage"] = assessment.status_message
        return {"id": assessment.id, "dataCollectionDetails": details, "assessmentTargets": assessment.targets}

    def stop_assessment(self, ctx, params: dict) -> dict:
        assessment = self.state.assessments.get(ctx.scope, params["assessmentId"])
        if assessment is None:
            raise invalid(f"Assessment {params['assessmentId']} was not found.")
        if assessment.status != "IN_PROGRESS":
            raise invalid(f"Assessment {assessment.id} is {assessment.status}: only an assessment in progress can be stopped.")
        assessment.status, assessment.completion_time = "STOPPED", clock.epoch()
        self.state.assessments.put(ctx.scope, assessment.id, assessment)
        return {}

    def get_latest_assessment_id(self, ctx, params: dict) -> dict:
        latest = self.state.latest_assessment(ctx.scope)
        return {"id": latest.id} if latest else {}

    def get_portfolio_summary(self, ctx, params: dict) -> dict:
        servers, components = self.state.servers.values(ctx.scope), self.state.components.values(ctx.scope)
        if not servers:
            return {}
        os_types: dict[str, int] = {}
        for server in servers:
            family = facts_of(server.source).os_family
            os_types[family] = os_types.get(family, 0) + 1
        app_types: dict[str, int] = {}
        for component in components:
            kind = component.app_type_set or component.app_type
            app_types[kind] = app_types.get(kind, 0) + 1
        configured = sum(1 for c in components if c.configured)
        component_status = [{"srcCodeOrDbAnalysisStatus": status, "count": n}
                            for status, n in (("CONFIGURED", configured), ("UNCONFIGURED", len(components) - configured)) if n]
        return {"assessmentSummary": {
            "listServerStrategySummary": strategy_summary(
                [o["strategy"] for o in (effective(s.options, s.preferred) for s in servers) if o]),
            "listApplicationComponentStrategySummary": strategy_summary(strategies_in_force(components)),
            "listServerSummary": [{"ServerOsType": t, "count": n} for t, n in sorted(os_types.items())],
            "listApplicationComponentSummary": [{"appType": t, "count": n} for t, n in sorted(app_types.items())],
            "listServerStatusSummary": [{"runTimeAssessmentStatus": "dataCollectionTaskSuccess", "count": len(servers)}],
            "listApplicationComponentStatusSummary": component_status,
            "listAntipatternSeveritySummary": [],
            "lastAnalyzedTimestamp": max(s.last_analyzed for s in servers),
        }}
