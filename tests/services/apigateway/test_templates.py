"""Mapping templates: the VTL API Gateway's templates use, directly and through a MOCK method."""

from __future__ import annotations

import json

import pytest
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
