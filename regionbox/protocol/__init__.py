"""Wire formats, driven by botocore's service models. No module here knows a service.

Two objects per service model:

- ``RequestParser.streams_body(request)``: whether the operation takes its body as a stream
  (then ``parse`` puts ``request.stream`` in the payload member; else the gateway has read
  ``request.body`` whole first).
- ``RequestParser.parse(request) -> (OperationModel, params)``: finds the operation, decodes
  and validates the input into plain Python values keyed by member name (timestamps as aware
  ``datetime``, blobs as ``bytes``, numbers as ``int``/``float``). A client mistake raises
  ``ServiceError`` with the code and status the real service uses.
- ``ResponseSerializer.serialize_response(operation, output, request_id) -> HttpResponse`` and
  ``serialize_error(operation | None, error, request_id) -> HttpResponse``.

``parser_for`` / ``serializer_for`` choose the implementation by the model's protocol:
query, ec2, json, rest-json, rest-xml, smithy-rpc-v2-cbor; the service's ``Dialect`` (dialect.py)
says where it bends that protocol's common rules.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import import_module
from typing import TYPE_CHECKING, Any, Protocol

from regionbox.core.errors import ServiceError
from regionbox.protocol.dialect import DEFAULT, Dialect
from regionbox.protocol.http import HttpRequest, HttpResponse

if TYPE_CHECKING:  # botocore loads with the first model, not when the cloud starts
    from botocore.model import OperationModel, ServiceModel

# protocol name -> module defining Parser and Serializer classes taking a ServiceModel
_MODULES = {
    "query": "regionbox.protocol.query",
    "ec2": "regionbox.protocol.ec2",
    "json": "regionbox.protocol.json",
    "rest-json": "regionbox.protocol.restjson",
    "rest-xml": "regionbox.protocol.restxml",
    "smithy-rpc-v2-cbor": "regionbox.protocol.cbor",
}


class RequestParser(Protocol):
    validation_code: str  # the code of bad input for this service in this protocol

    def streams_body(self, request: HttpRequest) -> bool: ...

    def parse(self, request: HttpRequest) -> tuple[OperationModel, dict[str, Any]]: ...


class ResponseSerializer(Protocol):
    def serialize_response(self, operation: OperationModel, output: dict[str, Any], request_id: str) -> HttpResponse: ...

    def serialize_error(self, operation: OperationModel | None, error: ServiceError, request_id: str) -> HttpResponse: ...


def negotiate(model: ServiceModel, request: HttpRequest) -> str:
    """The protocol of this request. Models that list several protocols (CloudWatch:
    smithy-rpc-v2-cbor, json, query) are answered in whichever one the client spoke."""
    protocols = model.metadata.get("protocols") or [model.metadata["protocol"]]
    if len(protocols) > 1:
        if "smithy-rpc-v2-cbor" in protocols and request.headers.get("smithy-protocol") == "rpc-v2-cbor":
            return "smithy-rpc-v2-cbor"
        if "json" in protocols and "x-amz-target" in request.headers:
            return "json"
        if "query" in protocols and (
                request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
                or (request.method == "GET" and request.query_param("Action") is not None)):
            return "query"
    return model.metadata["protocol"]


@lru_cache(maxsize=None)
def parser_for(model: ServiceModel, protocol: str | None = None, dialect: Dialect = DEFAULT) -> RequestParser:
    return import_module(_MODULES[protocol or model.metadata["protocol"]]).Parser(model, dialect)


@lru_cache(maxsize=None)
def serializer_for(model: ServiceModel, protocol: str | None = None, dialect: Dialect = DEFAULT) -> ResponseSerializer:
    return import_module(_MODULES[protocol or model.metadata["protocol"]]).Serializer(model, dialect)


__all__ = ["Dialect", "HttpRequest", "HttpResponse", "RequestParser", "ResponseSerializer", "negotiate", "parser_for", "serializer_for"]
