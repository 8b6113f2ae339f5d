"""Alarm mute rules: their schedule gives their status, an active rule mutes its alarms' actions
(the alarm still changes state), deleting it runs the actions of an alarm in ALARM."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from tests.services.cloudwatch.helpers import client, refused

TOPIC = "arn:aws:sns:us-east-1:000000000000:oncall"


def actions(cw, name: str) -> list[str]:
    return [h["HistorySummary"] for h in cw.describe_alarm_history(AlarmName=name, HistoryItemType="Action",
                                                                   ScanBy="TimestampAscending")["AlarmHistoryItems"]]


def disk_alarm(cw, name: str = "disk") -> None:
    cw.put_metric_alarm(AlarmName=name, Namespace="Fleet", MetricName="Disk", Statistic="Maximum", Period=60,
                        EvaluationPeriods=1, Threshold=90.0, ComparisonOperator="GreaterThanThreshold",
                        TreatMissingData="ignore", AlarmActions=[TOPIC])


def at(moment: datetime) -> str:
    return f"at({moment:%Y-%m-%dT%H:%M})"


def test_an_active_rule_mutes_actions_until_deleted(cloud):
    cw = client(cloud)
    disk_alarm(cw)
    disk_alarm(cw, "other")
    cw.put_alarm_mute_rule(Name="maintenance", Description="nightly patching",
                           Rule={"Schedule": {"Expression": "cron(* * * * *)", "Duration": "PT1H"}},
                           MuteTargets={"AlarmNames": ["disk"]}, Tags=[{"Key": "team", "Value": "ops"}])
    rule = cw.get_alarm_mute_rule(AlarmMuteRuleName="maintenance")
    assert (rule["Status"], rule["MuteType"], rule["Description"], rule["MuteTargets"]) == (
        "ACTIVE", "RECURRING", "nightly patching", {"AlarmNames": ["disk"]})
    assert rule["AlarmMuteRuleArn"] == "arn:aws:cloudwatch:us-east-1:000000000000:alarm-mute-rule:maintenance"
    assert cw.list_tags_for_resource(ResourceARN=rule["AlarmMuteRuleArn"])["Tags"] == [{"Key": "team", "Value": "ops"}]
    cw.set_alarm_state(AlarmName="disk", StateValue="ALARM", StateReason="drill")
    cw.set_alarm_state(AlarmName="other", StateValue="ALARM", StateReason="drill")
    assert cw.describe_alarms(AlarmNames=["disk"])["MetricAlarms"][0]["StateValue"] == "ALARM"  # state still changes
    assert actions(cw, "disk") == ["Alarm actions muted by alarm mute rule maintenance"]
    assert actions(cw, "other")[0].startswith(f"Failed to execute action {TOPIC}.")  # not a target
    summaries = cw.list_alarm_mute_rules(AlarmName="disk", Statuses=["ACTIVE"])["AlarmMuteRuleSummaries"]
    assert [(s["AlarmMuteRuleArn"], s["Status"], s["MuteType"]) for s in summaries] == [
        (rule["AlarmMuteRuleArn"], "ACTIVE", "RECURRING")]
    assert cw.list_alarm_mute_rules(AlarmName="other")["AlarmMuteRuleSummaries"] == []
    # Deleting the active rule unmutes: the alarm is in ALARM, so its actions run now.
    cw.delete_alarm_mute_rule(AlarmMuteRuleName="maintenance")
    assert actions(cw, "disk")[1].startswith(f"Failed to execute action {TOPIC}. Received error: \"regionbox does not serve SNS")
    cw.delete_alarm_mute_rule(AlarmMuteRuleName="maintenance")  # idempotent
    with refused("ResourceNotFoundException", "Alarm mute rule maintenance does not exist.", 404):
        cw.get_alarm_mute_rule(AlarmMuteRuleName="maintenance")


def test_statuses_follow_the_schedule(cloud):
    cw = client(cloud)
    disk_alarm(cw)
    now = datetime.now(timezone.utc)
    elsewhere = (now.hour + 12) % 24

    def put(name: str, expression: str, duration: str = "PT1H", **extra) -> str:
        cw.put_alarm_mute_rule(Name=name, Rule={"Schedule": {"Expression": expression, "Duration": duration, **extra.pop(
            "schedule", {})}}, MuteTargets={"AlarmNames": ["disk"]}, **extra)
        return cw.get_alarm_mute_rule(AlarmMuteRuleName=name)["Status"]

    assert put("incident", at(now - timedelta(minutes=2))) == "ACTIVE"
    assert cw.get_alarm_mute_rule(AlarmMuteRuleName="incident")["MuteType"] == "ONE_TIME"
    assert put("past-incident", at(now - timedelta(hours=3))) == "EXPIRED"
    assert put("tomorrow", at(now + timedelta(days=1))) == "SCHEDULED"
    assert put("nightly", f"cron(0 {elsewhere} * * *)", "PT1M") == "SCHEDULED"
    assert put("not-yet", "cron(* * * * *)", StartDate=now + timedelta(days=1)) == "SCHEDULED"
    assert put("over", "cron(* * * * *)", StartDate=now - timedelta(days=2), ExpireDate=now - timedelta(days=1)) == "EXPIRED"
    # The expression is read in the rule's time zone.
    tokyo = datetime.now(ZoneInfo("Asia/Tokyo"))
    assert put("tokyo", at(tokyo - timedelta(minutes=2)), schedule={"Timezone": "Asia/Tokyo"}) == "ACTIVE"
    weekday = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"][now.weekday()]
    assert put("weekly", f"cron(* * * * {weekday})", "PT1M") == "ACTIVE"
    statuses = {s["AlarmMuteRuleArn"].rsplit(":", 1)[1]: s["Status"] for s in
                cw.list_alarm_mute_rules(Statuses=["EXPIRED", "SCHEDULED"])["AlarmMuteRuleSummaries"]}
    assert statuses == {"past-incident": "EXPIRED", "over": "EXPIRED", "tomorrow": "SCHEDULED", "nightly": "SCHEDULED",
                        "not-yet": "SCHEDULED"}
    page = cw.list_alarm_mute_rules(MaxRecords=2)
    assert len(page["AlarmMuteRuleSummaries"]) == 2 and page["NextToken"]


def test_mute_rule_errors(cloud):
    cw = client(cloud)
    disk_alarm(cw)

    def bad(message: str, schedule: dict | None = None, targets: list[str] | None = None) -> None:
        with refused("ValidationError", message):
            cw.put_alarm_mute_rule(Name="bad", Rule={"Schedule": schedule or {"Expression": "cron(0 2 * * *)",
                                                                                "Duration": "PT1H"}},
                                   MuteTargets={"AlarmNames": targets or ["disk"]})

    bad("Invalid schedule expression: rate(5 minutes). Use cron(Minutes Hours Day-of-month Month Day-of-week) or "
        "at(yyyy-MM-ddThh:mm).", {"Expression": "rate(5 minutes)", "Duration": "PT1H"})
    bad("Invalid schedule expression: cron(0 25 * * *)", {"Expression": "cron(0 25 * * *)", "Duration": "PT1H"})
    bad("The duration must be between PT1M and P15D.", {"Expression": "cron(0 2 * * *)", "Duration": "P16D"})
    bad("Invalid duration: 4 hours. Use an ISO 8601 duration such as PT4H.", {"Expression": "cron(0 2 * * *)",
                                                                               "Duration": "4 hours"})
    bad("Invalid timezone: Mars/Olympus", {"Expression": "cron(0 2 * * *)", "Duration": "PT1H", "Timezone": "Mars/Olympus"})
    bad("The alarms [ghost] do not exist.", targets=["disk", "ghost"])
    with refused("ValidationError", "1 validation error detected: Value 'PAUSED' at 'statuses.1.member' failed to satisfy "
                                    "constraint: Member must satisfy enum value set: [SCHEDULED, ACTIVE, EXPIRED]"):
        cw.list_alarm_mute_rules(Statuses=["PAUSED"])
    assert cw.list_alarm_mute_rules()["AlarmMuteRuleSummaries"] == []
