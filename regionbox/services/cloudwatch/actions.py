"""Alarm actions that regionbox can carry out: invoking a Lambda function (AWS's alarm event,
asynchronously, as principal lambda.alarms.cloudwatch.amazonaws.com, so the function's resource
policy must let CloudWatch in). The outcome goes in the alarm's history. Other actions (SNS, Auto
Scaling, EC2, Systems Manager) need services regionbox does not serve: ``Alarms`` records them
as failed."""

from __future__ import annotations

import json
import time
from typing import Any, Callable

from regionbox.core.errors import ServiceError
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.cloudwatch.history import iso
from regionbox.services.cloudwatch.models import Alarm

PRINCIPAL = "lambda.alarms.cloudwatch.amazonaws.com"


def alarm_event(scope: Scope, alarm: Alarm, previous: dict) -> dict:
    """The event a function gets, in the shape of CloudWatch's Lambda alarm actions."""
    def state(value: str, reason: str, reason_data: str | None, at: float) -> dict:
        found = {"value": value, "reason": reason, "timestamp": iso(at)}
        if reason_data:
            found["reasonData"] = reason_data
        return found
    config = alarm.config
    if alarm.kind == "CompositeAlarm":
        configuration: dict = {"alarmRule": config["AlarmRule"]}
    elif config.get("Metrics"):
        configuration = {"metrics": [{"id": q["Id"], **({"expression": q["Expression"]} if q.get("Expression") else {
            "metricStat": _metric_stat(q["MetricStat"])}), "returnData": q.get("ReturnData", True)} for q in config["Metrics"]]}
    else:
        configuration = {"metrics": [{"id": "m1", "returnData": True, "metricStat": _metric_stat({
            "Metric": {"Namespace": config["Namespace"], "MetricName": config["MetricName"],
                       "Dimensions": config.get("Dimensions") or []},
            "Period": config["Period"], "Stat": config.get("Statistic") or config.get("ExtendedStatistic")})}]}
    if config.get("AlarmDescription"):
        configuration["description"] = config["AlarmDescription"]
    return {"source": "aws.cloudwatch", "alarmArn": alarm.arn, "accountId": scope[0], "time": iso(alarm.state_updated),
            "region": scope[1], "alarmData": {
                "alarmName": alarm.name, "state": state(alarm.state, alarm.reason, alarm.reason_data, alarm.state_updated),
                "previousState": state(previous["value"], previous["reason"], previous["reasonData"], previous["timestamp"]),
                "configuration": configuration}}


def _metric_stat(stat: dict) -> dict:
    metric = stat["Metric"]
    return {"metric": {"namespace": metric["Namespace"], "name": metric["MetricName"],
                       "dimensions": {d["Name"]: d["Value"] for d in metric.get("Dimensions") or []}},
            "period": stat["Period"], "stat": stat["Stat"]}


class LambdaActions:
    def __init__(self, tasks: Tasks, lambda_api: Callable[[], Any]) -> None:
        self.tasks = tasks
        self.lambda_api = lambda_api
        self.done: Callable[..., None] | None = None  # Alarms.action_done, set when both exist

    def run(self, scope: Scope, alarm: Alarm, action: str, previous: dict) -> None:
        event, at = alarm_event(scope, alarm, previous), time.time()
        self.tasks.spawn(self._invoke(scope, alarm, action, event, at), owner="cloudwatch",
                         what=f"alarm {alarm.name} invoking {action}")

    async def _invoke(self, scope: Scope, alarm: Alarm, action: str, event: dict, at: float) -> None:
        try:
            await self.lambda_api().invoke(scope[0], scope[1], action, json.dumps(event).encode(), "Event",
                                           principal=PRINCIPAL, source_arn=alarm.arn, source_account=scope[0])
        except ServiceError as error:
            self.done(scope, alarm, action, at, f"{error.code}: {error.message}")
            return
        self.done(scope, alarm, action, at)
