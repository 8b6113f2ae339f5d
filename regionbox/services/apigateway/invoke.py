"""The data plane: calls to a deployed stage, as ``https://<api>.execute-api.<region>.amazonaws.com/<stage>/...``.

Two addresses reach it on the cloud's own port (services/__init__.py declares them):

- by Host: ``<api>.execute-api.localhost:4566/<stage>/<path>`` (also ``<api>.execute-api.<region>.localhost``
  and AWS's own ``<api>.execute-api.<region>.amazonaws.com`` with the Host header set);
- by path, for clients that cannot set a Host: ``/_aws/execute-api/<api>/<stage>/<path>`` and
  ``/restapis/<api>/<stage>/_user_request_/<path>``, the forms LocalStack users know. Other
  ``/restapis/...`` requests are the control plane's.

A call goes through what AWS checks, in AWS's order, each refusal a gateway response
(responses.py) the API may customize: the stage exists (else 403 Forbidden; a canary takes its
share of calls, with its own deployment); a deployed resource and method match (else 403 Missing
Authentication Token); AWS_IAM methods a signature and execute-api:Invoke (signed_calls.py), CUSTOM and Cognito
methods their authorizer's verdict (authorizers.py); an API key is required and valid, enabled and
in a usage plan of this stage (else 403 Forbidden); throttling (the account's 10,000 a second, the
stage's method settings, the plan's per-method or plan throttle: token buckets per key and stage,
429 Too Many Requests) and the plan's quota (429 Limit Exceeded); the call is counted for the key;
the method's request validator checks parameters and body (400, validation.py); the stage's cache
may answer (cache.py); else the integration does (integrate.py). The stage's access log gets a line.
"""

from __future__ import annotations

import random
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable
from datetime import datetime, timezone

from regionbox.core.store import Scope
from regionbox.protocol.http import BodyTooLarge, HttpRequest, HttpResponse
from regionbox.services.apigateway.account import ACCOUNT_BURST_LIMIT, ACCOUNT_RATE_LIMIT
from regionbox.services.apigateway.access_logs import AccessLogs
from regionbox.services.apigateway.apikeys import ApiKeys
from regionbox.services.apigateway.authorizers import ResultCache, run as run_authorizer
from regionbox.services.apigateway.cache import StageCache, cache_ttl, key_values
from regionbox.services.apigateway.domains import mapped
from regionbox.services.apigateway.integrate import Call, Integrator
from regionbox.services.apigateway.lambda_proxy import event_headers
from regionbox.services.apigateway.models import ApiKey, Deployment, Stage, UsagePlan
from regionbox.services.apigateway.responses import forbidden, gateway_response
from regionbox.services.apigateway.routes import Routes
from regionbox.services.apigateway.signed_calls import SignedCalls, method_arn
from regionbox.services.apigateway.state import ApiGatewayState
from regionbox.services.apigateway.throttling import Throttles
from regionbox.services.apigateway.usage import period_start
from regionbox.services.apigateway.validation import body_is_valid, missing_parameters

_PATH_FORMS = (re.compile(r"^/_aws/execute-api/(?P<api>[^/]+)/(?P<stage>[^/]+)(?P<path>/.*)?$"),
               re.compile(r"^/restapis/(?P<api>[^/]+)/(?P<stage>[^/]+)/_user_request_(?P<path>/.*)?$"))
MAX_PAYLOAD = 10 * 1024 * 1024  # API Gateway's payload limit


@dataclass
class Target:
    api_id: str
    stage: str
    path: str  # raw, percent-encoded, starting with "/"


def target_of(request: HttpRequest) -> Target | None:
    """The API, stage and path a data-plane request names; None for a control-plane request."""
    host = request.host.rsplit(":", 1)[0].lower() if not request.host.endswith("]") else request.host
    if ".execute-api." in host:
        parts = request.path.split("/", 2)
        return Target(host.split(".", 1)[0], parts[1] if len(parts) > 1 else "", "/" + (parts[2] if len(parts) > 2 else ""))
    found = next((m for m in (form.match(request.path) for form in _PATH_FORMS) if m is not None), None)
    if found is None:
        return None
    return Target(found.group("api"), found.group("stage"), found.group("path") or "/")


class Invoker:
    def __init__(self, state: ApiGatewayState, api_keys: ApiKeys, throttles: Throttles, integrator: Integrator,
                 access_logs: AccessLogs, cache: StageCache, signed_calls: SignedCalls,
                 lambda_api: Callable[[], Any], authorizer_cache: ResultCache) -> None:
        self.state = state
        self.authorizer_cache = authorizer_cache
        self.lambda_api = lambda_api
        self.signed_calls = signed_calls
        self.cache = cache
        self.access_logs = access_logs
        self.api_keys = api_keys
        self.throttles = throttles
        self.integrator = integrator
        self._routes: dict[tuple, tuple[Routes, Deployment]] = {}

    def target(self, request: HttpRequest) -> Target | None:
        """target_of, and the calls to a custom domain name (by its name or its regional domain
        name), through its base path mappings: an unmapped path reaches no API (403)."""
        host = request.host.rsplit(":", 1)[0].lower() if not request.host.endswith("]") else request.host
        if host.startswith("d-") or ".execute-api." not in host:
            found = self.state.domain_by_host(host)
            if found is not None:
                routed = mapped(found[1], request.path)
                return Target(*routed) if routed is not None else Target("", "", request.path)
        return target_of(request)

    async def handle(self, request: HttpRequest) -> HttpResponse | None:
        target = self.target(request)
        if target is None:
            return None  # /restapis/... without _user_request_: the control plane's
        request_id = str(uuid.uuid4())
        scope = self.state.scope_of(target.api_id)
        stage = self.state.stages.get(scope, f"{target.api_id}/{target.stage}") if scope else None
        deployed = self._deployed(scope, stage) if scope and stage else None
        if deployed is None:
            return forbidden(request_id)
        canary = stage.body.get("canarySettings") or {}
        if canary.get("deploymentId") and random.random() * 100.0 < float(canary.get("percentTraffic", 0.0)):
            # This call goes to the stage's canary: its deployment, its stage variable overrides.
            deployed = self._deployed(scope, stage, canary["deploymentId"]) or deployed
            variables = {**(stage.body.get("variables") or {}), **(canary.get("stageVariableOverrides") or {})}
            stage = Stage(stage.rest_api_id, stage.name, {**stage.body, "variables": variables})
        started = time.time()
        context = {"requestId": request_id, "extendedRequestId": request_id, "apiId": target.api_id,
                   "stage": target.stage, "httpMethod": request.method, "path": f"/{target.stage}{target.path}",
                   "protocol": "HTTP/1.1", "accountId": scope[0], "requestTimeEpoch": int(started * 1000),
                   "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(started)),
                   "identity": {"sourceIp": request.headers.get("x-forwarded-for", "127.0.0.1").split(",")[0].strip(),
                                "userAgent": request.headers.get("user-agent", ""), "apiKey": "", "apiKeyId": ""}}
        response = await self._serve(request, target, scope, stage, deployed, context, started)
        if stage.body.get("accessLogSettings"):
            self.access_logs.record(stage, context, response, started)
        return response

    async def _serve(self, request: HttpRequest, target: Target, scope: Scope, stage: Stage,
                     deployed: tuple[Routes, Deployment], context: dict, started: float) -> HttpResponse:
        routes, deployment = deployed
        request_id = context["requestId"]

        def refuse(kind: str, message: str | None = None, status: int | None = None) -> HttpResponse:
            return gateway_response(kind, request_id, deployment.gateway_responses, request, context, message, status)

        found = routes.match(target.path, request.method)
        if found is None or found.method is None:
            return refuse("MISSING_AUTHENTICATION_TOKEN")
        method = found.method
        context["resourcePath"], context["resourceId"] = found.resource["path"], found.resource["id"]
        try:  # read before the checks: a signature covers the body
            body = await request.stream.read(MAX_PAYLOAD) if request.stream is not None else request.body
        except BodyTooLarge:
            return refuse("REQUEST_TOO_LARGE")
        if method.get("authorizationType") == "AWS_IAM":
            api = self.state.apis.get(scope, target.api_id)
            arn = method_arn(scope[1], scope[0], target.api_id, stage.name, request.method, target.path)
            refused = self.signed_calls.check(request, body, scope[1], arn, api.body.get("policy") if api else None,
                                              context)
            if refused is not None:
                return refuse(*refused)
        if method.get("authorizationType") in ("CUSTOM", "COGNITO_USER_POOLS"):
            arn = method_arn(scope[1], scope[0], target.api_id, stage.name, request.method, target.path)
            headers, multi_headers = event_headers(request)
            event = {"resource": found.resource["path"], "path": target.path, "httpMethod": request.method,
                     "headers": headers, "multiValueHeaders": multi_headers, "queryStringParameters": dict(request.query) or None,
                     "pathParameters": dict(found.path_params) or None,
                     "stageVariables": stage.body.get("variables") or None, "requestContext": dict(context)}
            refused = await run_authorizer(deployment.authorizers.get(method.get("authorizerId") or ""), request, arn,
                                           event, self.lambda_api, context, self.authorizer_cache,
                                           (scope, target.api_id, stage.name))
            if refused is not None:
                return refuse(*refused)
        key = plan = None
        if method.get("apiKeyRequired"):
            api = self.state.apis.get(scope, target.api_id)
            # apiKeySource AUTHORIZER: the key is the Lambda authorizer's usageIdentifierKey.
            source = api.body.get("apiKeySource", "HEADER") if api is not None else "HEADER"
            value = request.headers.get("x-api-key") if source == "HEADER" else context.get("authorizer_key")
            key, plan = self._key_and_plan(scope, stage, value)
            if key is None or plan is None:
                return refuse("INVALID_API_KEY")
            context["identity"].update(apiKey=key.body.get("value"), apiKeyId=key.id)
        methods = found.resource.get("resourceMethods") or {}
        method_key = f"{found.resource['path']}/{request.method if request.method in methods else 'ANY'}"
        if not self._within_throttles(scope, stage, method_key, key, plan):
            return refuse("THROTTLED")
        if key is not None and plan is not None:
            quota = plan.body.get("quota")
            now = datetime.now(timezone.utc)
            if quota:
                start = period_start(quota["period"], quota.get("offset", 0), now)
                if self.state.usage.used_now(scope, plan.id, key.id, start, now.date()) >= quota["limit"]:
                    return refuse("QUOTA_EXCEEDED")
            self.state.usage.count(scope, plan.id, key.id, now.date())
        invalid = self._invalid(deployment, method, request, found.path_params, body)
        if invalid is not None:
            return refuse(*invalid)
        ttl = cache_ttl(stage, method_key, request.method)
        cache_key = None
        if ttl > 0:
            cache_key = (scope, target.api_id, stage.name, deployment.id, method_key, request.method,
                         key_values(method.get("methodIntegration") or {}, request, found.path_params))
            cached = self.cache.get(cache_key)
            if cached is not None:
                return HttpResponse(cached.status, [(k, request_id if k == "x-amzn-RequestId" else v)
                                                    for k, v in cached.headers], cached.body)
        call = Call(request=request, body=body, request_id=request_id, scope=scope, api_id=target.api_id,
                    stage=stage, resource=found.resource, method=method, path=target.path,
                    path_params=found.path_params, api_key=key, started=started, refuse=refuse,
                    context=context)
        response = await self.integrator.run(call)
        if cache_key is not None:
            self.cache.put(cache_key, ttl, response)
        return response

    def _deployed(self, scope: Scope, stage: Stage, deployment_id: str | None = None) -> tuple[Routes, Deployment] | None:
        """The stage's deployment (or another of its API) and its routes (built once per deployment)."""
        deployment_id = deployment_id or stage.body.get("deploymentId", "")
        cache_key = (scope, stage.rest_api_id, deployment_id)
        deployed = self._routes.get(cache_key)
        if deployed is None:
            deployment = self.state.deployments.get(scope, f"{stage.rest_api_id}/{deployment_id}")
            if deployment is None:
                return None
            if len(self._routes) > 1000:
                self._routes.clear()
            deployed = self._routes[cache_key] = (Routes(deployment.resources), deployment)
        return deployed

    @staticmethod
    def _invalid(deployment: Deployment, method: dict, request: HttpRequest, path_params: dict[str, str],
                 body: bytes) -> tuple[str, str] | None:
        """The method's request validator's verdict: None when the request may go on, else the
        gateway response type and message."""
        validator = deployment.validators.get(method.get("requestValidatorId") or "")
        if validator is None:
            return None
        if validator.get("validateRequestParameters"):
            missing = missing_parameters(method, request, path_params)
            if missing:
                return "BAD_REQUEST_PARAMETERS", f"Missing required request parameters: [{', '.join(missing)}]"
        if validator.get("validateRequestBody") and not body_is_valid(method, deployment.models, request, body):
            return "BAD_REQUEST_BODY", "Invalid request body"
        return None

    def _key_and_plan(self, scope: Scope, stage: Stage, value: str | None) -> tuple[ApiKey | None, UsagePlan | None]:
        if not value:
            return None, None
        key = self.api_keys.by_value(scope, value)
        if key is None or not key.body.get("enabled"):
            return None, None
        ref = f"{stage.rest_api_id}:{stage.name}"
        for plan in self.state.plans.values(scope):
            if key.id in plan.keys and any(f"{s.get('apiId')}:{s.get('stage')}" == ref for s in plan.body.get("apiStages", [])):
                return key, plan
        return key, None

    def _within_throttles(self, scope: Scope, stage: Stage, method_key: str, key: ApiKey | None,
                          plan: UsagePlan | None) -> bool:
        """The account's limit (per region, AWS's default), the stage's method settings, then the
        usage plan's per-method or plan throttle for the key."""
        if not self.throttles.allow(("account", scope), ACCOUNT_RATE_LIMIT, ACCOUNT_BURST_LIMIT):
            return False
        settings = stage.body.get("methodSettings") or {}
        for setting_key in (method_key.lstrip("/"), "*/*"):
            setting = settings.get(setting_key)
            if setting and ("throttlingRateLimit" in setting or "throttlingBurstLimit" in setting):
                bucket = ("stage", stage.rest_api_id, stage.name, setting_key)
                if not self.throttles.allow(bucket, float(setting.get("throttlingRateLimit", 10000.0)),
                                            int(setting.get("throttlingBurstLimit", 5000))):
                    return False
                break
        if key is None or plan is None:
            return True
        api_stage = next((s for s in plan.body.get("apiStages", [])
                          if s.get("apiId") == stage.rest_api_id and s.get("stage") == stage.name), {})
        per_method = (api_stage.get("throttle") or {}).get(method_key)
        limits = per_method or plan.body.get("throttle")
        if not limits:
            return True
        bucket = ("key", plan.id, key.id, stage.rest_api_id, stage.name, method_key if per_method else "")
        return self.throttles.allow(bucket, float(limits.get("rateLimit", 0.0)), int(limits.get("burstLimit", 0)))
