"""The AWS CLI against CloudWatch: what users type works unchanged."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from tests.services.test_cli_aws import ACCOUNT, aws


def test_put_and_read_metrics_alarms_and_dashboards_with_the_cli(cloud):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    for value in ("3", "5"):
        aws(cloud, "cloudwatch", "put-metric-data", "--namespace", "Cli", "--metric-name", "Jobs", "--value", value,
            "--unit", "Count", "--dimensions", "Queue=emails", "--timestamp", now.isoformat())
    listed = json.loads(aws(cloud, "cloudwatch", "list-metrics", "--namespace", "Cli").stdout)["Metrics"]
    assert listed == [{"Namespace": "Cli", "MetricName": "Jobs", "Dimensions": [{"Name": "Queue", "Value": "emails"}]}]
    window = ["--start-time", (now - timedelta(minutes=5)).isoformat(), "--end-time", (now + timedelta(minutes=1)).isoformat()]
    statistics = json.loads(aws(cloud, "cloudwatch", "get-metric-statistics", "--namespace", "Cli", "--metric-name", "Jobs",
                                "--dimensions", "Name=Queue,Value=emails", "--period", "60", "--statistics", "Sum",
                                "Maximum", *window).stdout)["Datapoints"]
    assert [(p["Sum"], p["Maximum"], p["Unit"]) for p in statistics] == [(8.0, 5.0, "Count")]
    queries = json.dumps([{"Id": "jobs", "MetricStat": {"Metric": {"Namespace": "Cli", "MetricName": "Jobs", "Dimensions": [
        {"Name": "Queue", "Value": "emails"}]}, "Period": 60, "Stat": "Sum"}}, {"Id": "half", "Expression": "jobs / 2"}])
    results = json.loads(aws(cloud, "cloudwatch", "get-metric-data", "--metric-data-queries", queries, *window).stdout)
    assert [r["Values"] for r in results["MetricDataResults"]] == [[8.0], [4.0]]
    # On a metric without data, missing data ignored: only set-alarm-state moves it.
    aws(cloud, "cloudwatch", "put-metric-alarm", "--alarm-name", "backlog", "--namespace", "Cli", "--metric-name", "Idle",
        "--dimensions", "Name=Queue,Value=emails", "--statistic", "Sum", "--period", "60", "--evaluation-periods", "1",
        "--threshold", "100", "--comparison-operator", "GreaterThanThreshold", "--treat-missing-data", "ignore")
    aws(cloud, "cloudwatch", "set-alarm-state", "--alarm-name", "backlog", "--state-value", "ALARM", "--state-reason", "drill")
    alarms = json.loads(aws(cloud, "cloudwatch", "describe-alarms", "--alarm-names", "backlog").stdout)["MetricAlarms"]
    assert alarms[0]["AlarmArn"] == f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:backlog"
    history = json.loads(aws(cloud, "cloudwatch", "describe-alarm-history", "--alarm-name", "backlog",
                             "--history-item-type", "StateUpdate").stdout)["AlarmHistoryItems"]
    assert history[-1]["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to ALARM"
    aws(cloud, "cloudwatch", "put-dashboard", "--dashboard-name", "ops", "--dashboard-body", '{"widgets":[]}')
    assert json.loads(aws(cloud, "cloudwatch", "get-dashboard", "--dashboard-name", "ops").stdout)["DashboardBody"] == \
        '{"widgets":[]}'
    refused = aws(cloud, "cloudwatch", "put-metric-data", "--namespace", "AWS/EC2", "--metric-name", "x", "--value", "1",
                  check=False)
    assert refused.returncode != 0
    assert "(InvalidParameterValue) when calling the PutMetricData operation: The value AWS/ for parameter Namespace is " \
           "invalid." in refused.stderr
