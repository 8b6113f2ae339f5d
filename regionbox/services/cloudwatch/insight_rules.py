"""Contributor Insights: PutInsightRule, DescribeInsightRules, Enable/Disable/DeleteInsightRules,
GetInsightRuleReport, ListManagedInsightRules, PutManagedInsightRules.

A report is computed when asked, in a worker thread, from the events of the rule's log groups in
regionbox's CloudWatch Logs (``api("logs").reader``): the events whose timestamps fall in the report's range
and that were ingested while the rule was enabled, as CloudWatch's rules analyse events as they
arrive and never look back. Each period's contributors (one per combination of key values) add 1
per event (Count) or the event's ValueOf (Sum).

Managed rules: AWS's templates (ListManagedInsightRules) exist for VPC endpoint services, which
regionbox does not serve, so every resource here has none and PutManagedInsightRules reports
each requested template as a failure. DynamoDB's own Contributor Insights
(UpdateContributorInsights) names its rules in DynamoDB, from request telemetry, not logs.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Callable, Iterator

from regionbox.core import clock
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.cloudwatch import insight_definitions
from regionbox.services.cloudwatch.metric_data import invalid_value, too_many
from regionbox.services.cloudwatch.models import CloudWatchState, InsightRule

MAX_RULES = 100  # Contributor Insights rules per account and Region
MAX_DATAPOINTS = 1440
METRICS = ("UniqueContributors", "MaxContributorValue", "SampleCount", "Sum", "Minimum", "Maximum", "Average")
RULES_PAGE = PageRule(out_of_range=lambda n: invalid_value(n, "MaxResults"), default=500, maximum=500,
                      bad_token=lambda t: ServiceError("InvalidNextToken", "The service cannot complete the request."))
MANAGED_PAGE = PageRule(out_of_range=lambda n: invalid_value(n, "MaxResults"), default=100, maximum=500,
                        bad_token=lambda t: ServiceError("InvalidNextToken", "The service cannot complete the request."))


def not_found(name: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Rule {name} does not exist.", 404, ResourceType="InsightRule",
                        ResourceId=name)


def _failure(name: str, description: str, exception: str = "ResourceNotFoundException") -> dict:
    return {"FailureResource": name, "ExceptionType": exception, "FailureCode": "404" if exception.startswith("Resource")
            else "400", "FailureDescription": description}


def _now_ms() -> int:
    return int(time.time() * 1000)


class InsightRules:
    def __init__(self, state: CloudWatchState, paginator: Paginator, logs: Callable[[], object]) -> None:
        self.state = state
        self.paginator = paginator
        self.logs = logs  # CloudWatch Logs' api, loaded when a report first needs it

    # -- rules -------------------------------------------------------------------------------------
    def put_insight_rule(self, ctx, params: dict) -> dict:
        name, state = params["RuleName"], params.get("RuleState") or "ENABLED"
        if state not in ("ENABLED", "DISABLED"):
            raise invalid_value(state, "RuleState")
        insight_definitions.parse(params["RuleDefinition"])
        tags = params.get("Tags") or []
        if len(tags) > 50:
            raise too_many("Tags", 50)
        rule = self.state.insight_rules.get(ctx.scope, name)
        if rule is None:
            if len(self.state.insight_rules.values(ctx.scope)) >= MAX_RULES:
                raise ServiceError("LimitExceededException", f"You have reached the limit of {MAX_RULES} Contributor "
                                                             "Insights rules in this account and Region.")
            rule = InsightRule(name, ctx.arn("cloudwatch", f"insight-rule/{name}"), params["RuleDefinition"], "DISABLED",
                               time.time(), tags={t["Key"]: t["Value"] for t in tags})
        else:
            rule.definition = params["RuleDefinition"]  # tags of an update are ignored, as on AWS
        rule.apply_on_transformed_logs = bool(params.get("ApplyOnTransformedLogs"))
        _set_state(rule, state)
        self.state.insight_rules.put(ctx.scope, name, rule)
        return {}

    def describe_insight_rules(self, ctx, params: dict) -> dict:
        rules = sorted(self.state.insight_rules.values(ctx.scope), key=lambda r: r.name)
        page, token = self.paginator.paginate(rules, params, RULES_PAGE)
        return {"InsightRules": [{"Name": r.name, "State": r.state, "Schema": "CloudWatchLogRule/1",
                                  "Definition": r.definition, "ManagedRule": False,
                                  "ApplyOnTransformedLogs": r.apply_on_transformed_logs} for r in page],
                **({"NextToken": token} if token else {})}

    def enable_insight_rules(self, ctx, params: dict) -> dict:
        return self._each(ctx, params["RuleNames"], lambda rule: _set_state(rule, "ENABLED"))

    def disable_insight_rules(self, ctx, params: dict) -> dict:
        return self._each(ctx, params["RuleNames"], lambda rule: _set_state(rule, "DISABLED"))

    def delete_insight_rules(self, ctx, params: dict) -> dict:
        return self._each(ctx, params["RuleNames"], None)

    def _each(self, ctx, names: list[str], change) -> dict:
        """Apply ``change`` (None: delete) to each named rule; those that do not exist are failures."""
        if not names:
            raise ServiceError("MissingParameter", "The parameter RuleNames is required.")
        failures = []
        with self.state.store.transaction():
            for name in names:
                rule = self.state.insight_rules.get(ctx.scope, name)
                if rule is None:
                    failures.append(_failure(name, f"Rule {name} does not exist."))
                elif change is None:
                    self.state.insight_rules.delete(ctx.scope, name)
                else:
                    change(rule)
                    self.state.insight_rules.put(ctx.scope, name, rule)
        return {"Failures": failures}

    # -- managed rules -----------------------------------------------------------------------------
    def list_managed_insight_rules(self, ctx, params: dict) -> dict:
        _check_arn(params["ResourceARN"])
        page, token = self.paginator.paginate([], params, MANAGED_PAGE, query=params["ResourceARN"])
        return {"ManagedRules": page, **({"NextToken": token} if token else {})}

    def put_managed_insight_rules(self, ctx, params: dict) -> dict:
        rules = params["ManagedRules"]
        if not rules:
            raise ServiceError("MissingParameter", "The parameter ManagedRules is required.")
        for rule in rules:
            _check_arn(rule["ResourceARN"])
        return {"Failures": [_failure(rule["TemplateName"], f"Template {rule['TemplateName']} is not available for "
                                      f"resource {rule['ResourceARN']}: ListManagedInsightRules lists none for it.",
                                      "InvalidParameterValueException") for rule in rules]}

    # -- reports -----------------------------------------------------------------------------------
    async def get_insight_rule_report(self, ctx, params: dict) -> dict:
        name = params["RuleName"]
        rule = self.state.insight_rules.get(ctx.scope, name)
        if rule is None:
            raise not_found(name)
        start, end = clock.to_epoch(params["StartTime"]), clock.to_epoch(params["EndTime"])
        if start >= end:
            raise ServiceError("InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.")
        period = params["Period"]
        if period < 60 or period % 60:
            raise ServiceError("InvalidParameterValue", "The parameter Period must be a multiple of 60.")
        first = int(start) - int(start) % period
        count = math.ceil((end - first) / period)
        if count > MAX_DATAPOINTS:
            raise ServiceError("InvalidParameterCombination", f"You have requested up to {count} datapoints, which exceeds "
                                                              f"the limit of {MAX_DATAPOINTS}.")
        most = params.get("MaxContributorCount")
        most = 10 if most is None else most
        if not 1 <= most <= 100:
            raise invalid_value(most, "MaxContributorCount")
        metrics = params.get("Metrics") or []
        for metric in metrics:
            if metric not in METRICS:
                raise invalid_value(metric, "Metrics")
        order = params.get("OrderBy") or "Sum"
        if order not in ("Sum", "Maximum"):
            raise invalid_value(order, "OrderBy")
        body = insight_definitions.parse(rule.definition)
        # The events are read and matched in a worker thread: a large group must not hold the loop.
        periods, samples = await asyncio.to_thread(_aggregate, self._observations(ctx.scope, rule, body, first,
                                                                                  math.ceil(end)), first, period)
        totals: dict[tuple, float] = {}
        peaks: dict[tuple, float] = {}
        for contributors in periods.values():
            for keys, value in contributors.items():
                totals[keys] = totals.get(keys, 0.0) + value
                peaks[keys] = max(peaks.get(keys, value), value)
        rank = totals if order == "Sum" else peaks
        top = sorted(totals, key=lambda k: (-rank[k], k))[:most]
        answer = {"KeyLabels": body.keys, "AggregationStatistic": body.aggregate,
                  "AggregateValue": math.fsum(totals.values()), "ApproximateUniqueCount": len(totals),
                  "Contributors": [{"Keys": list(keys), "ApproximateAggregateValue": totals[keys],
                                    "Datapoints": [{"Timestamp": clock.from_epoch(bucket),
                                                    "ApproximateValue": periods[bucket][keys]}
                                                   for bucket in sorted(periods) if keys in periods[bucket]]}
                                   for keys in top]}
        if metrics:  # the series of statistics comes only when some are asked for, as on AWS
            answer["MetricDatapoints"] = [{"Timestamp": clock.from_epoch(bucket),
                                           **{m: v for m, v in _statistics(periods[bucket], samples[bucket]).items()
                                              if m in metrics}} for bucket in sorted(periods)]
        return answer

    def metric_points(self, scope, name: str, metric: str, start: int, end: int, period: int) -> dict[int, float]:
        """INSIGHT_RULE_METRIC(name, metric) of metric math: one of the report's statistics per period."""
        rule = self.state.insight_rules.get(scope, name)
        if rule is None:
            raise ValueError(f"The Contributor Insights rule {name} does not exist")
        if metric not in METRICS:
            raise ValueError(f"INSIGHT_RULE_METRIC has no metric {metric}; it has {', '.join(METRICS)}")
        first = start - start % period
        periods, samples = _aggregate(self._observations(scope, rule, insight_definitions.parse(rule.definition), first, end),
                                      first, period)
        return {bucket: _statistics(periods[bucket], samples[bucket])[metric] for bucket in periods}

    def _observations(self, scope, rule: InsightRule, body, start: int, end: int) -> Callable[[], Iterator]:
        """How to read (timestamp s, value, contributor keys) of each counted event of the rule's groups
        in [start, end): the groups are found now, the events read when the function is called."""
        logs = self.logs()
        account, region = scope
        windows = [(since, until if until is not None else math.inf) for since, until in rule.windows]
        groups = body.groups(lambda prefix: logs.group_names(account, region, prefix))
        read = logs.reader(account, region, groups, start * 1000, end * 1000, transformed=rule.apply_on_transformed_logs)

        def observations() -> Iterator[tuple[int, float, tuple]]:
            for _, timestamp, ingested, message in read():
                if not any(since <= ingested < until for since, until in windows):
                    continue
                seen = body.observe(message)
                if seen is not None:
                    yield timestamp // 1000, seen[1], seen[0]
        return observations


def _aggregate(observations: Callable[[], Iterator], first: int, period: int):
    """Per period (aligned on ``first``): each contributor's value, and the observations' count, sum,
    minimum and maximum."""
    periods: dict[int, dict[tuple, float]] = {}
    samples: dict[int, list[float]] = {}
    for at, value, keys in observations():
        bucket = at - (at - first) % period
        contributors = periods.setdefault(bucket, {})
        contributors[keys] = contributors.get(keys, 0.0) + value
        stats = samples.setdefault(bucket, [0, 0.0, value, value])
        stats[0] += 1
        stats[1] += value
        stats[2], stats[3] = min(stats[2], value), max(stats[3], value)
    return periods, samples


def _statistics(contributors: dict[tuple, float], samples: list[float]) -> dict[str, float]:
    n, total, low, high = samples
    return {"UniqueContributors": float(len(contributors)), "MaxContributorValue": max(contributors.values()),
            "SampleCount": float(n), "Sum": total, "Minimum": low, "Maximum": high,
            "Average": total / n}  # the observations' average


def _set_state(rule: InsightRule, state: str) -> None:
    """Open or close the rule's current enabled window."""
    if state == rule.state:
        return
    now = _now_ms()
    if state == "ENABLED":
        rule.windows.append([now, None])
    elif rule.windows and rule.windows[-1][1] is None:
        rule.windows[-1][1] = now
    rule.state = state


def _check_arn(arn: str) -> None:
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or not parts[2] or not parts[5]:
        raise invalid_value(arn, "ResourceARN")
