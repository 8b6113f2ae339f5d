"""A service for testing the kit itself, loaded by test clouds beside regionbox's own.

It speaks S3's wire protocol (botocore's s3 model, S3's dialect) so that a real boto3 client
drives the gateway's streaming paths: PutObject gets its body as a stream and writes it to disk,
GetObject answers with a stream read from disk. It also plugs in every kind of data plane: plain
HTTP by host, a WebSocket path, and a TCP and an HTTP listener placed in AZs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from regionbox.core.errors import ServiceError
from regionbox.core.listeners import Listener
from regionbox.core.registry import Entry
from regionbox.core.service import Service
from regionbox.protocol.http import HttpRequest, HttpResponse
from regionbox.services.s3 import DIALECT

ENTRY = Entry("tests.core.kit_service", hosts=("*.kit.localhost",), websocket_paths=("/kit-ws",))
CHUNK = 64 * 1024


@dataclass
class KitState:
    root: Path
    largest_chunk: int = 0
    chunks: int = 0
    listeners: dict[str, Listener] = field(default_factory=dict)


class Objects:
    def __init__(self, state: KitState) -> None:
        self.state = state

    def path(self, params: dict) -> Path:
        return self.state.root / params["Bucket"] / params["Key"].replace("/", "_")

    async def put_object(self, ctx, params: dict) -> dict:
        path = self.path(params)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as file:
            async for chunk in params["Body"]:
                self.state.chunks += 1
                self.state.largest_chunk = max(self.state.largest_chunk, len(chunk))
                file.write(chunk)
        return {"ETag": '"kit"'}

    def get_object(self, ctx, params: dict) -> dict:
        path = self.path(params)
        if not path.exists():
            raise ServiceError("NoSuchKey", "The specified key does not exist.", status=404)

        async def body():
            with open(path, "rb") as file:
                while chunk := file.read(CHUNK):
                    yield chunk
        return {"Body": body(), "ContentLength": os.path.getsize(path)}


async def greet(request: HttpRequest) -> HttpResponse:
    async def body():
        yield b"hello "
        yield request.host.split(".", 1)[0].encode()
    return HttpResponse(200, [("Content-Type", "text/plain")], body())


async def echo_websocket(scope, receive, send) -> None:
    message = await receive()
    assert message["type"] == "websocket.connect"
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        await send({"type": "websocket.send", "text": "echo: " + message.get("text", "")})


async def echo_tcp(reader, writer) -> None:
    while line := await reader.readline():
        writer.write(b"echo: " + line)
        await writer.drain()


async def hello_asgi(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello from " + scope["server"][0].encode()})


def load(cloud) -> Service:
    state = KitState(cloud.state_dir / "kit-objects")
    objects = Objects(state)

    async def start() -> None:
        state.listeners["tcp"] = await cloud.listeners.open_tcp(owner="s3", zone="us-east-1a", port=7000, handle=echo_tcp)
        state.listeners["http"] = await cloud.listeners.open_http(owner="s3", zone="us-east-1b", port=8080, app=hello_asgi)

    async def stop() -> None:
        await cloud.listeners.close_owner("s3")

    return Service(
        name="s3",
        operations={"PutObject": objects.put_object, "GetObject": objects.get_object},
        not_implemented={"DeleteObject": "the kit's test service keeps what it is given"},
        dialect=DIALECT,
        api=state,
        http=greet,
        websocket=echo_websocket,
        start=start,
        stop=stop,
    )
