"""The file formats of exports to S3 and imports from S3: DynamoDB JSON, Amazon Ion text and CSV.

- DynamoDB JSON: one object a line, ``{"Item": {<AttributeValues>}}`` (incremental exports:
  ``{"Metadata": ..., "Keys": ..., "NewImage": ..., "OldImage": ...}``), binaries in base64.
- Ion: one value a line, ``$ion_1_0 {Item:{name:"a",n:42.,tags:$dynamodb_SS::["x"]}}``: numbers
  as Ion decimals, binaries as blobs ``{{...}}``, sets as lists annotated ``$dynamodb_SS``,
  ``$dynamodb_NS`` or ``$dynamodb_BS`` - the subset DynamoDB writes, which is what it reads back.
- CSV: a header line (or the request's HeaderList), values imported as strings, except the key
  attributes, which take the types of the table's AttributeDefinitions; empty fields are left out.
"""

from __future__ import annotations

import base64
import csv
import io
import re
import zlib
from typing import Any, AsyncIterator

import orjson

from regionbox.core.errors import ServiceError

from regionbox.services.dynamodb.types import Item, format_number, parse_number

# -- DynamoDB JSON ---------------------------------------------------------------------------------


def _to_json(value: dict) -> dict:
    ((kind, data),) = value.items()
    if kind == "B":
        return {"B": base64.b64encode(data).decode()}
    if kind == "BS":
        return {"BS": [base64.b64encode(b).decode() for b in data]}
    if kind == "M":
        return {"M": {k: _to_json(v) for k, v in data.items()}}
    if kind == "L":
        return {"L": [_to_json(v) for v in data]}
    return value


def json_item(item: Item) -> dict:
    """An item as DynamoDB JSON (binaries in base64)."""
    return {name: _to_json(value) for name, value in item.items()}


def json_line(document: dict[str, Any]) -> str:
    """A top-level record (``{"Item": item}``, or an incremental record's parts) as one JSON line."""
    return orjson.dumps({key: value if key == "Metadata" else json_item(value) for key, value in document.items()}).decode()


def _from_json(value: Any) -> Any:
    if not isinstance(value, dict) or len(value) != 1:
        raise ValueError("not an AttributeValue")
    ((kind, data),) = value.items()
    if kind == "B":
        return {"B": base64.b64decode(data, validate=True)}
    if kind == "BS":
        return {"BS": [base64.b64decode(b, validate=True) for b in data]}
    if kind == "M":
        return {"M": {k: _from_json(v) for k, v in data.items()}}
    if kind == "L":
        return {"L": [_from_json(v) for v in data]}
    return value


def json_record(line: bytes) -> dict[str, Any]:
    """One line of DynamoDB JSON: ``{"Item": {...}}``, with (bulk puts) a ConditionExpression,
    ExpressionAttributeNames and ExpressionAttributeValues beside it."""
    document = orjson.loads(line)
    if not isinstance(document, dict) or not isinstance(document.get("Item"), dict):
        raise ValueError("a DynamoDB JSON line must be an object with an Item")
    record = {**document, "Item": {name: _from_json(value) for name, value in document["Item"].items()}}
    if isinstance(document.get("ExpressionAttributeValues"), dict):
        record["ExpressionAttributeValues"] = {k: _from_json(v) for k, v in document["ExpressionAttributeValues"].items()}
    return record


def item_from_json_line(line: bytes) -> Item:
    """One line of a DynamoDB JSON import: ``{"Item": {...}}``."""
    return json_record(line)["Item"]


# -- Ion text ------------------------------------------------------------------------------------
_SYMBOL = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_KEYWORDS = {"null", "true", "false", "nan"}


def _ion_symbol(name: str) -> str:
    if _SYMBOL.fullmatch(name) and name not in _KEYWORDS:
        return name
    return "'" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _ion_decimal(text: str) -> str:
    return text if "." in text else text + "."


def _ion_blob(data: bytes) -> str:
    return "{{" + base64.b64encode(data).decode() + "}}"


def _ion(value: dict) -> str:
    ((kind, data),) = value.items()
    if kind == "S":
        return orjson.dumps(data).decode()
    if kind == "N":
        return _ion_decimal(data)
    if kind == "B":
        return _ion_blob(data)
    if kind == "BOOL":
        return "true" if data else "false"
    if kind == "NULL":
        return "null"
    if kind == "SS":
        return "$dynamodb_SS::[" + ",".join(orjson.dumps(s).decode() for s in data) + "]"
    if kind == "NS":
        return "$dynamodb_NS::[" + ",".join(_ion_decimal(n) for n in data) + "]"
    if kind == "BS":
        return "$dynamodb_BS::[" + ",".join(_ion_blob(b) for b in data) + "]"
    if kind == "L":
        return "[" + ",".join(_ion(v) for v in data) + "]"
    return _ion_struct(data)


def _ion_struct(fields: dict[str, dict]) -> str:
    return "{" + ",".join(f"{_ion_symbol(k)}:{_ion(v)}" for k, v in fields.items()) + "}"


def ion_line(document: dict[str, Any]) -> str:
    """A top-level record (``{"Item": item}``, or an incremental record's parts) as one Ion line."""
    parts = []
    for key, value in document.items():
        if key == "Metadata":
            parts.append(f"Metadata:{{WriteTimestampMicros:{value['WriteTimestampMicros']['N']}}}")
        else:
            parts.append(f"{key}:{_ion_struct(value)}")
    return "$ion_1_0 {" + ",".join(parts) + "}"


class _IonReader:
    """A reader for the Ion text DynamoDB writes (see the module's docstring)."""

    _NUMBER = re.compile(r"[+-]?(?:\d[\d_]*)(?:\.[\d_]*)?(?:[dDeE][+-]?\d+)?")

    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    def _skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n,":
            self.pos += 1

    def value(self) -> Any:
        """(annotations, kind, data) of the next value."""
        self._skip()
        annotations = []
        while True:
            match = _SYMBOL.match(self.text, self.pos)
            if match and self.text.startswith("::", match.end()):
                annotations.append(match.group())
                self.pos = match.end() + 2
                self._skip()
                continue
            break
        return annotations, self._bare()

    def _bare(self) -> Any:
        text, pos = self.text, self.pos
        ch = text[pos]
        if text.startswith("{{", pos):
            end = text.index("}}", pos)
            self.pos = end + 2
            return ("blob", base64.b64decode("".join(text[pos + 2:end].split())))
        if ch == "{":
            self.pos += 1
            fields = {}
            while True:
                self._skip()
                if text[self.pos] == "}":
                    self.pos += 1
                    return ("struct", fields)
                name = self._field_name()
                self._skip()
                if text[self.pos] != ":":
                    raise ValueError(f"expected ':' at {self.pos}")
                self.pos += 1
                fields[name] = self.value()
        if ch == "[":
            self.pos += 1
            items = []
            while True:
                self._skip()
                if text[self.pos] == "]":
                    self.pos += 1
                    return ("list", items)
                items.append(self.value())
        if ch == '"':
            end = pos + 1
            while text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            self.pos = end + 1
            return ("string", orjson.loads(text[pos:end + 1]))
        match = self._NUMBER.match(text, pos)
        if match and match.end() > pos:
            self.pos = match.end()
            number = match.group().replace("_", "")
            return ("number", number)
        match = _SYMBOL.match(text, pos)
        if match:
            self.pos = match.end()
            word = match.group()
            if word in ("true", "false"):
                return ("bool", word == "true")
            if word == "null":
                if text.startswith(".", self.pos):  # null.string and the like
                    self.pos = _SYMBOL.match(text, self.pos + 1).end()
                return ("null", None)
            return ("symbol", word)
        raise ValueError(f"unexpected {ch!r} at {pos}")

    def _field_name(self) -> str:
        text = self.text
        if text[self.pos] == "'":
            end = self.pos + 1
            while text[end] != "'":
                end += 2 if text[end] == "\\" else 1
            name = text[self.pos + 1:end].replace("\\'", "'").replace("\\\\", "\\")
            self.pos = end + 1
            return name
        if text[self.pos] == '"':
            _, (_, name) = self.value()
            return name
        match = _SYMBOL.match(text, self.pos)
        if not match:
            raise ValueError(f"expected a field name at {self.pos}")
        self.pos = match.end()
        return match.group()


def _number(text: str) -> str:
    """An Ion number (``42``, ``103.``, ``1.5``, ``15d-1``, ``1.5e0``) as DynamoDB's canonical N."""
    text = text.lower().replace("d", "e").replace(".e", "e")
    return format_number(parse_number(text[:-1] if text.endswith(".") else text))


def _attribute(node: tuple) -> dict:
    annotations, (kind, data) = node
    set_kind = next((a[len("$dynamodb_"):] for a in annotations if a.startswith("$dynamodb_")), None)
    if kind == "list" and set_kind in ("SS", "NS", "BS"):
        members = [_attribute(member) for member in data]
        return {set_kind: [next(iter(m.values())) for m in members]}
    if kind == "string" or kind == "symbol":
        return {"S": data}
    if kind == "number":
        return {"N": _number(data)}
    if kind == "blob":
        return {"B": data}
    if kind == "bool":
        return {"BOOL": data}
    if kind == "null":
        return {"NULL": True}
    if kind == "list":
        return {"L": [_attribute(member) for member in data]}
    return {"M": {name: _attribute(value) for name, value in data.items()}}


def ion_record(line: str) -> dict[str, Any]:
    """One line of Ion: ``$ion_1_0 {Item:{...}}`` (the version marker is optional), with (bulk
    puts) a ConditionExpression, ExpressionAttributeNames and ExpressionAttributeValues beside it."""
    reader = _IonReader(line.strip().removeprefix("$ion_1_0").strip())
    _, (kind, fields) = reader.value()
    if kind != "struct" or "Item" not in fields:
        raise ValueError("an Ion line must be a struct with an Item")
    record: dict[str, Any] = {}
    for name, node in fields.items():
        value = _attribute(node)
        if name in ("Item", "ExpressionAttributeValues", "ExpressionAttributeNames"):
            if "M" not in value:
                raise ValueError(f"{name} must be a struct")
            value = value["M"]
            if name == "ExpressionAttributeNames":
                value = {k: v.get("S") for k, v in value.items()}
        else:
            value = next(iter(value.values()))
        record[name] = value
    return record


def item_from_ion_line(line: str) -> Item:
    """One line of an Ion import: ``$ion_1_0 {Item:{...}}``."""
    return ion_record(line)["Item"]


async def lines(body: AsyncIterator[bytes], compression: str) -> AsyncIterator[bytes]:
    """An S3 object's lines (GZIP, ZSTD or NONE), decompressed as the body streams in, so that no
    object is held whole."""
    if compression == "ZSTD":
        try:
            import zstandard  # an optional dependency: AWS takes ZSTD, few Python installs have it
        except ImportError:
            raise ServiceError("ZstdUnavailable", "ZSTD input needs the zstandard package in regionbox's environment") \
                from None
        decoder: Any = zstandard.ZstdDecompressor().decompressobj()
    elif compression == "GZIP":
        decoder = zlib.decompressobj(zlib.MAX_WBITS | 16)
    else:
        decoder = None
    pending = b""
    async for chunk in body:
        pending += decoder.decompress(chunk) if decoder is not None else chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            yield line.rstrip(b"\r")
    if decoder is not None and hasattr(decoder, "flush"):
        pending += decoder.flush()
    for line in pending.split(b"\n"):
        yield line.rstrip(b"\r")


# -- CSV -----------------------------------------------------------------------------------------

async def csv_records(source: AsyncIterator[bytes]) -> AsyncIterator[str | ValueError]:
    """The records of a CSV document, line by line: a quoted field may span lines (a record is
    complete once its quotes balance, as quotes inside a field are doubled)."""
    record: str | None = None
    first = True
    async for line in source:
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as error:
            yield ValueError(f"not UTF-8: {error}")
            continue
        if first:
            text, first = text.lstrip("\ufeff"), False
        record = text if record is None else record + "\n" + text
        if record.count('"') % 2 == 0:
            yield record
            record = None
    if record is not None:
        yield record


def csv_item(record: str, delimiter: str, names: list[str], key_types: dict[str, str]) -> Item:
    """One CSV record as an item: values are strings, but the key attributes take the types of the
    table's AttributeDefinitions; empty fields are left out."""
    row = next(csv.reader(io.StringIO(record), delimiter=delimiter), [])
    if len(row) != len(names):
        raise ValueError(f"row has {len(row)} fields, the header {len(names)}")
    item: Item = {}
    for name, value in zip(names, row):
        if value == "":
            continue
        kind = key_types.get(name, "S")
        item[name] = {"B": base64.b64decode(value)} if kind == "B" else {kind: value}
    return item


def csv_header(record: str, delimiter: str) -> list[str]:
    return next(csv.reader(io.StringIO(record), delimiter=delimiter), [])
