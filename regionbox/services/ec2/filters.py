"""EC2's Filters parameter, shared by every Describe* operation.

Semantics as EC2: values within one filter are ORed, filters are ANDed, values may use the
wildcards ``*`` and ``?``, and a filter name the operation does not know is an error. Resources
with tags also take ``tag:KEY`` (the value of tag KEY), ``tag-key`` and ``tag-value``.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Callable, Iterable, TypeVar

from regionbox.core.errors import invalid

T = TypeVar("T")
# filter name -> the item's value(s) for it
Fields = dict[str, Callable[[Any], Any]]


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, (list, tuple, set)):
        return [v for item in value for v in _values(item)]
    return [str(value)]


def _field(name: str, fields: Fields, tags: Callable[[Any], dict[str, str]] | None) -> Callable[[Any], Any]:
    if name in fields:
        return fields[name]
    if tags is not None:
        if name.startswith("tag:"):
            key = name[4:]
            return lambda item: tags(item).get(key)
        if name == "tag-key":
            return lambda item: list(tags(item))
        if name == "tag-value":
            return lambda item: list(tags(item).values())
    raise invalid(f"The filter '{name}' is invalid")


def apply(items: Iterable[T], filters: list[dict] | None, fields: Fields,
          tags: Callable[[Any], dict[str, str]] | None = None) -> list[T]:
    checks = []
    for f in filters or []:
        patterns = [p.replace("[", "[[]") for p in f.get("Values") or []]
        checks.append((_field(f.get("Name") or "", fields, tags), patterns))
    return [item for item in items
            if all(any(fnmatch.fnmatchcase(v, p) for v in _values(get(item)) for p in patterns) for get, patterns in checks)]
