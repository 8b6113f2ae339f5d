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


def window_start(window: str, default: float = 5 / 24) -> float:
    """A daily window "05:00-06:00" -> the fraction of a day at which it opens (``default`` if unreadable)."""
    try:
        hours, minutes = window.split("-")[0].split(":")
        return (int(hours) * 60 + int(minutes)) / 1440
    except (ValueError, IndexError):
        return default


def daily_due(window: str, last_day: int, now: float, length: float = 86400.0) -> tuple[bool, int]:
    """Whether a daily job in ``window`` is due (backups of RDS, ElastiCache clusters and serverless caches), and the day to record as
    its last, for days of ``length`` seconds (tests shorten them). Seen for the first time after today's
    window has opened (``last_day`` < 0), its first run is in tomorrow's window, as on AWS; a run
    missed (regionbox down, the resource busy) happens later the same day."""
    today = int(now // length)
    opened = now >= today * length + window_start(window) * length
    if last_day < 0:
        return False, today if opened else today - 1
    return opened and last_day < today, today
