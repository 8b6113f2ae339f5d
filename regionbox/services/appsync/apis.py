"""GraphQL APIs: Create/Get/List/Update/DeleteGraphqlApi, their tags, environment variables and
cache settings (accepted and answered; regionbox never caches resolver results).

An API answers on its own host, ``<apiId>.appsync-api.<region>.localhost:<port>/graphql``, and on
a path that needs no DNS (``/graphql/<apiId>``): ``uris`` names both, the real-time ones too."""

from __future__ import annotations

import re
from typing import Any

from regionbox.core import clock
from regionbox.core.arns import Arn
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.appsync.common import api_arn, bad_request, drop_none, new_id, page
from regionbox.services.appsync.models import API_SETTINGS, GraphqlApi
from regionbox.services.appsync.state import AppSyncState, not_found

AUTH_TYPES = ("API_KEY", "AWS_IAM", "AMAZON_COGNITO_USER_POOLS", "OPENID_CONNECT", "AWS_LAMBDA")
_ENV_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{1,63}")
_CACHE_TYPES = ("T2_SMALL", "T2_MEDIUM", "R4_LARGE", "R4_XLARGE", "R4_2XLARGE", "R4_4XLARGE", "R4_8XLARGE", "SMALL",
                "MEDIUM", "LARGE", "XLARGE", "LARGE_2X", "LARGE_4X", "LARGE_8X", "LARGE_12X")


def check_auth(params: dict) -> None:
    """Each auth mode comes with its configuration, as AppSync insists."""
    providers = [params] + list(params.get("additionalAuthenticationProviders") or [])
    for provider in providers:
        kind = provider.get("authenticationType")
        if kind is None:
            continue
        if kind == "AWS_LAMBDA" and not provider.get("lambdaAuthorizerConfig"):
            raise bad_request("You must specify a Lambda Authorizer configuration for the AWS_LAMBDA authentication type.")
        if kind == "AMAZON_COGNITO_USER_POOLS" and not provider.get("userPoolConfig"):
            raise bad_request("You must specify a user pool configuration for the AMAZON_COGNITO_USER_POOLS "
                              "authentication type.")
        if kind == "OPENID_CONNECT" and not provider.get("openIDConnectConfig"):
            raise bad_request("You must specify an OpenID Connect configuration for the OPENID_CONNECT authentication type.")
    lambdas = [p for p in providers if p.get("authenticationType") == "AWS_LAMBDA"]
    if len(lambdas) > 1:
        raise bad_request("Only one AWS_LAMBDA authorization provider is allowed per API.")


class GraphqlApis:
    def __init__(self, state: AppSyncState, paginator, port: int) -> None:
        self.state = state
        self.paginator = paginator
        self.port = port

    def uris(self, api: GraphqlApi, region: str) -> dict[str, str]:
        hosts = self.dns(api, region)
        return {"GRAPHQL": f"http://{hosts['GRAPHQL']}:{self.port}/graphql",
                "REALTIME": f"ws://{hosts['REALTIME']}:{self.port}/graphql",
                # The same endpoints on localhost itself, for clients that do not resolve *.localhost.
                "GRAPHQL_NO_DNS": f"http://localhost:{self.port}/graphql/{api.api_id}",
                "REALTIME_NO_DNS": f"ws://localhost:{self.port}/graphql/{api.api_id}/realtime"}

    @staticmethod
    def dns(api: GraphqlApi, region: str) -> dict[str, str]:
        return {"GRAPHQL": f"{api.api_id}.appsync-api.{region}.localhost",
                "REALTIME": f"{api.api_id}.appsync-realtime-api.{region}.localhost"}

    def describe(self, ctx: RequestContext, api: GraphqlApi) -> dict[str, Any]:
        return drop_none({"name": api.name, "apiId": api.api_id, "arn": api.arn,
                          "authenticationType": api.authentication_type, "uris": self.uris(api, ctx.region),
                          "dns": self.dns(api, ctx.region), "tags": api.tags or None, "owner": ctx.account_id,
                          "apiType": "GRAPHQL", "visibility": "GLOBAL", "introspectionConfig": "ENABLED",
                          "queryDepthLimit": 0, "resolverCountLimit": 0, "xrayEnabled": False,
                          **api.settings})

    def create_graphql_api(self, ctx: RequestContext, params: dict) -> dict:
        check_auth(params)
        if params.get("apiType") == "MERGED":
            raise ServiceError("NotImplemented", "regionbox does not build merged APIs yet.", status=501)
        api_id = new_id()
        api = GraphqlApi(api_id=api_id, name=params["name"], arn=api_arn(ctx, api_id),
                         authentication_type=params["authenticationType"],
                         settings={k: params[k] for k in API_SETTINGS if k in params},
                         tags=dict(params.get("tags") or {}), created=clock.epoch())
        self.state.apis.put(ctx.scope, api_id, api)
        return {"graphqlApi": self.describe(ctx, api)}

    def get_graphql_api(self, ctx: RequestContext, params: dict) -> dict:
        return {"graphqlApi": self.describe(ctx, self.state.api(ctx.scope, params["apiId"]))}

    def list_graphql_apis(self, ctx: RequestContext, params: dict) -> dict:
        apis = [a for a in self.state.apis.values(ctx.scope)
                if params.get("apiType") in (None, a.settings.get("apiType", "GRAPHQL"))]
        found, token = page(self.paginator, apis, params)
        return drop_none({"graphqlApis": [self.describe(ctx, a) for a in found], "nextToken": token})

    def update_graphql_api(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["apiId"])
        check_auth(params)
        api.name = params.get("name", api.name)
        api.authentication_type = params.get("authenticationType", api.authentication_type)
        api.settings.update({k: params[k] for k in API_SETTINGS if k in params})
        self.state.apis.put(ctx.scope, api.api_id, api)
        return {"graphqlApi": self.describe(ctx, api)}

    def delete_graphql_api(self, ctx: RequestContext, params: dict) -> dict:
        self.state.api(ctx.scope, params["apiId"])
        self.state.remove_api(ctx.scope, params["apiId"])
        return {}

    # -- tags --------------------------------------------------------------------------------
    def _tagged(self, ctx: RequestContext, arn: str) -> tuple[Any, str, Any]:
        """(collection, key, document) of a taggable resource: a GraphQL or an Event API (the
        model's resourceArn pattern admits nothing else; namespaces take tags when created)."""
        try:
            parsed = Arn.parse(arn)
        except ValueError:
            raise bad_request(f"Invalid resource ARN: {arn}") from None
        parts = parsed.resource.split("/")
        if parsed.service != "appsync" or len(parts) != 2 or parts[0] != "apis":
            raise bad_request("Tags are supported on APIs only.")
        scope, key = (parsed.account, parsed.region), parts[1]
        collection = self.state.apis if self.state.apis.get(scope, key) is not None else self.state.event_apis
        found = collection.get(scope, key)
        if found is None or scope != ctx.scope:
            raise not_found(f"API {key} not found.")
        return collection, key, found

    def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        collection, key, resource = self._tagged(ctx, params["resourceArn"])
        resource.tags.update(params["tags"])
        if len(resource.tags) > 50:
            raise bad_request("Too many tags: a resource has at most 50.")
        collection.put(ctx.scope, key, resource)
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        collection, key, resource = self._tagged(ctx, params["resourceArn"])
        for name in params["tagKeys"]:
            resource.tags.pop(name, None)
        collection.put(ctx.scope, key, resource)
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, params: dict) -> dict:
        return {"tags": dict(self._tagged(ctx, params["resourceArn"])[2].tags)}

    # -- environment variables ---------------------------------------------------------------
    def put_graphql_api_environment_variables(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["apiId"])
        variables = params["environmentVariables"]
        if len(variables) > 50:
            raise bad_request("An API has at most 50 environment variables.")
        for key, value in variables.items():
            if not _ENV_KEY.fullmatch(key):
                raise bad_request(f"Environment variable key {key} is invalid: it must start with a letter and "
                                  "contain only letters, digits and underscores, 2 to 64 characters.")
            if len(value) > 512:
                raise bad_request(f"The value of environment variable {key} is longer than 512 characters.")
        api.environment = dict(variables)
        self.state.apis.put(ctx.scope, api.api_id, api)
        return {"environmentVariables": api.environment}

    def get_graphql_api_environment_variables(self, ctx: RequestContext, params: dict) -> dict:
        return {"environmentVariables": dict(self.state.api(ctx.scope, params["apiId"]).environment)}

    # -- caching (accepted, answered, never used) --------------------------------------------
    def create_api_cache(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["apiId"])
        if api.cache is not None:
            raise bad_request("The API already has a cache.")
        api.cache = self._cache(params, {})
        self.state.apis.put(ctx.scope, api.api_id, api)
        return {"apiCache": api.cache}

    def update_api_cache(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["apiId"])
        if api.cache is None:
            raise not_found("Unable to find the API cache for this API.")
        api.cache = self._cache(params, api.cache)
        self.state.apis.put(ctx.scope, api.api_id, api)
        return {"apiCache": api.cache}

    @staticmethod
    def _cache(params: dict, before: dict) -> dict:
        if params.get("type", before.get("type")) not in _CACHE_TYPES:
            raise bad_request(f"Invalid cache type {params.get('type')}.")
        if not 1 <= params.get("ttl", before.get("ttl", 1)) <= 3600:
            raise bad_request("The TTL of a cache is between 1 and 3600 seconds.")
        cache = {**before, **{k: params[k] for k in ("ttl", "apiCachingBehavior", "type", "transitEncryptionEnabled",
                                                      "atRestEncryptionEnabled", "healthMetricsConfig") if k in params}}
        cache.setdefault("transitEncryptionEnabled", False)
        cache.setdefault("atRestEncryptionEnabled", False)
        cache["status"] = "AVAILABLE"
        return cache

    def get_api_cache(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["apiId"])
        if api.cache is None:
            raise not_found("Unable to find the API cache for this API.")
        return {"apiCache": api.cache}

    def delete_api_cache(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["apiId"])
        if api.cache is None:
            raise not_found("Unable to find the API cache for this API.")
        api.cache = None
        self.state.apis.put(ctx.scope, api.api_id, api)
        return {}

    def flush_api_cache(self, ctx: RequestContext, params: dict) -> dict:
        self.get_api_cache(ctx, params)
        return {}
