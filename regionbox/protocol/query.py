"""The AWS query protocol (STS, IAM, ElastiCache, RDS, ELBv2, CloudFormation, SNS, CloudWatch's
query variant): form-encoded input, XML output.

Input is ``Action=Op&Version=...`` plus flat keys, in the POST form body or (GET) the query
string. Keys name a path through the input shape, as botocore's QuerySerializer writes them:

- structure member: ``Parent.MemberLocationName``;
- list: ``Name.member.N`` (the member's locationName replaces ``member``), flattened ``Name.N``;
  an empty list is ``Name=`` with no value;
- map: ``Name.entry.N.key`` / ``Name.entry.N.value`` (flattened: ``Name.N.key``).

Output is ``<OpResponse xmlns=NS><OpResult>..</OpResult><ResponseMetadata><RequestId>``
(``OpResult`` is the output shape's ``resultWrapper``), errors are ``<ErrorResponse><Error>
<Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`` with the modeled HTTP status.
``ec2.py`` subclasses both halves for EC2's dialect.
"""

from __future__ import annotations

import re
from typing import Any, Iterator
from urllib.parse import unquote_plus
from xml.etree import ElementTree

from botocore.model import OperationModel, ServiceModel, Shape

from regionbox.core.errors import ServiceError
from regionbox.protocol import values, xml
from regionbox.protocol.errors import error_spec
from regionbox.protocol.http import HttpRequest, HttpResponse
from regionbox.protocol.dialect import DEFAULT, Dialect
from regionbox.protocol.validate import path_name, validate

CONTENT_TYPE = "text/xml"

# How a query service reports bad input. Coral-based services (IAM, STS, ELBv2, CloudFormation
# ...) answer "ValidationError: 1 validation error detected: ..." and enforce the model's
# constraints; older ones (ElastiCache, RDS, CloudWatch) declare ``Dialect.required_members_only``:
# they check only that required parameters are present, with their own code and wording.


_MAX_INDEX = 2**31 - 1  # list positions are Java ints on the service's side


def list_index(name: str) -> int | None:
    """The position a key segment names in a list or map (``Tags.member.3``), or None when it is
    not one: only ASCII digits of a sane length are. (``str.isdigit`` also accepts superscripts
    and other scripts' digits, which ``int()`` rejects ("²") or reads as numbers ("١" is 1), and
    ``int()`` refuses more than 4,300 digits.)"""
    if 0 < len(name) <= 10 and name.isascii() and name.isdigit():
        number = int(name)
        if number <= _MAX_INDEX:
            return number
    return None


# The deepest key a query model names has 15 segments (EC2, Auto Scaling); keys deeper than this
# name nothing.
MAX_KEY_SEGMENTS = 64
_PAIR = re.compile(r"[^&]+")


def form_pairs(texts: list[str], first_segments: set[str] | None = None) -> Iterator[tuple[str, str]]:
    """``parse_qsl(text, keep_blank_values=True, errors="strict")`` over each text, one pair at
    a time, so that nothing is held that is not wanted. With ``first_segments``, only the pairs
    whose key starts with one of them (``Tags`` for ``Tags.member.1.Key``) are decoded whole.
    ``MalformedQueryString`` for a key or value that is not percent-encoded UTF-8."""
    for text in texts:
        for match in _PAIR.finditer(text or ""):
            raw_key, _, raw_value = match.group().partition("=")
            try:
                key = unquote_plus(raw_key, errors="strict")
                if first_segments is not None and key.partition(".")[0] not in first_segments:
                    continue
                yield key, unquote_plus(raw_value, errors="strict")
            except UnicodeDecodeError as exc:
                raise ServiceError("MalformedQueryString", f"The query string is malformed: {exc}", 400) from exc


class QueryNode:
    """One dotted key segment of a query request: ``Tags.member.1.Key`` is four nested nodes."""

    __slots__ = ("value", "children", "parent", "name")

    def __init__(self, parent: "QueryNode | None" = None, name: str = "") -> None:
        self.value: str | None = None
        self.children: dict[str, QueryNode] = {}
        self.parent = parent
        self.name = name

    @classmethod
    def from_fields(cls, fields: list[tuple[str, str]]) -> "QueryNode":
        root = cls()
        for key, value in fields:
            node = root
            for part in key.split("."):
                child = node.children.get(part)
                if child is None:
                    child = node.children[part] = cls(node, part)
                node = child
            node.value = value
        return root

    def key(self) -> str:
        """A whole key through this node, as the client sent it (``Filter.².Name``)."""
        parts = []
        node: QueryNode | None = self
        while node is not None and node.parent is not None:
            parts.append(node.name)
            node = node.parent
        parts.reverse()
        node = self
        while node.value is None and node.children:  # down to a key that has a value
            name, node = next(iter(node.children.items()))
            parts.append(name)
        return ".".join(parts)


class Parser:
    timestamp_default = values.ISO8601

    def __init__(self, model: ServiceModel, dialect: Dialect = DEFAULT):
        self.model = model
        self.version = model.metadata.get("apiVersion", "")
        self.legacy = dialect.required_members_only
        self.validation_code = dialect.validation_code or "ValidationError"

    # --- entry point -------------------------------------------------------------------------

    def streams_body(self, request: HttpRequest) -> bool:
        return False  # every input is a document: the body is read whole

    def parse(self, request: HttpRequest) -> tuple[OperationModel, dict[str, Any]]:
        texts = self.texts(request)
        action = version = None
        for key, value in form_pairs(texts):  # every pair is read (and must be UTF-8), none is kept
            if key == "Action" and action is None:
                action = value
            elif key == "Version" and version is None:
                version = value
        if not action:
            raise ServiceError("MissingAction", "Missing Action", 400)
        if action not in self.model.operation_names:
            raise self.unknown_action(action, version or self.version)
        operation = self.model.operation_model(action)
        shape = operation.input_shape
        if shape is None:
            return operation, {}
        tree = QueryNode.from_fields(self.member_fields(shape, texts))
        params = self.decode_structure(shape, tree, "")
        self.validate(shape, params)
        return operation, params

    def unknown_action(self, action: str, version: str) -> ServiceError:
        return ServiceError("InvalidAction", f"Could not find operation {action} for version {version}", 400)

    def texts(self, request: HttpRequest) -> list[str]:
        """The form texts of the request: its query string, then its form body."""
        texts = [request.query_string]
        content_type = request.headers.get("content-type", "")
        if request.body and (not content_type or content_type.startswith("application/x-www-form-urlencoded")):
            try:
                texts.append(request.body.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise ServiceError("MalformedQueryString", "The request body is not valid UTF-8 form data.", 400) from exc
        return texts

    def member_fields(self, shape: Shape, texts: list[str]) -> Iterator[tuple[str, str]]:
        """The pairs that can name a member of ``shape``: keys whose first segment is a member's
        and that are no deeper than any model's keys go. The others are parameters the model does
        not know, ignored, and never held: a 16 MiB body of unknown or absurdly deep keys would
        otherwise become gigabytes of key nodes."""
        known = {self.member_key(member, name) for name, member in shape.members.items()}
        for key, value in form_pairs(texts, known):
            if key.count(".") < MAX_KEY_SEGMENTS:
                yield key, value

    # --- decoding ----------------------------------------------------------------------------

    def member_key(self, shape: Shape, member_name: str) -> str:
        """The key segment of a structure member (botocore's query naming)."""
        return xml.member_xml_name(shape, member_name)

    def indexed(self, node: QueryNode) -> list[QueryNode]:
        """The children of ``node`` named 1, 2, 3 ... in numeric order (list items, map entries);
        any other child is a key the model does not know (``stray``)."""
        numbered = []
        for name, child in node.children.items():
            number = list_index(name)
            if number is None:
                self.stray(child)
            else:
                numbered.append((number, child))
        return [child for _, child in sorted(numbered, key=lambda pair: pair[0])]

    def stray(self, node: QueryNode) -> None:
        """A key the model does not know where a list position should be (``Tags.member.²``).
        The query services ignore parameters they do not know, so this one is ignored too."""

    def list_items(self, shape: Shape, node: QueryNode) -> list[QueryNode]:
        if shape.serialization.get("flattened"):
            return self.indexed(node)
        holder = node.children.get(shape.member.serialization.get("name", "member"))
        return self.indexed(holder) if holder is not None else []

    def decode_structure(self, shape: Shape, node: QueryNode, path: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for member_name, member_shape in shape.members.items():
            child = node.children.get(self.member_key(member_shape, member_name))
            if child is None:
                continue
            value = self.decode(member_shape, child, f"{path}{member_name}")
            if value is not None:
                result[member_name] = value
        return result

    def decode(self, shape: Shape, node: QueryNode, path: str) -> Any:
        kind = shape.type_name
        if kind == "structure":
            return self.decode_structure(shape, node, path + ".")
        if kind == "list":
            return [self.decode(shape.member, item, f"{path}.{index}") for index, item in enumerate(self.list_items(shape, node), 1)]
        if kind == "map":
            entries = self.indexed(node) if shape.serialization.get("flattened") else \
                (self.indexed(node.children["entry"]) if "entry" in node.children else [])
            key_name = shape.key.serialization.get("name", "key")
            value_name = shape.value.serialization.get("name", "value")
            result = {}
            for entry in entries:
                key_node = entry.children.get(key_name)
                if key_node is None or key_node.value is None:
                    continue
                key = self.decode(shape.key, key_node, path)
                value_node = entry.children.get(value_name)
                result[key] = self.decode(shape.value, value_node, f"{path}.{key}") if value_node is not None else None
            return result
        if node.value is None:
            return None
        try:
            return xml.parse_scalar(shape, node.value)
        except ValueError as exc:
            raise self.invalid_value(path, node.value, shape) from exc

    # --- validation --------------------------------------------------------------------------

    def invalid_value(self, path: str, text: str, shape: Shape) -> ServiceError:
        if self.legacy:
            return ServiceError("InvalidParameterValue", f"Value ({text}) for parameter {path} is invalid.", 400)
        where = ".".join(path_name(part) for part in path.split("."))
        return ServiceError(self.validation_code, f"1 validation error detected: Value '{text}' at '{where}' "
                                               f"failed to satisfy constraint: Member must be of type {shape.type_name}", 400)

    def validate(self, shape: Shape, params: dict[str, Any]) -> None:
        if self.legacy is None:
            validate(shape, params, code=self.validation_code)
            return
        self.require(shape, params, "")

    def require(self, shape: Shape, value: Any, prefix: str) -> None:
        """The legacy dialects' only check: required members are present, at any depth, named by
        their query key (``MetricDataQueries.member.1.MetricStat.Metric``)."""
        if shape.type_name == "structure":
            for name in shape.required_members:
                if value.get(name) is None:
                    raise self.missing(prefix + self.member_key(shape.members[name], name))
            for name, item in value.items():
                if item is not None and name in shape.members:
                    self.require(shape.members[name], item, f"{prefix}{self.member_key(shape.members[name], name)}.")
        elif shape.type_name == "list":
            item_name = "" if shape.serialization.get("flattened") else shape.member.serialization.get("name", "member") + "."
            for index, item in enumerate(value, 1):
                if item is None:  # a position named without a value: Name.member.1.Stray=x
                    raise self.missing(f"{prefix}{item_name}{index}")
                self.require(shape.member, item, f"{prefix}{item_name}{index}.")
        elif shape.type_name == "map":
            for key, item in value.items():
                if item is None:  # an entry with a key and no value
                    raise self.missing(f"{prefix}{key}")
                self.require(shape.value, item, f"{prefix}{key}.")

    def missing(self, name: str) -> ServiceError:
        code, template = self.legacy
        return ServiceError(code, template.format(name=name), 400)


class Serializer:
    timestamp_default = values.ISO8601

    def __init__(self, model: ServiceModel, dialect: Dialect = DEFAULT):
        self.model = model
        metadata = model.metadata
        self.namespace = metadata.get("xmlNamespace") or \
            f"https://{metadata.get('endpointPrefix', '')}.amazonaws.com/doc/{metadata.get('apiVersion', '')}/"

    def serialize_response(self, operation: OperationModel, output: dict[str, Any], request_id: str) -> HttpResponse:
        root = ElementTree.Element(f"{operation.name}Response", {"xmlns": self.namespace})
        shape = operation.output_shape
        if shape is not None:
            wrapper = shape.serialization.get("resultWrapper")
            holder = ElementTree.SubElement(root, wrapper) if wrapper else root
            xml.encode_members(holder, shape, output or {}, self.timestamp_default)
        self.add_request_id(root, request_id)
        return self.response(200, root, request_id)

    def add_request_id(self, root: ElementTree.Element, request_id: str) -> None:
        metadata = ElementTree.SubElement(root, "ResponseMetadata")
        ElementTree.SubElement(metadata, "RequestId").text = request_id

    def serialize_error(self, operation: OperationModel | None, error: ServiceError, request_id: str) -> HttpResponse:
        spec = error_spec(self.model, error)
        root = ElementTree.Element("ErrorResponse", {"xmlns": self.namespace})
        detail = ElementTree.SubElement(root, "Error")
        ElementTree.SubElement(detail, "Type").text = spec.fault
        self.error_fields(detail, spec, error)
        ElementTree.SubElement(root, "RequestId").text = request_id
        return self.response(spec.status, root, request_id)

    def error_fields(self, detail: ElementTree.Element, spec: Any, error: ServiceError) -> None:
        """<Code>, <Message> and the modeled extra members of the error shape."""
        ElementTree.SubElement(detail, "Code").text = spec.code
        ElementTree.SubElement(detail, "Message").text = error.message
        if spec.shape is not None and spec.extra_fields:
            members = {name: value for name, value in spec.extra_fields.items() if name not in ("Code", "Message", "Type")}
            xml.encode_members(detail, spec.shape, members, self.timestamp_default)

    def response(self, status: int, root: ElementTree.Element, request_id: str) -> HttpResponse:
        body = xml.to_bytes(root)
        return HttpResponse(status, [
            ("x-amzn-RequestId", request_id),
            ("Content-Type", CONTENT_TYPE),
            ("Content-Length", str(len(body))),
        ], body)
