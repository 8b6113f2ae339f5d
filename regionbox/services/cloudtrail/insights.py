"""Insights: ListInsightsMetricData and ListInsightsData; and Lake's sample queries
(SearchSampleQueries).

ListInsightsMetricData answers from the audit trail itself: the number of calls of an event
source's API (ApiCallRateInsight), or of those that failed with an error code
(ApiErrorRateInsight), per period, as the metrics Insights watches. No Insights events are
generated (see selectors.py), so ListInsightsData finds none.
"""

from __future__ import annotations

import re

from regionbox.core import clock
from regionbox.core.audit import RETENTION_SECONDS, AuditTrail
from regionbox.core.context import RequestContext
from regionbox.core.pagination import Paginator
from regionbox.services.cloudtrail import errors
from regionbox.services.cloudtrail.paging import listed, rule
from regionbox.services.cloudtrail.state import CloudTrailState

PERIODS = {60: 15 * 86400, 300: 63 * 86400, 3600: 90 * 86400}  # period -> how far back AWS keeps it
METRIC_PAGES = rule(default=21600, maximum=21600)
SAMPLE_PAGES = rule(default=10, maximum=50)
_LOOKUP_PAGE = 1000

# A few of the sample queries AWS publishes for CloudTrail Lake ($EDS_ID$ is the store's ID).
SAMPLES = [
    ("Top APIs", "The ten most called APIs.",
     "SELECT eventSource, eventName, COUNT(*) AS apiCount FROM $EDS_ID$ GROUP BY eventSource, eventName "
     "ORDER BY apiCount DESC LIMIT 10"),
    ("Failed API calls", "Calls that failed, by error code.",
     "SELECT eventName, errorCode, COUNT(*) AS failures FROM $EDS_ID$ WHERE errorCode IS NOT NULL "
     "GROUP BY eventName, errorCode ORDER BY failures DESC"),
    ("Access denied", "Calls refused with AccessDenied, with who made them.",
     "SELECT eventTime, eventSource, eventName, userIdentity.arn FROM $EDS_ID$ WHERE errorCode = 'AccessDenied' "
     "ORDER BY eventTime DESC"),
    ("Activity of a user", "Everything one IAM principal did.",
     "SELECT eventTime, eventSource, eventName FROM $EDS_ID$ WHERE userIdentity.arn = "
     "'arn:aws:iam::111122223333:user/Alice' ORDER BY eventTime DESC"),
    ("S3 object deletions", "Who deleted objects from S3 buckets.",
     "SELECT eventTime, userIdentity.arn, element_at(requestParameters, 'bucketName') AS bucket FROM $EDS_ID$ "
     "WHERE eventSource = 's3.amazonaws.com' AND eventName IN ('DeleteObject', 'DeleteObjects')"),
    ("Console sign-ins", "Sign-ins to the AWS Management Console.",
     "SELECT eventTime, userIdentity.arn, sourceIPAddress FROM $EDS_ID$ WHERE eventName = 'ConsoleLogin'"),
    ("IAM changes", "Changes to IAM users, roles and policies.",
     "SELECT eventTime, eventName, userIdentity.arn FROM $EDS_ID$ WHERE eventSource = 'iam.amazonaws.com' "
     "AND readOnly = false ORDER BY eventTime DESC"),
    ("Calls by region", "How many calls were made in each Region.",
     "SELECT awsRegion, COUNT(*) AS calls FROM $EDS_ID$ GROUP BY awsRegion ORDER BY calls DESC"),
    ("DynamoDB table changes", "Tables created, updated or deleted.",
     "SELECT eventTime, eventName, element_at(requestParameters, 'tableName') AS tableName FROM $EDS_ID$ "
     "WHERE eventSource = 'dynamodb.amazonaws.com' AND eventName IN ('CreateTable', 'UpdateTable', 'DeleteTable')"),
    ("Source IP addresses", "The addresses calls came from.",
     "SELECT sourceIPAddress, COUNT(*) AS calls FROM $EDS_ID$ GROUP BY sourceIPAddress ORDER BY calls DESC"),
]
_WORD = re.compile(r"[a-z0-9]+")


class Insights:
    def __init__(self, state: CloudTrailState, audit: AuditTrail, paginator: Paginator) -> None:
        self.state = state
        self.audit = audit
        self.paginator = paginator

    def list_insights_metric_data(self, ctx: RequestContext, params: dict) -> dict:
        trail = self.state.trail(ctx, params["TrailName"]) if params.get("TrailName") else None
        kind, error_code = params["InsightType"], params.get("ErrorCode")
        if kind == "ApiErrorRateInsight" and not error_code:
            raise errors.invalid_parameter("ErrorCode is required when InsightType is ApiErrorRateInsight.")
        period = params.get("Period") or 3600
        if period not in PERIODS:
            raise errors.invalid_parameter("Period must be 60, 300 or 3600 seconds.")
        now = clock.epoch()
        end = params["EndTime"].timestamp() if params.get("EndTime") else now
        start = params["StartTime"].timestamp() if params.get("StartTime") else now - RETENTION_SECONDS
        if start > end:
            raise errors.invalid_parameter("StartTime must be earlier than EndTime.")
        start = max(start, now - PERIODS[period])
        first = int(start // period) * period
        counts: dict[int, int] = {}
        for when, record in self._calls(ctx, params["EventSource"], params["EventName"], first, end):
            if kind == "ApiErrorRateInsight" and f'"errorCode":"{error_code}"'.encode() not in record:
                continue
            slot = int(when // period) * period
            counts[slot] = counts.get(slot, 0) + 1
        slots = range(first, int(end // period) * period + 1, period)
        points = [(s, float(counts.get(s, 0))) for s in slots
                  if params.get("DataType", "FillWithZeros") == "FillWithZeros" or counts.get(s)]
        query = ["ListInsightsMetricData", params["EventSource"], params["EventName"], kind, error_code, first, period]
        page, token = self.paginator.paginate(points, params, METRIC_PAGES, query=query)
        result: dict = {"EventSource": params["EventSource"], "EventName": params["EventName"], "InsightType": kind,
                        "Timestamps": [clock.from_epoch(s) for s, _ in page], "Values": [v for _, v in page]}
        if trail is not None:
            result["TrailARN"] = trail.arn
        if error_code:
            result["ErrorCode"] = error_code
        if token:
            result["NextToken"] = token
        return result

    def _calls(self, ctx: RequestContext, source: str, name: str, start: float, end: float):
        before = None
        while True:
            page = self.audit.lookup(ctx.account_id, ctx.region, attribute=("EventName", name), start=start, end=end,
                                     before=before, limit=_LOOKUP_PAGE)
            for event in page:
                if event.event_source == source:
                    yield event.event_time, event.record
            if len(page) < _LOOKUP_PAGE:
                return
            before = (page[-1].event_time, page[-1].rowid)

    def list_insights_data(self, ctx: RequestContext, params: dict) -> dict:
        source = params["InsightSource"]
        if ":eventdatastore/" in source:
            self.state.event_data_store(ctx, source)
        else:
            self.state.trail(ctx, source)
        start, end = params.get("StartTime"), params.get("EndTime")
        if start is not None and end is not None and start > end:
            raise errors.invalid_parameter("StartTime must be earlier than EndTime.")
        return {"Events": []}

    def search_sample_queries(self, ctx: RequestContext, params: dict) -> dict:
        """Samples ranked by how many of the phrase's words their name, description and SQL hold."""
        words = set(_WORD.findall(params["SearchPhrase"].lower()))
        ranked = []
        for name, description, sql in SAMPLES:
            text = set(_WORD.findall(f"{name} {description} {sql}".lower()))
            score = len(words & text) / len(words) if words else 0.0
            if score > 0:
                ranked.append((-score, name, description, sql))
        ranked.sort()
        return listed(self.paginator, ranked, params, SAMPLE_PAGES, ["Samples", sorted(words)], "SearchResults",
                      lambda r: {"Name": r[1], "Description": r[2], "SQL": r[3], "Relevance": round(-r[0], 4)})
