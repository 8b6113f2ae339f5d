"""Gateway responses: what API Gateway answers itself (403 Forbidden, 429 Too Many Requests ...),
and their customization: PutGatewayResponse, GetGatewayResponse(s), UpdateGatewayResponse,
DeleteGatewayResponse.

Every response type has AWS's default (status, ``{"message":$context.error.messageString}``); an
API may replace a type's status, headers (``gatewayresponse.header.X``: a 'literal' or a request
header, query string or path parameter) and template, or DEFAULT_4XX / DEFAULT_5XX for every type
of that class it does not set itself. As on AWS, a change reaches callers with the next deployment.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from regionbox.core.context import RequestContext
from regionbox.core.pagination import Paginator
from regionbox.protocol.http import HttpRequest, HttpResponse
from regionbox.services.apigateway import patch, vtl
from regionbox.services.apigateway.methods import check_status_code
from regionbox.services.apigateway.paging import listing
from regionbox.services.apigateway.state import ApiGatewayState, bad_request, not_found

DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'
# type -> its default status (DEFAULT_4XX and DEFAULT_5XX have none), in the model's order.
DEFAULT_STATUS = {
    "DEFAULT_4XX": None, "DEFAULT_5XX": None, "RESOURCE_NOT_FOUND": "404", "UNAUTHORIZED": "401",
    "INVALID_API_KEY": "403", "ACCESS_DENIED": "403", "AUTHORIZER_FAILURE": "500",
    "AUTHORIZER_CONFIGURATION_ERROR": "500", "INVALID_SIGNATURE": "403", "EXPIRED_TOKEN": "403",
    "MISSING_AUTHENTICATION_TOKEN": "403", "INTEGRATION_FAILURE": "504", "INTEGRATION_TIMEOUT": "504",
    "API_CONFIGURATION_ERROR": "500", "UNSUPPORTED_MEDIA_TYPE": "415", "BAD_REQUEST_PARAMETERS": "400",
    "BAD_REQUEST_BODY": "400", "REQUEST_TOO_LARGE": "413", "THROTTLED": "429", "QUOTA_EXCEEDED": "429",
    "WAF_FILTERED": "403",
}
# What the data plane answers for each type it raises: the message and x-amzn-ErrorType.
ANSWERS = {
    "INVALID_API_KEY": ("Forbidden", "ForbiddenException"),
    "MISSING_AUTHENTICATION_TOKEN": ("Missing Authentication Token", "MissingAuthenticationTokenException"),
    "THROTTLED": ("Too Many Requests", "TooManyRequestsException"),
    "QUOTA_EXCEEDED": ("Limit Exceeded", "LimitExceededException"),
    "REQUEST_TOO_LARGE": ("Request Too Long", "RequestTooLongException"),
    "BAD_REQUEST_PARAMETERS": ("Bad request parameters", "BadRequestException"),
    "BAD_REQUEST_BODY": ("Invalid request body", "BadRequestException"),
    "UNSUPPORTED_MEDIA_TYPE": ("Unsupported Media Type", "UnsupportedMediaTypeException"),
    "INTEGRATION_TIMEOUT": ("Endpoint request timed out", "InternalServerErrorException"),
    "API_CONFIGURATION_ERROR": ("Internal server error", "InternalServerErrorException"),
    "UNAUTHORIZED": ("Unauthorized", "UnauthorizedException"),
    "INVALID_SIGNATURE": ("The request signature we calculated does not match the signature you provided.",
                          "InvalidSignatureException"),
    "EXPIRED_TOKEN": ("The security token included in the request is expired", "ExpiredTokenException"),
    "ACCESS_DENIED": ("Forbidden", "AccessDeniedException"),
    "AUTHORIZER_CONFIGURATION_ERROR": (None, "AuthorizerConfigurationException"),  # AWS sends {"message":null}
}


def default_response(kind: str) -> dict:
    body: dict[str, Any] = {"responseType": kind, "responseParameters": {},
                            "responseTemplates": {"application/json": DEFAULT_TEMPLATE}, "defaultResponse": True}
    if DEFAULT_STATUS[kind] is not None:
        body["statusCode"] = DEFAULT_STATUS[kind]
    return body


def forbidden(request_id: str) -> HttpResponse:
    """A call that names no deployed stage: API Gateway's plain 403, no API's customization."""
    return _plain(403, "Forbidden", "ForbiddenException", request_id)


def _plain(status: int, message: str, error_type: str, request_id: str,
           headers: list[tuple[str, str]] | None = None, body: bytes | None = None) -> HttpResponse:
    body = orjson.dumps({"message": message}) if body is None else body
    return HttpResponse(status, [("Content-Type", "application/json"), *(headers or []),
                                 ("Content-Length", str(len(body))), ("x-amzn-RequestId", request_id),
                                 ("x-amzn-ErrorType", error_type), ("x-amz-apigw-id", uuid.uuid4().hex[:16])], body)


def gateway_response(kind: str, request_id: str, custom: dict[str, dict] | None = None,
                     request: HttpRequest | None = None, context: dict | None = None,
                     message: str | None = None, status: int | None = None) -> HttpResponse:
    """API Gateway's own answer of type ``kind`` (with ``status`` where AWS answers that type with
    another, as 502 for a malformed Lambda proxy response), as the deployed API customized it."""
    default_message, error_type = ANSWERS[kind]
    message = message or default_message
    status = status or int(DEFAULT_STATUS[kind])
    found = None
    if custom:
        found = custom.get(kind) or custom.get("DEFAULT_4XX" if status < 500 else "DEFAULT_5XX")
    if found is None:
        return _plain(status, message, error_type, request_id)
    if found.get("statusCode") and found.get("responseType") == kind:
        status = int(found["statusCode"])
    headers = []
    for name, source in (found.get("responseParameters") or {}).items():
        if name.startswith("gatewayresponse.header."):
            value = _source_value(source, request)
            if value is not None:
                headers.append((name.removeprefix("gatewayresponse.header."), value))
    template = (found.get("responseTemplates") or {}).get("application/json", DEFAULT_TEMPLATE)
    error = {"message": message, "messageString": orjson.dumps(message).decode(), "responseType": kind,
             "validationErrorString": ""}
    try:
        body = vtl.render(template, {"context": {**(context or {}), "error": error}}).encode()
    except vtl.TemplateError:
        body = orjson.dumps({"message": message})
    return _plain(status, message, error_type, request_id, headers, body)


def _source_value(source: str, request: HttpRequest | None) -> str | None:
    if len(source) >= 2 and source.startswith("'") and source.endswith("'"):
        return source[1:-1]
    if request is None:
        return None
    if source.startswith("method.request.header."):
        return request.headers.get(source.removeprefix("method.request.header.").lower())
    if source.startswith("method.request.querystring."):
        return request.query_param(source.removeprefix("method.request.querystring."))
    return None


class GatewayResponses:
    def __init__(self, state: ApiGatewayState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    @staticmethod
    def _check_type(kind: str) -> None:
        if kind not in DEFAULT_STATUS:
            raise bad_request(f"Invalid response type specified: {kind}. Valid options are {','.join(DEFAULT_STATUS)}")

    def put_gateway_response(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        kind = params["responseType"]
        self._check_type(kind)
        body: dict[str, Any] = {"responseType": kind, "responseParameters": params.get("responseParameters") or {},
                                "responseTemplates": params.get("responseTemplates") or {}}
        if params.get("statusCode"):
            body["statusCode"] = params["statusCode"]
        return self._store(ctx, api, kind, body)

    def _store(self, ctx: RequestContext, api, kind: str, body: dict) -> dict:
        if body.get("statusCode"):
            check_status_code(body["statusCode"])
        body["defaultResponse"] = False
        api.gateway_responses[kind] = body
        self.state.apis.put(ctx.scope, api.id, api)
        return dict(body)

    def get_gateway_response(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        self._check_type(params["responseType"])
        return dict(api.gateway_responses.get(params["responseType"]) or default_response(params["responseType"]))

    def get_gateway_responses(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        items = [dict(api.gateway_responses.get(kind) or default_response(kind)) for kind in DEFAULT_STATUS]
        return listing(self.paginator, items, params)

    def update_gateway_response(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        kind = params["responseType"]
        self._check_type(kind)
        current = dict(api.gateway_responses.get(kind) or default_response(kind))
        changed = patch.apply(current, params.get("patchOperations"), "GatewayResponse",
                              ("statusCode", "responseParameters", "responseTemplates"))
        return self._store(ctx, api, kind, changed)

    def delete_gateway_response(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        self._check_type(params["responseType"])
        if params["responseType"] not in api.gateway_responses:
            raise not_found("GatewayResponse not found")
        del api.gateway_responses[params["responseType"]]
        self.state.apis.put(ctx.scope, api.id, api)
        return {}
