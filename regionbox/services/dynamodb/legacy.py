"""DynamoDB's legacy (pre-expression) parameters, turned into the objects expressions produce.

- Expected (Value / Exists / ComparisonOperator + AttributeValueList) + ConditionalOperator,
  QueryFilter and ScanFilter -> ``Condition``
- AttributeUpdates (PUT / ADD / DELETE) -> ``Update``
- KeyConditions -> ``KeyCondition``
- AttributesToGet -> ``Projection``

so the engine evaluates one kind of object whichever style a client used.
"""

from __future__ import annotations

from typing import Any, Callable

from regionbox.core.errors import invalid
from regionbox.services.dynamodb.expressions.condition import Condition
from regionbox.services.dynamodb.expressions.evaluate import begins_with, between, comparison, contains, one_of
from regionbox.services.dynamodb.expressions.keycondition import KeyCondition, KeyTerm, key_condition_of
from regionbox.services.dynamodb.expressions.projection import Projection, projection_of_names
from regionbox.services.dynamodb.expressions.update import Update
from regionbox.services.dynamodb.types import INVALID, compare, type_of, validate_value, values_equal

Predicate = Callable[[dict], bool]

# operator -> (number of values: int or "1+" for IN, types the values may have: None = any)
_OPERATORS: dict[str, tuple[Any, tuple[str, ...] | None]] = {
    "EQ": (1, ("S", "N", "B", "SS", "NS", "BS")),
    "NE": (1, ("S", "N", "B", "SS", "NS", "BS")),
    "LE": (1, ("S", "N", "B")),
    "LT": (1, ("S", "N", "B")),
    "GE": (1, ("S", "N", "B")),
    "GT": (1, ("S", "N", "B")),
    "NOT_NULL": (0, None),
    "NULL": (0, None),
    "CONTAINS": (1, ("S", "N", "B")),
    "NOT_CONTAINS": (1, ("S", "N", "B")),
    "BEGINS_WITH": (1, ("S", "B")),
    "IN": ("1+", ("S", "N", "B")),
    "BETWEEN": (2, ("S", "N", "B")),
}
_COMPARATORS = {"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}
_KEY_OPERATORS = {"EQ": "=", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">", "BEGINS_WITH": "begins_with", "BETWEEN": "BETWEEN"}


# --------------------------------------------------------------------------------------------
# conditions: Expected, QueryFilter, ScanFilter
# --------------------------------------------------------------------------------------------
def _operator_predicate(name: str, operator: str, values: list | None, check_types: bool = True) -> Predicate:
    """One ComparisonOperator on attribute ``name``, checked in DynamoDB's order: the values,
    their number, one type for all, the types the operator accepts (filters and key conditions;
    Expected does not check those), BETWEEN's bounds."""
    spec = _OPERATORS.get(operator)
    if spec is None:
        raise invalid(f"1 validation error detected: Value '{operator}' at 'comparisonOperator' failed to satisfy constraint: "
                      f"Member must satisfy enum value set: [{', '.join(sorted(_OPERATORS))}]")
    count, types = spec
    values = [validate_value(v) for v in (values or [])]
    if (count == "1+" and not values) or (count != "1+" and len(values) != count):
        raise invalid(INVALID + f"Invalid number of argument(s) for the {operator} ComparisonOperator")
    if len({type_of(v) for v in values}) > 1:
        raise invalid(INVALID + "AttributeValues inside AttributeValueList must be of same type")
    if types is not None and check_types:
        for value in values:
            kind = type_of(value)
            if kind not in types:
                raise invalid(INVALID + f"ComparisonOperator {operator} is not valid for {kind} AttributeValue type")
    if operator == "BETWEEN" and (compare(values[0], values[1]) or 0) > 0:
        raise invalid("The BETWEEN condition was provided a range where the lower bound is greater than the upper bound")
    first = values[0] if values else None

    def get(item: dict) -> dict | None:
        return item.get(name)

    def constant(value: dict):
        return lambda item: value

    if operator in _COMPARATORS:
        return comparison(_COMPARATORS[operator], get, constant(first), right_constant=first)
    if operator == "NOT_NULL":
        return lambda item: get(item) is not None
    if operator == "NULL":
        return lambda item: get(item) is None
    if operator == "CONTAINS":
        return lambda item: contains(get(item), first)
    if operator == "NOT_CONTAINS":
        return lambda item: (v := get(item)) is not None and not contains(v, first)
    if operator == "BEGINS_WITH":
        return lambda item: begins_with(get(item), first)
    if operator == "IN":
        return one_of(get, [constant(v) for v in values])
    return between(get, constant(values[0]), constant(values[1]))


def _expected_predicate(name: str, spec: dict) -> Predicate:
    """One Expected entry: Value/Exists (the oldest form) or ComparisonOperator."""
    has_value = spec.get("Value") is not None
    has_list = spec.get("AttributeValueList") is not None
    operator = spec.get("ComparisonOperator")
    exists = spec.get("Exists")
    if has_value and has_list:
        raise invalid(INVALID + f"Value and AttributeValueList cannot be used together for Attribute: {name}")
    if operator is not None:
        if exists is not None:
            raise invalid(INVALID + f"Exists and ComparisonOperator cannot be used together for Attribute: {name}")
        if not has_list and not has_value and operator not in ("NULL", "NOT_NULL"):
            raise invalid(INVALID + f"Value or AttributeValueList must be used with ComparisonOperator: {operator} "
                          f"for Attribute: {name}")
        values = spec.get("AttributeValueList") if has_list else ([spec["Value"]] if has_value else [])
        return _operator_predicate(name, operator, values, check_types=False)
    if has_list:
        raise invalid(INVALID + f"AttributeValueList can only be used with a ComparisonOperator for Attribute: {name}")
    if exists is False:
        if has_value:
            raise invalid(INVALID + f"Value cannot be used when Exists is false for Attribute: {name}")
        return lambda item: name not in item
    if not has_value:
        shown = "null" if exists is None else "true"
        raise invalid(INVALID + f"Value must be provided when Exists is {shown} for Attribute: {name}")
    value = validate_value(spec["Value"])
    return lambda item: (v := item.get(name)) is not None and values_equal(v, value)


def _combine(predicates: list[Predicate], conditional_operator: str | None) -> Predicate:
    if conditional_operator not in (None, "AND", "OR"):
        raise invalid(f"1 validation error detected: Value '{conditional_operator}' at 'conditionalOperator' failed to "
                      "satisfy constraint: Member must satisfy enum value set: [OR, AND]")
    if len(predicates) == 1:
        return predicates[0]
    if conditional_operator == "OR":
        return lambda item: any(p(item) for p in predicates)
    return lambda item: all(p(item) for p in predicates)


def expected_condition(expected: dict, conditional_operator: str | None = None) -> Condition:
    """The Expected parameter (PutItem, UpdateItem, DeleteItem) as a Condition."""
    predicates = [_expected_predicate(name, spec or {}) for name, spec in expected.items()]
    if not predicates:
        return Condition("Expected", lambda item: True, [])
    return Condition("Expected", _combine(predicates, conditional_operator), [(name,) for name in expected])


def filter_condition(conditions: dict, conditional_operator: str | None = None, parameter: str = "ScanFilter",
                     key_names=()) -> Condition:
    """QueryFilter / ScanFilter as a Condition. A QueryFilter may not name key attributes."""
    predicates = []
    for name, spec in conditions.items():
        if parameter == "QueryFilter" and name in key_names:
            raise invalid(f"QueryFilter can only contain non-primary key attributes: Primary key attribute: {name}")
        spec = spec or {}
        predicates.append(_operator_predicate(name, spec.get("ComparisonOperator"), spec.get("AttributeValueList")))
    if not predicates:
        return Condition(parameter, lambda item: True, [])
    return Condition(parameter, _combine(predicates, conditional_operator), [(name,) for name in conditions])


# --------------------------------------------------------------------------------------------
# AttributeUpdates
# --------------------------------------------------------------------------------------------
def attribute_updates(updates: dict, key_names=()) -> Update:
    """AttributeUpdates (UpdateItem) as an Update: PUT sets, ADD adds numbers / unions sets /
    appends lists, DELETE without a value removes the attribute and with one removes set
    members."""
    sets, removes, adds, deletes = [], [], [], []
    for name, spec in updates.items():
        spec = spec or {}
        action = spec.get("Action") or "PUT"
        value = spec.get("Value")
        if name in key_names:
            raise invalid(INVALID + f"Cannot update attribute {name}. This attribute is part of the key")
        if value is None:
            if action != "DELETE":
                raise invalid(INVALID + "Only DELETE action is allowed when no attribute value is specified")
            removes.append((name,))
            continue
        value = validate_value(value)
        kind = type_of(value)
        if action == "PUT":
            sets.append(((name,), (lambda v: lambda item: v)(value)))
        elif action == "ADD":
            if kind not in ("N", "SS", "NS", "BS", "L"):
                raise invalid(INVALID + f"ADD action is not supported for the type {kind}")
            adds.append(((name,), value))
        elif action == "DELETE":
            if kind not in ("SS", "NS", "BS"):
                raise invalid(INVALID + f"DELETE action with value is not supported for the type {kind}")
            deletes.append(((name,), value))
        else:
            raise invalid(f"1 validation error detected: Value '{action}' at 'attributeUpdates.{name}.member.action' "
                          "failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]")
    return Update("AttributeUpdates", sets, removes, adds, deletes)


# --------------------------------------------------------------------------------------------
# KeyConditions, AttributesToGet
# --------------------------------------------------------------------------------------------
def key_conditions(conditions: dict, key_schema) -> KeyCondition:
    """KeyConditions (Query) as a KeyCondition for ``key_schema`` ([(name, type), ...])."""
    # A multi-attribute index key takes up to eight conditions, one per key attribute.
    if not 1 <= len(conditions) <= max(2, len(key_schema)):
        raise invalid("Conditions can be of length 1 or 2 only")
    terms = []
    for name, spec in conditions.items():
        spec = spec or {}
        operator = spec.get("ComparisonOperator")
        values = spec.get("AttributeValueList") or []
        # Validate counts and types with the filter rules first (same messages).
        _operator_predicate(name, operator, values)
        if operator not in _KEY_OPERATORS:
            raise invalid("Attempted conditional constraint is not an indexable operation")
        terms.append(KeyTerm(name, _KEY_OPERATORS[operator], tuple(validate_value(v) for v in values)))
    return key_condition_of(terms, key_schema)


def attributes_to_get(names: list[str]) -> Projection:
    seen = set()
    for name in names:
        if name in seen:
            raise invalid(INVALID + f"Duplicate value in attribute name: {name}")
        seen.add(name)
    return projection_of_names(list(names))
