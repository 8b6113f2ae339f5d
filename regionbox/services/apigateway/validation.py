"""Request validation on the data plane, as a method's request validator asks: its required
request parameters present (else 400 "Missing required request parameters: [...]"), its body
valid against the model its ``requestModels`` names for the request's content type (else 400
"Invalid request body").

Models are JSON Schema draft 4, as API Gateway takes them; this checks the keywords models use:
type, enum, required, properties, additionalProperties, patternProperties, items, min/maxItems,
uniqueItems, min/maxLength, pattern, minimum/maximum with draft 4's exclusive flags,
multipleOf, allOf/anyOf/oneOf/not, and $ref to the schema's own definitions or to another model
of the API (``.../restapis/<id>/models/<name>``).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from regionbox.protocol.http import HttpRequest

_TYPES = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,), "object": (dict,),
          "array": (list,), "null": (type(None),)}
_MAX_DEPTH = 64


def missing_parameters(method: dict, request: HttpRequest, path_params: dict[str, str]) -> list[str]:
    """The required ``method.request.*`` parameters the request does not carry, by name."""
    query = dict(parse_qsl(request.query_string, keep_blank_values=True))
    missing = []
    for name, required in (method.get("requestParameters") or {}).items():
        if not required:
            continue
        _, _, where, key = name.split(".", 3)
        present = {"path": key in path_params, "querystring": key in query, "multivaluequerystring": key in query,
                   "header": key.lower() in request.headers, "multivalueheader": key.lower() in request.headers}
        if not present.get(where, True):
            missing.append(key)
    return missing


def body_is_valid(method: dict, models: dict[str, dict], request: HttpRequest, body: bytes) -> bool:
    request_models = method.get("requestModels") or {}
    content_type = request.headers.get("content-type", "application/json").split(";", 1)[0].strip().lower()
    name = request_models.get(content_type) or request_models.get("$default")
    model = models.get(name or "")
    if model is None or not model.get("schema"):
        return True
    try:
        schema = json.loads(model["schema"])
        document = json.loads(body or b"null")
    except ValueError:
        return False
    return _valid(document, schema, schema, models, 0)


def _resolve(ref: str, root: dict, models: dict[str, dict]) -> dict | None:
    if ref.startswith("#"):
        current: Any = root
        for part in ref[1:].strip("/").split("/") if ref != "#" else []:
            current = current.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(current, dict) else None
        return current if isinstance(current, dict) else None
    found = re.search(r"/models/([^/#]+)$", ref)
    model = models.get(found.group(1)) if found else None
    try:
        return json.loads(model["schema"]) if model else None
    except ValueError:
        return None


def _is(value: Any, kind: str) -> bool:
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    if kind == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES.get(kind, (object,)))


def _valid(value: Any, schema: Any, root: dict, models: dict[str, dict], depth: int) -> bool:
    if depth > _MAX_DEPTH or not isinstance(schema, dict):
        return depth <= _MAX_DEPTH
    if "$ref" in schema:
        target = _resolve(schema["$ref"], root, models)
        new_root = root if schema["$ref"].startswith("#") else (target or root)
        return target is not None and _valid(value, target, new_root, models, depth + 1)
    kinds = schema.get("type")
    if kinds is not None and not any(_is(value, k) for k in ([kinds] if isinstance(kinds, str) else kinds)):
        return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    for keyword, combine in (("allOf", all), ("anyOf", any)):
        if keyword in schema and not combine(_valid(value, s, root, models, depth + 1) for s in schema[keyword]):
            return False
    if "oneOf" in schema and sum(_valid(value, s, root, models, depth + 1) for s in schema["oneOf"]) != 1:
        return False
    if "not" in schema and _valid(value, schema["not"], root, models, depth + 1):
        return False
    if isinstance(value, str):
        return _string(value, schema)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number(value, schema)
    if isinstance(value, list):
        return _array(value, schema, root, models, depth)
    if isinstance(value, dict):
        return _object(value, schema, root, models, depth)
    return True


def _string(value: str, schema: dict) -> bool:
    if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", len(value)):
        return False
    pattern = schema.get("pattern")
    try:
        return pattern is None or re.search(pattern, value) is not None
    except re.error:
        return True  # a pattern Python cannot read constrains nothing here


def _number(value: float, schema: dict) -> bool:
    if "minimum" in schema and (value < schema["minimum"] or (schema.get("exclusiveMinimum") is True
                                                              and value == schema["minimum"])):
        return False
    if "maximum" in schema and (value > schema["maximum"] or (schema.get("exclusiveMaximum") is True
                                                              and value == schema["maximum"])):
        return False
    step = schema.get("multipleOf")
    return not step or abs(value / step - round(value / step)) < 1e-9


def _array(value: list, schema: dict, root: dict, models: dict[str, dict], depth: int) -> bool:
    if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
        return False
    if schema.get("uniqueItems") and len({json.dumps(v, sort_keys=True) for v in value}) != len(value):
        return False
    items = schema.get("items")
    if isinstance(items, dict):
        return all(_valid(v, items, root, models, depth + 1) for v in value)
    if isinstance(items, list):
        return all(_valid(v, s, root, models, depth + 1) for v, s in zip(value, items))
    return True


def _object(value: dict, schema: dict, root: dict, models: dict[str, dict], depth: int) -> bool:
    if any(name not in value for name in schema.get("required", [])):
        return False
    properties = schema.get("properties") or {}
    patterns = schema.get("patternProperties") or {}
    extra = schema.get("additionalProperties", True)
    for name, member in value.items():
        matched = False
        if name in properties:
            matched = True
            if not _valid(member, properties[name], root, models, depth + 1):
                return False
        for pattern, sub in patterns.items():
            if re.search(pattern, name):
                matched = True
                if not _valid(member, sub, root, models, depth + 1):
                    return False
        if not matched and (extra is False or (isinstance(extra, dict)
                                               and not _valid(member, extra, root, models, depth + 1))):
            return False
    return True
