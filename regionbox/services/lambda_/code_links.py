"""Where GetFunction and GetLayerVersion say a package can be downloaded (``Code.Location``):
on AWS a presigned S3 URL valid for 10 minutes; here a signed link to the cloud's own port,
``/_lambda/code/<token>``, that serves the zip as it was uploaded."""

from __future__ import annotations

import time
from pathlib import Path
from typing import AsyncIterator

from regionbox.core.pagination import InvalidToken, Paginator
from regionbox.core.store import Scope
from regionbox.protocol.http import HttpRequest, HttpResponse

PATH = "/_lambda/code/"
LIFETIME = 600


class CodeLinks:
    def __init__(self, root: Path, paginator: Paginator, endpoint: str) -> None:
        self.root = root
        self.paginator = paginator  # signs the links
        self.endpoint = endpoint

    def location(self, scope: Scope, name: str, key: str, layer: bool = False) -> str:
        kind = "layers" if layer else "functions"
        token = self.paginator.encode({"p": f"{kind}/{scope[0]}/{scope[1]}/{name}/{key}.zip", "e": int(time.time()) + LIFETIME})
        return f"{self.endpoint}{PATH}{token}"

    async def serve(self, request: HttpRequest) -> HttpResponse:
        try:
            payload = self.paginator.decode(request.path[len(PATH):])
            if payload["e"] < time.time():
                raise InvalidToken("expired")
            path = self.root / payload["p"]
            size = path.stat().st_size
        except (InvalidToken, KeyError, TypeError, OSError):
            body = b"<Error><Code>AccessDenied</Code><Message>Request has expired or is invalid</Message></Error>"
            return HttpResponse(403, [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))], body)
        return HttpResponse(200, [("Content-Type", "application/zip"), ("Content-Length", str(size))], _chunks(path))


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    with open(path, "rb") as source:
        while chunk := source.read(1 << 20):
            yield chunk
