"""Listener rules: Create/Describe/Modify/DeleteRule and SetRulePriorities.

Conditions are kept in the shape AWS answers: each with its ``*Config`` member, and ``Values``
too for host-header and path-pattern (the older form, which AWS still echoes).
"""

from __future__ import annotations

from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import Paginator
from regionbox.services.elbv2.health import Health
from regionbox.services.elbv2.listeners import check_actions, rule_arn
from regionbox.services.elbv2.load_balancers import page_of
from regionbox.services.elbv2.models import Elbv2State, Rule

MAX_RULES = 100  # per listener, the default rule not counted
MAX_CONDITION_VALUES = 5
CONFIGS = {"host-header": "HostHeaderConfig", "path-pattern": "PathPatternConfig", "http-header": "HttpHeaderConfig",
           "http-request-method": "HttpRequestMethodConfig", "query-string": "QueryStringConfig", "source-ip": "SourceIpConfig"}


def check_conditions(conditions: list[dict]) -> list[dict]:
    shaped = []
    values_total = 0
    for condition in conditions:
        field = condition.get("Field")
        if field not in CONFIGS:
            raise invalid(f"Condition field '{field}' must be one of [{', '.join(CONFIGS)}]")
        config = dict(condition.get(CONFIGS[field]) or {})
        if field == "http-header":
            if not config.get("HttpHeaderName") or not config.get("Values"):
                raise invalid("An http-header condition needs an HttpHeaderConfig with a header name and values")
            count = len(config["Values"])
        elif field == "query-string":
            pairs = config.get("Values") or []
            if not pairs:
                raise invalid("A query-string condition needs a QueryStringConfig with values")
            count = len(pairs)
        else:
            values = config.get("Values") or condition.get("Values") or []
            if not values:
                raise invalid(f"A '{field}' condition must have at least one value")
            config = {"Values": list(values)}
            count = len(values)
        values_total += count
        out: dict[str, Any] = {"Field": field, CONFIGS[field]: config}
        if field in ("host-header", "path-pattern"):
            out["Values"] = list(config["Values"])
        shaped.append(out)
    if values_total > MAX_CONDITION_VALUES:
        raise invalid(f"A rule can only have '{MAX_CONDITION_VALUES}' condition values")
    if not shaped:
        raise invalid("A rule must have at least one condition")
    return shaped


def _priority(value: int) -> str:
    if not 1 <= value <= 50000:
        raise invalid("Priority must be between 1 and 50000")
    return str(value)


def describe_rule(rule: Rule) -> dict[str, Any]:
    return {"RuleArn": rule.arn, "Priority": rule.priority, "Conditions": rule.conditions, "Actions": rule.actions,
            "IsDefault": rule.is_default}


class Rules:
    def __init__(self, state: Elbv2State, health: Health, paginator: Paginator) -> None:
        self.state = state
        self.health = health
        self.paginator = paginator

    def create_rule(self, ctx: RequestContext, params: dict) -> dict:
        listener = self.state.listener(ctx.scope, params["ListenerArn"])
        priority = _priority(params["Priority"])
        conditions = check_conditions(params["Conditions"])
        actions = check_actions(self.state, ctx.scope, params["Actions"])
        rules = self.state.rules_of(ctx.scope, listener.arn)
        if any(rule.priority == priority for rule in rules):
            raise ServiceError("PriorityInUse", f"Priority '{priority}' is currently in use")
        if len(rules) - 1 >= MAX_RULES:
            raise ServiceError("TooManyRules", f"You've reached the limit on the number of rules per listener ('{MAX_RULES}')")
        rule = Rule(arn=rule_arn(ctx, listener.arn), listener_arn=listener.arn, priority=priority, conditions=conditions,
                    actions=actions, tags={tag["Key"]: tag.get("Value", "") for tag in params.get("Tags") or []})
        self.state.rules.put(ctx.scope, rule.arn, rule)
        self.health.sync_scope(ctx.scope)
        return {"Rules": [describe_rule(rule)]}

    def describe_rules(self, ctx: RequestContext, params: dict) -> dict:
        listener_arn, arns = params.get("ListenerArn"), params.get("RuleArns")
        if listener_arn and arns:
            raise invalid("Rule ARNs and a listener ARN cannot be specified at the same time")
        if arns:
            found = [self.state.rule(ctx.scope, arn) for arn in arns]
        elif listener_arn:
            self.state.listener(ctx.scope, listener_arn)
            found = self.state.rules_of(ctx.scope, listener_arn)
        else:
            raise invalid("You must specify either listener rule ARNs or a listener ARN")
        return page_of(self.paginator, found, params, "Rules", describe_rule, [listener_arn, arns])

    def modify_rule(self, ctx: RequestContext, params: dict) -> dict:
        rule = self.state.rule(ctx.scope, params["RuleArn"])
        if params.get("Conditions") is not None:
            if rule.is_default:
                raise ServiceError("OperationNotPermitted", "Conditions cannot be modified for a default rule")
            rule.conditions = check_conditions(params["Conditions"])
        if params.get("Actions") is not None:
            rule.actions = check_actions(self.state, ctx.scope, params["Actions"])
        with self.state.transaction():
            self.state.rules.put(ctx.scope, rule.arn, rule)
            if rule.is_default:
                listener = self.state.listener(ctx.scope, rule.listener_arn)
                listener.default_actions = rule.actions
                self.state.listeners.put(ctx.scope, listener.arn, listener)
        self.health.sync_scope(ctx.scope)
        return {"Rules": [describe_rule(rule)]}

    def delete_rule(self, ctx: RequestContext, params: dict) -> dict:
        rule = self.state.rule(ctx.scope, params["RuleArn"])
        if rule.is_default:
            raise ServiceError("OperationNotPermitted", f"Default rule '{rule.arn}' cannot be deleted")
        self.state.rules.delete(ctx.scope, rule.arn)
        self.health.sync_scope(ctx.scope)
        return {}

    def set_rule_priorities(self, ctx: RequestContext, params: dict) -> dict:
        for n, item in enumerate(params["RulePriorities"], 1):  # both are optional in the model only
            for member in ("RuleArn", "Priority"):
                if item.get(member) is None:
                    raise invalid(f"1 validation error detected: Value null at 'rulePriorities.{n}.member."
                                  f"{member[0].lower()}{member[1:]}' failed to satisfy constraint: Member must not be null")
        changes = [(self.state.rule(ctx.scope, item["RuleArn"]), _priority(item["Priority"]))
                   for item in params["RulePriorities"]]
        for rule, priority in changes:
            if rule.is_default:
                raise ServiceError("OperationNotPermitted", f"Default rule '{rule.arn}' priority cannot be modified")
            moving = {other.arn for other, _ in changes}
            taken = [other for other in self.state.rules_of(ctx.scope, rule.listener_arn)
                     if other.priority == priority and other.arn not in moving]
            if taken or sum(1 for other, p in changes if p == priority and other.listener_arn == rule.listener_arn) > 1:
                raise ServiceError("PriorityInUse", f"Priority '{priority}' is currently in use")
        with self.state.transaction():
            for rule, priority in changes:
                rule.priority = priority
                self.state.rules.put(ctx.scope, rule.arn, rule)
        return {"Rules": [describe_rule(rule) for rule, _ in changes]}
