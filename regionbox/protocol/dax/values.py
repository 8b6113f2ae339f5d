"""Attribute values, keys and items between DAX's CBOR and DynamoDB's JSON documents.

On the DAX side a value is plain CBOR: a string, a byte string, a number (an integer, a tag-4
decimal fraction or a bignum), a boolean, null, an array (L), a map (M), or one of DAX's tags
for the sets. On the DynamoDB side it is the JSON document ``{"S": ...}`` that
``cloud.services.api("dynamodb").call`` takes and gives (binary as base64 text).

A key travels as bytes packed by the table's key schema: a lone hash key as its raw bytes
(strings UTF-8, numbers CBOR), a hash and range key as the CBOR hash value followed by the raw
range value (strings UTF-8, binaries as is, numbers as ``lexdecimal``). An item's other
attributes travel as the id of their sorted names' list followed by their values, in a byte
string; the node keeps the lists (``AttributeLists``).
"""

from __future__ import annotations

import base64
import io
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

import cbor2

from regionbox.protocol.dax import lexdecimal
from regionbox.protocol.dax.codes import TAG_BINARY_SET, TAG_NUMBER_SET, TAG_STRING_SET


class BadValue(ValueError):
    """A value, key or item the client could not have sent: answered as ValidationException."""


# cbor2 decodes decimal fractions (tag 4) and bignums itself and leaves DAX's tags (sets, path
# ordinals) as CBORTag; whatever else a tag becomes is refused where a value is expected.

def loads(data: bytes) -> Any:
    """One CBOR item from ``data`` (which must hold exactly one)."""
    try:
        return cbor2.loads(data)
    except cbor2.CBORError as error:
        raise BadValue(str(error)) from None


def loads_all(data: bytes) -> list[Any]:
    """Every CBOR item concatenated in ``data``."""
    stream = io.BytesIO(data)
    decoder = cbor2.CBORDecoder(stream)
    out = []
    try:
        while stream.tell() < len(data):
            out.append(decoder.decode())
    except cbor2.CBORError as error:
        raise BadValue(str(error)) from None
    return out


def number_text(value: Any) -> str:
    if type(value) is int:
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    raise BadValue("not a number")


def wire_number(text: str) -> Any:
    """DynamoDB's number text as the client encodes it: an integer unless it has a point or an
    exponent, then a decimal fraction."""
    if "." in text or "e" in text or "E" in text:
        try:
            return Decimal(text)
        except InvalidOperation:
            raise BadValue(f"not a number: {text}") from None
    return int(text)


def to_av(value: Any) -> dict:
    """A DAX value as DynamoDB's JSON attribute value."""
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is bytes:
        return {"B": base64.b64encode(value).decode()}
    if kind is bool:
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    if kind is int or kind is Decimal or kind is float:
        return {"N": number_text(value)}
    if kind is list or kind is tuple:
        return {"L": [to_av(v) for v in value]}
    if kind is dict:
        out = {}
        for name, v in value.items():
            if type(name) is not str:
                raise BadValue("map keys must be strings")
            out[name] = to_av(v)
        return {"M": out}
    if kind is cbor2.CBORTag:
        members = list(value.value) if isinstance(value.value, (list, tuple)) else None
        if members is None:
            raise BadValue("a set must be an array")
        if value.tag == TAG_STRING_SET and all(type(m) is str for m in members):
            return {"SS": members}
        if value.tag == TAG_NUMBER_SET:
            return {"NS": [number_text(m) for m in members]}
        if value.tag == TAG_BINARY_SET and all(type(m) is bytes for m in members):
            return {"BS": [base64.b64encode(m).decode() for m in members]}
    raise BadValue(f"not an attribute value: {kind.__name__}")


def from_av(av: dict) -> Any:
    """DynamoDB's JSON attribute value as the DAX value cbor2 encodes."""
    (kind, value), = av.items()
    if kind == "S":
        return value
    if kind == "N":
        return wire_number(value)
    if kind == "B":
        return _blob(value)
    if kind == "BOOL":
        return value
    if kind == "NULL":
        return None
    if kind == "M":
        return {name: from_av(v) for name, v in sorted(value.items())}
    if kind == "L":
        return [from_av(v) for v in value]
    if kind == "SS":
        return cbor2.CBORTag(TAG_STRING_SET, list(value))
    if kind == "NS":
        return cbor2.CBORTag(TAG_NUMBER_SET, [wire_number(v) for v in value])
    if kind == "BS":
        return cbor2.CBORTag(TAG_BINARY_SET, [_blob(v) for v in value])
    raise BadValue(f"unknown attribute value type {kind}")


def _blob(value: str | bytes) -> bytes:
    # DynamoDB's answers carry blobs as bytes already; requests as base64 text
    return value if type(value) is bytes else base64.b64decode(value)


def encode_av(av: dict) -> bytes:
    return cbor2.dumps(from_av(av))


# -- keys ---------------------------------------------------------------------------------------

def decode_key(data: bytes, schema: list[dict]) -> dict:
    """Key bytes as DynamoDB's Key document, by the table's key schema [hash, range?]."""
    if type(data) is not bytes:
        raise BadValue("a key must be a byte string")
    hash_name, hash_type = schema[0]["AttributeName"], schema[0]["AttributeType"]
    if len(schema) == 1:
        return {hash_name: _raw_key_value(hash_type, data, lone=True)}
    stream = io.BytesIO(data)
    try:
        hash_value = cbor2.CBORDecoder(stream).decode()
    except cbor2.CBORError as error:
        raise BadValue(str(error)) from None
    av = to_av(hash_value)
    if hash_type not in av:
        raise BadValue("The provided key element does not match the schema")
    range_name, range_type = schema[1]["AttributeName"], schema[1]["AttributeType"]
    return {hash_name: av, range_name: _raw_key_value(range_type, data[stream.tell():], lone=False)}


def _raw_key_value(kind: str, raw: bytes, lone: bool) -> dict:
    try:
        if kind == "S":
            return {"S": raw.decode("utf-8")}
        if kind == "B":
            return {"B": base64.b64encode(raw).decode()}
        if lone:
            return {"N": number_text(loads(raw))}
        return {"N": str(lexdecimal.decode(raw))}
    except (UnicodeDecodeError, lexdecimal.LexDecimalError) as error:
        raise BadValue(str(error)) from None


def encode_key(item: dict, schema: list[dict]) -> bytes:
    """The key bytes of ``item`` (a DynamoDB document holding at least the key attributes)."""
    hash_av = item[schema[0]["AttributeName"]]
    if len(schema) == 1:
        return _raw_key_bytes(hash_av, lone=True)
    return encode_av(hash_av) + _raw_key_bytes(item[schema[1]["AttributeName"]], lone=False)


def _raw_key_bytes(av: dict, lone: bool) -> bytes:
    (kind, value), = av.items()
    if kind == "S":
        return value.encode("utf-8")
    if kind == "B":
        return _blob(value)
    if lone:
        return cbor2.dumps(wire_number(value))
    return lexdecimal.encode(Decimal(value))


def decode_compound_key(data: bytes) -> dict:
    """An index's ExclusiveStartKey / LastEvaluatedKey: a CBOR map of name -> value."""
    value = loads(data) if type(data) is bytes else None
    if type(value) is not dict:
        raise BadValue("a compound key must be a map")
    return to_av(value)["M"]


def encode_compound_key(key: dict) -> bytes:
    return cbor2.dumps({name: from_av(av) for name, av in key.items()})


# -- items ----------------------------------------------------------------------------------------

class AttributeLists:
    """A node's dictionary of attribute-name lists (ids from 1, 1 being the empty list), which
    clients learn with defineAttributeListId / defineAttributeList and cache."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, ...], int] = {(): 1}
        self._names: list[tuple[str, ...]] = [(), ()]

    def id_of(self, names: Iterable[str]) -> int:
        names = tuple(names)
        found = self._ids.get(names)
        if found is None:
            found = self._ids[names] = len(self._names)
            self._names.append(names)
        return found

    def names(self, list_id: int) -> tuple[str, ...] | None:
        if type(list_id) is not int or not 1 <= list_id < len(self._names):
            return None
        return self._names[list_id]


def decode_values(data: bytes, lists: AttributeLists) -> dict:
    """An item's non-key attributes (attribute list id, then the values) as a document."""
    if type(data) is not bytes:
        raise BadValue("item values must be a byte string")
    parts = loads_all(data)
    if not parts or type(parts[0]) is not int:
        raise BadValue("item values must start with an attribute list id")
    names = lists.names(parts[0])
    if names is None or len(names) != len(parts) - 1:
        raise BadValue(f"unknown attribute list {parts[0]}")
    return {name: to_av(value) for name, value in zip(names, parts[1:])}


def encode_values(item: dict, key_names: Iterable[str], lists: AttributeLists) -> bytes:
    """The byte string of ``item``'s attributes other than the key: list id, then values."""
    skip = set(key_names)
    names = sorted(name for name in item if name not in skip)
    out = bytearray(cbor2.dumps(lists.id_of(names)))
    for name in names:
        out += encode_av(item[name])
    return bytes(out)


def path_value(item: dict, path: list) -> dict | None:
    """The value at a document path (names and list ordinals) of a DynamoDB item, or None."""
    current: Any = {"M": item}
    for step in path:
        if type(step) is int:
            current = current.get("L")
            if current is None or step >= len(current):
                return None
            current = current[step]
        else:
            current = current.get("M")
            if current is None or step not in current:
                return None
            current = current[step]
    return current


def encode_projection(item: dict, paths: list[list]) -> dict:
    """A projected item as DAX answers it: {ordinal of the path: value} for the paths present."""
    out = {}
    for ordinal, path in enumerate(paths):
        value = path_value(item, path)
        if value is not None:
            out[ordinal] = from_av(value)
    return out
