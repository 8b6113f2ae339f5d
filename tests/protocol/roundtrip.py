"""Round trips between regionbox's protocol layer and botocore itself, for property tests.

    trip = RoundTrip("dynamodb", protocol="json")
    trip.request(operation, params)      # botocore client serializer -> our Parser; returns params
    trip.response(operation, output)     # our Serializer -> botocore parser; returns parsed output
    trip.error(operation, error)         # our Serializer -> botocore parser (+ modeled fields)

``normalize(shape, value)`` removes what botocore legitimately changes on the way (None members,
ResponseMetadata, empty containers it never sends), so tests compare values with ``==``.
``every_operation(trip, check, strategy_for)`` runs a property over every operation of a service.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Callable
from urllib.parse import urlsplit

import botocore.parsers
import botocore.serialize
import pytest
from botocore.awsrequest import HeadersDict, create_request_object, prepare_request_dict
from botocore.model import OperationModel, Shape
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from regionbox.core.errors import ServiceError
from regionbox.protocol import parser_for, serializer_for
from regionbox.protocol.errors import message_key
from regionbox.protocol.http import HttpRequest, HttpResponse
from regionbox.protocol.specs import service_model
from tests.protocol.dialects import dialect_of
from tests.protocol.strategies import ShapeStrategies

# No shrinking: an example spans a dozen operations, and shrinking one takes minutes; the
# failing operation and value are in the assertion message anyway.
FAST = settings(max_examples=6, deadline=None, database=None,
                suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.reuse, Phase.generate])


class RoundTrip:
    def __init__(self, service: str, protocol: str | None = None):
        self.model = service_model(service)
        self.protocol = protocol or self.model.metadata["protocol"]
        self.parser = parser_for(self.model, self.protocol, dialect_of(service))
        self.serializer = serializer_for(self.model, self.protocol, dialect_of(service))
        self.strategies = ShapeStrategies(self.model)
        self.operations = [self.model.operation_model(name) for name in self.model.operation_names]
        self._client_serializer = botocore.serialize.create_serializer(self.protocol, include_validation=False)

    # --- requests ----------------------------------------------------------------------------

    def http_request(self, operation: OperationModel, params: dict[str, Any]) -> HttpRequest:
        """What botocore would send for these params, as the gateway hands it to a parser."""
        request_dict = self._client_serializer.serialize_to_request(params, operation)
        prepare_request_dict(request_dict, endpoint_url="http://127.0.0.1:4566")
        prepared = create_request_object(request_dict).prepare()
        url = urlsplit(prepared.url)
        body = prepared.body or b""
        if hasattr(body, "read"):
            body = body.read()
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers: dict[str, str] = {}
        for name, value in prepared.headers.items():
            value = value.decode("latin-1") if isinstance(value, bytes) else value
            headers[name.lower()] = value
        return HttpRequest(prepared.method, url.path or "/", url.query, headers, body, host=url.netloc)

    def request(self, operation: OperationModel, params: dict[str, Any]) -> dict[str, Any]:
        parsed_operation, parsed = self.parser.parse(self.http_request(operation, params))
        assert parsed_operation.name == operation.name
        return parsed

    # --- responses ---------------------------------------------------------------------------

    def botocore_parse(self, response: HttpResponse, shape: Shape | None) -> dict[str, Any]:
        headers = HeadersDict()
        for name, value in response.headers:
            headers[name] = value
        response_dict = {"status_code": response.status, "headers": headers, "body": response.body}
        parser = botocore.parsers.create_parser(self.protocol)
        return parser.parse(response_dict, shape)

    def response(self, operation: OperationModel, output: dict[str, Any]) -> dict[str, Any]:
        response = self.serializer.serialize_response(operation, output, "req-1")
        assert response.status < 300, response.body
        parsed = self.botocore_parse(response, operation.output_shape)
        parsed.pop("ResponseMetadata", None)
        return parsed

    def error(self, operation: OperationModel, error: ServiceError) -> tuple[HttpResponse, dict[str, Any]]:
        """The error response and botocore's parse of it, with modeled fields merged in the way
        botocore's client does (``_add_modeled_error_fields``)."""
        response = self.serializer.serialize_error(operation, error, "req-1")
        parsed = self.botocore_parse(response, operation.output_shape)
        code = parsed.get("Error", {}).get("Code")
        shape = self.model.shape_for_error_code(code) if code else None
        if shape is not None:
            parsed.update(self.botocore_parse(response, shape))
        return response, parsed


CHUNK = 15  # operations per hypothesis example: enough to amortise, small enough for its data budget


@lru_cache(maxsize=None)
def trip_for(service: str, protocol: str | None = None) -> RoundTrip:
    return RoundTrip(service, protocol)


def round_trip_operations(model) -> list[OperationModel]:
    """The operations a round trip covers. Event-stream operations (Logs StartLiveTail, Lambda
    InvokeWithResponseStream ...) are left out: their bodies are vnd.amazon.eventstream
    frames, which this layer does not speak."""
    operations = [model.operation_model(name) for name in model.operation_names]
    return [op for op in operations if not (op.has_event_stream_output or op.has_event_stream_input)]


def slices(services: list[str]) -> list[tuple[str, int]]:
    """(service, slice number) pairs covering every operation, for ``pytest.mark.parametrize``."""
    return [(service, part) for service in services
            for part in range(max(1, -(-len(round_trip_operations(service_model(service))) // CHUNK)))]


def every_operation(trip: RoundTrip, part: int, check: Callable[[OperationModel, Any], None],
                    strategy_for: Callable[[OperationModel], Any], passes: int = 5) -> None:
    """Run a property ``passes`` times over one slice of the service's operations: each
    hypothesis example draws a value for every operation of the slice."""
    operations = round_trip_operations(trip.model)[part * CHUNK:(part + 1) * CHUNK]

    @settings(FAST, max_examples=passes)
    @given(data=st.data())
    def run(data):
        for operation in operations:
            check(operation, data.draw(strategy_for(operation), label=operation.name))

    run()


def as_sent(shape: Shape | None, params: dict[str, Any]) -> dict[str, Any]:
    """The params without what an empty value makes vanish on the wire: an empty payload (an
    empty body), empty lists and maps bound to the query string or headers."""
    if shape is None:
        return params
    payload = shape.serialization.get("payload")
    kept = {}
    for name, value in params.items():
        member = shape.members[name]
        vanishes = name == payload or member.serialization.get("location") in ("querystring", "header", "headers")
        if vanishes and value in (b"", "", [], {}):
            continue
        kept[name] = value
    return kept


def normalize(shape: Shape | None, value: Any) -> Any:
    """Values as botocore round-trips them: no None members, aware UTC datetimes, bytes for
    blobs, floats for floating shapes; empty structures kept."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if shape.metadata.get("document"):
        return value
    if kind == "structure":
        members = shape.members
        return {name: normalize(members[name], item) for name, item in value.items()
                if item is not None and name in members}
    if kind == "list":
        return [normalize(shape.member, item) for item in value]
    if kind == "map":
        return {key: normalize(shape.value, item) for key, item in value.items() if item is not None}
    if kind == "timestamp" and isinstance(value, datetime):
        return value.astimezone(timezone.utc)
    if kind == "blob":
        if hasattr(value, "read"):
            value = value.read()
        return bytes(value) if not isinstance(value, str) else value.encode("utf-8")
    if kind in ("float", "double"):
        return float(value)
    return value


MESSAGES = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=30)


def check_request_round_trip(trip: RoundTrip, part: int) -> None:
    def check(operation, params):
        parsed = as_sent(operation.input_shape, trip.request(operation, params))
        assert parsed == normalize(operation.input_shape, as_sent(operation.input_shape, params)), operation.name
    every_operation(trip, part, check, trip.strategies.input)


def check_response_round_trip(trip: RoundTrip, part: int) -> None:
    def check(operation, output):
        shape = operation.output_shape
        payload = shape.serialization.get("payload") if shape is not None else None
        if payload and isinstance(output.get(payload), bytes):
            # botocore hands non-streaming blob payloads back decoded as UTF-8 text
            output = {**output, payload: bytes(byte & 0x7F for byte in output[payload])}
        parsed = as_sent(shape, trip.response(operation, output))
        if shape is not None:  # botocore reports the HTTP status in statusCode members
            parsed = {name: value for name, value in parsed.items()
                      if shape.members[name].serialization.get("location") != "statusCode" or name in output}
        assert normalize(shape, parsed) == normalize(shape, as_sent(shape, output)), operation.name
    every_operation(trip, part, check, trip.strategies.output)


def check_error_round_trip(trip: RoundTrip, data) -> None:
    operation = trip.operations[0]
    query_compatible = "awsQueryCompatible" in trip.model.metadata
    for shape in trip.model.error_shapes:
        fields = data.draw(trip.strategies.error(shape), label=shape.name)
        message = data.draw(MESSAGES)
        key = message_key(shape)
        fields.pop(key, None)
        meta = shape.metadata.get("error") or {}
        response, parsed = trip.error(operation, ServiceError(shape.name, message, **fields))
        expected_code = (meta.get("code") or shape.name) if query_compatible else shape.name
        assert parsed["Error"]["Code"] == expected_code
        assert parsed["Error"]["Message"] == message
        fault = trip.model._shape_resolver._shape_map[shape.name].get("fault")  # server error: 500
        assert response.status == meta.get("httpStatusCode", 500 if fault else 400)
        assert parsed["ResponseMetadata"]["HTTPStatusCode"] == response.status
        for name, value in fields.items():
            assert normalize(shape.members[name], parsed.get(name)) == normalize(shape.members[name], value), name


def round_trip_tests(services: list[str], protocol: str | None = None) -> tuple[Callable, Callable, Callable]:
    """The three property tests (requests, responses, errors) over every operation and every
    modeled error of ``services``; a test module assigns them to test_* names."""

    @pytest.mark.parametrize("service, part", slices(services))
    def test_requests_round_trip(service, part):
        check_request_round_trip(trip_for(service, protocol), part)

    @pytest.mark.parametrize("service, part", slices(services))
    def test_responses_round_trip(service, part):
        check_response_round_trip(trip_for(service, protocol), part)

    @pytest.mark.parametrize("service", services)
    def test_errors_round_trip(service):
        @FAST
        @given(data=st.data())
        def run(data):
            check_error_round_trip(trip_for(service, protocol), data)
        run()

    return test_requests_round_trip, test_responses_round_trip, test_errors_round_trip
