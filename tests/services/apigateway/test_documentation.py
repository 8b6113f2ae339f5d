"""API documentation parts and versions."""

from __future__ import annotations

import json

import botocore.exceptions
import pytest

from tests.services.apigateway.helpers import mock_api


@pytest.fixture
def gw(cloud):
    return cloud.client("apigateway")


def test_parts_versions_and_import(gw):
    api_id, _ = mock_api(gw)
    api_part = gw.create_documentation_part(restApiId=api_id, location={"type": "API"},
                                            properties=json.dumps({"info": {"description": "the API"}}))
    method_part = gw.create_documentation_part(restApiId=api_id, location={"type": "METHOD", "path": "/ping"},
                                               properties='{"summary": "ping"}')
    assert method_part["location"] == {"type": "METHOD", "path": "/ping", "method": "*"}
    with pytest.raises(botocore.exceptions.ClientError) as again:
        gw.create_documentation_part(restApiId=api_id, location={"type": "METHOD", "path": "/ping"}, properties="{}")
    assert again.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(botocore.exceptions.ClientError) as nameless:
        gw.create_documentation_part(restApiId=api_id, location={"type": "QUERY_PARAMETER"}, properties="{}")
    assert nameless.value.response["Error"]["Code"] == "BadRequestException"
    assert [p["id"] for p in gw.get_documentation_parts(restApiId=api_id, type="METHOD")["items"]] == [method_part["id"]]
    gw.update_documentation_part(restApiId=api_id, documentationPartId=method_part["id"], patchOperations=[
        {"op": "replace", "path": "/properties", "value": '{"summary": "pong"}'}])
    version = gw.create_documentation_version(restApiId=api_id, documentationVersion="1.0", stageName="prod",
                                              description="first")
    assert version["version"] == "1.0"
    assert gw.get_stage(restApiId=api_id, stageName="prod")["documentationVersion"] == "1.0"
    assert [v["version"] for v in gw.get_documentation_versions(restApiId=api_id)["items"]] == ["1.0"]
    with pytest.raises(botocore.exceptions.ClientError) as in_use:
        gw.delete_documentation_version(restApiId=api_id, documentationVersion="1.0")
    assert in_use.value.response["Error"]["Code"] == "ConflictException"
    document = {"openapi": "3.0.0", "info": {"title": "x"}, "paths": {}, "x-amazon-apigateway-documentation": {
        "documentationParts": [{"location": {"type": "METHOD", "path": "/ping"}, "properties": {"summary": "imported"}},
                               {"location": {"type": "RESOURCE", "path": "/ping"}, "properties": {"description": "r"}},
                               {"location": {"type": "BOGUS"}, "properties": {}}]}}
    imported = gw.import_documentation_parts(restApiId=api_id, body=json.dumps(document).encode())
    assert len(imported["ids"]) == 2 and len(imported["warnings"]) == 1
    assert json.loads(gw.get_documentation_part(restApiId=api_id, documentationPartId=method_part["id"])[
        "properties"]) == {"summary": "imported"}
    gw.delete_documentation_part(restApiId=api_id, documentationPartId=api_part["id"])
    assert len(gw.get_documentation_parts(restApiId=api_id)["items"]) == 2
