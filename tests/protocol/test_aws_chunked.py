"""aws-chunked bodies: AWS's own signed example (SigV4 streaming, "Example: PUT Object" in the S3
documentation), tampering, truncation, and unsigned trailers."""

from __future__ import annotations

import asyncio
import hashlib
import hmac

import pytest

from regionbox.core.errors import ServiceError
from regionbox.protocol.aws_chunked import AwsChunkedBody, ChunkSignatures

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
CHUNKS = [(b"a" * 65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"),
          (b"a" * 1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"),
          (b"", "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9")]


def signing_key() -> bytes:
    key = ("AWS4" + SECRET).encode()
    for part in ("20130524", "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def framed(chunks) -> bytes:
    return b"".join(b"%x;chunk-signature=%s\r\n%s\r\n" % (len(data), sig.encode(), data) for data, sig in chunks)


async def _split(data: bytes, size: int):
    for start in range(0, len(data), size):
        yield data[start:start + size]


def decode(body: bytes, headers: dict, signatures=None, piece: int = 1000) -> tuple[bytes, dict]:
    async def run():
        decoded = AwsChunkedBody.of(_split(body, piece), headers, signatures)
        data = b"".join([chunk async for chunk in decoded])
        return data, decoded.trailers
    return asyncio.run(run())


SIGNED = {"x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "x-amz-decoded-content-length": "66560"}


def test_aws_documented_signed_example_decodes_and_verifies():
    signatures = ChunkSignatures(signing_key(), "20130524T000000Z", "20130524/us-east-1/s3/aws4_request", SEED)
    data, _ = decode(framed(CHUNKS), SIGNED, signatures)
    assert data == b"a" * 66560


@pytest.mark.parametrize("piece", [1, 7, 65536 + 3])
def test_a_tampered_chunk_is_refused_however_it_arrives(piece):
    signatures = ChunkSignatures(signing_key(), "20130524T000000Z", "20130524/us-east-1/s3/aws4_request", SEED)
    tampered = [(b"b" + CHUNKS[0][0][1:], CHUNKS[0][1]), *CHUNKS[1:]]
    with pytest.raises(ServiceError) as caught:
        decode(framed(tampered), SIGNED, signatures, piece)
    assert caught.value.code == "SignatureDoesNotMatch"


def test_truncated_and_overlong_bodies_are_incomplete():
    body = framed(CHUNKS)
    with pytest.raises(ServiceError) as caught:
        decode(body[:60000], SIGNED)
    assert caught.value.code == "IncompleteBody"
    with pytest.raises(ServiceError) as caught:
        decode(body, {**SIGNED, "x-amz-decoded-content-length": "100"})
    assert caught.value.code == "IncompleteBody"


def test_unsigned_payload_with_a_trailer():
    body = b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n"
    headers = {"x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "x-amz-trailer": "x-amz-checksum-crc32",
               "x-amz-decoded-content-length": "11"}
    data, trailers = decode(body, headers, piece=3)
    assert data == b"hello world" and trailers == {"x-amz-checksum-crc32": "DUoRhQ=="}
    with pytest.raises(ServiceError):
        decode(b"zz\r\nhello\r\n", headers)
