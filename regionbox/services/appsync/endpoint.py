"""The GraphQL endpoint over HTTP: ``POST /graphql`` on ``<apiId>.appsync-api.<region>.localhost``,
or ``POST /graphql/<apiId>`` on any host (no DNS needed). The request is authenticated as the API
allows (auth.py) and run (execution.py); answers are AppSync's JSON, errors included."""

from __future__ import annotations

import re

import orjson

from regionbox.core import ids
from regionbox.protocol.http import BodyTooLarge, HttpRequest, HttpResponse
from regionbox.services.appsync.auth import Authenticator, Unauthorized
from regionbox.services.appsync.execution import Executor, Run, graphql_error
from regionbox.services.appsync.models import GraphqlApi
from regionbox.services.appsync.state import AppSyncState

_HOST = re.compile(r"([a-z0-9]+)\.appsync-(?:realtime-)?api\.([a-z0-9-]+)\.localhost(:\d+)?$")
_PATH = re.compile(r"/graphql/([a-z0-9]+)(/realtime|/connect)?/?$")
BODY_LIMIT = 1024 * 1024  # AppSync's largest request


def host_api(host: str) -> tuple[str | None, str | None]:
    """(api id, region) from an API's own host, ``<apiId>.appsync-[realtime-]api.<region>.localhost``."""
    matched = _HOST.match(host.lower())
    return (matched.group(1), matched.group(2)) if matched else (None, None)


def api_id_of(host: str, path: str) -> tuple[str | None, str | None]:
    """(api id, region or None) from the Host (AppSync's own form) or the path (no-DNS form)."""
    api_id, region = host_api(host)
    if api_id and path.rstrip("/") in ("/graphql", "/graphql/realtime", "/graphql/connect"):
        return api_id, region
    matched = _PATH.match(path)
    if matched:
        return matched.group(1), None
    return None, None


def answer(status: int, document: dict, request_id: str) -> HttpResponse:
    body = orjson.dumps(document)
    return HttpResponse(status, [("Content-Type", "application/json; charset=UTF-8"), ("x-amzn-RequestId", request_id),
                                 ("Content-Length", str(len(body)))], body)


class Endpoint:
    def __init__(self, state: AppSyncState, executor: Executor, authenticator: Authenticator, domains) -> None:
        self.state = state
        self.domains = domains  # DomainNames: a custom domain's Host routes to its API
        self.executor = executor
        self.authenticator = authenticator

    def locate(self, api_id: str | None, region: str | None) -> tuple[tuple[str, str], GraphqlApi] | None:
        return self.state.locate(self.state.apis, api_id, region)

    def find(self, host: str, path: str, realtime: bool = False) -> tuple[tuple[str, str], GraphqlApi] | None:
        """The API a request names: by AppSync's host or path forms, or by a custom domain."""
        return self.locate(*api_id_of(host, path)) or self.locate(
            *self.domains.route(host, path, "graphql-realtime" if realtime else "graphql"))

    async def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = ids.request_id()
        found = self.find(request.host, request.path)
        if found is None:
            return answer(404, graphql_error("The GraphQL API this URL names does not exist.", "NotFoundException"),
                          request_id)
        if request.method != "POST":
            return answer(405, graphql_error(f"{request.method} is not supported: send the GraphQL request as a POST.",
                                             "MethodNotAllowed"), request_id)
        scope, api = found
        try:
            raw = await request.stream.read(BODY_LIMIT) if request.stream is not None else request.body
        except BodyTooLarge:
            return answer(413, graphql_error("The request body is larger than AppSync accepts.",
                                             "PayloadTooLargeException"), request_id)
        request.stream = None
        try:
            who = await self.authenticator.authenticate(api, scope, request.headers, request.path, raw)
        except Unauthorized as refused:
            return answer(401, graphql_error(refused.message, "UnauthorizedException"), request_id)
        try:
            document = orjson.loads(raw)
            if not isinstance(document, dict):
                raise ValueError
        except (orjson.JSONDecodeError, ValueError):
            return answer(400, graphql_error("Unable to parse GraphQL query.", "MalformedHttpRequestException"),
                          request_id)
        variables = document.get("variables") or {}
        if not isinstance(variables, dict):
            return answer(400, graphql_error("Variables must be a JSON object.", "MalformedHttpRequestException"),
                          request_id)
        run = Run(api, scope, who, dict(request.headers), variables)
        return answer(200, await self.executor.run(run, document.get("query"), document.get("operationName")),
                      request_id)
