"""AWS's patch operations (``patchOperations``) for every Update* call, driven by the model.

A patch path walks the resource's wire shape from the botocore model: ``/name`` a member,
``/variables/env`` a map's key, ``/binaryMediaTypes/image~1png`` an element of a list (the
element is the path's last part, as AWS's API does it), with ``~1`` for "/" and ``~0`` for "~"
as in JSON Pointer. Values arrive as strings and take the member's type ("true" -> true,
"10" -> 10). Each updater says which top-level members a caller may patch; any other path is
AWS's BadRequestException. Special paths (a stage's method settings, a usage plan's
apiStages) are the updater's own, given as ``special``.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from botocore.model import Shape

from regionbox.protocol.specs import service_model
from regionbox.services.apigateway.state import bad_request

Special = Callable[[dict, dict], bool]  # (document, operation) -> handled


def shape(name: str) -> Shape:
    return service_model("apigateway").shape_for(name)


def unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def split_path(path: str) -> list[str]:
    if not path.startswith("/"):
        raise bad_request(f"Invalid patch path {path}")
    return [unescape(part) for part in path[1:].split("/")]


def coerce(member: Shape, value: Any, path: str) -> Any:
    if value is None:
        return None
    kind = member.type_name
    try:
        if kind == "boolean":
            if str(value).lower() not in ("true", "false"):
                raise ValueError(value)
            return str(value).lower() == "true"
        if kind in ("integer", "long"):
            return int(value)
        if kind in ("double", "float"):
            return float(value)
    except ValueError:
        raise bad_request(f"Invalid value '{value}' for patch path {path}") from None
    return value


def apply(document: dict, operations: Iterable[dict], shape_name: str, writable: Iterable[str],
          special: Special | None = None) -> dict:
    """Apply ``operations`` to ``document`` (the wire shape ``shape_name``) in place."""
    root = shape(shape_name)
    allowed = set(writable)
    for operation in operations or []:
        op, path = operation.get("op"), operation.get("path", "")
        if op not in ("add", "remove", "replace", "move", "copy", "test"):
            raise bad_request("Invalid patch operation specified. Must be one of: [add, remove, replace, move, copy]")
        if special is not None and special(document, operation):
            continue
        parts = split_path(path)
        if parts[0] not in allowed or op in ("move", "copy", "test"):
            raise bad_request(f"Invalid patch path  '{path}' specified for op '{op}'. "
                              f"Must be one of: [{', '.join('/' + name for name in sorted(allowed))}]")
        _apply(document, root, parts, op, operation.get("value"), path)
    return document


def _apply(document: dict, current: Shape, parts: list[str], op: str, value: Any, path: str) -> None:
    container: Any = document
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if current.type_name == "structure":
            if part not in current.members:
                raise bad_request(f"Invalid patch path {path}")
            member = current.members[part]
            if last:
                _set(container, part, member, op, value, path)
                return
            if member.type_name == "list" and index == len(parts) - 2:
                items = container.setdefault(part, [])
                element = coerce(member.member, parts[-1], path)
                if op == "remove":
                    if element in items:
                        items.remove(element)
                elif element not in items:
                    items.append(element)
                return
            container = container.setdefault(part, {}) if op != "remove" else container.get(part, {})
            current = member
        elif current.type_name == "map":
            member = current.value
            if last:
                _set(container, part, member, op, value, path)
                return
            container = container.setdefault(part, {}) if op != "remove" else container.get(part, {})
            current = member
        else:
            raise bad_request(f"Invalid patch path {path}")


def _set(container: dict, name: str, member: Shape, op: str, value: Any, path: str) -> None:
    if op == "remove":
        container.pop(name, None)
        return
    if member.type_name in ("structure", "map", "list"):
        raise bad_request(f"Invalid patch path {path}")
    container[name] = coerce(member, value, path)
