"""Alarm mute rules: PutAlarmMuteRule, GetAlarmMuteRule, ListAlarmMuteRules, DeleteAlarmMuteRule.

A rule mutes the actions of its target alarms during windows: each time its schedule fires
(``cron(Minutes Hours Day-of-month Month Day-of-week)`` with *, -, "," and JAN-DEC / SUN-SAT, or
once with ``at(yyyy-MM-ddThh:mm)``, in the rule's time zone) for its Duration (PT1M to P15D),
between StartDate and ExpireDate. Its status (SCHEDULED, ACTIVE, EXPIRED) is worked out when
asked. Muted alarms still evaluate and change state; the actions a change would run are skipped
and recorded as muted in the alarm's history (``Alarms.transition`` asks ``muting``). Deleting an
active rule runs the actions of its alarms that are in ALARM, as AWS documents.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from regionbox.core import clock
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import PageRule, Paginator
from regionbox.core.store import Scope
from regionbox.services.cloudwatch.metric_data import invalid_value, too_many
from regionbox.services.cloudwatch.models import CloudWatchState, MuteRule

DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
AT = re.compile(r"^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})\)$")
CRON = re.compile(r"^cron\(([^()]*)\)$")
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
# (lowest, highest, names) of minutes, hours, day of month, month, day of week (0 = Sunday)
FIELDS = [(0, 59, None), (0, 23, None), (1, 31, None), (1, 12, MONTHS), (0, 6, DAYS)]
PAGE = PageRule(out_of_range=lambda n: invalid_value(n, "MaxRecords"), size="MaxRecords", default=50, maximum=100,
                bad_token=lambda t: ServiceError("InvalidNextToken", "The service cannot complete the request."))


def invalid(message: str) -> ServiceError:
    return ServiceError("ValidationError", message)


def _values(text: str, low: int, high: int, names: list[str] | None) -> set[int]:
    found: set[int] = set()
    for part in text.split(","):
        def number(token: str) -> int:
            token = token.upper()
            if names and token in names:
                return names.index(token) + low
            if not token.isdigit() or not low <= int(token) <= high:
                raise ValueError(token)
            return int(token)
        if part == "*":
            found.update(range(low, high + 1))
        elif "-" in part:
            first, last = (number(t) for t in part.split("-", 1))
            if first > last:
                raise ValueError(part)
            found.update(range(first, last + 1))
        else:
            found.add(number(part))
    return found


@dataclass
class Schedule:
    zone: ZoneInfo
    duration: timedelta
    once: datetime | None = None  # at(...)
    cron: list[set[int]] | None = None
    any_day: tuple[bool, bool] = (True, True)  # day of month "*", day of week "*"

    def windows_around(self, now: datetime) -> list[tuple[datetime, datetime]]:
        """The windows that may hold ``now``: fired at most Duration (<= 15 days) ago."""
        if self.once is not None:
            return [(self.once, self.once + self.duration)]
        minutes, hours, days, months, weekdays = self.cron
        local = now.astimezone(self.zone)
        found = []
        for back in range(self.duration.days + 2):
            day = (local - timedelta(days=back)).date()
            in_month, in_week = day.day in days, (day.isoweekday() % 7) in weekdays
            # As in cron, a restricted day of month and day of week match either.
            if self.any_day[0] or self.any_day[1]:
                matches = in_month and in_week
            else:
                matches = in_month or in_week
            if day.month not in months or not matches:
                continue
            for hour in sorted(hours):
                for minute in sorted(minutes):
                    start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.zone)
                    if start <= local:
                        found.append((start, start + self.duration))
        return found


def schedule_of(rule: dict) -> Schedule:
    schedule = rule["Schedule"]
    try:
        zone = ZoneInfo(schedule.get("Timezone") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(f"Invalid timezone: {schedule.get('Timezone')}") from None
    match = DURATION.match(schedule["Duration"])
    if not match or not any(match.groups()):
        raise invalid(f"Invalid duration: {schedule['Duration']}. Use an ISO 8601 duration such as PT4H.")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    duration = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if not timedelta(minutes=1) <= duration <= timedelta(days=15):
        raise invalid("The duration must be between PT1M and P15D.")
    expression = schedule["Expression"].strip()
    at = AT.match(expression)
    if at:
        try:
            return Schedule(zone, duration, once=datetime(*(int(g) for g in at.groups()), tzinfo=zone))
        except ValueError:
            raise invalid(f"Invalid schedule expression: {expression}") from None
    cron = CRON.match(expression)
    parts = cron.group(1).split() if cron else []
    if len(parts) != 5:
        raise invalid(f"Invalid schedule expression: {expression}. Use cron(Minutes Hours Day-of-month Month "
                      "Day-of-week) or at(yyyy-MM-ddThh:mm).")
    try:
        sets = [_values(part, *spec) for part, spec in zip(parts, FIELDS)]
    except ValueError:
        raise invalid(f"Invalid schedule expression: {expression}") from None
    return Schedule(zone, duration, cron=sets, any_day=(parts[2] == "*", parts[4] == "*"))


def status_of(rule: MuteRule, now: float) -> str:
    config = rule.config
    if config.get("ExpireDate") is not None and now >= config["ExpireDate"]:
        return "EXPIRED"
    schedule = schedule_of(config["Rule"])
    if schedule.once is not None and now >= (schedule.once + schedule.duration).timestamp():
        return "EXPIRED"
    if config.get("StartDate") is not None and now < config["StartDate"]:
        return "SCHEDULED"
    moment = datetime.fromtimestamp(now, timezone.utc)
    started = config.get("StartDate")
    for start, end in schedule.windows_around(moment):
        if start <= moment < end and (started is None or end.timestamp() > started):
            return "ACTIVE"
    return "SCHEDULED"


class MuteRules:
    def __init__(self, state: CloudWatchState, paginator: Paginator) -> None:
        self.rules = state.mute_rules
        self.alarms = state.alarms
        self.paginator = paginator
        self.unmuted = None  # Alarms.run_muted_actions, set by the service: what deleting an active rule runs

    def muting(self, scope: Scope, alarm_name: str, now: float | None = None) -> str | None:
        """The name of an active rule that mutes this alarm's actions now, if any."""
        now = time.time() if now is None else now
        for rule in self.rules.values(scope):
            if alarm_name in (rule.config.get("MuteTargets") or {}).get("AlarmNames", []) and \
                    status_of(rule, now) == "ACTIVE":
                return rule.name
        return None

    def put_alarm_mute_rule(self, ctx, params: dict) -> dict:
        name = params["Name"]
        schedule_of(params["Rule"])
        targets = (params.get("MuteTargets") or {}).get("AlarmNames") or []
        if len(targets) > 100:
            raise too_many("MuteTargets.AlarmNames", 100)
        missing = [t for t in targets if self.alarms.get(ctx.scope, t) is None]
        if missing:
            raise invalid(f"The alarms [{', '.join(missing)}] do not exist.")
        start, expire = (clock.to_epoch(params[k]) if params.get(k) is not None else None for k in ("StartDate", "ExpireDate"))
        if start is not None and expire is not None and expire <= start:
            raise invalid("ExpireDate must be after StartDate.")
        if len(params.get("Tags") or []) > 50:
            raise too_many("Tags", 50)
        config = {"Rule": params["Rule"], "MuteTargets": params.get("MuteTargets"), "Description": params.get("Description"),
                  "StartDate": start, "ExpireDate": expire}
        rule = self.rules.get(ctx.scope, name)
        if rule is None:
            rule = MuteRule(name, ctx.arn("cloudwatch", f"alarm-mute-rule:{name}"), config, time.time(),
                            {t["Key"]: t["Value"] for t in params.get("Tags") or []})
        else:
            rule.config, rule.updated = config, time.time()
        self.rules.put(ctx.scope, name, rule)
        return {}

    def _shape(self, rule: MuteRule, now: float) -> dict:
        config = rule.config
        shape = {"Name": rule.name, "AlarmMuteRuleArn": rule.arn, "Rule": config["Rule"], "Status": status_of(rule, now),
                 "LastUpdatedTimestamp": clock.from_epoch(rule.updated),
                 "MuteType": "ONE_TIME" if AT.match(config["Rule"]["Schedule"]["Expression"].strip()) else "RECURRING"}
        for key in ("Description", "MuteTargets"):
            if config.get(key) is not None:
                shape[key] = config[key]
        for key in ("StartDate", "ExpireDate"):
            if config.get(key) is not None:
                shape[key] = clock.from_epoch(config[key])
        return shape

    def get_alarm_mute_rule(self, ctx, params: dict) -> dict:
        rule = self.rules.get(ctx.scope, params["AlarmMuteRuleName"])
        if rule is None:
            raise ServiceError("ResourceNotFoundException", f"Alarm mute rule {params['AlarmMuteRuleName']} does not exist.",
                               404, ResourceType="AlarmMuteRule", ResourceId=params["AlarmMuteRuleName"])
        return self._shape(rule, time.time())

    def list_alarm_mute_rules(self, ctx, params: dict) -> dict:
        statuses = params.get("Statuses") or []  # values outside the enum the protocol refuses
        now = time.time()
        shapes = [self._shape(r, now) for r in sorted(self.rules.values(ctx.scope), key=lambda r: r.name)]
        if params.get("AlarmName"):
            shapes = [s for s in shapes if params["AlarmName"] in (s.get("MuteTargets") or {}).get("AlarmNames", [])]
        if statuses:
            shapes = [s for s in shapes if s["Status"] in statuses]
        page, token = self.paginator.paginate(shapes, params, PAGE, query=[params.get("AlarmName"), statuses])
        keys = ("AlarmMuteRuleArn", "ExpireDate", "Status", "MuteType", "LastUpdatedTimestamp")
        return {"AlarmMuteRuleSummaries": [{k: s[k] for k in keys if k in s} for s in page],
                **({"NextToken": token} if token else {})}

    def delete_alarm_mute_rule(self, ctx, params: dict) -> dict:
        rule = self.rules.get(ctx.scope, params["AlarmMuteRuleName"])
        if rule is None:
            return {}  # idempotent, as on AWS
        active = status_of(rule, time.time()) == "ACTIVE"
        self.rules.delete(ctx.scope, rule.name)
        if active and self.unmuted is not None:
            for name in (rule.config.get("MuteTargets") or {}).get("AlarmNames", []):
                alarm = self.alarms.get(ctx.scope, name)
                if alarm is not None and alarm.state == "ALARM" and self.muting(ctx.scope, name) is None:
                    self.unmuted(ctx.scope, alarm)
        return {}
