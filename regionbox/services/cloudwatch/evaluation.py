"""Alarm evaluation: a background task (cloud.tasks) wakes every second and evaluates each metric
alarm that is due (every period, at most every minute, as CloudWatch evaluates), then every
composite alarm; it also flushes other services' buffered metrics, has running metric streams
report each minute (``metric_streams.py``) and runs the store's roll-up.

A metric alarm looks at its last EvaluationPeriods complete periods: a period breaches when its
value crosses the threshold; DatapointsToAlarm of them (default all) breaching is ALARM, else OK;
periods without data follow TreatMissingData (missing: left out, and no data at all is
INSUFFICIENT_DATA; ignore: the state stays; breaching / notBreaching: counted as such).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

from regionbox.core.store import Scope
from regionbox.services.cloudwatch.alarms import Alarms
from regionbox.services.cloudwatch.expressions import TimeSeries
from regionbox.services.cloudwatch.history import History, iso
from regionbox.services.cloudwatch.metric_streams import MetricStreams
from regionbox.services.cloudwatch.models import Alarm, CloudWatchState
from regionbox.services.cloudwatch.queries import Queries, returned_period
from regionbox.services.cloudwatch.rules import parse_rule
from regionbox.services.cloudwatch.series import Series

log = logging.getLogger("regionbox.cloudwatch")
ROLL_UP_EVERY = 300
COMPARE = {"GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
           "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
           "LessThanThreshold": (lambda v, t: v < t, "less than"),
           "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to")}


class Evaluator:
    def __init__(self, state: CloudWatchState, series: Series, queries: Queries, alarms: Alarms, history: History,
                 streams: MetricStreams) -> None:
        self.state = state
        self.streams = streams
        self.series = series
        self.queries = queries
        self.alarms = alarms
        self.history = history
        self.rolled = 0.0

    async def run(self) -> None:
        while True:
            try:
                self.tick(time.time())
            except Exception:  # noqa: BLE001 - one failed round must not end evaluation for good
                log.exception("CloudWatch evaluation round failed")
            await asyncio.sleep(1.0)

    def tick(self, now: float) -> None:
        self.streams.report(now)
        if self.series._buffer:
            self.series.flush()
        for scope, _, alarm in list(self.state.alarms.all()):
            if alarm.kind == "MetricAlarm" and now - alarm.evaluated >= min(self._period(alarm), 60):
                self.evaluate(scope, alarm, now)
        for scope, _, alarm in list(self.state.alarms.all()):
            if alarm.kind == "CompositeAlarm":
                self.evaluate_composite(scope, alarm)
        if now - self.rolled >= ROLL_UP_EVERY:
            self.rolled = now
            self.series.roll_up(now)
            self.history.expire(now)

    @staticmethod
    def _period(alarm: Alarm) -> int:
        config = alarm.config
        return returned_period(config["Metrics"]) if config.get("Metrics") else int(config["Period"])

    def values(self, scope: Scope, alarm: Alarm, start: int, end: int) -> dict[int, float]:
        config = alarm.config
        if config.get("Metrics"):
            results = self.queries.evaluate(scope, config["Metrics"], start, end)
            returned = next(q["Id"] for q in config["Metrics"] if q.get("ReturnData", True))
            value = results[returned]
            return value.points if isinstance(value, TimeSeries) else {}
        stat = {"Metric": {"Namespace": config["Namespace"], "MetricName": config["MetricName"],
                           "Dimensions": config.get("Dimensions") or []},
                "Period": config["Period"], "Stat": config.get("Statistic") or config["ExtendedStatistic"]}
        if config.get("Unit"):
            stat["Unit"] = config["Unit"]
        return self.queries.metric_series(scope, stat, start, end).points

    def evaluate(self, scope: Scope, alarm: Alarm, now: float) -> None:
        config = alarm.config
        period, count = self._period(alarm), int(config["EvaluationPeriods"])
        needed = int(config.get("DatapointsToAlarm") or count)
        end = int(now) - int(now) % period  # the last complete period ends here
        start = end - count * period
        alarm.evaluated = now
        try:
            points = self.values(scope, alarm, start, end)
        except Exception as error:  # noqa: BLE001 - a broken math alarm says so in its state reason
            self.alarms.transition(scope, alarm, "INSUFFICIENT_DATA", f"Unchecked: {getattr(error, 'message', error)}")
            return
        breaches, label = COMPARE[config["ComparisonOperator"]]
        threshold = float(config["Threshold"])
        missing = config.get("TreatMissingData", "missing")
        window = [(t, points.get(t)) for t in range(start, end, period)]
        present = [(t, v) for t, v in window if v is not None]
        if not present and missing in ("missing", "ignore"):
            if missing == "ignore":
                self.state.alarms.put(scope, alarm.name, alarm)
                return
            self.alarms.transition(scope, alarm, "INSUFFICIENT_DATA",
                                   f"Insufficient Data: {count} datapoint{'s were' if count > 1 else ' was'} unknown.",
                                   self._data(alarm, now, start, [], threshold))
            return
        breaching = sum(1 for _, v in present if breaches(v, threshold))
        if missing == "breaching":
            breaching += count - len(present)
        state = "ALARM" if breaching >= needed else "OK"
        if not present:
            self.alarms.transition(scope, alarm, state, f"Threshold Crossed: no datapoints were received for {count} "
                                   f"period{'s' if count > 1 else ''} and {count} missing datapoint"
                                   f"{'s were' if count > 1 else ' was'} treated as "
                                   f"[{'Breaching' if missing == 'breaching' else 'NonBreaching'}].",
                                   self._data(alarm, now, start, [], threshold))
            return
        recent = [v for _, v in sorted(present, reverse=True)]
        shown = ", ".join(f"{v:g} ({_short(t)})" for t, v in sorted(present, reverse=True))
        if state == "ALARM":
            reason = (f"Threshold Crossed: {breaching} out of the last {count} datapoints [{shown}] "
                      f"{'were' if breaching > 1 else 'was'} {label} the threshold ({threshold:g}) "
                      f"(minimum {needed} datapoint{'s' if needed > 1 else ''} for OK -> ALARM transition).")
        else:
            reason = (f"Threshold Crossed: {len(present)} datapoint{'s' if len(present) > 1 else ''} [{shown}] "
                      f"{'were' if len(present) > 1 else 'was'} not {label} the threshold ({threshold:g}).")
        self.alarms.transition(scope, alarm, state, reason, self._data(alarm, now, start, recent, threshold))

    @staticmethod
    def _data(alarm: Alarm, now: float, start: int, recent: list[float], threshold: float) -> str:
        config = alarm.config
        data = {"version": "1.0", "queryDate": iso(now), "startDate": iso(start), "period": Evaluator._period(alarm),
                "recentDatapoints": recent, "threshold": threshold}
        if config.get("Statistic"):
            data["statistic"] = config["Statistic"]
        if config.get("ExtendedStatistic"):
            data["extendedStatistic"] = config["ExtendedStatistic"]
        if config.get("Unit"):
            data["unit"] = config["Unit"]
        return json.dumps(data, separators=(",", ":"))

    def evaluate_composite(self, scope: Scope, alarm: Alarm) -> None:
        rule = parse_rule(alarm.config["AlarmRule"])

        def state_of(name: str) -> str | None:
            child = self.state.alarms.get(scope, name)
            return child.state if child is not None else None
        children = [self.state.alarms.get(scope, n) for n in sorted(rule.names())]
        if children and all(c is None or c.state == "INSUFFICIENT_DATA" for c in children) and not rule.evaluate(state_of):
            return  # nothing known yet: stays where it is
        state = "ALARM" if rule.evaluate(state_of) else "OK"
        if state == alarm.state:
            return
        triggering = [{"arn": c.arn, "state": {"value": c.state, "timestamp": iso(c.state_updated)}}
                      for c in children if c is not None and (c.state == "ALARM") == (state == "ALARM")]
        names = ", ".join(c["arn"] for c in triggering)
        reason = f"{alarm.name} was changed to {state} because its rule evaluated to {state == 'ALARM'}" + \
                 (f" (triggering alarms: {names})" if names else "")
        self.alarms.transition(scope, alarm, state, reason, json.dumps({"triggeringAlarms": triggering},
                                                                      separators=(",", ":")))


def _short(ts: int) -> str:
    return time.strftime("%d/%m/%y %H:%M:%S", time.gmtime(ts))
