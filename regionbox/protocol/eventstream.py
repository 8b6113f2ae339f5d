"""Event streams (``application/vnd.amazon.eventstream``): the binary framing AWS uses for
responses that go on sending (Logs StartLiveTail, S3 SelectObjectContent, Transcribe ...).

A message is::

    [total length: uint32][headers length: uint32][prelude CRC32: uint32]
    [headers][payload][message CRC32: uint32]

big-endian; the prelude CRC covers the first 8 bytes, the message CRC everything before it. A
header is ``[name length: uint8][name][type: uint8][value]``; regionbox writes only strings
(type 7: ``[length: uint16][UTF-8]``), which is all an AWS response stream uses.

Every response stream is a series of messages:

- ``:message-type event``, ``:event-type NAME``, ``:content-type``: one member of the stream's
  union (``sessionUpdate``), its payload the member's structure in the protocol's encoding;
- the JSON protocols first send an ``initial-response`` event holding the output's other
  members (botocore refuses a stream that does not start with it);
- ``:message-type exception``, ``:exception-type CODE``: a modeled error of the stream (the
  union lists it), which ends the stream;
- ``:message-type error``, ``:error-code``, ``:error-message``: any other error, also the end.

``response_body`` turns a handler's async iterator of ``{member: value}`` events into the
chunks the gateway sends one by one as they come; a ``ServiceError`` the iterator raises becomes
the stream's closing exception or error message.
"""

from __future__ import annotations

import logging
import struct
import zlib
from typing import Any, AsyncIterable, AsyncIterator, Callable

from botocore.model import Shape

from regionbox.core.errors import ServiceError

log = logging.getLogger("regionbox.protocol.eventstream")

CONTENT_TYPE = "application/vnd.amazon.eventstream"
_STRING = 7
_PRELUDE = struct.Struct(">II")
_CRC = struct.Struct(">I")

# Encodes one structure of the stream (an event or an error shape) as the protocol's payload.
EncodePayload = Callable[[Shape, dict], bytes]


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return bytes([len(raw_name)]) + raw_name + bytes([_STRING]) + struct.pack(">H", len(raw_value)) + raw_value


def encode_message(headers: list[tuple[str, str]], payload: bytes) -> bytes:
    """One event-stream message: prelude, headers, payload and both CRCs."""
    raw_headers = b"".join(_header(name, value) for name, value in headers)
    total = _PRELUDE.size + _CRC.size + len(raw_headers) + len(payload) + _CRC.size
    prelude = _PRELUDE.pack(total, len(raw_headers))
    message = prelude + _CRC.pack(zlib.crc32(prelude)) + raw_headers + payload
    return message + _CRC.pack(zlib.crc32(message))


def event_message(event_type: str, payload: bytes, content_type: str) -> bytes:
    return encode_message([(":message-type", "event"), (":event-type", event_type),
                           (":content-type", content_type)], payload)


def error_message(stream_shape: Shape, error: ServiceError, encode: EncodePayload, content_type: str) -> bytes:
    """The message that ends a stream with ``error``: a modeled exception of the stream's union
    when it lists the code, else a generic error message."""
    modeled = stream_shape.members.get(error.code)
    if modeled is not None and modeled.metadata.get("exception"):
        return encode_message([(":message-type", "exception"), (":exception-type", error.code),
                               (":content-type", content_type)],
                              encode(modeled, {"message": error.message, **error.fields}))
    return encode_message([(":message-type", "error"), (":error-code", error.code),
                           (":error-message", error.message)], b"")


async def response_body(stream_shape: Shape, events: AsyncIterable[dict[str, Any]], encode: EncodePayload,
                        content_type: str, initial: bytes | None = None) -> AsyncIterator[bytes]:
    """The chunks of a response stream: ``initial`` (the JSON protocols' initial-response
    payload) first, then each event as the handler yields it, then the error that ended it, if
    one did. Closing this iterator (the client went away) closes the handler's."""
    if initial is not None:
        yield event_message("initial-response", initial, content_type)
    iterator = events.__aiter__()
    try:
        async for event in iterator:
            for name, value in event.items():
                member = stream_shape.members[name]
                yield event_message(name, encode(member, value), content_type)
    except ServiceError as error:
        yield error_message(stream_shape, error, encode, content_type)
    except Exception:  # noqa: BLE001 - the status is sent: the stream ends with AWS's internal error
        log.exception("an event stream failed")
        yield error_message(stream_shape, ServiceError("InternalFailure", "An internal error occurred."), encode,
                            content_type)
    finally:
        close = getattr(iterator, "aclose", None)
        if close is not None:
            await close()
