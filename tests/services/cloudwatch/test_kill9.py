"""kill -9 of regionbox: acknowledged metric data, alarms with their state and history,
dashboards, Contributor Insights rules, metric streams, mute rules and query definitions come
back after a restart."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from regionbox.testing import CloudProcess


def test_metrics_alarms_and_dashboards_survive_kill_9(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    try:
        cw = process.client("cloudwatch")
        at = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=3)
        cw.put_metric_data(Namespace="Kept", MetricData=[{"MetricName": "Orders", "Timestamp": at, "Values": [1.0, 2.0],
                                                          "Counts": [3.0, 1.0]}])
        cw.put_metric_alarm(AlarmName="kept", Namespace="Kept", MetricName="Orders", Statistic="Sum", Period=60,
                            EvaluationPeriods=1, Threshold=100.0, ComparisonOperator="GreaterThanThreshold",
                            TreatMissingData="ignore")
        cw.set_alarm_state(AlarmName="kept", StateValue="ALARM", StateReason="before the crash")
        cw.put_dashboard(DashboardName="kept", DashboardBody='{"widgets":[]}')
        rule = ('{"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["/kept"], "LogFormat": "JSON", '
                '"Contribution": {"Keys": ["$.ip"]}, "AggregateOn": "Count"}')
        cw.put_insight_rule(RuleName="kept", RuleDefinition=rule)
        cw.put_metric_stream(Name="kept", FirehoseArn="arn:aws:firehose:us-east-1:000000000000:deliverystream/kept",
                             RoleArn="arn:aws:iam::000000000000:role/kept", OutputFormat="json")
        cw.stop_metric_streams(Names=["kept"])
        cw.put_alarm_mute_rule(Name="kept", Rule={"Schedule": {"Expression": "cron(0 2 * * *)", "Duration": "PT1H"}},
                               MuteTargets={"AlarmNames": ["kept"]})
        definition = cw.put_metric_data_query_definition(Path="kept", Type="METRIC_MATH", Expression="m1 * 2")["Id"]
        process.kill9()
        process.start()
        cw = process.client("cloudwatch")
        points = cw.get_metric_statistics(Namespace="Kept", MetricName="Orders", StartTime=at, EndTime=at + timedelta(minutes=1),
                                          Period=60, Statistics=["Sum", "SampleCount"], ExtendedStatistics=["p50"])["Datapoints"]
        assert [(p["Sum"], p["SampleCount"], p["ExtendedStatistics"]["p50"]) for p in points] == [(5.0, 4.0, 1.0)]
        alarm = cw.describe_alarms(AlarmNames=["kept"])["MetricAlarms"][0]
        assert alarm["StateValue"] == "ALARM"
        assert [h["HistorySummary"] for h in cw.describe_alarm_history(AlarmName="kept")["AlarmHistoryItems"]] == [
            "Alarm updated from INSUFFICIENT_DATA to ALARM", 'Alarm "kept" created']
        assert cw.get_dashboard(DashboardName="kept")["DashboardBody"] == '{"widgets":[]}'
        assert cw.list_metrics(Namespace="Kept")["Metrics"][0]["MetricName"] == "Orders"
        assert [(r["Name"], r["State"], r["Definition"]) for r in cw.describe_insight_rules()["InsightRules"]] == [
            ("kept", "ENABLED", rule)]
        assert cw.get_metric_stream(Name="kept")["State"] == "stopped"
        assert cw.get_alarm_mute_rule(AlarmMuteRuleName="kept")["MuteTargets"] == {"AlarmNames": ["kept"]}
        assert cw.get_metric_data_query_definition(Id=definition)["Expression"] == "m1 * 2"
    finally:
        process.cleanup()
