"""XML bodies driven by botocore shapes, shared by the query, ec2 and rest-xml protocols.

The rules mirror botocore's own XML serializer and response parser, so that what we write is
what an SDK reads and what an SDK writes is what we read:

- a structure member is an element named by its ``locationName`` (else the member name);
  a member marked ``xmlAttribute`` is an attribute of the enclosing element instead;
- a list is ``<Name><member>..</member></Name>`` (the member's ``locationName`` replaces
  ``member``; EC2 uses ``item``) or, when ``flattened``, repeated ``<Name>`` elements, where a
  flattened list whose member has a ``locationName`` repeats that name instead;
- a map is ``<Name><entry><key/><value/></entry></Name>`` (``locationName`` of key and value
  replace ``key`` / ``value``), or repeated ``<Name><key/><value/></Name>`` when flattened;
- ``xmlNamespace`` on a shape becomes an ``xmlns`` (or ``xmlns:prefix``) attribute.

Scalars are text both in XML and in query strings and headers, so the text conversions for every
scalar type live here too (``scalar_text`` / ``parse_scalar``).
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree

from botocore.model import Shape

from regionbox.protocol import values

# Members that live outside the XML body in REST protocols (headers, URI, query, status).
BODYLESS_LOCATIONS = frozenset({"header", "headers", "uri", "querystring", "statusCode"})

_NAMESPACE = re.compile(r"^\{[^}]*\}")


class XmlDecodeError(ValueError):
    """The XML does not fit the shape (or is not XML). Callers turn it into their protocol's error."""


# --- scalars as text -------------------------------------------------------------------------

def scalar_text(shape: Shape, value: Any, timestamp_default: str = values.ISO8601) -> str:
    """A provider's scalar value -> its text on the wire (XML text, query value, header)."""
    kind = shape.type_name
    if kind == "boolean":
        return values.format_bool(bool(value))
    if kind in ("integer", "long"):
        return str(int(value))
    if kind in ("float", "double"):
        return values.format_float_text(value)
    if kind == "timestamp":
        return str(values.format_timestamp(value, values.timestamp_format(shape, timestamp_default)))
    if kind == "blob":
        return values.b64encode(values.to_bytes(value))
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8")
    return str(value)


def parse_scalar(shape: Shape, text: str) -> Any:
    """Wire text -> Python value for a scalar shape; ValueError when the text is not one."""
    kind = shape.type_name
    if kind == "boolean":
        return values.to_bool(text)
    if kind in ("integer", "long", "biginteger"):
        return values.to_int(text, kind)
    if kind in ("float", "double"):
        return values.to_float(text)
    if kind == "timestamp":
        return values.parse_timestamp(text)
    if kind == "blob":
        return values.b64decode(text)
    return text


# --- encoding --------------------------------------------------------------------------------

def member_xml_name(shape: Shape, member_name: str) -> str:
    """The element name of a structure member (botocore's ``_member_key_name``)."""
    if shape.type_name == "list" and shape.serialization.get("flattened"):
        item_name = shape.member.serialization.get("name")
        if item_name:
            return item_name
    return shape.serialization.get("name", member_name)


def add_namespace(shape: Shape, node: ElementTree.Element) -> None:
    namespace = shape.serialization.get("xmlNamespace")
    if isinstance(namespace, dict):
        attribute = f"xmlns:{namespace['prefix']}" if namespace.get("prefix") else "xmlns"
        node.set(attribute, namespace["uri"])
    elif isinstance(namespace, str):
        node.set("xmlns", namespace)


def encode(parent: ElementTree.Element, shape: Shape, value: Any, name: str,
           timestamp_default: str = values.ISO8601) -> None:
    """Append ``value`` (of ``shape``) to ``parent`` as element(s) called ``name``."""
    if value is None:
        return
    kind = shape.type_name
    if kind == "structure":
        node = ElementTree.SubElement(parent, name)
        add_namespace(shape, node)
        encode_members(node, shape, value, timestamp_default)
    elif kind == "list":
        if shape.serialization.get("flattened"):
            holder, item_name = parent, name
        else:
            holder = ElementTree.SubElement(parent, name)
            add_namespace(shape, holder)
            item_name = shape.member.serialization.get("name", "member")
        for item in value:
            encode(holder, shape.member, item, item_name, timestamp_default)
    elif kind == "map":
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        if not shape.serialization.get("flattened"):
            holder = ElementTree.SubElement(parent, name)
            add_namespace(shape, holder)
        for key, item in value.items():
            entry = ElementTree.SubElement(parent, name) if shape.serialization.get("flattened") \
                else ElementTree.SubElement(holder, "entry")
            encode(entry, shape.key, key, key_name, timestamp_default)
            encode(entry, shape.value, item, value_name, timestamp_default)
    else:
        node = ElementTree.SubElement(parent, name)
        node.text = scalar_text(shape, value, timestamp_default)
        add_namespace(shape, node)


def encode_members(node: ElementTree.Element, shape: Shape, value: dict, timestamp_default: str = values.ISO8601) -> None:
    """The members of structure ``value`` as children (or attributes) of ``node``, in model order.
    Members bound to HTTP locations are left out: the REST layer writes them."""
    for member_name, member_shape in shape.members.items():
        member_value = value.get(member_name)
        if member_value is None or member_shape.serialization.get("location") in BODYLESS_LOCATIONS:
            continue
        if member_shape.serialization.get("xmlAttribute"):
            node.set(member_shape.serialization["name"], scalar_text(member_shape, member_value, timestamp_default))
        else:
            encode(node, member_shape, member_value, member_xml_name(member_shape, member_name), timestamp_default)


# Characters XML 1.0 cannot carry at all, not even as character references: C0 controls other
# than TAB, LF and CR, lone surrogates, U+FFFE and U+FFFF. A parser (botocore's) refuses the whole
# document for one of them, so they are written as Java writes them in a string literal
# (\u0000): an error message that echoes a client's control characters stays readable.
_NOT_XML = {chr(code): f"\\u{code:04x}" for code in
            [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0xD800, 0xE000), 0xFFFE, 0xFFFF]}
# Text escapes as ElementTree's, plus CR: a literal CR would reach the reader as LF (XML
# end-of-line normalization). Attributes also keep their LF and TAB.
_TEXT_ESCAPES = str.maketrans({**_NOT_XML, "&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTRIBUTE_ESCAPES = str.maketrans({**_NOT_XML, "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                                    "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"})


def to_bytes(root: ElementTree.Element) -> bytes:
    """The document, written directly: our trees have plain tag names, attributes and text, no
    tails or comments, and ElementTree's general writer costs ~3x more per response."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>']
    _write(root, parts)
    return "".join(parts).encode("utf-8")


def _write(node: ElementTree.Element, parts: list[str]) -> None:
    tag = node.tag
    start = f"<{tag}"
    if node.attrib:
        start += "".join(f' {name}="{value.translate(_ATTRIBUTE_ESCAPES)}"' for name, value in node.attrib.items())
    text = node.text
    if text is None and not len(node):
        parts.append(start + " />")
        return
    parts.append(start + ">")
    if text:
        parts.append(text.translate(_TEXT_ESCAPES))
    for child in node:
        _write(child, parts)
    parts.append(f"</{tag}>")


def document(shape: Shape, value: dict, root_name: str, timestamp_default: str = values.ISO8601) -> bytes:
    """A whole XML document whose root element is structure ``value`` (rest-xml payloads)."""
    holder = ElementTree.Element("holder")
    encode(holder, shape, value, root_name, timestamp_default)
    return to_bytes(holder[0])


# --- decoding --------------------------------------------------------------------------------

def parse_document(body: bytes) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise XmlDecodeError(f"not well-formed XML: {exc}") from exc


def tag(node: ElementTree.Element) -> str:
    return _NAMESPACE.sub("", node.tag)


def children_by_name(node: ElementTree.Element) -> dict[str, list[ElementTree.Element]]:
    grouped: dict[str, list[ElementTree.Element]] = {}
    for child in node:
        grouped.setdefault(tag(child), []).append(child)
    return grouped


def decode(shape: Shape, nodes: list[ElementTree.Element]) -> Any:
    """The value of ``shape`` read from the element(s) that carry it.

    ``nodes`` is a list because a flattened list or map is several sibling elements; every other
    shape is read from the first (a repeated non-list element keeps its first occurrence)."""
    kind = shape.type_name
    if kind == "list":
        items = nodes if shape.serialization.get("flattened") else list(nodes[0])
        return [decode(shape.member, [item]) for item in items]
    if kind == "map":
        entries = nodes if shape.serialization.get("flattened") else list(nodes[0])
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        result = {}
        for entry in entries:
            parts = children_by_name(entry)
            if key_name not in parts or value_name not in parts:
                raise XmlDecodeError(f"map entry without <{key_name}> and <{value_name}>")
            result[decode(shape.key, parts[key_name])] = decode(shape.value, parts[value_name])
        return result
    node = nodes[0]
    if kind == "structure":
        return decode_members(shape, node)
    try:
        return parse_scalar(shape, node.text or "")
    except ValueError as exc:
        raise XmlDecodeError(f"invalid value for <{tag(node)}>: {exc}") from exc


def decode_members(shape: Shape, node: ElementTree.Element) -> dict:
    """The body members of structure ``shape`` found in element ``node``."""
    grouped = children_by_name(node)
    result = {}
    for member_name, member_shape in shape.members.items():
        if member_shape.serialization.get("location") in BODYLESS_LOCATIONS:
            continue
        if member_shape.serialization.get("xmlAttribute"):
            text = _attribute(node, member_shape.serialization["name"])
            if text is not None:
                try:
                    result[member_name] = parse_scalar(member_shape, text)
                except ValueError as exc:
                    raise XmlDecodeError(f"invalid attribute {member_shape.serialization['name']}: {exc}") from exc
            continue
        found = grouped.get(member_xml_name(member_shape, member_name))
        if found:
            result[member_name] = decode(member_shape, found)
    return result


def _attribute(node: ElementTree.Element, name: str) -> str | None:
    """Attribute ``name`` as written in the model (``xsi:type``), whatever URI the prefix maps to."""
    if name in node.attrib:
        return node.attrib[name]
    local = name.split(":", 1)[-1]
    for key, text in node.attrib.items():
        if key.startswith("{") and _NAMESPACE.sub("", key) == local:
            return text
    return None
