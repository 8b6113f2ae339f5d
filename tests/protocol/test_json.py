"""AWS JSON 1.0/1.1: property round trips against botocore over every operation, plus the
error behaviour of the real services (unknown target, malformed JSON, wrong types, validation)."""

from __future__ import annotations

import zlib

import orjson
import pytest

from regionbox.core.errors import ServiceError
from regionbox.protocol.http import HttpRequest
from tests.protocol.roundtrip import RoundTrip, round_trip_tests

JSON_SERVICES = ["organizations", "logs", "cloudtrail", "dynamodb", "dynamodbstreams", "dax", "transfer",
                 "pi", "discovery", "mgh", "network-firewall"]


test_requests_round_trip, test_responses_round_trip, test_errors_round_trip = round_trip_tests(JSON_SERVICES)


# --- direct behaviour -------------------------------------------------------------------------

def dynamodb_request(body: bytes, target: str = "DynamoDB_20120810.GetItem") -> HttpRequest:
    return HttpRequest("POST", "/", "", {"x-amz-target": target, "content-type": "application/x-amz-json-1.0"}, body)


def parse_error(trip: RoundTrip, request: HttpRequest) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        trip.parser.parse(request)
    return caught.value


@pytest.fixture(scope="module")
def dynamodb() -> RoundTrip:
    return RoundTrip("dynamodb")


@pytest.mark.parametrize("target", ["DynamoDB_20120810.NoSuchThing", "Logs_20140328.GetItem", "", "GetItem"])
def test_unknown_target(dynamodb, target):
    error = parse_error(dynamodb, dynamodb_request(b"{}", target))
    assert error.code == "UnknownOperationException"
    response = dynamodb.serializer.serialize_error(None, error, "r")
    assert response.status == 400
    assert orjson.loads(response.body)["__type"] == "com.amazon.coral.service#UnknownOperationException"


@pytest.mark.parametrize("body", [b"{", b"not json", b'{"TableName": "t",}', b"\xff\xfe"])
def test_malformed_json(dynamodb, body):
    assert parse_error(dynamodb, dynamodb_request(body)).code == "SerializationException"


@pytest.mark.parametrize("body, message", [
    (b'{"TableName": {"a": 1}, "Key": {}}', "Start of structure or map found where not expected."),
    (b'{"TableName": ["a"], "Key": {}}', "Start of list found where not expected"),
    (b'{"TableName": 5, "Key": {}}', "NUMBER_VALUE cannot be converted to String"),
    (b'{"TableName": "t", "Key": {"k": {"N": 5}}}', "NUMBER_VALUE cannot be converted to String"),
    (b'{"TableName": "t", "Key": {}, "ConsistentRead": "yes"}', "STRING_VALUE cannot be converted to Boolean"),
    (b'[]', "Start of list found where not expected"),
    (b'{"TableName": "t", "Key": {"k": {"B": "***"}}}', "STRING_VALUE cannot be converted to ByteBuffer"),
])
def test_wrong_types(dynamodb, body, message):
    error = parse_error(dynamodb, dynamodb_request(body))
    assert (error.code, error.message) == ("SerializationException", message)


def test_validation_messages(dynamodb):
    error = parse_error(dynamodb, dynamodb_request(b'{"Key": {}}'))
    assert error.code == "ValidationException"
    assert error.message == ("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: "
                             "Member must not be null")
    body = orjson.dumps({"TableName": "t", "KeySchema": [{"AttributeName": "a", "KeyType": "X"}],
                         "AttributeDefinitions": [], "BillingMode": "CHEAP"})
    error = parse_error(dynamodb, dynamodb_request(body, "DynamoDB_20120810.CreateTable"))
    assert error.message == (
        "2 validation errors detected: Value 'X' at 'keySchema.1.member.keyType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [HASH, RANGE]; Value 'CHEAP' at 'billingMode' failed to satisfy "
        "constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]")
    response = dynamodb.serializer.serialize_error(None, error, "r")
    assert orjson.loads(response.body)["__type"] == "com.amazon.coral.validate#ValidationException"


def test_dynamodb_error_shape_and_crc(dynamodb):
    operation = dynamodb.model.operation_model("GetItem")
    response, parsed = dynamodb.error(operation, ServiceError("ResourceNotFoundException", "Requested resource not found"))
    body = orjson.loads(response.body)
    assert body == {"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
                    "message": "Requested resource not found"}
    assert response.header("x-amzn-ErrorType") == "ResourceNotFoundException"
    assert response.header("x-amz-crc32") == str(zlib.crc32(response.body))
    assert parsed["Error"] == {"Code": "ResourceNotFoundException", "Message": "Requested resource not found"}


def test_logs_error_is_bare_and_unmodeled_codes_pass_through():
    logs = RoundTrip("logs")
    operation = logs.model.operation_model("CreateLogGroup")
    response, parsed = logs.error(operation, ServiceError("ThrottlingException", "Rate exceeded", status=400))
    assert orjson.loads(response.body) == {"__type": "ThrottlingException", "message": "Rate exceeded"}
    assert parsed["Error"]["Code"] == "ThrottlingException"


def test_response_drops_none_and_unknown_members_and_formats_timestamps(dynamodb):
    operation = dynamodb.model.operation_model("DescribeTable")
    output = {"Table": {"TableName": "t", "CreationDateTime": 1700000000.5, "ItemCount": 3, "TableArn": None,
                        "Internal": "secret"}}
    response = dynamodb.serializer.serialize_response(operation, output, "r")
    assert orjson.loads(response.body) == {"Table": {"TableName": "t", "CreationDateTime": 1700000000.5, "ItemCount": 3}}
    assert response.header("x-amzn-RequestId") == "r"


def test_empty_body_is_an_empty_object():
    trip = RoundTrip("dynamodb")
    operation, params = trip.parser.parse(dynamodb_request(b"", "DynamoDB_20120810.ListTables"))
    assert (operation.name, params) == ("ListTables", {})


def test_query_compatible_json_sends_query_error_header():
    trip = RoundTrip("cloudwatch", protocol="json")
    operation = trip.model.operation_model("GetDashboard")
    response, parsed = trip.error(operation, ServiceError("DashboardNotFoundError", "Dashboard x does not exist"))
    assert response.header("x-amzn-query-error") == "ResourceNotFound;Sender"
    assert parsed["Error"]["Code"] == "ResourceNotFound"
    assert response.status == 404


def test_deeply_nested_body_is_a_serialization_error_not_a_500(dynamodb):
    nested = "{\"M\": {\"a\": " * 500 + "{\"S\": \"leaf\"}" + "}}" * 500  # within orjson's 1024 levels
    body = ('{"TableName": "t", "Key": {"k": ' + nested + "}}").encode()
    assert parse_error(dynamodb, dynamodb_request(body)).code == "SerializationException"
