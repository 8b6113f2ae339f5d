"""Lambda's event filtering (FilterCriteria): which records an event source mapping delivers.

A filter is a JSON pattern over the record as the function would see it. Every key of the
pattern must match; a nested object matches the nested object; a list is a set of rules of which
one must match the value (or one element of a list value): a literal (strings exact, numbers by
value, null), ``{"prefix": s}``, ``{"suffix": s}``, ``{"equals-ignore-case": s}``,
``{"anything-but": v | [v...] | {"prefix": s}}``, ``{"numeric": ["<", 5, ">=", 1]}`` and
``{"exists": true|false}``. ``"$or": [pattern, ...]`` matches when one of its patterns does. A
record passes when any of the mapping's filters matches it (at most 5, as Lambda's quota).
"""

from __future__ import annotations

import json
import operator
from typing import Any

from regionbox.services.lambda_.errors import invalid_value

MAX_FILTERS = 5
_MISSING = object()
_NUMERIC = {"=": operator.eq, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def compile_filters(criteria: dict | None) -> list[dict]:
    """The patterns of a FilterCriteria, checked as Lambda checks them."""
    filters = (criteria or {}).get("Filters") or []
    if len(filters) > MAX_FILTERS:
        raise invalid_value(f"The number of filters exceeds the maximum of {MAX_FILTERS}.")
    patterns = []
    for item in filters:
        try:
            pattern = json.loads(item.get("Pattern") or "")
        except ValueError:
            raise invalid_value(f"Invalid filter pattern definition. {item.get('Pattern')}") from None
        if not isinstance(pattern, dict):
            raise invalid_value(f"Invalid filter pattern definition. {item.get('Pattern')}")
        _check(pattern, item.get("Pattern"))
        patterns.append(pattern)
    return patterns


def _check(pattern: dict, text: str) -> None:
    for key, value in pattern.items():
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2 or not all(isinstance(p, dict) for p in value):
                raise invalid_value(f"Invalid filter pattern definition. {text}")
            for alternative in value:
                _check(alternative, text)
        elif isinstance(value, dict):
            _check(value, text)
        elif not isinstance(value, list):
            raise invalid_value(f"Invalid filter pattern definition. {text}")
        else:
            for rule in value:
                if isinstance(rule, dict) and not set(rule) <= {"prefix", "suffix", "equals-ignore-case", "anything-but",
                                                               "numeric", "exists"}:
                    raise invalid_value(f"Invalid filter pattern definition. {text}")


def matches_any(patterns: list[dict], record: Any) -> bool:
    return not patterns or any(matches(p, record) for p in patterns)


def matches(pattern: dict, value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    for key, expected in pattern.items():
        if key == "$or":
            if not any(matches(alternative, value) for alternative in expected):
                return False
            continue
        actual = value.get(key, _MISSING)
        if isinstance(expected, dict):
            if not matches(expected, actual if actual is not _MISSING else None):
                return False
        elif not _rules(expected, actual):
            return False
    return True


def _rules(rules: list, actual: Any) -> bool:
    if actual is _MISSING:
        return any(isinstance(r, dict) and r.get("exists") is False for r in rules)
    values = actual if isinstance(actual, list) else [actual]
    return any(_rule(rule, v) for rule in rules for v in values)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value) if isinstance(value, (int, float)) else None
    except ValueError:
        return None


def _rule(rule: Any, value: Any) -> bool:
    if not isinstance(rule, dict):
        if isinstance(rule, (int, float)) and not isinstance(rule, bool):
            number = _number(value)
            return number is not None and number == float(rule)
        return rule == value
    if "exists" in rule:
        return bool(rule["exists"])
    if "prefix" in rule:
        return isinstance(value, str) and value.startswith(rule["prefix"])
    if "suffix" in rule:
        return isinstance(value, str) and value.endswith(rule["suffix"])
    if "equals-ignore-case" in rule:
        return isinstance(value, str) and value.lower() == str(rule["equals-ignore-case"]).lower()
    if "anything-but" in rule:
        excluded = rule["anything-but"]
        if isinstance(excluded, dict):
            return not _rule(excluded, value)
        return not any(_rule(e, value) for e in (excluded if isinstance(excluded, list) else [excluded]))
    if "numeric" in rule:
        number = _number(value)
        terms = rule["numeric"]
        return number is not None and all(_NUMERIC[terms[i]](number, float(terms[i + 1]))
                                          for i in range(0, len(terms) - 1, 2) if terms[i] in _NUMERIC)
    return False
