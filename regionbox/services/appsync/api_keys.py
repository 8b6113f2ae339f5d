"""API keys: Create/List/Update/DeleteApiKey. A key works until ``expires`` (epoch seconds,
rounded down to the hour as AppSync rounds it); the data plane refuses it after that, and
AppSync deletes it 60 days later (``deletes``)."""

from __future__ import annotations

import time

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.appsync.common import drop_none, new_id, page
from regionbox.services.appsync.models import ApiKey
from regionbox.services.appsync.state import AppSyncState, not_found

HOUR, DAY = 3600, 86400
MAX_KEYS = 50


def describe(key: ApiKey) -> dict:
    return drop_none({"id": key.id, "description": key.description, "expires": key.expires, "deletes": key.deletes})


def _expiry(params: dict, now: float) -> int:
    expires = params.get("expires")
    if expires is None:
        expires = int(now) + 7 * DAY
    expires = expires // HOUR * HOUR
    if expires < now + DAY - HOUR:
        raise ServiceError("ApiKeyValidityOutOfBoundsException", "API key must be valid for a minimum of 1 day.")
    if expires > now + 365 * DAY:
        raise ServiceError("ApiKeyValidityOutOfBoundsException", "API key must be valid for a maximum of 365 days.")
    return expires


class ApiKeys:
    def __init__(self, state: AppSyncState, paginator) -> None:
        self.state = state
        self.paginator = paginator

    def _live(self, ctx: RequestContext, api_id: str) -> list[ApiKey]:
        now = time.time()
        return [k for k in self.state.children(self.state.api_keys, ctx.scope, api_id) if k.deletes > now]

    def create_api_key(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.any_api(ctx.scope, params["apiId"])
        if len(self._live(ctx, api.api_id)) >= MAX_KEYS:
            raise ServiceError("ApiKeyLimitExceededException", "The API key exceeded a limit. Try your request again.")
        expires = _expiry(params, time.time())
        key = ApiKey(api_id=api.api_id, id=f"da2-{new_id()}", expires=expires, deletes=expires + 60 * DAY,
                     description=params.get("description"))
        self.state.api_keys.put(ctx.scope, f"{api.api_id}/{key.id}", key)
        return {"apiKey": describe(key)}

    def list_api_keys(self, ctx: RequestContext, params: dict) -> dict:
        self.state.any_api(ctx.scope, params["apiId"])
        found, token = page(self.paginator, self._live(ctx, params["apiId"]), params, query=params["apiId"])
        return drop_none({"apiKeys": [describe(k) for k in found], "nextToken": token})

    def _get(self, ctx: RequestContext, params: dict) -> ApiKey:
        self.state.any_api(ctx.scope, params["apiId"])
        key = self.state.api_keys.get(ctx.scope, f"{params['apiId']}/{params['id']}")
        if key is None or key.deletes <= time.time():
            raise not_found(f"API key {params['id']} not found.")
        return key

    def update_api_key(self, ctx: RequestContext, params: dict) -> dict:
        key = self._get(ctx, params)
        if "expires" in params:
            key.expires = _expiry(params, time.time())
            key.deletes = key.expires + 60 * DAY
        if "description" in params:
            key.description = params["description"]
        self.state.api_keys.put(ctx.scope, f"{key.api_id}/{key.id}", key)
        return {"apiKey": describe(key)}

    def delete_api_key(self, ctx: RequestContext, params: dict) -> dict:
        key = self._get(ctx, params)
        self.state.api_keys.delete(ctx.scope, f"{key.api_id}/{key.id}")
        return {}

    def valid(self, scope, api_id: str, key_id: str) -> bool:
        """Whether the data plane takes this key now: it exists and has not expired."""
        key = self.state.api_keys.get(scope, f"{api_id}/{key_id}")
        return key is not None and key.expires > time.time()
