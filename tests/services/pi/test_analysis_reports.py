"""Performance analysis reports over a real workload: two statements sleep on a real PostgreSQL,
the report names them (and their wait event) with their share of the load, in Markdown or plain
text; reports are listed, paged, tagged and deleted with AWS's errors."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from regionbox.engines import kinds
from tests.services.iam_support import error_of
from tests.services.rds.helpers import connect, create, wait_until

pytestmark = pytest.mark.skipif(kinds.postgres_bindir() is None, reason="PostgreSQL is not installed")
LONG = "SELECT pg_sleep(4) /* nightly batch */"
# Another statement, not only another comment: pg_stat_statements gives both one query id otherwise.
SHORT = "SELECT pg_sleep(2) FROM (SELECT 1) AS dashboard"


def test_report_names_the_statements_and_waits_that_made_the_load(cloud):
    rds, pi = cloud.client("rds"), cloud.client("pi")
    instance = create(rds, "reported", EnablePerformanceInsights=True)
    resource = instance["DbiResourceId"]
    with connect(instance) as first, connect(instance) as second:
        other = threading.Thread(target=lambda: second.execute(SHORT))
        other.start()
        first.execute(LONG)
        other.join(10)
    seen = datetime.now(timezone.utc)

    def sampled():  # the sampler has written the seconds of the sleep
        keys = pi.describe_dimension_keys(ServiceType="RDS", Identifier=resource, StartTime=seen - timedelta(minutes=1),
                                          EndTime=seen + timedelta(seconds=2), Metric="db.load.avg",
                                          GroupBy={"Group": "db.sql"})["Keys"]
        return len(keys) >= 2
    wait_until(sampled, timeout=20, what="the sleeps sampled")
    end = datetime.now(timezone.utc)
    start = end - timedelta(minutes=5)

    code, message = error_of(lambda: pi.create_performance_analysis_report(
        ServiceType="RDS", Identifier=resource, StartTime=end - timedelta(minutes=4), EndTime=end))
    assert (code, message) == ("InvalidArgumentException", "The analysis period must be between 5 minutes and 6 days")
    code, _ = error_of(lambda: pi.create_performance_analysis_report(
        ServiceType="RDS", Identifier="db-NOSUCHRESOURCE", StartTime=start, EndTime=end))
    assert code == "NotAuthorizedException"

    report_id = pi.create_performance_analysis_report(ServiceType="RDS", Identifier=resource, StartTime=start, EndTime=end,
                                                      Tags=[{"Key": "team", "Value": "db"}])["AnalysisReportId"]
    assert report_id.startswith("report-") and len(report_id) == 24

    def done():
        report = pi.get_performance_analysis_report(ServiceType="RDS", Identifier=resource, AnalysisReportId=report_id,
                                                    TextFormat="MARKDOWN")["AnalysisReport"]
        assert report["Status"] in ("RUNNING", "SUCCEEDED"), report
        return report if report["Status"] == "SUCCEEDED" else None
    report = wait_until(done, what="the report")
    assert report["Identifier"] == resource and report["ServiceType"] == "RDS"
    assert abs(report["StartTime"].timestamp() - start.timestamp()) < 1
    [insight] = report["Insights"]
    assert insight["InsightType"] == "HighDBLoad" and insight["Context"] == "CAUSAL"
    assert insight["Severity"] in ("LOW", "MEDIUM", "HIGH") and "**" in insight["Description"]
    # Six session-seconds over five minutes: 0.02 average active sessions.
    load = insight["InsightData"][0]["PerformanceInsightsMetric"]
    assert load["Metric"] == "db.load.avg" and 0.01 <= load["Value"] <= 0.03
    supporting = {s["InsightType"]: s for s in insight["SupportingInsights"]}
    sqls = supporting["DominatingSQLs"]["InsightData"]
    shares = {d["PerformanceInsightsMetric"]["Dimensions"]["db.sql_tokenized.statement"]: d["PerformanceInsightsMetric"]["Value"]
              for d in sqls}
    longest = max(shares, key=shares.get)
    assert "nightly batch" in longest and 0.5 <= shares[longest] <= 0.8  # 4 of 6 session-seconds
    assert any("dashboard" in s for s in shares)
    assert "nightly batch" in supporting["DominatingSQLs"]["Recommendations"][0]["RecommendationDescription"]
    waits = supporting["DominatingWaitEvents"]["InsightData"]
    assert waits[0]["PerformanceInsightsMetric"]["Dimensions"]["db.wait_event.name"] == "PgSleep"
    assert waits[0]["PerformanceInsightsMetric"]["Value"] > 0.9

    plain = pi.get_performance_analysis_report(ServiceType="RDS", Identifier=resource,
                                               AnalysisReportId=report_id)["AnalysisReport"]["Insights"][0]
    assert "**" not in plain["Description"] and "`" not in plain["SupportingInsights"][0]["Description"]
    assert plain["InsightId"] == insight["InsightId"]

    # A second report over a quiet period: no insights. Two reports page one by one.
    quiet = pi.create_performance_analysis_report(ServiceType="RDS", Identifier=resource, StartTime=start - timedelta(hours=1),
                                                  EndTime=start - timedelta(minutes=50))["AnalysisReportId"]
    assert wait_until(lambda: pi.get_performance_analysis_report(ServiceType="RDS", Identifier=resource, AnalysisReportId=quiet)
                      ["AnalysisReport"].get("Insights") == [], what="the quiet report")
    first_page = pi.list_performance_analysis_reports(ServiceType="RDS", Identifier=resource, MaxResults=1, ListTags=True)
    assert [r["AnalysisReportId"] for r in first_page["AnalysisReports"]] == [report_id]
    assert first_page["AnalysisReports"][0]["Tags"] == [{"Key": "team", "Value": "db"}]
    second_page = pi.list_performance_analysis_reports(ServiceType="RDS", Identifier=resource, MaxResults=1,
                                                       NextToken=first_page["NextToken"])
    assert [r["AnalysisReportId"] for r in second_page["AnalysisReports"]] == [quiet]
    assert "NextToken" not in second_page and "Tags" not in second_page["AnalysisReports"][0]

    # Tags by the report's ARN.
    account = cloud.client("sts").get_caller_identity()["Account"]
    arn = f"arn:aws:pi:us-east-1:{account}:perf-reports/RDS/{resource}/{report_id}"
    pi.tag_resource(ServiceType="RDS", ResourceARN=arn, Tags=[{"Key": "team", "Value": "sre"}, {"Key": "ticket", "Value": "42"}])
    assert pi.list_tags_for_resource(ServiceType="RDS", ResourceARN=arn)["Tags"] == [
        {"Key": "team", "Value": "sre"}, {"Key": "ticket", "Value": "42"}]
    pi.untag_resource(ServiceType="RDS", ResourceARN=arn, TagKeys=["team"])
    assert pi.list_tags_for_resource(ServiceType="RDS", ResourceARN=arn)["Tags"] == [{"Key": "ticket", "Value": "42"}]
    code, _ = error_of(lambda: pi.list_tags_for_resource(ServiceType="RDS", ResourceARN="arn:aws:pi:us-east-1:000000000000:metrics/rds/x"))
    assert code == "InvalidArgumentException"

    pi.delete_performance_analysis_report(ServiceType="RDS", Identifier=resource, AnalysisReportId=report_id)
    assert error_of(lambda: pi.get_performance_analysis_report(ServiceType="RDS", Identifier=resource, AnalysisReportId=report_id)) \
        == ("InvalidArgumentException", f"Analysis report {report_id} not found")
    assert error_of(lambda: pi.list_tags_for_resource(ServiceType="RDS", ResourceARN=arn))[0] == "InvalidArgumentException"
    assert [r["AnalysisReportId"] for r in pi.list_performance_analysis_reports(
        ServiceType="RDS", Identifier=resource)["AnalysisReports"]] == [quiet]
