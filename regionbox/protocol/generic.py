"""Responses for requests that never reached a service: unknown service, undecodable body.

Without a service model we cannot speak the caller's protocol, so we answer in the shape every
AWS SDK understands for JSON services (``__type`` plus ``x-amzn-ErrorType``).
"""

from __future__ import annotations

import orjson

from regionbox.core.errors import ServiceError
from regionbox.protocol.http import HttpResponse


def error_response(error: ServiceError, request_id: str) -> HttpResponse:
    body = orjson.dumps({"__type": error.code, "message": error.message})
    return HttpResponse(error.status, [
        ("Content-Type", "application/x-amz-json-1.1"),
        ("x-amzn-RequestId", request_id),
        ("x-amzn-ErrorType", error.code),
        ("Content-Length", str(len(body))),
    ], body)


def json_response(payload: object, status: int = 200) -> HttpResponse:
    body = orjson.dumps(payload)
    return HttpResponse(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))], body)
