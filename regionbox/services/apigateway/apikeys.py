"""API keys: CreateApiKey, GetApiKey(s), UpdateApiKey, DeleteApiKey.

A key's value is given (at least 20 characters, unique in the account and region) or generated
(40 characters). Keys are created disabled unless ``enabled`` is true, as on AWS; the value is
shown by CreateApiKey, and by GetApiKey(s) only with ``includeValue(s)``.
"""

from __future__ import annotations

import csv
import io
import time

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.services.apigateway import patch
from regionbox.services.apigateway.models import ApiKey, new_id, new_key_value
from regionbox.services.apigateway.paging import listing
from regionbox.services.apigateway.state import ApiGatewayState, bad_request, conflict
from regionbox.services.apigateway.tags import checked_tags
from regionbox.services.apigateway.usage_plans import UsagePlans

KEY_WRITABLE = ("name", "description", "enabled", "customerId")


def shown(key: ApiKey, with_value: bool) -> dict:
    body = dict(key.body)
    if not with_value:
        body.pop("value", None)
    return body


class ApiKeys:
    def __init__(self, state: ApiGatewayState, paginator: Paginator, plans: UsagePlans) -> None:
        self.state = state
        self.paginator = paginator
        self.plans = plans
        self._index: dict[tuple[Scope, str], str] = {}  # (scope, value) -> key id

    def by_value(self, scope: Scope, value: str) -> ApiKey | None:
        """The key with this value. The index is only a hint (checked against the key itself, and
        rebuilt on a miss), so no write path has to keep it exact."""
        key = self.state.keys.get(scope, self._index.get((scope, value), ""))
        if key is not None and key.body.get("value") == value:
            return key
        found = None
        for key in self.state.keys.values(scope):
            self._index[(scope, key.body.get("value"))] = key.id
            if key.body.get("value") == value:
                found = key
        return found

    def create_api_key(self, ctx: RequestContext, params: dict) -> dict:
        value = params.get("value")
        if value is not None:
            if len(value) < 20:
                raise bad_request("API Key value should be at least 20 characters")
            if self.by_value(ctx.scope, value) is not None:
                raise conflict("API Key already exists")
        else:
            value = new_key_value()
        key_id = new_id(10)
        now = int(time.time())
        body = {"id": key_id, "value": value, "enabled": bool(params.get("enabled", False)), "createdDate": now,
                "lastUpdatedDate": now, "stageKeys": []}
        for member in ("name", "description", "customerId"):
            if params.get(member) is not None:
                body[member] = params[member]
        for stage_key in params.get("stageKeys") or []:
            self.state.stage(ctx.scope, stage_key.get("restApiId", ""), stage_key.get("stageName", ""))
            body["stageKeys"].append(f"{stage_key['restApiId']}/{stage_key['stageName']}")
        tags = checked_tags(params.get("tags"))
        if tags:
            body["tags"] = tags
        key = ApiKey(key_id, body)
        self.state.keys.put(ctx.scope, key_id, key)
        return dict(body)

    def import_api_keys(self, ctx: RequestContext, params: dict) -> dict:
        """API keys from CSV (columns Name, Key, Description, Enabled, UsagePlanIds, in any order and
        case; Key is required): created, and added to the plans named, in one transaction."""
        if params.get("format") != "csv":
            raise bad_request("Invalid format specified. Valid options are csv")
        text = (params.get("body") or b"").decode("utf-8-sig", "replace")
        rows = list(csv.reader(io.StringIO(text)))
        if not rows:
            raise bad_request("Invalid API key CSV: no header row")
        columns = [name.strip().lower() for name in rows[0]]
        if "key" not in columns:
            raise bad_request("Invalid API key CSV: the header must name a Key column")
        ids, warnings = [], []
        with self.state.store.transaction():
            for number, row in enumerate(rows[1:], start=2):
                if not any(cell.strip() for cell in row):
                    continue
                fields = dict(zip(columns, (cell.strip() for cell in row)))
                arguments = {"value": fields.get("key", ""), "enabled": fields.get("enabled", "false").lower() == "true"}
                for column, member in (("name", "name"), ("description", "description"), ("customerid", "customerId")):
                    if fields.get(column):
                        arguments[member] = fields[column]
                created = None
                try:
                    plan_ids = [p.strip() for p in fields.get("usageplanids", "").split(":") if p.strip()]
                    for plan_id in plan_ids:
                        self.state.plan(ctx.scope, plan_id)
                    created = self.create_api_key(ctx, arguments)
                    for plan_id in plan_ids:
                        self.plans.create_usage_plan_key(ctx, {"usagePlanId": plan_id, "keyId": created["id"],
                                                               "keyType": "API_KEY"})
                except ServiceError as error:
                    if created is not None:  # not half a key: out of the plans it joined, and gone
                        self.delete_api_key(ctx, {"apiKey": created["id"]})
                    if params.get("failOnWarnings"):
                        raise bad_request(f"Invalid API key on line {number}: {error.message}") from None
                    warnings.append(f"Line {number}: {error.message}")
                    continue
                ids.append(created["id"])
        return {"ids": ids, "warnings": warnings}

    def get_api_key(self, ctx: RequestContext, params: dict) -> dict:
        return shown(self.state.key(ctx.scope, params["apiKey"]), bool(params.get("includeValue")))

    def get_api_keys(self, ctx: RequestContext, params: dict) -> dict:
        keys = self.state.keys.values(ctx.scope)
        if params.get("nameQuery"):
            keys = [k for k in keys if k.body.get("name", "").startswith(params["nameQuery"])]
        if params.get("customerId"):
            keys = [k for k in keys if k.body.get("customerId") == params["customerId"]]
        items = [shown(k, bool(params.get("includeValues"))) for k in keys]
        return listing(self.paginator, items, params, query=[params.get("nameQuery"), params.get("customerId")])

    def update_api_key(self, ctx: RequestContext, params: dict) -> dict:
        key = self.state.key(ctx.scope, params["apiKey"])
        body = patch.apply(dict(key.body), params.get("patchOperations"), "ApiKey", KEY_WRITABLE)
        body["lastUpdatedDate"] = int(time.time())
        key.body = body
        self.state.keys.put(ctx.scope, key.id, key)
        return shown(key, False)

    def delete_api_key(self, ctx: RequestContext, params: dict) -> dict:
        key = self.state.key(ctx.scope, params["apiKey"])
        with self.state.store.transaction():
            for plan in self.state.plans.values(ctx.scope):
                if key.id in plan.keys:
                    plan.keys.remove(key.id)
                    self.state.plans.put(ctx.scope, plan.id, plan)
                    self.state.usage.forget(ctx.scope, plan.id, key.id)
            self.state.keys.delete(ctx.scope, key.id)
        return {}
