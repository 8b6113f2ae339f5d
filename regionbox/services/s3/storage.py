"""Object data on disk: one file per PUT or part, under ``<state dir>/s3/data``; nothing in memory.

A body larger than 64 KiB is written to ``tmp/`` as it arrives (hashed on the way: MD5 for the ETag and the
checksums asked for), and renamed into ``data/`` only once complete: a half-written upload is
never visible, and ``tmp/`` is emptied at start. Smaller bodies are kept in their catalog row. Data files never change after that, so a copy
is a hard link, and a multipart object is its parts' files in order (completing copies nothing).
Hashing and writing run off the event loop, a MiB at a time, one batch in flight while the next
arrives: a 5 GiB upload holds two MiB, not five GiB. A batch is the chunks as they came (bytes or
views of a receiver's buffers), hashed and written one by one: joining them first would copy every
byte once more.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
from pathlib import Path
from typing import AsyncIterable, AsyncIterator, Iterable

from regionbox.core.errors import ServiceError
from regionbox.services.s3.checksums import Checksum

BATCH = 1 << 20  # bytes hashed and written per step off the loop
READ = 1 << 20
INLINE = 64 * 1024  # bodies up to this size live in their catalog row


def too_large(limit: int) -> ServiceError:
    return ServiceError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400,
                        MaxSizeAllowed=str(limit))


class BodyWriter:
    """One body on its way to disk. A body no larger than ``inline`` bytes stays in memory and is
    stored in its catalog row instead (a file costs more than the 1 KiB it would hold)."""

    def __init__(self, files: "Files", algorithms: Iterable[str], inline: int = INLINE) -> None:
        self.files = files
        self.file_id = secrets.token_hex(16)
        self.tmp = os.path.join(files.tmp, self.file_id)
        self._inline_limit = inline
        self._buffer = bytearray()
        self._file = None
        self.md5 = hashlib.md5()
        self.checksums = {name: Checksum(name) for name in algorithms}
        self.size = 0
        self.inline: bytes | None = None

    def _write_all(self, chunks: list) -> None:
        for data in chunks:
            self._write(data)

    def _write(self, data: bytes) -> None:
        if self._file is None and len(self._buffer) + len(data) <= self._inline_limit:
            self._buffer += data
        else:
            if self._file is None:
                self._file = open(self.tmp, "wb")
                self._file.write(self._buffer)
                self._buffer = bytearray()
            self._file.write(data)
        self.md5.update(data)
        for checksum in self.checksums.values():
            checksum.update(data)

    async def consume(self, body: AsyncIterable[bytes], limit: int) -> None:
        pending: list[bytes] = []
        pending_size = 0
        in_flight: asyncio.Future | None = None
        loop = asyncio.get_running_loop()
        try:
            async for chunk in body:
                self.size += len(chunk)
                if self.size > limit:
                    raise too_large(limit)
                pending.append(chunk)
                pending_size += len(chunk)
                if pending_size >= BATCH:
                    if in_flight is not None:
                        await in_flight
                    in_flight = loop.run_in_executor(None, self._write_all, pending)
                    pending, pending_size = [], 0
        finally:
            if in_flight is not None:
                await in_flight
        self._write_all(pending)  # small bodies never leave the loop

    @property
    def etag(self) -> str:
        return f'"{self.md5.hexdigest()}"'

    def commit(self) -> list:
        """Move the complete body into place: its files ([[id, size]]), or none when it is kept
        inline (``self.inline``)."""
        if self._file is None and self._inline_limit:
            self.inline = bytes(self._buffer)
            return []
        if self._file is None:  # an empty body that must be a file (a part)
            self._file = open(self.tmp, "wb")
        self._file.close()
        os.replace(self.tmp, self.files.place(self.file_id))
        return [[self.file_id, self.size]]

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
            os.unlink(self.tmp) if os.path.exists(self.tmp) else None


class Files:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.tmp = root / "tmp"
        self.data.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self._made: set[str] = set()

    def path(self, file_id: str) -> Path:
        return self.data / file_id[:2] / file_id

    def place(self, file_id: str) -> str:
        """Where a new data file goes (its directory made once)."""
        directory = os.path.join(self.data, file_id[:2])
        if directory not in self._made:
            os.makedirs(directory, exist_ok=True)
            self._made.add(directory)
        return os.path.join(directory, file_id)

    def writer(self, algorithms: Iterable[str] = (), inline: int = INLINE) -> BodyWriter:
        return BodyWriter(self, algorithms, inline)

    def link(self, files: list) -> list:
        """New names for existing data (CopyObject, UploadPartCopy of a whole part): hard links."""
        linked = []
        for file_id, size in files:
            new_id = secrets.token_hex(16)
            os.link(self.path(file_id), self.place(new_id))
            linked.append([new_id, size])
        return linked

    def remove(self, file_ids: Iterable[str]) -> None:
        for file_id in file_ids:
            self.path(file_id).unlink(missing_ok=True)

    def clear_tmp(self) -> None:
        """Half-written bodies of a run that was killed: never visible, now gone."""
        for leftover in self.tmp.iterdir():
            leftover.unlink(missing_ok=True)

    def sweep(self, keep: set[str]) -> int:
        """Remove data files no row names (a crash between a commit and an unlink leaves some)."""
        removed = 0
        for directory in self.data.iterdir():
            for path in directory.iterdir():
                if path.name not in keep:
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed

    def wipe(self) -> None:
        for directory in (self.data, self.tmp):
            for path in directory.rglob("*"):
                if path.is_file():
                    path.unlink(missing_ok=True)
        self._made.clear()

    def read(self, files: list, start: int, end: int) -> "Stretch":
        """Bytes ``start``..``end`` (inclusive) of the data made of ``files`` ([[id, size], ...])."""
        pieces = []
        offset = 0
        for file_id, size in files:
            if offset + size > start and offset <= end:
                first = max(start, offset)
                pieces.append((str(self.path(file_id)), first - offset, min(end, offset + size - 1) - first + 1))
            offset += size
        return Stretch(pieces)


class Stretch:
    """A stretch of stored data: an async iterator of its bytes, a MiB at a time, or, for a sender
    that has the kernel copy files to its socket (os.sendfile), the pieces of files it is made of
    (``pieces``: path, offset, length), as long as nothing of it was read as bytes."""

    def __init__(self, pieces: list[tuple[str, int, int]]) -> None:
        self._pieces = pieces
        self._chunks: AsyncIterator[bytes] | None = None

    @property
    def pieces(self) -> list[tuple[str, int, int]] | None:
        return self._pieces if self._chunks is None else None

    def __aiter__(self) -> "Stretch":
        return self

    async def __anext__(self) -> bytes:
        if self._chunks is None:
            self._chunks = self._read()
        return await self._chunks.__anext__()

    async def aclose(self) -> None:
        if self._chunks is not None:
            await self._chunks.aclose()

    async def _read(self) -> AsyncIterator[bytes]:
        for path, offset, remaining in self._pieces:
            with open(path, "rb") as file:
                file.seek(offset)
                while remaining > 0:
                    chunk = file.read(min(READ, remaining))
                    if not chunk:
                        raise ServiceError("InternalError", "We encountered an internal error. Please try again.", 500)
                    remaining -= len(chunk)
                    yield chunk
