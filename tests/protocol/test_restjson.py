"""rest-json: round trips against botocore over every operation of the rest-json services, and
the error shape each service uses (x-amzn-ErrorType header, message key, header-bound members)."""

from __future__ import annotations

import orjson
import pytest

from regionbox.core.errors import ServiceError
from regionbox.protocol.http import HttpRequest
from tests.protocol.roundtrip import round_trip_tests, trip_for

REST_JSON_SERVICES = ["lambda", "appsync", "apigateway", "ram", "fis", "migrationhubstrategy"]

test_requests_round_trip, test_responses_round_trip, test_errors_round_trip = round_trip_tests(REST_JSON_SERVICES)


def test_lambda_error_headers_and_body():
    trip = trip_for("lambda")
    operation = trip.model.operation_model("Invoke")
    response, parsed = trip.error(operation, ServiceError(
        "TooManyRequestsException", "Rate exceeded", Type="User", retryAfterSeconds="3", Reason="ReservedFunctionConcurrentInvocationLimitExceeded"))
    assert response.status == 429
    assert response.header("x-amzn-ErrorType") == "TooManyRequestsException"
    assert response.header("Retry-After") == "3"
    assert orjson.loads(response.body) == {"Type": "User", "message": "Rate exceeded",
                                           "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"}
    assert parsed["Error"]["Code"] == "TooManyRequestsException"
    assert parsed["retryAfterSeconds"] == "3"


def test_apigateway_not_found_message_key():
    trip = trip_for("apigateway")
    response, parsed = trip.error(trip.model.operation_model("GetRestApi"), ServiceError("NotFoundException", "Invalid API identifier specified"))
    assert (response.status, orjson.loads(response.body)) == (404, {"message": "Invalid API identifier specified"})
    assert parsed["Error"] == {"Code": "NotFoundException", "Message": "Invalid API identifier specified"}


def test_malformed_body_and_wrong_types():
    trip = trip_for("lambda")
    headers = {"content-type": "application/json"}
    for body, message in [(b"{oops", ""), (b'{"FunctionName": "f", "Role": 5, "Code": {}}', "NUMBER_VALUE cannot be converted to String")]:
        with pytest.raises(ServiceError) as caught:
            trip.parser.parse(HttpRequest("POST", "/2015-03-31/functions", "", headers, body))
        assert (caught.value.code, caught.value.message) == ("SerializationException", message)


def test_validation_of_labels_and_body():
    trip = trip_for("lambda")
    with pytest.raises(ServiceError) as caught:
        trip.parser.parse(HttpRequest("GET", "/2015-03-31/functions/" + "x" * 300, "", {}, b""))
    assert caught.value.code == "ValidationException"
    assert caught.value.message.startswith("1 validation error detected: Value '" + "x" * 300 + "' at 'functionName' failed")
