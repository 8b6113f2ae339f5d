"""Mapping templates: the VTL API Gateway's templates use, directly and through a MOCK method."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
import requests
from hypothesis import given, strategies as st

from regionbox.services.apigateway.templates import TemplateInput, render
from regionbox.services.apigateway.vtl import TemplateError
from tests.services.apigateway.helpers import invoke_url

BODY = b'{"order": {"items": [{"sku": "a", "n": 2}, {"sku": "b", "n": 1}]}, "note": "say \\"hi\\""}'


def given_input(body: bytes = BODY) -> TemplateInput:
    return TemplateInput(body, {"id": "42"}, {"scope": "internal", "q": "a b"}, {"x-trace": "t-1"},
                         {"stage": "prod", "requestId": "r-1", "identity": {"sourceIp": "127.0.0.1"}}, {"env": "dev"})


def test_references_of_input_context_stage_variables_and_util():
    template = ('{"id": "$input.params(\'id\')", "q": "$util.urlEncode($input.params(\'q\'))", '
                '"trace": "$input.params().header.get(\'x-trace\')", "stage": "$context.stage", '
                '"ip": "${context.identity.sourceIp}", "env": "$stageVariables.env", "order": $input.json(\'$.order\'), '
                '"first": "$input.path(\'$.order.items[0].sku\')", "missing": "$!nothing"}')
    assert json.loads(render(template, given_input())) == {
        "id": "42", "q": "a+b", "trace": "t-1", "stage": "prod", "ip": "127.0.0.1", "env": "dev",
        "order": {"items": [{"sku": "a", "n": 2}, {"sku": "b", "n": 1}]}, "first": "a", "missing": ""}
    assert render("$undefined.thing stays", given_input()) == "$undefined.thing stays"


def test_set_if_foreach():
    template = """#set($root = $input.path('$'))
#set($total = 0)
[#foreach($item in $root.order.items)#set($total = $total + $item.n)
{"sku": "$item.sku", "last": #if($foreach.hasNext)false#{else}true#end}#if($foreach.hasNext),#end
#end]
#if($total > 2 && $input.params('scope') == "internal")
"$total"
#elseif($total > 2)
"outside"
#else
"few"
#end"""
    lines = render(template, given_input()).split("\n")
    assert json.loads("".join(lines[:-3]).strip()) == [{"sku": "a", "last": False}, {"sku": "b", "last": True}]
    assert lines[-2].strip() == '"3"'


def test_escape_javascript_and_parse_json():
    assert render("$util.escapeJavaScript($input.path('$.note'))", given_input()) == 'say \\"hi\\"'
    assert render("#set($x = $util.parseJson('{\"a\": [1, 2]}'))$x.a.size()", given_input()) == "2"


def test_a_template_that_cannot_be_parsed_raises():
    with pytest.raises(TemplateError):
        render("#if($x == ) never #end", given_input())
    with pytest.raises(TemplateError):
        render("#foreach($x in $y) no end", given_input())


@given(st.text(alphabet=st.characters(blacklist_characters="$#")))
def test_text_without_references_or_directives_is_unchanged(text):
    assert render(text, given_input()) == text


def test_documented_mock_selects_its_response_by_a_conditional_template(cloud):
    gw = cloud.client("apigateway")
    api = gw.create_rest_api(name="conditional")
    root = api["rootResourceId"]
    gw.put_method(restApiId=api["id"], resourceId=root, httpMethod="GET", authorizationType="NONE",
                  requestParameters={"method.request.querystring.scope": False})
    gw.put_integration(restApiId=api["id"], resourceId=root, httpMethod="GET", type="MOCK", requestTemplates={
        "application/json": '{ #if( $input.params(\'scope\') == "internal" ) "statusCode": 200 #else "statusCode": 500 #end }'})
    gw.put_integration_response(restApiId=api["id"], resourceId=root, httpMethod="GET", statusCode="200",
                                responseTemplates={"application/json": '{"statusCode": 200, "message": "Go ahead without me"}'})
    gw.put_integration_response(restApiId=api["id"], resourceId=root, httpMethod="GET", statusCode="500",
                                selectionPattern="5\\d{2}", responseTemplates={
                                    "application/json": '{"statusCode": 500, "message": "The invoked method is not supported on the API resource."}'})
    gw.create_deployment(restApiId=api["id"], stageName="test")
    inside = requests.get(invoke_url(cloud, api["id"], "test", "/"), params={"scope": "internal"})
    assert (inside.status_code, inside.json()["message"]) == (200, "Go ahead without me")
    outside = requests.get(invoke_url(cloud, api["id"], "test", "/"), params={"scope": "public"})
    assert outside.status_code == 500
    assert outside.json()["message"] == "The invoked method is not supported on the API resource."


def test_get_model_template_maps_a_payload_into_the_model(cloud):
    gw = cloud.client("apigateway")
    api = gw.create_rest_api(name="templated")["id"]
    gw.create_model(restApiId=api, name="Item", contentType="application/json", schema=json.dumps(
        {"type": "object", "properties": {"sku": {"type": "string"}, "count": {"type": "integer"}}}))
    gw.create_model(restApiId=api, name="Order", contentType="application/json", schema=json.dumps(
        {"type": "object", "properties": {
            "id": {"type": "string"}, "paid": {"type": "boolean"},
            "items": {"type": "array", "items": {"$ref": f"https://apigateway.amazonaws.com/restapis/{api}/models/Item"}}}}))
    template = gw.get_model_template(restApiId=api, modelName="Order")["value"]
    assert template.startswith("#set($inputRoot = $input.path('$'))\n{")
    assert '"id" : "$inputRoot.id"' in template and '"paid" : $inputRoot.paid' in template
    assert "#foreach($elem in $inputRoot.items)" in template and '"count" : $elem.count' in template
    payload = {"id": "o-1", "paid": True, "items": [{"sku": "a", "count": 2}, {"sku": "b", "count": 1}], "extra": 1}
    mapped = render(template, TemplateInput(json.dumps(payload).encode(), {}, {}, {}, {}, {}))
    assert json.loads(mapped) == {k: v for k, v in payload.items() if k != "extra"}
    with pytest.raises(ClientError) as missing:
        gw.get_model_template(restApiId=api, modelName="Nope")
    assert missing.value.response["Error"]["Code"] == "NotFoundException"


def test_sdk_types_as_aws_lists_them(cloud):
    gw = cloud.client("apigateway")
    types = gw.get_sdk_types()["items"]
    assert [t["id"] for t in types] == ["android", "java", "javascript", "objectivec", "ruby", "swift"]
    java = gw.get_sdk_type(id="java")
    assert {"name": "java.package-name", "friendlyName": "Java Package Name",
            "description": "Package name for the generated classes", "required": True} in java["configurationProperties"]
    with pytest.raises(ClientError) as unknown:
        gw.get_sdk_type(id="cobol")
    assert unknown.value.response["Error"]["Code"] == "NotFoundException"
    with pytest.raises(ClientError) as sdk:
        gw.get_sdk(restApiId="x", stageName="prod", sdkType="javascript")
    assert sdk.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
