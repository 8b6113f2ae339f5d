"""Performance analysis reports: CreatePerformanceAnalysisReport analyses the load RDS's sampler
measured over a period (``rds/insights.py``) in the background (RUNNING, then SUCCEEDED or
FAILED); GetPerformanceAnalysisReport shows its insights in Markdown or plain text;
ListPerformanceAnalysisReports and DeletePerformanceAnalysisReport.

What a report finds, as AWS's reports word it: a HighDBLoad insight when sessions were active,
its severity from the average load against the host's vCPUs (PI's "Max vCPU" line: above it,
sessions wait for CPU), its factor over the baseline (the load of the same length of time just
before the period; AWS uses the day before, which a fresh instance here rarely has), and as
supporting insights the SQL statements (DominatingSQLs) and wait events (DominatingWaitEvents)
that made up most of it, each with its share of the load.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.pi.metrics import Insights, invalid
from regionbox.services.pi.models import Report

if TYPE_CHECKING:
    from regionbox.core.store import Collection
    from regionbox.core.tasks import Tasks

RULE = PageRule(out_of_range=lambda n: invalid(f"MaxResults {n} is out of range [0, 25]"), default=25, minimum=0,
                maximum=25)
MIN_PERIOD, MAX_PERIOD = 5 * 60, 6 * 86400  # "The analysis period can range from 5 minutes to 6 days."
TOP = 5  # statements and wait events a supporting insight names
DOMINATING = 0.1  # a statement or wait event with at least this share of the load is named


def report_not_found(report_id: str) -> ServiceError:
    return invalid(f"Analysis report {report_id} not found")


def _id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(9)[:17]}"


class Reports:
    def __init__(self, reports: "Collection", insights: Insights, paginator: Paginator, tasks: "Tasks") -> None:
        self.reports = reports
        self.insights = insights
        self.paginator = paginator
        self.tasks = tasks

    # -- create ------------------------------------------------------------------------------------
    def create_performance_analysis_report(self, ctx: RequestContext, params: dict) -> dict:
        instance = self.insights._instance(ctx, params)
        start, end = clock.to_epoch(params["StartTime"]), clock.to_epoch(params["EndTime"])
        if start >= end:
            raise invalid("StartTime must be before EndTime")
        if end - start < MIN_PERIOD or end - start > MAX_PERIOD:
            raise invalid("The analysis period must be between 5 minutes and 6 days")
        if end > clock.epoch() + 60:
            raise invalid("EndTime must not be in the future")
        if start < clock.epoch() - instance.pi_retention * 86400:
            raise invalid("StartTime must be within the Performance Insights retention period")
        report_id = _id("report")
        identifier = params["Identifier"]
        report = Report(report_id=report_id, identifier=identifier, service_type=params["ServiceType"],
                        arn=ctx.arn("pi", f"perf-reports/{params['ServiceType']}/{identifier}/{report_id}"),
                        created=clock.epoch(), start=start, end=end, tags=list(params.get("Tags") or []))
        self.reports.put(ctx.scope, report_id, report)
        self._analyse(ctx.scope, report)
        return {"AnalysisReportId": report_id}

    def _analyse(self, scope, report: Report) -> None:
        def finish(status: str, insights: list[dict]) -> None:
            current = self.reports.get(scope, report.report_id)
            if current is not None:  # (deleted while running)
                current.status, current.insights = status, insights
                self.reports.put(scope, report.report_id, current)

        async def run() -> None:
            await asyncio.sleep(0)  # answered first: the report is RUNNING until the analysis is written
            finish("SUCCEEDED", self.analysis(scope, report))

        self.tasks.spawn(run(), owner="pi", what=f"performance analysis report {report.report_id}",
                         on_failure=lambda error: finish("FAILED", []))

    def restart(self) -> None:
        """After a restart of regionbox: reports that were being analysed are analysed again."""
        for scope, _, report in list(self.reports.all()):
            if report.status == "RUNNING":
                self._analyse(scope, report)

    # -- the analysis ------------------------------------------------------------------------------
    def analysis(self, scope, report: Report) -> list[dict]:
        rds = self.insights.rds()
        instance = rds.instance(*scope, report.identifier)
        if instance is None:
            raise RuntimeError(f"the instance {report.identifier} is gone")
        start, end = int(report.start), int(report.end)
        span = max(end - start, 1)
        samples = self.insights._load_samples(instance, start, end, {})
        total = sum(s["sessions"] for s in samples)
        if not total:
            return []  # no active sessions: nothing to explain
        load = total / span
        peak = max(sum(s["sessions"] for s in samples if s["second"] == second) for second in {s["second"] for s in samples})
        before = self.insights._load_samples(instance, start - span, start, {})
        baseline = sum(s["sessions"] for s in before) / span
        vcpus = os.cpu_count() or 1
        severity = "HIGH" if load >= vcpus else "MEDIUM" if load >= vcpus / 2 else "LOW"
        window = f"{_clock(start)} to {_clock(end)}"
        factor = f"{load / baseline:.0f}x above baseline" if baseline else "with no load in the baseline before it"
        sqls = self._dominating(instance, samples, total, "db.sql_tokenized", "db.sql_tokenized.statement")
        waits = self._dominating(instance, samples, total, "db.wait_event", "db.wait_event.name")
        supporting = []
        if sqls:
            supporting.append(self._supporting(
                "DominatingSQLs", start, end, severity, sqls, "db.sql_tokenized",
                "SQL statements dominated the database load",
                "Investigate the following SQLs that contributed to {share} of the total DBLoad during that time period: "))
        if waits:
            supporting.append(self._supporting(
                "DominatingWaitEvents", start, end, severity, waits, "db.wait_event",
                "Wait events dominated the database load",
                "Look into why sessions waited on the following wait events, which make up {share} of the total DBLoad: "))
        metric = {"Metric": "db.load.avg", "DisplayName": "Database load (average active sessions)"}
        return [{
            "InsightId": _id("insight"), "InsightType": "HighDBLoad", "Context": "CAUSAL",
            "StartTime": float(start), "EndTime": float(end), "Severity": severity,
            "Description": f"A **{severity.lower()}** severity insight found between {window}, where there was an unusually "
                           f"high DB load, **{load:.2f}** average active sessions (peak **{peak}**, the host has **{vcpus}** "
                           f"vCPUs), {factor}. Likely performance impact.",
            "Recommendations": [{"RecommendationId": _id("recommendation"), "RecommendationDescription":
                                 "Review the supporting insights: the SQL statements and wait events below made up most "
                                 "of the load."}],
            "InsightData": [{"PerformanceInsightsMetric": {**metric, "Value": load}},
                            {"PerformanceInsightsMetric": {"Metric": "db.load.max", "DisplayName": "Database load (peak)",
                                                           "Value": float(peak)}}],
            "BaselineData": [{"PerformanceInsightsMetric": {**metric, "Value": baseline}}],
            "SupportingInsights": supporting,
        }]

    def _dominating(self, instance, samples: list[dict], total: float, group: str, name: str) -> list[tuple[dict, float]]:
        """The dimension values of ``group`` with at least DOMINATING of the load: (dimensions, share)."""
        ranked = self.insights._group_keys(instance, samples, {"Group": group, "Limit": TOP})
        return [(dims, load / total) for dims, load, _ in ranked if load / total >= DOMINATING and dims.get(name)]

    @staticmethod
    def _supporting(kind: str, start: int, end: int, severity: str, found: list[tuple[dict, float]], group: str,
                    what: str, advice: str) -> dict:
        share = sum(s for _, s in found)
        label = "db.sql_tokenized.statement" if group == "db.sql_tokenized" else "db.wait_event.name"
        lines = "\n".join(f"- `{dims[label]}` ({s:.0%})" for dims, s in found)
        return {
            "InsightId": _id("insight"), "InsightType": kind, "Context": "CONTEXTUAL", "StartTime": float(start),
            "EndTime": float(end), "Severity": severity,
            "Description": f"{len(found)} {what}, **{share:.0%}** of it:\n{lines}",
            "Recommendations": [{"RecommendationId": _id("recommendation"),
                                 "RecommendationDescription": advice.format(share=f"**{share:.0%}**") + ", ".join(
                                     f"`{dims[label]}`" for dims, _ in found)}],
            "InsightData": [{"PerformanceInsightsMetric": {
                "Metric": "db.load.avg", "DisplayName": f"Share of the database load ({group})",
                "Dimensions": {k: str(v) for k, v in dims.items()}, "Value": s}} for dims, s in found],
        }

    # -- read, list, delete ------------------------------------------------------------------------
    def _report(self, ctx: RequestContext, params: dict) -> Report:
        self.insights._instance(ctx, params)
        report = self.reports.get(ctx.scope, params["AnalysisReportId"])
        if report is None or report.identifier != params["Identifier"]:
            raise report_not_found(params["AnalysisReportId"])
        return report

    def get_performance_analysis_report(self, ctx: RequestContext, params: dict) -> dict:
        report = self._report(ctx, params)
        plain = (params.get("TextFormat") or "PLAIN_TEXT") == "PLAIN_TEXT"  # AWS's default is plain text
        shown = {"AnalysisReportId": report.report_id, "Identifier": report.identifier,
                 "ServiceType": report.service_type, "CreateTime": report.created, "StartTime": report.start,
                 "EndTime": report.end, "Status": report.status}
        if report.status == "SUCCEEDED":
            shown["Insights"] = [_text(insight, plain) for insight in report.insights]
        return {"AnalysisReport": shown}

    def list_performance_analysis_reports(self, ctx: RequestContext, params: dict) -> dict:
        self.insights._instance(ctx, params)
        mine = sorted((r for r in self.reports.values(ctx.scope) if r.identifier == params["Identifier"]),
                      key=lambda r: r.created)
        # PI's token pattern (^[a-zA-Z0-9_=-]+$) has no ".", the paginator's separator; its tokens
        # have no "=" (unpadded base64url), so one stands for the other on the wire.
        asked = {**params, **({"NextToken": params["NextToken"].replace("=", ".")} if params.get("NextToken") else {})}
        page, token = self.paginator.paginate(mine, asked, RULE, query=params["Identifier"])
        token = token.replace(".", "=") if token else None
        listed = []
        for report in page:
            item = {"AnalysisReportId": report.report_id, "CreateTime": report.created, "StartTime": report.start,
                    "EndTime": report.end, "Status": report.status}
            if params.get("ListTags"):
                item["Tags"] = report.tags
            listed.append(item)
        return {"AnalysisReports": listed, **({"NextToken": token} if token else {})}

    def delete_performance_analysis_report(self, ctx: RequestContext, params: dict) -> dict:
        report = self._report(ctx, params)
        self.reports.delete(ctx.scope, report.report_id)
        return {}


def _clock(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


MARKUP = re.compile(r"\*\*(.*?)\*\*|`([^`]*)`")


def _text(insight: dict, plain: bool) -> dict:
    """An insight as asked for: its Markdown, or the same words without the markup (PLAIN_TEXT)."""
    if not plain:
        return insight

    def strip(text: str) -> str:
        return MARKUP.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), text)

    shown = dict(insight)
    shown["Description"] = strip(insight["Description"])
    shown["Recommendations"] = [{**r, "RecommendationDescription": strip(r["RecommendationDescription"])}
                                for r in insight.get("Recommendations", [])]
    shown["SupportingInsights"] = [_text(s, plain) for s in insight.get("SupportingInsights", [])]
    return shown
