"""UTC time in one place, so tests and models agree on what "now" is."""

from __future__ import annotations

import time
from datetime import datetime, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)


def epoch() -> float:
    return time.time()


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def to_epoch(value: datetime | float | None) -> float | None:
    """Seconds since the epoch of a timestamp parsed from a request (naive ones are UTC), or of a
    number already in seconds; None stays None."""
    if value is None or isinstance(value, (int, float)):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


def iso(dt: datetime | float) -> str:
    """ISO 8601 with milliseconds and a Z, as AWS writes timestamps in JSON bodies it builds itself."""
    if not isinstance(dt, datetime):
        dt = from_epoch(dt)
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
