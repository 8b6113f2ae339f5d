"""Scalar values on the wire, shared by every protocol: timestamps, blobs, numbers, booleans.

Parsers turn wire text into Python values with these (timestamps become aware UTC
``datetime``, blobs ``bytes``); serializers turn provider values back into wire text. Providers
may hand a serializer a timestamp as an aware or naive (taken as UTC) ``datetime``, an epoch
``int``/``float`` or an ISO 8601 string; all are accepted.

Every parse function raises ``ValueError`` on bad input; the caller turns that into the
protocol's own error (``SerializationException`` for JSON, ``MalformedInput``-style for XML ...),
because only the caller knows which one the real service sends.

Timestamp formats are the model's names: ``iso8601``, ``unixTimestamp``, ``rfc822`` (compared
case-insensitively, as botocore does). A member's ``timestampFormat`` overrides the protocol's
default; see ``timestamp_format``.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import math
import re
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from botocore.model import Shape

ISO8601 = "iso8601"
UNIX = "unixtimestamp"
RFC822 = "rfc822"


# --- timestamps -------------------------------------------------------------------------------

def timestamp_format(shape: Shape, default: str) -> str:
    """The lower-cased format of a timestamp member: the shape's ``timestampFormat`` if it has
    one, else the protocol's default for that location (body, header, query string)."""
    return (shape.serialization.get("timestampFormat") or shape.metadata.get("timestampFormat") or default).lower()


def to_datetime(value: Any) -> datetime:
    """Any timestamp a provider or client may give -> aware UTC datetime.

    Accepts datetime (naive is taken as UTC), epoch seconds (int/float, or numeric text),
    ISO 8601 text and RFC 822 text. Raises ValueError for anything else.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        try:
            return value.astimezone(timezone.utc)
        except OverflowError as exc:  # 9999-12-31T23:59:59-14:00 is in year 10000 in UTC
            raise ValueError(f"timestamp out of range: {value.isoformat()}") from exc
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, (int, float)):
        return from_epoch(value)
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8")
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp: {value!r}")
    text = value.strip()
    if not text:
        raise ValueError("empty timestamp")
    if _looks_numeric(text):
        return from_epoch(float(text))
    return _parse_text_timestamp(text)


def parse_timestamp(value: Any, fmt: str | None = None) -> datetime:
    """A timestamp read from the wire -> aware UTC datetime.

    ``fmt`` is the format the model promises; like AWS we are lenient and accept any of the
    three forms wherever the text is unambiguous (epoch numbers, ISO 8601, RFC 822)."""
    return to_datetime(value)


def from_epoch(seconds: float) -> datetime:
    if isinstance(seconds, float) and not math.isfinite(seconds):
        raise ValueError(f"not a timestamp: {seconds!r}")
    try:
        # fromtimestamp(float) keeps microseconds; rounding to them avoids 0.1 -> 0.0999999.
        return datetime.fromtimestamp(round(seconds, 6), tz=timezone.utc)
    except (OverflowError, OSError) as exc:
        raise ValueError(f"timestamp out of range: {seconds!r}") from exc


def to_epoch(value: Any) -> float:
    """Epoch seconds of any timestamp value (float, microsecond precision)."""
    moment = to_datetime(value)
    return calendar.timegm(moment.utctimetuple()) + moment.microsecond / 1_000_000


def format_timestamp(value: Any, fmt: str) -> str | int | float:
    """Any timestamp value -> its wire form in ``fmt``.

    unixTimestamp gives an int for whole seconds and a float with millisecond precision
    otherwise (what AWS JSON services send, e.g. 1.700000000123E9); iso8601 gives
    ``2024-01-02T03:04:05Z`` or ``...05.123Z``; rfc822 gives ``Tue, 02 Jan 2024 03:04:05 GMT``.
    """
    moment = to_datetime(value)
    fmt = fmt.lower()
    if fmt == UNIX:
        whole = calendar.timegm(moment.utctimetuple())
        millis = moment.microsecond // 1000
        return whole if millis == 0 else whole + millis / 1000
    if fmt == ISO8601:
        return format_iso8601(moment)
    if fmt == RFC822:
        return format_datetime(moment.replace(microsecond=0), usegmt=True)
    raise ValueError(f"unknown timestamp format {fmt!r}")


def format_iso8601(moment: datetime) -> str:
    moment = to_datetime(moment)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _looks_numeric(text: str) -> bool:
    # Exponents may be signed: 5.1e-119 is how Python and botocore write small doubles.
    return _NUMBER_TEXT.fullmatch(text) is not None


def _parse_text_timestamp(text: str) -> datetime:
    candidate = text.replace("z", "Z")
    if candidate[:1].isdigit():
        try:
            # Python 3.11 reads every ISO 8601 variant AWS and the SDKs send, including "Z".
            parsed = datetime.fromisoformat(candidate)
        except ValueError:
            parsed = None
        if parsed is not None:
            return to_datetime(parsed)
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"not a timestamp: {text!r}") from exc
    if parsed is None:
        raise ValueError(f"not a timestamp: {text!r}")
    return to_datetime(parsed)


# --- blobs ------------------------------------------------------------------------------------

def b64encode(data: bytes | bytearray | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.b64encode(bytes(data)).decode("ascii")


def b64decode(text: str | bytes) -> bytes:
    """Strict base64 (standard alphabet; missing padding tolerated, as AWS does)."""
    if isinstance(text, str):
        try:
            text = text.encode("ascii")
        except UnicodeEncodeError as exc:
            raise ValueError("blob is not base64") from exc
    text = text.strip()
    if len(text) % 4:
        text += b"=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("blob is not base64") from exc


def to_bytes(value: Any) -> bytes:
    """A provider's blob value (bytes, bytearray, memoryview or str) -> bytes."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    raise ValueError(f"not a blob: {type(value).__name__}")


# --- numbers and booleans read from text (query strings, headers, XML) ---------------------------

_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


# The range of each integer type of the models, as the services' (Java) types hold them.
INTEGER_RANGES = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]{1,19}")  # ASCII digits only: no "²", "١", "1_000"; 19 fit a long


def to_int(text: str | int, kind: str = "long") -> int:
    """Integer text (or an int) -> int, within the range of the model's ``kind`` (``integer``:
    32 bits, ``long``: 64 bits; ``biginteger``: any size). ValueError for anything else: text
    Java's ``Long.parseLong`` would not read, and numbers the service's type cannot hold."""
    if isinstance(text, bool):
        raise ValueError(f"not an integer: {text!r}")
    if isinstance(text, int):
        number = text
    else:
        text = text.strip()
        if kind == "biginteger" and text.lstrip("+-").isascii() and text.lstrip("+-").isdigit() and len(text) <= 4000:
            return int(text)
        if _INTEGER_TEXT.fullmatch(text) is None:
            raise ValueError(f"not an integer: {text[:100]!r}")
        number = int(text)
    low, high = INTEGER_RANGES.get(kind, (None, None))
    if low is not None and not low <= number <= high:
        raise ValueError(f"out of range of {kind}: {number}")
    return number


def number_text(value: int | float) -> str:
    """A number for a message, however large (Python will not print more than 4,300 digits)."""
    try:
        return repr(value)
    except ValueError:
        return f"an integer of {value.bit_length()} bits"


def to_float(text: str | int | float) -> float:
    if isinstance(text, bool):
        raise ValueError(f"not a number: {text!r}")
    if isinstance(text, (int, float)):
        return float(text)
    text = text.strip()
    if text in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text]
    if not _looks_numeric(text):
        raise ValueError(f"not a number: {text!r}")
    return float(text)


def to_bool(text: str | bool) -> bool:
    if isinstance(text, bool):
        return text
    lowered = text.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise ValueError(f"not a boolean: {text!r}")


def format_float(value: float | int) -> float | int | str:
    """A float for JSON/CBOR-adjacent text: NaN and infinities become the strings AWS uses."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def format_float_text(value: float | int) -> str:
    """A number as query/XML/header text: ints without a decimal point, floats via repr."""
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, int):
        return str(value)
    special = format_float(value)
    if isinstance(special, str):
        return special
    return repr(float(value))


def format_bool(value: bool) -> str:
    return "true" if value else "false"
