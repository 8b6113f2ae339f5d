"""The expressions of one request, from either the expression parameters or the legacy ones.

``Expressions(params, operation)`` compiles, on demand, the request's condition, update,
projection, filter and key condition (through ``expressions/`` or ``legacy.py``), all sharing one
``ExpressionAttributes`` so that ``finish()`` can report placeholders nothing used. Mixing
legacy and expression parameters is refused with DynamoDB's message.
"""

from __future__ import annotations

from typing import Any

from regionbox.core.errors import ServiceError
from regionbox.services.dynamodb.expressions import (
    ExpressionAttributes,
    KeyCondition,
    parse_condition,
    parse_key_condition,
    parse_projection,
    parse_update,
)

# expression parameter -> the legacy parameters it replaces
_LEGACY = {
    "ConditionExpression": ("Expected", "ConditionalOperator"),
    "UpdateExpression": ("AttributeUpdates",),
    "ProjectionExpression": ("AttributesToGet",),
    "FilterExpression": ("QueryFilter", "ScanFilter", "ConditionalOperator"),
    "KeyConditionExpression": ("KeyConditions",),
}
_EXPRESSIONS = tuple(_LEGACY)
_LEGACY_NAMES = ("Expected", "AttributeUpdates", "AttributesToGet", "QueryFilter", "ScanFilter", "KeyConditions",
                 "ConditionalOperator")


def _invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


class Expressions:
    __slots__ = ("params", "operation", "attrs", "uses_expressions")

    def __init__(self, params: dict, operation: str):
        self.params = params
        self.operation = operation
        expressions = [name for name in _EXPRESSIONS if params.get(name) is not None]
        legacy_used = [name for name in _LEGACY_NAMES if params.get(name) is not None]
        if expressions and legacy_used:
            raise _invalid("Can not use both expression and non-expression parameters in the same request: "
                           f"Non-expression parameters: {{{', '.join(legacy_used)}}} "
                           f"Expression parameters: {{{', '.join(expressions)}}}")
        names = params.get("ExpressionAttributeNames")
        values = params.get("ExpressionAttributeValues")
        if not expressions and (names is not None or values is not None):
            which = "ExpressionAttributeNames" if names is not None else "ExpressionAttributeValues"
            raise _invalid(f"{which} can only be specified when using expressions")
        self.uses_expressions = bool(expressions)
        self.attrs = ExpressionAttributes(names, values)

    def condition(self):
        text = self.params.get("ConditionExpression")
        if text is not None:
            return parse_condition(text, self.attrs, "ConditionExpression")
        if self.params.get("Expected") is not None:
            from regionbox.services.dynamodb import legacy  # only requests with legacy parameters
            return legacy.expected(self.params["Expected"], self.params.get("ConditionalOperator"))
        return None

    def update(self, key_names: tuple[str, ...]):
        text = self.params.get("UpdateExpression")
        if text is not None:
            return parse_update(text, self.attrs, key_names)
        if self.params.get("AttributeUpdates") is not None:
            from regionbox.services.dynamodb import legacy  # only requests with legacy parameters
            return legacy.attribute_updates(self.params["AttributeUpdates"])
        return None

    def projection(self):
        text = self.params.get("ProjectionExpression")
        if text is not None:
            return parse_projection(text, self.attrs)
        if self.params.get("AttributesToGet") is not None:
            from regionbox.services.dynamodb import legacy  # only requests with legacy parameters
            return legacy.attributes_to_get(self.params["AttributesToGet"])
        return None

    def filter(self, key_names: set[str]):
        text = self.params.get("FilterExpression")
        if text is not None:
            condition = parse_condition(text, self.attrs, "FilterExpression")
            for path in condition.paths:
                if path[0] in key_names:
                    raise _invalid(f"Filter Expression can only contain non-primary key attributes: Primary key attribute: {path[0]}")
            return condition
        legacy_filter = self.params.get("QueryFilter") if self.operation == "Query" else self.params.get("ScanFilter")
        if legacy_filter is not None:
            from regionbox.services.dynamodb import legacy  # only requests with legacy parameters
            return legacy.query_filter(legacy_filter, self.params.get("ConditionalOperator"), key_names=key_names)
        return None

    def key_condition(self, key_types: tuple[tuple[str, str], ...]) -> KeyCondition:
        """The key condition, with ``hash_value`` and ``lower``/``upper`` bounds on the encoded sort key."""
        text = self.params.get("KeyConditionExpression")
        if text is not None:
            return parse_key_condition(text, self.attrs, key_types)
        if self.params.get("KeyConditions") is not None:
            from regionbox.services.dynamodb import legacy  # only requests with legacy parameters
            return legacy.key_conditions(self.params["KeyConditions"], key_types)
        raise _invalid("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")

    def finish(self) -> None:
        if self.uses_expressions:
            self.attrs.check_unused()
