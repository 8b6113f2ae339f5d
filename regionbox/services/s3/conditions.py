"""Conditional requests and ranges, as S3 evaluates them (RFC 7232 precedence):

- If-Match false: 412; else If-Unmodified-Since is ignored; If-Unmodified-Since false: 412.
- If-None-Match matches: 304 for GET and HEAD; If-Modified-Since (when no If-None-Match) not
  modified: 304.
- A write with If-None-Match "*" fails with 412 when the key exists; with If-Match when its ETag
  differs (and 404 when there is no object).
"""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime

from regionbox.core.errors import ServiceError
from regionbox.protocol.values import from_epoch, to_epoch
from regionbox.services.s3.errors import not_modified, precondition_failed
from regionbox.services.s3.models import Version


def _etags(header: str) -> list[str]:
    return [item.strip().strip('"') for item in header.split(",") if item.strip()]


def _matches(header: str, etag: str) -> bool:
    wanted = _etags(header)
    return "*" in wanted or etag.strip('"') in wanted


def http_date(epoch: float) -> str:
    return format_datetime(from_epoch(int(epoch)), usegmt=True)


def check_read(version: Version, params: dict, prefix: str = "If", condition_prefix: str = "") -> None:
    """GetObject/HeadObject (prefix "If"), or CopyObject's source ("CopySourceIf", names x-amz-copy-source-If-...)."""
    modified = int(version.modified)
    if_match = params.get(f"{prefix}Match")
    if_none_match = params.get(f"{prefix}NoneMatch")
    if_modified = params.get(f"{prefix}ModifiedSince")
    if_unmodified = params.get(f"{prefix}UnmodifiedSince")
    if if_match is not None:
        if not _matches(if_match, version.etag):
            raise precondition_failed(f"{condition_prefix}If-Match")
    elif if_unmodified is not None and modified > _seconds(if_unmodified):
        raise precondition_failed(f"{condition_prefix}If-Unmodified-Since")
    if if_none_match is not None:
        if _matches(if_none_match, version.etag):
            if condition_prefix:
                raise precondition_failed(f"{condition_prefix}If-None-Match")
            raise not_modified(version.etag, http_date(version.modified))
    elif if_modified is not None and modified <= _seconds(if_modified):
        if condition_prefix:
            raise precondition_failed(f"{condition_prefix}If-Modified-Since")
        raise not_modified(version.etag, http_date(version.modified))


def check_write(current: Version | None, params: dict, key: str) -> None:
    if_none_match, if_match = params.get("IfNoneMatch"), params.get("IfMatch")
    exists = current is not None and not current.delete_marker
    if if_none_match is not None:
        if if_none_match.strip() != "*":
            raise ServiceError("NotImplemented", "A header you provided implies functionality that is not implemented",
                               501, Header="If-None-Match")
        if exists:
            raise precondition_failed("If-None-Match")
    if if_match is not None:
        if not exists:
            raise ServiceError("NoSuchKey", "The specified key does not exist.", 404, Key=key)
        if not _matches(if_match, current.etag):
            raise precondition_failed("If-Match")


def _seconds(value: datetime | str) -> float:
    return to_epoch(value)


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) of a "bytes=" Range, None for the whole object (or a Range S3 ignores);
    InvalidRange when it starts past the end."""
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    first, dash, last = header[6:].strip().partition("-")
    try:
        if not dash:
            return None
        if first == "":
            length = int(last)
            if length == 0 or size == 0:
                raise _invalid_range(header, size)
            return max(0, size - length), size - 1
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return None
    if end < start:
        return None
    if start >= size:
        raise _invalid_range(header, size)
    return start, min(end, size - 1)


def _invalid_range(header: str, size: int) -> ServiceError:
    return ServiceError("InvalidRange", "The requested range is not satisfiable", 416, RangeRequested=header,
                        ActualObjectSize=str(size))
