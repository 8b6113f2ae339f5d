"""All the expressions of one request, in either style, checked the way DynamoDB checks them.

``compile_request(params, key_schema=...)`` is what an item operation calls once: it rejects
mixing expression and legacy parameters, placeholders without expressions, parses every
expression against one ``ExpressionAttributes``, reports unused placeholders, and returns the
compiled objects (None where the request has none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from regionbox.core.errors import invalid
from regionbox.services.dynamodb import legacy
from regionbox.services.dynamodb.expressions.attributes import ExpressionAttributes
from regionbox.services.dynamodb.expressions.condition import Condition, parse_condition
from regionbox.services.dynamodb.expressions.keycondition import KeyCondition, parse_key_condition
from regionbox.services.dynamodb.expressions.projection import Projection, parse_projection
from regionbox.services.dynamodb.expressions.update import Update, parse_update

EXPRESSION_PARAMETERS = ("UpdateExpression", "ConditionExpression", "KeyConditionExpression", "FilterExpression",
                         "ProjectionExpression")
LEGACY_PARAMETERS = ("AttributeUpdates", "Expected", "KeyConditions", "QueryFilter", "ScanFilter", "AttributesToGet",
                     "ConditionalOperator")
# The expression members each kind of request accepts (compile_request's expression_parameters).
CONDITION_EXPRESSIONS = ("ConditionExpression",)
UPDATE_EXPRESSIONS = ("UpdateExpression", "ConditionExpression")
PROJECTION_EXPRESSIONS = ("ProjectionExpression",)
QUERY_EXPRESSIONS = ("KeyConditionExpression", "FilterExpression", "ProjectionExpression")
SCAN_EXPRESSIONS = ("FilterExpression", "ProjectionExpression")


@dataclass
class RequestExpressions:
    condition: Condition | None = None  # ConditionExpression / Expected
    update: Update | None = None  # UpdateExpression / AttributeUpdates
    projection: Projection | None = None  # ProjectionExpression / AttributesToGet
    key_condition: KeyCondition | None = None  # KeyConditionExpression / KeyConditions
    filter: Condition | None = None  # FilterExpression / QueryFilter / ScanFilter


def _braces(names: list[str]) -> str:
    return "{" + ", ".join(names) + "}"


def compile_request(params: dict, key_schema: Sequence[tuple[str, str]] = (),
                    expression_parameters: Sequence[str] = ()) -> RequestExpressions:
    """``params``: the operation's input (or one TransactItems / RequestItems entry).
    ``key_schema``: [(name, type), ...] of the table, or of the index a Query reads.
    ``expression_parameters``: the expression members this operation accepts, for the message
    when placeholders come without any expression (e.g. ("UpdateExpression", "ConditionExpression"))."""
    present_expr = [p for p in EXPRESSION_PARAMETERS if params.get(p) is not None]
    present_legacy = [p for p in LEGACY_PARAMETERS if params.get(p) is not None]
    # DynamoDB lets KeyConditions go with a FilterExpression / ProjectionExpression, as long as
    # there is no KeyConditionExpression.
    if "KeyConditions" in present_legacy and params.get("KeyConditionExpression") is None:
        present_legacy.remove("KeyConditions")
    if present_expr and present_legacy:
        raise invalid("Can not use both expression and non-expression parameters in the same request: "
                      f"Non-expression parameters: {_braces(present_legacy)} Expression parameters: {_braces(present_expr)}")
    names, values = params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues")
    if not present_expr and names is not None:
        raise invalid("ExpressionAttributeNames can only be specified when using expressions")
    # Values only make sense with expressions that take values (not ProjectionExpression); the
    # message names those that are missing.
    value_expressions = [p for p in expression_parameters if p != "ProjectionExpression"]
    if values is not None and not any(params.get(p) is not None for p in value_expressions or EXPRESSION_PARAMETERS):
        nulls = " and ".join(value_expressions) + (" are null" if len(value_expressions) > 1 else " is null")
        raise invalid("ExpressionAttributeValues can only be specified when using expressions"
                      + (f": {nulls}" if value_expressions else ""))
    key_names = tuple(name for name, _ in key_schema)
    out = RequestExpressions()
    if present_expr:
        attrs = ExpressionAttributes(names, values)
        if params.get("KeyConditionExpression") is not None:
            out.key_condition = parse_key_condition(params["KeyConditionExpression"], attrs, key_schema)
        elif params.get("KeyConditions") is not None:
            out.key_condition = legacy.key_conditions(params["KeyConditions"], key_schema)
        if params.get("UpdateExpression") is not None:
            out.update = parse_update(params["UpdateExpression"], attrs, key_names)
        if params.get("ConditionExpression") is not None:
            out.condition = parse_condition(params["ConditionExpression"], attrs)
        if params.get("FilterExpression") is not None:
            out.filter = parse_condition(params["FilterExpression"], attrs, "FilterExpression")
            if out.key_condition is not None:
                for path in out.filter.paths:
                    if path[0] in key_names:
                        raise invalid("Filter Expression can only contain non-primary key attributes: "
                                      f"Primary key attribute: {path[0]}")
        if params.get("ProjectionExpression") is not None:
            out.projection = parse_projection(params["ProjectionExpression"], attrs)
        attrs.check_unused()
        return out
    operator = params.get("ConditionalOperator")
    if params.get("Expected") is not None:
        out.condition = legacy.expected_condition(params["Expected"], operator)
    if params.get("AttributeUpdates") is not None:
        out.update = legacy.attribute_updates(params["AttributeUpdates"], key_names)
    if params.get("KeyConditions") is not None:
        out.key_condition = legacy.key_conditions(params["KeyConditions"], key_schema)
    for parameter in ("QueryFilter", "ScanFilter"):
        if params.get(parameter) is not None:
            out.filter = legacy.filter_condition(params[parameter], operator, parameter, key_names)
    if params.get("AttributesToGet") is not None:
        out.projection = legacy.attributes_to_get(params["AttributesToGet"])
    return out
