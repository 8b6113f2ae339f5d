"""Hypothesis strategies producing valid values for any botocore shape.

    builder = ShapeStrategies(service_model)
    builder.input(operation_model)   # params that pass botocore's and regionbox's validation
    builder.output(operation_model)  # an output dict
    builder.error(error_shape)       # the members of a modeled error
    builder.for_shape(shape)         # any shape

Values respect enum, min/max (length for strings, blobs, lists, maps; range for numbers),
required members, unions (exactly one member) and the ``pattern`` constraints regionbox enforces
(``validate.pattern_of``). Recursive shapes are bounded: below ``max_depth`` only required
members are drawn and lists/maps keep their minimum size.

Strings avoid control characters and surrounding whitespace so that every protocol (XML, headers,
query strings) can carry them; values bound for HTTP headers stay printable ASCII without commas
(header lists are comma-joined). Timestamps are whole seconds by default (what botocore's JSON and
CBOR serializers keep); pass ``millis=True`` for millisecond precision.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from botocore.model import OperationModel, ServiceModel, Shape
from hypothesis import strategies as st

from regionbox.protocol.validate import pattern_of

_TEXT_ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp", "Zs"))
_HEADER_ALPHABET = st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=",\"")
_INT_RANGE = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**53), 2**53), "biginteger": (-(2**53), 2**53)}
_EXTRA_ITEMS = 2      # lists and maps grow at most this far beyond their minimum
_EXTRA_CHARS = 12     # strings and blobs likewise
_FIRST = datetime(2000, 1, 1)
_LAST = datetime(2099, 12, 31)


class ShapeStrategies:
    def __init__(self, model: ServiceModel, max_depth: int = 4, millis: bool = False):
        self.model = model
        self.max_depth = max_depth
        self.millis = millis
        self._cache: dict[tuple, st.SearchStrategy] = {}

    def input(self, operation: OperationModel) -> st.SearchStrategy[dict]:
        shape = operation.input_shape
        return st.just({}) if shape is None else self.for_shape(shape)

    def output(self, operation: OperationModel) -> st.SearchStrategy[dict]:
        shape = operation.output_shape
        return st.just({}) if shape is None else self.for_shape(shape)

    def error(self, shape: Shape) -> st.SearchStrategy[dict]:
        return self.for_shape(shape)

    def for_shape(self, shape: Shape, depth: int = 0, header: bool = False) -> st.SearchStrategy:
        key = (shape.name, shape.type_name, depth, header, _location(shape))
        strategy = self._cache.get(key)
        if strategy is None:
            strategy = self._build(shape, depth, header)
            self._cache[key] = strategy
        return strategy

    def _build(self, shape: Shape, depth: int, header: bool) -> st.SearchStrategy:
        kind = shape.type_name
        meta = shape.metadata
        if meta.get("document"):
            return _documents()
        if kind == "structure":
            return self._structure(shape, depth)
        if kind == "list":
            low, high = _sizes(meta, depth >= self.max_depth)
            element = self.for_shape(shape.member, depth + 1, header)
            return st.lists(element, min_size=low, max_size=high)
        if kind == "map":
            low, high = _sizes(meta, depth >= self.max_depth)
            in_headers = _location(shape) == "headers"
            keys = _header_map_keys() if in_headers else self.for_shape(shape.key, depth + 1)
            values = self.for_shape(shape.value, depth + 1, in_headers)
            return st.dictionaries(keys, values, min_size=low, max_size=high)
        if kind == "string":
            return _strings(shape, header or _location(shape) == "header", _location(shape) == "uri")
        if kind == "boolean":
            return st.booleans()
        if kind in _INT_RANGE:
            low, high = _INT_RANGE[kind]
            return st.integers(min_value=int(max(low, meta.get("min", low))), max_value=int(min(high, meta.get("max", high))))
        if kind in ("float", "double", "bigdecimal"):
            low, high = meta.get("min", -1e9), meta.get("max", 1e9)
            width = 32 if kind == "float" else 64
            return st.floats(min_value=float(low), max_value=float(high), allow_nan=False, allow_infinity=False, width=width)
        if kind == "blob":
            low = int(meta.get("min", 0))
            high = int(min(meta.get("max", low + _EXTRA_CHARS), low + _EXTRA_CHARS))
            return st.binary(min_size=low, max_size=high)
        if kind == "timestamp":
            moments = st.datetimes(min_value=_FIRST, max_value=_LAST)
            if self.millis:
                return moments.map(lambda m: m.replace(microsecond=m.microsecond // 1000 * 1000, tzinfo=timezone.utc))
            return moments.map(lambda m: m.replace(microsecond=0, tzinfo=timezone.utc))
        raise NotImplementedError(f"no strategy for shape type {kind}")

    def _structure(self, shape: Shape, depth: int) -> st.SearchStrategy[dict]:
        members = shape.members
        deep = depth >= self.max_depth
        if shape.metadata.get("union"):
            choices = [name for name in members if not deep or not _recursive_risk(members[name])] or list(members)
            return st.one_of([st.fixed_dictionaries({name: self.for_shape(members[name], depth + 1)}) for name in choices])
        required = set(shape.required_members)
        fixed, optional = {}, {}
        for name, member in members.items():
            if member.serialization.get("eventstream") or member.metadata.get("eventstream"):
                continue
            strategy = st.deferred(lambda m=member: self.for_shape(m, depth + 1))
            # botocore fills idempotency tokens itself when they are missing; always give one.
            if name in required or member.metadata.get("idempotencyToken"):
                fixed[name] = strategy
            elif not deep:
                optional[name] = strategy
        return st.fixed_dictionaries(fixed, optional=optional)


def _location(shape: Shape) -> str | None:
    return shape.serialization.get("location")


def _sizes(meta: dict, deep: bool) -> tuple[int, int]:
    low = int(meta.get("min", 0))
    if deep:
        return low, low
    return low, int(min(meta.get("max", low + _EXTRA_ITEMS), low + _EXTRA_ITEMS))


def _recursive_risk(shape: Shape) -> bool:
    return shape.type_name in ("structure", "list", "map")


def _strings(shape: Shape, header: bool, uri: bool) -> st.SearchStrategy[str]:
    meta = shape.metadata
    if shape.enum:
        return st.sampled_from(list(shape.enum))
    low = int(meta.get("min", 0))
    if uri:
        low = max(low, 1)  # an empty label would change the path
    longest = int(meta.get("max", 1 << 30))
    high = min(longest, low + _EXTRA_CHARS)
    compiled = pattern_of(shape)
    if compiled is None:
        strings = st.text(_HEADER_ALPHABET if header else _TEXT_ALPHABET, min_size=low, max_size=high)
    else:
        strings = _pattern_strings(compiled, low, longest, header)
    if uri:
        strings = strings.filter(lambda s: s not in (".", ".."))
    return strings


# Candidate characters for patterns: printable ASCII, tab and newline, a few letters beyond ASCII.
_POOL = "".join(chr(c) for c in range(0x20, 0x7F)) + "\t\néß日本"
_SIMPLE_PATTERN = re.compile(r"\^?(\[(?:\\.|[^\]])+\]|\\[dwsS]|\.)([+*]|\{\d+(?:,\d*)?\})\$?")
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def _pattern_strings(compiled: re.Pattern[str], low: int, longest: int, header: bool) -> st.SearchStrategy[str]:
    """Strings matching a model pattern. The common form, one character class repeated
    (``^[a-zA-Z0-9_.-]+$``), is drawn directly within the length bounds; others go through
    ``from_regex`` and a filter for length and characters no protocol can carry."""
    simple = _SIMPLE_PATTERN.fullmatch(compiled.pattern)
    if simple:
        char_class, quantifier = simple.groups()
        single = re.compile(char_class)
        pool = [c for c in _POOL if single.fullmatch(c) and (not header or _header_safe(c))]
        q_low, q_high = _quantifier_bounds(quantifier)
        size_low, size_high = max(low, q_low), min(longest, q_high, max(low, q_low) + _EXTRA_CHARS)
        if pool and size_low <= size_high:
            return st.text(st.sampled_from(pool), min_size=size_low, max_size=size_high)
    strings = st.from_regex(compiled, fullmatch=True, alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)))
    return strings.filter(lambda s: low <= len(s) <= longest and not _UNSAFE.search(s)
                          and (not header or all(_header_safe(c) for c in s)))


def _header_safe(char: str) -> bool:
    return "\x21" <= char <= "\x7e" and char not in ',"'


def _quantifier_bounds(quantifier: str) -> tuple[int, int]:
    if quantifier == "+":
        return 1, 1 << 30
    if quantifier == "*":
        return 0, 1 << 30
    numbers = quantifier.strip("{}").split(",")
    first = int(numbers[0])
    if len(numbers) == 1:
        return first, first
    return first, int(numbers[1]) if numbers[1] else 1 << 30


def _header_map_keys() -> st.SearchStrategy[str]:
    return st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-"), min_size=1, max_size=10).filter(
        lambda s: not s.startswith("-"))


def _documents() -> st.SearchStrategy:
    scalars = st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(_TEXT_ALPHABET, max_size=8)
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.text(_TEXT_ALPHABET, min_size=1, max_size=6), inner, max_size=3), max_leaves=6)
