"""DynamoDB AttributeValue semantics: validation, numbers, comparison, sizes, key checks and an
order-preserving byte encoding of key values.

An AttributeValue is a dict with exactly one of the type keys below, as the JSON protocol decodes
it: ``{"S": str}``, ``{"N": str}``, ``{"B": bytes}``, ``{"SS": [str]}``, ``{"NS": [str]}``,
``{"BS": [bytes]}``, ``{"M": {name: value}}``, ``{"L": [value]}``, ``{"NULL": True}``,
``{"BOOL": bool}``. An item is a dict of attribute name -> AttributeValue.

Numbers are DynamoDB's: up to 38 significant digits, magnitude between 1E-130 and
9.9999999999999999999999999999999999999E+125 (or zero). They are stored in canonical form
(``"1.50"`` comes back as ``"1.5"``, ``"1E+2"`` as ``"100"``), as DynamoDB does.

Every user mistake raises ``invalid(<AWS's text>)`` (core/errors.py), answered as ValidationException.
"""

from __future__ import annotations

import re
from decimal import Context, Decimal, InvalidOperation
from typing import Any, Sequence

from regionbox.core.errors import ServiceError, invalid

Item = dict[str, dict[str, Any]]

SCALAR_TYPES = ("S", "N", "B")
SET_TYPES = ("SS", "NS", "BS")
ALL_TYPES = ("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL")
_ALL_TYPES = frozenset(ALL_TYPES)

INVALID = "One or more parameter values were invalid: "
_VALUE_KEY = re.compile(r":[A-Za-z0-9_]+\Z")
MAX_ITEM_SIZE = 400 * 1024
MAX_HASH_KEY_SIZE = 2048
MAX_RANGE_KEY_SIZE = 1024
MAX_DEPTH = 32

# Normalizing and arithmetic must never round: a 40-digit number is an error, not 38 digits.
_EXACT = Context(prec=100000, Emax=999999, Emin=-999999, traps=[InvalidOperation])
_MAX_EXPONENT = 125  # adjusted exponent of the largest magnitude (9.99..E+125)
_MIN_EXPONENT = -130  # adjusted exponent of the smallest magnitude (1E-130)


# --------------------------------------------------------------------------------------------
# numbers
# --------------------------------------------------------------------------------------------
def parse_number(text: Any) -> Decimal:
    """The Decimal of an N string, checked against DynamoDB's precision and range."""
    if not isinstance(text, str) or not text.strip():
        raise invalid("The parameter cannot be converted to a numeric value")
    # Decimal accepts forms DynamoDB rejects: surrounding spaces, infinities, NaN, underscores,
    # unicode digits.
    if not _is_numeric_literal(text):
        raise invalid(f"The parameter cannot be converted to a numeric value: {text}")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise invalid(f"The parameter cannot be converted to a numeric value: {text}") from None
    return check_number(number)


def _is_numeric_literal(text: str) -> bool:
    i, n = 0, len(text)
    if i < n and text[i] in "+-":
        i += 1
    digits = 0
    while i < n and "0" <= text[i] <= "9":
        i += 1
        digits += 1
    if i < n and text[i] == ".":
        i += 1
        while i < n and "0" <= text[i] <= "9":
            i += 1
            digits += 1
    if digits == 0:
        return False
    if i < n and text[i] in "eE":
        i += 1
        if i < n and text[i] in "+-":
            i += 1
        start = i
        while i < n and "0" <= text[i] <= "9":
            i += 1
        if i == start:
            return False
    return i == n


def check_number(number: Decimal) -> Decimal:
    """``number`` normalized, or the error DynamoDB gives when it cannot be stored."""
    if not number:
        return Decimal(0)
    exponent = number.adjusted()  # before normalizing, which could underflow absurd exponents
    if exponent > _MAX_EXPONENT:
        raise invalid("Number overflow. Attempting to store a number with magnitude larger than supported range")
    if exponent < _MIN_EXPONENT:
        raise invalid("Number underflow. Attempting to store a number with magnitude smaller than supported range")
    number = number.normalize(_EXACT)
    if len(number.as_tuple().digits) > 38:
        raise invalid("Attempting to store more than 38 significant digits in a Number")
    return number


def format_number(number: Decimal) -> str:
    """Canonical text of a checked number: plain notation, no trailing zeros."""
    if not number:
        return "0"
    return format(number, "f")


def number_of(value: dict) -> Decimal:
    """The Decimal of an N AttributeValue already validated (canonical)."""
    return Decimal(value["N"])


def add_numbers(a: Decimal, b: Decimal) -> Decimal:
    """a + b as DynamoDB computes it (SET a = b + :c, ADD), checked for storage. The sum is
    exact (operands span at most ~260 digits), so a result that needs more than 38 digits is
    reported rather than silently rounded."""
    return check_number(_EXACT.add(a, b))


def subtract_numbers(a: Decimal, b: Decimal) -> Decimal:
    return check_number(_EXACT.subtract(a, b))


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------
_SET_EMPTY = {
    "SS": INVALID + "An string set  may not be empty",
    "NS": INVALID + "An number set  may not be empty",
    "BS": INVALID + "Binary sets should not be empty",
}


def validate_value(value: Any, depth: int = 0) -> dict:
    """Check one AttributeValue and return it in canonical form (numbers normalized).

    Raises ServiceError with DynamoDB's message when it is malformed."""
    if not isinstance(value, dict) or not value:
        raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
    if len(value) != 1:
        present = [k for k, v in value.items() if v is not None]
        if len(present) != 1:
            if not present:
                raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
            raise invalid("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
        value = {present[0]: value[present[0]]}
    ((kind, data),) = value.items()
    if kind == "S":
        if not isinstance(data, str):
            raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
        return value
    if kind == "N":
        if type(data) is str and _is_canonical_integer(data):
            return value
        text = format_number(parse_number(data))
        return value if text == data else {"N": text}
    if kind == "B":
        if isinstance(data, bytes):
            return value
        if not isinstance(data, (bytearray, str)):
            raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
        return {"B": data.encode() if isinstance(data, str) else bytes(data)}
    if kind == "BOOL":
        if not isinstance(data, bool):
            raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
        return value
    if kind == "NULL":
        if data is not True:
            raise invalid(INVALID + "Null attribute value types must have the value of true")
        return value
    if kind in SET_TYPES:
        if not isinstance(data, list) or not data:
            raise invalid(_SET_EMPTY[kind])
        return {kind: _validate_set(kind, data)}
    if kind == "L":
        if not isinstance(data, list):
            raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
        _check_depth(depth)
        return {"L": [validate_value(v, depth + 1) for v in data]}
    if kind == "M":
        if not isinstance(data, dict):
            raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
        _check_depth(depth)
        return {"M": {name: validate_value(v, depth + 1) for name, v in data.items()}}
    raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")


def _is_canonical_integer(text: str) -> bool:
    """Fast path for the common case: an integer already in canonical form ("42", "-7")."""
    digits = text[1:] if text[:1] == "-" else text
    return (0 < len(digits) <= 38 and digits.isascii() and digits.isdigit()
            and (digits[0] != "0" or (digits == "0" and digits is text)))


def _check_depth(depth: int) -> None:
    if depth >= MAX_DEPTH:
        raise invalid("Nesting Levels have exceeded supported limits: Exceeded maximum nesting depth of 32")


def _validate_set(kind: str, data: list) -> list:
    if kind == "SS":
        # Empty strings (and binaries) may be set members: only an empty set is invalid.
        if not all(isinstance(s, str) for s in data):
            raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
        if len(set(data)) != len(data):
            raise invalid(INVALID + f"Input collection [{', '.join(data)}] contains duplicates.")
        return data
    if kind == "NS":
        numbers = [parse_number(n) for n in data]
        if len(set(numbers)) != len(numbers):
            raise invalid("Input collection contains duplicates")
        return [format_number(n) for n in numbers]
    blobs = [bytes(b.encode() if isinstance(b, str) else b) for b in data]
    if len(set(blobs)) != len(blobs):
        raise invalid("Input collection contains duplicates")
    return blobs


def validate_item(item: Any) -> Item:
    """Check every attribute of an item; return it with canonical values."""
    if not isinstance(item, dict):
        raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
    out = {}
    for name, value in item.items():
        if name == "":
            raise invalid(INVALID + "An AttributeValue may not contain an empty attribute name")
        out[name] = validate_value(value)
    return out


def validate_expression_values(values: dict | None) -> dict:
    """ExpressionAttributeValues checked the way DynamoDB reports them (naming the key)."""
    if not values:
        return {}
    out = {}
    for key, value in values.items():
        if not _VALUE_KEY.match(key):
            raise invalid(f'ExpressionAttributeValues contains invalid key: Syntax error; key: "{key}"')
        try:
            out[key] = validate_value(value)
        except ServiceError as err:
            raise invalid(f"ExpressionAttributeValues contains invalid value: {err.message} for key {key}") from None
    return out


def type_of(value: dict) -> str:
    """The type key of a valid AttributeValue."""
    for kind in value:
        return kind
    raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")


# --------------------------------------------------------------------------------------------
# comparison
# --------------------------------------------------------------------------------------------
def _scalar(value: dict) -> tuple[str, Any]:
    ((kind, data),) = value.items()
    if kind == "N":
        return kind, Decimal(data)
    if kind == "S":
        return kind, data.encode("utf-8")
    return kind, data


def compare(a: dict, b: dict) -> int | None:
    """-1/0/1 for two scalars of the same type (S, N, B) in DynamoDB's order; None when they
    cannot be ordered (different types, or not scalars)."""
    ka, va = _scalar(a)
    kb, vb = _scalar(b)
    if ka != kb or ka not in ("S", "N", "B"):
        return None
    return (va > vb) - (va < vb)


def values_equal(a: dict | None, b: dict | None) -> bool:
    """DynamoDB equality: same type and value; numbers by value, sets regardless of order."""
    if a is None or b is None:
        return a is b
    ((ka, da),) = a.items()
    ((kb, db),) = b.items()
    if ka != kb:
        return False
    if ka == "N":
        return da == db or Decimal(da) == Decimal(db)
    if ka in ("S", "B", "BOOL", "NULL"):
        return da == db
    if ka == "SS" or ka == "BS":
        return len(da) == len(db) and set(da) == set(db)
    if ka == "NS":
        return len(da) == len(db) and {Decimal(x) for x in da} == {Decimal(x) for x in db}
    if ka == "L":
        return len(da) == len(db) and all(values_equal(x, y) for x, y in zip(da, db))
    if ka == "M":
        return da.keys() == db.keys() and all(values_equal(v, db[k]) for k, v in da.items())
    return False


# --------------------------------------------------------------------------------------------
# sizes
# --------------------------------------------------------------------------------------------
def number_size(text: str) -> int:
    """Bytes DynamoDB counts for a number: one per two significant digits, plus one."""
    digits = text.lstrip("-").replace(".", "").strip("0")
    return (len(digits) + 1) // 2 + 1


def value_size(value: dict) -> int:
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode("utf-8")) if not data.isascii() else len(data)
    if kind == "N":
        return number_size(data)
    if kind == "B":
        return len(data)
    if kind == "BOOL" or kind == "NULL":
        return 1
    if kind == "SS":
        return sum(len(s.encode("utf-8")) for s in data)
    if kind == "NS":
        return sum(number_size(n) for n in data)
    if kind == "BS":
        return sum(len(b) for b in data)
    # Lists and maps: 3 bytes of overhead plus 1 per element (DynamoDB's documented rule).
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in data)
    return 3 + sum(1 + len(k.encode("utf-8")) + value_size(v) for k, v in data.items())


def item_size(item: Item) -> int:
    """Size of an item as DynamoDB counts it: names plus values (the 400 KB limit, capacity)."""
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def check_item_size(item: Item, updating: bool = False) -> int:
    size = item_size(item)
    if size > MAX_ITEM_SIZE:
        raise invalid("Item size to update has exceeded the maximum allowed size" if updating
                      else "Item size has exceeded the maximum allowed size")
    return size


# --------------------------------------------------------------------------------------------
# keys
# --------------------------------------------------------------------------------------------
KeySchema = Sequence[tuple[str, str]]  # ((hash name, type), (range name, type)?) in schema order


class KeyTypes(tuple):
    """((name, type), ...) of a key in schema order, of which the first ``hash_count`` make the
    partition key: more than one only in a global secondary index with a multi-attribute key
    (up to four partition and four sort key attributes)."""

    def __new__(cls, items, hash_count: int = 1) -> "KeyTypes":
        made = super().__new__(cls, items)
        made.hash_count = hash_count
        return made


def _check_key_value(name: str, expected: str, value: dict | None, is_hash: bool, index: str | None = None) -> None:
    kind = type_of(value)
    if kind != expected:
        if index:
            raise invalid(INVALID + f"Type mismatch for Index Key {name} Expected: {expected} Actual: {kind} IndexName: {index}")
        raise invalid(INVALID + f"Type mismatch for key {name} expected: {expected} actual: {kind}")
    data = value[kind]
    if not data:
        what = "string" if kind == "S" else "binary"
        if index:
            raise invalid(
                "One or more parameter values are not valid. A value specified for a secondary index key is not "
                f"supported. The AttributeValue for a key attribute cannot contain an empty {what} value. "
                f"IndexName: {index}, IndexKey: {name}"
            )
        raise invalid(
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an "
            f"empty {what} value. Key: {name}"
        )
    size = len(data.encode("utf-8")) if kind == "S" else len(data) if kind == "B" else 0
    if is_hash and size > MAX_HASH_KEY_SIZE:
        raise invalid(INVALID + "Size of hashkey has exceeded the maximum size limit of2048 bytes")
    if not is_hash and size > MAX_RANGE_KEY_SIZE:
        raise invalid(INVALID + "Aggregated size of all range keys has exceeded the size limit of 1024 bytes")


def validate_key(key: Item, schema: KeySchema) -> Item:
    """A Key parameter (GetItem, DeleteItem, UpdateItem, ...): exactly the schema's attributes,
    of the schema's types, not empty, within the size limits. Returns the canonical key."""
    if len(key) != len(schema) or any(name not in key for name, _ in schema):
        raise invalid("The provided key element does not match the schema")
    key = validate_item(key)
    for position, (name, expected) in enumerate(schema):
        value = key[name]
        if type_of(value) != expected:
            raise invalid("The provided key element does not match the schema")
        _check_key_value(name, expected, value, position == 0)
    return key


def validate_item_keys(item: Item, schema: KeySchema) -> None:
    """The key attributes of a whole item (PutItem, BatchWriteItem PutRequest)."""
    for position, (name, expected) in enumerate(schema):
        value = item.get(name)
        if value is None:
            raise invalid(INVALID + f"Missing the key {name} in the item")
        _check_key_value(name, expected, value, position == 0)


def validate_index_keys(item: Item, index_name: str, schema: KeySchema) -> None:
    """Secondary index key attributes that an item carries must have the index's types and not be
    empty (an item without them simply does not appear in the index)."""
    hashes = getattr(schema, "hash_count", 1)
    for position, (name, expected) in enumerate(schema):
        value = item.get(name)
        if value is not None:
            _check_key_value(name, expected, value, position < hashes, index=index_name)


def key_of(item: Item, schema: KeySchema) -> Item:
    return {name: item[name] for name, _ in schema}


# --------------------------------------------------------------------------------------------
# order-preserving encoding
# --------------------------------------------------------------------------------------------
# Numbers: 0x80 for zero; positives 0x81 + biased exponent byte + digits (ASCII '0'..'9');
# negatives 0x01 + inverted exponent byte + inverted digits + 0xFF (so that a longer digit
# string, which is a larger magnitude, sorts lower). The exponent is that of 0.d1d2.. x 10^e,
# in -129..126, biased by 129 into one byte. memcmp order of the encodings == numeric order.
_ZERO = b"\x80"
_INVERT = bytes.maketrans(b"0123456789", b"9876543210")


def encode_number(number: Decimal) -> bytes:
    if not number:
        return _ZERO
    sign, digits, exp = number.normalize(_EXACT).as_tuple()
    text = "".join(map(str, digits)).encode()
    e = len(digits) + exp  # value = 0.<digits> x 10^e
    biased = e + 129
    if not sign:
        return b"\x81" + bytes((biased,)) + text
    return b"\x01" + bytes((255 - biased,)) + text.translate(_INVERT) + b"\xff"


def sort_key(value: dict) -> bytes:
    """Bytes whose memcmp order is DynamoDB's order for S (UTF-8 bytes), N (numeric) and B
    (unsigned bytes) values of one type. Used by storage to index keys as SQLite BLOBs."""
    ((kind, data),) = value.items()
    if kind == "S":
        return data.encode("utf-8")
    if kind == "N":
        return encode_number(Decimal(data))
    if kind == "B":
        return bytes(data)
    raise invalid(INVALID + f"Type mismatch for key: {kind} values cannot be key values")


def escaped(encoded: bytes) -> bytes:
    """One value of a multi-attribute key inside ``key_part``: 0x00 escaped as 0x00 0xFF, so that
    the 0x00 0x00 that ends it sorts below any continuation."""
    return encoded.replace(b"\x00", b"\x00\xff")


COMPONENT_END = b"\x00\x00"


def key_part(values: Sequence[dict]) -> bytes:
    """The storage bytes of one part (partition or sort) of a multi-attribute key: each value's
    ``sort_key``, escaped and ended by COMPONENT_END, so that byte order is the order of the
    values compared left to right (a value that is a prefix of another sorts first)."""
    return b"".join(escaped(sort_key(v)) + COMPONENT_END for v in values)
