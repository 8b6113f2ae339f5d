"""Metric and composite alarms: PutMetricAlarm, PutCompositeAlarm, DescribeAlarms,
DescribeAlarmsForMetric, DeleteAlarms, SetAlarmState, Enable/DisableAlarmActions. Their
evaluation against the store is ``evaluation.py``; state changes go through ``transition``, which
writes the history and the actions' outcome."""

from __future__ import annotations

import json
import re
import time
from typing import Callable

from regionbox.core import clock
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import PageRule, Paginator
from regionbox.core.store import Scope
from regionbox.services.cloudwatch.history import History
from regionbox.services.cloudwatch.metric_data import UNITS, check_dimensions, dimensions_of, invalid_value, too_many
from regionbox.services.cloudwatch.models import Alarm, CloudWatchState
from regionbox.services.cloudwatch.queries import check_queries, returned_period
from regionbox.services.cloudwatch.rules import RuleError, parse_rule
from regionbox.services.cloudwatch.statistics import BASIC, PERCENTILE

STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")
OPERATORS = ("GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold",
             "LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold")
MISSING = ("breaching", "notBreaching", "ignore", "missing")
# Actions of services regionbox does not serve are recorded as failed, naming the service.
SERVED_ELSEWHERE = {"sns": "SNS", "ssm": "Systems Manager", "ssm-incidents": "Incident Manager", "autoscaling": "Auto Scaling",
                    "swf": "EC2 instance actions", "ec2": "EC2 instance actions", "automate": "EC2 instance actions",
                    "opsworks-cm": "OpsWorks", "aiops": "CloudWatch investigations"}
ALARMS_PAGE = PageRule(out_of_range=lambda n: invalid_value(n, "MaxRecords"), size="MaxRecords", default=50, maximum=100,
                       bad_token=lambda t: ServiceError("InvalidNextToken", "The service cannot complete the request."))
MAX_ACTIONS = 5
ACTION = re.compile(r"^arn:aws[a-z-]*:(sns|lambda|autoscaling|ssm|ssm-incidents|swf|ec2|automate|opsworks-cm|"
                    r"aiops):.*")


def not_found(name: str) -> ServiceError:
    return ServiceError("ResourceNotFound", f"Alarm {name} not found", 404)


class Alarms:
    def __init__(self, state: CloudWatchState, history: History, paginator: Paginator,
                 run_action: Callable[[Scope, Alarm, str, dict], None]) -> None:
        self.state = state
        self.history = history
        self.paginator = paginator
        self.run_action = run_action  # Lambda actions (``actions.py``)
        self.muting: Callable[[Scope, str, float], str | None] = lambda scope, name, at: None  # mute_rules.py

    # -- writing -----------------------------------------------------------------------------------
    def put_metric_alarm(self, ctx, params: dict) -> dict:
        config = {k: v for k, v in params.items() if k != "Tags" and v is not None}
        self._check_common(params)
        for unsupported in ("EvaluationCriteria", "EvaluationInterval"):
            if params.get(unsupported) is not None:
                raise ServiceError("ValidationError", f"{unsupported} (PromQL alarms) is not supported by regionbox.")
        if params.get("ThresholdMetricId"):
            raise ServiceError("ValidationError", "Alarms on anomaly detection bands (ThresholdMetricId) are not "
                                                  "evaluated by regionbox: it trains no anomaly model.")
        operator = params.get("ComparisonOperator")
        if operator not in OPERATORS:
            raise invalid_value(operator, "ComparisonOperator")
        if operator not in OPERATORS[:4]:
            raise ServiceError("ValidationError", f"The comparison operator {operator} needs an anomaly detection band, "
                                                  "which regionbox does not evaluate.")
        if params.get("Threshold") is None:
            raise ServiceError("ValidationError", "Threshold must be specified if ThresholdMetricId is not specified.")
        periods = params.get("EvaluationPeriods")
        if periods is None or periods < 1:
            raise invalid_value(periods, "EvaluationPeriods")
        to_alarm = params.get("DatapointsToAlarm")
        if to_alarm is not None and not 1 <= to_alarm <= periods:
            raise ServiceError("ValidationError", "DatapointsToAlarm must be greater than 0 and less than or equal to "
                                                  "EvaluationPeriods.")
        missing = params.get("TreatMissingData")
        if missing is not None and missing not in MISSING:
            raise ServiceError("ValidationError", f"Option {missing} is not supported. Supported options for parameter "
                                                  "TreatMissingData are: missing, ignore, breaching and notBreaching.")
        if params.get("Metrics"):
            if any(params.get(k) is not None for k in ("MetricName", "Namespace", "Statistic", "ExtendedStatistic",
                                                       "Dimensions", "Period", "Unit")):
                raise ServiceError("ValidationError", "Metrics list and MetricName, Namespace, Statistic, "
                                                      "ExtendedStatistic, Dimensions, Period, Unit are mutually exclusive.")
            check_queries(params["Metrics"], "Metrics")
            if sum(1 for q in params["Metrics"] if q.get("ReturnData", True)) != 1:
                raise ServiceError("ValidationError", "Exactly one element of the metrics list should return data.")
            period = returned_period(params["Metrics"])
        else:
            for required in ("MetricName", "Namespace", "Period"):
                if not params.get(required):
                    raise ServiceError("ValidationError", f"{required} must be specified when Metrics is not specified.")
            stat, extended = params.get("Statistic"), params.get("ExtendedStatistic")
            if (stat is None) == (extended is None):
                raise ServiceError("InvalidParameterCombination", "Exactly one of Statistic or ExtendedStatistic must "
                                                                  "be specified.")
            if stat is not None and stat not in BASIC:
                raise invalid_value(stat, "Statistic")
            if extended is not None and not PERCENTILE.match(extended):
                raise invalid_value(extended, "ExtendedStatistic")
            if params.get("Unit") is not None and params["Unit"] not in UNITS:
                raise invalid_value(params["Unit"], "Unit")
            check_dimensions(params.get("Dimensions"), "Dimensions")
            period = params["Period"]
            if period not in (10, 20, 30) and (period < 60 or period % 60):
                raise ServiceError("ValidationError", "Period must be 10, 20, 30, or a multiple of 60.")
        if period * periods > 7 * 86400:
            raise ServiceError("ValidationError", "The evaluation period (Period * EvaluationPeriods) must not exceed "
                                                  "7 days (604800 seconds).")
        self._save(ctx, params, "MetricAlarm", config)
        return {}

    def put_composite_alarm(self, ctx, params: dict) -> dict:
        self._check_common(params)
        rule = params["AlarmRule"]
        if not 1 <= len(rule) <= 10240:
            raise invalid_value(rule, "AlarmRule")
        try:
            referenced = parse_rule(rule).names()
        except RuleError as error:
            raise ServiceError("ValidationError", f"Error in AlarmRule [{error}]") from None
        missing = sorted(n for n in referenced if self.state.alarms.get(ctx.scope, n) is None)
        if missing:
            raise ServiceError("ValidationError", f"Could not save the composite alarm as alarms [{', '.join(missing)}] in "
                                                  "the alarm rule do not exist")
        if params["AlarmName"] in referenced:
            raise ServiceError("ValidationError", "A composite alarm can not reference itself in its alarm rule.")
        config = {k: v for k, v in params.items() if k != "Tags" and v is not None}
        self._save(ctx, params, "CompositeAlarm", config)
        return {}

    def _check_common(self, params: dict) -> None:
        name = params["AlarmName"]
        if not 1 <= len(name) <= 255:
            raise invalid_value(name, "AlarmName")
        for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
            actions = params.get(key) or []
            if len(actions) > MAX_ACTIONS:
                raise too_many(key, MAX_ACTIONS)
            for action in actions:
                if not ACTION.match(action):
                    raise ServiceError("ValidationError", f"Invalid arn syntax: {action}")
        if len(params.get("Tags") or []) > 50:
            raise too_many("Tags", 50)

    def _save(self, ctx, params: dict, kind: str, config: dict) -> None:
        name, now = params["AlarmName"], time.time()
        existing = self.state.alarms.get(ctx.scope, name)
        if existing is not None and existing.kind != kind:
            raise ServiceError("ValidationError", f"The alarm {name} already exists as a "
                                                  f"{'composite' if existing.kind == 'CompositeAlarm' else 'metric'} alarm.")
        if existing is None:
            alarm = Alarm(name, ctx.arn("cloudwatch", f"alarm:{name}"), kind, config, now, now, state_updated=now,
                          state_transitioned=now, tags={t["Key"]: t["Value"] for t in params.get("Tags") or []})
            summary = f'Alarm "{name}" created'
        else:
            alarm = existing
            alarm.config, alarm.configuration_updated = config, now
            alarm.tags.update({t["Key"]: t["Value"] for t in params.get("Tags") or []})
            alarm.evaluated = 0.0  # evaluate the new configuration at once
            summary = f'Alarm "{name}" updated'
        with self.state.store.transaction():
            self.state.alarms.put(ctx.scope, name, alarm)
            self.history.record(ctx.scope, name, kind, "ConfigurationUpdate", summary,
                                {"version": "1.0", "type": "Create" if existing is None else "Update",
                                 "createdAlarm" if existing is None else "updatedAlarm": self.shape(alarm)})

    def delete_alarms(self, ctx, params: dict) -> dict:
        names = params["AlarmNames"]
        if len(names) > 100:
            raise too_many("AlarmNames", 100)
        missing = [n for n in names if self.state.alarms.get(ctx.scope, n) is None]
        if missing:
            raise ServiceError("ResourceNotFound", f"{', '.join(missing)} alarm(s) not found", 404)
        with self.state.store.transaction():
            for name in names:
                alarm = self.state.alarms.delete(ctx.scope, name)
                self.history.record(ctx.scope, name, alarm.kind, "ConfigurationUpdate", f'Alarm "{name}" deleted',
                                    {"version": "1.0", "type": "Delete", "deletedAlarm": self.shape(alarm)})
        return {}

    def set_alarm_state(self, ctx, params: dict) -> dict:
        alarm = self.state.alarms.get(ctx.scope, params["AlarmName"])
        if alarm is None:
            raise not_found(params["AlarmName"])
        if params["StateValue"] not in STATES:
            raise invalid_value(params["StateValue"], "StateValue")
        data = params.get("StateReasonData")
        if data is not None:
            try:
                json.loads(data)
            except ValueError:
                raise ServiceError("InvalidFormat", "StateReasonData is not a valid JSON document.") from None
        self.transition(ctx.scope, alarm, params["StateValue"], params["StateReason"], data)
        return {}

    def enable_alarm_actions(self, ctx, params: dict) -> dict:
        return self._actions_enabled(ctx, params["AlarmNames"], True)

    def disable_alarm_actions(self, ctx, params: dict) -> dict:
        return self._actions_enabled(ctx, params["AlarmNames"], False)

    def _actions_enabled(self, ctx, names: list[str], enabled: bool) -> dict:
        if len(names) > 100:
            raise too_many("AlarmNames", 100)
        with self.state.store.transaction():
            for name in names:
                alarm = self.state.alarms.get(ctx.scope, name)
                if alarm is not None:
                    alarm.config["ActionsEnabled"] = enabled
                    self.state.alarms.put(ctx.scope, name, alarm)
        return {}

    # -- state changes -----------------------------------------------------------------------------
    def transition(self, scope: Scope, alarm: Alarm, state: str, reason: str, data: str | None = None) -> None:
        """Set an alarm's state; a change of value is a StateUpdate in its history and runs its actions."""
        now = time.time()
        previous = {"value": alarm.state, "reason": alarm.reason, "timestamp": alarm.state_updated,
                    "reasonData": alarm.reason_data}
        old = {"stateValue": alarm.state, "stateReason": alarm.reason}
        if alarm.reason_data:
            old["stateReasonData"] = json.loads(alarm.reason_data)
        changed = state != alarm.state
        alarm.state, alarm.reason, alarm.reason_data, alarm.state_updated = state, reason, data, now
        if changed:
            alarm.state_transitioned = now
        with self.state.store.transaction():
            self.state.alarms.put(scope, alarm.name, alarm)
            if not changed:
                return
            new = {"stateValue": state, "stateReason": reason}
            if data:
                new["stateReasonData"] = json.loads(data)
            self.history.record(scope, alarm.name, alarm.kind, "StateUpdate", f"Alarm updated from {old['stateValue']} to {state}",
                                {"version": "1.0", "oldState": old, "newState": new}, now)
            if alarm.actions_enabled:
                self.run_actions(scope, alarm, previous, now)

    def run_actions(self, scope: Scope, alarm: Alarm, previous: dict, at: float) -> None:
        """Run the actions of the alarm's state, unless an active mute rule mutes them."""
        key = {"ALARM": "AlarmActions", "OK": "OKActions", "INSUFFICIENT_DATA": "InsufficientDataActions"}[alarm.state]
        actions = alarm.config.get(key) or []
        rule = self.muting(scope, alarm.name, at) if actions else None
        if rule is not None:
            self.history.record(scope, alarm.name, alarm.kind, "Action",
                                f"Alarm actions muted by alarm mute rule {rule}",
                                {"actionState": "Muted", "stateUpdateTimestamp": int(at * 1000), "muteRule": rule,
                                 "notificationResources": actions}, time.time())
            return
        for action in actions:
            if action.split(":")[2] == "lambda":
                self.run_action(scope, alarm, action, previous)
            else:
                self.action_done(scope, alarm, action, at, f"regionbox does not serve "
                                 f"{SERVED_ELSEWHERE.get(action.split(':')[2], action.split(':')[2])}, so the "
                                 "action could not be delivered")

    def run_unmuted(self, scope: Scope, alarm: Alarm) -> None:
        """What an alarm in ALARM runs when the mute rule that held its actions is deleted."""
        if alarm.actions_enabled:
            self.run_actions(scope, alarm, {"value": alarm.state, "reason": alarm.reason, "timestamp": alarm.state_updated,
                                            "reasonData": alarm.reason_data}, time.time())

    def action_done(self, scope: Scope, alarm: Alarm, action: str, at: float, error: str | None = None) -> None:
        """An action's outcome in the alarm's history, as CloudWatch records it."""
        if error is None:
            self.history.record(scope, alarm.name, alarm.kind, "Action", f"Successfully executed action {action}",
                                {"actionState": "Succeeded", "stateUpdateTimestamp": int(at * 1000),
                                 "notificationResource": action}, time.time())
        else:
            self.history.record(scope, alarm.name, alarm.kind, "Action",
                                f'Failed to execute action {action}. Received error: "{error}"',
                                {"actionState": "Failed", "stateUpdateTimestamp": int(at * 1000),
                                 "notificationResource": action, "error": error}, time.time())

    # -- reading -----------------------------------------------------------------------------------
    def shape(self, alarm: Alarm) -> dict:
        out = {k: v for k, v in alarm.config.items()}
        out.update({"AlarmArn": alarm.arn, "AlarmConfigurationUpdatedTimestamp": _dt(alarm.configuration_updated),
                    "ActionsEnabled": alarm.actions_enabled, "StateValue": alarm.state, "StateReason": alarm.reason,
                    "StateUpdatedTimestamp": _dt(alarm.state_updated),
                    "StateTransitionedTimestamp": _dt(alarm.state_transitioned)})
        for key in ("OKActions", "AlarmActions", "InsufficientDataActions"):
            out.setdefault(key, [])
        if alarm.reason_data:
            out["StateReasonData"] = alarm.reason_data
        if alarm.kind == "MetricAlarm":
            out.setdefault("Dimensions", [])
            if out.get("Metrics") is None:
                out.pop("Metrics", None)
        return out

    def describe_alarms(self, ctx, params: dict) -> dict:
        names, prefix = params.get("AlarmNames"), params.get("AlarmNamePrefix")
        if names and prefix:
            raise ServiceError("InvalidParameterCombination", "AlarmNames and AlarmNamePrefix are mutually exclusive.")
        if names is not None and len(names) > 100:
            raise too_many("AlarmNames", 100)
        types = params.get("AlarmTypes") or ["MetricAlarm"]
        children_of, parents_of = params.get("ChildrenOfAlarmName"), params.get("ParentsOfAlarmName")
        if (children_of or parents_of) and any(params.get(k) for k in ("AlarmNames", "AlarmNamePrefix", "StateValue",
                                                                       "ActionPrefix")):
            raise ServiceError("InvalidParameterCombination", "If you specify ChildrenOfAlarmName or ParentsOfAlarmName, "
                                                              "you cannot specify any other parameters in the request "
                                                              "except for MaxRecords and NextToken.")
        state = params.get("StateValue")
        if state is not None and state not in STATES:
            raise invalid_value(state, "StateValue")
        alarms = sorted(self.state.alarms.values(ctx.scope), key=lambda a: a.name)
        if children_of:
            parent = self.state.alarms.get(ctx.scope, children_of)
            wanted = parse_rule(parent.config["AlarmRule"]).names() if parent and parent.kind == "CompositeAlarm" else set()
            alarms = [a for a in alarms if a.name in wanted]
        if parents_of:
            alarms = [a for a in alarms if a.kind == "CompositeAlarm" and parents_of in parse_rule(a.config["AlarmRule"]).names()]
        if names:
            alarms = [a for a in alarms if a.name in names]
        if prefix:
            alarms = [a for a in alarms if a.name.startswith(prefix)]
        if state:
            alarms = [a for a in alarms if a.state == state]
        if params.get("ActionPrefix"):
            alarms = [a for a in alarms if any(x.startswith(params["ActionPrefix"]) for key in
                                               ("AlarmActions", "OKActions", "InsufficientDataActions")
                                               for x in a.config.get(key) or [])]
        alarms = [a for a in alarms if a.kind in types]
        query = [names, prefix, types, state, params.get("ActionPrefix"), children_of, parents_of]
        page, token = self.paginator.paginate(alarms, params, ALARMS_PAGE, query=query)
        return {"MetricAlarms": [self.shape(a) for a in page if a.kind == "MetricAlarm"],
                "CompositeAlarms": [self.shape(a) for a in page if a.kind == "CompositeAlarm"],
                **({"NextToken": token} if token else {})}

    def describe_alarms_for_metric(self, ctx, params: dict) -> dict:
        dimensions = dimensions_of(params.get("Dimensions")) if params.get("Dimensions") is not None else None
        found = []
        for alarm in sorted(self.state.alarms.values(ctx.scope), key=lambda a: a.name):
            config = alarm.config
            if alarm.kind != "MetricAlarm" or config.get("MetricName") != params["MetricName"] or \
                    config.get("Namespace") != params["Namespace"]:
                continue
            if dimensions is not None and dimensions_of(config.get("Dimensions")) != dimensions:
                continue
            if any(params.get(k) is not None and config.get(k) != params[k]
                   for k in ("Statistic", "ExtendedStatistic", "Period", "Unit")):
                continue
            found.append(self.shape(alarm))
        return {"MetricAlarms": found}


def _dt(seconds: float):
    return clock.from_epoch(seconds)
