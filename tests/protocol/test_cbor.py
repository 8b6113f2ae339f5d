"""Smithy RPC v2 CBOR (CloudWatch): round trips against botocore over every operation, the
other protocols CloudWatch's model lists, and direct error behaviour."""

from __future__ import annotations

from datetime import datetime, timezone

import cbor2
import pytest

from regionbox.core.errors import ServiceError
from regionbox.protocol import negotiate
from regionbox.protocol.http import HttpRequest
from tests.protocol.roundtrip import check_request_round_trip, round_trip_tests, slices, trip_for

CBOR_SERVICES = ["cloudwatch"]


test_requests_round_trip, test_responses_round_trip, test_errors_round_trip = round_trip_tests(CBOR_SERVICES)


@pytest.mark.parametrize("part", [part for _, part in slices(["cloudwatch"])])
def test_cloudwatch_also_answers_in_json(part):
    """Older SDKs reach CloudWatch over awsJson1_0 (and query); the model lists both."""
    check_request_round_trip(trip_for("cloudwatch", "json"), part)


def cbor_request(body: bytes, operation: str = "ListMetrics") -> HttpRequest:
    return HttpRequest("POST", f"/service/GraniteServiceVersion20100801/operation/{operation}", "",
                       {"smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor"}, body)


def parse_error(request: HttpRequest) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        trip_for("cloudwatch").parser.parse(request)
    return caught.value


def test_negotiation_follows_the_request():
    model = trip_for("cloudwatch").model
    assert negotiate(model, cbor_request(b"")) == "smithy-rpc-v2-cbor"
    json_request = HttpRequest("POST", "/", "", {"x-amz-target": "GraniteServiceVersion20100801.ListMetrics"}, b"{}")
    assert negotiate(model, json_request) == "json"
    form = HttpRequest("POST", "/", "", {"content-type": "application/x-www-form-urlencoded"}, b"Action=ListMetrics")
    assert negotiate(model, form) == "query"
    assert negotiate(model, HttpRequest("GET", "/", "Action=ListMetrics&Version=2010-08-01", {}, b"")) == "query"


def test_unknown_operation_and_malformed_body():
    assert parse_error(cbor_request(b"", "NoSuchOperation")).code == "UnknownOperationException"
    assert parse_error(cbor_request(b"\xff\xff\xff")).code == "SerializationException"
    error = parse_error(cbor_request(cbor2.dumps({"Namespace": 5})))
    assert (error.code, error.message) == ("SerializationException", "NUMBER_VALUE cannot be converted to String")


def test_validation_message():
    error = parse_error(cbor_request(cbor2.dumps({"MetricData": []}), "PutMetricData"))
    assert error.code == "ValidationException"
    assert error.message == ("1 validation error detected: Value null at 'namespace' failed to satisfy constraint: "
                             "Member must not be null")


def test_timestamps_are_tag_1_and_errors_query_compatible():
    trip = trip_for("cloudwatch")
    operation = trip.model.operation_model("DescribeAlarmHistory")
    moment = datetime(2024, 5, 1, 12, 0, 0, 250000, tzinfo=timezone.utc)
    response = trip.serializer.serialize_response(
        operation, {"AlarmHistoryItems": [{"AlarmName": "a", "Timestamp": moment}]}, "r")
    assert cbor2.dumps(cbor2.CBORTag(1, 1714564800.25)) in response.body  # tag 1, epoch seconds
    assert cbor2.loads(response.body)["AlarmHistoryItems"][0]["Timestamp"] == moment
    assert response.header("smithy-protocol") == "rpc-v2-cbor"
    assert trip.response(operation, {"AlarmHistoryItems": [{"Timestamp": moment}]})["AlarmHistoryItems"][0]["Timestamp"] == moment
    response, parsed = trip.error(operation, ServiceError("InvalidNextToken", "The next token is invalid"))
    assert response.header("x-amzn-query-error") == "InvalidNextToken;Sender"
    assert (parsed["Error"]["Code"], parsed["Error"]["Message"]) == ("InvalidNextToken", "The next token is invalid")
