"""Mapping templates: the part of API Gateway's Velocity (VTL) language that templates use most.

References are replaced: ``$input.body``, ``$input.json('$.a')``, ``$input.path('$.a')``,
``$input.params('name')`` (path, then query string, then header), ``$context.*``
(requestId, stage, resourcePath, httpMethod, apiId, path, identity.sourceIp, identity.apiKey ...)
and ``$stageVariables.name``, also in their ``${...}`` and ``$!{...}`` forms. Directives
(``#set``, ``#if``, ``#foreach``) and ``$util`` are not evaluated: a template using them is sent
as written. That covers MOCK status-code templates and the usual field-mapping templates; a
full VTL engine is future work.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_REFERENCE = re.compile(
    r"\$!?(?:\{(?P<braced>[^}]+)\}|(?P<plain>input\.body|input\.(?:json|path|params)\('[^']*'\)"
    r"|context(?:\.[A-Za-z0-9_]+)+|stageVariables\.[A-Za-z0-9_]+))")
_CALL = re.compile(r"^input\.(json|path|params)\('([^']*)'\)$")


@dataclass
class TemplateInput:
    body: bytes
    path_params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    context: dict[str, Any]
    stage_variables: dict[str, str] = field(default_factory=dict)

    def param(self, name: str) -> str:
        for source in (self.path_params, self.query):
            if name in source:
                return source[name]
        return self.headers.get(name.lower(), "")

    def document(self) -> Any:
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            return None


def json_path(document: Any, path: str) -> Any:
    """``$``, ``$.a.b``, ``$.a[0]``: the simple JSONPath templates use."""
    if not path.startswith("$"):
        return None
    current = document
    for part in re.findall(r"\.([^.\[\]]+)|\[(\d+)\]", path[1:]):
        name, index = part
        if name and isinstance(current, dict):
            current = current.get(name)
        elif index and isinstance(current, list) and int(index) < len(current):
            current = current[int(index)]
        else:
            return None
    return current


def render(template: str, given: TemplateInput) -> str:
    def replace(found: re.Match) -> str:
        reference = (found.group("braced") or found.group("plain") or "").strip()
        value = _value(reference, given)
        return found.group(0) if value is None else value
    return _REFERENCE.sub(replace, template)


def _value(reference: str, given: TemplateInput) -> str | None:
    if reference == "input.body":
        return given.body.decode("utf-8", "replace")
    call = _CALL.match(reference)
    if call:
        kind, argument = call.groups()
        if kind == "params":
            return given.param(argument)
        found = json_path(given.document(), argument)
        if kind == "json":
            return json.dumps(found)
        return "" if found is None else (found if isinstance(found, str) else json.dumps(found))
    if reference.startswith("stageVariables."):
        return given.stage_variables.get(reference.split(".", 1)[1], "")
    if reference.startswith("context."):
        current: Any = given.context
        for part in reference.split(".")[1:]:
            current = current.get(part) if isinstance(current, dict) else None
        return "" if current is None else str(current)
    return None
