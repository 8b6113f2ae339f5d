"""rest-json: Lambda, AppSync, API Gateway, RAM, FIS, Migration Hub Strategy ...

The REST binding (routing by method + URI template, labels, query strings, headers, payload
members, status codes) is ``rest.py``'s; this module adds JSON bodies, using the same compiled
codec as the JSON protocols (epoch-second timestamps unless a member says otherwise, base64
blobs, ``locationName`` keys), and rest-json errors:

- status from the error shape (``httpStatusCode``), else the ServiceError's;
- header ``x-amzn-ErrorType: {ShapeName}``, which is where botocore reads the code;
- body ``{"message": ...}`` (or ``Message``/``Type``/... as the shape spells its members), plus
  members bound to headers (Lambda's ``Retry-After``) sent as headers.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from botocore.model import OperationModel, ServiceModel, Shape

from regionbox.core.errors import ServiceError
from regionbox.protocol.errors import error_spec
from regionbox.protocol.http import HttpRequest, HttpResponse
from regionbox.protocol.json import JsonCodec, error_document, load_json_body, serialization_error
from regionbox.protocol.rest import RestParser, RestSerializer, compile_route
from regionbox.protocol.shapecodec import BodyTypeError
from regionbox.protocol.dialect import DEFAULT, Dialect

CONTENT_TYPE = "application/json"


class Parser(RestParser):
    def __init__(self, model: ServiceModel, dialect: Dialect = DEFAULT):
        super().__init__(model, dialect)
        self.codec = JsonCodec(model)
        self._fixed_query: dict[str, frozenset[str]] = {}

    def parse(self, request: HttpRequest) -> tuple[OperationModel, dict[str, Any]]:
        operation, params = super().parse(request)
        self._drop_fixed_query(operation, params)
        return operation, params

    def _drop_fixed_query(self, operation: OperationModel, params: dict[str, Any]) -> None:
        """A query-string map member (API Gateway's ``parameters``) must not collect the fixed
        query parts of the request URI (``/restapis?mode=import``): they name the operation."""
        fixed = self._fixed_query.get(operation.name)
        if fixed is None:
            fixed = self._fixed_query[operation.name] = frozenset(compile_route(operation).query)
        if not fixed or operation.input_shape is None:
            return
        for name, member in operation.input_shape.members.items():
            if member.type_name == "map" and member.serialization.get("location") == "querystring" and name in params:
                params[name] = {key: value for key, value in params[name].items() if key not in fixed}
                if not params[name]:
                    del params[name]

    def decode_body(self, shape: Shape, body: bytes, root_name: str | None) -> dict[str, Any]:
        try:
            return self.codec.decoder(shape)(load_json_body(body))
        except BodyTypeError as exc:
            raise serialization_error(str(exc)) from None
        except RecursionError:
            raise serialization_error("The request body is nested too deeply.") from None


class Serializer(RestSerializer):
    content_type = CONTENT_TYPE

    def __init__(self, model: ServiceModel, dialect: Dialect = DEFAULT):
        super().__init__(model, dialect)
        self.codec = JsonCodec(model)

    def encode_body(self, shape: Shape, value: dict[str, Any], root_name: str) -> bytes:
        return self.codec.dumps(self.codec.encode_output(shape, value))

    def serialize_error(self, operation: OperationModel | None, error: ServiceError, request_id: str) -> HttpResponse:
        spec = error_spec(self.model, error)
        headers = self.request_id_headers(request_id)
        headers.append(("x-amzn-ErrorType", spec.type_name))
        body_fields = dict(spec.extra_fields)
        if spec.shape is not None:
            for name, member in spec.shape.members.items():
                location = member.serialization.get("location")
                if location == "header" and name in body_fields:
                    headers.append((member.serialization.get("name", name), self.header_text(member, body_fields.pop(name))))
                elif location is not None:
                    body_fields.pop(name, None)
        document = error_document(self.codec, replace(spec, extra_fields=body_fields), error, spec.type_name)
        del document["__type"]  # rest-json services name the error in x-amzn-ErrorType only
        body = self.codec.dumps(document)
        headers.append(("Content-Type", CONTENT_TYPE))
        headers.append(("Content-Length", str(len(body))))
        return HttpResponse(spec.status, headers, body)
