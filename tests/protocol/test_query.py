"""The query protocol against botocore itself, over every operation of the query services."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regionbox.core.errors import ServiceError
from regionbox.protocol import negotiate, parser_for, serializer_for
from regionbox.protocol.http import HttpRequest
from regionbox.protocol.specs import service_model
from tests.protocol.dialects import dialect_of
from tests.protocol.xml_family import PROPERTY_SETTINGS, check_error, codec, error_case, error_shapes, property_tests

SERVICES = ["sts", "iam", "elasticache", "rds", "elbv2", "cloudformation", "sns", "cloudwatch"]
FORM = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}

(test_botocore_requests_parse_back_to_the_same_input, test_our_responses_parse_in_botocore_to_the_same_output,
 test_every_operation_round_trips_its_simplest_input_and_output) = property_tests(SERVICES, "query")



@pytest.mark.parametrize("service", [s for s in SERVICES if error_shapes(s)])
@PROPERTY_SETTINGS
@given(data=st.data())
def test_modeled_errors_reach_botocore_with_code_message_and_status(service, data):
    name, fields, message = data.draw(error_case(service))
    parsed = check_error(service, "query", service_model(service), name, fields, message)
    shape = service_model(service).shape_for(name)
    meta = shape.metadata.get("error") or {}
    sender = meta.get("senderFault", meta.get("httpStatusCode", 400) < 500)
    assert parsed["Error"]["Type"] == ("Sender" if sender else "Receiver")


# --- direct cases ------------------------------------------------------------------------------

def parse(service: str, body: str, query: str = "", method: str = "POST"):
    parser, _ = codec(service, "query")
    return parser.parse(HttpRequest(method, "/", query, dict(FORM) if body else {}, body.encode()))


def error_of(service: str, body: str, query: str = "", method: str = "POST") -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        parse(service, body, query, method)
    return caught.value


def test_unknown_action_is_invalid_action():
    error = error_of("iam", "Action=MakeCoffee&Version=2010-05-08")
    assert (error.code, error.status) == ("InvalidAction", 400)
    assert error.message == "Could not find operation MakeCoffee for version 2010-05-08"


def test_missing_action():
    assert error_of("sts", "Version=2011-06-15").code == "MissingAction"


def test_malformed_query_string():
    error = error_of("sts", "Action=GetCallerIdentity&Version=2011-06-15&Bad=%FF%FE")
    assert (error.code, error.status) == ("MalformedQueryString", 400)


def test_missing_required_parameter_uses_coral_validation_message():
    error = error_of("iam", "Action=GetRole&Version=2010-05-08")
    assert error.code == "ValidationError"
    assert error.message == ("1 validation error detected: Value null at 'roleName' failed to satisfy "
                             "constraint: Member must not be null")


def test_constraint_violations_are_reported_together():
    error = error_of("iam", "Action=ListRoles&Version=2010-05-08&MaxItems=0&PathPrefix=")
    assert error.code == "ValidationError"
    assert error.message.startswith("3 validation errors detected: Value '' at 'pathPrefix'")
    assert "Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1" in error.message


def test_wrongly_typed_number_is_a_validation_error():
    error = error_of("iam", "Action=ListRoles&Version=2010-05-08&MaxItems=lots")
    assert error.code == "ValidationError"
    assert "'lots'" in error.message and "maxItems" in error.message


def test_elasticache_reports_missing_parameters_its_own_way():
    error = error_of("elasticache", "Action=CreateCacheParameterGroup&Version=2015-02-02&CacheParameterGroupFamily=redis7&Description=d")
    assert (error.code, error.status) == ("InvalidParameterValue", 400)
    assert error.message == "The parameter CacheParameterGroupName must be provided and must not be null."
    bad = error_of("elasticache", "Action=DescribeCacheClusters&Version=2015-02-02&MaxRecords=many")
    assert bad.code == "InvalidParameterValue"


def test_get_requests_carry_parameters_in_the_query_string():
    operation, params = parse("iam", "", "Action=GetRole&Version=2010-05-08&RoleName=admin", method="GET")
    assert (operation.name, params) == ("GetRole", {"RoleName": "admin"})


def test_lists_maps_and_empty_lists():
    operation, params = parse("sns", "Action=CreateTopic&Version=2010-03-31&Name=t"
                                     "&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=My+topic"
                                     "&Tags.member.2.Key=b&Tags.member.2.Value=2&Tags.member.1.Key=a&Tags.member.1.Value=1")
    assert params == {"Name": "t", "Attributes": {"DisplayName": "My topic"},
                      "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]}
    _, params = parse("elbv2", "Action=SetSecurityGroups&Version=2015-12-01&LoadBalancerArn=arn&SecurityGroups=")
    assert params == {"LoadBalancerArn": "arn", "SecurityGroups": []}


def test_response_envelope_and_namespace():
    model = service_model("sts")
    _, serializer = codec("sts", "query")
    response = serializer.serialize_response(model.operation_model("GetCallerIdentity"),
                                             {"UserId": "u", "Account": "000000000000", "Arn": "arn:aws:iam::000000000000:root"}, "rid")
    root = ElementTree.fromstring(response.body)
    assert root.tag == "{https://sts.amazonaws.com/doc/2011-06-15/}GetCallerIdentityResponse"
    assert [child.tag.split("}")[1] for child in root] == ["GetCallerIdentityResult", "ResponseMetadata"]
    assert response.header("x-amzn-RequestId") == "rid"
    assert response.header("Content-Type") == "text/xml"


def test_unmodeled_errors_keep_their_code_and_status():
    _, serializer = codec("iam", "query")
    response = serializer.serialize_error(None, ServiceError("Throttling", "Rate exceeded", status=400), "rid")
    root = ElementTree.fromstring(response.body)
    ns = "{https://iam.amazonaws.com/doc/2010-05-08/}"
    assert response.status == 400
    assert root.find(f"{ns}Error/{ns}Code").text == "Throttling"
    assert root.find(f"{ns}RequestId").text == "rid"


def test_cloudwatch_query_requests_are_negotiated_to_the_query_protocol():
    model = service_model("cloudwatch")
    request = HttpRequest("POST", "/", "", dict(FORM), b"Action=ListDashboards&Version=2010-08-01")
    assert negotiate(model, request) == "query"
    operation, params = parser_for(model, "query", dialect_of("cloudwatch")).parse(request)
    assert operation.name == "ListDashboards"
    response = serializer_for(model, "query", dialect_of("cloudwatch")).serialize_response(operation, {"DashboardEntries": []}, "rid")
    assert b"<ListDashboardsResult" in response.body
