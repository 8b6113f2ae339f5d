"""EC2's query dialect against botocore itself, over every EC2 operation."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from regionbox.core.errors import ServiceError
from regionbox.protocol.http import HttpRequest
from regionbox.protocol.specs import service_model
from tests.protocol.botocore_wire import botocore_parse
from tests.protocol.xml_family import codec, property_tests

FORM = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
MODEL = service_model("ec2")

(test_botocore_requests_parse_back_to_the_same_input, test_our_responses_parse_in_botocore_to_the_same_output,
 test_every_operation_round_trips_its_simplest_input_and_output) = property_tests(["ec2"], "ec2")



def parse(body: str):
    parser, _ = codec("ec2", "ec2")
    return parser.parse(HttpRequest("POST", "/", "", dict(FORM), body.encode()))


def error_of(body: str) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        parse(body)
    return caught.value


def test_query_names_and_numbered_lists():
    operation, params = parse("Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-1&InstanceId.2=i-2"
                              "&Filter.1.Name=tag%3AName&Filter.1.Value.1=web&MaxResults=5")
    assert operation.name == "DescribeInstances"
    assert params == {"InstanceIds": ["i-1", "i-2"], "Filters": [{"Name": "tag:Name", "Values": ["web"]}], "MaxResults": 5}


def test_missing_required_parameter_is_named_as_on_the_wire():
    error = error_of("Action=DeleteVpc&Version=2016-11-15")
    assert (error.code, error.status) == ("MissingParameter", 400)
    assert error.message == "The request must contain the parameter VpcId"


def test_unknown_action():
    error = error_of("Action=LaunchRocket&Version=2016-11-15")
    assert (error.code, error.message) == ("InvalidAction", "The action LaunchRocket is not valid for this web service.")


def test_malformed_number_is_invalid_parameter_value():
    error = error_of("Action=DescribeVpcs&Version=2016-11-15&MaxResults=ten")
    assert error.code == "InvalidParameterValue"


def test_response_envelope_has_request_id_and_item_lists():
    operation = MODEL.operation_model("DescribeVpcs")
    _, serializer = codec("ec2", "ec2")
    response = serializer.serialize_response(operation, {"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16"}]}, "rid")
    root = ElementTree.fromstring(response.body)
    ns = "{http://ec2.amazonaws.com/doc/2016-11-15/}"
    assert root.tag == f"{ns}DescribeVpcsResponse"
    assert root.find(f"{ns}requestId").text == "rid"
    assert root.find(f"{ns}vpcSet/{ns}item/{ns}vpcId").text == "vpc-1"


def test_errors_use_the_ec2_envelope_and_reach_botocore():
    operation = MODEL.operation_model("DescribeVpcs")
    _, serializer = codec("ec2", "ec2")
    response = serializer.serialize_error(operation, ServiceError("InvalidVpcID.NotFound", "The vpc ID 'vpc-1' does not exist"), "rid")
    root = ElementTree.fromstring(response.body)
    assert root.tag == "Response" and root.find("RequestID").text == "rid"
    assert root.find("Errors/Error/Code").text == "InvalidVpcID.NotFound"
    parsed = botocore_parse("ec2", operation, response)
    assert parsed["Error"] == {"Code": "InvalidVpcID.NotFound", "Message": "The vpc ID 'vpc-1' does not exist"}
    assert parsed["ResponseMetadata"]["RequestId"] == "rid"
    assert response.status == 400
