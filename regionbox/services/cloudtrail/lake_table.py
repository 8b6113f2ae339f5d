"""The events each event data store holds, in their own SQLite table: copied from the audit trail
as they are ingested (delivery.py), put by channels (PutAuditEvents) or imported from a trail's
log files. Kept for the store's retention period; queries read them in a worker thread through
their own read-only connection (``reader``), never the event loop's."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Iterator

from regionbox.core.store import Store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cloudtrail_lake_events (
    store_id TEXT NOT NULL,
    event_time REAL NOT NULL,
    record BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS cloudtrail_lake_events_time ON cloudtrail_lake_events(store_id, event_time);
"""


class LakeTable:
    def __init__(self, store: Store) -> None:
        self.store = store
        store.db.executescript(_SCHEMA)
        store.on_reset(lambda: store.db.execute("DELETE FROM cloudtrail_lake_events"))

    def insert(self, rows: list[tuple[str, float, bytes]]) -> None:
        """(store ID, event time, record) rows, in one transaction."""
        if rows:
            with self.store.transaction():
                self.store.executemany("INSERT INTO cloudtrail_lake_events VALUES (?,?,?)", rows)

    def expire(self, store_id: str, before: float) -> None:
        self.store.execute("DELETE FROM cloudtrail_lake_events WHERE store_id=? AND event_time<?", (store_id, before))

    def drop(self, store_id: str) -> None:
        self.store.execute("DELETE FROM cloudtrail_lake_events WHERE store_id=?", (store_id,))

    def reader(self) -> "LakeReader":
        return LakeReader(self.store.path)


class LakeReader:
    """Reads one store's events through its own read-only connection, opened and used in one
    worker thread. WAL lets it read while the loop writes."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)

    def read(self, store_id: str, start: float | None = None, end: float | None = None) -> Iterator[tuple[float, bytes]]:
        """(event time, record) of the store's events within [start, end], oldest first, fetched lazily."""
        sql, args = "SELECT event_time, record FROM cloudtrail_lake_events WHERE store_id=?", [store_id]
        if start is not None:
            sql += " AND event_time>=?"
            args.append(start)
        if end is not None:
            sql += " AND event_time<=?"
            args.append(end)
        yield from self.db.execute(sql + " ORDER BY event_time", args)

    def __enter__(self) -> "LakeReader":
        return self

    def __exit__(self, *exc_info) -> None:
        self.db.close()
