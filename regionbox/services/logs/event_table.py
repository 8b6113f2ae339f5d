"""Log events in their own SQLite table, indexed for the two ways they are read.

GetLogEvents reads one stream in time order: index (sid, ts). FilterLogEvents reads a whole group
(or some of its streams) in time order: index (gid, ts). Both indexes end in the rowid, which
breaks ties between events with the same timestamp in the order they were ingested and is the
event's identity in tokens and event ids.

Each stream's statistics (first/last event time, last ingestion, bytes, sequence) live in a
small table beside the events and are updated in the same transaction as the insert: a row of
integers is much cheaper to rewrite on every PutLogEvents than the stream's JSON document.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

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
CREATE TABLE IF NOT EXISTS log_stream_stats (
    sid INTEGER PRIMARY KEY,
    gid INTEGER NOT NULL,
    first_ts INTEGER NOT NULL,
    last_ts INTEGER NOT NULL,
    last_ingestion INTEGER NOT NULL,
    stored_bytes INTEGER NOT NULL,
    sequence INTEGER NOT NULL
);
"""

# A position in a stream or group: (timestamp, rowid). Events are ordered by it.
Cursor = tuple[int, int]
START: Cursor = (-1, 0)
_KEY_MOD = 10**18


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


@dataclass(frozen=True)
class StreamStats:
    gid: int
    first_timestamp: int
    last_timestamp: int
    last_ingestion: int
    stored_bytes: int
    sequence: int  # rowid of the stream's latest event: its upload sequence


class EventTable:
    def __init__(self, store: Store):
        self.store = store
        store.db.executescript(_SCHEMA)
        store.on_reset(self._reset)
        self.stats: dict[int, StreamStats] = {}
        self._load_stats()

    def _load_stats(self) -> None:
        rows = self.store.execute("SELECT sid, gid, first_ts, last_ts, last_ingestion, stored_bytes, sequence FROM log_stream_stats")
        self.stats = {row[0]: StreamStats(*row[1:]) for row in rows}

    def _reset(self) -> None:
        self.store.db.execute("DELETE FROM log_events")
        self.store.db.execute("DELETE FROM log_stream_stats")
        self.stats = {}

    def insert(self, gid: int, sid: int, ingested: int, events: list[tuple[int, str]]) -> StreamStats:
        """Insert (timestamp, message) pairs, in time order, and update the stream's statistics,
        in one transaction. Returns the new statistics."""
        previous = self.stats.get(sid)
        size = sum(len(message.encode()) for _, message in events)
        with self.store.transaction():
            self.store.executemany(
                "INSERT INTO log_events(gid, sid, ts, ingested, message) VALUES (?,?,?,?,?)",
                [(gid, sid, ts, ingested, message) for ts, message in events],
            )
            # executemany leaves cursor.lastrowid unset; SQLite still knows the last row it inserted.
            sequence = self.store.execute("SELECT last_insert_rowid()").fetchone()[0]
            if previous is None:
                stats = StreamStats(gid, events[0][0], events[-1][0], ingested, size, sequence)
            else:
                stats = replace(previous, first_timestamp=min(previous.first_timestamp, events[0][0]),
                                last_timestamp=max(previous.last_timestamp, events[-1][0]), last_ingestion=ingested,
                                stored_bytes=previous.stored_bytes + size, sequence=sequence)
            self.store.execute("INSERT OR REPLACE INTO log_stream_stats VALUES (?,?,?,?,?,?,?)",
                               (sid, stats.gid, stats.first_timestamp, stats.last_timestamp, stats.last_ingestion,
                                stats.stored_bytes, stats.sequence))
        self.stats[sid] = stats
        return stats

    def delete_stream(self, sid: int) -> None:
        self.store.execute("DELETE FROM log_events WHERE sid=?", (sid,))
        self.store.execute("DELETE FROM log_stream_stats WHERE sid=?", (sid,))
        self.stats.pop(sid, None)

    def delete_before(self, gid: int, cutoff: int) -> int:
        """Delete a group's events older than ``cutoff`` (retention) and take their bytes off
        their streams' statistics, in one transaction. Returns how many events went."""
        with self.store.transaction():
            expired = self.store.execute(
                "SELECT sid, COUNT(*), SUM(length(CAST(message AS BLOB))) FROM log_events WHERE gid=? AND ts<? "
                "GROUP BY sid", (gid, cutoff)).fetchall()
            if not expired:
                return 0
            self.store.execute("DELETE FROM log_events WHERE gid=? AND ts<?", (gid, cutoff))
            updated = {}
            for sid, _, size in expired:
                previous = self.stats.get(sid)
                if previous is None:
                    continue
                first = self.store.execute("SELECT MIN(ts) FROM log_events WHERE sid=?", (sid,)).fetchone()[0]
                # A stream whose events all expired keeps its first and last event times, as AWS's do.
                stats = replace(previous, stored_bytes=max(0, previous.stored_bytes - size),
                                first_timestamp=previous.first_timestamp if first is None else first)
                self.store.execute("UPDATE log_stream_stats SET first_ts=?, stored_bytes=? WHERE sid=?",
                                   (stats.first_timestamp, stats.stored_bytes, sid))
                updated[sid] = stats
        self.stats.update(updated)
        return sum(count for _, count, _ in expired)

    def delete_group(self, gid: int) -> None:
        self.store.execute("DELETE FROM log_events WHERE gid=?", (gid,))
        self.store.execute("DELETE FROM log_stream_stats WHERE gid=?", (gid,))
        for sid in [sid for sid, stats in self.stats.items() if stats.gid == gid]:
            del self.stats[sid]

    def find(self, sid: int, rowid: int) -> StoredEvent | None:
        """One event of a stream by its row (what an event id or a ``@ptr`` names)."""
        row = self.store.execute("SELECT rowid, sid, ts, ingested, message FROM log_events WHERE rowid=? AND sid=?",
                                 (rowid, sid)).fetchone()
        return StoredEvent(*row) if row else None

    def read(self, **where) -> Iterator[StoredEvent]:
        """Events in time order, lazily: see ``select_events`` for ``where``."""
        return select_events(self.store.execute, **where)

    def reader(self) -> "EventReader":
        """A reader with its own connection, for a worker thread."""
        return EventReader(self.store.path)


class EventReader:
    """Reads events through its own read-only SQLite connection, opened and used in one worker
    thread: the event loop's connection is never shared across threads. WAL lets it read while
    the loop writes (it sees the events committed when each read began)."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)

    def read(self, **where) -> Iterator[StoredEvent]:
        return select_events(self.db.execute, **where)

    def __enter__(self) -> "EventReader":
        return self

    def __exit__(self, *exc_info) -> None:
        self.db.close()


def select_events(execute: Callable[[str, list], sqlite3.Cursor], *, sid: int | None = None, gid: int | None = None,
                  sids: list[int] | None = None, start: int | None = None, end: int | None = None,
                  after: Cursor | None = None, before: Cursor | None = None,
                  backward: bool = False) -> Iterator[StoredEvent]:
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
    rows = execute(sql, args)
    try:
        for row in rows:
            yield StoredEvent(*row)
    finally:
        # An abandoned read must not keep its statement (and read snapshot) open.
        rows.close()


def sequence_token(sequence: int) -> str:
    # Sequence tokens are accepted and ignored, as AWS does since 2023; they still look like AWS's.
    return f"{sequence:056d}"


def position_digits(sid: int, cursor: Cursor) -> str:
    """56 digits for a position in a stream: GetLogEvents' tokens and every event's id."""
    timestamp, rowid = cursor
    return f"{timestamp + 1:019d}{sid % _KEY_MOD:018d}{rowid:019d}"


def parse_position(digits: str, sid: int) -> Cursor | None:
    """The position ``position_digits`` wrote for stream ``sid``; None if it is not one."""
    if len(digits) != 56 or not digits.isdigit() or int(digits[19:37]) != sid % _KEY_MOD:
        return None
    return (int(digits[:19]) - 1, int(digits[37:]))


def event_id(event: StoredEvent) -> str:
    return position_digits(event.sid, event.cursor)
