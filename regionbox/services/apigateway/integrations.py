"""Integrations and integration responses: PutIntegration, GetIntegration, UpdateIntegration,
DeleteIntegration, PutIntegrationResponse, GetIntegrationResponse, UpdateIntegrationResponse,
DeleteIntegrationResponse.

The types served by the data plane are MOCK, HTTP, HTTP_PROXY and AWS_PROXY (Lambda; see
invoke.py for what it answers while regionbox has no Lambda). AWS (non-proxy service
integrations) is accepted and stored, and answers 500 when invoked, as it would without a role.
"""

from __future__ import annotations

import re

from regionbox.core.context import RequestContext
from regionbox.services.apigateway import patch
from regionbox.services.apigateway.methods import check_status_code
from regionbox.services.apigateway.models import RestApi
from regionbox.services.apigateway.state import ApiGatewayState, bad_request, not_found

TYPES = ("HTTP", "HTTP_PROXY", "MOCK", "AWS", "AWS_PROXY")
_LAMBDA_URI = re.compile(r"^arn:aws[\w-]*:apigateway:[\w-]+:lambda:path/[\d-]+/functions/(?P<function>[^/]+)/invocations$")
INTEGRATION_WRITABLE = ("type", "httpMethod", "uri", "connectionType", "connectionId", "credentials",
                        "requestParameters", "requestTemplates", "passthroughBehavior", "contentHandling",
                        "timeoutInMillis", "cacheNamespace", "cacheKeyParameters", "tlsConfig")


def lambda_function(uri: str) -> str | None:
    """The function ARN an AWS_PROXY integration's URI invokes."""
    found = _LAMBDA_URI.match(uri or "")
    return found.group("function") if found else None


def check_integration(integration: dict) -> None:
    kind = integration.get("type")
    if kind not in TYPES:
        raise bad_request(f"Invalid integration type specified. Valid options are {','.join(TYPES)}")
    if kind in ("HTTP", "HTTP_PROXY"):
        if not integration.get("httpMethod"):
            raise bad_request("Enumeration value for HttpMethod must be non-empty")
        if not re.match(r"^https?://[^/\s]+", integration.get("uri") or ""):
            raise bad_request("Invalid HTTP endpoint specified for URI")
    if kind in ("AWS", "AWS_PROXY"):
        if not integration.get("httpMethod"):
            raise bad_request("Enumeration value for HttpMethod must be non-empty")
        if not (integration.get("uri") or "").startswith("arn:"):
            raise bad_request("Invalid ARN specified in the request")
    if kind == "AWS_PROXY" and lambda_function(integration["uri"]) is None:
        raise bad_request("Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose "
                          "stream invocations.")
    if integration.get("connectionType") == "VPC_LINK" and not integration.get("connectionId"):
        raise bad_request("Connection Id must be specified for connection type VPC_LINK")
    timeout = integration.get("timeoutInMillis", 29000)
    if not 50 <= timeout <= 29000:
        raise bad_request("Timeout should be between 50 ms and 29000 ms")


class Integrations:
    def __init__(self, state: ApiGatewayState) -> None:
        self.state = state

    def _method(self, ctx: RequestContext, params: dict) -> tuple[RestApi, dict]:
        api = self.state.api(ctx.scope, params["restApiId"])
        return api, self.state.method(api, params["resourceId"], params["httpMethod"])

    def _integration(self, ctx: RequestContext, params: dict) -> tuple[RestApi, dict, dict]:
        api, method = self._method(ctx, params)
        integration = method.get("methodIntegration")
        if integration is None:
            raise not_found("No integration defined for method")
        return api, method, integration

    def put_integration(self, ctx: RequestContext, params: dict) -> dict:
        api, method = self._method(ctx, params)
        integration = {"type": params["type"], "passthroughBehavior": params.get("passthroughBehavior", "WHEN_NO_MATCH"),
                       "timeoutInMillis": params.get("timeoutInMillis", 29000),
                       "cacheNamespace": params.get("cacheNamespace") or params["resourceId"],
                       "cacheKeyParameters": params.get("cacheKeyParameters") or []}
        if params.get("integrationHttpMethod"):
            integration["httpMethod"] = params["integrationHttpMethod"]
        if params["type"] != "MOCK":
            integration["connectionType"] = params.get("connectionType", "INTERNET")
        for member in ("uri", "connectionId", "credentials", "requestParameters", "requestTemplates",
                       "contentHandling", "tlsConfig"):
            if params.get(member) is not None:
                integration[member] = params[member]
        check_integration(integration)
        method["methodIntegration"] = integration
        self.state.apis.put(ctx.scope, api.id, api)
        return dict(integration)

    def get_integration(self, ctx: RequestContext, params: dict) -> dict:
        return dict(self._integration(ctx, params)[2])

    def update_integration(self, ctx: RequestContext, params: dict) -> dict:
        api, method, integration = self._integration(ctx, params)
        changed = patch.apply(dict(integration), params.get("patchOperations"), "Integration", INTEGRATION_WRITABLE)
        check_integration(changed)
        method["methodIntegration"] = changed
        self.state.apis.put(ctx.scope, api.id, api)
        return dict(changed)

    def delete_integration(self, ctx: RequestContext, params: dict) -> dict:
        api, method, _ = self._integration(ctx, params)
        del method["methodIntegration"]
        self.state.apis.put(ctx.scope, api.id, api)
        return {}

    # -- integration responses ----------------------------------------------------------------
    def put_integration_response(self, ctx: RequestContext, params: dict) -> dict:
        api, _, integration = self._integration(ctx, params)
        check_status_code(params["statusCode"])
        response = {"statusCode": params["statusCode"]}
        for member in ("selectionPattern", "responseParameters", "responseTemplates", "contentHandling"):
            if params.get(member) is not None:
                response[member] = params[member]
        _check_pattern(response)
        integration.setdefault("integrationResponses", {})[params["statusCode"]] = response
        self.state.apis.put(ctx.scope, api.id, api)
        return dict(response)

    def _response(self, ctx: RequestContext, params: dict) -> tuple[RestApi, dict, dict]:
        api, _, integration = self._integration(ctx, params)
        response = integration.get("integrationResponses", {}).get(params["statusCode"])
        if response is None:
            raise not_found("Invalid Response status code specified")
        return api, integration, response

    def get_integration_response(self, ctx: RequestContext, params: dict) -> dict:
        return dict(self._response(ctx, params)[2])

    def update_integration_response(self, ctx: RequestContext, params: dict) -> dict:
        api, integration, response = self._response(ctx, params)
        changed = patch.apply(dict(response), params.get("patchOperations"), "IntegrationResponse",
                              ("selectionPattern", "responseParameters", "responseTemplates", "contentHandling"))
        _check_pattern(changed)
        integration["integrationResponses"][params["statusCode"]] = changed
        self.state.apis.put(ctx.scope, api.id, api)
        return dict(changed)

    def delete_integration_response(self, ctx: RequestContext, params: dict) -> dict:
        api, integration, _ = self._response(ctx, params)
        del integration["integrationResponses"][params["statusCode"]]
        self.state.apis.put(ctx.scope, api.id, api)
        return {}


def _check_pattern(response: dict) -> None:
    pattern = response.get("selectionPattern")
    if pattern:
        try:
            re.compile(pattern)
        except re.error:
            raise bad_request(f"Invalid selection pattern specified: {pattern}") from None
