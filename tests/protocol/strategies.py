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
import re._parser as _sre_parser
from typing import Any, Callable
from datetime import datetime, timezone

from botocore.model import OperationModel, ServiceModel, Shape
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from regionbox.protocol.validate import pattern_of

_TEXT_ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp", "Zs"))
_PATTERN_ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs", "Co", "Cn"),
                                  exclude_characters="".join(map(chr, [*range(0, 9), 11, 12, *range(14, 32)])))
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

    def for_shape(self, shape: Shape, depth: int = 0, header: bool = False, nonempty: bool = False) -> st.SearchStrategy:
        """``nonempty``: at least one element/character, for required members that an empty
        value would make disappear on the wire (query lists, headers, payloads)."""
        key = (shape.name, shape.type_name, depth, header, _location(shape), nonempty)
        strategy = self._cache.get(key)
        if strategy is None:
            strategy = self._build(shape, depth, header, nonempty)
            self._cache[key] = strategy
        return strategy

    def _build(self, shape: Shape, depth: int, header: bool, nonempty: bool) -> st.SearchStrategy:
        kind = shape.type_name
        meta = shape.metadata
        if meta.get("document"):
            return _documents()
        if kind == "structure":
            return self._structure(shape, depth)
        if kind == "list":
            low, high = _sizes(meta, depth >= self.max_depth, nonempty)
            element = self.for_shape(shape.member, depth + 1, header)
            return st.lists(element, min_size=low, max_size=high)
        if kind == "map":
            low, high = _sizes(meta, depth >= self.max_depth, nonempty)
            in_headers = _location(shape) == "headers"
            keys = _header_map_keys() if in_headers else self.for_shape(shape.key, depth + 1)
            values = self.for_shape(shape.value, depth + 1, in_headers)
            return st.dictionaries(keys, values, min_size=low, max_size=high)
        if kind == "string":
            return _strings(shape, header or _location(shape) == "header", nonempty or _location(shape) == "uri")
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
            low = max(int(meta.get("min", 0)), int(nonempty))
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
        payload = shape.serialization.get("payload")
        fixed, optional = {}, {}
        for name, member in members.items():
            if member.serialization.get("eventstream") or member.metadata.get("eventstream"):
                continue
            if _location(member) == "statusCode":
                continue  # the HTTP status: not a value to draw at random
            nonempty = name in required and (name == payload or _location(member) in ("querystring", "header"))
            strategy = st.deferred(lambda m=member, n=nonempty: self.for_shape(m, depth + 1, nonempty=n))
            # botocore fills idempotency tokens itself when they are missing; always give one.
            if name in required or member.metadata.get("idempotencyToken"):
                fixed[name] = strategy
            elif not deep:
                optional[name] = strategy
        return st.fixed_dictionaries(fixed, optional=optional)


def _location(shape: Shape) -> str | None:
    return shape.serialization.get("location")


def _sizes(meta: dict, deep: bool, nonempty: bool = False) -> tuple[int, int]:
    low = max(int(meta.get("min", 0)), int(nonempty))
    if deep:
        return low, low
    return low, int(min(meta.get("max", low + _EXTRA_ITEMS), low + _EXTRA_ITEMS))


def _recursive_risk(shape: Shape) -> bool:
    return shape.type_name in ("structure", "list", "map")


def _strings(shape: Shape, header: bool, nonempty: bool) -> st.SearchStrategy[str]:
    meta = shape.metadata
    if shape.enum:
        return st.sampled_from(list(shape.enum))
    uri = _location(shape) == "uri"
    low = int(meta.get("min", 0))
    if uri or nonempty:
        low = max(low, 1)  # an empty label would change the path; an empty header vanishes
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
        single = re.compile(char_class, re.ASCII)
        pool = [c for c in _POOL if single.fullmatch(c) and (not header or _header_safe(c))]
        q_low, q_high = _quantifier_bounds(quantifier)
        size_low, size_high = max(low, q_low), min(longest, q_high, max(low, q_low) + _EXTRA_CHARS)
        if pool and size_low <= size_high:
            return st.text(st.sampled_from(pool), min_size=size_low, max_size=size_high)
    def usable(text: str) -> bool:
        return low <= len(text) <= longest and not _UNSAFE.search(text) and (not header or all(map(_header_safe, text)))

    strings = st.from_regex(compiled, fullmatch=True, alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)))
    fallback = _example_of(compiled, low, longest, usable)
    if fallback is None:
        return strings.filter(usable)
    # Drawn strings that break the length bounds are replaced by a constructed one instead of
    # being filtered out: with dozens of operations drawn per example, filters would starve.
    return strings.map(lambda text: text if usable(text) else fallback)


def _example_of(compiled: re.Pattern[str], low: int, longest: int, usable: Callable[[str], bool]) -> str | None:
    """One string matching the pattern with at least ``low`` characters, built directly from
    the parsed regex: repeats start at their minimum and grow until the length is reached."""
    try:
        tree = _sre_parser.parse(compiled.pattern)
    except Exception:  # noqa: BLE001 - any pattern we cannot read simply has no fallback
        return None
    try:
        shortest = len(_generate(tree, [0]))
    except (ValueError, RecursionError):
        return None
    for target in (low, low + 1, max(low, 1) * 2):
        deficit = [target - shortest]  # characters the repeats must add beyond their minimum
        try:
            text = _generate(tree, deficit)
        except (ValueError, RecursionError):
            return None
        if compiled.fullmatch(text) and usable(text):
            return text
    return None


def _generate(items: Any, deficit: list[int]) -> str:
    out = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name in ("NOT_LITERAL", "ANY"):
            out.append(next(c for c in _POOL if c != "\n" and (name == "ANY" or ord(c) != arg)))
        elif name == "IN":
            out.append(_class_char(arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            least, most, body = arg
            most = min(most, 1 << 20)
            count = 0
            while count < least:
                out.append(_generate(body, deficit))
                count += 1
            while deficit[0] > 0 and count < most:
                piece = _generate(body, [0])
                if not piece:
                    break
                out.append(piece)
                deficit[0] -= len(piece)
                count += 1
        elif name == "SUBPATTERN":
            out.append(_generate(arg[-1], deficit))
        elif name == "BRANCH":
            out.append(_generate(arg[1][0], deficit))
        elif name == "AT":
            continue
        else:
            raise ValueError(f"cannot build {name}")
    return "".join(out)


def _class_char(items: list) -> str:
    single = re.compile(_class_regex(items), re.ASCII)
    for char in _POOL:
        if char != "\n" and single.fullmatch(char):
            return char
    raise ValueError("empty character class")


def _class_regex(items: list) -> str:
    """Rebuild a one-character regex from a parsed IN node (ranges, literals, categories)."""
    parts, negate = [], False
    for op, arg in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            parts.append(re.escape(chr(arg)))
        elif name == "RANGE":
            parts.append(f"{re.escape(chr(arg[0]))}-{re.escape(chr(arg[1]))}")
        elif name == "CATEGORY":
            parts.append(_CATEGORIES[str(arg)])
        else:
            raise ValueError(f"cannot build class item {name}")
    return "[" + ("^" if negate else "") + "".join(parts) + "]"


_CATEGORIES = {
    "CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W",
}


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


def _regex_strings(compiled, alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Strings matching a pattern. Patterns that name whitespace or control characters
    themselves (IAM policy documents: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+) need those in the
    alphabet; they get every character XML 1.0 can carry."""
    strategy = st.from_regex(compiled, fullmatch=True, alphabet=alphabet)
    try:
        strategy.validate()
    except InvalidArgument:
        strategy = st.from_regex(compiled, fullmatch=True, alphabet=_PATTERN_ALPHABET)
    return strategy


def _header_map_keys() -> st.SearchStrategy[str]:
    return st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-"), min_size=1, max_size=10).filter(
        lambda s: not s.startswith("-"))


def _documents() -> st.SearchStrategy:
    scalars = st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(_TEXT_ALPHABET, max_size=8)
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.text(_TEXT_ALPHABET, min_size=1, max_size=6), inner, max_size=3), max_leaves=6)
