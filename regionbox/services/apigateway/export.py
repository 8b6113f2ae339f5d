"""OpenAPI export: GetExport of a stage's deployment as OpenAPI 3.0 (``oas30``) or Swagger 2.0
(``swagger``), in JSON or YAML (``Accept: application/yaml``), with API Gateway's extensions when
``parameters.extensions`` asks for ``integrations`` or ``apigateway`` (integrations, validators,
key source, gateway responses), so that an exported API imports again (openapi.py).
"""

from __future__ import annotations

import json
import re
from typing import Any

from regionbox.core.context import RequestContext
from regionbox.services.apigateway.state import ApiGatewayState, bad_request, not_found

_MODEL_REF = re.compile(r"^https://apigateway\.amazonaws\.com/restapis/[^/]+/models/")
_WHERE = {"path": "path", "querystring": "query", "header": "header"}


class Exports:
    def __init__(self, state: ApiGatewayState) -> None:
        self.state = state

    def get_export(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        stage = self.state.stage(ctx.scope, api.id, params["stageName"])
        deployment = self.state.deployments.get(ctx.scope, f"{api.id}/{stage.body.get('deploymentId')}")
        if deployment is None:
            raise not_found("Invalid Deployment identifier specified")
        kind = params["exportType"]
        if kind not in ("oas30", "swagger"):
            raise bad_request(f"Invalid export type specified: {kind}. Valid options are oas30, swagger")
        extensions = {e.strip() for e in (params.get("parameters") or {}).get("extensions", "").split(",") if e.strip()}
        integrations = bool(extensions & {"integrations", "apigateway"})
        swagger = kind == "swagger"
        host = f"{api.id}.execute-api.{ctx.region}.amazonaws.com"
        document: dict[str, Any] = {"info": {"title": api.body.get("name"), "version": api.body.get("version")
                                             or str(deployment.body.get("createdDate"))}}
        if api.body.get("description"):
            document["info"]["description"] = api.body["description"]
        if swagger:
            document = {"swagger": "2.0", **document, "host": host, "basePath": f"/{stage.name}", "schemes": ["https"]}
        else:
            document = {"openapi": "3.0.1", **document, "servers": [
                {"url": f"https://{host}/{{basePath}}", "variables": {"basePath": {"default": stage.name}}}]}
        validators = {v["id"]: v for v in deployment.validators.values()}
        paths: dict[str, dict] = {}
        uses_key = uses_sigv4 = False
        for resource in sorted(deployment.resources.values(), key=lambda r: r["path"]):
            for name, method in sorted((resource.get("resourceMethods") or {}).items()):
                operation = _operation(method, swagger, integrations, validators)
                uses_key |= bool(method.get("apiKeyRequired"))
                uses_sigv4 |= method.get("authorizationType") == "AWS_IAM"
                key = "x-amazon-apigateway-any-method" if name == "ANY" else name.lower()
                paths.setdefault(resource["path"], {})[key] = operation
        document["paths"] = paths
        schemas = {name: _schema(model) for name, model in deployment.models.items()
                   if name not in ("Empty", "Error") and model.get("schema")}
        schemes = {}
        if uses_key:
            schemes["api_key"] = {"type": "apiKey", "name": "x-api-key", "in": "header"}
        if uses_sigv4:
            schemes["sigv4"] = {"type": "apiKey", "name": "Authorization", "in": "header",
                                "x-amazon-apigateway-authtype": "awsSigv4"}
        if swagger:
            if schemas:
                document["definitions"] = schemas
            if schemes:
                document["securityDefinitions"] = schemes
        elif schemas or schemes:
            document["components"] = {**({"schemas": schemas} if schemas else {}),
                                      **({"securitySchemes": schemes} if schemes else {})}
        if integrations:
            if deployment.validators:
                document["x-amazon-apigateway-request-validators"] = {
                    v.get("name", v["id"]): {"validateRequestBody": v.get("validateRequestBody", False),
                                             "validateRequestParameters": v.get("validateRequestParameters", False)}
                    for v in deployment.validators.values()}
            if deployment.gateway_responses:
                document["x-amazon-apigateway-gateway-responses"] = {
                    kind: {k: v for k, v in response.items() if k in ("statusCode", "responseParameters", "responseTemplates")}
                    for kind, response in deployment.gateway_responses.items()}
            document["x-amazon-apigateway-api-key-source"] = api.body.get("apiKeySource", "HEADER")
        document = _refs(document, "#/definitions/" if swagger else "#/components/schemas/")
        yaml_wanted = "yaml" in (params.get("accepts") or "")
        if yaml_wanted:
            import yaml
            body, content_type, extension = yaml.safe_dump(document, sort_keys=False).encode(), "application/yaml", "yaml"
        else:
            body, content_type, extension = json.dumps(document, indent=2).encode(), "application/json", "json"
        return {"body": body, "contentType": content_type,
                "contentDisposition": f'attachment; filename="{api.body.get("name")}-{stage.name}-{kind}.{extension}"'}


def _schema(model: dict) -> Any:
    try:
        return json.loads(model["schema"])
    except ValueError:
        return {}


def _refs(value: Any, prefix: str) -> Any:
    """Model refs (``.../restapis/<id>/models/X``) as the document's own schema refs."""
    if isinstance(value, dict):
        return {k: (_MODEL_REF.sub(prefix, v) if k == "$ref" and isinstance(v, str) else _refs(v, prefix))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_refs(item, prefix) for item in value]
    return value


def _operation(method: dict, swagger: bool, integrations: bool, validators: dict[str, dict]) -> dict:
    operation: dict[str, Any] = {}
    if method.get("operationName"):
        operation["operationId"] = method["operationName"]
    parameters = []
    for name, required in (method.get("requestParameters") or {}).items():
        _, _, where, key = name.split(".", 3)
        if where in _WHERE:
            parameter: dict[str, Any] = {"name": key, "in": _WHERE[where], "required": bool(required) or where == "path"}
            parameter.update({"type": "string"} if swagger else {"schema": {"type": "string"}})
            parameters.append(parameter)
    models = method.get("requestModels") or {}
    if models and swagger:
        parameters.append({"in": "body", "name": next(iter(models.values())), "required": True,
                           "schema": {"$ref": f"#/definitions/{next(iter(models.values()))}"}})
    elif models:
        operation["requestBody"] = {"content": {ct: {"schema": {"$ref": f"#/components/schemas/{m}"}}
                                                for ct, m in models.items()}, "required": True}
    if parameters:
        operation["parameters"] = parameters
    responses = {}
    for code, response in (method.get("methodResponses") or {}).items():
        shown: dict[str, Any] = {"description": f"{code} response"}
        headers = [h.removeprefix("method.response.header.") for h in (response.get("responseParameters") or {})]
        if headers:
            shown["headers"] = {h: ({"type": "string"} if swagger else {"schema": {"type": "string"}}) for h in headers}
        responses[code] = shown
    operation["responses"] = responses
    security = []
    if method.get("apiKeyRequired"):
        security.append({"api_key": []})
    if method.get("authorizationType") == "AWS_IAM":
        security.append({"sigv4": []})
    if security:
        operation["security"] = security
    if integrations:
        validator = validators.get(method.get("requestValidatorId") or "")
        if validator is not None:
            operation["x-amazon-apigateway-request-validator"] = validator.get("name", validator["id"])
        integration = method.get("methodIntegration")
        if integration:
            operation["x-amazon-apigateway-integration"] = _integration(integration)
    return operation


def _integration(integration: dict) -> dict:
    shown: dict[str, Any] = {"type": integration["type"].lower(),
                             "passthroughBehavior": integration.get("passthroughBehavior", "WHEN_NO_MATCH").lower()}
    for member in ("httpMethod", "uri", "requestParameters", "requestTemplates", "timeoutInMillis", "contentHandling",
                   "connectionType", "cacheKeyParameters"):
        if integration.get(member) not in (None, [], {}):
            shown[member] = integration[member]
    responses = {}
    for response in (integration.get("integrationResponses") or {}).values():
        key = response.get("selectionPattern") or "default"
        responses[key] = {k: v for k, v in response.items() if k in ("statusCode", "responseParameters",
                                                                       "responseTemplates", "contentHandling")}
    if responses:
        shown["responses"] = responses
    return shown
