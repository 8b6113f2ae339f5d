"""Mapping templates: what ``$input``, ``$util``, ``$context`` and ``$stageVariables`` give a
template, evaluated by the VTL engine (vtl.py), as API Gateway's reference describes them:

- ``$input.body``, ``$input.json('$.a')`` (JSON text), ``$input.path('$.a')`` (an object to walk),
  ``$input.params()`` (``path``, ``querystring``, ``header`` maps) and ``$input.params('x')`` (path,
  then query string, then header);
- ``$util.escapeJavaScript``, ``urlEncode``, ``urlDecode``, ``base64Encode``, ``base64Decode``, ``parseJson``;
- ``$context`` (requestId, stage, resourcePath, httpMethod, apiId, path, identity.sourceIp,
  identity.apiKey ...) and ``$stageVariables``.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from regionbox.services.apigateway import vtl


@dataclass
class TemplateInput:
    body: bytes
    path_params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    context: dict[str, Any]
    stage_variables: dict[str, str] = field(default_factory=dict)


def json_path(document: Any, path: str) -> Any:
    """``$``, ``$.a.b``, ``$.a[0]``, ``$['a']``: the JSONPath templates use."""
    if not path.startswith("$"):
        return None
    current = document
    for part in re.findall(r"\.([^.\[\]]+)|\[(\d+)\]|\['([^']*)'\]", path[1:]):
        name, index, quoted = part
        name = name or quoted
        if name and isinstance(current, dict):
            current = current.get(name)
        elif index and isinstance(current, list) and int(index) < len(current):
            current = current[int(index)]
        else:
            return None
    return current


class Input:
    """``$input``."""

    def __init__(self, given: TemplateInput) -> None:
        self._given = given
        self.body = given.body.decode("utf-8", "replace")

    def _document(self) -> Any:
        try:
            return json.loads(self.body or "{}")
        except ValueError:
            return None

    def json(self, path: str = "$") -> str:
        return json.dumps(json_path(self._document(), str(path)))

    def path(self, path: str = "$") -> Any:
        return json_path(self._document(), str(path))

    def params(self, name: str | None = None) -> Any:
        given = self._given
        if name is None:
            return {"path": dict(given.path_params), "querystring": dict(given.query), "header": dict(given.headers)}
        for source in (given.path_params, given.query):
            if name in source:
                return source[name]
        return given.headers.get(str(name).lower(), "")


class Util:
    """``$util``."""

    @staticmethod
    def escapeJavaScript(text: Any) -> str:  # noqa: N802 - API Gateway's names
        return json.dumps(vtl.text_of(text))[1:-1].replace("'", "\\'")

    @staticmethod
    def urlEncode(text: Any) -> str:  # noqa: N802
        return quote_plus(vtl.text_of(text))

    @staticmethod
    def urlDecode(text: Any) -> str:  # noqa: N802
        return unquote_plus(vtl.text_of(text))

    @staticmethod
    def base64Encode(text: Any) -> str:  # noqa: N802
        return base64.b64encode(vtl.text_of(text).encode()).decode()

    @staticmethod
    def base64Decode(text: Any) -> str:  # noqa: N802
        return base64.b64decode(vtl.text_of(text)).decode("utf-8", "replace")

    @staticmethod
    def parseJson(text: Any) -> Any:  # noqa: N802
        return json.loads(vtl.text_of(text))


_UTIL = Util()


def render(template: str, given: TemplateInput) -> str:
    """The template applied; ``vtl.TemplateError`` when it cannot be parsed."""
    return vtl.render(template, {"input": Input(given), "util": _UTIL, "context": given.context,
                                 "stageVariables": given.stage_variables})
