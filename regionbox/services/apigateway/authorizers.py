"""Authorizers: CreateAuthorizer, GetAuthorizer(s), UpdateAuthorizer, DeleteAuthorizer.

They are kept as AWS keeps them, and methods may use them (CUSTOM with a TOKEN or REQUEST
authorizer, COGNITO_USER_POOLS with a Cognito one), but regionbox has neither Lambda nor Cognito
yet, so the data plane answers what API Gateway answers when it cannot get a verdict: a call
without the identity source is 401 Unauthorized; otherwise a Lambda authorizer that cannot be
invoked is 500 ``{"message":null}`` (AuthorizerConfigurationException), and a Cognito token no user
pool here can have issued is 401 Unauthorized. No call ever passes an authorizer unchecked.
"""

from __future__ import annotations

import re

from regionbox.core.context import RequestContext
from regionbox.core.pagination import Paginator
from regionbox.protocol.http import HttpRequest
from regionbox.services.apigateway import patch
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


def verdict(authorizer: dict | None, request: HttpRequest) -> str:
    """The gateway response type a call to a method with this authorizer gets (module docstring)."""
    if authorizer is None:
        return "AUTHORIZER_CONFIGURATION_ERROR"
    sources = [s.strip() for s in (authorizer.get("identitySource") or "").split(",") if s.strip()]
    for source in sources:
        found = _SOURCE.match(source)
        if found is not None:
            where, name = found.groups()
            present = request.headers.get(name.lower()) if where == "header" else request.query_param(name)
            if not present:
                return "UNAUTHORIZED"
    return "UNAUTHORIZED" if authorizer["type"] == "COGNITO_USER_POOLS" else "AUTHORIZER_CONFIGURATION_ERROR"


class Authorizers:
    def __init__(self, state: ApiGatewayState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

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
