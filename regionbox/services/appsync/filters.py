"""Enhanced subscription filters: ``util.transform.toSubscriptionFilter`` turns resolver code's
filter object into AppSync's filter groups, and ``matches`` decides a published value against
them (any group matches when all its filters do), with the documented operators."""

from __future__ import annotations

from typing import Any

OPERATORS = ("eq", "ne", "le", "lt", "ge", "gt", "contains", "notContains", "beginsWith", "in", "notIn", "between",
             "containsAny", "attributeExists")


def to_filter(spec: dict) -> dict:
    """{"field": {"eq": 1}, "or": [...], "and": [...]} -> {"filterGroup": [{"filters": [...]}]}."""
    return {"filterGroup": [{"filters": group} for group in _groups(spec or {})]}


def _groups(spec: dict) -> list[list[dict]]:
    groups: list[list[dict]] = [[]]
    for key, value in spec.items():
        if key == "or":
            alternatives = [g for branch in value for g in _groups(branch)]
            groups = [g + alt for g in groups for alt in alternatives]
        elif key == "and":
            for branch in value:
                groups = [g + alt for g in groups for alt in _groups(branch)]
        else:
            filters = [{"fieldName": key, "operator": op, "value": v} for op, v in value.items()]
            groups = [g + filters for g in groups]
    return groups


def _get(value: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _test(found: Any, operator: str, wanted: Any) -> bool:
    try:
        if operator == "eq":
            return found == wanted
        if operator == "ne":
            return found != wanted
        if operator in ("le", "lt", "ge", "gt"):
            if found is None:
                return False
            return {"le": found <= wanted, "lt": found < wanted, "ge": found >= wanted, "gt": found > wanted}[operator]
        if operator == "contains":
            return found is not None and wanted in found
        if operator == "notContains":
            return found is None or wanted not in found
        if operator == "beginsWith":
            return isinstance(found, str) and found.startswith(wanted)
        if operator == "in":
            return found in wanted
        if operator == "notIn":
            return found not in wanted
        if operator == "between":
            return found is not None and wanted[0] <= found <= wanted[1]
        if operator == "containsAny":
            return isinstance(found, list) and any(w in found for w in wanted)
        if operator == "attributeExists":
            return (found is not None) == bool(wanted)
    except TypeError:
        return False
    return False


def matches(filter_groups: dict | None, value: Any) -> bool:
    if not filter_groups or not filter_groups.get("filterGroup"):
        return True
    return any(all(_test(_get(value, f["fieldName"]), f["operator"], f.get("value")) for f in group.get("filters", []))
               for group in filter_groups["filterGroup"])
