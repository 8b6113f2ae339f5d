"""EC2's dialect of the query protocol.

Input differs from query in naming and lists: a member's key is its ``queryName``, else its
``locationName`` with the first letter upper-cased, else the member name; every list is
``Name.N`` (no ``member`` segment, and an empty list is simply absent).

Output has no result wrapper: ``<OpResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
<requestId/>members...</OpResponse>``, with the model's lower-case locationNames and ``<item>``
lists. Errors are ``<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/>
</Response>``. EC2 checks only that required parameters are present before the service sees a
request ("MissingParameter: The request must contain the parameter X"); everything else is the
service's own validation.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

from botocore.model import OperationModel, ServiceModel, Shape

from regionbox.core.errors import ServiceError
from regionbox.protocol import query, xml
from regionbox.protocol.dialect import DEFAULT, Dialect
from regionbox.protocol.errors import error_spec
from regionbox.protocol.http import HttpResponse


class Parser(query.Parser):
    def __init__(self, model: ServiceModel, dialect: Dialect = DEFAULT):
        super().__init__(model, dialect)
        # The EC2 protocol's own rule: only required parameters are checked, by EC2's wording.
        self.legacy = ("MissingParameter", "The request must contain the parameter {name}")

    def member_key(self, shape: Shape, member_name: str) -> str:
        serialization = shape.serialization
        if "queryName" in serialization:
            return serialization["queryName"]
        if "name" in serialization:
            name = serialization["name"]
            return name[:1].upper() + name[1:]
        return member_name

    def list_items(self, shape: Shape, node: query.QueryNode) -> list[query.QueryNode]:
        return self.indexed(node)

    def stray(self, node: query.QueryNode) -> None:
        # EC2 refuses parameters it does not know; a list position that is not one is such a
        # parameter (``Filter.².Name``, ``InstanceId.01x``).
        raise ServiceError("UnknownParameter", f"The parameter {node.key()} is not recognized", 400)

    def unknown_action(self, action: str, version: str) -> ServiceError:
        return ServiceError("InvalidAction", f"The action {action} is not valid for this web service.", 400)


class Serializer(query.Serializer):
    def __init__(self, model: ServiceModel, dialect: Dialect = DEFAULT):
        super().__init__(model)
        # The model writes the namespace without the trailing slash EC2 itself sends.
        self.namespace = self.namespace.rstrip("/") + "/"

    def serialize_response(self, operation: OperationModel, output: dict[str, Any], request_id: str) -> HttpResponse:
        root = ElementTree.Element(f"{operation.name}Response", {"xmlns": self.namespace})
        ElementTree.SubElement(root, "requestId").text = request_id
        if operation.output_shape is not None:
            xml.encode_members(root, operation.output_shape, output or {}, self.timestamp_default)
        return self.response(200, root, request_id)

    def serialize_error(self, operation: OperationModel | None, error: ServiceError, request_id: str) -> HttpResponse:
        spec = error_spec(self.model, error)
        root = ElementTree.Element("Response")
        errors = ElementTree.SubElement(root, "Errors")
        self.error_fields(ElementTree.SubElement(errors, "Error"), spec, error)
        ElementTree.SubElement(root, "RequestID").text = request_id
        return self.response(spec.status, root, request_id)
