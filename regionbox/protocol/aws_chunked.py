"""SigV4 streaming bodies: ``Content-Encoding: aws-chunked``, decoded while they arrive.

A client that does not know (or will not hash ahead) the whole payload sends it framed:
``<hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n`` ... a last chunk of size 0, then trailing
headers (``x-amz-checksum-crc32:<b64>``, and ``x-amz-trailer-signature`` when signed) and a blank
line. ``x-amz-content-sha256`` says which kind it is:

- ``STREAMING-UNSIGNED-PAYLOAD-TRAILER`` (boto3, the CLI): no chunk signatures, a checksum trailer;
- ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD`` (Java, Go SDKs): each chunk signed, chained from the
  request's own signature; ``...-PAYLOAD-TRAILER`` adds a signed trailer.

The decoder yields the payload as it comes, checks ``x-amz-decoded-content-length`` and, when the
gateway verified the request's signature (a key regionbox issued), every chunk signature. The
trailers (checksums) are there for the service once the body has been read.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import AsyncIterable, AsyncIterator

from regionbox.core.errors import ServiceError

STREAMING_PREFIX = "STREAMING-"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_LINE_LIMIT = 4096  # a chunk header or a trailer line longer than this is not one


def incomplete() -> ServiceError:
    return ServiceError("IncompleteBody", "The request body terminated unexpectedly", 400)


def malformed() -> ServiceError:
    return ServiceError("InvalidRequest", "The aws-chunked body is malformed.", 400)


def bad_signature() -> ServiceError:
    return ServiceError("SignatureDoesNotMatch",
                        "The request signature we calculated does not match the signature you provided. Check your key "
                        "and signing method.", 403)


@dataclass
class ChunkSignatures:
    """What verifies a signed stream's chunks: the request's signing key and scope, and the
    signature each chunk chains from (the request's own signature first)."""

    key: bytes
    amz_date: str
    scope: str  # "20130524/us-east-1/s3/aws4_request"
    previous: str

    def expect(self, data_sha256: str, signature: str) -> None:
        string_to_sign = "\n".join(("AWS4-HMAC-SHA256-PAYLOAD", self.amz_date, self.scope, self.previous,
                                    EMPTY_SHA256, data_sha256))
        self._chain(string_to_sign, signature)

    def expect_trailer(self, trailer_text: bytes, signature: str) -> None:
        string_to_sign = "\n".join(("AWS4-HMAC-SHA256-TRAILER", self.amz_date, self.scope, self.previous,
                                    hashlib.sha256(trailer_text).hexdigest()))
        self._chain(string_to_sign, signature)

    def _chain(self, string_to_sign: str, signature: str) -> None:
        expected = hmac.new(self.key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature or ""):
            raise bad_signature()
        self.previous = expected


def is_chunked(headers: dict[str, str]) -> bool:
    encodings = [item.strip().lower() for item in headers.get("content-encoding", "").split(",")]
    return "aws-chunked" in encodings or headers.get("x-amz-content-sha256", "").startswith(STREAMING_PREFIX)


def without_aws_chunked(headers: dict[str, str]) -> dict[str, str]:
    """The headers as the service sees them: aws-chunked is transport framing, not a content
    encoding of the object (S3 does not store it)."""
    kept = [item.strip() for item in headers.get("content-encoding", "").split(",")
            if item.strip() and item.strip().lower() != "aws-chunked"]
    result = dict(headers)
    if kept:
        result["content-encoding"] = ",".join(kept)
    else:
        result.pop("content-encoding", None)
    return result


class AwsChunkedBody:
    """The payload of an aws-chunked body as an async iterator of chunks, read once."""

    def __init__(self, source: AsyncIterable[bytes], decoded_length: int | None = None,
                 signatures: ChunkSignatures | None = None) -> None:
        self._source = source
        self.decoded_length = decoded_length
        self._signatures = signatures
        self.received = 0
        self.trailers: dict[str, str] = {}
        self.announced: tuple[str, ...] = ()  # trailer names x-amz-trailer promises, known before the body

    @classmethod
    def of(cls, source: AsyncIterable[bytes], headers: dict[str, str],
           signatures: ChunkSignatures | None = None) -> "AwsChunkedBody":
        declared = headers.get("x-amz-decoded-content-length")
        try:
            length = int(declared) if declared is not None else None
        except ValueError:
            raise malformed() from None
        signed = headers.get("x-amz-content-sha256", "").startswith("STREAMING-AWS4-HMAC-SHA256")
        body = cls(source, length, signatures if signed else None)
        body.announced = tuple(name.strip().lower() for name in headers.get("x-amz-trailer", "").split(",") if name.strip())
        return body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        upstream = self._source.__aiter__()
        data, pos = b"", 0

        async def more() -> bytes:
            try:
                return await upstream.__anext__()
            except StopAsyncIteration:
                raise incomplete() from None

        async def line() -> bytes:
            nonlocal data, pos
            while (end := data.find(b"\r\n", pos)) < 0:
                if len(data) - pos > _LINE_LIMIT:
                    raise malformed()
                data = data[pos:] + await more()
                pos = 0
            text, pos = data[pos:end], end + 2
            return text

        while True:
            size_text, _, extension = (await line()).partition(b";")
            try:
                size = int(size_text.strip(), 16)
            except ValueError:
                raise malformed() from None
            signature = extension.partition(b"chunk-signature=")[2].strip().decode("latin-1")
            digest = hashlib.sha256() if self._signatures is not None else None
            remaining = size
            while remaining:
                if pos >= len(data):
                    data, pos = await more(), 0
                piece = data[pos:pos + remaining]
                pos += len(piece)
                remaining -= len(piece)
                self.received += len(piece)
                if self.decoded_length is not None and self.received > self.decoded_length:
                    raise incomplete()
                if digest is not None:
                    digest.update(piece)
                yield piece
            if digest is not None:
                self._signatures.expect(digest.hexdigest(), signature)
            if size == 0:
                break
            if await line() != b"":
                raise malformed()
        await self._read_trailers(line)
        if self.decoded_length is not None and self.received != self.decoded_length:
            raise incomplete()

    async def _read_trailers(self, line) -> None:
        signed_text = b""
        trailer_signature = None
        while True:
            try:
                text = await line()
            except ServiceError:
                if self.trailers or trailer_signature is not None:
                    raise
                return  # no trailer and no final CRLF: some clients end right after the last chunk
            if not text:
                break
            name, colon, value = text.partition(b":")
            if not colon:
                raise malformed()
            key = name.strip().lower().decode("latin-1")
            if key == "x-amz-trailer-signature":
                trailer_signature = value.strip().decode("latin-1")
                continue
            signed_text += text.strip() + b"\n"
            self.trailers[key] = value.strip().decode("latin-1")
        if self._signatures is not None and trailer_signature is not None:
            self._signatures.expect_trailer(signed_text, trailer_signature)
