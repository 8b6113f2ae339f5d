"""GetModelTemplate: the mapping template API Gateway generates from a model's JSON schema, to
map a payload into the model's shape.

As AWS writes it: ``#set($inputRoot = $input.path('$'))``, then the schema's structure with each
property read from the input (strings quoted, numbers and booleans bare), arrays as a ``#foreach``
over their elements, ``$ref``s to the API's other models followed (once each, against cycles).
"""

from __future__ import annotations

import json

_BARE = ("integer", "number", "boolean")


def _ref(schema: dict, models: dict[str, dict]) -> tuple[dict, str | None]:
    ref = schema.get("$ref")
    if not isinstance(ref, str):
        return schema, None
    name = ref.rstrip("/").rsplit("/", 1)[-1]
    try:
        return json.loads(models[name].get("schema") or "{}"), name
    except (KeyError, ValueError):
        return {}, name


def _value(schema: dict, source: str, models: dict[str, dict], indent: str, seen: frozenset[str]) -> str:
    schema, name = _ref(schema, models)
    if name in seen:
        return f'"{"$"}{source}"'
    seen = seen | ({name} if name else set())
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        inner = indent + "  "
        fields = [f'{inner}"{key}" : {_value(sub, f"{source}.{key}", models, inner, seen)}'
                  for key, sub in (schema.get("properties") or {}).items() if isinstance(sub, dict)]
        return "{\n" + ",\n".join(fields) + f"\n{indent}}}"
    if kind == "array":
        inner = indent + "  "
        item = _value(schema.get("items") or {}, "elem", models, inner, seen)
        return (f"[\n#foreach($elem in ${source})\n{inner}{item}#if($foreach.hasNext),#end\n\n#end\n{indent}]")
    if kind in _BARE:
        return f"${source}"
    return f'"${source}"'


def default_template(schema_text: str | None, models: dict[str, dict]) -> str:
    try:
        schema = json.loads(schema_text or "{}")
    except ValueError:
        schema = {}
    body = _value(schema if isinstance(schema, dict) else {}, "inputRoot", models, "", frozenset())
    return "#set($inputRoot = $input.path('$'))\n" + body
