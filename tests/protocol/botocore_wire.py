"""botocore on the other end of the wire, for the XML-family protocol tests.

- ``request_from_botocore``: params -> botocore's own serializer -> the HTTP request botocore
  would send (prepared exactly as its endpoint does) -> our ``HttpRequest``;
- ``botocore_parse``: our ``HttpResponse`` -> botocore's own response parser;
- ``normalized``: the comparison both sides go through, modulo what the wire cannot tell apart
  (absent vs empty containers, timestamp time zones).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.model import OperationModel
from botocore.parsers import create_parser
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
    headers = {name.lower(): value for name, value in prepared.headers.items()}
    return HttpRequest(prepared.method, url.path or "/", url.query, headers, body, host=url.netloc)


def botocore_parse(protocol: str, operation: OperationModel, response: HttpResponse) -> dict[str, Any]:
    headers = HTTPHeaderDict()
    for name, value in response.headers:
        headers.add(name, value)
    raw = {"status_code": response.status, "headers": headers, "body": response.body}
    return create_parser(protocol).parse(raw, operation.output_shape)


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
    return value is None or (isinstance(value, (dict, list)) and not value)
