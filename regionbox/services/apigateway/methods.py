"""Methods and method responses: PutMethod, GetMethod, UpdateMethod, DeleteMethod,
PutMethodResponse, GetMethodResponse, UpdateMethodResponse, DeleteMethodResponse.

A method lives in its resource's ``resourceMethods`` (models.py), with its responses and
integration nested as GetMethod answers them. CUSTOM and COGNITO_USER_POOLS methods name an
authorizer of the API of the matching type (authorizers.py says what the data plane does with them).
"""

from __future__ import annotations

import re

from regionbox.core.context import RequestContext
from regionbox.services.apigateway import patch
from regionbox.services.apigateway.models import RestApi
from regionbox.services.apigateway.state import ApiGatewayState, bad_request, conflict, not_found

HTTP_METHODS = ("ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
AUTHORIZATION_TYPES = ("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS")
_REQUEST_PARAMETER = re.compile(r"^method\.request\.(path|querystring|multivaluequerystring|header|multivalueheader)\.[^.\s]+$")
_STATUS_CODE = re.compile(r"^[1-5]\d\d$")
METHOD_WRITABLE = ("authorizationType", "authorizerId", "apiKeyRequired", "operationName", "requestParameters",
                   "requestModels", "requestValidatorId", "authorizationScopes")


def check_http_method(name: str) -> None:
    if name not in HTTP_METHODS:
        raise bad_request(f"Invalid HttpMethod specified. Valid options are {','.join(HTTP_METHODS)}")


def check_status_code(code: str) -> None:
    if not _STATUS_CODE.match(code):
        raise bad_request("Invalid status code specified")


def check_method(method: dict, api: RestApi) -> None:
    kind = method.get("authorizationType")
    if kind not in AUTHORIZATION_TYPES:
        raise bad_request(f"Invalid authorization type specified. Valid options are {','.join(AUTHORIZATION_TYPES)}")
    authorizer = api.authorizers.get(method.get("authorizerId") or "")
    if kind in ("CUSTOM", "COGNITO_USER_POOLS") or method.get("authorizerId"):
        wanted = ("COGNITO_USER_POOLS",) if kind == "COGNITO_USER_POOLS" else ("TOKEN", "REQUEST")
        if authorizer is None or authorizer["type"] not in wanted:
            raise bad_request("Invalid authorizer ID specified")
    if method.get("requestValidatorId") and method["requestValidatorId"] not in api.validators:
        raise bad_request("Invalid Request Validator identifier specified")
    for model in (method.get("requestModels") or {}).values():
        if model not in api.models:
            raise bad_request(f"Invalid model identifier specified: {model}")
    for name in method.get("requestParameters") or {}:
        if not _REQUEST_PARAMETER.match(name):
            raise bad_request(f"Invalid mapping expression specified: Validation Result: warnings : [], errors : "
                              f"[Invalid method request parameter name specified: {name}]")


class Methods:
    def __init__(self, state: ApiGatewayState) -> None:
        self.state = state

    def _resource(self, ctx: RequestContext, params: dict) -> tuple[RestApi, dict]:
        api = self.state.api(ctx.scope, params["restApiId"])
        return api, self.state.resource(api, params["resourceId"])

    def put_method(self, ctx: RequestContext, params: dict) -> dict:
        api, resource = self._resource(ctx, params)
        name = params["httpMethod"]
        check_http_method(name)
        methods = resource.setdefault("resourceMethods", {})
        if name in methods:
            raise conflict("Method already exists for this resource")
        method = {"httpMethod": name, "authorizationType": params["authorizationType"],
                  "apiKeyRequired": bool(params.get("apiKeyRequired", False))}
        for member in ("authorizerId", "operationName", "requestParameters", "requestModels", "requestValidatorId",
                       "authorizationScopes"):
            if params.get(member) is not None:
                method[member] = params[member]
        check_method(method, api)
        methods[name] = method
        self.state.apis.put(ctx.scope, api.id, api)
        return dict(method)

    def get_method(self, ctx: RequestContext, params: dict) -> dict:
        api, _ = self._resource(ctx, params)
        return dict(self.state.method(api, params["resourceId"], params["httpMethod"]))

    def update_method(self, ctx: RequestContext, params: dict) -> dict:
        api, resource = self._resource(ctx, params)
        method = self.state.method(api, params["resourceId"], params["httpMethod"])
        changed = patch.apply(dict(method), params.get("patchOperations"), "Method", METHOD_WRITABLE)
        check_method(changed, api)
        resource["resourceMethods"][params["httpMethod"]] = changed
        self.state.apis.put(ctx.scope, api.id, api)
        return dict(changed)

    def delete_method(self, ctx: RequestContext, params: dict) -> dict:
        api, resource = self._resource(ctx, params)
        self.state.method(api, params["resourceId"], params["httpMethod"])
        del resource["resourceMethods"][params["httpMethod"]]
        if not resource["resourceMethods"]:
            del resource["resourceMethods"]
        self.state.apis.put(ctx.scope, api.id, api)
        return {}

    # -- method responses -----------------------------------------------------------------------
    def put_method_response(self, ctx: RequestContext, params: dict) -> dict:
        api, _ = self._resource(ctx, params)
        method = self.state.method(api, params["resourceId"], params["httpMethod"])
        check_status_code(params["statusCode"])
        response = {"statusCode": params["statusCode"]}
        for member in ("responseParameters", "responseModels"):
            if params.get(member) is not None:
                response[member] = params[member]
        method.setdefault("methodResponses", {})[params["statusCode"]] = response
        self.state.apis.put(ctx.scope, api.id, api)
        return dict(response)

    def _response(self, api: RestApi, params: dict) -> tuple[dict, dict]:
        method = self.state.method(api, params["resourceId"], params["httpMethod"])
        response = method.get("methodResponses", {}).get(params["statusCode"])
        if response is None:
            raise not_found("Invalid Response status code specified")
        return method, response

    def get_method_response(self, ctx: RequestContext, params: dict) -> dict:
        api, _ = self._resource(ctx, params)
        return dict(self._response(api, params)[1])

    def update_method_response(self, ctx: RequestContext, params: dict) -> dict:
        api, _ = self._resource(ctx, params)
        method, response = self._response(api, params)
        changed = patch.apply(dict(response), params.get("patchOperations"), "MethodResponse",
                              ("responseParameters", "responseModels"))
        method["methodResponses"][params["statusCode"]] = changed
        self.state.apis.put(ctx.scope, api.id, api)
        return dict(changed)

    def delete_method_response(self, ctx: RequestContext, params: dict) -> dict:
        api, _ = self._resource(ctx, params)
        method, _ = self._response(api, params)
        del method["methodResponses"][params["statusCode"]]
        self.state.apis.put(ctx.scope, api.id, api)
        return {}
