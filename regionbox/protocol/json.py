"""AWS JSON 1.0 / 1.1 (``awsJson1_0``, ``awsJson1_1``): DynamoDB, Logs, CloudTrail, Organizations ...

Request: ``POST /`` with ``X-Amz-Target: {targetPrefix}.{Operation}`` and a JSON object body.
Response: the output as a JSON object; errors as ``{"__type": ..., "message": ...}`` plus the
``x-amzn-ErrorType`` header (and ``x-amzn-query-error: Code;Sender`` for awsQueryCompatible
models, which botocore reads to report the query-protocol code).

What the real services do and we copy:
- unknown or missing target: 400 ``UnknownOperationException`` with no message;
- a body that is not JSON, or a value of the wrong type: 400 ``SerializationException``
  (wrong types in Jackson's words: "Start of structure or map found where not expected.",
  "NUMBER_VALUE cannot be converted to String" ...);
- constraint violations: 400 with the service's validation code (``validate.py``);
- JSON 1.0 services with versioned target prefixes (``DynamoDB_20120810``) send namespaced
  ``__type`` values (``com.amazonaws.dynamodb.v20120810#ResourceNotFoundException``, and
  ``com.amazon.coral.service#...`` / ``com.amazon.coral.validate#ValidationException`` for the
  framework's own errors); the others send the bare shape name;
- every response carries ``x-amzn-RequestId`` and ``x-amz-crc32`` (CRC32 of the body, which
  botocore verifies for DynamoDB).

The hot path (DynamoDB GetItem/PutItem) is: one orjson parse, one compiled decoder walk,
validation, and on the way out one compiled encoder walk plus one orjson dump.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

import orjson
from botocore.model import OperationModel, ServiceModel, Shape

from regionbox.core.errors import ServiceError
from regionbox.protocol import eventstream, values
from regionbox.protocol.errors import ErrorSpec, error_spec
from regionbox.protocol.http import HttpRequest, HttpResponse
from regionbox.protocol.shapecodec import BodyTypeError, ShapeCodec
from regionbox.protocol.dialect import DEFAULT, Dialect
from regionbox.protocol.validate import validate

_VERSIONED_PREFIX = re.compile(r"^[A-Za-z]+_(\d{8})$")
# Errors raised by the Coral framework itself rather than by the service.
_FRAMEWORK_NAMESPACES = {
    "UnknownOperationException": "com.amazon.coral.service",
    "SerializationException": "com.amazon.coral.service",
    "InternalFailure": "com.amazon.coral.service",
    "ValidationException": "com.amazon.coral.validate",
}


def serialization_error(message: str = "") -> ServiceError:
    return ServiceError("SerializationException", message, status=400)


def load_json_body(body: bytes) -> Any:
    """The request body as JSON; an empty body is an empty object (some SDKs send none)."""
    if not body or body.isspace():
        return {}
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise serialization_error() from None
    return {} if document is None else document  # a bare null is read as no input


def read_params(codec: ShapeCodec, operation: OperationModel, document: Any, validation_code: str) -> dict[str, Any]:
    """Decode a parsed body against the operation's input and validate it. Bodies nested
    deeper than Python can follow are refused as unreadable, never answered with a 500."""
    try:
        params = codec.decode_input(operation.input_shape, document)
        validate(operation.input_shape, params, validation_code)
    except BodyTypeError as exc:
        raise serialization_error(str(exc)) from None
    except RecursionError:
        raise serialization_error("The request body is nested too deeply.") from None
    return params


def error_document(codec: ShapeCodec, spec: ErrorSpec, error: ServiceError, type_name: str) -> dict[str, Any]:
    """The JSON/CBOR error body: ``__type``, the message under the shape's own key, and the
    extra modeled members the provider gave."""
    document: dict[str, Any] = {"__type": type_name}
    if spec.extra_fields and spec.shape is not None:
        document.update(codec.encode_output(spec.shape, spec.extra_fields))
    if error.message:
        document[spec.message_key] = error.message
        if spec.message_key not in ("message", "Message"):
            document["message"] = error.message  # what every SDK reads
    return document


def query_error_header(model: ServiceModel, spec: ErrorSpec) -> list[tuple[str, str]]:
    if "awsQueryCompatible" in model.metadata:
        return [("x-amzn-query-error", f"{spec.code};{spec.fault}")]
    return []


class Parser:
    def __init__(self, model: ServiceModel, dialect: Dialect = DEFAULT):
        self.model = model
        self.codec = JsonCodec(model)
        self.target_prefix = model.metadata.get("targetPrefix", "")
        self.validation_code = dialect.validation_code or "ValidationException"
        self._operations = {name: model.operation_model(name) for name in model.operation_names}

    def streams_body(self, request: HttpRequest) -> bool:
        return False  # every input is a document: the body is read whole

    def parse(self, request: HttpRequest) -> tuple[OperationModel, dict[str, Any]]:
        operation = self.operation_for(request.headers.get("x-amz-target", ""))
        return operation, read_params(self.codec, operation, load_json_body(request.body), self.validation_code)

    def operation_for(self, target: str) -> OperationModel:
        prefix, _, name = target.rpartition(".")
        operation = self._operations.get(name) if prefix == self.target_prefix else None
        if operation is None:
            raise ServiceError("UnknownOperationException", "", status=400)
        return operation


class Serializer:
    def __init__(self, model: ServiceModel, dialect: Dialect = DEFAULT):
        self.model = model
        self.codec = JsonCodec(model)
        version = model.metadata.get("jsonVersion", "1.0")
        self.content_type = f"application/x-amz-json-{version}"
        versioned = _VERSIONED_PREFIX.match(model.metadata.get("targetPrefix", ""))
        self.namespace = None
        if versioned and version == "1.0":
            self.namespace = f"com.amazonaws.{model.metadata['endpointPrefix'].split('.')[-1]}.v{versioned.group(1)}"

    def serialize_response(self, operation: OperationModel, output: dict[str, Any], request_id: str) -> HttpResponse:
        stream = operation.output_shape.event_stream_name if operation.output_shape is not None else None
        if stream is not None:
            return self._event_stream(operation.output_shape, stream, output, request_id)
        body = self.codec.dumps(self.codec.encode_output(operation.output_shape, output))
        return HttpResponse(200, self._headers(body, request_id), body)

    def _event_stream(self, shape: Shape, stream: str, output: dict[str, Any], request_id: str) -> HttpResponse:
        """An output with an event stream member (the handler gives it as an async iterator of
        events): the other members go in the initial-response event botocore reads first."""
        rest = {name: value for name, value in output.items() if name != stream}
        initial = self.codec.dumps(self.codec.encode_output(shape, rest))
        body = eventstream.response_body(shape.members[stream], output[stream],
                                         lambda member, value: self.codec.dumps(self.codec.encode_output(member, value)),
                                         "application/json", initial)
        return HttpResponse(200, [("Content-Type", eventstream.CONTENT_TYPE), ("x-amzn-RequestId", request_id)], body)

    def serialize_error(self, operation: OperationModel | None, error: ServiceError, request_id: str) -> HttpResponse:
        spec = error_spec(self.model, error)
        body = self.codec.dumps(error_document(self.codec, spec, error, self._type_name(spec)))
        headers = self._headers(body, request_id)
        headers.append(("x-amzn-ErrorType", spec.type_name))
        headers.extend(query_error_header(self.model, spec))
        return HttpResponse(spec.status, headers, body)

    def _type_name(self, spec: ErrorSpec) -> str:
        if self.namespace is None:
            return spec.type_name
        if spec.shape is None:
            namespace = _FRAMEWORK_NAMESPACES.get(spec.type_name, "com.amazon.coral.service")
            return f"{namespace}#{spec.type_name}"
        return f"{self.namespace}#{spec.type_name}"

    def _headers(self, body: bytes, request_id: str) -> list[tuple[str, str]]:
        return [
            ("Content-Type", self.content_type),
            ("x-amzn-RequestId", request_id),
            ("x-amz-crc32", str(zlib.crc32(body))),
            ("Content-Length", str(len(body))),
        ]


class JsonCodec(ShapeCodec):
    """JSON bodies: epoch-second timestamps unless the member says otherwise, base64 blobs."""

    @staticmethod
    def dumps(document: Any) -> bytes:
        """orjson, with the blobs that ``native`` collections still hold written as base64."""
        return orjson.dumps(document, default=_blob_as_base64)


def _blob_as_base64(value: Any) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return values.b64encode(bytes(value))
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
