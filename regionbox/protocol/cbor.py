"""Smithy RPC v2 CBOR (``smithy-rpc-v2-cbor``): what current botocore speaks to CloudWatch.

Request: ``POST /service/{targetPrefix}/operation/{Operation}`` with ``smithy-protocol:
rpc-v2-cbor`` and a CBOR map body (empty for operations without input). Response: a CBOR map
with the same header; timestamps are CBOR tag 1 (epoch seconds), blobs CBOR byte strings.
Errors carry ``__type`` (the error shape name) and the message in the body, the modeled HTTP
status, and for awsQueryCompatible models (CloudWatch) ``x-amzn-query-error: Code;Sender``, from
which botocore reports the query-protocol code (``ResourceNotFound``) that older SDKs saw.

Failures map as in the JSON protocols: an unknown path is ``UnknownOperationException`` (404,
as Smithy servers route), an undecodable body or a value of the wrong type is
``SerializationException``, and constraint violations use the service's validation code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import cbor2
from botocore.model import OperationModel, ServiceModel

from regionbox.core.errors import ServiceError
from regionbox.protocol import values
from regionbox.protocol.errors import error_spec
from regionbox.protocol.http import HttpRequest, HttpResponse
from regionbox.protocol.json import error_document, query_error_header, read_params, serialization_error
from regionbox.protocol.shapecodec import BodyTypeError, Encoder, ShapeCodec
from regionbox.protocol.dialect import DEFAULT, Dialect

CONTENT_TYPE = "application/cbor"


class CborCodec(ShapeCodec):
    """CBOR bodies: tag-1 timestamps, raw byte-string blobs, native non-finite floats."""

    def decode_timestamp(self, value: Any) -> datetime:
        # cbor2 turns tag 1 into an aware datetime already; bare numbers are accepted too.
        if type(value) is datetime:
            return values.to_datetime(value)
        if type(value) in (int, float):
            try:
                return values.from_epoch(value)
            except ValueError:
                pass
        raise BodyTypeError(value, "timestamp")

    def decode_blob(self, value: Any) -> bytes:
        if type(value) is bytes:
            return value
        raise BodyTypeError(value, "blob")

    def timestamp_encoder(self, fmt: str) -> Encoder:
        def encode(value: Any) -> cbor2.CBORTag:
            return cbor2.CBORTag(1, values.format_timestamp(value, values.UNIX))
        return encode

    def encode_blob(self, value: Any) -> Any:
        return values.to_bytes(value)

    def encode_float(self, value: Any) -> Any:
        return float(value)


def load_cbor_body(body: bytes) -> Any:
    if not body:
        return {}
    try:
        return cbor2.loads(body)
    except Exception:  # noqa: BLE001 - cbor2 raises several types (CBORDecodeError, ValueError ...)
        raise serialization_error("The request body could not be decoded as CBOR.") from None


def rpc_v2_service(path: str) -> str | None:
    """The service a Smithy RPC v2 request names in its path (its model's ``targetPrefix``)."""
    parts = path.split("/", 4)
    return parts[2] if len(parts) == 5 and parts[1] == "service" and parts[3] == "operation" and parts[2] else None


class Parser:
    def __init__(self, model: ServiceModel, dialect: Dialect = DEFAULT):
        self.model = model
        self.codec = CborCodec(model)
        self.validation_code = dialect.validation_code or "ValidationException"
        self.prefix = f"/service/{model.metadata.get('targetPrefix', '')}/operation/"
        self._operations = {name: model.operation_model(name) for name in model.operation_names}

    def streams_body(self, request: HttpRequest) -> bool:
        return False  # every input is a document: the body is read whole

    def parse(self, request: HttpRequest) -> tuple[OperationModel, dict[str, Any]]:
        operation = self.operation_for(request.path)
        return operation, read_params(self.codec, operation, load_cbor_body(request.body), self.validation_code)

    def operation_for(self, path: str) -> OperationModel:
        name = path[len(self.prefix):] if path.startswith(self.prefix) else ""
        operation = self._operations.get(name)
        if operation is None:
            raise ServiceError("UnknownOperationException", "", status=404)
        return operation


class Serializer:
    def __init__(self, model: ServiceModel, dialect: Dialect = DEFAULT):
        self.model = model
        self.codec = CborCodec(model)

    def serialize_response(self, operation: OperationModel, output: dict[str, Any], request_id: str) -> HttpResponse:
        body = b"" if operation.output_shape is None else _dumps(self.codec.encode_output(operation.output_shape, output))
        return HttpResponse(200, self._headers(body, request_id), body)

    def serialize_error(self, operation: OperationModel | None, error: ServiceError, request_id: str) -> HttpResponse:
        spec = error_spec(self.model, error)
        body = _dumps(error_document(self.codec, spec, error, spec.type_name))
        headers = self._headers(body, request_id)
        headers.extend(query_error_header(self.model, spec))
        return HttpResponse(spec.status, headers, body)

    def _headers(self, body: bytes, request_id: str) -> list[tuple[str, str]]:
        return [
            ("Content-Type", CONTENT_TYPE),
            ("smithy-protocol", "rpc-v2-cbor"),
            ("x-amzn-RequestId", request_id),
            ("Content-Length", str(len(body))),
        ]


def _dumps(document: Any) -> bytes:
    return cbor2.dumps(document)
