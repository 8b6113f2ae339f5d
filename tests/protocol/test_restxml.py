"""rest-xml (S3, Route 53) against botocore itself, over every operation of both models."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from botocore.handlers import parse_get_bucket_location
from hypothesis import given
from hypothesis import strategies as st

from regionbox.core.errors import ServiceError
from regionbox.protocol.http import HttpRequest
from regionbox.protocol.specs import service_model
from tests.protocol.botocore_wire import botocore_parse
from tests.protocol.xml_family import PROPERTY_SETTINGS, check_error, codec, error_case, property_tests

SERVICES = ["s3", "route53"]
S3 = service_model("s3")
ROUTE53 = service_model("route53")

(test_botocore_requests_parse_back_to_the_same_input, test_our_responses_parse_in_botocore_to_the_same_output,
 test_every_operation_round_trips_its_simplest_input_and_output) = property_tests(SERVICES, "rest-xml")



@pytest.mark.parametrize("service", SERVICES)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_modeled_errors_reach_botocore_with_code_message_and_status(service, data):
    name, fields, message = data.draw(error_case(service))
    check_error(service, "rest-xml", service_model(service), name, fields, message)


# --- direct cases ------------------------------------------------------------------------------

def parse(service: str, method: str, path: str, query: str = "", headers: dict | None = None, body: bytes = b""):
    parser, _ = codec(service, "rest-xml")
    return parser.parse(HttpRequest(method, path, query, headers or {}, body))


def error_of(*args, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        parse(*args, **kwargs)
    return caught.value


def test_path_style_object_requests():
    operation, params = parse("s3", "PUT", "/my-bucket/photos/2024/cat%20one.jpg", headers={
        "content-type": "image/jpeg", "x-amz-meta-owner": "ann"}, body=b"\x89PNG")
    assert operation.name == "PutObject"
    assert params["Bucket"] == "my-bucket" and params["Key"] == "photos/2024/cat one.jpg"
    assert params["Body"] == b"\x89PNG" and params["Metadata"] == {"owner": "ann"}
    assert params["ContentType"] == "image/jpeg"


def test_s3_body_documents_with_namespaces_and_attributes():
    body = (b'<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            b'<AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">'
            b'<ID>abc</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList>'
            b'<Owner><ID>abc</ID></Owner></AccessControlPolicy>')
    operation, params = parse("s3", "PUT", "/b", "acl", body=body)
    assert operation.name == "PutBucketAcl"
    grant = params["AccessControlPolicy"]["Grants"][0]
    assert grant == {"Grantee": {"ID": "abc", "Type": "CanonicalUser"}, "Permission": "READ"}


def test_s3_malformed_and_missing_bodies():
    assert error_of("s3", "PUT", "/b", "tagging", body=b"<Tagging><TagSet>").code == "MalformedXML"
    assert error_of("s3", "PUT", "/b", "tagging").code == "MissingRequestBodyError"
    missing_key = error_of("s3", "PUT", "/b", "tagging", body=b"<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>")
    assert (missing_key.code, missing_key.status) == ("MalformedXML", 400)


def test_s3_bad_header_value():
    error = error_of("s3", "GET", "/b/k", headers={"if-modified-since": "yesterday"})
    assert error.code == "MalformedXML" or error.status == 400


def test_route53_validation_uses_invalid_input_with_coral_messages():
    error = error_of("route53", "POST", "/2013-04-01/hostedzone", body=(
        b'<CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
        b'<Name>example.com</Name></CreateHostedZoneRequest>'))
    assert error.code == "InvalidInput"
    assert error.message == ("1 validation error detected: Value null at 'callerReference' failed to satisfy "
                             "constraint: Member must not be null")


def test_s3_errors_carry_extra_fields_and_both_request_ids():
    _, serializer = codec("s3", "rest-xml")
    operation = S3.operation_model("GetObject")
    response = serializer.serialize_error(operation, ServiceError("NoSuchKey", "The specified key does not exist.",
                                                                  status=404, Key="a/b"), "rid")
    assert response.status == 404
    assert response.header("x-amz-request-id") == "rid" and response.header("x-amz-id-2")
    root = ElementTree.fromstring(response.body)
    assert root.tag == "Error" and root.find("Key").text == "a/b" and root.find("RequestId").text == "rid"
    parsed = botocore_parse("rest-xml", operation, response)
    assert parsed["Error"] == {"Code": "NoSuchKey", "Message": "The specified key does not exist.", "Key": "a/b"}
    assert parsed["ResponseMetadata"]["HostId"] == response.header("x-amz-id-2")


def test_get_bucket_location_is_the_bare_constraint_element():
    _, serializer = codec("s3", "rest-xml")
    response = serializer.serialize_response(S3.operation_model("GetBucketLocation"), {"LocationConstraint": "eu-west-1"}, "rid")
    parsed = {}

    class Raw:  # what botocore's handler reads: http_response.raw / .content
        raw = True
        content = response.body
    parse_get_bucket_location(parsed, Raw())
    assert parsed["LocationConstraint"] == "eu-west-1"


def test_route53_documents_are_namespaced():
    _, serializer = codec("route53", "rest-xml")
    operation = ROUTE53.operation_model("GetHostedZoneCount")
    response = serializer.serialize_response(operation, {"HostedZoneCount": 3}, "rid")
    root = ElementTree.fromstring(response.body)
    assert root.tag == "{https://route53.amazonaws.com/doc/2013-04-01/}GetHostedZoneCountResponse"
    assert response.header("x-amzn-RequestId") == "rid"
    assert botocore_parse("rest-xml", operation, response)["HostedZoneCount"] == 3
