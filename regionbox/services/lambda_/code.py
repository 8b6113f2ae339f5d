"""Deployment packages on disk: zips checked as Lambda checks them, unpacked once, kept for as
long as a version or layer uses them.

    <state dir>/lambda/functions/<account>/<region>/<function>/<sha256 hex>/   unpacked code
    <state dir>/lambda/functions/<account>/<region>/<function>/<sha256 hex>.zip the package (GetFunction)
    <state dir>/lambda/layers/<account>/<region>/<layer>/<version>/ (+ .zip)

A package is unpacked into a temporary directory and renamed into place before the document that
names it is committed, so after ``kill -9`` every stored function has its code, and what no
document names is swept at start. Unpacking refuses paths that leave the directory, writes files
before it makes symbolic links (so no file is written through one), keeps the zip's file modes,
and stops at Lambda's unzipped limit however the zip describes itself.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Callable

from regionbox.core.context import RequestContext
from regionbox.core.errors import NotImplementedOperation, ServiceError
from regionbox.services.lambda_.errors import invalid_value

UNZIPPED_LIMIT = 262144000  # bytes: function code and its layers, unzipped
ZIPPED_LIMIT = 52428800  # bytes: a package uploaded directly (ZipFile)


def bad_zip() -> ServiceError:
    return ServiceError("InvalidParameterValueException",
                        "Could not unzip uploaded file. Please check your file, then try to upload again.", Type="User")


def too_large_unzipped() -> ServiceError:
    return ServiceError("InvalidParameterValueException", f"Unzipped size must be smaller than {UNZIPPED_LIMIT} bytes",
                        Type="User")


@dataclass(frozen=True)
class Package:
    sha256: str  # base64, as CodeSha256
    key: str  # hex, the directory name
    size: int  # zipped bytes
    unzipped: int


def _inspect(path: Path) -> tuple[str, str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return base64.b64encode(digest.digest()).decode(), digest.hexdigest(), size


def _members(archive: zipfile.ZipFile) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    found = []
    for info in archive.infolist():
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or not path.parts:
            raise bad_zip()
        found.append((info, path))
    return found


def _mode(info: zipfile.ZipInfo) -> int:
    return (info.external_attr >> 16) & 0xFFFF


def unpack(zip_path: Path, target: Path) -> int:
    """Unpack into ``target`` (a new directory); the unzipped size."""
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise bad_zip() from None
    with archive:
        members = _members(archive)
        declared = sum(info.file_size for info, _ in members)
        if declared > UNZIPPED_LIMIT:
            raise too_large_unzipped()
        written = 0
        links = []
        target.mkdir(parents=True)
        for info, path in members:
            destination = target.joinpath(*path.parts)
            if info.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            if stat.S_ISLNK(_mode(info)):
                links.append((info, destination))
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(info) as source, open(destination, "wb") as sink:
                    while chunk := source.read(1 << 20):
                        written += len(chunk)
                        if written > UNZIPPED_LIMIT:
                            raise too_large_unzipped()
                        sink.write(chunk)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
                raise bad_zip() from None
            mode = _mode(info) & 0o777
            os.chmod(destination, (mode | 0o444) if mode else 0o644)
        for info, destination in links:
            destination.parent.mkdir(parents=True, exist_ok=True)
            link_target = archive.read(info).decode("utf-8", "replace")
            if not destination.exists() and not destination.is_symlink():
                os.symlink(link_target, destination)
    return written


class CodeStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"

    def function_dir(self, account: str, region: str, name: str) -> Path:
        return self.root / "functions" / account / region / name

    def code_dir(self, account: str, region: str, name: str, key: str) -> Path:
        return self.function_dir(account, region, name) / key

    def zip_path(self, account: str, region: str, name: str, key: str) -> Path:
        return self.function_dir(account, region, name) / f"{key}.zip"

    def layer_dir(self, account: str, region: str, name: str, version: int) -> Path:
        return self.root / "layers" / account / region / name / str(version)

    def spool(self) -> tuple[int, Path]:
        """A temporary file to write a package into (from a request or from S3)."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.tmp, suffix=".zip")
        return fd, Path(name)

    def install(self, spooled: Path, parent: Path, name: str | None = None) -> Package:
        """Check a spooled package and unpack it as ``parent/<name>`` (default: its SHA-256 in
        hex), the zip beside it; kept as it is when already there. Runs in a thread: it may take
        seconds."""
        try:
            sha, key, size = _inspect(spooled)
            directory, zip_path = parent / (name or key), parent / f"{name or key}.zip"
            if directory.is_dir() and zip_path.exists():
                return Package(sha, key, size, _tree_size(directory))
            staging = Path(tempfile.mkdtemp(dir=self.tmp)) / "code"
            try:
                unzipped = unpack(spooled, staging)
                parent.mkdir(parents=True, exist_ok=True)
                shutil.rmtree(directory, ignore_errors=True)
                os.replace(staging, directory)
                os.replace(spooled, zip_path)
            finally:
                shutil.rmtree(staging.parent, ignore_errors=True)
            return Package(sha, key, size, unzipped)
        finally:
            spooled.unlink(missing_ok=True)

    def remove(self, path: Path) -> None:
        shutil.rmtree(path, ignore_errors=True)
        path.with_name(path.name + ".zip").unlink(missing_ok=True)

    def sweep(self, functions: dict[tuple[str, str, str], set[str]], layers: set[tuple[str, str, str, int]]) -> None:
        """Remove what no document names: a crash between unpacking and committing left it."""
        shutil.rmtree(self.tmp, ignore_errors=True)
        for path in (self.root / "functions").glob("*/*/*"):
            account, region, name = path.parts[-3:]
            keep = functions.get((account, region, name))
            if keep is None:
                shutil.rmtree(path, ignore_errors=True)
                continue
            for entry in path.iterdir():
                if entry.name.removesuffix(".zip") not in keep:
                    self.remove(entry) if entry.is_dir() else entry.unlink(missing_ok=True)
        for path in (self.root / "layers").glob("*/*/*/*"):
            account, region, name, version = path.parts[-4:]
            if (account, region, name, int(version.removesuffix(".zip"))) not in layers:
                self.remove(path) if path.is_dir() else path.unlink(missing_ok=True)


def _tree_size(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file() and not p.is_symlink())


class Packages:
    """The deployment package a request gives (ZipFile, or S3Bucket/S3Key of S3 in this cloud),
    spooled to a file, checked and unpacked off the event loop."""

    def __init__(self, store: CodeStore, s3: Callable[[], Any]) -> None:
        self.store = store
        self.s3 = s3  # S3's API, reached when a package names a bucket

    async def install(self, ctx: RequestContext, code: dict, parent: Path, name: str | None = None) -> Package:
        if code.get("ImageUri"):
            raise NotImplementedOperation("lambda", ctx.operation, "container image functions (PackageType Image) "
                                          "are not run by regionbox: deploy a .zip package")
        if code.get("ZipFile") is None and not (code.get("S3Bucket") and code.get("S3Key")):
            raise invalid_value("Please provide a source for function code.")
        if code.get("ZipFile") is not None and len(code["ZipFile"]) > ZIPPED_LIMIT:
            raise ServiceError("RequestEntityTooLargeException", "Request must be smaller than 69905067 bytes for the "
                               f"{ctx.operation} operation", status=413, Type="User")
        fd, spooled = self.store.spool()
        try:
            with os.fdopen(fd, "wb") as sink:
                if code.get("ZipFile") is not None:
                    sink.write(code["ZipFile"])
                else:
                    await self._from_s3(ctx, code["S3Bucket"], code["S3Key"], sink)
            return await asyncio.to_thread(self.store.install, spooled, parent, name)
        finally:
            spooled.unlink(missing_ok=True)

    async def _from_s3(self, ctx: RequestContext, bucket: str, key: str, sink) -> None:
        try:
            _, body = await self.s3().get_object(ctx.account_id, bucket, key, region=ctx.region)
            async for chunk in body:
                sink.write(chunk)
        except ServiceError as error:
            raise invalid_value(f"Error occurred while GetObject. S3 Error Code: {error.code}. S3 Error Message: "
                                f"{error.message}") from None
