"""The REST binding shared by rest-xml (S3, Route 53) and rest-json (Lambda, API Gateway ...).

What a REST protocol takes from the model, independent of the body format:

- which operation a request is: ``http.method`` + ``http.requestUri``, a path template with
  labels (``/{Bucket}``), one greedy label (``/{Bucket}/{Key+}``) and fixed query parts that tell
  operations on the same path apart (S3's ``?uploads``, ``?tagging``, ``?list-type=2``);
- where each input/output member lives: ``location`` = ``uri`` (a path label), ``querystring``
  (one parameter, a list of repeated parameters, or a map of all remaining ones), ``header``
  (lists comma-separated, timestamps RFC 822 by default, ``jsonvalue`` strings base64 JSON),
  ``headers`` (every header with a prefix, a map), ``statusCode`` (outputs); or the body;
- the body: the ``payload`` member alone (a blob/string is the raw body, a structure is encoded
  by the protocol), or else every member without a location, encoded by the protocol.

Subclass interface (kept stable; rest-json builds on it):

``RestParser(model, dialect)``
    ``decode_body(shape, body, root_name) -> dict`` **(required)**: the body members of
    structure ``shape`` read from ``body`` (never empty when called). ``root_name`` is the XML
    root name botocore writes (the payload member's or input shape's locationName), or None.
    Raise ``ServiceError`` (e.g. via ``self.malformed``) for a body that cannot be read.
    ``malformed(message) -> ServiceError``: the protocol's error for unreadable input
    (default ``SerializationException``).
    ``validate(operation, params)``: input validation after parsing (default: validate.py
    with ``validation_code``: the dialect's, else the class attribute, default ``ValidationException``).
    ``parse(request) -> (operation, params)`` is provided.

``RestSerializer(model, dialect)``
    ``encode_body(shape, value, root_name) -> bytes`` **(required)**: structure ``value``'s
    body members as a document; ``content_type`` (class attribute) is sent with it.
    ``empty_body`` (class attribute, default ``b""``): body when an output has no body members.
    ``request_id_headers(request_id) -> list``: default ``x-amzn-RequestId``.
    ``serialize_error(operation, error, request_id)`` **(required)**.
    ``serialize_response(operation, output, request_id) -> HttpResponse`` is provided.

``Router(model).match(request) -> (operation, labels)`` finds the operation alone.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from botocore.model import OperationModel, ServiceModel, Shape

from regionbox.core.errors import ServiceError
from regionbox.protocol import aws_chunked, eventstream, values
from regionbox.protocol.dialect import DEFAULT, Dialect
from regionbox.protocol.http import HttpRequest, HttpResponse
from regionbox.protocol.validate import validate as validate_params
from regionbox.protocol.xml import parse_scalar, scalar_text

_LABEL = re.compile(r"\{([^}]+)\}")


# --- routing -------------------------------------------------------------------------------

@dataclass
class Route:
    operation: OperationModel
    method: str
    pattern: re.Pattern[str]
    labels: list[str]  # label names in the template, greedy ones without the '+'
    query: dict[str, str | None]  # fixed query key -> required value (None: the key must be present)
    required: list[tuple[str, str]]  # ("query", name) / ("header", lower-case name) of required members
    hint: str | None  # the ?x-id= value botocore adds, when the template names one
    literal_length: int  # characters of the template outside labels: more = more specific
    greedy: bool

    def sort_key(self) -> tuple:
        # Most specific first: more fixed query parts, then more required members (S3's
        # UploadPartCopy before UploadPart before PutObject), current before deprecated
        # operations, no greedy label, longer literal path; the name last, so that ties
        # resolve the same way every time.
        return (-len(self.query), -len(self.required), bool(self.operation.deprecated), self.greedy,
                -self.literal_length, self.operation.name)

    def accepts(self, query: dict[str, str]) -> bool:
        """The fixed query parts of the template decide (?uploads, ?list-type=2)."""
        return all(key in query and (wanted is None or query[key] == wanted) for key, wanted in self.query.items())

    def complete(self, query: dict[str, str], headers: dict[str, str]) -> bool:
        """Required query members and headers present: they tell apart operations that share
        a template (PutObject, UploadPart, CopyObject), but when no other operation fits, the
        request is still this one, with a parameter missing (reported by validation)."""
        return all((name in headers) if kind == "header" else (name in query) for kind, name in self.required)


@dataclass
class Router:
    """method + path + query string (+ required headers) -> operation, as AWS's front ends resolve
    REST requests. A request that names its operation (``?x-id=PutObject``) gets that one."""

    model: ServiceModel
    routes: list[Route] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in self.model.operation_names:
            self.routes.append(compile_route(self.model.operation_model(name)))
        self.routes.sort(key=Route.sort_key)

    def match(self, request: HttpRequest, path: str | None = None) -> tuple[OperationModel, dict[str, str]]:
        """``path``: the path to route on, when it is not the request's own (virtual hosts)."""
        query = {key: value for key, value in request.query}
        path = path or request.path or "/"
        hint = query.get("x-id")
        path_matched = False
        candidates: list[tuple[Route, re.Match[str]]] = []
        for route in self.routes:
            found = route.pattern.fullmatch(path)
            if found is None:
                continue
            path_matched = True
            if route.method == request.method and route.accepts(query):
                candidates.append((route, found))
        if not candidates:
            if path_matched:
                raise ServiceError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405)
            raise ServiceError("UnknownOperationException", f"No operation matches {request.method} {path}.", 404)
        best = len(candidates[0][0].query)  # candidates are sorted: the first has the most fixed parts
        complete = [pair for pair in candidates if len(pair[0].query) == best and pair[0].complete(query, request.headers)]
        chosen = complete or candidates
        if len(chosen) > 1 and _signed_for(request, query) == "s3express":
            # S3 Express One Zone: GET / signed for s3express is ListDirectoryBuckets, not ListBuckets.
            chosen = [pair for pair in chosen if _express_control(pair[0].operation)] or chosen
        route, found = next(((r, f) for r, f in chosen if hint and r.hint == hint), chosen[0])
        return route.operation, {name: unquote(found.group(_group(name))) for name in route.labels}


_SIGNED_SERVICE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/]+/([^/]+)/aws4_request")


def _signed_for(request: HttpRequest, query: dict[str, str]) -> str | None:
    """The service a SigV4 request is signed for (header or presigned query), if signed."""
    found = _SIGNED_SERVICE.search(request.headers.get("authorization", "")) or \
        _SIGNED_SERVICE.search("Credential=" + query.get("X-Amz-Credential", ""))
    return found.group(1) if found else None


def _express_control(operation: OperationModel) -> bool:
    """An operation the model sends to the S3 Express control endpoint (its endpoint rules sign it for s3express)."""
    return any(param.name == "UseS3ExpressControlEndpoint" and param.value for param in operation.static_context_parameters)


def compile_route(operation: OperationModel) -> Route:
    http = operation.http
    template, _, fixed = http.get("requestUri", "/").partition("?")
    query: dict[str, str | None] = {}
    hint = None
    for part in filter(None, fixed.split("&")):
        key, has_value, wanted = part.partition("=")
        if key == "x-id":
            hint = unquote(wanted)  # a hint clients may leave out: never required
        else:
            query[key] = unquote(wanted) if has_value else None
    required: list[tuple[str, str]] = []
    shape = operation.input_shape
    for name in (shape.required_members if shape is not None else []):
        member = shape.members[name]
        location = member.serialization.get("location")
        if location == "querystring" and member.type_name != "map":
            required.append(("query", member.serialization.get("name", name)))
        elif location == "header":
            required.append(("header", member.serialization.get("name", name).lower()))
    regex, labels, greedy, position = "", [], False, 0
    for label in _LABEL.finditer(template):
        regex += re.escape(template[position:label.start()])
        name = label.group(1)
        if name.endswith("+"):
            name, greedy = name[:-1], True
            regex += f"(?P<{_group(name)}>.+)"
        else:
            regex += f"(?P<{_group(name)}>[^/]+)"
        labels.append(name)
        position = label.end()
    literal_tail = re.escape(template[position:])
    regex += literal_tail
    if template != "/" and not (greedy and not literal_tail):
        # "/bucket/" is "/{Bucket}": clients and the gateway may leave a trailing slash
        # (but a greedy label keeps it: "dir/" is an S3 key of its own).
        regex = (regex[:-1] if regex.endswith("/") else regex) + "/?"
    literal_length = len(_LABEL.sub("", template))
    return Route(operation, http.get("method", "POST"), re.compile(regex), labels, query, required, hint,
                 literal_length, greedy)


def _virtual_host(pattern: str) -> re.Pattern[str]:
    """"*.s3.*.localhost" -> a regex whose group 1 is the first "*" (which may hold dots)."""
    first, *rest = pattern.lower().split("*")
    if not rest:
        return re.compile(re.escape(first) + "()")
    return re.compile(re.escape(first) + "(.+)" + re.escape(rest[0]) + "".join("[^.]+" + re.escape(p) for p in rest[1:]))


def _group(label: str) -> str:
    """A regex group name for a label (labels may hold characters groups cannot)."""
    return "L_" + re.sub(r"\W", lambda m: f"_{ord(m.group()):x}_", label)


# --- request parsing -----------------------------------------------------------------------

class RestParser:
    validation_code = "ValidationException"
    query_timestamp_format = values.ISO8601
    header_timestamp_format = values.RFC822

    def __init__(self, model: ServiceModel, dialect: Dialect = DEFAULT):
        self.model = model
        self.dialect = dialect
        self.validation_code = dialect.validation_code or self.validation_code
        self.router = Router(model)
        self.virtual_hosts = [_virtual_host(pattern) for pattern in dialect.virtual_hosts]

    # hooks --------------------------------------------------------------------------------

    def decode_body(self, shape: Shape, body: bytes, root_name: str | None) -> dict[str, Any]:
        raise NotImplementedError

    def malformed(self, message: str) -> ServiceError:
        return ServiceError("SerializationException", message, 400)

    def validate(self, operation: OperationModel, params: dict[str, Any]) -> None:
        validate_params(operation.input_shape, params, code=self.validation_code)

    # the binding --------------------------------------------------------------------------

    def streams_body(self, request: HttpRequest) -> bool:
        """Whether this request's operation takes its body as a stream (a streaming blob
        payload, S3 PutObject and UploadPart): then ``parse`` hands ``request.stream`` to the
        handler instead of reading the body into memory."""
        try:
            operation, _ = self.router.match(request, self.routed_path(request))
        except ServiceError:
            return False
        return streaming_payload(operation.input_shape) is not None

    def routed_path(self, request: HttpRequest) -> str:
        """The path as if addressed path-style: a virtual host's label becomes the first segment
        (``bucket.s3.localhost/key`` routes as ``/bucket/key``; the signature covers what was sent)."""
        if self.virtual_hosts and request.host:
            host = request.host.lower()
            host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            for pattern in self.virtual_hosts:
                found = pattern.fullmatch(host)
                if found:
                    return "/" + found.group(1) + (request.path or "/")
        return request.path or "/"

    def parse(self, request: HttpRequest) -> tuple[OperationModel, dict[str, Any]]:
        operation, labels = self.router.match(request, self.routed_path(request))
        chunked = streaming_payload(operation.input_shape) is not None and aws_chunked.is_chunked(request.headers)
        headers = aws_chunked.without_aws_chunked(request.headers) if chunked else request.headers
        shape = operation.input_shape
        if shape is None:
            return operation, {}
        params: dict[str, Any] = {}
        bound_query: set[str] = set()
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire_name = member.serialization.get("name", name)
            try:
                if location == "uri" and wire_name in labels:
                    params[name] = parse_scalar(member, labels[wire_name])
                elif location == "querystring" and member.type_name != "map":
                    bound_query.add(wire_name)
                    value = self.query_value(member, wire_name, request)
                    if value is not None:
                        params[name] = value
                elif location == "header":
                    text = headers.get(wire_name.lower())
                    if text is not None:
                        params[name] = self.header_value(member, text)
                elif location == "headers":
                    prefix = wire_name.lower()
                    found = {key[len(prefix):]: text for key, text in headers.items() if key.startswith(prefix)}
                    if found:
                        params[name] = found
            except ValueError as exc:
                raise self.malformed(f"Invalid value for {wire_name}: {exc}") from exc
        for name, member in shape.members.items():
            # A querystring map takes every parameter no other member claimed (API Gateway).
            if member.serialization.get("location") == "querystring" and member.type_name == "map":
                rest = self.query_map(member, request, bound_query)
                if rest:
                    params[name] = rest
        params.update(self.host_labels(operation, request.host))
        streamed = streaming_payload(shape)
        if streamed is not None and request.stream is not None:
            params[streamed] = (aws_chunked.AwsChunkedBody.of(request.stream, request.headers, request.chunk_signatures)
                                if chunked else request.stream)
        else:
            params.update(self.body_params(shape, request.body))
        self.validate(operation, params)
        return operation, params

    def host_labels(self, operation: OperationModel, host: str) -> dict[str, str]:
        """Members the client put in front of the host name (``hostPrefix: "{RequestRoute}."``)."""
        template = (operation.endpoint or {}).get("hostPrefix")
        if not template or "{" not in template:
            return {}
        regex = "".join(f"(?P<{_group(part[1:-1])}>[A-Za-z0-9.-]+?)" if part.startswith("{") else re.escape(part)
                        for part in re.split(r"(\{[^}]+\})", template))
        found = re.match(regex, host)
        if found is None:
            return {}
        return {name: found.group(_group(name)) for name in _LABEL.findall(template)}

    def query_value(self, member: Shape, wire_name: str, request: HttpRequest) -> Any:
        texts = [value for key, value in request.query if key == wire_name]
        if not texts:
            return None
        if member.type_name == "list":
            return [self.query_scalar(member.member, text) for text in texts]
        return self.query_scalar(member, texts[0])

    def query_scalar(self, shape: Shape, text: str) -> Any:
        return parse_scalar(shape, text)

    def query_map(self, member: Shape, request: HttpRequest, bound: set[str]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, text in request.query:
            if key in bound:
                continue
            if member.value.type_name == "list":
                result.setdefault(key, []).append(parse_scalar(member.value.member, text))
            elif key not in result:
                result[key] = parse_scalar(member.value, text)
        return result

    def header_value(self, member: Shape, text: str) -> Any:
        if member.type_name == "list":
            return [parse_scalar(member.member, item) for item in split_header_list(text)]
        if member.type_name == "string" and member.serialization.get("jsonvalue"):
            return json.loads(base64.b64decode(text))
        return parse_scalar(member, text)

    def body_params(self, shape: Shape, body: bytes) -> dict[str, Any]:
        payload = shape.serialization.get("payload")
        if payload is not None:
            member = shape.members[payload]
            if member.type_name == "blob":
                return {payload: body} if body else {}
            if member.type_name == "string":
                try:
                    return {payload: body.decode("utf-8")} if body else {}
                except UnicodeDecodeError as exc:
                    raise self.malformed("The payload is not valid UTF-8.") from exc
            if not body.strip():
                return {}
            root = member.serialization.get("name", payload)
            return {payload: self.decode_body(member, body, root)}
        if not any("location" not in member.serialization for member in shape.members.values()):
            return {}
        if not body.strip():
            return {}
        return self.decode_body(shape, body, shape.serialization.get("name"))


def streaming_payload(shape: Shape | None) -> str | None:
    """The member that is a streaming blob payload of ``shape`` (read and written as a stream)."""
    payload = shape.serialization.get("payload") if shape is not None else None
    if payload is None:
        return None
    member = shape.members[payload]
    return payload if member.type_name == "blob" and member.serialization.get("streaming") else None


def split_header_list(text: str) -> list[str]:
    """A comma-separated header list; items may be "quoted" (with \\" escapes) to hold commas."""
    items, current, quoted, escaped, was_quoted = [], "", False, False, False
    for char in text:
        if escaped:
            current += char
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted, was_quoted = not quoted, True
        elif char == "," and not quoted:
            items.append(current if was_quoted else current.strip())
            current, was_quoted = "", False
        else:
            current += char
    items.append(current if was_quoted else current.strip())
    return items


# --- response serialization ----------------------------------------------------------------

class RestSerializer:
    content_type = "application/octet-stream"
    empty_body = b""
    header_timestamp_format = values.RFC822

    def __init__(self, model: ServiceModel, dialect: Dialect = DEFAULT):
        self.model = model
        self.dialect = dialect

    # hooks --------------------------------------------------------------------------------

    def encode_body(self, shape: Shape, value: dict[str, Any], root_name: str) -> bytes:
        raise NotImplementedError

    def request_id_headers(self, request_id: str) -> list[tuple[str, str]]:
        return [("x-amzn-RequestId", request_id)]

    def serialize_error(self, operation: OperationModel | None, error: ServiceError, request_id: str) -> HttpResponse:
        raise NotImplementedError

    # the binding --------------------------------------------------------------------------

    def serialize_response(self, operation: OperationModel, output: dict[str, Any], request_id: str) -> HttpResponse:
        output = output or {}
        status = int(operation.http.get("responseCode", 200))
        if self.dialect.partial_content_member and output.get(self.dialect.partial_content_member) is not None:
            status = 206
        headers = self.request_id_headers(request_id)
        shape = operation.output_shape
        body = self.empty_body
        content_type: str | None = None
        if shape is not None:
            for name, member in shape.members.items():
                value = output.get(name)
                if value is None:
                    continue
                location = member.serialization.get("location")
                wire_name = member.serialization.get("name", name)
                if location == "statusCode":
                    status = int(value)
                elif location == "header":
                    if member.type_name == "list" and not value:
                        continue
                    headers.append((wire_name, self.header_text(member, value)))
                elif location == "headers":
                    headers.extend((wire_name + key, str(text)) for key, text in value.items())
            body, content_type = self.body_of(operation, shape, output)
        if content_type and not any(key.lower() == "content-type" for key, _ in headers):
            headers.append(("Content-Type", content_type))
        if isinstance(body, (bytes, bytearray)) and not any(key.lower() == "content-length" for key, _ in headers):
            # A modeled Content-Length (S3 HeadObject, GetObject: the object's size) is the provider's to give.
            headers.append(("Content-Length", str(len(body))))
        return HttpResponse(status, headers, body)

    def body_of(self, operation: OperationModel, shape: Shape, output: dict[str, Any]) -> tuple[Any, str | None]:
        payload = shape.serialization.get("payload")
        if payload is not None:
            member = shape.members[payload]
            value = output.get(payload)
            if member.serialization.get("eventstream") and value is not None:
                # An event stream payload (Lambda's InvokeWithResponseStream): the handler's async
                # iterator of events, framed as they come; the other members are headers.
                return eventstream.response_body(member, value, self.event_payload, self.content_type), \
                    eventstream.CONTENT_TYPE
            if member.type_name in ("blob", "string"):
                if value is None:
                    return b"", None
                if hasattr(value, "__aiter__"):
                    return value, None  # a streaming payload (S3 GetObject): sent as it is read
                data = value.encode("utf-8") if isinstance(value, str) else values.to_bytes(value)
                return data, None
            if value is None:
                return self.empty_body, None
            return self.encode_body(member, value, member.serialization.get("name", payload)), self.content_type
        body_members = {name: value for name, value in output.items()
                        if name in shape.members and "location" not in shape.members[name].serialization and value is not None}
        if not body_members:
            return self.empty_body, (self.content_type if self.empty_body else None)
        root = shape.serialization.get("name") or f"{operation.name}Response"
        return self.encode_body(shape, body_members, root), self.content_type

    def event_payload(self, shape: Shape, value: dict[str, Any]) -> bytes:
        """One event's payload: its ``eventpayload`` member as is (a blob's bytes), else its members
        in the protocol's body encoding."""
        for name, member in shape.members.items():
            if member.serialization.get("eventpayload"):
                item = value.get(name)
                if item is None:
                    return b""
                return item.encode("utf-8") if isinstance(item, str) else \
                    values.to_bytes(item) if member.type_name in ("blob", "string") else \
                    self.encode_body(member, item, name)
        return self.encode_body(shape, value, shape.name)

    def header_text(self, member: Shape, value: Any) -> str:
        if member.type_name == "list":
            return ",".join(quote_header_item(scalar_text(member.member, item, self.header_timestamp_format))
                            if member.member.type_name == "string" else scalar_text(member.member, item, self.header_timestamp_format)
                            for item in value)
        if member.type_name == "string" and member.serialization.get("jsonvalue"):
            return base64.b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()
        return scalar_text(member, value, self.header_timestamp_format)


def quote_header_item(text: str) -> str:
    if '"' in text or "," in text:
        return '"' + text.replace('"', '\\"') + '"'
    return text
