"""Stages: CreateStage, GetStage(s), UpdateStage, DeleteStage.

A stage points at a deployment and carries stage variables and method settings. Method settings
are patched by paths of their own (``/*/*/throttling/rateLimit``, ``/~1pets/GET/logging/loglevel``)
and stored under ``"<resource path>/<METHOD>"`` ("*/*" for every method); the data plane applies a
stage's throttling settings to every caller of the stage.
"""

from __future__ import annotations

import re
import time

from regionbox.core.context import RequestContext
from regionbox.services.apigateway import patch
from regionbox.services.apigateway.models import Stage
from regionbox.services.apigateway.state import ApiGatewayState, bad_request, conflict

_STAGE_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
STAGE_WRITABLE = ("description", "deploymentId", "variables", "cacheClusterEnabled", "cacheClusterSize",
                  "tracingEnabled", "clientCertificateId", "documentationVersion", "webAclArn", "accessLogSettings",
                  "canarySettings")
# The method-settings part of a patch path -> the MethodSetting member it sets.
SETTING_PATHS = {
    "metrics/enabled": "metricsEnabled", "logging/loglevel": "loggingLevel", "logging/dataTrace": "dataTraceEnabled",
    "throttling/burstLimit": "throttlingBurstLimit", "throttling/rateLimit": "throttlingRateLimit",
    "caching/enabled": "cachingEnabled", "caching/ttlInSeconds": "cacheTtlInSeconds",
    "caching/dataEncrypted": "cacheDataEncrypted",
    "caching/requireAuthorizationForCacheControl": "requireAuthorizationForCacheControl",
    "caching/unauthorizedCacheControlHeaderStrategy": "unauthorizedCacheControlHeaderStrategy",
}
# What a method setting holds before anything is set (AWS fills every member in).
SETTING_DEFAULTS = {
    "metricsEnabled": False, "loggingLevel": "OFF", "dataTraceEnabled": False, "throttlingBurstLimit": 5000,
    "throttlingRateLimit": 10000.0, "cachingEnabled": False, "cacheTtlInSeconds": 300, "cacheDataEncrypted": False,
    "requireAuthorizationForCacheControl": True, "unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER",
}


def check_canary(canary: dict) -> None:
    if not 0.0 <= float(canary.get("percentTraffic", 0.0)) <= 100.0:
        raise bad_request("Canary traffic percentage must be between 0.0 and 100.0")


def check_stage_name(name: str) -> None:
    if not _STAGE_NAME.match(name):
        raise bad_request("Stage name only allows a-zA-Z0-9_")


class Stages:
    def __init__(self, state: ApiGatewayState) -> None:
        self.state = state

    def _put(self, ctx: RequestContext, stage: Stage) -> None:
        self.state.stages.put(ctx.scope, f"{stage.rest_api_id}/{stage.name}", stage)

    def deploy(self, ctx: RequestContext, api_id: str, name: str, deployment_id: str, params: dict) -> Stage:
        """CreateDeployment's stageName: the stage, made or moved to the new deployment."""
        check_stage_name(name)
        now = int(time.time())
        stage = self.state.stages.get(ctx.scope, f"{api_id}/{name}")
        canary = params.get("canarySettings")
        if canary is not None:
            # A canary deployment goes to the stage's canary only; the stage keeps serving its own.
            if stage is None:
                raise bad_request(f"Invalid stage identifier specified: a canary deploys to an existing stage, "
                                  f"and {name} does not exist")
            check_canary(canary)
            stage.body["canarySettings"] = {**canary, "deploymentId": deployment_id}
            stage.body["lastUpdatedDate"] = now
            self._put(ctx, stage)
            return stage
        if stage is None:
            stage = Stage(api_id, name, self._body(name, deployment_id, now, params.get("stageDescription"), params))
        else:
            stage.body.update(deploymentId=deployment_id, lastUpdatedDate=now)
            if params.get("variables") is not None:
                stage.body["variables"] = {**stage.body.get("variables", {}), **params["variables"]}
        self._put(ctx, stage)
        return stage

    @staticmethod
    def _body(name: str, deployment_id: str, now: int, description: str | None, params: dict) -> dict:
        body = {"stageName": name, "deploymentId": deployment_id, "cacheClusterEnabled": bool(params.get("cacheClusterEnabled")),
                "cacheClusterStatus": "NOT_AVAILABLE", "methodSettings": {}, "tracingEnabled": bool(params.get("tracingEnabled")),
                "createdDate": now, "lastUpdatedDate": now}
        if description is not None:
            body["description"] = description
        if params.get("variables"):
            body["variables"] = dict(params["variables"])
        if params.get("cacheClusterEnabled"):
            body["cacheClusterSize"] = params.get("cacheClusterSize") or "0.5"
            body["cacheClusterStatus"] = "AVAILABLE"
        return body

    def create_stage(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        name = params["stageName"]
        check_stage_name(name)
        self.state.deployment(ctx.scope, api.id, params["deploymentId"])
        if (ctx.scope, f"{api.id}/{name}") in self.state.stages:
            raise conflict("Stage already exists")
        body = self._body(name, params["deploymentId"], int(time.time()), params.get("description"), params)
        for member in ("documentationVersion", "canarySettings"):
            if params.get(member) is not None:
                body[member] = params[member]
        if params.get("tags"):
            from regionbox.services.apigateway.tags import checked_tags
            body["tags"] = checked_tags(params["tags"])
        stage = Stage(api.id, name, body)
        self._put(ctx, stage)
        return dict(body)

    def get_stage(self, ctx: RequestContext, params: dict) -> dict:
        self.state.api(ctx.scope, params["restApiId"])
        return dict(self.state.stage(ctx.scope, params["restApiId"], params["stageName"]).body)

    def get_stages(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        stages = self.state.stages_of(ctx.scope, api.id)
        if params.get("deploymentId"):
            stages = [s for s in stages if s.body.get("deploymentId") == params["deploymentId"]]
        return {"item": [dict(s.body) for s in stages]}

    def update_stage(self, ctx: RequestContext, params: dict) -> dict:
        self.state.api(ctx.scope, params["restApiId"])
        stage = self.state.stage(ctx.scope, params["restApiId"], params["stageName"])
        body = patch.apply(dict(stage.body), params.get("patchOperations"), "Stage", STAGE_WRITABLE,
                           special=_method_settings)
        if body.get("deploymentId") != stage.body.get("deploymentId"):
            self.state.deployment(ctx.scope, stage.rest_api_id, body.get("deploymentId") or "")
        canary = body.get("canarySettings")
        if canary:
            check_canary(canary)
            if canary.get("deploymentId") != (stage.body.get("canarySettings") or {}).get("deploymentId"):
                self.state.deployment(ctx.scope, stage.rest_api_id, canary.get("deploymentId") or "")
        if body.get("cacheClusterEnabled"):
            body.setdefault("cacheClusterSize", "0.5")
            body["cacheClusterStatus"] = "AVAILABLE"
        else:
            body["cacheClusterStatus"] = "NOT_AVAILABLE"
        body["lastUpdatedDate"] = int(time.time())
        stage.body = body
        self._put(ctx, stage)
        return dict(body)

    def delete_stage(self, ctx: RequestContext, params: dict) -> dict:
        self.state.api(ctx.scope, params["restApiId"])
        stage = self.state.stage(ctx.scope, params["restApiId"], params["stageName"])
        self.state.stages.delete(ctx.scope, f"{stage.rest_api_id}/{stage.name}")
        return {}


def _method_settings(body: dict, operation: dict) -> bool:
    """A patch of ``/<resource path>/<METHOD>/<group>/<setting>`` (or ``remove /<path>/<METHOD>``)."""
    raw = operation.get("path", "").split("/")[1:]
    if not raw or raw[0] in STAGE_WRITABLE or raw[0] in ("stageName", "createdDate", "lastUpdatedDate", "tags"):
        return False
    if len(raw) < 2:
        return False
    key = f"{patch.unescape(raw[0]).lstrip('/')}/{raw[1]}"
    settings = body.setdefault("methodSettings", {})
    if operation["op"] == "remove" and len(raw) == 2:
        settings.pop(key, None)
        return True
    member = SETTING_PATHS.get("/".join(raw[2:]))
    if member is None or operation["op"] not in ("replace", "add"):
        raise bad_request(f"Invalid method setting path: {operation.get('path')}. Must be one of: "
                          f"[{', '.join('.../' + p for p in SETTING_PATHS)}]")
    setting = settings.setdefault(key, dict(SETTING_DEFAULTS))
    setting[member] = patch.coerce(patch.shape("MethodSetting").members[member], operation.get("value"), operation["path"])
    return True
