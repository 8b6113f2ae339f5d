"""Tags of Performance Insights' resources, by ARN (TagResource, UntagResource,
ListTagsForResource): analysis reports, ``arn:aws:pi:<region>:<account>:perf-reports/RDS/<id>/<report>``.
A key tagged again takes the new value; at most 200 tags a resource, as the model allows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from regionbox.core.arns import Arn
from regionbox.core.context import RequestContext
from regionbox.services.pi.metrics import invalid
from regionbox.services.pi.reports import report_not_found

if TYPE_CHECKING:
    from regionbox.core.store import Collection

MAX_TAGS = 200


class Tags:
    def __init__(self, reports: "Collection") -> None:
        self.reports = reports

    def _report(self, ctx: RequestContext, params: dict):
        text = params["ResourceARN"]
        try:
            arn = Arn.parse(text)
        except ValueError:
            raise invalid(f"Invalid resource ARN: {text}") from None
        parts = arn.resource.split("/")
        if arn.service != "pi" or len(parts) != 4 or parts[0] != "perf-reports":
            raise invalid(f"Invalid resource ARN: {text}: only analysis reports (perf-reports) have tags")
        if parts[1] != params["ServiceType"]:
            raise invalid(f"The resource ARN {text} is not of service type {params['ServiceType']}")
        report = self.reports.get(ctx.scope, parts[3]) if (arn.account, arn.region) == ctx.scope else None
        if report is None or report.identifier != parts[2]:
            raise report_not_found(parts[3])
        return report

    def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        report = self._report(ctx, params)
        tags = {t["Key"]: t["Value"] for t in report.tags}
        tags.update({t["Key"]: t["Value"] for t in params["Tags"]})
        if len(tags) > MAX_TAGS:
            raise invalid(f"A resource can have at most {MAX_TAGS} tags")
        report.tags = [{"Key": k, "Value": v} for k, v in tags.items()]
        self.reports.put(ctx.scope, report.report_id, report)
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        report = self._report(ctx, params)
        gone = set(params["TagKeys"])
        report.tags = [t for t in report.tags if t["Key"] not in gone]
        self.reports.put(ctx.scope, report.report_id, report)
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, params: dict) -> dict:
        return {"Tags": self._report(ctx, params).tags}
