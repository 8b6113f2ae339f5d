"""DAX's unframed CBOR stream, edge by edge, over a real socket to a node: how requests may be
split or packed, and what a broken stream gets (DAX's error, then that connection closed, the
node serving on)."""

from __future__ import annotations

import io
import socket
from datetime import datetime, timezone

import cbor2
import pytest
from amazondax import SigV4Gen
from botocore.credentials import Credentials

from regionbox.protocol.dax import codes
from tests.services.dax.node_fixture import StandaloneNode

MAGIC_AND_HELLO = codes.MAGIC + b"\x00" + b"\xf6" + cbor2.dumps({"UserAgent": "framing-test"}) + b"\x00"


@pytest.fixture(scope="module")
def node(regionbox_session):
    regionbox_session.reset()
    ddb = regionbox_session.client("dynamodb")
    ddb.create_table(TableName="frames", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName="frames", Item={"pk": {"S": "k"}, "v": {"S": "value"}})
    started = StandaloneNode(regionbox_session)
    yield started
    started.close()


def authorize(access_key: str = "test", secret: str = "test", region: str = "us-east-1") -> bytes:
    signature = SigV4Gen.generate_signature(Credentials(access_key, secret), "https://dax.amazonaws.com", region, b"",
                                            datetime.now(timezone.utc).replace(tzinfo=None))
    return b"".join(cbor2.dumps(x) for x in (1, codes.AUTHORIZE_CONNECTION, access_key, signature.signature,
                                             signature.string_to_sign.encode(), None, "framing-test"))


def request(method: int, *args) -> bytes:
    return b"".join(cbor2.dumps(x) for x in (1, method, *args))


GET_K = request(codes.GET_ITEM, b"frames", b"k", None)
ENDPOINTS = request(codes.ENDPOINTS)


class Wire:
    def __init__(self, node) -> None:
        self.sock = socket.create_connection(("127.0.0.1", node.port), timeout=30)
        self.buffer = b""

    def send(self, data: bytes) -> "Wire":
        self.sock.sendall(data)
        return self

    def items(self, count: int) -> list:
        out = []
        while len(out) < count:
            stream = io.BytesIO(self.buffer)
            try:
                value = cbor2.CBORDecoder(stream).decode()
            except cbor2.CBORDecodeEOF:
                chunk = self.sock.recv(65536)
                assert chunk, f"connection closed after {out}"
                self.buffer += chunk
                continue
            self.buffer = self.buffer[stream.tell():]
            out.append(value)
        return out

    def closed(self) -> bool:
        """True once the node has closed the connection (and sent nothing more)."""
        return self.buffer == b"" and self.sock.recv(1) == b""

    def close(self) -> None:
        self.sock.close()


def opened(node) -> Wire:
    return Wire(node).send(MAGIC_AND_HELLO + authorize())


def test_get_item_and_endpoints_in_order(node):
    wire = opened(node).send(GET_K + ENDPOINTS)       # two requests in one packet: two answers in order
    success, item, success2, endpoints = wire.items(4)
    assert success == success2 == []
    assert codes.Result.Item in item
    assert endpoints == [{0: 0, 1: "127.0.0.1", 2: b"\x7f\x00\x00\x01", 3: node.port, 4: codes.ROLE_LEADER,
                          5: "us-east-1a", 6: 0}]
    wire.close()


def test_a_request_split_into_single_bytes(node):
    wire = Wire(node)
    for byte in MAGIC_AND_HELLO + authorize() + GET_K:
        wire.send(bytes([byte]))
    assert wire.items(1) == [[]]
    wire.close()


def test_request_before_authentication_is_refused_and_the_connection_kept(node):
    wire = Wire(node).send(MAGIC_AND_HELLO + GET_K)
    error_codes, message, details = wire.items(3)
    assert error_codes == codes.AUTHENTICATION_FAILED
    assert details[1:] == ["MissingAuthenticationTokenException", 403]
    wire.send(authorize() + GET_K)
    assert wire.items(2)[0] == []
    wire.close()


@pytest.mark.parametrize("opening, what", [
    (b"NOTMAGIC" + b"\x00\xf6\xa0\x00", "bad magic"),
    (MAGIC_AND_HELLO + authorize() + request(987654321), "unknown method"),
    (MAGIC_AND_HELLO + authorize() + cbor2.dumps(2) + cbor2.dumps(codes.GET_ITEM), "unknown request version"),
    (MAGIC_AND_HELLO + authorize() + b"\x1c", "reserved CBOR header"),
    (MAGIC_AND_HELLO + authorize() + b"\xff", "break outside a container"),
    (codes.MAGIC + b"\x00\xf6\x05\x00", "connection properties not a map"),
])
def test_broken_streams_get_an_error_then_the_connection_closes(node, opening, what):
    wire = Wire(node).send(opening)
    error_codes, message, details = wire.items(3)
    assert error_codes[0] == 3, what          # not retried by the client
    assert details[1] == "ValidationException"
    assert wire.closed()
    wire.close()
    healthy = opened(node).send(GET_K)        # the node serves on
    assert healthy.items(1) == [[]]
    healthy.close()


@pytest.mark.parametrize("tail", [
    GET_K[:5],                                # a request cut short
    cbor2.dumps(1) + cbor2.dumps(codes.GET_ITEM) + b"\x5b" + (1 << 40).to_bytes(8, "big") + b"abc",   # 1 TB bytes
    cbor2.dumps(1) + cbor2.dumps(codes.BATCH_GET_ITEM) + b"\x9a\x7f\xff\xff\xff" + b"\x00" * 10,       # 2^31 items
])
def test_a_client_leaving_mid_request_leaves_the_node_serving(node, tail):
    wire = Wire(node).send(MAGIC_AND_HELLO + authorize() + tail)
    wire.close()
    healthy = opened(node).send(GET_K)
    assert healthy.items(1) == [[]]
    healthy.close()


def test_a_request_larger_than_dynamodb_allows_is_refused(node):
    wire = Wire(node).send(MAGIC_AND_HELLO + authorize() + cbor2.dumps(1) + cbor2.dumps(codes.PUT_ITEM)
                           + b"\x5a" + (21 * 1024 * 1024).to_bytes(4, "big"))
    chunk = b"\x00" * 65536
    try:
        for _ in range(21 * 16):
            wire.sock.sendall(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the node stopped reading once the request passed the limit
    error_codes, message, _ = wire.items(3)
    assert error_codes[0] == 3 and "too large" in message
    wire.close()


@pytest.mark.parametrize("bad, fragment", [
    (request(codes.GET_ITEM, 7, b"k", None), "TableName"),
    (request(codes.GET_ITEM, b"frames", "not-bytes", None), "key"),
    (request(codes.GET_ITEM, b"frames", b"k", [1, 2]), "parameters"),
    (request(codes.DEFINE_ATTRIBUTE_LIST, 999), "attribute list"),
    (request(codes.DEFINE_ATTRIBUTE_LIST_ID, [1, 2]), "attribute list"),
    (request(codes.PUT_ITEM, b"frames", b"k", b"\x19\x03\xe7", None), "attribute list"),
    (request(codes.GET_ITEM, b"frames", b"k", {codes.Param.ProjectionExpression: b"\x82\x01\x81\x82\x12\x05"}),
     "document path"),
])
def test_bad_arguments_are_validation_errors_and_the_connection_serves_on(node, bad, fragment):
    wire = opened(node).send(bad)
    error_codes, message, details = wire.items(3)
    assert error_codes == codes.dynamodb_error_codes("ValidationException")
    assert details[1:] == ["ValidationException", 400]
    assert fragment in message
    wire.send(GET_K)
    assert wire.items(1) == [[]]
    wire.close()


def test_unknown_table_is_resource_not_found(node):
    wire = opened(node).send(request(codes.DEFINE_KEY_SCHEMA, b"no-such-table"))
    error_codes, message, details = wire.items(3)
    assert error_codes == codes.dynamodb_error_codes("ResourceNotFoundException")
    assert (message, details[1]) == ("Requested resource not found", "ResourceNotFoundException")
    wire.send(request(codes.DEFINE_KEY_SCHEMA, b"frames"))
    assert wire.items(2) == [[], {"pk": "S"}]
    wire.close()
