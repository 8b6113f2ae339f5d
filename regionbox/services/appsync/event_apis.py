"""AppSync Event APIs: Create/Get/Update/Delete/ListApis and their channel namespaces
(Create/Get/Update/Delete/ListChannelNamespaces).

An Event API answers on two hosts, as on AWS: HTTP publishing on
``<apiId>.appsync-api.<region>.localhost:<port>/event`` and the real-time WebSocket on
``<apiId>.appsync-realtime-api.<region>.localhost:<port>/event/realtime``; ``dns`` names both
(with the cloud's port, so ``http://{dns["HTTP"]}/event`` is a working URL). Where *.localhost
does not resolve, ``/event/<apiId>`` and ``/event/<apiId>/realtime`` on the cloud's own address
serve the same."""

from __future__ import annotations

from typing import Callable

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.appsync import js
from regionbox.services.appsync.common import api_arn, bad_request, drop_none, new_id, page
from regionbox.services.appsync.models import ChannelNamespace, EventApi
from regionbox.services.appsync.programs import Programs
from regionbox.services.appsync.state import AppSyncState, not_found

MAX_NAMESPACES = 50  # per API, AppSync's default quota
# The configuration each auth provider type must come with.
_PROVIDER_CONFIG = {"AWS_LAMBDA": "lambdaAuthorizerConfig", "AMAZON_COGNITO_USER_POOLS": "cognitoConfig",
                    "OPENID_CONNECT": "openIDConnectConfig"}
_MODE_LISTS = ("connectionAuthModes", "defaultPublishAuthModes", "defaultSubscribeAuthModes")


def check_event_config(config: dict) -> None:
    """Each provider once and with its configuration; every mode named is one of the providers."""
    providers = config["authProviders"]
    if not providers:
        raise bad_request("At least one auth provider is required.")
    kinds = [p["authType"] for p in providers]
    for kind in set(kinds):
        if kinds.count(kind) > 1:
            raise bad_request(f"Duplicate auth provider {kind}: an API has at most one of each type.")
    for provider in providers:
        needed = _PROVIDER_CONFIG.get(provider["authType"])
        if needed and not provider.get(needed):
            raise bad_request(f"You must specify {needed} for the {provider['authType']} auth provider.")
    for member in _MODE_LISTS:
        if not config[member]:
            raise bad_request(f"{member} must name at least one auth mode.")
        check_modes(config[member], kinds)


def check_modes(modes: list[dict] | None, providers: list[str]) -> None:
    for mode in modes or ():
        if mode["authType"] not in providers:
            raise bad_request(f"Auth mode {mode['authType']} is not one of the API's auth providers.")


def dns(api_id: str, region: str, port: int) -> dict[str, str]:
    return {"HTTP": f"{api_id}.appsync-api.{region}.localhost:{port}",
            "REALTIME": f"{api_id}.appsync-realtime-api.{region}.localhost:{port}"}


class EventApis:
    def __init__(self, state: AppSyncState, paginator, programs: Programs, port: int, forget: Callable) -> None:
        self.state = state
        self.forget = forget  # (scope, api id): a deleted API's subscriptions end
        self.paginator = paginator
        self.programs = programs
        self.port = port

    # -- APIs ----------------------------------------------------------------------------------
    def describe(self, ctx: RequestContext, api: EventApi) -> dict:
        return drop_none({"apiId": api.api_id, "name": api.name, "ownerContact": api.owner_contact,
                          "tags": api.tags or None, "dns": dns(api.api_id, ctx.region, self.port), "apiArn": api.arn,
                          "created": api.created, "xrayEnabled": False, "eventConfig": api.event_config})

    def create_api(self, ctx: RequestContext, params: dict) -> dict:
        check_event_config(params["eventConfig"])
        api_id = new_id()
        api = EventApi(api_id=api_id, name=params["name"], arn=api_arn(ctx, api_id), event_config=params["eventConfig"],
                       owner_contact=params.get("ownerContact"), tags=dict(params.get("tags") or {}),
                       created=clock.epoch())
        self.state.event_apis.put(ctx.scope, api_id, api)
        return {"api": self.describe(ctx, api)}

    def get_api(self, ctx: RequestContext, params: dict) -> dict:
        return {"api": self.describe(ctx, self.state.event_api(ctx.scope, params["apiId"]))}

    def list_apis(self, ctx: RequestContext, params: dict) -> dict:
        apis = sorted(self.state.event_apis.values(ctx.scope), key=lambda a: (a.created, a.api_id))
        found, token = page(self.paginator, apis, params)
        return drop_none({"apis": [self.describe(ctx, a) for a in found], "nextToken": token})

    def update_api(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.event_api(ctx.scope, params["apiId"])
        check_event_config(params["eventConfig"])
        providers = [p["authType"] for p in params["eventConfig"]["authProviders"]]
        for namespace in self.state.children(self.state.namespaces, ctx.scope, api.api_id):
            try:
                check_modes((namespace.publish_auth_modes or []) + (namespace.subscribe_auth_modes or []), providers)
            except ServiceError:
                raise bad_request(f"Channel namespace {namespace.name} uses an auth mode the new auth providers "
                                  "no longer include.") from None
        api.name = params["name"]
        api.event_config = params["eventConfig"]
        if "ownerContact" in params:
            api.owner_contact = params["ownerContact"]
        self.state.event_apis.put(ctx.scope, api.api_id, api)
        return {"api": self.describe(ctx, api)}

    def delete_api(self, ctx: RequestContext, params: dict) -> dict:
        self.state.event_api(ctx.scope, params["apiId"])
        self.state.remove_api(ctx.scope, params["apiId"])
        self.forget(ctx.scope, params["apiId"])
        return {}

    # -- channel namespaces --------------------------------------------------------------------
    @staticmethod
    def describe_namespace(namespace: ChannelNamespace) -> dict:
        return drop_none({"apiId": namespace.api_id, "name": namespace.name,
                          "subscribeAuthModes": namespace.subscribe_auth_modes,
                          "publishAuthModes": namespace.publish_auth_modes, "codeHandlers": namespace.code_handlers,
                          "handlerConfigs": namespace.handler_configs, "tags": namespace.tags or None,
                          "channelNamespaceArn": namespace.arn, "created": namespace.created,
                          "lastModified": namespace.last_modified})

    def _settings(self, api: EventApi, params: dict) -> None:
        providers = [p["authType"] for p in api.event_config["authProviders"]]
        check_modes(params.get("publishAuthModes"), providers)
        check_modes(params.get("subscribeAuthModes"), providers)
        if params.get("codeHandlers") and params.get("handlerConfigs"):
            raise bad_request("A channel namespace has either codeHandlers or handlerConfigs, not both.")
        for name, config in (params.get("handlerConfigs") or {}).items():
            if config:
                # Handlers that call a data source need Event API data sources, not built here.
                raise ServiceError("NotImplemented", f"regionbox does not run {name} handlers with data source "
                                   "integrations (handlerConfigs) yet; use codeHandlers.", status=501)
        code = params.get("codeHandlers")
        if code:
            try:
                self.programs.script(code)
            except js.CodeInvalid as error:
                raise bad_request(f"The code contains one or more errors: {error}") from None

    def create_channel_namespace(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.event_api(ctx.scope, params["apiId"])
        name = params["name"]
        if self.state.namespace(ctx.scope, api.api_id, name) is not None:
            raise ServiceError("ConflictException", f"Channel namespace {name} already exists.", status=409)
        if len(self.state.children(self.state.namespaces, ctx.scope, api.api_id)) >= MAX_NAMESPACES:
            raise ServiceError("ServiceQuotaExceededException",
                               f"An API has at most {MAX_NAMESPACES} channel namespaces.", status=402)
        self._settings(api, params)
        now = clock.epoch()
        namespace = ChannelNamespace(api_id=api.api_id, name=name, arn=api_arn(ctx, api.api_id, f"/channelNamespace/{name}"),
                                     subscribe_auth_modes=params.get("subscribeAuthModes"),
                                     publish_auth_modes=params.get("publishAuthModes"),
                                     code_handlers=params.get("codeHandlers"), handler_configs=params.get("handlerConfigs"),
                                     tags=dict(params.get("tags") or {}), created=now, last_modified=now)
        self.state.namespaces.put(ctx.scope, f"{api.api_id}/{name}", namespace)
        return {"channelNamespace": self.describe_namespace(namespace)}

    def _namespace(self, ctx: RequestContext, params: dict) -> tuple[EventApi, ChannelNamespace]:
        api = self.state.event_api(ctx.scope, params["apiId"])
        namespace = self.state.namespace(ctx.scope, api.api_id, params["name"])
        if namespace is None:
            raise not_found(f"Channel namespace {params['name']} not found.")
        return api, namespace

    def get_channel_namespace(self, ctx: RequestContext, params: dict) -> dict:
        return {"channelNamespace": self.describe_namespace(self._namespace(ctx, params)[1])}

    def list_channel_namespaces(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.event_api(ctx.scope, params["apiId"])
        namespaces = sorted(self.state.children(self.state.namespaces, ctx.scope, api.api_id),
                            key=lambda n: (n.created, n.name))
        found, token = page(self.paginator, namespaces, params, query=api.api_id)
        return drop_none({"channelNamespaces": [self.describe_namespace(n) for n in found], "nextToken": token})

    def update_channel_namespace(self, ctx: RequestContext, params: dict) -> dict:
        api, namespace = self._namespace(ctx, params)
        self._settings(api, params)
        # An update replaces the namespace's settings: a member left out goes back to its default.
        namespace.subscribe_auth_modes = params.get("subscribeAuthModes")
        namespace.publish_auth_modes = params.get("publishAuthModes")
        namespace.code_handlers = params.get("codeHandlers")
        namespace.handler_configs = params.get("handlerConfigs")
        namespace.last_modified = clock.epoch()
        self.state.namespaces.put(ctx.scope, f"{api.api_id}/{namespace.name}", namespace)
        return {"channelNamespace": self.describe_namespace(namespace)}

    def delete_channel_namespace(self, ctx: RequestContext, params: dict) -> dict:
        api, namespace = self._namespace(ctx, params)
        self.state.namespaces.delete(ctx.scope, f"{api.api_id}/{namespace.name}")
        return {}
