"""Alarms: evaluated in the background against the store (OK / ALARM / INSUFFICIENT_DATA), their
history (configuration, state, actions that could not be delivered), composite alarms, and the
errors of the alarm operations."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import pytest

from tests.services.cloudwatch.helpers import client, refused
from tests.services.rds.helpers import wait_until

TOPIC = "arn:aws:sns:us-east-1:000000000000:oncall"
HOST = [{"Name": "Host", "Value": "web-1"}]


def put_around_now(cw, value: float, name: str = "Cpu") -> None:
    """A value every second from 30 s ago to 30 s ahead: every 10-second period near now has it."""
    now = int(time.time())
    cw.put_metric_data(Namespace="Fleet", MetricData=[
        {"MetricName": name, "Dimensions": HOST, "Timestamp": datetime.fromtimestamp(now + s, timezone.utc), "Value": value,
         "StorageResolution": 1} for s in range(-30, 31)])


def alarm(cw, name: str) -> dict:
    found = cw.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    return (found["MetricAlarms"] + found["CompositeAlarms"])[0]


def wait_state(cw, name: str, state: str, reason_prefix: str = "") -> dict:
    return wait_until(lambda: (a := alarm(cw, name))["StateValue"] == state and a["StateReason"].startswith(reason_prefix)
                      and a, timeout=60, what=f"{name} in {state}")


def high_cpu(cw, name="high-cpu", **extra) -> None:
    cw.put_metric_alarm(**{"AlarmName": name, "Namespace": "Fleet", "MetricName": "Cpu", "Dimensions": HOST,
                           "Statistic": "Maximum", "Period": 10, "EvaluationPeriods": 1, "Threshold": 50.0,
                           "ComparisonOperator": "GreaterThanThreshold", "AlarmActions": [TOPIC], "OKActions": [TOPIC],
                           **extra})


def test_alarm_goes_to_alarm_with_its_history_and_undeliverable_action(cloud):
    cw = client(cloud)
    high_cpu(cw, Tags=[{"Key": "team", "Value": "web"}])
    created = alarm(cw, "high-cpu")
    # Until its first evaluation (within a second) "Unchecked: Initial alarm creation", then no data yet.
    assert created["StateValue"] == "INSUFFICIENT_DATA"
    assert created["StateReason"] in ("Unchecked: Initial alarm creation", "Insufficient Data: 1 datapoint was unknown.")
    assert created["AlarmArn"] == "arn:aws:cloudwatch:us-east-1:000000000000:alarm:high-cpu"
    put_around_now(cw, 90.0)
    fired = wait_state(cw, "high-cpu", "ALARM")
    assert fired["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [90 (")
    assert fired["StateReason"].endswith("was greater than the threshold (50) (minimum 1 datapoint for OK -> ALARM transition).")
    data = json.loads(fired["StateReasonData"])
    assert (data["version"], data["statistic"], data["period"], data["recentDatapoints"], data["threshold"]) == \
        ("1.0", "Maximum", 10, [90.0], 50.0)
    history = cw.describe_alarm_history(AlarmName="high-cpu", ScanBy="TimestampAscending")["AlarmHistoryItems"]
    assert [(h["HistoryItemType"], h["HistorySummary"]) for h in history] == [
        ("ConfigurationUpdate", 'Alarm "high-cpu" created'),
        ("StateUpdate", "Alarm updated from INSUFFICIENT_DATA to ALARM"),
        ("Action", f'Failed to execute action {TOPIC}. Received error: "regionbox does not serve SNS, so the action could '
                   'not be delivered"')]
    assert json.loads(history[1]["HistoryData"])["newState"]["stateValue"] == "ALARM"
    # Actions off, threshold raised: back to OK at once (an update is evaluated at once), no action tried.
    cw.disable_alarm_actions(AlarmNames=["high-cpu"])
    assert alarm(cw, "high-cpu")["ActionsEnabled"] is False
    put_around_now(cw, 90.0)  # data around this moment too, however long the wait above took
    high_cpu(cw, Threshold=100.0, ActionsEnabled=False)  # a put is the whole configuration: ActionsEnabled defaults to true
    ok = wait_state(cw, "high-cpu", "OK")
    assert ok["ActionsEnabled"] is False and ok["Threshold"] == 100.0
    assert ok["StateReason"].startswith("Threshold Crossed: 1 datapoint [90 (") and "was not greater than the threshold (100)" \
        in ok["StateReason"]
    kinds = [h["HistoryItemType"] for h in cw.describe_alarm_history(AlarmName="high-cpu")["AlarmHistoryItems"]]
    assert kinds.count("Action") == 1
    assert cw.list_tags_for_resource(ResourceARN=created["AlarmArn"])["Tags"] == [{"Key": "team", "Value": "web"}]
    for_metric = cw.describe_alarms_for_metric(Namespace="Fleet", MetricName="Cpu", Dimensions=HOST)["MetricAlarms"]
    assert [a["AlarmName"] for a in for_metric] == ["high-cpu"]
    assert cw.describe_alarms_for_metric(Namespace="Fleet", MetricName="Cpu", Period=60)["MetricAlarms"] == []
    # Deleted: gone, its history kept.
    cw.delete_alarms(AlarmNames=["high-cpu"])
    assert cw.describe_alarms()["MetricAlarms"] == []
    assert cw.describe_alarm_history(AlarmName="high-cpu", HistoryItemType="ConfigurationUpdate",
                                     MaxRecords=1)["AlarmHistoryItems"][0]["HistorySummary"] == 'Alarm "high-cpu" deleted'


@pytest.mark.parametrize("missing, state, reason", [
    ("breaching", "ALARM", "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was "
                           "treated as [Breaching]."),
    ("notBreaching", "OK", "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was "
                           "treated as [NonBreaching]."),
    ("missing", "INSUFFICIENT_DATA", "Insufficient Data: 1 datapoint was unknown."),
])
def test_missing_data_is_treated_as_configured(cloud, missing, state, reason):
    cw = client(cloud)
    high_cpu(cw, TreatMissingData=missing)
    wait_state(cw, "high-cpu", state, reason)


def test_alarm_on_metric_math(cloud):
    cw = client(cloud)
    cw.put_metric_alarm(AlarmName="doubled", EvaluationPeriods=1, Threshold=100.0, ComparisonOperator="GreaterThanThreshold",
                        Metrics=[{"Id": "cpu", "ReturnData": False, "MetricStat": {
                            "Metric": {"Namespace": "Fleet", "MetricName": "Cpu", "Dimensions": HOST}, "Period": 10,
                            "Stat": "Maximum"}}, {"Id": "twice", "Expression": "cpu * 2", "Label": "Twice"}])
    put_around_now(cw, 60.0)
    wait_state(cw, "doubled", "ALARM", "Threshold Crossed: 1 out of the last 1 datapoints [120 (")


def test_composite_alarm_follows_its_children(cloud):
    cw = client(cloud)
    for name in ("high", "low"):  # "ignore": no data keeps what SetAlarmState set
        high_cpu(cw, name, TreatMissingData="ignore", AlarmActions=[], OKActions=[])
    with refused("ValidationError", "Could not save the composite alarm as alarms [nope] in the alarm rule do not exist"):
        cw.put_composite_alarm(AlarmName="page", AlarmRule='ALARM("high") AND ALARM(nope)')
    with refused("ValidationError", "Error in AlarmRule [Unexpected end of the rule]"):
        cw.put_composite_alarm(AlarmName="page", AlarmRule='ALARM(high) AND')
    cw.put_composite_alarm(AlarmName="page", AlarmRule='ALARM("high") AND NOT ALARM(low)', AlarmActions=[TOPIC])
    cw.set_alarm_state(AlarmName="high", StateValue="ALARM", StateReason="load test",
                       StateReasonData=json.dumps({"cause": "test"}))
    cw.set_alarm_state(AlarmName="low", StateValue="OK", StateReason="fine")
    page = wait_state(cw, "page", "ALARM")
    assert json.loads(page["StateReasonData"])["triggeringAlarms"][0]["arn"].endswith(":alarm:high")
    cw.set_alarm_state(AlarmName="low", StateValue="ALARM", StateReason="also")
    wait_state(cw, "page", "OK")
    children = cw.describe_alarms(ChildrenOfAlarmName="page", AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    assert sorted(a["AlarmName"] for a in children["MetricAlarms"]) == ["high", "low"]
    parents = cw.describe_alarms(ParentsOfAlarmName="high", AlarmTypes=["CompositeAlarm"])
    assert [a["AlarmName"] for a in parents["CompositeAlarms"]] == ["page"]
    assert cw.describe_alarms()["CompositeAlarms"] == []  # metric alarms only unless asked
    assert [a["AlarmName"] for a in cw.describe_alarms(StateValue="ALARM")["MetricAlarms"]] == ["high", "low"]
    history = cw.describe_alarm_history(AlarmName="page", AlarmTypes=["CompositeAlarm"], HistoryItemType="Action")
    assert history["AlarmHistoryItems"][0]["HistorySummary"].startswith(f"Failed to execute action {TOPIC}.")
    with refused("InvalidParameterCombination"):
        cw.describe_alarms(ChildrenOfAlarmName="page", StateValue="OK")


def test_alarm_errors(cloud):
    cw = client(cloud)
    with refused("ResourceNotFound", "Alarm nope not found", 404):
        cw.set_alarm_state(AlarmName="nope", StateValue="OK", StateReason="x")
    high_cpu(cw)
    with refused("InvalidFormat", "StateReasonData is not a valid JSON document."):
        cw.set_alarm_state(AlarmName="high-cpu", StateValue="OK", StateReason="x", StateReasonData="{not json")
    with refused("ResourceNotFound", "nope alarm(s) not found", 404):
        cw.delete_alarms(AlarmNames=["high-cpu", "nope"])
    assert alarm(cw, "high-cpu")  # none deleted
    with refused("ValidationError", "DatapointsToAlarm must be greater than 0 and less than or equal to EvaluationPeriods."):
        high_cpu(cw, DatapointsToAlarm=2)
    with refused("ValidationError", "Period must be 10, 20, 30, or a multiple of 60."):
        high_cpu(cw, Period=45)
    with refused("ValidationError", "Option sometimes is not supported. Supported options for parameter TreatMissingData "
                 "are: missing, ignore, breaching and notBreaching."):
        high_cpu(cw, TreatMissingData="sometimes")
    with refused("ValidationError", "Invalid arn syntax: not-an-arn"):
        high_cpu(cw, AlarmActions=["not-an-arn"])
    with refused("InvalidParameterCombination", "Exactly one of Statistic or ExtendedStatistic must be specified."):
        cw.put_metric_alarm(AlarmName="x", Namespace="Fleet", MetricName="Cpu", Period=60, EvaluationPeriods=1,
                            Threshold=1.0, ComparisonOperator="GreaterThanThreshold")
    with refused("ValidationError", "Metrics list and MetricName, Namespace, Statistic, ExtendedStatistic, Dimensions, "
                 "Period, Unit are mutually exclusive."):
        cw.put_metric_alarm(AlarmName="x", Namespace="Fleet", EvaluationPeriods=1, Threshold=1.0,
                            ComparisonOperator="GreaterThanThreshold", Metrics=[{"Id": "e", "Expression": "TIME_SERIES(1)"}])
    with refused("ValidationError", "Alarms on anomaly detection bands (ThresholdMetricId) are not evaluated by regionbox: "
                 "it trains no anomaly model."):
        cw.put_metric_alarm(AlarmName="band", EvaluationPeriods=1, ThresholdMetricId="ad",
                            ComparisonOperator="LessThanLowerOrGreaterThanUpperThreshold",
                            Metrics=[{"Id": "ad", "Expression": "ANOMALY_DETECTION_BAND(m1)"}])
    with refused("ResourceNotFoundException", "The specified resource does not exist.", 404):
        cw.tag_resource(ResourceARN="arn:aws:cloudwatch:us-east-1:000000000000:alarm:nope", Tags=[{"Key": "a", "Value": "b"}])
    arn = alarm(cw, "high-cpu")["AlarmArn"]
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    cw.untag_resource(ResourceARN=arn, TagKeys=["a"])
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "b", "Value": "2"}]


def test_describe_alarms_pages(cloud):
    cw = client(cloud)
    for i in range(7):
        high_cpu(cw, f"a{i}", AlarmActions=[], OKActions=[])
    first = cw.describe_alarms(MaxRecords=5)
    assert [a["AlarmName"] for a in first["MetricAlarms"]] == ["a0", "a1", "a2", "a3", "a4"]
    rest = cw.describe_alarms(MaxRecords=5, NextToken=first["NextToken"])
    assert [a["AlarmName"] for a in rest["MetricAlarms"]] == ["a5", "a6"] and "NextToken" not in rest
    assert [a["AlarmName"] for a in cw.describe_alarms(AlarmNamePrefix="a6")["MetricAlarms"]] == ["a6"]
    with refused("ValidationError", "1 validation error detected: Value '101' at 'maxRecords' failed to satisfy "
                 "constraint: Member must have value less than or equal to 100"):
        cw.describe_alarms(MaxRecords=101)
    with refused("InvalidParameterValue", "The value 101 for parameter MaxRecords is invalid."):
        client(cloud, "query").describe_alarms(MaxRecords=101)


