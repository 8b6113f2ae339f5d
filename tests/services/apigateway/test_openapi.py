"""OpenAPI import: a whole keyed, validated API from one document (OpenAPI 3 in YAML, Swagger 2
in JSON), through boto3 and the AWS CLI, then called at its invoke URL."""

from __future__ import annotations

import json

import botocore.exceptions
import pytest
import requests

from tests.services.apigateway.helpers import EchoBackend, invoke_url, keyed_plan
from tests.services.test_cli_aws import aws

OPENAPI_YAML = """
openapi: 3.0.1
info: {title: pets, version: "1.0", description: imported}
x-amazon-apigateway-api-key-source: HEADER
x-amazon-apigateway-request-validators:
  body-only: {validateRequestBody: true, validateRequestParameters: false}
components:
  securitySchemes:
    api_key: {type: apiKey, name: x-api-key, in: header}
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        name: {type: string}
        tag: {$ref: "#/components/schemas/Tag"}
    Tag: {type: string, maxLength: 5}
paths:
  /pets:
    get:
      security: [{api_key: []}]
      responses:
        "200": {description: ok, headers: {X-Count: {schema: {type: string}}}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseParameters: {method.response.header.X-Count: "'2'"}
            responseTemplates: {application/json: '[{"name": "rex"}, {"name": "tom"}]'}
    post:
      x-amazon-apigateway-request-validator: body-only
      requestBody:
        content:
          application/json: {schema: {$ref: "#/components/schemas/Pet"}}
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: POST, uri: "BACKEND/pets"}
  /pets/{petId}:
    parameters: [{name: petId, in: path, required: true, schema: {type: string}}]
    x-amazon-apigateway-any-method:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: "BACKEND/pets/{petId}"
        requestParameters: {integration.request.path.petId: method.request.path.petId}
"""


@pytest.fixture
def gw(cloud):
    return cloud.client("apigateway")


def test_openapi_3_yaml_import_serves_a_keyed_validated_api(cloud, gw):
    with EchoBackend() as backend:
        api = gw.import_rest_api(body=OPENAPI_YAML.replace("BACKEND", backend.url).encode())
        assert (api["name"], api["description"], api["version"]) == ("pets", "imported", "1.0")
        paths = sorted(r["path"] for r in gw.get_resources(restApiId=api["id"])["items"])
        assert paths == ["/", "/pets", "/pets/{petId}"]
        assert {m["name"] for m in gw.get_models(restApiId=api["id"])["items"]} >= {"Pet", "Tag"}
        gw.create_deployment(restApiId=api["id"], stageName="v1")
        key, _ = keyed_plan(gw, api["id"], stage="v1")
        listed = requests.get(invoke_url(cloud, api["id"], "v1", "/pets"), headers={"x-api-key": key["value"]})
        assert listed.status_code == 200 and listed.headers["X-Count"] == "2"
        assert [p["name"] for p in listed.json()] == ["rex", "tom"]
        assert requests.get(invoke_url(cloud, api["id"], "v1", "/pets")).status_code == 403
        created = requests.post(invoke_url(cloud, api["id"], "v1", "/pets"), json={"name": "ada", "tag": "cat"})
        assert created.status_code == 200 and created.json()["path"] == "/pets"
        refused = requests.post(invoke_url(cloud, api["id"], "v1", "/pets"), json={"name": "ada", "tag": "toolong"})
        assert refused.status_code == 400 and refused.json() == {"message": "Invalid request body"}
        one = requests.delete(invoke_url(cloud, api["id"], "v1", "/pets/7"))
        assert one.json()["method"] == "DELETE" and one.json()["path"] == "/pets/7"


def test_swagger_2_put_rest_api_overwrites_and_merges(gw):
    api = gw.create_rest_api(name="before")
    gw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="old")
    swagger = {"swagger": "2.0", "info": {"title": "after", "version": "2"},
               "securityDefinitions": {"sigv4": {"type": "apiKey", "name": "Authorization", "in": "header",
                                                 "x-amazon-apigateway-authtype": "awsSigv4"}},
               "paths": {"/health": {"get": {"security": [{"sigv4": []}],
                                             "parameters": [{"name": "deep", "in": "query", "required": False}],
                                             "responses": {"200": {"description": "ok"}},
                                             "x-amazon-apigateway-integration": {"type": "mock", "responses": {
                                                 "default": {"statusCode": "200"}}}}}}}
    replaced = gw.put_rest_api(restApiId=api["id"], mode="overwrite", body=json.dumps(swagger).encode())
    assert replaced["name"] == "after"
    assert sorted(r["path"] for r in gw.get_resources(restApiId=api["id"])["items"]) == ["/", "/health"]
    health = next(r for r in gw.get_resources(restApiId=api["id"])["items"] if r["path"] == "/health")
    method = gw.get_method(restApiId=api["id"], resourceId=health["id"], httpMethod="GET")
    assert method["authorizationType"] == "AWS_IAM"
    assert method["requestParameters"] == {"method.request.querystring.deep": False}
    merged = {"swagger": "2.0", "info": {"title": "after"}, "paths": {"/extra": {"get": {"responses": {}}}}}
    gw.put_rest_api(restApiId=api["id"], body=json.dumps(merged).encode())  # merge is the default
    assert sorted(r["path"] for r in gw.get_resources(restApiId=api["id"])["items"]) == ["/", "/extra", "/health"]


def test_bad_documents_and_authorizers_are_refused(gw):
    for body in (b"not a document: [", b'{"openapi": "1.0", "info": {"title": "x"}}'):
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            gw.import_rest_api(body=body)
        assert refused.value.response["Error"]["Code"] == "BadRequestException"
    with_authorizer = {"openapi": "3.0.0", "info": {"title": "a"}, "paths": {"/x": {"get": {
        "x-amazon-apigateway-authorizer": {"type": "token"}, "responses": {}}}}}
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        gw.import_rest_api(body=json.dumps(with_authorizer).encode())
    assert "Authorizers" in refused.value.response["Error"]["Message"]
    assert [a["name"] for a in gw.get_rest_apis()["items"]] == []  # nothing half-imported


def test_cli_import_rest_api_from_a_file(cloud, tmp_path):
    document = tmp_path / "api.yaml"
    document.write_text(OPENAPI_YAML.replace("BACKEND", "http://127.0.0.1:9"))
    api = json.loads(aws(cloud, "apigateway", "import-rest-api", "--body", f"fileb://{document}").stdout)
    assert api["name"] == "pets"


def test_export_imports_again(cloud, gw):
    with EchoBackend() as backend:
        source = gw.import_rest_api(body=OPENAPI_YAML.replace("BACKEND", backend.url).encode())
        gw.create_deployment(restApiId=source["id"], stageName="v1")
        for kind, accepts in (("oas30", "application/json"), ("swagger", "application/yaml")):
            exported = gw.get_export(restApiId=source["id"], stageName="v1", exportType=kind, accepts=accepts,
                                     parameters={"extensions": "integrations"})
            assert exported["contentType"] == accepts
            body = exported["body"].read()
            copy = gw.import_rest_api(body=body)
            gw.create_deployment(restApiId=copy["id"], stageName="v1")
            key, _ = keyed_plan(gw, copy["id"], stage="v1")
            listed = requests.get(invoke_url(cloud, copy["id"], "v1", "/pets"), headers={"x-api-key": key["value"]})
            assert [p["name"] for p in listed.json()] == ["rex", "tom"], kind
            assert requests.get(invoke_url(cloud, copy["id"], "v1", "/pets")).status_code == 403
            refused = requests.post(invoke_url(cloud, copy["id"], "v1", "/pets"), json={"tag": "x"})
            assert refused.status_code == 400, kind
        plain = json.loads(gw.get_export(restApiId=source["id"], stageName="v1", exportType="oas30")["body"].read())
        assert "x-amazon-apigateway-integration" not in json.dumps(plain)
        assert plain["servers"][0]["variables"]["basePath"]["default"] == "v1"
