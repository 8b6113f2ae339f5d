"""botocore on the other end of the wire, for the XML-family protocol tests.

- ``request_from_botocore``: params -> botocore's own serializer -> the HTTP request botocore
  would send (prepared exactly as its endpoint does) -> our ``HttpRequest``;
- ``botocore_parse``: our ``HttpResponse`` -> botocore's own response parser;
- ``normalized``: the comparison both sides go through, modulo what the wire cannot tell apart
  (absent vs empty containers, timestamp time zones).
"""

from __future__ import annotations

import io
from functools import lru_cache
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import botocore.session
from botocore.awsrequest import AWSResponse, create_request_object, prepare_request_dict
from botocore.model import OperationModel
from botocore.parsers import create_parser
from botocore.response import StreamingBody
from botocore.serialize import create_serializer
from urllib3._collections import HTTPHeaderDict

from regionbox.protocol.http import HttpRequest, HttpResponse

ENDPOINT = "http://127.0.0.1:4566"


def request_from_botocore(protocol: str, operation: OperationModel, params: dict[str, Any]) -> HttpRequest:
    serialized = create_serializer(protocol, include_validation=False).serialize_to_request(params, operation)
    serialized["context"] = {}
    prepare_request_dict(serialized, ENDPOINT)
    prepared = create_request_object(serialized).prepare()
    url = urlsplit(prepared.url)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    elif hasattr(body, "read"):
        body = body.read()
    # Content-Length is the HTTP layer's, not the serializer's: a member bound to it (S3's
    # ContentLength) must come back only when the caller gave it.
    given = {name.lower() for name in serialized["headers"]}
    headers = {name.lower(): value for name, value in prepared.headers.items()
               if name.lower() != "content-length" or "content-length" in given}
    return HttpRequest(prepared.method, url.path or "/", url.query, headers, body, host=url.netloc)


def botocore_parse(protocol: str, operation: OperationModel, response: HttpResponse) -> dict[str, Any]:
    headers = HTTPHeaderDict()
    for name, value in response.headers:
        headers.add(name, value)
    body: Any = response.body
    if operation.has_streaming_output and response.status < 300:
        # as botocore's endpoint does: a streaming payload stays a stream for the parser
        body = StreamingBody(io.BytesIO(response.body), len(response.body))
    raw = {"status_code": response.status, "headers": headers, "body": body}
    parsed = create_parser(protocol).parse(raw, operation.output_shape)
    payload = operation.output_shape.serialization.get("payload") if operation.output_shape else None
    if isinstance(parsed.get(payload), StreamingBody):
        parsed[payload] = parsed[payload].read()
    if payload and not response.body and parsed.get(payload) in ("", b""):
        del parsed[payload]  # an empty raw payload is no payload
    # botocore reads S3 GetBucketLocation by hand in an after-call hook, as a client runs it.
    # (Other after-call hooks reinterpret values, IAM's policy documents as JSON; not wire matters.)
    model = operation.service_model
    if (model.service_name, operation.name) == ("s3", "GetBucketLocation"):
        _events().emit(f"after-call.{model.service_id.hyphenize()}.{operation.name}",
                       http_response=AWSResponse(ENDPOINT, response.status, headers, _Raw(response.body)),
                       parsed=parsed, model=operation, context={})
    return parsed


class _Raw:
    def __init__(self, body: bytes):
        self.body = body

    def stream(self, **_):
        yield self.body


@lru_cache(maxsize=1)
def _events():
    return botocore.session.get_session().get_component("event_emitter")


def normalized(value: Any) -> Any:
    """Drop None and empty containers (the wire omits them) and make timestamps UTC."""
    if isinstance(value, dict):
        cleaned = {key: normalized(item) for key, item in value.items() if key != "ResponseMetadata"}
        return {key: item for key, item in cleaned.items() if not _empty(item)}
    if isinstance(value, (list, tuple)):
        # A list item that is an empty structure leaves no trace in a query string.
        return [item for item in map(normalized, value) if item != {}]
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return value


def _empty(value: Any) -> bool:
    # an empty payload is no payload: nothing tells them apart on the wire
    return value is None or value == b"" or (isinstance(value, (dict, list)) and not value)
