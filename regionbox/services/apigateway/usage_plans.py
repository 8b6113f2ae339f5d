"""Usage plans and their keys: CreateUsagePlan, GetUsagePlan(s), UpdateUsagePlan,
DeleteUsagePlan, CreateUsagePlanKey, GetUsagePlanKey(s), DeleteUsagePlanKey, GetUsage, UpdateUsage.

A plan names API stages (with per-method throttles), a throttle (rate and burst) and a quota
(limit per DAY, WEEK or MONTH from ``offset``); the data plane enforces them for every API key in
the plan (invoke.py). An API key may be in one plan per API stage, so that which plan governs a
call is never in doubt.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.pagination import Paginator
from regionbox.services.apigateway import patch
from regionbox.services.apigateway.models import UsagePlan, new_id
from regionbox.services.apigateway.paging import listing
from regionbox.services.apigateway.state import ApiGatewayState, bad_request, conflict, not_found
from regionbox.services.apigateway.tags import checked_tags
from regionbox.services.apigateway.usage import period_start

PLAN_WRITABLE = ("name", "description", "throttle", "quota", "productCode")
PERIODS = {"DAY": 0, "WEEK": 6, "MONTH": 27}  # period -> the largest offset it takes


def stage_ref(api_stage: dict) -> str:
    return f"{api_stage.get('apiId')}:{api_stage.get('stage')}"


def _number(settings: dict, name: str) -> float:
    """A quota or throttle number; absent (or removed by a patch) counts as 0."""
    value = settings.get(name)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad_request(f"Invalid {name} specified: {value}")
    return value


class UsagePlans:
    def __init__(self, state: ApiGatewayState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    # -- plans ----------------------------------------------------------------------------------
    def _check(self, ctx: RequestContext, body: dict, plan_id: str) -> None:
        for api_stage in body.get("apiStages", []):
            api_id, stage = api_stage.get("apiId", ""), api_stage.get("stage", "")
            if (ctx.scope, api_id) not in self.state.apis or (ctx.scope, f"{api_id}/{stage}") not in self.state.stages:
                raise bad_request(f"Invalid API Stage {{api: {api_id}, stage: {stage}}} specified for usageplan "
                                  f"{body.get('name')}")
        refs = [stage_ref(s) for s in body.get("apiStages", [])]
        if len(set(refs)) != len(refs):
            raise conflict("Duplicate API stages in the usage plan")
        quota = body.get("quota")
        if quota:
            if quota.get("period") not in PERIODS:
                raise bad_request("Invalid quota period specified. Valid options are DAY,WEEK,MONTH")
            offset = _number(quota, "offset")
            if not 0 <= offset <= PERIODS[quota["period"]]:
                raise bad_request(f"Invalid quota offset specified for period {quota['period']}: {quota.get('offset')}")
            if _number(quota, "limit") < 0:
                raise bad_request("Quota limit should be a positive integer")
        throttle = body.get("throttle") or {}
        if _number(throttle, "rateLimit") < 0 or _number(throttle, "burstLimit") < 0:
            raise bad_request("Throttle limits should be positive")

    def create_usage_plan(self, ctx: RequestContext, params: dict) -> dict:
        plan_id = new_id(6)
        body = {"id": plan_id, "name": params["name"], "apiStages": [dict(s) for s in params.get("apiStages") or []]}
        if params.get("description") is not None:
            body["description"] = params["description"]
        for member in ("throttle", "quota"):
            if params.get(member) is not None:
                body[member] = dict(params[member])
        if "quota" in body:
            body["quota"].setdefault("offset", 0)
        tags = checked_tags(params.get("tags"))
        if tags:
            body["tags"] = tags
        self._check(ctx, body, plan_id)
        self.state.plans.put(ctx.scope, plan_id, UsagePlan(plan_id, body))
        return dict(body)

    def get_usage_plan(self, ctx: RequestContext, params: dict) -> dict:
        return dict(self.state.plan(ctx.scope, params["usagePlanId"]).body)

    def get_usage_plans(self, ctx: RequestContext, params: dict) -> dict:
        plans = self.state.plans.values(ctx.scope)
        if params.get("keyId"):
            plans = [p for p in plans if params["keyId"] in p.keys]
        return listing(self.paginator, [dict(p.body) for p in plans], params, query=params.get("keyId"))

    def update_usage_plan(self, ctx: RequestContext, params: dict) -> dict:
        plan = self.state.plan(ctx.scope, params["usagePlanId"])
        body = patch.apply(dict(plan.body), params.get("patchOperations"), "UsagePlan", PLAN_WRITABLE,
                           special=_api_stages)
        self._check(ctx, body, plan.id)
        plan.body = body
        self.state.plans.put(ctx.scope, plan.id, plan)
        return dict(body)

    def delete_usage_plan(self, ctx: RequestContext, params: dict) -> dict:
        plan = self.state.plan(ctx.scope, params["usagePlanId"])
        if plan.body.get("apiStages"):
            raise bad_request(f"Cannot delete Usage Plan {plan.id} because there are API Stages associated with it, "
                              f"including {stage_ref(plan.body['apiStages'][0])}")
        with self.state.store.transaction():
            self.state.plans.delete(ctx.scope, plan.id)
            self.state.usage.forget(ctx.scope, plan.id)
        return {}

    # -- keys of a plan -------------------------------------------------------------------------
    def _plan_key(self, key) -> dict:
        body = {"id": key.id, "type": "API_KEY", "value": key.body.get("value")}
        if key.body.get("name"):
            body["name"] = key.body["name"]
        return body

    def create_usage_plan_key(self, ctx: RequestContext, params: dict) -> dict:
        plan = self.state.plan(ctx.scope, params["usagePlanId"])
        if params["keyType"] != "API_KEY":
            raise bad_request(f"Invalid key type specified: {params['keyType']}")
        key = self.state.key(ctx.scope, params["keyId"])
        if key.id in plan.keys:
            raise conflict(f"Usage Plan {plan.id} cannot be added because API Key {key.id} is already associated "
                           f"with this Usage Plan")
        mine = {stage_ref(s) for s in plan.body.get("apiStages", [])}
        for other in self.state.plans.values(ctx.scope):
            shared = mine & {stage_ref(s) for s in other.body.get("apiStages", [])}
            if key.id in other.keys and shared:
                raise conflict(f"Usage Plan {plan.id} cannot be added because API Key {key.id} cannot reference "
                               f"multiple Usage Plans with the same API Stage: {sorted(shared)[0]}")
        plan.keys.append(key.id)
        self.state.plans.put(ctx.scope, plan.id, plan)
        return self._plan_key(key)

    def _key_in(self, ctx: RequestContext, plan: UsagePlan, key_id: str):
        if key_id not in plan.keys:
            raise not_found("Invalid Usage Plan Key ID specified")
        return self.state.key(ctx.scope, key_id)

    def get_usage_plan_key(self, ctx: RequestContext, params: dict) -> dict:
        plan = self.state.plan(ctx.scope, params["usagePlanId"])
        return self._plan_key(self._key_in(ctx, plan, params["keyId"]))

    def get_usage_plan_keys(self, ctx: RequestContext, params: dict) -> dict:
        plan = self.state.plan(ctx.scope, params["usagePlanId"])
        keys = [self.state.keys.get(ctx.scope, key_id) for key_id in plan.keys]
        items = [self._plan_key(k) for k in keys if k is not None
                 and k.body.get("name", "").startswith(params.get("nameQuery") or "")]
        return listing(self.paginator, items, params, query=params.get("nameQuery"))

    def delete_usage_plan_key(self, ctx: RequestContext, params: dict) -> dict:
        plan = self.state.plan(ctx.scope, params["usagePlanId"])
        key = self._key_in(ctx, plan, params["keyId"])
        with self.state.store.transaction():
            plan.keys.remove(key.id)
            self.state.plans.put(ctx.scope, plan.id, plan)
            self.state.usage.forget(ctx.scope, plan.id, key.id)
        return {}

    # -- usage ----------------------------------------------------------------------------------
    def get_usage(self, ctx: RequestContext, params: dict) -> dict:
        plan = self.state.plan(ctx.scope, params["usagePlanId"])
        first, last = _day(params["startDate"]), _day(params["endDate"])
        if last < first:
            raise bad_request("The end date must not be before the start date")
        if (last - first).days > 90:
            raise bad_request("The usage data can only be queried for up to 90 days")
        key_ids = list(plan.keys)
        if params.get("keyId"):
            self._key_in(ctx, plan, params["keyId"])
            key_ids = [params["keyId"]]
        items = {key_id: self._days(ctx, plan, key_id, first, last) for key_id in key_ids}
        page = listing(self.paginator, sorted(items), params, query=[plan.id, params.get("keyId"), first.isoformat(),
                                                                     last.isoformat()])
        result = {"usagePlanId": plan.id, "startDate": first.isoformat(), "endDate": last.isoformat(),
                  "items": {key_id: items[key_id] for key_id in page["items"]}}
        if "position" in page:
            result["position"] = page["position"]
        return result

    def _days(self, ctx: RequestContext, plan: UsagePlan, key_id: str, first: date, last: date) -> list[list[int]]:
        """[used, remaining] for each day from first to last: remaining is what the quota had
        left at the end of that day (0 for a plan without a quota)."""
        used = self.state.usage.used_by_day(ctx.scope, plan.id, key_id, first, last)
        quota = plan.body.get("quota")
        days = []
        day = first
        while day <= last:
            remaining = 0
            if quota:
                start = period_start(quota["period"], quota.get("offset", 0),
                                     datetime(day.year, day.month, day.day, tzinfo=timezone.utc))
                remaining = max(0, quota["limit"] - self.state.usage.used_in_period(ctx.scope, plan.id, key_id, start, day))
            days.append([used.get(day, 0), remaining])
            day += timedelta(days=1)
        return days

    def update_usage(self, ctx: RequestContext, params: dict) -> dict:
        plan = self.state.plan(ctx.scope, params["usagePlanId"])
        key = self._key_in(ctx, plan, params["keyId"])
        quota = plan.body.get("quota")
        for operation in params.get("patchOperations") or []:
            if operation.get("op") != "replace" or operation.get("path") != "/remaining":
                raise bad_request(f"Invalid patch path '{operation.get('path')}' specified for op "
                                  f"'{operation.get('op')}'. Must be one of: [/remaining]")
            if not quota:
                raise bad_request(f"Usage plan {plan.id} does not have a quota")
            try:
                remaining = int(operation.get("value"))
            except (TypeError, ValueError):
                raise bad_request(f"Invalid remaining quota value: {operation.get('value')}") from None
            now = clock.now()
            start = period_start(quota["period"], quota.get("offset", 0), now)
            self.state.usage.set_remaining(ctx.scope, plan.id, key.id, start, now.date(), quota["limit"], remaining)
        today = clock.now().date()
        return {"usagePlanId": plan.id, "startDate": today.isoformat(), "endDate": today.isoformat(),
                "items": {key.id: self._days(ctx, plan, key.id, today, today)}}


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise bad_request(f"Invalid date format: {text}. The date must be in the format yyyy-MM-dd") from None


def _api_stages(body: dict, operation: dict) -> bool:
    """``add``/``remove`` of ``/apiStages`` with ``"<apiId>:<stage>"``, and the per-method throttles
    ``/apiStages/<apiId>:<stage>/throttle/<resource path>/<METHOD>/{rateLimit,burstLimit}``."""
    path = operation.get("path", "")
    if not path.startswith("/apiStages"):
        return False
    stages = body.setdefault("apiStages", [])
    if path == "/apiStages":
        api_id, _, stage = str(operation.get("value") or "").partition(":")
        if not api_id or not stage:
            raise bad_request(f"Invalid API stage specified: {operation.get('value')}. Must be <apiId>:<stage>")
        if operation["op"] == "add":
            if all(stage_ref(s) != f"{api_id}:{stage}" for s in stages):
                stages.append({"apiId": api_id, "stage": stage})
        elif operation["op"] == "remove":
            body["apiStages"] = [s for s in stages if stage_ref(s) != f"{api_id}:{stage}"]
        else:
            raise bad_request(f"Invalid patch operation specified for /apiStages: {operation['op']}")
        return True
    # "/apiStages/<api>:<stage>/throttle/<resource path>/<METHOD>[/<limit>]", the resource path's "/" as "~1"
    # (and the method either its own part or escaped into the path's last one: "~1pets~1GET").
    parts = path.split("/")
    target = next((s for s in stages if len(parts) > 2 and stage_ref(s) == parts[2]), None)
    if target is None or len(parts) < 5 or parts[3] != "throttle":
        raise bad_request(f"Invalid patch path {path}")
    limit = parts[-1] if parts[-1] in ("rateLimit", "burstLimit") else None
    method_key = "/".join(patch.unescape(part) for part in parts[4:len(parts) - (1 if limit else 0)])
    if method_key.count("/") < 2:
        raise bad_request(f"Invalid patch path {path}")
    throttles = target.setdefault("throttle", {})
    if operation["op"] == "remove" and limit is None:
        throttles.pop(method_key, None)
    elif limit is not None and operation["op"] in ("add", "replace"):
        member = patch.shape("ThrottleSettings").members[limit]
        throttles.setdefault(method_key, {})[limit] = patch.coerce(member, operation.get("value"), path)
    else:
        raise bad_request(f"Invalid patch path {path}")
    return True
