"""OpenAPI import: ImportRestApi and PutRestApi (merge or overwrite), from OpenAPI 3.x or Swagger
2.0 documents in JSON or YAML with API Gateway's extensions, as AWS reads them:

- paths -> resources (created along each path), operations -> methods (``x-amazon-apigateway-any-method``
  is ANY), parameters -> required/optional request parameters, request bodies -> request models,
  responses -> method responses (their headers as response parameters);
- ``x-amazon-apigateway-integration`` -> the method's integration and integration responses
  (``default`` is the response without a selection pattern);
- schemas (``components.schemas`` / ``definitions``) -> models, their ``$ref``s pointing at models;
- security: an ``apiKey`` scheme in the ``x-api-key`` header -> ``apiKeyRequired``;
  ``x-amazon-apigateway-authtype: awsSigv4`` -> AWS_IAM;
- ``x-amazon-apigateway-request-validators`` / ``-request-validator``, ``-api-key-source``,
  ``-binary-media-types``, ``-gateway-responses``.

Authorizers (``x-amazon-apigateway-authorizer``) are refused: regionbox runs none, and importing
the API without them would leave its methods open.
"""

from __future__ import annotations

import json
import re
from typing import Any

from regionbox.core.context import RequestContext
from regionbox.services.apigateway.integrations import check_integration
from regionbox.services.apigateway.methods import check_method
from regionbox.services.apigateway.models import RestApi, new_id
from regionbox.services.apigateway.responses import DEFAULT_STATUS
from regionbox.services.apigateway.restapis import RestApis
from regionbox.services.apigateway.schemas import default_models
from regionbox.services.apigateway.state import ApiGatewayState, bad_request

_OPERATIONS = {"get": "GET", "put": "PUT", "post": "POST", "delete": "DELETE", "options": "OPTIONS", "head": "HEAD",
               "patch": "PATCH", "x-amazon-apigateway-any-method": "ANY"}
_WHERE = {"path": "path", "query": "querystring", "header": "header"}


def load_document(body: bytes) -> dict:
    text = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else str(body or "")
    try:
        document = json.loads(text)
    except ValueError:
        try:
            import yaml  # PyYAML: OpenAPI documents are as often YAML as JSON
            document = yaml.safe_load(text)
        except Exception:  # noqa: BLE001 - any parse failure is the caller's bad document
            document = None
    if not isinstance(document, dict):
        raise bad_request("Invalid OpenAPI input.")
    if not (str(document.get("openapi", "")).startswith("3.") or str(document.get("swagger", "")) == "2.0"):
        raise bad_request("Only OpenAPI 3.x and Swagger 2.0 definitions are supported")
    return document


class OpenApi:
    def __init__(self, state: ApiGatewayState, apis: RestApis) -> None:
        self.state = state
        self.apis = apis

    def import_rest_api(self, ctx: RequestContext, params: dict) -> dict:
        document = load_document(params.get("body") or b"")
        info = document.get("info") or {}
        if not info.get("title"):
            raise bad_request("Invalid OpenAPI input: the info object needs a title, the API's name.")
        arguments: dict[str, Any] = {"name": str(info["title"])}
        if info.get("description"):
            arguments["description"] = str(info["description"])
        if info.get("version"):
            arguments["version"] = str(info["version"])
        types = (params.get("parameters") or {}).get("endpointConfigurationTypes")
        if types:
            arguments["endpointConfiguration"] = {"types": [types.upper()]}
        with self.state.store.transaction():
            created = self.apis.create_rest_api(ctx, arguments)
            api = self.state.api(ctx.scope, created["id"])
            _apply(api, document, params.get("parameters") or {})
            self.state.apis.put(ctx.scope, api.id, api)
        return dict(api.body)

    def put_rest_api(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        document = load_document(params.get("body") or b"")
        mode = params.get("mode") or "merge"
        if mode not in ("merge", "overwrite"):
            raise bad_request('Enumeration value of OpenAPI import mode must be "overwrite" or "merge"')
        if mode == "overwrite":
            root = api.body["rootResourceId"]
            api.resources = {root: {"id": root, "path": "/"}}
            api.models, api.validators, api.gateway_responses = default_models(), {}, {}
            info = document.get("info") or {}
            for member in ("title", "description", "version"):
                if info.get(member):
                    api.body["name" if member == "title" else member] = str(info[member])
        _apply(api, document, params.get("parameters") or {})
        self.state.apis.put(ctx.scope, api.id, api)
        return dict(api.body)


def _apply(api: RestApi, document: dict, parameters: dict) -> None:
    swagger = str(document.get("swagger", "")) == "2.0"
    schemas = (document.get("definitions") if swagger else (document.get("components") or {}).get("schemas")) or {}
    for name, schema in schemas.items():
        if not re.match(r"^[a-zA-Z0-9]+$", name):
            raise bad_request(f"Invalid model name specified: {name}")
        api.models[name] = {"id": (api.models.get(name) or {}).get("id") or new_id(6), "name": name,
                            "contentType": "application/json", "schema": json.dumps(_model_refs(schema, api.id))}
    for name, validator in (document.get("x-amazon-apigateway-request-validators") or {}).items():
        found = next((v for v in api.validators.values() if v.get("name") == name), None)
        body = found or {"id": new_id(6), "name": name}
        body.update(validateRequestBody=bool(validator.get("validateRequestBody")),
                    validateRequestParameters=bool(validator.get("validateRequestParameters")))
        api.validators[body["id"]] = body
    if document.get("x-amazon-apigateway-api-key-source"):
        api.body["apiKeySource"] = str(document["x-amazon-apigateway-api-key-source"]).upper()
    if document.get("x-amazon-apigateway-binary-media-types"):
        api.body["binaryMediaTypes"] = list(document["x-amazon-apigateway-binary-media-types"])
    for kind, response in (document.get("x-amazon-apigateway-gateway-responses") or {}).items():
        if kind not in DEFAULT_STATUS:
            raise bad_request(f"Invalid response type specified: {kind}")
        body = {"responseType": kind, "responseParameters": response.get("responseParameters") or {},
                "responseTemplates": response.get("responseTemplates") or {}, "defaultResponse": False}
        if response.get("statusCode"):
            body["statusCode"] = str(response["statusCode"])
        api.gateway_responses[kind] = body
    schemes = (document.get("securityDefinitions") if swagger
               else (document.get("components") or {}).get("securitySchemes")) or {}
    context = {"swagger": swagger, "schemes": schemes, "security": document.get("security"),
               "validator": document.get("x-amazon-apigateway-request-validator"),
               "consumes": document.get("consumes") or ["application/json"]}
    prefix = _base_path(document, swagger) if parameters.get("basepath") == "prepend" else ""
    for path, item in (document.get("paths") or {}).items():
        resource = _resource(api, prefix + path)
        shared = item.get("parameters") or []
        for key, operation in item.items():
            if key in _OPERATIONS and isinstance(operation, dict):
                method = _method(api, _OPERATIONS[key], operation, shared, context)
                resource.setdefault("resourceMethods", {})[method["httpMethod"]] = method


def _model_refs(schema: Any, api_id: str) -> Any:
    """A schema whose refs to other schemas of the document name the API's models instead."""
    if isinstance(schema, dict):
        return {key: (re.sub(r"^#/(?:definitions|components/schemas)/",
                             f"https://apigateway.amazonaws.com/restapis/{api_id}/models/", value)
                      if key == "$ref" and isinstance(value, str) else _model_refs(value, api_id))
                for key, value in schema.items()}
    if isinstance(schema, list):
        return [_model_refs(item, api_id) for item in schema]
    return schema


def _base_path(document: dict, swagger: bool) -> str:
    if swagger:
        return (document.get("basePath") or "").rstrip("/")
    url = ((document.get("servers") or [{}])[0].get("url") or "")
    found = re.match(r"^(?:[a-z]+://[^/]+)?(/.*)?$", url)
    return ((found.group(1) or "") if found else "").rstrip("/")


def _resource(api: RestApi, path: str) -> dict:
    """The resource at ``path``, created with its missing ancestors."""
    current = api.resources[api.body["rootResourceId"]]
    for part in [p for p in path.split("/") if p]:
        child = next((r for r in api.resources.values()
                      if r.get("parentId") == current["id"] and r.get("pathPart") == part), None)
        if child is None:
            if not re.match(r"^(?:[a-zA-Z0-9._:-]+|\{[a-zA-Z0-9._-]+\+?\})$", part):
                raise bad_request(f"Invalid resource path part specified: {part}")
            resource_id = new_id(6)
            child = {"id": resource_id, "parentId": current["id"], "pathPart": part,
                     "path": ("" if current["path"] == "/" else current["path"]) + "/" + part}
            api.resources[resource_id] = child
        current = child
    return current


def _method(api: RestApi, http_method: str, operation: dict, shared: list, context: dict) -> dict:
    method: dict[str, Any] = {"httpMethod": http_method, "authorizationType": "NONE", "apiKeyRequired": False}
    if operation.get("operationId"):
        method["operationName"] = str(operation["operationId"])
    if operation.get("x-amazon-apigateway-authorizer") or any(
            s.get("x-amazon-apigateway-authorizer") for s in context["schemes"].values() if isinstance(s, dict)):
        raise bad_request("Authorizers (x-amazon-apigateway-authorizer) are not supported by regionbox: "
                          "import the API without them")
    for requirement in operation.get("security", context["security"]) or []:
        for name in requirement:
            scheme = context["schemes"].get(name) or {}
            if scheme.get("type") == "apiKey" and str(scheme.get("name", "")).lower() == "x-api-key":
                method["apiKeyRequired"] = True
            if scheme.get("x-amazon-apigateway-authtype") == "awsSigv4":
                method["authorizationType"] = "AWS_IAM"
    parameters: dict[str, bool] = {}
    models: dict[str, str] = {}
    for parameter in [*shared, *(operation.get("parameters") or [])]:
        where = parameter.get("in")
        if where in _WHERE and parameter.get("name"):
            parameters[f"method.request.{_WHERE[where]}.{parameter['name']}"] = bool(parameter.get("required", where == "path"))
        elif where == "body" and "$ref" in (parameter.get("schema") or {}):
            models[context["consumes"][0]] = parameter["schema"]["$ref"].rsplit("/", 1)[-1]
    for content_type, media in ((operation.get("requestBody") or {}).get("content") or {}).items():
        reference = (media.get("schema") or {}).get("$ref")
        if reference:
            models[content_type] = reference.rsplit("/", 1)[-1]
    if parameters:
        method["requestParameters"] = parameters
    if models:
        method["requestModels"] = models
    validator_name = operation.get("x-amazon-apigateway-request-validator", context["validator"])
    if validator_name:
        validator = next((v for v in api.validators.values() if v.get("name") == validator_name), None)
        if validator is None:
            raise bad_request(f"Invalid request validator specified: {validator_name}")
        method["requestValidatorId"] = validator["id"]
    responses = {}
    for code, response in (operation.get("responses") or {}).items():
        if re.match(r"^[1-5]\d\d$", str(code)):
            shown: dict[str, Any] = {"statusCode": str(code)}
            headers = (response or {}).get("headers") or {}
            if headers:
                shown["responseParameters"] = {f"method.response.header.{h}": False for h in headers}
            responses[str(code)] = shown
    if responses:
        method["methodResponses"] = responses
    check_method(method, api)
    integration = operation.get("x-amazon-apigateway-integration")
    if integration:
        method["methodIntegration"] = _integration(integration)
    return method


def _integration(given: dict) -> dict:
    integration: dict[str, Any] = {
        "type": str(given.get("type", "")).upper(),
        "passthroughBehavior": str(given.get("passthroughBehavior", "when_no_match")).upper(),
        "timeoutInMillis": int(given.get("timeoutInMillis", 29000)), "cacheNamespace": new_id(6),
        "cacheKeyParameters": list(given.get("cacheKeyParameters") or [])}
    if given.get("httpMethod"):
        integration["httpMethod"] = str(given["httpMethod"]).upper()
    if integration["type"] != "MOCK":
        integration["connectionType"] = str(given.get("connectionType", "INTERNET"))
    for member in ("uri", "requestParameters", "requestTemplates", "contentHandling", "credentials"):
        if given.get(member) is not None:
            integration[member] = given[member]
    check_integration(integration)
    responses = {}
    for pattern, response in (given.get("responses") or {}).items():
        status = str((response or {}).get("statusCode", ""))
        if not re.match(r"^[1-5]\d\d$", status):
            raise bad_request(f"Invalid integration response status code specified: {status}")
        shown: dict[str, Any] = {"statusCode": status}
        if pattern != "default":
            shown["selectionPattern"] = pattern
        for member in ("responseParameters", "responseTemplates", "contentHandling"):
            if response.get(member) is not None:
                shown[member] = response[member]
        responses[status] = shown
    if responses:
        integration["integrationResponses"] = responses
    return integration
