"""Broken requests for every operation of every served service, and what is wrong with the answers.

A fuzzed request starts valid: ``tests/protocol/strategies.py`` draws an input for the operation and
botocore's own serializer writes it (``tests/protocol/botocore_wire.py``). It is then broken the way
careless and hostile clients break requests: wrong types, nulls in lists and maps, huge and
negative numbers, Unicode digits, control characters and lone surrogates, deep nesting, long
strings, bad base64 and timestamps, list indices Python's ``int()`` rejects or misreads, duplicated
and dropped query keys, truncated bodies, invalid UTF-8 and percent-escapes, broken gzip, wrong
content types and targets. It is sent signed, over a real socket, to a running cloud.

``problem(...)`` says what is wrong with an answer, or None: a 5xx other than 501 (not
implemented), a traceback, a response botocore cannot read as an error (or output) of the
service's protocol, or an answer that took longer than ``SLOW_SECONDS`` (unbounded work).

``python -m tests.gateway.fuzzing [--examples N] [--seed S] [service ...]`` runs a bigger,
random campaign against an in-process cloud and prints the figures: requests sent, the status
histogram, and each distinct problem with a request that reproduces it.
"""

from __future__ import annotations

import gzip
import http.client
import json
import logging
import re
import time
import traceback
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Callable
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ParamValidationError
from botocore.model import OperationModel, Shape
from botocore.parsers import create_parser
from hypothesis import strategies as st
from urllib3._collections import HTTPHeaderDict

from regionbox.protocol.specs import service_model
from regionbox.services import SERVICES
from tests.protocol.botocore_wire import request_from_botocore
from tests.protocol.strategies import ShapeStrategies

ACCOUNT = "123456789012"
REGION = "us-east-1"
SLOW_SECONDS = 10.0
SERVED = sorted(SERVICES)


def protocol_of(service: str) -> str:
    return service_model(service).metadata["protocol"]


def operation_names(service: str) -> list[str]:
    return list(service_model(service).operation_names)


@lru_cache(maxsize=None)
def strategies(service: str) -> ShapeStrategies:
    return ShapeStrategies(service_model(service), max_depth=3)


# --- the request on the wire --------------------------------------------------------------------

@dataclass(frozen=True)
class Wire:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    steps: tuple[str, ...] = ()  # the mutations applied, by name

    def with_step(self, name: str, **changes: Any) -> "Wire":
        return replace(self, steps=(*self.steps, name), **changes)

    def header(self, name: str, value: str | None) -> "Wire":
        headers = {k: v for k, v in self.headers.items() if k.lower() != name.lower()}
        if value is not None:
            headers[name] = value
        return replace(self, headers=headers)

    def reproducer(self, limit: int = 600) -> str:
        body = self.body if len(self.body) <= limit else self.body[:limit] + b"...(%d bytes)" % len(self.body)
        query = self.query if len(self.query) <= limit else self.query[:limit] + "..."
        return f"{self.method} {self.path}{'?' + query if query else ''} {self.headers} body={body!r} steps={list(self.steps)}"


def valid_wire(service: str, operation: OperationModel, params: dict) -> Wire | None:
    """What botocore sends for ``params`` (None when botocore itself refuses to write them)."""
    try:
        request = request_from_botocore(protocol_of(service), operation, params)
    except (ParamValidationError, ValueError, TypeError, KeyError):  # KeyError: a host prefix label it lacks
        return None
    headers = {name: value for name, value in request.headers.items()
               if name not in ("host", "content-length", "user-agent")}
    return Wire(request.method, request.path, request.query_string, headers, request.body)


# --- sending --------------------------------------------------------------------------------------

@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    seconds: float


class Sender:
    """Signed requests over one keep-alive connection (reopened whenever the server closed it)."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        url = urlsplit(endpoint)
        self.host, self.port = url.hostname, url.port
        self.connection: http.client.HTTPConnection | None = None
        self.credentials = Credentials(ACCOUNT, "fuzz-secret")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def send(self, service: str, wire: Wire) -> Answer:
        model = service_model(service)
        signing_name = model.metadata.get("signingName") or model.metadata["endpointPrefix"]
        target = wire.path + ("?" + wire.query if wire.query else "")
        request = AWSRequest(wire.method, self.endpoint + target, data=wire.body, headers=dict(wire.headers))
        SigV4Auth(self.credentials, signing_name, REGION).add_auth(request)
        headers = dict(request.headers.items())
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            started = time.perf_counter()
            try:
                self.connection.request(wire.method, target, body=wire.body, headers=headers)
                response = self.connection.getresponse()
                body = response.read()
            except (ConnectionError, http.client.HTTPException, OSError):
                self.close()
                if attempt == 2:
                    raise
                continue
            seconds = time.perf_counter() - started
            if response.getheader("connection", "").lower() == "close":
                self.close()
            return Answer(response.status, response.getheaders(), body, seconds)
        raise AssertionError("unreachable")


# --- judging an answer ----------------------------------------------------------------------------

def problem(service: str, operation: OperationModel, answer: Answer) -> str | None:
    """What is wrong with ``answer``, or None. The text before the first " -- " names the cause."""
    if answer.status >= 500 and answer.status != 501:
        return f"HTTP {answer.status} -- {answer.body[:300]!r}"
    if b"Traceback" in answer.body:
        return f"a traceback in the body -- {answer.body[:300]!r}"
    if answer.seconds > SLOW_SECONDS:
        return f"slow answer -- {answer.seconds:.1f} s"
    headers = HTTPHeaderDict()
    for name, value in answer.headers:
        headers.add(name, value)
    raw = {"status_code": answer.status, "headers": headers, "body": answer.body}
    protocol = protocol_of(service)
    try:
        parsed = create_parser(protocol).parse(raw, operation.output_shape)
    except Exception as exc:  # noqa: BLE001 - whatever botocore raises is the finding
        reason = re.sub(r": line \d+, column \d+\)?", "", str(exc).split(", invalid XML", 1)[0].split("(", 1)[-1])
        if protocol in ("query", "ec2") and answer.body.lstrip().startswith(b"{"):
            reason = "a JSON answer"
        return f"botocore cannot read the {protocol} answer ({reason}) -- {answer.body[:300]!r}"
    if answer.status >= 300:
        code = (parsed.get("Error") or {}).get("Code")
        # A HEAD answer has no body by HTTP's rule: botocore names its error by the status (S3's HeadObject).
        if not code or (code == str(answer.status) and operation.http.get("method") != "HEAD"):
            return f"HTTP {answer.status} without an error code botocore can read -- {answer.body[:300]!r}"
    return None


def cause_of(text: str) -> str:
    """The cause of a problem, to count problems by cause."""
    return text.split(" -- ", 1)[0]


# --- hostile values -------------------------------------------------------------------------------

class Raw(str):
    """JSON text written as is (numbers Python cannot print, nesting Python cannot hold)."""


def dump_json(value: Any) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(key))}:{dump_json(item)}" for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dump_json(item) for item in value) + "]"
    return json.dumps(value)  # strings with \\uXXXX escapes, lone surrogates included


HUGE_DIGITS = "1" * 5000  # more digits than Python's int() reads by default (4,300)
INTEGERS: list[Any] = [-1, 0, -(2**31) - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30,
                       Raw(HUGE_DIGITS), Raw("-" + "9" * 400), Raw("1e400"), Raw("-1e400"), 1e308, 2.5, 1.0, Raw("-0"),
                       Raw("1E2"), Raw("0.1e1")]
TEXTS: list[str] = ["", " ", "\x00\x01\x1b", "\ud800", "x\udfffy", "²", "١٢٣", "𝟙𝟚", "Ⅻ", "1" * 5000, "a" * 70000,
                    "NaN", "Infinity", "-Infinity", "!!!!", "====", "QQ=", "2024-13-45T99:99:99Z", "9" * 400,
                    "\u202e\ufeff", "%00", "<x/>&amp;\"'", "\\", "true", "null", "-1", "1.5e999",
                    "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "Fri, 31 Dec 9999 23:59:59 -1400"]
GENERIC: list[Any] = [None, True, False, 0, 1.5, "", "x", [], {}, [None], {"k": None}, {"": None}, [[[]]],
                      {"a": {"b": {"c": None}}}]
NESTINGS: list[Raw] = [Raw("[" * depth + "]" * depth) for depth in (200, 1200, 100_000)] + \
    [Raw('{"a":' * depth + "1" + "}" * depth) for depth in (200, 1200, 20_000)]


def self_path(shape: Shape, limit: int = 4) -> list[tuple[str, str]] | None:
    """Steps (kind, name) from a recursive shape back to itself (DynamoDB's AttributeValue: the
    map member M, then a map value), or None."""
    queue: list[tuple[Shape, list[tuple[str, str]]]] = [(shape, [])]
    while queue:
        current, steps = queue.pop(0)
        if len(steps) >= limit:
            continue
        if current.type_name == "structure":
            children = [(("member", member.serialization.get("name", name)), member)
                        for name, member in current.members.items()]
        elif current.type_name == "list":
            children = [(("item", ""), current.member)]
        elif current.type_name == "map":
            children = [(("value", "k"), current.value)]
        else:
            children = []
        for step, child in children:
            if child.name == shape.name and child.type_name == shape.type_name:
                return steps + [step]
            queue.append((child, steps + [step]))
    return None


def nested(shape: Shape, depth: int) -> Raw:
    """JSON for recursive ``shape`` nested ``depth`` times along its own path back to itself
    (text, not Python values: deeper than Python's own recursion reaches)."""
    opening, closing = "", ""
    for kind, name in self_path(shape) or []:
        opening += f"{{{json.dumps(name)}:" if kind in ("member", "value") else "["
        closing = ("}" if kind in ("member", "value") else "]") + closing
    return Raw(opening * depth + "{}" + closing * depth)


def hostile_value(draw: Callable, shape: Shape | None) -> Any:
    """A value likely to break code that reads ``shape``: of its type first, then anything."""
    kind = shape.type_name if shape is not None else None
    pools: list[list[Any]] = [GENERIC, NESTINGS]
    if kind in ("structure", "list", "map") and self_path(shape) is not None:
        if draw(st.integers(0, 3)) == 0:
            return nested(shape, draw(st.sampled_from([33, 100, 300, 600])))
    if kind in ("integer", "long", "float", "double", "timestamp"):
        pools = [INTEGERS, INTEGERS, TEXTS, GENERIC]
    elif kind in ("string", "blob", "timestamp"):
        pools = [TEXTS, TEXTS, INTEGERS, GENERIC]
    elif kind == "boolean":
        pools = [["true", "false", 1, 0, "TRUE", None], GENERIC]
    elif kind == "list":
        pools = [[[None], [None, None], [[]], [{}], [1, None], {"member": []}], GENERIC, NESTINGS]
    elif kind in ("map", "structure"):
        pools = [[{"k": None}, {"": None}, {"k": []}, {"k": {"k": None}}, [], {"1": 1}], GENERIC, NESTINGS]
    pool = draw(st.sampled_from(pools))
    return draw(st.sampled_from(pool))


# --- JSON mutations -------------------------------------------------------------------------------

def json_slots(value: Any, shape: Shape | None, path: tuple = ()) -> list[tuple[tuple, Shape | None]]:
    """Places in a JSON input where a value can go: every present node, every absent member, one
    past the end of every list, a new key in every map."""
    found: list[tuple[tuple, Shape | None]] = [(path, shape)] if path else []
    if shape is None or shape.metadata.get("document"):
        return found
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            wire_name = member.serialization.get("name", name)
            if wire_name in value:
                found += json_slots(value[wire_name], member, path + (wire_name,))
            else:
                found.append((path + (wire_name,), member))
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            found += json_slots(item, shape.member, path + (index,))
        found.append((path + (len(value),), shape.member))
    elif shape.type_name == "map" and isinstance(value, dict):
        for key, item in value.items():
            found += json_slots(item, shape.value, path + (key,))
        found.append((path + ("fuzz-key",), shape.value))
    return found


def put(document: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(document, list):
        copy = list(document)
        if head >= len(copy):
            copy.append(None)
        copy[head] = put(copy[head], rest, value)
        return copy
    copy = dict(document) if isinstance(document, dict) else {}
    copy[head] = put(copy.get(head), rest, value)
    return copy


def mutate_json_document(draw: Callable, operation: OperationModel, document: Any) -> tuple[Any, str]:
    slots = json_slots(document, operation.input_shape)
    choice = draw(st.sampled_from(["value", "value", "value", "wrong-top"] if slots else ["wrong-top"]))
    if choice == "wrong-top":
        return draw(st.sampled_from([[], None, "s", 1, [document], Raw("1e400"), NESTINGS[1]])), "top-level value"
    path, shape = draw(st.sampled_from(slots))
    value = hostile_value(draw, shape)
    return put(document, path, value), f"{'.'.join(map(str, path))}={dump_json(value)[:40]}"


JSON_BODIES: list[bytes] = [b"", b" ", b"null", b"[]", b'"text"', b"1", b"{", b"}", b"{}}", b"\xef\xbb\xbf{}",
                            b'{"a":1,"a":2}', b"\xff\xfe{}", b"{\"k\": \"\\ud800\"}", b"{" * 100_000]


BODY_CHOICES = ["truncate", "garbage", "bad-utf8", "gzip", "broken-gzip"]


def mutate_body(draw: Callable, wire: Wire, choice: str, garbage: list[bytes]) -> Wire:
    """What any protocol's body can suffer on the way: cut short, replaced, invalid UTF-8,
    compressed, or claimed compressed and not."""
    body = wire.body
    if choice == "truncate":
        cut = draw(st.integers(0, max(len(body) - 1, 0)))
        return wire.with_step(f"truncate@{cut}", body=body[:cut])
    if choice == "garbage":
        return wire.with_step("garbage body", body=draw(st.sampled_from(garbage)))
    if choice == "bad-utf8":
        at = draw(st.integers(0, len(body)))
        return wire.with_step("invalid UTF-8", body=body[:at] + b"\xc3\x28\xff" + body[at:])
    if choice == "gzip":
        return wire.with_step("gzip", body=gzip.compress(body)).header("Content-Encoding", "gzip")
    packed = gzip.compress(body)
    return wire.with_step("broken gzip", body=draw(st.sampled_from([packed[: len(packed) // 2], b"not gzip", packed[:10]]))
                          ).header("Content-Encoding", draw(st.sampled_from(["gzip", "deflate", "gzip, gzip", "x-gzip", "br"])))


def mutate_json_bytes(draw: Callable, service: str, wire: Wire) -> Wire:
    choice = draw(st.sampled_from([*BODY_CHOICES, "deflate", "content-type", "target", "duplicate-key", "method"]))
    if choice in BODY_CHOICES:
        return mutate_body(draw, wire, choice, JSON_BODIES)
    body = wire.body
    if choice == "deflate":
        return wire.with_step("deflate", body=zlib.compress(body)).header("Content-Encoding", "deflate")
    if choice == "content-type":
        value = draw(st.sampled_from([None, "text/plain", "application/json", "application/x-www-form-urlencoded",
                                      "application/cbor", "application/x-amz-json-1.1", "application/x-amz-json-1.0"]))
        return wire.with_step(f"Content-Type {value}").header("Content-Type", value)
    if choice == "target":
        prefix = service_model(service).metadata.get("targetPrefix", "")
        other = draw(st.sampled_from(operation_names(service)))
        value = draw(st.sampled_from([f"{prefix}.{other}", f"{prefix}.", prefix, f"{prefix}.²", f"{prefix}..{other}",
                                      f"X{prefix}.{other}", None, f"{prefix}.{other}" + "x" * 3000]))
        return wire.with_step(f"X-Amz-Target {str(value)[:60]}").header("X-Amz-Target", value)
    if choice == "duplicate-key":
        if body.startswith(b"{") and len(body) > 2:
            key = draw(st.sampled_from(["Limit", "TableName", "limit", "x"]))
            return wire.with_step(f"duplicate key {key}", body=b'{"%s":null,"%s":[1],' % (key.encode(), key.encode()) + body[1:])
        return wire
    value = draw(st.sampled_from(["GET", "PUT", "DELETE"]))
    return wire.with_step(f"method {value}", method=value)


def fuzz_json(draw: Callable, service: str, operation: OperationModel, wire: Wire) -> Wire:
    try:
        document = json.loads(wire.body or b"{}")
    except ValueError:
        document = {}
    rounds = draw(st.integers(0, 3))
    steps = []
    for _ in range(rounds):
        document, step = mutate_json_document(draw, operation, document)
        steps.append(step)
    wire = replace(wire, body=dump_json(document).encode("utf-8", "surrogatepass"), steps=(*wire.steps, *steps))
    if not rounds or draw(st.booleans()):
        wire = mutate_json_bytes(draw, service, wire)
    return wire


# --- query and ec2 mutations ----------------------------------------------------------------------

BAD_INDICES = ["²", "١", "𝟙", "0", "-1", "01", "+1", " 1", "1 ", HUGE_DIGITS, "4294967296", "99999999999999999999", "",
               "member", "1_0", "0x1", "٣٢", "१"]
QUERY_TEXTS = ["²", "١", "-1", "0", "2147483648", "9223372036854775808", "-9223372036854775809",
               "99999999999999999999999", HUGE_DIGITS, "1e400", "NaN", "Infinity", "\x00\x01\x1b", "", " ", "true",
               "yes", "2024-13-45T99:99:99Z", "!!!!", "a" * 70000, "1.5", "0x10", "１２", "1e3",
               "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "-62135596801", "253402300800"]


def query_pairs(wire: Wire) -> list[tuple[str, str]]:
    text = wire.body.decode("utf-8", "replace") if wire.body else wire.query
    return parse_qsl(text, keep_blank_values=True)


def query_member_keys(service: str, shape: Shape | None, prefix: str = "", depth: int = 0) -> list[tuple[str, Shape]]:
    """Keys a client may send for ``shape``'s members (one list item / map entry each), so that
    optional members the valid input left out get broken too."""
    if shape is None or shape.type_name != "structure" or depth > 2:
        return []
    ec2 = protocol_of(service) == "ec2"
    keys: list[tuple[str, Shape]] = []
    for name, member in shape.members.items():
        serialization = member.serialization
        if ec2:
            key = serialization.get("queryName") or (serialization["name"][:1].upper() + serialization["name"][1:]
                                                     if "name" in serialization else name)
        else:
            key = serialization.get("name", name)
        key = prefix + key
        if member.type_name == "list":
            if ec2 or member.serialization.get("flattened"):
                item = f"{key}.1"
            else:
                item = f"{key}.{member.member.serialization.get('name', 'member')}.1"
            keys.append((item, member.member))
            keys += query_member_keys(service, member.member, item + ".", depth + 1)
        elif member.type_name == "map":
            entry = f"{key}.1" if member.serialization.get("flattened") else f"{key}.entry.1"
            keys.append((f"{entry}.{member.key.serialization.get('name', 'key')}", member.key))
            keys.append((f"{entry}.{member.value.serialization.get('name', 'value')}", member.value))
        elif member.type_name == "structure":
            keys += query_member_keys(service, member, key + ".", depth + 1)
        else:
            keys.append((key, member))
    return keys


def mutate_query_pairs(draw: Callable, service: str, operation: OperationModel,
                       pairs: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], str]:
    editable = [i for i, (key, _) in enumerate(pairs) if key not in ("Action", "Version")]
    indexed = [i for i in editable if any(part.isdigit() for part in pairs[i][0].split("."))]
    choices = ["value", "add", "add", "dup", "deep", "scalar-children", "action"]
    if editable:
        choices += ["drop", "value"]
    if indexed:
        choices += ["index", "index", "index"]
    choice = draw(st.sampled_from(choices))
    pairs = list(pairs)
    if choice == "value" and editable:
        at = draw(st.sampled_from(editable))
        text = draw(st.sampled_from(QUERY_TEXTS))
        pairs[at] = (pairs[at][0], text)
        return pairs, f"{pairs[at][0]}={text[:30]!r}"
    if choice == "index" and indexed:
        at = draw(st.sampled_from(indexed))
        parts = pairs[at][0].split(".")
        digit_parts = [i for i, part in enumerate(parts) if part.isdigit()]
        which = draw(st.sampled_from(digit_parts))
        parts[which] = draw(st.sampled_from(BAD_INDICES))
        key = ".".join(parts)
        pairs[at] = (key, pairs[at][1])
        return pairs, f"index {key[:60]!r}"
    if choice == "drop" and editable:
        at = draw(st.sampled_from(editable))
        return pairs[:at] + pairs[at + 1:], f"drop {pairs[at][0]}"
    if choice == "dup" and editable:
        at = draw(st.sampled_from(editable))
        text = draw(st.sampled_from(QUERY_TEXTS))
        return pairs + [(pairs[at][0], text)], f"duplicate {pairs[at][0]}={text[:30]!r}"
    if choice == "deep":
        key = draw(st.sampled_from([".".join(["A"] * 5000), "Tags." * 3000 + "1", "." * 1000, "Filter." + "1." * 2000 + "Name"]))
        return pairs + [(key, "x")], "deep key"
    if choice == "scalar-children" and editable:
        at = draw(st.sampled_from(editable))
        suffix = draw(st.sampled_from([".1", ".member.1", ".entry.1.key", ".Name", "."]))
        return pairs + [(pairs[at][0] + suffix, "x")], f"children of {pairs[at][0]}"
    if choice == "action":
        action = draw(st.sampled_from(["", "²", operation.name.lower(), operation.name + "x", "a" * 5000]))
        return [(k, action if k == "Action" else v) for k, v in pairs] + [("Action", operation.name)] * draw(st.integers(0, 1)), \
            f"Action={action[:20]!r}"
    keys = query_member_keys(service, operation.input_shape)
    if not keys:
        return pairs, "nothing to add"
    key, shape = draw(st.sampled_from(keys))
    text = draw(st.sampled_from(QUERY_TEXTS + ["x", "1"]))
    return pairs + [(key, text)], f"add {key}={text[:30]!r}"


def encode_pairs(pairs: list[tuple[str, str]]) -> bytes:
    return urlencode(pairs, quote_via=quote, encoding="utf-8", errors="surrogatepass").encode("ascii")


QUERY_BODIES: list[bytes] = [b"", b"&&&", b"=", b"==&=", b"%", b"%zz", b"%FF%FE", b"Action", b"Action=&Version=",
                             b";;;", b"\xff\xfe", b"a=%ED%A0%80", b"Action=%C0%AF"]


def mutate_query_bytes(draw: Callable, service: str, wire: Wire) -> Wire:
    choice = draw(st.sampled_from([*BODY_CHOICES, "bad-escape", "get", "content-type"]))
    if choice in BODY_CHOICES:
        return mutate_body(draw, wire, choice, QUERY_BODIES)
    body = wire.body
    if choice == "bad-escape":
        at = draw(st.integers(0, len(body)))
        escape = draw(st.sampled_from([b"%", b"%F", b"%FF", b"%ED%A0%80", b"%00", b"%C0%80"]))
        return wire.with_step(f"escape {escape!r}", body=body[:at] + escape + body[at:])
    if choice == "get" and len(body) < 8000:  # longer URLs are the HTTP server's to refuse
        return replace(wire.with_step("GET"), method="GET", query=body.decode("ascii", "replace"), body=b"").header(
            "Content-Type", None)
    value = draw(st.sampled_from([None, "text/plain", "application/json", "application/x-www-form-urlencoded; charset=latin-1",
                                  "multipart/form-data; boundary=x"]))
    return wire.with_step(f"Content-Type {value}").header("Content-Type", value)


def fuzz_query(draw: Callable, service: str, operation: OperationModel, wire: Wire) -> Wire:
    pairs = query_pairs(wire)
    rounds = draw(st.integers(0, 3))
    steps = []
    for _ in range(rounds):
        pairs, step = mutate_query_pairs(draw, service, operation, pairs)
        steps.append(step)
    wire = replace(wire, body=encode_pairs(pairs), steps=(*wire.steps, *steps))
    if not rounds or draw(st.booleans()):
        wire = mutate_query_bytes(draw, service, wire)
    return wire


# --- the strategy -----------------------------------------------------------------------------------

@st.composite
def fuzzed_requests(draw: Callable, service: str, operation_name: str) -> Wire:
    """A valid request of the operation, then broken."""
    operation = service_model(service).operation_model(operation_name)
    params = draw(strategies(service).input(operation), label="valid input")
    wire = valid_wire(service, operation, params)
    if wire is None:
        wire = valid_wire(service, operation, {}) or Wire("POST", "/", "", {}, b"")
    if protocol_of(service) in ("query", "ec2"):
        return fuzz_query(draw, service, operation, wire)
    return fuzz_json(draw, service, operation, wire)


class ServerErrors(logging.Handler):
    """Exceptions the cloud logged (the gateway logs every 500 with its traceback), named by
    type and the innermost frame, so that problems are counted by cause."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            frame = traceback.extract_tb(error.__traceback__)[-1]
            where = f"{frame.filename.rsplit('regionbox/', 1)[-1]}:{frame.lineno} {frame.name}"
            self.seen.append(f"{type(error).__name__} at {where} -- {str(error)[:100]} [{record.getMessage()}]")

    def take(self) -> list[str]:
        seen, self.seen = self.seen, []
        return seen


@dataclass
class Tally:
    """Figures of a campaign: requests, statuses, problems by cause with one reproducer each."""

    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    problems: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    operations: dict[str, set] = field(default_factory=dict)

    def add(self, service: str, operation: str, wire: Wire, answer: Answer, found: str | None,
            logged: list[str]) -> None:
        self.requests += 1
        self.statuses[answer.status] += 1
        for logged_error in logged if not found else []:  # logged but answered well: the audit trail, a task
            self._count(f"logged: {cause_of(logged_error)}", service, operation, wire, logged_error)
        if found:
            cause = cause_of(logged[0]) if logged else cause_of(found)
            self._count(cause, service, operation, wire, (logged[0] + "; " if logged else "") + found)

    def _count(self, cause: str, service: str, operation: str, wire: Wire, found: str) -> None:
        self.problems[cause] += 1
        self.operations.setdefault(cause, set()).add(f"{service}.{operation}")
        self.examples.setdefault(cause, f"{service}.{operation}: {found[:400]}\n      request: {wire.reproducer()}")


def main(argv: list[str] | None = None) -> None:
    import argparse
    import random

    from hypothesis import HealthCheck, Phase, given, seed as use_seed, settings

    from regionbox.testing import RunningCloud

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("services", nargs="*", default=SERVED)
    parser.add_argument("--examples", type=int, default=5, help="requests per operation")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--operations", default="", help="comma-separated operation names to fuzz (default: all)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    print(f"seed {seed}, {args.examples} requests per operation")
    cloud = RunningCloud().start()
    sender = Sender(cloud.endpoint)
    tally = Tally()
    errors = ServerErrors()
    logging.getLogger("regionbox").addHandler(errors)

    def campaign(service: str, name: str) -> None:
        operation = service_model(service).operation_model(name)

        @use_seed(seed)
        @settings(max_examples=args.examples, deadline=None, database=None, derandomize=False,
                  suppress_health_check=list(HealthCheck), phases=[Phase.generate])
        @given(wire=fuzzed_requests(service, name))
        def run(wire: Wire) -> None:
            answer = sender.send(service, wire)
            tally.add(service, name, wire, answer, problem(service, operation, answer), errors.take())

        run()

    started = time.time()
    try:
        for service in args.services:
            wanted = set(filter(None, args.operations.split(",")))
            for name in operation_names(service):
                if not wanted or name in wanted:
                    cloud.reset()  # what the last operation's calls created (cache nodes ...) goes
                    campaign(service, name)
            print(f"{service}: {tally.requests} requests so far, {sum(tally.problems.values())} problems", flush=True)
    finally:
        sender.close()
        cloud.stop()
    elapsed = time.time() - started
    print(f"\n{tally.requests} requests in {elapsed:.0f} s ({tally.requests / max(elapsed, 1e-9):.0f}/s)")
    print("statuses:", dict(sorted(tally.statuses.items())))
    print(f"problems: {sum(tally.problems.values())} from {len(tally.problems)} causes")
    for cause, count in tally.problems.most_common():
        operations = sorted(tally.operations[cause])
        print(f"\n  {count:5d}  {cause}\n      in {len(operations)} operations: {', '.join(operations[:8])}"
              f"{' ...' if len(operations) > 8 else ''}\n      {tally.examples[cause]}")


if __name__ == "__main__":
    main()
