"""What conditions compute on AttributeValues: comparisons, BETWEEN, IN, begins_with, contains,
size, and the boolean connectives, as small closures built once per parsed expression.
Shared by expressions, legacy conditions and PartiQL WHERE clauses."""

from __future__ import annotations

import operator
from decimal import Decimal
from typing import Any, Callable

from regionbox.services.dynamodb.types import compare, values_equal

Getter = Callable[[dict], Any]
Predicate = Callable[[dict], bool]


def size_of(value: dict) -> int | None:
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode("utf-8"))
    if kind in ("B", "SS", "NS", "BS", "L", "M"):
        return len(data)
    return None


def either(left: Predicate, right: Predicate) -> Predicate:
    return lambda item: left(item) or right(item)


def both(left: Predicate, right: Predicate) -> Predicate:
    return lambda item: left(item) and right(item)


_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "<>": "<>"}


def comparison(op: str, left: Getter, right: Getter, left_constant: dict | None = None,
               right_constant: dict | None = None) -> Predicate:
    """``left op right``. When one side is a literal (its value given as ``*_constant``), the
    comparison is specialised: the literal is decoded once, not per item (filters over large
    scans spend their time here)."""
    if right_constant is not None and left_constant is None:
        return _against_constant(op, left, right_constant)
    if left_constant is not None and right_constant is None:
        return _against_constant(_MIRRORED[op], right, left_constant)
    if op == "=":
        def eq(item: dict) -> bool:
            a, b = left(item), right(item)
            return a is not None and b is not None and values_equal(a, b)
        return eq
    if op == "<>":
        # A missing attribute is "not equal" to any value, as on DynamoDB.
        def ne(item: dict) -> bool:
            a, b = left(item), right(item)
            return not (a is not None and b is not None and values_equal(a, b))
        return ne
    test = {"<": lambda c: c < 0, "<=": lambda c: c <= 0, ">": lambda c: c > 0, ">=": lambda c: c >= 0}[op]

    def ordered(item: dict) -> bool:
        a, b = left(item), right(item)
        if a is None or b is None:
            return False
        c = compare(a, b)
        return c is not None and test(c)

    return ordered


def _against_constant(op: str, get: Getter, constant: dict) -> Predicate:
    ((kind, data),) = constant.items()
    if op in ("=", "<>"):
        if kind in ("S", "N", "B", "BOOL", "NULL"):
            # Stored values and placeholders are canonical (types.validate_value), so equal
            # numbers have equal text and a plain comparison of the payload is exact.
            if op == "=":
                return lambda item: (v := get(item)) is not None and v.get(kind, _ABSENT) == data
            return lambda item: (v := get(item)) is None or v.get(kind, _ABSENT) != data
        if op == "=":
            return lambda item: (v := get(item)) is not None and values_equal(v, constant)
        return lambda item: (v := get(item)) is None or not values_equal(v, constant)
    test = _ORDER[op]
    if kind == "N":
        bound = Decimal(data)

        def ordered_number(item: dict) -> bool:
            v = get(item)
            n = v.get("N") if v is not None else None
            return n is not None and test(Decimal(n), bound)

        return ordered_number
    if kind == "S":
        bound_bytes = data.encode("utf-8")

        def ordered_string(item: dict) -> bool:
            v = get(item)
            text = v.get("S") if v is not None else None
            return text is not None and test(text.encode("utf-8"), bound_bytes)

        return ordered_string
    if kind == "B":
        return lambda item: (v := get(item)) is not None and (b := v.get("B")) is not None and test(b, data)
    return lambda item: False  # sets, lists, maps, booleans and nulls have no order


_ABSENT = object()


def between(value: Getter, low: Getter, high: Getter) -> Predicate:
    def between(item: dict) -> bool:
        v, lo, hi = value(item), low(item), high(item)
        if v is None or lo is None or hi is None:
            return False
        a, b = compare(v, lo), compare(v, hi)
        return a is not None and b is not None and a >= 0 and b <= 0
    return between


def one_of(value: Getter, options: list[Getter]) -> Predicate:
    def within(item: dict) -> bool:
        v = value(item)
        if v is None:
            return False
        for option in options:
            o = option(item)
            if o is not None and values_equal(v, o):
                return True
        return False
    return within


def begins_with(value: dict | None, prefix: dict | None) -> bool:
    if value is None or prefix is None:
        return False
    if "S" in value and "S" in prefix:
        return value["S"].startswith(prefix["S"])
    if "B" in value and "B" in prefix:
        return value["B"].startswith(prefix["B"])
    return False


def contains(value: dict | None, operand: dict | None) -> bool:
    if value is None or operand is None:
        return False
    ((kind, data),) = value.items()
    if kind == "S":
        return "S" in operand and operand["S"] in data
    if kind == "B":
        return "B" in operand and operand["B"] in data
    if kind == "SS":
        return "S" in operand and operand["S"] in data
    if kind == "BS":
        return "B" in operand and operand["B"] in data
    if kind == "NS":
        return "N" in operand and any(values_equal(operand, {"N": n}) for n in data)
    if kind == "L":
        return any(values_equal(element, operand) for element in data)
    return False
