"""Input validation against a botocore input shape, with AWS's own message style.

AWS services built on Coral report every constraint violation of a request at once::

    1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null
    2 validation errors detected: Value '' at 'tableName' failed to satisfy constraint: Member must have
      length greater than or equal to 3; Value '0' at 'limit' failed to satisfy constraint: ...

Paths use the member names with the first letter lower-cased (Java field names), list elements
as ``name.N.member`` (1-based) and map values as ``name.KEY.member``.

Use::

    validate(operation.input_shape, params, code="ValidationException")   # raises ServiceError
    violations(shape, params) -> list[str]                                # the raw messages

The code is the service's (``Dialect.validation_code``), which each parser passes.

``params`` are already parsed (protocol parsers convert types first and raise their own
``SerializationException``-style errors for wrong JSON types). A value of the wrong Python type
is still reported here ("Member must be of type ...") so that protocols with text-only inputs
get a sane error. A null list element or map value (JSON ``null``) is reported as Coral reports
it, ``Value null at 'transactItems.1.member' failed to satisfy constraint: Member must not be
null``, unless the collection is ``sparse``: handlers never see None inside a list or map. ``pattern_of(shape)`` tells which ``pattern`` constraints are enforced (those
Python's ``re`` can run with Java's meaning), so that test strategies can produce matching strings.
"""

from __future__ import annotations

import re
import warnings
from datetime import datetime
from functools import lru_cache
from typing import Any

from botocore.model import Shape

from regionbox.core.errors import ServiceError

_NUMBER_TYPES = {"integer", "long", "float", "double", "bigdecimal", "biginteger"}
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "biginteger": (int,),
    "float": (int, float),
    "double": (int, float),
    "bigdecimal": (int, float),
    "blob": (bytes, bytearray, memoryview),
    "timestamp": (datetime,),
    "structure": (dict,),
    "list": (list, tuple),
    "map": (dict,),
}


def validate(shape: Shape | None, params: dict[str, Any], code: str = "ValidationException") -> None:
    """Raise ``ServiceError(code, "N validation error(s) detected: ...")`` if params break the shape."""
    if shape is None:
        return
    problems = violations(shape, params)
    if problems:
        raise ServiceError(code, format_message(problems), status=400)


def format_message(problems: list[str]) -> str:
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(problems)


def violations(shape: Shape, params: Any) -> list[str]:
    problems: list[str] = []
    _check_structure(shape, params, "", problems)
    return problems


def path_name(member: str) -> str:
    """Member name as AWS writes it in a validation path (Java field name)."""
    return member[:1].lower() + member[1:]


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> re.Pattern[str] | None:
    """The pattern as a Python regex with the same meaning as Java's, or None when it can't be
    (Unicode classes like \\p{L}, class intersections &&, \\z ...). None means: not enforced."""
    if pattern in ("^.*$", ".*"):
        # Only line breaks could break it, and services with it take multi-line text (AppSync's
        # mapping templates and code): AWS does not enforce it as Java's regex would.
        return None
    if "&&" in pattern or "\\p" in pattern or "\\P" in pattern or "\\z" in pattern or "\\Q" in pattern:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # FutureWarning for nested sets: semantics differ
            return re.compile(pattern, re.ASCII)  # Java: \\d, \\w, \\s are ASCII-only
    except (re.error, Warning, RecursionError, OverflowError):
        return None


def pattern_of(shape: Shape) -> re.Pattern[str] | None:
    pattern = shape.metadata.get("pattern")
    return compile_pattern(pattern) if pattern else None


def _check_structure(shape: Shape, params: Any, prefix: str, problems: list[str]) -> None:
    members = shape.members
    for name in shape.required_members:
        if params.get(name) is None:
            problems.append(f"Value null at '{prefix}{path_name(name)}' failed to satisfy constraint: Member must not be null")
    for name, value in params.items():
        member = members.get(name)
        if member is None or value is None:
            continue
        _check_value(member, value, f"{prefix}{path_name(name)}", problems)


def _check_value(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    kind = shape.type_name
    if shape.metadata.get("document"):
        return
    expected = _PYTHON_TYPES.get(kind)
    if expected is not None and (not isinstance(value, expected) or (isinstance(value, bool) and kind != "boolean")):
        problems.append(_message(shape, value, path, f"Member must be of type {kind}"))
        return
    meta = shape.metadata
    if kind == "structure":
        _check_structure(shape, value, path + ".", problems)
        return
    if kind == "string":
        enum = shape.enum
        if enum and value not in enum:
            problems.append(_message(shape, value, path, f"Member must satisfy enum value set: [{', '.join(enum)}]"))
            return
        _check_length(shape, value, len(value), path, problems)
        pattern = meta.get("pattern")
        if pattern:
            compiled = compile_pattern(pattern)
            if compiled is not None and compiled.fullmatch(value) is None:
                problems.append(_message(shape, value, path, f"Member must satisfy regular expression pattern: {pattern}"))
        return
    if kind in _NUMBER_TYPES:
        if "min" in meta and value < meta["min"]:
            problems.append(_message(shape, value, path, f"Member must have value greater than or equal to {_bound(meta['min'])}"))
        if "max" in meta and value > meta["max"]:
            problems.append(_message(shape, value, path, f"Member must have value less than or equal to {_bound(meta['max'])}"))
        return
    if kind == "blob":
        _check_length(shape, value, len(value), path, problems)
        return
    if kind == "list":
        _check_length(shape, value, len(value), path, problems)
        element, sparse = shape.member, is_sparse(shape)
        for index, item in enumerate(value, 1):
            if item is not None:
                _check_value(element, item, f"{path}.{index}.member", problems)
            elif not sparse:
                problems.append(f"Value null at '{path}.{index}.member' failed to satisfy constraint: Member must not be null")
        return
    if kind == "map":
        _check_length(shape, value, len(value), path, problems)
        key_shape, value_shape, sparse = shape.key, shape.value, is_sparse(shape)
        for key, item in value.items():
            _check_key(key_shape, key, path, problems)
            if item is not None:
                _check_value(value_shape, item, f"{path}.{key}.member", problems)
            elif not sparse:
                problems.append(f"Value null at '{path}.{key}.member' failed to satisfy constraint: Member must not be null")


def is_sparse(shape: Shape) -> bool:
    """Whether a list or map may hold nulls (the model's ``sparse`` trait, which botocore keeps
    only in the raw shape). Every other collection's null member is a validation error."""
    return bool(getattr(shape, "_shape_model", {}).get("sparse"))


def _check_key(shape: Shape, key: Any, path: str, problems: list[str]) -> None:
    """Map keys: Coral reports them as 'Map keys must satisfy constraint: [...]'."""
    inner: list[str] = []
    _check_value(shape, key, path, inner)
    for problem in inner:
        constraint = problem.split("failed to satisfy constraint: ", 1)[-1]
        problems.append(f"Value at '{path}' failed to satisfy constraint: Map keys must satisfy constraint: [{constraint}]")


def _check_length(shape: Shape, value: Any, length: int, path: str, problems: list[str]) -> None:
    meta = shape.metadata
    if "min" in meta and length < meta["min"]:
        problems.append(_message(shape, value, path, f"Member must have length greater than or equal to {_bound(meta['min'])}"))
    if "max" in meta and length > meta["max"]:
        problems.append(_message(shape, value, path, f"Member must have length less than or equal to {_bound(meta['max'])}"))


def _message(shape: Shape, value: Any, path: str, constraint: str) -> str:
    if shape.metadata.get("sensitive"):
        return f"Value at '{path}' failed to satisfy constraint: {constraint}"
    return f"Value '{java_string(value)}' at '{path}' failed to satisfy constraint: {constraint}"


def _bound(number: float | int) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def java_string(value: Any) -> str:
    """How a Java service prints a value in its messages (toString of the Java type)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (bytes, bytearray, memoryview)):
        size = len(value)
        return f"java.nio.HeapByteBuffer[pos=0 lim={size} cap={size}]"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(java_string(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{java_string(k)}={java_string(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)
