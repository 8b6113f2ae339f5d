"""Turning a DAX request's arguments into DynamoDB's request document."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from regionbox.protocol.dax.codes import (RETURN_CONSUMED_CAPACITY, RETURN_ITEM_COLLECTION_METRICS, RETURN_VALUES,
                                          SELECT, Param)
from regionbox.protocol.dax.expressions import Expressions
from regionbox.protocol.dax.values import BadValue


def table_name(value: Any) -> str:
    if type(value) is bytes:
        value = value.decode("utf-8", "replace")
    if type(value) is not str or not value:
        raise BadValue("TableName must be given")
    return value


def options(value: Any) -> dict:
    if value is None:
        return {}
    if type(value) is not dict:
        raise BadValue("Malformed request parameters")
    return value


def _enum(table: dict[int, str], value: Any, member: str) -> str:
    if type(value) is not int or value not in table:
        raise BadValue(f"Invalid {member}")
    return table[value]


def common(request: dict, kw: dict) -> None:
    """The return options every operation may carry."""
    if Param.ReturnConsumedCapacity in kw:
        request["ReturnConsumedCapacity"] = _enum(RETURN_CONSUMED_CAPACITY, kw[Param.ReturnConsumedCapacity],
                                                  "ReturnConsumedCapacity")
    if Param.ReturnItemCollectionMetrics in kw:
        request["ReturnItemCollectionMetrics"] = _enum(RETURN_ITEM_COLLECTION_METRICS,
                                                       kw[Param.ReturnItemCollectionMetrics], "ReturnItemCollectionMetrics")
    if Param.ReturnValues in kw:
        request["ReturnValues"] = _enum(RETURN_VALUES, kw[Param.ReturnValues], "ReturnValues")


def expressions(request: dict, kw: dict, key_condition: Any = None) -> list[list] | None:
    """Condition, update, filter, key condition and projection expressions, rendered as text
    with their names and values. Returns the projection's paths (None without a projection)."""
    exprs = Expressions()
    if key_condition is not None:
        request["KeyConditionExpression"] = exprs.condition(key_condition, "k")
    condition = kw.get(Param.ConditionExpression)
    if condition is not None:
        request["ConditionExpression"] = exprs.condition(condition, "c")
    update = kw.get(Param.UpdateExpression)
    if update is not None:
        request["UpdateExpression"] = exprs.update(update, "u")
    filter_ = kw.get(Param.FilterExpression)
    if filter_ is not None:
        request["FilterExpression"] = exprs.condition(filter_, "f")
    paths = None
    if kw.get(Param.ProjectionExpression) is not None:
        request["ProjectionExpression"], paths = exprs.projection(kw[Param.ProjectionExpression])
    names, values = exprs.attribute_names(), exprs.attribute_values()
    if names:
        request["ExpressionAttributeNames"] = names
    if values:
        request["ExpressionAttributeValues"] = values
    return paths


def listing(request: dict, kw: dict) -> None:
    """Query's and Scan's own options."""
    if Param.IndexName in kw:
        request["IndexName"] = table_name(kw[Param.IndexName])
    if Param.Select in kw:
        request["Select"] = _enum(SELECT, kw[Param.Select], "Select")
    for member, number in (("Limit", Param.Limit), ("Segment", Param.Segment), ("TotalSegments", Param.TotalSegments)):
        if number in kw:
            if type(kw[number]) is not int:
                raise BadValue(f"Invalid {member}")
            request[member] = kw[number]
    for member, number in (("ConsistentRead", Param.ConsistentRead), ("ScanIndexForward", Param.ScanIndexForward)):
        if number in kw:
            request[member] = bool(kw[number])


def key_identity(key: dict, schema: list[dict]) -> tuple:
    """A key's values compared as DynamoDB compares them (numbers by value)."""
    out = []
    for part in schema:
        (kind, value), = key[part["AttributeName"]].items()
        out.append(Decimal(value) if kind == "N" else value)
    return tuple(out)
