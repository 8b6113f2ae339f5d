"""Event-stream framing against botocore's own decoder: prelude, headers, payload and both CRCs,
and a response body whose handler ends it with a modeled exception or any other error."""

from __future__ import annotations

import asyncio

import botocore.session
from botocore.eventstream import EventStreamBuffer

from regionbox.core.errors import ServiceError
from regionbox.protocol import eventstream

STREAM = botocore.session.get_session().get_service_model("logs").shape_for("StartLiveTailResponseStream")


def decode(data: bytes) -> list:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


def test_messages_decode_with_botocore_and_carry_their_crcs():
    message = eventstream.event_message("sessionUpdate", b'{"sessionResults":[]}', "application/json")
    (decoded,) = decode(message)
    assert decoded.headers == {":message-type": "event", ":event-type": "sessionUpdate",
                               ":content-type": "application/json"}
    assert decoded.payload == b'{"sessionResults":[]}'
    corrupt = bytearray(message)
    corrupt[-6] ^= 0xFF  # a byte of the payload: the message CRC no longer matches
    try:
        decode(bytes(corrupt))
    except Exception as error:  # noqa: BLE001 - botocore's ChecksumMismatch
        assert type(error).__name__ == "ChecksumMismatch"
    else:
        raise AssertionError("a corrupted message decoded")


def _body(events, error: Exception | None) -> bytes:
    async def produce():
        for event in events:
            yield event
        if error is not None:
            raise error

    async def collect() -> bytes:
        chunks = []
        async for chunk in eventstream.response_body(STREAM, produce(), lambda shape, value: repr(value).encode(),
                                                     "application/json", initial=b"{}"):
            chunks.append(chunk)
        return b"".join(chunks)
    return asyncio.run(collect())


def test_a_stream_starts_with_the_initial_response_and_ends_with_its_error():
    messages = decode(_body([{"sessionStart": {"sessionId": "s"}}],
                            ServiceError("SessionTimeoutException", "timed out")))
    assert [m.headers.get(":event-type") or m.headers[":message-type"] for m in messages] == [
        "initial-response", "sessionStart", "exception"]
    assert messages[-1].headers[":exception-type"] == "SessionTimeoutException"
    unmodeled = decode(_body([], ServiceError("ThrottlingException", "slow down")))[-1]
    assert (unmodeled.headers[":message-type"], unmodeled.headers[":error-code"], unmodeled.headers[":error-message"]) == (
        "error", "ThrottlingException", "slow down")


def test_a_rest_json_payload_stream_sends_its_blob_events_raw_and_the_rest_as_headers():
    from regionbox.protocol.restjson import Serializer

    model = botocore.session.get_session().get_service_model("lambda")
    operation = model.operation_model("InvokeWithResponseStream")

    async def events():
        yield {"PayloadChunk": {"Payload": b"\x00raw bytes"}}
        yield {"InvokeComplete": {"LogResult": "dGFpbA=="}}

    response = Serializer(model).serialize_response(operation, {"StatusCode": 200, "ExecutedVersion": "$LATEST",
                                                                "EventStream": events()}, "rid")

    async def collect() -> bytes:
        return b"".join([chunk async for chunk in response.body])

    assert response.status == 200
    assert response.header("Content-Type") == eventstream.CONTENT_TYPE
    assert response.header("X-Amz-Executed-Version") == "$LATEST"
    chunk, complete = decode(asyncio.run(collect()))
    assert (chunk.headers[":event-type"], chunk.payload) == ("PayloadChunk", b"\x00raw bytes")
    assert complete.headers[":event-type"] == "InvokeComplete" and complete.payload == b'{"LogResult":"dGFpbA=="}'
