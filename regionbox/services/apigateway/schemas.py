"""Models and request validators: CreateModel, GetModel(s), UpdateModel, DeleteModel,
CreateRequestValidator, GetRequestValidator(s), UpdateRequestValidator, DeleteRequestValidator.

A model is a JSON schema (draft 4) that a method's ``requestModels`` names per content type; a
request validator says whether the method's required request parameters and its body are checked
(validation.py does it on the data plane). Every new API has AWS's two models, "Empty" and "Error".
"""

from __future__ import annotations

import json
import re

from regionbox.core.context import RequestContext
from regionbox.core.pagination import Paginator
from regionbox.services.apigateway import patch
from regionbox.services.apigateway.model_templates import default_template
from regionbox.services.apigateway.models import RestApi, new_id
from regionbox.services.apigateway.paging import listing
from regionbox.services.apigateway.state import ApiGatewayState, bad_request, conflict, not_found

_MODEL_NAME = re.compile(r"^[a-zA-Z0-9]+$")
DRAFT_4 = "http://json-schema.org/draft-04/schema#"


def default_models() -> dict[str, dict]:
    """The models AWS gives every new REST API."""
    return {
        "Error": {"id": new_id(6), "name": "Error", "description": "This is a default error schema model",
                  "contentType": "application/json",
                  "schema": json.dumps({"$schema": DRAFT_4, "title": "Error Schema", "type": "object",
                                        "properties": {"message": {"type": "string"}}}, indent=2)},
        "Empty": {"id": new_id(6), "name": "Empty", "description": "This is a default empty schema model",
                  "contentType": "application/json",
                  "schema": json.dumps({"$schema": DRAFT_4, "title": "Empty Schema", "type": "object"}, indent=2)},
    }


def check_schema(text: str | None) -> None:
    if text is None:
        return
    try:
        schema = json.loads(text)
    except ValueError:
        raise bad_request("Invalid model specified: Validation Result: warnings : [], errors : "
                          "[Invalid model schema specified]") from None
    if not isinstance(schema, dict):
        raise bad_request("Invalid model specified: Validation Result: warnings : [], errors : "
                          "[Invalid model schema specified]")


class Schemas:
    def __init__(self, state: ApiGatewayState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    # -- models ---------------------------------------------------------------------------------
    def _model(self, api: RestApi, name: str) -> dict:
        found = api.models.get(name)
        if found is None:
            raise not_found("Invalid model name specified")
        return found

    def create_model(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        name = params["name"]
        if not _MODEL_NAME.match(name):
            raise bad_request("Model name must be non-empty and alphanumeric")
        if name in api.models:
            raise conflict("Model name already exists for this REST API")
        check_schema(params.get("schema"))
        model = {"id": new_id(6), "name": name, "contentType": params["contentType"]}
        for member in ("description", "schema"):
            if params.get(member) is not None:
                model[member] = params[member]
        api.models[name] = model
        self.state.apis.put(ctx.scope, api.id, api)
        return dict(model)

    def get_model(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        return dict(self._model(api, params["modelName"]))

    def get_model_template(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        return {"value": default_template(self._model(api, params["modelName"]).get("schema"), api.models)}

    def get_models(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        return listing(self.paginator, [dict(m) for m in api.models.values()], params)

    def update_model(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        model = self._model(api, params["modelName"])
        changed = patch.apply(dict(model), params.get("patchOperations"), "Model", ("schema", "description"))
        check_schema(changed.get("schema"))
        api.models[model["name"]] = changed
        self.state.apis.put(ctx.scope, api.id, api)
        return dict(changed)

    def delete_model(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        model = self._model(api, params["modelName"])
        for resource in api.resources.values():
            for name, method in (resource.get("resourceMethods") or {}).items():
                if model["name"] in (method.get("requestModels") or {}).values():
                    raise conflict(f"Cannot delete model '{model['name']}', is referenced in method request: "
                                   f"{resource['path']}/{name}")
        del api.models[model["name"]]
        self.state.apis.put(ctx.scope, api.id, api)
        return {}

    # -- request validators ---------------------------------------------------------------------
    def _validator(self, api: RestApi, validator_id: str) -> dict:
        found = api.validators.get(validator_id)
        if found is None:
            raise not_found("Invalid Request Validator identifier specified")
        return found

    def create_request_validator(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        validator = {"id": new_id(6), "validateRequestBody": bool(params.get("validateRequestBody", False)),
                     "validateRequestParameters": bool(params.get("validateRequestParameters", False))}
        if params.get("name"):
            validator["name"] = params["name"]
        api.validators[validator["id"]] = validator
        self.state.apis.put(ctx.scope, api.id, api)
        return dict(validator)

    def get_request_validator(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        return dict(self._validator(api, params["requestValidatorId"]))

    def get_request_validators(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        return listing(self.paginator, [dict(v) for v in api.validators.values()], params)

    def update_request_validator(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        validator = self._validator(api, params["requestValidatorId"])
        changed = patch.apply(dict(validator), params.get("patchOperations"), "RequestValidator",
                              ("name", "validateRequestBody", "validateRequestParameters"))
        api.validators[validator["id"]] = changed
        self.state.apis.put(ctx.scope, api.id, api)
        return dict(changed)

    def delete_request_validator(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        validator = self._validator(api, params["requestValidatorId"])
        for resource in api.resources.values():
            for method in (resource.get("resourceMethods") or {}).values():
                if method.get("requestValidatorId") == validator["id"]:
                    method.pop("requestValidatorId")  # the methods that named it are no longer validated
        del api.validators[validator["id"]]
        self.state.apis.put(ctx.scope, api.id, api)
        return {}
