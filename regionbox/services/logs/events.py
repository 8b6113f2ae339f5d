"""Log events in their own SQLite table, indexed for the two ways they are read.

GetLogEvents reads one stream in time order: index (sid, ts). FilterLogEvents reads a whole group
(or some of its streams) in time order: index (gid, ts). Both indexes end in the rowid, which
breaks ties between events with the same timestamp in the order they were ingested and is the
event's identity in tokens and event ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

from regionbox.core.store import Store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS log_events (
    gid INTEGER NOT NULL,
    sid INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    ingested INTEGER NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_events_stream ON log_events(sid, ts);
CREATE INDEX IF NOT EXISTS log_events_group ON log_events(gid, ts);
"""

# A position in a stream or group: (timestamp, rowid). Events are ordered by it.
Cursor = tuple[int, int]
START: Cursor = (-1, 0)


@dataclass(frozen=True)
class StoredEvent:
    rowid: int
    sid: int
    timestamp: int
    ingestion_time: int
    message: str

    @property
    def cursor(self) -> Cursor:
        return (self.timestamp, self.rowid)


class EventTable:
    def __init__(self, store: Store):
        self.store = store
        store.db.executescript(_SCHEMA)
        store.on_reset(lambda: store.db.execute("DELETE FROM log_events"))

    def insert(self, gid: int, sid: int, ingested: int, events: Iterable[tuple[int, str]]) -> int:
        """Insert (timestamp, message) pairs; returns the last rowid. Call inside a transaction."""
        self.store.executemany(
            "INSERT INTO log_events(gid, sid, ts, ingested, message) VALUES (?,?,?,?,?)",
            [(gid, sid, ts, ingested, message) for ts, message in events],
        )
        # executemany leaves cursor.lastrowid unset; SQLite still knows the last row it inserted.
        return self.store.execute("SELECT last_insert_rowid()").fetchone()[0]

    def delete_stream(self, sid: int) -> None:
        self.store.execute("DELETE FROM log_events WHERE sid=?", (sid,))

    def delete_group(self, gid: int) -> None:
        self.store.execute("DELETE FROM log_events WHERE gid=?", (gid,))

    def read(self, *, sid: int | None = None, gid: int | None = None, sids: list[int] | None = None,
             start: int | None = None, end: int | None = None, after: Cursor | None = None,
             before: Cursor | None = None, backward: bool = False) -> Iterator[StoredEvent]:
        """Events of one stream (``sid``) or a group (``gid``, optionally only ``sids``), between
        ``start`` (inclusive) and ``end`` (exclusive), strictly after / before a cursor, in time
        order (or reverse time order with ``backward``). Rows are fetched lazily."""
        conditions: list[tuple[str, tuple]] = [
            ("sid=?", (sid,)), ("gid=?", (gid,)), ("ts>=?", (start,)), ("ts<?", (end,)),
            ("(ts, rowid) > (?, ?)", after), ("(ts, rowid) < (?, ?)", before),
        ]
        if sids is not None:
            conditions.append((f"sid IN ({','.join('?' * len(sids))})", tuple(sids)))
        used = [(sql, values) for sql, values in conditions if values is not None and None not in values]
        where = [sql for sql, _ in used]
        args = [value for _, values in used for value in values]
        order = "DESC" if backward else "ASC"
        sql = (f"SELECT rowid, sid, ts, ingested, message FROM log_events WHERE {' AND '.join(where)} "
               f"ORDER BY ts {order}, rowid {order}")
        rows = self.store.execute(sql, args)
        try:
            for row in rows:
                yield StoredEvent(*row)
        finally:
            # An abandoned read must not keep its statement (and read snapshot) open.
            rows.close()
