"""API keys: CreateApiKey, GetApiKey(s), UpdateApiKey, DeleteApiKey.

A key's value is given (at least 20 characters, unique in the account and region) or generated
(40 characters). Keys are created disabled unless ``enabled`` is true, as on AWS; the value is
shown by CreateApiKey, and by GetApiKey(s) only with ``includeValue(s)``.
"""

from __future__ import annotations

import time

from regionbox.core.context import RequestContext
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.services.apigateway import patch
from regionbox.services.apigateway.models import ApiKey, new_id, new_key_value
from regionbox.services.apigateway.paging import listing
from regionbox.services.apigateway.state import ApiGatewayState, bad_request, conflict
from regionbox.services.apigateway.tags import checked_tags

KEY_WRITABLE = ("name", "description", "enabled", "customerId")


def shown(key: ApiKey, with_value: bool) -> dict:
    body = dict(key.body)
    if not with_value:
        body.pop("value", None)
    return body


class ApiKeys:
    def __init__(self, state: ApiGatewayState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def by_value(self, scope: Scope, value: str) -> ApiKey | None:
        return next((key for key in self.state.keys.values(scope) if key.body.get("value") == value), None)

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
