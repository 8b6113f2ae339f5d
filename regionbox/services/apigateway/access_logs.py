"""Access logging: a stage with ``accessLogSettings`` writes one line per call to its CloudWatch
Logs group (``destinationArn``), in its ``format`` with ``$context`` variables (an unknown or
empty one is "-", as AWS writes it), through Logs' api. The stream is named after the stage's API
and stage, one per day; AWS does not document its own naming.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any, Callable

import orjson

from regionbox.protocol.http import HttpResponse
from regionbox.services.apigateway.models import Stage

log = logging.getLogger("regionbox.apigateway")
_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_.]+)")
_LOG_GROUP_ARN = re.compile(r"^arn:[\w-]+:logs:(?P<region>[\w-]+):(?P<account>\d{12}):log-group:(?P<name>[^:]+)(?::\*)?$")


def render_line(template: str, context: dict[str, Any]) -> str:
    def value(found: re.Match) -> str:
        current: Any = context
        for part in found.group(1).split("."):
            current = current.get(part) if isinstance(current, dict) else None
        return "-" if current in (None, "") else str(current)
    return _VARIABLE.sub(value, template)


class AccessLogs:
    def __init__(self, logs_api: Callable[[], Any]) -> None:
        self.logs_api = logs_api

    def record(self, stage: Stage, context: dict[str, Any], response: HttpResponse, started: float) -> None:
        settings = stage.body.get("accessLogSettings") or {}
        found = _LOG_GROUP_ARN.match(settings.get("destinationArn") or "")
        if found is None or not settings.get("format"):
            return
        now = time.time()
        context = {**context, "status": response.status, "responseLength": response.header("content-length") or 0,
                   "responseLatency": int((now - started) * 1000),
                   "error": {"message": response.header("x-amzn-errortype") and _message(response)}}
        line = render_line(settings["format"], context)
        stream = f"{stage.rest_api_id}_{stage.name}_{time.strftime('%Y-%m-%d', time.gmtime(now))}"
        try:
            self.logs_api().append(found.group("account"), found.group("region"), found.group("name"), stream,
                                   [(int(now * 1000), line)])
        except Exception:  # noqa: BLE001 - a log that cannot be written must not fail the call
            log.exception("API Gateway access log to %s failed", settings.get("destinationArn"))


def _message(response: HttpResponse) -> str | None:
    body = response.body if isinstance(response.body, (bytes, bytearray)) else b""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return document.get("message") if isinstance(document, dict) else None
