"""AppSync's scalars (AWSDateTime, AWSDate, AWSTime, AWSTimestamp, AWSEmail, AWSJSON, AWSURL,
AWSPhone, AWSIPAddress), validated as AppSync validates them: on input (literals and variables)
and on output ("Can't serialize value (/path) : Unable to serialize `x` as a valid DateTime Object.").

AWSJSON travels as a JSON string and reaches resolvers as the value it encodes; a resolver's
value of an AWSJSON field is sent as its JSON text."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import orjson
from graphql import GraphQLError, GraphQLScalarType
from graphql.language import IntValueNode, StringValueNode, ValueNode, print_ast

_OFFSET = r"(Z|[+-]\d{2}:\d{2}(:\d{2})?)"
_DATE = r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
_TIME = r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?"
PATTERNS = {
    "AWSDate": re.compile(f"{_DATE}{_OFFSET}?"),
    "AWSTime": re.compile(f"{_TIME}{_OFFSET}?"),
    "AWSDateTime": re.compile(f"{_DATE}T{_TIME}{_OFFSET}"),
    "AWSEmail": re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                           r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"),
    "AWSURL": re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#]+([^\s]*)?|mailto:[^\s]+"),
    "AWSPhone": re.compile(r"\+?[0-9][0-9 ()\-.]{2,}[0-9)]"),
}
# How AppSync names each kind in its messages.
_KIND = {"AWSDate": "Date", "AWSTime": "Time", "AWSDateTime": "DateTime", "AWSEmail": "Email", "AWSURL": "URL",
         "AWSPhone": "Phone", "AWSIPAddress": "IP Address", "AWSTimestamp": "Timestamp", "AWSJSON": "JSON"}

DEFINITIONS = """
scalar AWSDate
scalar AWSTime
scalar AWSDateTime
scalar AWSTimestamp
scalar AWSEmail
scalar AWSJSON
scalar AWSURL
scalar AWSPhone
scalar AWSIPAddress
"""
NAMES = tuple(_KIND)


def _valid(name: str, value: Any) -> bool:
    if name == "AWSTimestamp":
        return isinstance(value, int) and not isinstance(value, bool)
    if not isinstance(value, str):
        return False
    if name == "AWSIPAddress":
        try:
            ipaddress.ip_network(value, strict=False) if "/" in value else ipaddress.ip_address(value)
        except ValueError:
            return False
        return True
    return PATTERNS[name].fullmatch(value) is not None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _scalar(name: str) -> GraphQLScalarType:
    kind = _KIND[name]

    def serialize(value: Any) -> Any:
        if name == "AWSJSON":
            return orjson.dumps(value).decode() if not isinstance(value, str) else value
        if name == "AWSTimestamp" and isinstance(value, str) and value.lstrip("-").isdigit():
            value = int(value)
        if not _valid(name, value):
            raise GraphQLError(f"Unable to serialize `{_text(value)}` as a valid {kind} Object.")
        return value

    def parse_value(value: Any) -> Any:
        if name == "AWSJSON":
            if not isinstance(value, str):
                return value  # a variable given as an object is taken as it is
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                raise GraphQLError(f"Unable to parse `{value}` as a valid JSON Object.") from None
        if not _valid(name, value):
            raise GraphQLError(f"Unable to parse `{_text(value)}` as a valid {kind} Object.")
        return value

    def parse_literal(node: ValueNode, variables: Any = None) -> Any:
        if name == "AWSTimestamp":
            if not isinstance(node, IntValueNode):
                raise GraphQLError(f"Unable to parse `{print_ast(node)}` as a valid {kind} Object.")
            return int(node.value)
        if not isinstance(node, StringValueNode):
            raise GraphQLError(f"Unable to parse `{print_ast(node)}` as a valid {kind} Object.")
        return parse_value(node.value)

    return GraphQLScalarType(name, serialize=serialize, parse_value=parse_value, parse_literal=parse_literal)


SCALARS = {name: _scalar(name) for name in NAMES}


def install(schema) -> None:
    """Give the schema's AWS scalars their behaviour (build_ast_schema leaves them pass-through)."""
    for name, implementation in SCALARS.items():
        target = schema.type_map.get(name)
        if isinstance(target, GraphQLScalarType):
            # graphql-core 3.3 reads coerce_*; 3.2 reads serialize/parse_*: set both.
            target.serialize = target.coerce_output_value = implementation.serialize
            target.parse_value = target.coerce_input_value = implementation.parse_value
            target.parse_literal = implementation.parse_literal
            target.coerce_input_literal = None
