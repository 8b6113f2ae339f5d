"""The rest-xml protocol (S3, Route 53, CloudFront): the REST binding of ``rest.py`` with XML bodies.

Two conventions share it:

- S3's (``Dialect.s3_conventions``) answers errors as ``<Error><Code/><Message/>..extra fields..<RequestId/><HostId/></Error>``,
  carries its request id in ``x-amz-request-id`` / ``x-amz-id-2``, and does not run model
  validation: a missing required header or query parameter is ``InvalidRequest``, a body that is
  missing, unreadable or lacks a required element is ``MalformedXML``.
- The others (Route 53, CloudFront) answer ``<ErrorResponse xmlns=..><Error><Type/><Code/>
  <Message/></Error><RequestId/></ErrorResponse>`` with ``x-amzn-RequestId`` and report bad
  input as ``InvalidInput`` with Coral's "N validation errors detected" message.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from xml.etree import ElementTree

from botocore.model import OperationModel, ServiceModel, Shape

from regionbox.core.errors import ServiceError
from regionbox.protocol import rest, xml
from regionbox.protocol.dialect import DEFAULT, Dialect
from regionbox.protocol.errors import error_spec
from regionbox.protocol.http import HttpResponse

CONTENT_TYPE = "application/xml"
S3_MALFORMED = "The XML you provided was not well-formed or did not validate against our published schema"

def default_namespace(model: ServiceModel) -> str:
    """The namespace documents of this service are in: the model's own, else the one its
    shapes declare (S3 and Route 53 put it on input shapes only), else AWS's usual form."""
    metadata = model.metadata
    if metadata.get("xmlNamespace"):
        return metadata["xmlNamespace"]
    # Route 53 declares it on operation inputs, S3 on its payload shapes.
    shapes = [model.operation_model(name).input_shape for name in model.operation_names]
    for shape in filter(None, shapes + [model.shape_for(name) for name in model.shape_names]):
        namespace = shape.serialization.get("xmlNamespace")
        if isinstance(namespace, str):
            return namespace
        if isinstance(namespace, dict) and not namespace.get("prefix"):  # not xmlns:xsi
            return namespace["uri"]
    return f"http://{metadata.get('endpointPrefix', '')}.amazonaws.com/doc/{metadata.get('apiVersion', '')}/"


class Parser(rest.RestParser):
    validation_code = "InvalidInput"

    def __init__(self, model: ServiceModel, dialect: Dialect = DEFAULT):
        super().__init__(model, dialect)
        self.s3 = dialect.s3_conventions

    def malformed(self, message: str) -> ServiceError:
        if self.s3:
            return ServiceError("MalformedXML", S3_MALFORMED, 400)
        return ServiceError("InvalidInput", message, 400)

    def decode_body(self, shape: Shape, body: bytes, root_name: str | None) -> dict[str, Any]:
        try:
            return xml.decode(shape, [xml.parse_document(body)])
        except xml.XmlDecodeError as exc:
            raise self.malformed(str(exc)) from exc

    def validate(self, operation: OperationModel, params: dict[str, Any]) -> None:
        if not self.s3:
            super().validate(operation, params)
            return
        shape = operation.input_shape
        payload = shape.serialization.get("payload")
        for name in shape.required_members:
            if params.get(name) is not None:
                continue
            member = shape.members[name]
            location = member.serialization.get("location")
            wire_name = member.serialization.get("name", name)
            if location == "header":
                raise ServiceError("InvalidRequest", f"Missing required header for this request: {wire_name}", 400)
            if location in ("querystring", "uri"):
                raise ServiceError("InvalidRequest", f"Missing required parameter: {wire_name}", 400)
            if name == payload and member.type_name not in ("blob", "string"):
                raise ServiceError("MissingRequestBodyError", "Request Body is empty", 400)
            raise ServiceError("MalformedXML", S3_MALFORMED, 400)
        if payload and params.get(payload) is not None and shape.members[payload].type_name == "structure":
            if not _has_required(shape.members[payload], params[payload]):
                raise ServiceError("MalformedXML", S3_MALFORMED, 400)


def _has_required(shape: Shape, value: Any) -> bool:
    """Every required element present, recursively (S3 checks its documents against a schema)."""
    if shape.type_name == "structure" and isinstance(value, dict):
        return all(value.get(name) is not None for name in shape.required_members) and all(
            _has_required(shape.members[name], item) for name, item in value.items() if name in shape.members)
    if shape.type_name == "list" and isinstance(value, list):
        return all(_has_required(shape.member, item) for item in value)
    if shape.type_name == "map" and isinstance(value, dict):
        return all(_has_required(shape.value, item) for item in value.values())
    return True


class Serializer(rest.RestSerializer):
    content_type = CONTENT_TYPE

    def __init__(self, model: ServiceModel, dialect: Dialect = DEFAULT):
        super().__init__(model, dialect)
        self.s3 = dialect.s3_conventions
        self.namespace = default_namespace(model)

    def request_id_headers(self, request_id: str) -> list[tuple[str, str]]:
        if self.s3:
            return [("x-amz-request-id", request_id), ("x-amz-id-2", host_id(request_id))]
        return [("x-amzn-RequestId", request_id)]

    def encode_body(self, shape: Shape, value: dict[str, Any], root_name: str) -> bytes:
        holder = ElementTree.Element("holder")
        xml.encode(holder, shape, value, root_name)
        root = holder[0]
        if not any(key == "xmlns" for key in root.attrib):
            root.set("xmlns", self.namespace)
        return xml.to_bytes(root)

    def body_of(self, operation: OperationModel, shape: Shape, output: dict[str, Any]) -> tuple[bytes, str | None]:
        # Outputs the model cannot describe: the document is the scalar member itself as the root
        # element (<LocationConstraint xmlns=..>eu-west-1</LocationConstraint>); botocore reads them by hand.
        member = self.dialect.scalar_root_output(operation.name)
        if member is None:
            return super().body_of(operation, shape, output)
        root = ElementTree.Element(member, {"xmlns": self.namespace})
        if output.get(member) is not None:
            root.text = xml.scalar_text(shape.members[member], output[member])
        return xml.to_bytes(root), self.content_type

    def serialize_error(self, operation: OperationModel | None, error: ServiceError, request_id: str) -> HttpResponse:
        spec = error_spec(self.model, error)
        if self.s3:
            root = ElementTree.Element("Error")
            detail = root
        else:
            root = ElementTree.Element("ErrorResponse", {"xmlns": self.namespace})
            detail = ElementTree.SubElement(root, "Error")
            ElementTree.SubElement(detail, "Type").text = spec.fault
        ElementTree.SubElement(detail, "Code").text = spec.code
        ElementTree.SubElement(detail, "Message").text = error.message
        self.extra_fields(detail, spec, error)
        ElementTree.SubElement(root, "RequestId").text = request_id
        if self.s3:
            ElementTree.SubElement(root, "HostId").text = host_id(request_id)
        body = xml.to_bytes(root)
        headers = self.request_id_headers(request_id) + [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body)))]
        if spec.status == 304:  # Not Modified has no body; what it does carry are the entity's headers
            return HttpResponse(304, self.request_id_headers(request_id) + [
                (name, str(value)) for name, value in error.fields.items() if name in ("ETag", "Last-Modified")])
        return HttpResponse(spec.status, headers, body)

    @staticmethod
    def extra_fields(detail: ElementTree.Element, spec: Any, error: ServiceError) -> None:
        """Modeled members by their shapes; the rest (S3's BucketName, Key, Condition ...) as text,
        which is how S3 sends them and how botocore reads them."""
        shape = spec.shape
        for name, value in error.fields.items():
            if value is None or name in ("Code", "Message", "RequestId", "HostId", "Type"):
                continue
            if shape is not None and name in shape.members:
                xml.encode_members(detail, shape, {name: value})
            else:
                ElementTree.SubElement(detail, name).text = str(value)


def host_id(request_id: str) -> str:
    """S3's x-amz-id-2: an opaque extended request id, stable for a request id."""
    return base64.b64encode(hashlib.sha256(request_id.encode()).digest() * 2).decode()
