"""Authorizers: CreateAuthorizer, GetAuthorizer(s), UpdateAuthorizer, DeleteAuthorizer.

Methods use them as CUSTOM (a TOKEN or REQUEST authorizer: a Lambda function) or
COGNITO_USER_POOLS. On the data plane (``run``): a call without the identity source (or whose token
fails ``identityValidationExpression``) is 401 Unauthorized; a Lambda authorizer is invoked through
Lambda's api with AWS's TOKEN or REQUEST event, as ``apigateway.amazonaws.com``, and its policy
decides (an Allow of execute-api:Invoke on the method's ARN passes, anything else is 403), its
``principalId`` and ``context`` reach ``$context.authorizer`` and its ``usageIdentifierKey`` is the
API key of an API whose key source is AUTHORIZER; a function that cannot be run is 500
``{"message":null}`` (AuthorizerConfigurationException), one that raises "Unauthorized" 401.
Results are cached per stage and identity for ``authorizerResultTtlInSeconds`` (ResultCache), the
policy of a cached result applied to each call's method. regionbox has no
Cognito: a Cognito token is never one of its user pools' (401). No call passes unchecked.
"""

from __future__ import annotations

import fnmatch
import re
import time
from typing import Any, Callable

import orjson

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.protocol.http import HttpRequest
from regionbox.services.apigateway import patch
from regionbox.services.apigateway.integrations import lambda_function
from regionbox.services.apigateway.lambda_proxy import event_headers
from regionbox.services.apigateway.models import new_id
from regionbox.services.apigateway.paging import listing
from regionbox.services.apigateway.state import ApiGatewayState, bad_request, conflict, not_found

TYPES = ("TOKEN", "REQUEST", "COGNITO_USER_POOLS")
AUTHORIZER_WRITABLE = ("name", "providerARNs", "authType", "authorizerUri", "authorizerCredentials", "identitySource",
                       "identityValidationExpression", "authorizerResultTtlInSeconds")
_SOURCE = re.compile(r"^method\.request\.(header|querystring)\.(.+)$")


def check_authorizer(authorizer: dict) -> None:
    kind = authorizer.get("type")
    if kind not in TYPES:
        raise bad_request(f"Invalid authorizer type specified. Valid options are {','.join(TYPES)}")
    if kind == "COGNITO_USER_POOLS" and not authorizer.get("providerARNs"):
        raise bad_request("ProviderARNs need to be specified for COGNITO_USER_POOLS authorizer")
    if kind in ("TOKEN", "REQUEST") and not authorizer.get("authorizerUri"):
        raise bad_request("Authorizer URI must be specified for authorizer of type " + kind)
    if kind == "TOKEN" and not authorizer.get("identitySource"):
        raise bad_request("Identity source must be specified for authorizer of type TOKEN")
    ttl = authorizer.get("authorizerResultTtlInSeconds", 300)
    if not 0 <= ttl <= 3600:
        raise bad_request("Authorizer result TTL must be between 0 and 3600 seconds")


def _identity(authorizer: dict, request: HttpRequest) -> list[str] | None:
    """The identity source values, or None when one is missing."""
    values = []
    for source in [s.strip() for s in (authorizer.get("identitySource") or "").split(",") if s.strip()]:
        found = _SOURCE.match(source)
        if found is not None:
            where, name = found.groups()
            present = request.headers.get(name.lower()) if where == "header" else request.query_param(name)
            if not present:
                return None
            values.append(present)
    return values


def _allows(policy: Any, arn: str) -> bool | None:
    """Whether an authorizer's policy allows execute-api:Invoke on ``arn`` (None: malformed)."""
    if not isinstance(policy, dict) or not isinstance(policy.get("Statement"), (list, dict)):
        return None
    statements = policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
    allowed = False
    for statement in statements:
        if not isinstance(statement, dict):
            return None
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if any(fnmatch.fnmatchcase("execute-api:Invoke", a) for a in actions) and \
                any(fnmatch.fnmatchcase(arn, r) for r in resources):
            if statement.get("Effect") == "Deny":
                return False
            allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


class ResultCache:
    """Authorizers' results per stage, for ``authorizerResultTtlInSeconds`` (0: not cached), keyed by
    the identity source's values, as AWS caches them; FlushStageAuthorizersCache empties a stage's."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._entries: dict[tuple, tuple[float, dict]] = {}

    def get(self, key: tuple) -> dict | None:
        found = self._entries.get(key)
        if found is None or found[0] <= self.clock():
            self._entries.pop(key, None)
            return None
        return found[1]

    def put(self, key: tuple, ttl: int, result: dict) -> None:
        if ttl <= 0:
            return
        if len(self._entries) >= 10_000:
            self._entries.clear()
        self._entries[key] = (self.clock() + ttl, result)

    def flush(self, scope: tuple, api_id: str, stage: str) -> None:
        for key in [k for k in self._entries if k[:3] == (scope, api_id, stage)]:
            del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()


async def evaluate(authorizer: dict | None, request: HttpRequest, call_arn: str, event_base: dict,
                   lambda_api: Callable[[], Any]) -> tuple[tuple[str, str | None] | None, dict | None, list[str]]:
    """Run the authorizer for a request: (refusal, None, values) when it refuses before a policy
    (gateway response type, message), else (None, the function's answer, the identity values)."""
    if authorizer is None:
        return ("AUTHORIZER_CONFIGURATION_ERROR", None), None, []
    values = _identity(authorizer, request)
    if values is None:
        return ("UNAUTHORIZED", None), None, []
    if authorizer["type"] == "COGNITO_USER_POOLS":
        return ("UNAUTHORIZED", None), None, values
    pattern = authorizer.get("identityValidationExpression")
    if authorizer["type"] == "TOKEN" and pattern and not re.fullmatch(pattern, values[0] if values else ""):
        return ("UNAUTHORIZED", None), None, values
    function = lambda_function(authorizer.get("authorizerUri", ""))
    if function is None:
        return ("AUTHORIZER_CONFIGURATION_ERROR", None), None, values
    if authorizer["type"] == "TOKEN":
        event = {"type": "TOKEN", "authorizationToken": values[0] if values else "", "methodArn": call_arn}
    else:
        event = {"type": "REQUEST", "methodArn": call_arn, **event_base}
    account, region = call_arn.split(":")[4], call_arn.split(":")[3]
    api_id = call_arn.split(":")[5].split("/", 1)[0]
    trusted = bool(authorizer.get("authorizerCredentials"))
    try:
        answer = await lambda_api().invoke(
            account, function.split(":")[3] if function.startswith("arn:") else region, function, orjson.dumps(event),
            principal=None if trusted else "apigateway.amazonaws.com",
            source_arn=None if trusted else f"arn:aws:execute-api:{region}:{account}:{api_id}/authorizers/{authorizer['id']}",
            source_account=None if trusted else account)
    except ServiceError:
        return ("AUTHORIZER_CONFIGURATION_ERROR", None), None, values
    try:
        result = answer.json()
    except orjson.JSONDecodeError:
        result = None
    if answer.function_error:
        unauthorized = isinstance(result, dict) and result.get("errorMessage") == "Unauthorized"
        return (("UNAUTHORIZED", None) if unauthorized else ("AUTHORIZER_CONFIGURATION_ERROR", None)), None, values
    if not isinstance(result, dict) or not result.get("principalId") or _allows(result.get("policyDocument"), call_arn) is None:
        return ("AUTHORIZER_CONFIGURATION_ERROR", None), None, values
    return None, result, values


def verdict(result: dict, call_arn: str, context: dict) -> tuple[str, str | None] | None:
    """A function's answer applied to a call: None when its policy allows it (``context`` then
    has the authorizer's principal and context), else the refusal."""
    if not _allows(result.get("policyDocument"), call_arn):
        return "ACCESS_DENIED", "User is not authorized to access this resource"
    extra = result.get("context") if isinstance(result.get("context"), dict) else {}
    context["authorizer"] = {**{k: v for k, v in extra.items() if isinstance(v, (str, int, float, bool))},
                             "principalId": str(result["principalId"])}
    if result.get("usageIdentifierKey"):
        context["authorizer_key"] = str(result["usageIdentifierKey"])
    return None


async def run(authorizer: dict | None, request: HttpRequest, call_arn: str, event_base: dict,
              lambda_api: Callable[[], Any], context: dict, cache: ResultCache | None = None,
              cache_scope: tuple = ()) -> tuple[str, str | None] | None:
    """None when the call may go on (``context["authorizer"]`` then set), else (gateway
    response type, message). With ``cache``, a result is kept per (scope, API, stage) and identity."""
    ttl = int((authorizer or {}).get("authorizerResultTtlInSeconds", 300))
    values = _identity(authorizer, request) if authorizer is not None else None
    key = (*cache_scope, authorizer["id"], tuple(values)) if cache is not None and values and ttl > 0 else None
    result = cache.get(key) if key is not None else None
    if result is None:
        refused, result, _ = await evaluate(authorizer, request, call_arn, event_base, lambda_api)
        if refused is not None:
            return refused
        if key is not None:
            cache.put(key, ttl, result)
    return verdict(result, call_arn, context)


class Authorizers:
    def __init__(self, state: ApiGatewayState, paginator: Paginator, cache: ResultCache,
                 lambda_api: Callable[[], Any]) -> None:
        self.state = state
        self.paginator = paginator
        self.cache = cache
        self.lambda_api = lambda_api

    async def test_invoke_authorizer(self, ctx: RequestContext, params: dict) -> dict:
        """The API's authorizer (as saved, not as deployed) run on the request described, its Lambda
        function really invoked; the answer says what it decided, as AWS's console test shows."""
        api = self.state.api(ctx.scope, params["restApiId"])
        authorizer = self._authorizer(api, params["authorizerId"])
        path, _, query = (params.get("pathWithQueryString") or "/").partition("?")
        headers: dict[str, str] = {}
        raw: list[tuple[str, str]] = []
        for name, values in [*((k, [v]) for k, v in (params.get("headers") or {}).items()),
                             *(params.get("multiValueHeaders") or {}).items()]:
            for value in values:
                headers[name.lower()] = f"{headers[name.lower()]},{value}" if name.lower() in headers else value
                raw.append((name, value))
        body = (params.get("body") or "").encode()
        request = HttpRequest(method="GET", path=path, query_string=query, headers=headers, body=body,
                              host=headers.get("host", ""), raw_headers=raw)
        arn = f"arn:aws:execute-api:{ctx.region}:{ctx.account_id}:{api.id}/ESTestInvoke-stage/GET{path}"
        sent, multi = event_headers(request)
        event = {"resource": path, "path": path, "httpMethod": "GET", "headers": sent, "multiValueHeaders": multi,
                 "queryStringParameters": dict(request.query) or None, "pathParameters": None,
                 "stageVariables": params.get("stageVariables") or None,
                 "requestContext": {"accountId": ctx.account_id, "apiId": api.id, "stage": "test-invoke-stage",
                                    "httpMethod": "GET", "path": path, "resourcePath": path,
                                    "requestId": ctx.request_id}}
        started = time.monotonic()
        refused, result, _ = await evaluate(authorizer, request, arn, event, self.lambda_api)
        latency = int((time.monotonic() - started) * 1000)
        if refused is not None:
            status = 401 if refused[0] == "UNAUTHORIZED" else 500
            return {"clientStatus": status, "latency": latency,
                    "log": f"Execution log for request {ctx.request_id}\nAuthorizer {authorizer['name']}: {refused[0]}\n"}
        return {"clientStatus": 200, "latency": latency, "principalId": str(result["principalId"]),
                "policy": orjson.dumps(result.get("policyDocument")).decode(),
                "authorization": {}, "claims": {},
                "log": f"Execution log for request {ctx.request_id}\nAuthorizer {authorizer['name']} returned a policy "
                       f"for principal {result['principalId']}\n"}

    def flush_stage_authorizers_cache(self, ctx: RequestContext, params: dict) -> dict:
        self.state.api(ctx.scope, params["restApiId"])
        self.state.stage(ctx.scope, params["restApiId"], params["stageName"])
        self.cache.flush(ctx.scope, params["restApiId"], params["stageName"])
        return {}

    def _authorizer(self, api, authorizer_id: str) -> dict:
        found = api.authorizers.get(authorizer_id)
        if found is None:
            raise not_found("Invalid Authorizer identifier specified")
        return found

    def create_authorizer(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        authorizer = {"id": new_id(6), "name": params["name"], "type": params["type"],
                      "authorizerResultTtlInSeconds": params.get("authorizerResultTtlInSeconds", 300)}
        for member in ("providerARNs", "authType", "authorizerUri", "authorizerCredentials", "identitySource",
                       "identityValidationExpression"):
            if params.get(member) is not None:
                authorizer[member] = params[member]
        if authorizer["type"] == "COGNITO_USER_POOLS":
            authorizer.setdefault("identitySource", "method.request.header.Authorization")
        check_authorizer(authorizer)
        api.authorizers[authorizer["id"]] = authorizer
        self.state.apis.put(ctx.scope, api.id, api)
        return dict(authorizer)

    def get_authorizer(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        return dict(self._authorizer(api, params["authorizerId"]))

    def get_authorizers(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        return listing(self.paginator, [dict(a) for a in api.authorizers.values()], params)

    def update_authorizer(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        authorizer = self._authorizer(api, params["authorizerId"])
        changed = patch.apply(dict(authorizer), params.get("patchOperations"), "Authorizer", AUTHORIZER_WRITABLE)
        check_authorizer(changed)
        api.authorizers[authorizer["id"]] = changed
        self.state.apis.put(ctx.scope, api.id, api)
        return dict(changed)

    def delete_authorizer(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        authorizer = self._authorizer(api, params["authorizerId"])
        for resource in api.resources.values():
            for name, method in (resource.get("resourceMethods") or {}).items():
                if method.get("authorizerId") == authorizer["id"]:
                    raise conflict(f"Cannot delete authorizer '{authorizer['name']}', is referenced in method: "
                                   f"{name} {resource['path']}")
        del api.authorizers[authorizer["id"]]
        self.state.apis.put(ctx.scope, api.id, api)
        return {}
