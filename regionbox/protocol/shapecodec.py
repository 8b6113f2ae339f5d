"""Shape-compiled conversion between document bodies (JSON, CBOR) and plain Python values.

A ``ShapeCodec`` compiles each botocore shape once into a small function:

- ``decoder(shape)(wire_value) -> python value``: checks types the way AWS's deserializers do
  (raising ``BodyTypeError``, which parsers turn into ``SerializationException``), renames wire
  member names (``locationName``) to model member names, drops ``null`` members and members the
  model does not know, turns timestamps into aware datetimes and blobs into bytes.
- ``encoder(shape)(python value) -> wire value``: drops ``None`` members and keys the model does
  not know, renames members to their wire names, formats timestamps and blobs. Shapes whose
  values are already wire-native (strings, booleans, integers, documents) compile to ``None``
  and are passed through untouched, which keeps large outputs cheap; so do lists and maps
  whose elements need nothing but what the document encoder does itself (``native``).

Subclasses choose the leaf conversions: JSON (base64 blobs, epoch-number timestamps, "NaN"
strings for non-finite floats) and CBOR (raw byte strings, tag-1 timestamps).

Compiled functions are cached by shape name, so recursive shapes compile once and refer to
themselves through the cache.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from botocore.model import ServiceModel, Shape

from regionbox.protocol import values

Decoder = Callable[[Any], Any]
Encoder = Callable[[Any], Any] | None

_INTEGER_TYPES = ("integer", "long", "biginteger")
_FLOAT_TYPES = ("float", "double", "bigdecimal")
_JAVA_NAMES = {
    "string": "String", "integer": "Integer", "long": "Long", "biginteger": "BigInteger",
    "float": "Float", "double": "Double", "bigdecimal": "BigDecimal", "boolean": "Boolean",
    "timestamp": "Date", "blob": "ByteBuffer", "list": "List", "map": "Map", "structure": "Structure",
}


class BodyTypeError(ValueError):
    """A body value of the wrong type. The message follows AWS's (Jackson-based) wording."""

    def __init__(self, value: Any, kind: str, message: str | None = None):
        super().__init__(message or type_mismatch_message(value, kind))

    @classmethod
    def out_of_range(cls, value: int | float, kind: str) -> "BodyTypeError":
        """Jackson's words for a number its Java type cannot hold."""
        java, (low, high) = ("int", values.INTEGER_RANGES["integer"]) if kind == "integer" else \
            ("long", values.INTEGER_RANGES["long"])
        # (A float is a JSON number whose digits the parser did not keep: shown as Python writes it.)
        return cls(value, kind, f"Numeric value ({values.number_text(value)}) out of range of {java} ({low} - {high})")


def type_mismatch_message(value: Any, kind: str) -> str:
    if isinstance(value, dict):
        return "Start of structure or map found where not expected."
    if isinstance(value, (list, tuple)):
        return "Start of list found where not expected"
    if isinstance(value, bool):
        token = "TRUE_VALUE" if value else "FALSE_VALUE"
    elif isinstance(value, (int, float)):
        token = "NUMBER_VALUE"
    elif isinstance(value, str):
        token = "STRING_VALUE"
    else:
        token = type(value).__name__.upper() + "_VALUE"
    return f"{token} cannot be converted to {_JAVA_NAMES.get(kind, kind)}"


class ShapeCodec:
    # Format for timestamps in the body when the member names none (Smithy: epoch seconds).
    timestamp_default = values.UNIX

    def __init__(self, model: ServiceModel):
        self.model = model
        self._decoders: dict[tuple[str, str], Decoder] = {}
        self._encoders: dict[tuple[str, str, str], Encoder] = {}
        self._native: dict[tuple[str, str], bool] = {}

    # --- decoding (requests) -----------------------------------------------------------------

    def decode_input(self, shape: Shape | None, body: Any) -> dict[str, Any]:
        if shape is None:
            if not isinstance(body, dict):
                raise BodyTypeError(body, "structure")
            return {}
        return self.decoder(shape)(body)

    def decoder(self, shape: Shape) -> Decoder:
        key = (shape.name, shape.type_name)
        found = self._decoders.get(key)
        if found is None:
            found = self._compile_decoder(shape, key)
        return found

    def _compile_decoder(self, shape: Shape, key: tuple[str, str]) -> Decoder:
        kind = shape.type_name
        if shape.metadata.get("document"):
            decoder: Decoder = _identity
        elif kind == "structure":
            plan: dict[str, tuple[str, Decoder]] = {}

            def decoder(value: Any) -> dict:
                if type(value) is not dict:
                    raise BodyTypeError(value, "structure")
                out = {}
                for wire_name, item in value.items():
                    entry = plan.get(wire_name)
                    if entry is not None and item is not None:
                        out[entry[0]] = entry[1](item)
                return out

            self._decoders[key] = decoder  # before members: recursive shapes find it
            for name, member in shape.members.items():
                plan[self.wire_name(member, name)] = (name, self.decoder(member))
            return decoder
        elif kind == "list":
            element_holder: list[Decoder] = []

            def decoder(value: Any) -> list:
                if type(value) is not list:
                    raise BodyTypeError(value, "list")
                element = element_holder[0]
                return [None if item is None else element(item) for item in value]

            self._decoders[key] = decoder
            element_holder.append(self.decoder(shape.member))
            return decoder
        elif kind == "map":
            holder: list[Decoder] = []

            def decoder(value: Any) -> dict:
                if type(value) is not dict:
                    raise BodyTypeError(value, "map")
                inner = holder[0]
                return {k: (None if item is None else inner(item)) for k, item in value.items()}

            self._decoders[key] = decoder
            holder.append(self.decoder(shape.value))
            return decoder
        elif kind == "string":
            decoder = _decode_string
        elif kind == "boolean":
            decoder = _decode_boolean
        elif kind in _INTEGER_TYPES:
            decoder = _integer_decoder(kind)
        elif kind in _FLOAT_TYPES:
            decoder = _float_decoder(kind)
        elif kind == "timestamp":
            decoder = self.decode_timestamp
        elif kind == "blob":
            decoder = self.decode_blob
        else:
            decoder = _identity
        self._decoders[key] = decoder
        return decoder

    def decode_timestamp(self, value: Any) -> datetime:
        if type(value) in (int, float, str):
            try:
                return values.to_datetime(value)
            except ValueError:
                pass
        raise BodyTypeError(value, "timestamp")

    def decode_blob(self, value: Any) -> bytes:
        if type(value) is str:
            try:
                return values.b64decode(value)
            except ValueError:
                raise BodyTypeError(value, "blob") from None
        raise BodyTypeError(value, "blob")

    # --- encoding (responses) ----------------------------------------------------------------

    def encode_output(self, shape: Shape | None, output: dict[str, Any]) -> dict[str, Any]:
        if shape is None or not output:
            return {}
        encoder = self.encoder(shape)
        return output if encoder is None else encoder(output)

    def encoder(self, shape: Shape) -> Encoder:
        fmt = values.timestamp_format(shape, self.timestamp_default) if shape.type_name == "timestamp" else ""
        key = (shape.name, shape.type_name, fmt)
        if key in self._encoders:
            return self._encoders[key]
        return self._compile_encoder(shape, key, fmt)

    def _compile_encoder(self, shape: Shape, key: tuple[str, str, str], fmt: str) -> Encoder:
        kind = shape.type_name
        encoder: Encoder
        if shape.metadata.get("document"):
            encoder = None
        elif kind == "structure":
            plan: dict[str, tuple[str, Encoder]] = {}
            plain: set[str] = set()  # members written as they are, under their own name

            def encoder(value: dict) -> dict:
                # Fast path (DynamoDB's {"S": "..."} values): nothing to rename, convert or drop.
                if value.keys() <= plain and None not in value.values():
                    return value
                out = {}
                for name, item in value.items():
                    entry = plan.get(name)
                    if entry is not None and item is not None:
                        convert = entry[1]
                        out[entry[0]] = item if convert is None else convert(item)
                return out

            self._encoders[key] = encoder
            for name, member in shape.members.items():
                plan[name] = (self.wire_name(member, name), self.encoder(member))
                if plan[name] == (name, None):
                    plain.add(name)
            return encoder
        elif kind in ("list", "map") and self.native(shape):
            encoder = None  # e.g. DynamoDB items: written by the document encoder as they are
        elif kind == "list":
            holder: list[Encoder] = []

            def encoder(value: list) -> list:
                convert = holder[0]
                if convert is None:
                    return list(value)
                return [None if item is None else convert(item) for item in value]

            self._encoders[key] = encoder
            holder.append(self.encoder(shape.member))
            return encoder
        elif kind == "map":
            value_holder: list[Encoder] = []

            def encoder(value: dict) -> dict:
                convert = value_holder[0]
                if convert is None:
                    return {k: item for k, item in value.items() if item is not None}
                return {k: convert(item) for k, item in value.items() if item is not None}

            self._encoders[key] = encoder
            value_holder.append(self.encoder(shape.value))
            return encoder
        elif kind == "timestamp":
            encoder = self.timestamp_encoder(fmt)
        elif kind == "blob":
            encoder = self.encode_blob
        elif kind in _FLOAT_TYPES:
            encoder = self.encode_float
        else:
            encoder = None  # strings, booleans, integers: already what the wire carries
        self._encoders[key] = encoder
        return encoder

    def native(self, shape: Shape) -> bool:
        """Whether values of this shape can go to the document encoder untouched: no
        timestamps or floats to format, no members to rename. Blobs count as native because
        the document encoder writes bytes itself (``dumps``). Inside such values a ``None``
        member would be written as null, which every SDK reads as absent."""
        key = (shape.name, shape.type_name)
        if key not in self._native:
            self._native[key] = True  # a recursive reference does not decide by itself
            self._native[key] = self._native_now(shape)
        return self._native[key]

    def _native_now(self, shape: Shape) -> bool:
        kind = shape.type_name
        if shape.metadata.get("document"):
            return True
        if kind == "structure":
            return all(self.wire_name(member, name) == name and self.native(member)
                       for name, member in shape.members.items())
        if kind == "list":
            return self.native(shape.member)
        if kind == "map":
            return self.native(shape.value)
        return kind not in ("timestamp",) and kind not in _FLOAT_TYPES

    def timestamp_encoder(self, fmt: str) -> Encoder:
        return lambda value: values.format_timestamp(value, fmt)

    def encode_blob(self, value: Any) -> Any:
        return values.b64encode(values.to_bytes(value))

    def encode_float(self, value: Any) -> Any:
        return values.format_float(float(value))

    # --- names -------------------------------------------------------------------------------

    @staticmethod
    def wire_name(member: Shape, name: str) -> str:
        """The member's key in the body: its ``locationName`` (``name`` trait) if any."""
        return member.serialization.get("name", name)


def _identity(value: Any) -> Any:
    return value


def _decode_string(value: Any) -> str:
    if type(value) is str:
        return value
    raise BodyTypeError(value, "string")


def _decode_boolean(value: Any) -> bool:
    if type(value) is bool:
        return value
    raise BodyTypeError(value, "boolean")


def _integer_decoder(kind: str) -> Decoder:
    """Integers of the model's type: ``integer`` 32 bits, ``long`` 64 bits (Java's int and long),
    ``biginteger`` any size. A number out of range is the body's fault, as the services' JSON
    parser (Jackson) reports it. JSON parsers hand numbers beyond 64 bits over as floats: a
    float too large for the type is out of range too, whatever its exact digits were."""
    low, high = values.INTEGER_RANGES.get(kind, (None, None))

    def decode(value: Any) -> int:
        kind_of = type(value)
        if kind_of is int:
            if low is not None and not low <= value <= high:
                raise BodyTypeError.out_of_range(value, kind)
            return value
        if kind_of is float and value.is_integer():
            if low is not None and not low <= value < high + 1:  # high + 1: a float of 2**63 is beyond a long
                raise BodyTypeError.out_of_range(value, kind)
            return int(value)
        raise BodyTypeError(value, kind)
    return decode


def _float_decoder(kind: str) -> Decoder:
    def decode(value: Any) -> float:
        kind_of = type(value)
        if kind_of is float or kind_of is int:
            return float(value)
        if kind_of is str and value in ("NaN", "Infinity", "-Infinity"):
            return values.to_float(value)
        raise BodyTypeError(value, kind)
    return decode
