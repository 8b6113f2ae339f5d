"""Quota periods and token buckets on a controlled clock: AWS's windows are days, weeks and
months, too long to wait for, so the rules are checked at chosen moments."""

from __future__ import annotations

from datetime import date, datetime, timezone

from regionbox.services.apigateway.throttling import Throttles
from regionbox.services.apigateway.usage import period_start


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def test_day_period_starts_at_utc_midnight():
    assert period_start("DAY", 0, at("2026-03-04T23:59:59")) == date(2026, 3, 4)
    assert period_start("DAY", 0, at("2026-03-05T00:00:00")) == date(2026, 3, 5)


def test_week_period_starts_on_the_offset_weekday_sunday_first():
    wednesday = at("2026-03-04T12:00:00")  # 2026-03-01 is a Sunday
    assert period_start("WEEK", 0, wednesday) == date(2026, 3, 1)
    assert period_start("WEEK", 1, wednesday) == date(2026, 3, 2)  # Monday
    assert period_start("WEEK", 4, wednesday) == date(2026, 2, 26)  # Thursday: last week's
    assert period_start("WEEK", 3, wednesday) == date(2026, 3, 4)  # Wednesday: today


def test_month_period_starts_on_day_offset_plus_one():
    assert period_start("MONTH", 0, at("2026-03-04T00:00:00")) == date(2026, 3, 1)
    assert period_start("MONTH", 9, at("2026-03-04T00:00:00")) == date(2026, 2, 10)
    assert period_start("MONTH", 9, at("2026-03-10T00:00:00")) == date(2026, 3, 10)
    assert period_start("MONTH", 14, at("2026-01-02T00:00:00")) == date(2025, 12, 15)


def test_token_bucket_refills_at_the_rate_up_to_the_burst():
    now = [1000.0]
    throttles = Throttles(clock=lambda: now[0])
    key = ("plan", "key", "api", "stage")
    assert [throttles.allow(key, 2.0, 3) for _ in range(4)] == [True, True, True, False]
    now[0] += 0.5  # one token back at 2 a second
    assert [throttles.allow(key, 2.0, 3) for _ in range(2)] == [True, False]
    now[0] += 60  # never more than the burst
    assert [throttles.allow(key, 2.0, 3) for _ in range(4)] == [True, True, True, False]
    assert throttles.allow(("another", "key"), 2.0, 3)  # buckets are per key
