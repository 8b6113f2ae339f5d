"""ExpressionAttributeNames / ExpressionAttributeValues of one request.

One ``ExpressionAttributes`` is shared by every expression of a request (condition, update,
projection, filter, key condition), so that after parsing them all ``check_unused`` can report a
placeholder no expression used, with DynamoDB's message.
"""

from __future__ import annotations

import re

from regionbox.core.errors import invalid
from regionbox.services.dynamodb.types import validate_expression_values


_NAME_KEY = re.compile(r"#[A-Za-z0-9_]+\Z")


class ExpressionAttributes:
    """``names`` / ``values`` exactly as the request gave them: None when absent (an empty map
    given explicitly is an error, as on DynamoDB)."""

    __slots__ = ("names", "values", "used_names", "used_values")

    def __init__(self, names: dict[str, str] | None = None, values: dict[str, dict] | None = None):
        if names is not None:
            if not names:
                raise invalid("ExpressionAttributeNames must not be empty")
            for key, name in names.items():
                if not isinstance(key, str) or not _NAME_KEY.match(key):
                    raise invalid(f'ExpressionAttributeNames contains invalid key: Syntax error; key: "{key}"')
                if not isinstance(name, str) or not name:
                    raise invalid(f"ExpressionAttributeNames contains invalid value: Empty attribute name for key {key}")
        if values is not None:
            if not values:
                raise invalid("ExpressionAttributeValues must not be empty")
            values = validate_expression_values(values)
        self.names = names or {}
        self.values = values or {}
        self.used_names: set[str] = set()
        self.used_values: set[str] = set()

    @property
    def given(self) -> bool:
        return bool(self.names or self.values)

    def name(self, ref: str) -> str | None:
        """The attribute name behind ``#ref`` (None when undefined); marks it used."""
        name = self.names.get(ref)
        if name is not None:
            self.used_names.add(ref)
        return name

    def value(self, ref: str) -> dict | None:
        """The AttributeValue behind ``:ref`` (None when undefined); marks it used."""
        value = self.values.get(ref)
        if value is not None:
            self.used_values.add(ref)
        return value

    def check_unused(self) -> None:
        """Raise DynamoDB's error for placeholders that no expression of the request used.
        Call it once, after every expression of the request has been parsed."""
        unused = [key for key in self.names if key not in self.used_names]
        if unused:
            raise invalid(f"Value provided in ExpressionAttributeNames unused in expressions: keys: {{{', '.join(unused)}}}")
        unused = [key for key in self.values if key not in self.used_values]
        if unused:
            raise invalid(f"Value provided in ExpressionAttributeValues unused in expressions: keys: {{{', '.join(unused)}}}")
