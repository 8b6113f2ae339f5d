"""Stage caches: with a stage's cache cluster enabled, the answers of methods whose method settings
enable caching (a ``*/*`` setting caches GET methods only, as AWS's default) are kept for
``cacheTtlInSeconds`` and served again, keyed by the method and the values of its integration's
``cacheKeyParameters``; FlushStageCache empties a stage's cache. Only successful (2xx) answers
are kept. The cache lives in memory, as AWS's cache cluster does not outlive its stage either.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Callable
from urllib.parse import parse_qsl

from regionbox.core.context import RequestContext
from regionbox.protocol.http import HttpRequest, HttpResponse
from regionbox.services.apigateway.models import Stage
from regionbox.services.apigateway.state import ApiGatewayState

_MAX_ENTRIES = 10_000


def cache_ttl(stage: Stage, method_key: str, http_method: str) -> int:
    """Seconds a call's answer is kept (0: not cached)."""
    if not stage.body.get("cacheClusterEnabled"):
        return 0
    settings = stage.body.get("methodSettings") or {}
    own = settings.get(method_key.lstrip("/"))
    setting = own or settings.get("*/*")
    if not setting or not setting.get("cachingEnabled") or (own is None and http_method != "GET"):
        return 0
    return int(setting.get("cacheTtlInSeconds", 300))


def key_values(integration: dict, request: HttpRequest, path_params: dict[str, str]) -> tuple:
    query = dict(parse_qsl(request.query_string, keep_blank_values=True))
    values = []
    for name in integration.get("cacheKeyParameters") or []:
        where, _, key = name.removeprefix("method.request.").partition(".")
        source = {"path": path_params, "querystring": query,
                  "header": {k: v for k, v in request.headers.items()}}.get(where, {})
        values.append((name, source.get(key.lower() if where == "header" else key)))
    return tuple(values)


class StageCache:
    def __init__(self, state: ApiGatewayState, clock: Callable[[], float] = time.monotonic) -> None:
        self.state = state
        self.clock = clock
        self._entries: OrderedDict[tuple, tuple[float, HttpResponse]] = OrderedDict()

    def get(self, key: tuple) -> HttpResponse | None:
        found = self._entries.get(key)
        if found is None:
            return None
        expires, response = found
        if expires <= self.clock():
            del self._entries[key]
            return None
        return response

    def put(self, key: tuple, ttl: int, response: HttpResponse) -> None:
        if not 200 <= response.status < 300 or not isinstance(response.body, (bytes, bytearray)):
            return
        self._entries[key] = (self.clock() + ttl, response)
        self._entries.move_to_end(key)
        while len(self._entries) > _MAX_ENTRIES:
            self._entries.popitem(last=False)

    def flush(self, scope: tuple, api_id: str, stage: str) -> None:
        for key in [k for k in self._entries if k[:3] == (scope, api_id, stage)]:
            del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()

    def flush_stage_cache(self, ctx: RequestContext, params: dict) -> dict:
        self.state.api(ctx.scope, params["restApiId"])
        self.state.stage(ctx.scope, params["restApiId"], params["stageName"])
        self.flush(ctx.scope, params["restApiId"], params["stageName"])
        return {}
