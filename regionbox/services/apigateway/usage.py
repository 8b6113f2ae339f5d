"""What each API key used, per usage plan and UTC day, and the quota periods that count it.

AWS counts a request against a key's quota once the key is accepted and the request is not
throttled; GetUsage reports ``[used, remaining]`` per key per day. Counts live in their own
SQLite table (one upsert per request, durable like every acknowledged write). A quota period is
DAY, WEEK or MONTH, starting at UTC midnight, on the week day ``offset`` (0 = Sunday) or on day
``offset + 1`` of the month; UpdateUsage's ``/remaining`` sets what is left of the current
period, kept as an adjustment of that period.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from regionbox.core.store import Scope, Store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS apigateway_usage (
    account TEXT NOT NULL, region TEXT NOT NULL, plan TEXT NOT NULL, key TEXT NOT NULL,
    day TEXT NOT NULL, used INTEGER NOT NULL,
    PRIMARY KEY (account, region, plan, key, day)
);
CREATE TABLE IF NOT EXISTS apigateway_usage_adjustments (
    account TEXT NOT NULL, region TEXT NOT NULL, plan TEXT NOT NULL, key TEXT NOT NULL,
    period TEXT NOT NULL, adjustment INTEGER NOT NULL,
    PRIMARY KEY (account, region, plan, key, period)
);
"""


def period_start(period: str, offset: int, now: datetime) -> date:
    """The first day of the quota period that ``now`` (UTC) is in."""
    today = now.astimezone(timezone.utc).date()
    if period == "DAY":
        return today
    if period == "WEEK":
        sunday_based = (today.weekday() + 1) % 7  # Monday is 0 in Python, Sunday 0 for AWS
        return today - timedelta(days=(sunday_based - offset) % 7)
    # MONTH: day offset+1 of this month, or of the previous one when that day is still to come
    start = today.replace(day=min(offset + 1, 28))
    if start > today:
        previous = (today.replace(day=1) - timedelta(days=1))
        start = previous.replace(day=min(offset + 1, 28))
    return start


class UsageTable:
    def __init__(self, store: Store) -> None:
        self.store = store
        store.db.executescript(_SCHEMA)
        store.on_reset(self._wipe)
        # (scope, plan, key) -> {period start: used}: what each call's quota check needs, kept in
        # memory once read (and counted into as calls are), so a call costs one write, no reads.
        self._periods: dict[tuple, dict[date, int]] = {}

    def _wipe(self) -> None:
        self.store.db.execute("DELETE FROM apigateway_usage")
        self.store.db.execute("DELETE FROM apigateway_usage_adjustments")
        self._periods.clear()

    def count(self, scope: Scope, plan: str, key: str, day: date) -> None:
        self.store.execute(
            "INSERT INTO apigateway_usage VALUES (?,?,?,?,?,1) ON CONFLICT(account, region, plan, key, day) "
            "DO UPDATE SET used = used + 1", (*scope, plan, key, day.isoformat()))
        for start in self._periods.get((scope, plan, key), {}):
            if start <= day:
                self._periods[(scope, plan, key)][start] += 1

    def used_now(self, scope: Scope, plan: str, key: str, start: date, today: date) -> int:
        """``used_in_period`` for the current period, from memory after the first call."""
        periods = self._periods.setdefault((scope, plan, key), {})
        if start not in periods:
            periods.clear()  # an earlier period is over: only the current one is asked for
            periods[start] = self.used_in_period(scope, plan, key, start, today)
        return periods[start]

    def used_by_day(self, scope: Scope, plan: str, key: str, first: date, last: date) -> dict[date, int]:
        rows = self.store.execute(
            "SELECT day, used FROM apigateway_usage WHERE account=? AND region=? AND plan=? AND key=? "
            "AND day BETWEEN ? AND ?", (*scope, plan, key, first.isoformat(), last.isoformat())).fetchall()
        return {date.fromisoformat(day): used for day, used in rows}

    def used_in_period(self, scope: Scope, plan: str, key: str, start: date, through: date) -> int:
        """Requests counted from ``start`` through ``through``, with UpdateUsage's adjustment."""
        used = sum(self.used_by_day(scope, plan, key, start, through).values())
        row = self.store.execute(
            "SELECT adjustment FROM apigateway_usage_adjustments WHERE account=? AND region=? AND plan=? AND key=? "
            "AND period=?", (*scope, plan, key, start.isoformat())).fetchone()
        return used + (row[0] if row else 0)

    def set_remaining(self, scope: Scope, plan: str, key: str, start: date, today: date, limit: int,
                      remaining: int) -> None:
        counted = sum(self.used_by_day(scope, plan, key, start, today).values())
        self.store.execute(
            "INSERT OR REPLACE INTO apigateway_usage_adjustments VALUES (?,?,?,?,?,?)",
            (*scope, plan, key, start.isoformat(), (limit - remaining) - counted))
        self._periods.pop((scope, plan, key), None)

    def forget(self, scope: Scope, plan: str, key: str | None = None) -> None:
        """A plan deleted, or a key taken out of it: its counts go too."""
        for cached in [k for k in self._periods if k[0] == scope and k[1] == plan and key in (None, k[2])]:
            del self._periods[cached]
        for table in ("apigateway_usage", "apigateway_usage_adjustments"):
            if key is None:
                self.store.execute(f"DELETE FROM {table} WHERE account=? AND region=? AND plan=?", (*scope, plan))
            else:
                self.store.execute(f"DELETE FROM {table} WHERE account=? AND region=? AND plan=? AND key=?",
                                   (*scope, plan, key))
