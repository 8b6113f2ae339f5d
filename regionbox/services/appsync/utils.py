"""The helpers AppSync gives resolver code, in one place for both runtimes: ``$util`` in VTL and
``util`` in APPSYNC_JS call these (util.time, util.dynamodb, ids, errors).

Errors raised by resolver code (``$util.error``) are ``ResolverError``; errors appended
(``$util.appendError``) go on the invocation's ``Invocation.errors`` and do not stop it."""

from __future__ import annotations

import base64
import decimal
import time
import urllib.parse
import uuid
from datetime import datetime, timezone
from typing import Any

import orjson

from regionbox.services.appsync.filters import to_filter


class ResolverError(Exception):
    """An error a resolver reports to the client: AppSync's ``errorType``, ``message``, ``data``,
    ``errorInfo``."""

    def __init__(self, message: str, error_type: str | None = None, data: Any = None, error_info: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.error_type = error_type
        self.data = data
        self.error_info = error_info

    def to_graphql(self) -> dict:
        return {"message": self.message, "errorType": self.error_type, "data": self.data, "errorInfo": self.error_info}


class EarlyReturn(Exception):
    """``#return`` / ``runtime.earlyReturn``: the resolver's value, skipping the data source."""

    def __init__(self, value: Any = None) -> None:
        super().__init__("return")
        self.value = value


def to_json(value: Any) -> str:
    return orjson.dumps(value, default=_default).decode()


def _default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, tuple)) or type(value).__name__ == "dict_keys":
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


# -- DynamoDB's attribute values ---------------------------------------------------------------
def to_dynamodb(value: Any) -> dict:
    """A plain value as a DynamoDB attribute value ($util.dynamodb.toDynamoDB)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, float, decimal.Decimal)):
        return {"N": _number_text(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, (bytes, bytearray)):
        return {"B": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {"M": {k: to_dynamodb(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return {"L": [to_dynamodb(v) for v in value]}
    return {"S": str(value)}


def _number_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def from_dynamodb(attribute: dict) -> Any:
    """A DynamoDB attribute value as the plain value a resolver's result holds."""
    (kind, value), = attribute.items()
    if kind == "S" or kind == "B":
        return value if isinstance(value, str) else base64.b64encode(value).decode()
    if kind == "N":
        return _number(value)
    if kind == "BOOL":
        return value
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: from_dynamodb(v) for k, v in value.items()}
    if kind == "L":
        return [from_dynamodb(v) for v in value]
    if kind == "NS":
        return [_number(v) for v in value]
    return list(value)  # SS, BS


def from_item(item: dict | None) -> dict | None:
    return None if item is None else {k: from_dynamodb(v) for k, v in item.items()}


class DynamoDBUtil:
    """$util.dynamodb / util.dynamodb."""

    def toDynamoDB(self, value):  # noqa: N802 - AppSync's names
        return to_dynamodb(value)

    def toDynamoDBJson(self, value):  # noqa: N802
        return to_json(to_dynamodb(value))

    def toMapValues(self, value):  # noqa: N802
        return {k: to_dynamodb(v) for k, v in (value or {}).items()}

    def toMapValuesJson(self, value):  # noqa: N802
        return to_json(self.toMapValues(value))

    def toString(self, value):  # noqa: N802
        return {"S": value}

    def toStringJson(self, value):  # noqa: N802
        return to_json({"S": value})

    def toNumber(self, value):  # noqa: N802
        return {"N": _number_text(value)}

    def toNumberJson(self, value):  # noqa: N802
        return to_json(self.toNumber(value))

    def toBoolean(self, value):  # noqa: N802
        return {"BOOL": bool(value)}

    def toBooleanJson(self, value):  # noqa: N802
        return to_json({"BOOL": bool(value)})

    def toNull(self):  # noqa: N802
        return {"NULL": True}

    def toNullJson(self):  # noqa: N802
        return to_json({"NULL": True})

    def toList(self, value):  # noqa: N802
        return to_dynamodb(list(value))

    def toListJson(self, value):  # noqa: N802
        return to_json(self.toList(value))

    def toMap(self, value):  # noqa: N802
        return to_dynamodb(dict(value))

    def toMapJson(self, value):  # noqa: N802
        return to_json(self.toMap(value))

    def toStringSet(self, value):  # noqa: N802
        return {"SS": list(value)}

    def toStringSetJson(self, value):  # noqa: N802
        return to_json({"SS": list(value)})

    def toNumberSet(self, value):  # noqa: N802
        return {"NS": [_number_text(v) for v in value]}

    def toNumberSetJson(self, value):  # noqa: N802
        return to_json(self.toNumberSet(value))

    def fromDynamoDB(self, value):  # noqa: N802 - not AppSync's, but handy in templates
        return from_dynamodb(value)


class TimeUtil:
    """$util.time / util.time."""

    def nowISO8601(self):  # noqa: N802
        return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def nowEpochSeconds(self):  # noqa: N802
        return int(time.time())

    def nowEpochMilliSeconds(self):  # noqa: N802
        return int(time.time() * 1000)

    def nowFormatted(self, pattern, zone=None):  # noqa: N802 - Java patterns: the common letters
        now = datetime.now(timezone.utc)
        for java, python in (("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S"),
                             ("Z", "%z")):
            pattern = pattern.replace(java, python)
        return now.strftime(pattern)

    def epochMilliSecondsToISO8601(self, millis):  # noqa: N802
        return datetime.fromtimestamp(int(millis) / 1000, timezone.utc).isoformat(
            timespec="milliseconds").replace("+00:00", "Z")

    def epochMilliSecondsToSeconds(self, millis):  # noqa: N802
        return int(millis) // 1000

    def parseISO8601ToEpochMilliSeconds(self, text):  # noqa: N802
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


class TransformUtil:
    """$util.transform."""

    def toSubscriptionFilter(self, spec):  # noqa: N802
        return to_filter(spec)


class Extensions:
    """$extensions: the filters a subscription's resolver sets (what it receives, what
    invalidates it), the invalidations a mutation's resolver asks."""

    def __init__(self, context: dict) -> None:
        self.context = context

    def setSubscriptionFilter(self, groups):  # noqa: N802
        self.context.setdefault("extensions", {})["filter"] = groups
        return ""

    def setSubscriptionInvalidationFilter(self, groups):  # noqa: N802
        self.context.setdefault("extensions", {})["invalidation_filter"] = groups
        return ""

    def invalidateSubscriptions(self, spec):  # noqa: N802
        self.context.setdefault("extensions", {}).setdefault("invalidations", []).append(spec)
        return ""


class Util:
    """What $util / util offers; ``errors`` collects $util.appendError."""

    def __init__(self) -> None:
        self.errors: list[dict] = []
        self.dynamodb = DynamoDBUtil()
        self.time = TimeUtil()
        self.transform = TransformUtil()

    def qr(self, *values):
        return ""

    quiet = qr

    def toJson(self, value):  # noqa: N802
        return to_json(value)

    def parseJson(self, text):  # noqa: N802
        return orjson.loads(text)

    def autoId(self):  # noqa: N802
        return str(uuid.uuid4())

    def autoUlid(self):  # noqa: N802
        return uuid.uuid4().hex.upper()[:26]

    def error(self, message, error_type=None, data=None, error_info=None):
        raise ResolverError(str(message), error_type, data, error_info)

    def appendError(self, message, error_type=None, data=None, error_info=None):  # noqa: N802
        self.errors.append(ResolverError(str(message), error_type, data, error_info).to_graphql())
        return ""

    def unauthorized(self):
        raise ResolverError("Not Authorized to access this field", "Unauthorized")

    def validate(self, condition, message, error_type=None, data=None):
        if not condition:
            self.error(message, error_type, data)
        return ""

    def isNull(self, value):  # noqa: N802
        return value is None

    def isNullOrEmpty(self, value):  # noqa: N802
        return value is None or value == "" or value == [] or value == {}

    def isNullOrBlank(self, value):  # noqa: N802
        return value is None or (isinstance(value, str) and not value.strip())

    def defaultIfNull(self, value, default):  # noqa: N802
        return default if value is None else value

    def defaultIfNullOrEmpty(self, value, default):  # noqa: N802
        return default if self.isNullOrEmpty(value) else value

    def defaultIfNullOrBlank(self, value, default):  # noqa: N802
        return default if self.isNullOrBlank(value) else value

    def isString(self, value):  # noqa: N802
        return isinstance(value, str)

    def isNumber(self, value):  # noqa: N802
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    def isBoolean(self, value):  # noqa: N802
        return isinstance(value, bool)

    def isList(self, value):  # noqa: N802
        return isinstance(value, list)

    def isMap(self, value):  # noqa: N802
        return isinstance(value, dict)

    def typeOf(self, value):  # noqa: N802
        return {bool: "Boolean", str: "String", list: "List", dict: "Map", type(None): "Null"}.get(
            type(value), "Number" if self.isNumber(value) else "Object")

    def matches(self, pattern, value):
        import re
        return re.fullmatch(pattern, value) is not None

    def escapeJavaScript(self, text):  # noqa: N802
        return to_json(text)[1:-1]

    def urlEncode(self, text):  # noqa: N802
        return urllib.parse.quote_plus(text)

    def urlDecode(self, text):  # noqa: N802
        return urllib.parse.unquote_plus(text)

    def base64Encode(self, text):  # noqa: N802
        return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()

    def base64Decode(self, text):  # noqa: N802
        return base64.b64decode(text).decode()
