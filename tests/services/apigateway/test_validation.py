"""Models and request validators: the control plane, and requests refused on the data plane
before they reach the integration."""

from __future__ import annotations

import json

import botocore.exceptions
import pytest
import requests

from regionbox.protocol.http import HttpRequest
from regionbox.services.apigateway.validation import body_is_valid
from tests.services.apigateway.helpers import EchoBackend, invoke_url

ORDER = {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "required": ["sku", "count"],
         "additionalProperties": False,
         "properties": {"sku": {"type": "string", "pattern": "^[A-Z]{3}-\\d+$"},
                        "count": {"type": "integer", "minimum": 1, "maximum": 10},
                        "gift": {"$ref": "#/definitions/gift"}},
         "definitions": {"gift": {"type": "object", "required": ["to"], "properties": {"to": {"type": "string", "minLength": 1}}}}}


@pytest.fixture
def gw(cloud):
    return cloud.client("apigateway")


def test_models_and_validators_control_plane(gw):
    api = gw.create_rest_api(name="validated")
    assert sorted(m["name"] for m in gw.get_models(restApiId=api["id"])["items"]) == ["Empty", "Error"]
    model = gw.create_model(restApiId=api["id"], name="Order", contentType="application/json", schema=json.dumps(ORDER))
    assert gw.get_model(restApiId=api["id"], modelName="Order")["id"] == model["id"]
    with pytest.raises(botocore.exceptions.ClientError) as again:
        gw.create_model(restApiId=api["id"], name="Order", contentType="application/json", schema="{}")
    assert again.value.response["Error"]["Message"] == "Model name already exists for this REST API"
    with pytest.raises(botocore.exceptions.ClientError) as broken:
        gw.create_model(restApiId=api["id"], name="Broken", contentType="application/json", schema="{not json")
    assert broken.value.response["Error"]["Code"] == "BadRequestException"
    updated = gw.update_model(restApiId=api["id"], modelName="Order",
                              patchOperations=[{"op": "replace", "path": "/description", "value": "an order"}])
    assert updated["description"] == "an order"
    validator = gw.create_request_validator(restApiId=api["id"], name="all", validateRequestBody=True,
                                            validateRequestParameters=True)
    assert gw.get_request_validators(restApiId=api["id"])["items"] == [{k: v for k, v in validator.items()
                                                                        if k != "ResponseMetadata"}]
    with pytest.raises(botocore.exceptions.ClientError) as unknown:
        gw.put_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="POST",
                      authorizationType="NONE", requestValidatorId="nope00")
    assert unknown.value.response["Error"]["Message"] == "Invalid Request Validator identifier specified"
    gw.put_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="POST", authorizationType="NONE",
                  requestValidatorId=validator["id"], requestModels={"application/json": "Order"})
    with pytest.raises(botocore.exceptions.ClientError) as in_use:
        gw.delete_model(restApiId=api["id"], modelName="Order")
    assert in_use.value.response["Error"]["Code"] == "ConflictException"
    gw.delete_request_validator(restApiId=api["id"], requestValidatorId=validator["id"])
    assert "requestValidatorId" not in gw.get_method(restApiId=api["id"], resourceId=api["rootResourceId"],
                                                     httpMethod="POST")


def test_validator_refuses_missing_parameters_and_invalid_bodies(cloud, gw):
    with EchoBackend() as backend:
        api = gw.create_rest_api(name="orders")
        orders = gw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="orders")
        gw.create_model(restApiId=api["id"], name="Order", contentType="application/json", schema=json.dumps(ORDER))
        validator = gw.create_request_validator(restApiId=api["id"], name="all", validateRequestBody=True,
                                                validateRequestParameters=True)
        gw.put_method(restApiId=api["id"], resourceId=orders["id"], httpMethod="POST", authorizationType="NONE",
                      requestValidatorId=validator["id"], requestModels={"application/json": "Order"},
                      requestParameters={"method.request.querystring.shop": True, "method.request.header.X-Tenant": True,
                                         "method.request.querystring.optional": False})
        gw.put_integration(restApiId=api["id"], resourceId=orders["id"], httpMethod="POST", type="HTTP_PROXY",
                           integrationHttpMethod="POST", uri=backend.url + "/orders")
        gw.create_deployment(restApiId=api["id"], stageName="prod")
        url = invoke_url(cloud, api["id"], "prod", "/orders")
        good = {"sku": "ABC-1", "count": 2, "gift": {"to": "ann"}}
        missing = requests.post(url, json=good)
        assert missing.status_code == 400
        assert missing.json() == {"message": "Missing required request parameters: [shop, X-Tenant]"}
        headers = {"X-Tenant": "t1"}
        for bad in ({"sku": "ABC-1"}, {"sku": "abc", "count": 2}, {"sku": "ABC-1", "count": 11},
                    {"sku": "ABC-1", "count": 2, "extra": 1}, {"sku": "ABC-1", "count": 2, "gift": {}}):
            refused = requests.post(url, params={"shop": "s"}, json=bad, headers=headers)
            assert (refused.status_code, refused.json()) == (400, {"message": "Invalid request body"}), bad
        accepted = requests.post(url, params={"shop": "s"}, json=good, headers=headers)
        assert accepted.status_code == 200 and json.loads(accepted.json()["body"]) == good


def _valid(schema: dict, document) -> bool:
    request = HttpRequest("POST", "/", "", {"content-type": "application/json"})
    models = {"M": {"name": "M", "schema": json.dumps(schema)}, "Other": {"name": "Other", "schema": '{"type": "string"}'}}
    return body_is_valid({"requestModels": {"application/json": "M"}}, models, request, json.dumps(document).encode())


def test_schema_keywords():
    assert _valid({"type": "array", "items": {"type": "number"}, "minItems": 1, "uniqueItems": True}, [1, 2.5])
    assert not _valid({"type": "array", "uniqueItems": True}, [1, 1])
    assert not _valid({"type": "integer"}, True)
    assert _valid({"type": ["string", "null"]}, None)
    assert _valid({"enum": ["a", "b"]}, "b") and not _valid({"enum": ["a", "b"]}, "c")
    assert not _valid({"type": "number", "minimum": 1, "exclusiveMinimum": True}, 1)
    assert _valid({"type": "number", "multipleOf": 0.5}, 2.5) and not _valid({"multipleOf": 2}, 3)
    assert _valid({"oneOf": [{"type": "string"}, {"type": "integer"}]}, 3)
    assert not _valid({"anyOf": [{"type": "string"}, {"type": "boolean"}]}, 3)
    assert not _valid({"not": {"type": "string"}}, "x")
    assert _valid({"$ref": "https://apigateway.amazonaws.com/restapis/abc/models/Other"}, "text")
    assert not _valid({"type": "object", "patternProperties": {"^n_": {"type": "integer"}}, "additionalProperties": False},
                      {"n_a": 1, "b": 2})
