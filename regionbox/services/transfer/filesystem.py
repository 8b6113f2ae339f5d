"""A user's files: S3 objects seen as a file system, with S3's semantics as AWS documents them for
Transfer Family. Shared by the SFTP and FTP servers.

- A directory is a prefix: the zero-byte object "key/" (what mkdir makes) or any key below it.
- Files are written sequentially and appear whole when closed (a dropped upload leaves nothing).
- rename is of files only (CopyObject then DeleteObject), and never over an existing file.
- rmdir only of an empty directory; no chmod/chown (SETSTAT) unless the server says to ignore it.
- What the user may do is what their role and session policy allow in S3 (IAM, evaluated as the
  role's session), and S3 itself adds the bucket policy: anything refused is "permission denied".

Uploads carry the metadata AWS sets: user-agent "AWSTransfer" and user-agent-id "user@server".
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import AsyncIterator

from regionbox.core.errors import ServiceError
from regionbox.services.transfer.paths import BadPath, Location, View, Virtual, normalize

FILE_EXISTS = "File already exists"


class FsError(Exception):
    """A file operation refused: ``kind`` says how each protocol reports it."""

    NO_SUCH_FILE = "no such file"
    PERMISSION_DENIED = "permission denied"
    FAILURE = "failure"
    UNSUPPORTED = "operation unsupported"

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def no_such_file(path: str) -> FsError:
    return FsError(FsError.NO_SUCH_FILE, f"No such file or directory: {path}")


def denied() -> FsError:
    return FsError(FsError.PERMISSION_DENIED, "Permission denied")


@dataclass(frozen=True)
class Entry:
    name: str
    is_dir: bool
    size: int = 0
    mtime: float = 0.0


def _from_s3(error: ServiceError, path: str) -> FsError:
    if error.code in ("NoSuchKey", "NoSuchBucket", "NotFound", "404"):
        return no_such_file(path)
    if error.code in ("AccessDenied", "AllAccessDisabled"):
        return denied()
    return FsError(FsError.FAILURE, error.message or error.code)


@dataclass
class Session:
    """Who is logged in and as what: their view, the S3 caller of their role's session, and how
    IAM is asked about it."""

    account: str
    region: str
    user_name: str
    server_id: str
    session_id: str
    view: View
    caller: object  # regionbox.core.context.Caller of the role's session
    authorize: object  # (action, resource arn, context) -> bool
    set_stat_no_op: bool = False


class Files:
    def __init__(self, session: Session, s3) -> None:
        self.session = session
        self.s3 = s3
        self.cwd = session.view.home

    # -- paths ------------------------------------------------------------------------------------
    def absolute(self, path: str) -> str:
        try:
            return normalize(path, self.cwd)
        except BadPath:
            raise no_such_file(path) from None

    def locate(self, path: str) -> tuple[str, Location | Virtual]:
        clean = self.absolute(path)
        found = self.session.view.resolve(clean)
        if found is None:
            raise no_such_file(clean)
        return clean, found

    def _allowed(self, action: str, location: Location, context: dict | None = None, bucket_only: bool = False) -> None:
        arn = f"arn:aws:s3:::{location.bucket}" + ("" if bucket_only else f"/{location.key}")
        if not self.session.authorize(action, arn, context or {}):
            raise denied()

    def _s3(self, name: str, *args, **kwargs):
        s = self.session
        return getattr(self.s3, name)(s.account, *args, region=s.region, caller=s.caller, **kwargs)

    # -- reading the tree -------------------------------------------------------------------------
    def _is_dir(self, location: Location) -> bool:
        if location.file_mapping:
            return False
        if not location.key:
            return self.s3.bucket(location.bucket, self.session.region) is not None
        self._allowed("s3:ListBucket", location, {"s3:prefix": location.prefix}, bucket_only=True)
        try:
            listed = self._s3("list_objects", location.bucket, prefix=location.prefix, limit=1)
        except ServiceError as error:
            raise _from_s3(error, location.key) from None
        return bool(listed.objects or listed.common_prefixes)

    def stat(self, path: str) -> Entry:
        clean, found = self.locate(path)
        name = clean.rsplit("/", 1)[-1]
        if isinstance(found, Virtual) or self.session.view.always_a_directory(clean):
            return Entry(name, True)
        if found.key and not found.key.endswith("/"):
            try:
                self._allowed("s3:GetObject", found)
                info = self._s3("head_object", found.bucket, found.key)
                return Entry(name, False, info.size, info.last_modified)
            except FsError as error:
                if error.kind != FsError.PERMISSION_DENIED:
                    raise
            except ServiceError as error:
                if error.code not in ("NoSuchKey", "NotFound", "404", "AccessDenied"):
                    raise _from_s3(error, clean) from None
        if self._is_dir(found):
            return Entry(name, True)
        raise no_such_file(clean)

    def listdir(self, path: str) -> list[Entry]:
        clean, found = self.locate(path)
        entries: dict[str, Entry] = {}
        for name, is_file in self.session.view.children(clean):
            entries[name] = Entry(name, not is_file)
        if isinstance(found, Location):
            if found.file_mapping:
                raise FsError(FsError.FAILURE, f"Not a directory: {clean}")
            self._allowed("s3:ListBucket", found, {"s3:prefix": found.prefix, "s3:delimiter": "/"}, bucket_only=True)
            token = None
            while True:
                try:
                    listed = self._s3("list_objects", found.bucket, prefix=found.prefix, delimiter="/", token=token)
                except ServiceError as error:
                    raise _from_s3(error, clean) from None
                for item in listed.objects:
                    name = item.key[len(found.prefix):]
                    if name:  # "" is the directory's own marker object
                        entries.setdefault(name, Entry(name, False, item.size, item.last_modified))
                for prefix in listed.common_prefixes:
                    name = prefix[len(found.prefix):].rstrip("/")
                    if name:
                        entries.setdefault(name, Entry(name, True))
                token = listed.next_token
                if not token:
                    break
            if not entries and found.key and not self.session.view.always_a_directory(clean) and not self._is_dir(found):
                raise no_such_file(clean)
        return sorted(entries.values(), key=lambda e: e.name)

    def change_directory(self, path: str) -> str:
        clean = self.absolute(path)
        if not self.stat(clean).is_dir:
            raise FsError(FsError.FAILURE, f"Not a directory: {clean}")
        self.cwd = clean
        return clean

    # -- files ------------------------------------------------------------------------------------
    def _file(self, path: str) -> tuple[str, Location]:
        clean, found = self.locate(path)
        if isinstance(found, Virtual) or not found.key:
            raise FsError(FsError.FAILURE, f"Is a directory: {clean}")
        return clean, found

    async def open_read(self, path: str, offset: int = 0) -> "Download":
        clean, found = self._file(path)
        self._allowed("s3:GetObject", found)
        download = Download(self, clean, found)
        await download.seek(offset)
        return download

    def open_write(self, path: str) -> "Upload":
        clean, found = self._file(path)
        if found.key.endswith("/"):
            raise FsError(FsError.FAILURE, f"Is a directory: {clean}")
        self._allowed("s3:PutObject", found)
        return Upload(self, clean, found)

    async def remove(self, path: str) -> None:
        clean, found = self._file(path)
        self._allowed("s3:DeleteObject", found)
        if self.stat(clean).is_dir:
            raise FsError(FsError.FAILURE, f"Is a directory: {clean}")
        try:
            await self._s3("delete_object", found.bucket, found.key)
        except ServiceError as error:
            raise _from_s3(error, clean) from None

    def _must_be_free(self, clean: str) -> None:
        """Nothing is at ``clean`` yet (mkdir and rename never replace what is there)."""
        try:
            self.stat(clean)
        except FsError as error:
            if error.kind != FsError.NO_SUCH_FILE:
                raise
        else:
            raise FsError(FsError.FAILURE, FILE_EXISTS)

    async def mkdir(self, path: str) -> None:
        clean, found = self._file(path)
        self._must_be_free(clean)
        marker = Location(found.bucket, found.prefix)
        self._allowed("s3:PutObject", marker)
        try:
            await self._s3("put_object", found.bucket, found.prefix, b"", metadata=self.metadata())
        except ServiceError as error:
            raise _from_s3(error, clean) from None

    async def rmdir(self, path: str) -> None:
        clean, found = self._file(path)
        if not self.stat(clean).is_dir:
            raise FsError(FsError.FAILURE, f"Not a directory: {clean}")
        listed = self._s3("list_objects", found.bucket, prefix=found.prefix, limit=2)
        if listed.common_prefixes or any(o.key != found.prefix for o in listed.objects):
            raise FsError(FsError.FAILURE, "Directory not empty")
        marker = Location(found.bucket, found.prefix)
        self._allowed("s3:DeleteObject", marker)
        try:
            await self._s3("delete_object", found.bucket, found.prefix)
        except ServiceError as error:
            raise _from_s3(error, clean) from None

    async def rename(self, old: str, new: str) -> None:
        old_clean, source = self._file(old)
        new_clean, target = self._file(new)
        if self.stat(old_clean).is_dir:
            raise FsError(FsError.UNSUPPORTED, "Renaming directories is not supported")
        self._must_be_free(new_clean)
        self._allowed("s3:GetObject", source)
        self._allowed("s3:PutObject", target)
        self._allowed("s3:DeleteObject", source)
        try:
            await self._s3("copy_object", source.bucket, source.key, target.bucket, target.key)
            await self._s3("delete_object", source.bucket, source.key)
        except ServiceError as error:
            raise _from_s3(error, old_clean) from None

    def setstat(self, path: str) -> None:
        """chmod, chown, utime: S3 keeps none of them. Refused, or ignored when the server's
        SetStatOption is ENABLE_NO_OP."""
        self.stat(path)
        if not self.session.set_stat_no_op:
            raise FsError(FsError.UNSUPPORTED, "SETSTAT is not supported by Amazon S3")

    def metadata(self) -> dict[str, str]:
        return {"user-agent": "AWSTransfer", "user-agent-id": f"{self.session.user_name}@{self.session.server_id}"}


class Download:
    """An object read from an offset on: one GetObject stream, started again (ranged) when the
    client reads elsewhere than where the last read ended. A read is sliced out of the chunk the
    stream gave (one copy; SFTP clients read 32 KiB at a time out of 1 MiB chunks).

    An object kept in files (all but the smallest) is read from them directly instead: SFTP's
    reads (256 KiB each from OpenSSH, any offset) are each one pread into the bytes sent, not a
    read of a MiB sliced (and joined across chunks) into them. The files are opened once, so a
    download sees the object it opened even if it is replaced meanwhile, as the stream does.
    FTP's RETR sends the files' ``pieces`` (os.sendfile) or the stream's chunks."""

    def __init__(self, files: Files, path: str, location: Location) -> None:
        self.files = files
        self.path = path
        self.location = location
        self.size = 0
        self.position = 0
        self.sent = 0
        self._stream: AsyncIterator[bytes] | None = None
        self._chunk = b""  # the stream's last chunk, and how much of it was read
        self._at = 0
        self._ended = False
        self._extents: list[tuple[int, int, int, int]] | None = None  # (object offset, fd, file offset, length)

    async def seek(self, offset: int) -> None:
        await self._close_stream()
        self._close_files()
        self.position = offset
        self._chunk, self._at = b"", 0
        try:
            info = self.files._s3("head_object", self.location.bucket, self.location.key)
            self.size = info.size
            self._ended = offset >= info.size
            if not self._ended:
                _, self._stream = await self.files._s3("get_object", self.location.bucket, self.location.key,
                                                       first=offset)
        except ServiceError as error:
            raise _from_s3(error, self.path) from None

    async def read(self, offset: int, size: int) -> bytes:
        if self._extents is None and not self._chunk:
            self._open_files()
        if self._extents and offset >= self._extents[0][0]:
            data = self._pread(offset, size)
            self.position = offset + len(data)
            self.sent += len(data)
            return data
        if offset != self.position:
            await self.seek(offset)
        parts: list[bytes] = []
        wanted = size
        while wanted > 0:
            if self._at >= len(self._chunk):
                if not await self._next():
                    break
                continue
            part = self._chunk[self._at:self._at + wanted]
            self._at += len(part)
            wanted -= len(part)
            parts.append(part)
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        self.position += len(data)
        self.sent += len(data)
        return data

    def _open_files(self) -> None:
        """Read from here on from the files the stream is made of, if it is (else from the stream)."""
        pieces = None if self._ended else getattr(self._stream, "pieces", None)
        self._extents = []
        at = self.position
        try:
            for path, offset, length in pieces or ():
                self._extents.append((at, os.open(path, os.O_RDONLY | os.O_CLOEXEC), offset, length))
                at += length
        except OSError:
            raise no_such_file(self.path) from None

    def _pread(self, offset: int, size: int) -> bytes:
        parts: list[bytes] = []
        for start, fd, at, length in self._extents:
            if size <= 0:
                break
            if offset >= start + length:
                continue
            wanted = min(size, start + length - offset)
            part = os.pread(fd, wanted, at + offset - start)
            if len(part) < wanted:
                raise FsError(FsError.FAILURE, "The object's data ended early")
            parts.append(part)
            offset += wanted
            size -= wanted
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _close_files(self) -> None:
        extents, self._extents = self._extents, None
        for _, fd, _, _ in extents or ():
            os.close(fd)

    async def _next(self) -> bool:
        """The stream's next chunk; False at its end."""
        if self._ended:
            return False
        try:
            self._chunk, self._at = await self._stream.__anext__(), 0
        except StopAsyncIteration:
            self._ended = True
            return False
        return True

    def pieces(self) -> list[tuple[str, int, int]] | None:
        """The rest of the object as pieces of S3's files (path, offset, length), for os.sendfile;
        None when it is not in files or was partly read as bytes."""
        if self._ended:
            return None
        return getattr(self._stream, "pieces", None) if not self._chunk else None

    async def chunks(self) -> AsyncIterator[bytes]:
        """The rest of the object as it comes (FTP's RETR)."""
        while self._at < len(self._chunk) or await self._next():
            data = self._chunk[self._at:] if self._at else self._chunk
            self._at = len(self._chunk)
            self.sent += len(data)
            yield data

    async def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None and hasattr(stream, "aclose"):
            await stream.aclose()

    async def close(self) -> None:
        self._close_files()
        await self._close_stream()


class Upload:
    """An object being written: the bytes go to S3's PutObject as they arrive, and the object
    appears when the upload is closed; one aborted (a dropped connection) never appears."""

    QUEUED = 64  # chunks in flight before a writer waits for S3

    def __init__(self, files: Files, path: str, location: Location) -> None:
        self.files = files
        self.path = path
        self.location = location
        self.received = 0
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue(self.QUEUED)
        self._task = asyncio.get_running_loop().create_task(self._put())
        self.info = None

    async def _body(self) -> AsyncIterator[bytes]:
        while True:
            chunk = await self._queue.get()
            if chunk is None:
                return
            yield chunk

    async def _put(self):
        loc = self.location
        return await self.files._s3("put_object", loc.bucket, loc.key, self._body(), metadata=self.files.metadata())

    async def write(self, offset: int, data: bytes) -> None:
        if offset != self.received:
            raise FsError(FsError.FAILURE, "Amazon S3 storage only accepts sequential writes")
        if self._task.done():
            self._failed()
        if self._queue.full():
            put = asyncio.ensure_future(self._queue.put(data))
            await asyncio.wait({put, self._task}, return_when=asyncio.FIRST_COMPLETED)
            if not put.done():
                put.cancel()
                self._failed()
        else:
            self._queue.put_nowait(data)
        self.received += len(data)

    def _failed(self) -> None:
        error = self._task.exception() if not self._task.cancelled() else None
        if isinstance(error, ServiceError):
            raise _from_s3(error, self.path)
        raise FsError(FsError.FAILURE, f"upload failed: {error}")

    async def close(self):
        """Finish the object; its ObjectInfo."""
        await self._queue.put(None) if not self._task.done() else None
        try:
            self.info = await self._task
        except ServiceError as error:
            raise _from_s3(error, self.path) from None
        return self.info

    async def abort(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
