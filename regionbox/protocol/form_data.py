"""multipart/form-data request bodies, parsed as they stream (browser form uploads: S3's POST
Object). Fields before the file are small and read whole; the file part's content is handed on
as chunks, never held.
"""

from __future__ import annotations

from typing import AsyncIterable, AsyncIterator

from regionbox.core.errors import ServiceError

FIELD_LIMIT = 1024 * 1024  # the text fields of a form together


def malformed() -> ServiceError:
    return ServiceError("MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.", 400)


def boundary_of(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "boundary" and value:
            return value.strip('"')
    raise malformed()


class Part:
    def __init__(self, headers: dict[str, str], reader: "FormReader") -> None:
        self.headers = headers
        self._reader = reader
        disposition = headers.get("content-disposition", "")
        self.name = _param(disposition, "name") or ""
        self.filename = _param(disposition, "filename")

    def content(self) -> AsyncIterator[bytes]:
        return self._reader._content()

    async def text(self, limit: int = FIELD_LIMIT) -> str:
        data = b""
        async for chunk in self.content():
            data += chunk
            if len(data) > limit:
                raise ServiceError("MaxPostPreDataLengthExceeded", "Your POST request fields preceeding the upload file "
                                   "was too large.", 400)
        return data.decode("utf-8", "replace")


def _param(header: str, name: str) -> str | None:
    for item in header.split(";")[1:]:
        key, _, value = item.strip().partition("=")
        if key.lower() == name:
            return value.strip().strip('"')
    return None


class FormReader:
    """``async for part in FormReader(stream, boundary)``: read each part's content before the next."""

    def __init__(self, stream: AsyncIterable[bytes], boundary: str) -> None:
        self._source = stream.__aiter__()
        self._delimiter = b"\r\n--" + boundary.encode("latin-1")
        self._buffer = b"\r\n"  # the first delimiter has no CRLF before it
        self._done = False
        self._in_content = False

    async def _more(self) -> bool:
        try:
            self._buffer += await self._source.__anext__()
            return True
        except StopAsyncIteration:
            return False

    async def __aiter__(self) -> AsyncIterator[Part]:
        # the preamble, up to the first delimiter
        while (at := self._buffer.find(self._delimiter)) < 0:
            if not await self._more():
                raise malformed()
        self._buffer = self._buffer[at + len(self._delimiter):]
        while True:
            while len(self._buffer) < 2:
                if not await self._more():
                    raise malformed()
            if self._buffer.startswith(b"--"):
                return  # the closing delimiter
            while (end := self._buffer.find(b"\r\n\r\n")) < 0:
                if len(self._buffer) > 16384 or not await self._more():
                    raise malformed()
            lines = self._buffer[:end].decode("utf-8", "replace").split("\r\n")
            self._buffer = self._buffer[end + 4:]
            headers = {}
            for line in lines[1:] if lines and not lines[0] else lines:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            self._in_content = True
            part = Part(headers, self)
            yield part
            if self._in_content:  # the caller skipped it
                async for _ in self._content():
                    pass

    async def _content(self) -> AsyncIterator[bytes]:
        keep = len(self._delimiter) - 1
        while True:
            at = self._buffer.find(self._delimiter)
            if at >= 0:
                if at:
                    yield self._buffer[:at]
                self._buffer = self._buffer[at + len(self._delimiter):]
                self._in_content = False
                return
            if len(self._buffer) > keep:
                chunk, self._buffer = self._buffer[:-keep], self._buffer[-keep:]
                yield chunk
            if not await self._more():
                raise malformed()
