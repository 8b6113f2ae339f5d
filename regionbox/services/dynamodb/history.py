"""The change history of tables with point-in-time recovery: what each item was before every
write, so that a table can be read as it was at any moment of its recovery window.

``ddb_changes(tid, seq, at, h, hk, rk, old)``: one row per item write while PITR is on, in the
writer's transaction (so a committed write always has its row): the item's storage key and its
image before the write (NULL when the write created it). The state of an item at time T is the
``old`` of its first change after T, or, if it has not changed since, its current row. Old
images alone thus recover any moment: a restore copies the current rows and puts back, for each
item changed after T, that first ``old`` (or deletes it), and changes made while the copy runs
are in the history too. Rows older than the window (RecoveryPeriodInDays) are trimmed; turning
PITR off drops a table's history, as AWS forgets it.
"""

from __future__ import annotations

import pickle
from regionbox.core.store import Store
from regionbox.services.dynamodb.storage import Item, ItemStore, Schema
from regionbox.services.dynamodb.types import item_size

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ddb_changes (
    tid INTEGER NOT NULL, seq INTEGER NOT NULL, at REAL NOT NULL,
    h INTEGER NOT NULL, hk BLOB NOT NULL, rk BLOB NOT NULL, old BLOB,
    PRIMARY KEY (tid, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ddb_changes_at ON ddb_changes(tid, at);
"""
_PICKLE = pickle.HIGHEST_PROTOCOL
StorageKey = tuple[int, bytes, bytes]


class ChangeHistory:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db
        self.db.executescript(_SCHEMA)
        store.on_reset(lambda: self.db.execute("DELETE FROM ddb_changes"))
        row = self.db.execute("SELECT max(seq) FROM ddb_changes").fetchone()
        self._seq = row[0] or 0

    def record(self, tid: int, schema: Schema, old: Item | None, new: Item | None, at: float) -> None:
        """One write of a PITR table (inside the writer's transaction)."""
        h, hk, rk = schema.storage_key(new if new is not None else old)
        self._seq += 1
        self.db.execute("INSERT INTO ddb_changes(tid, seq, at, h, hk, rk, old) VALUES (?,?,?,?,?,?,?)",
                        (tid, self._seq, at, h, hk, rk, None if old is None else pickle.dumps(old, _PICKLE)))

    def before(self, tid: int, moment: float) -> dict[StorageKey, Item | None]:
        """For every item of ``tid`` written after ``moment``: what it was at ``moment`` (None:
        it did not exist)."""
        with self.store._lock:
            rows = self.db.execute("SELECT h, hk, rk, old FROM ddb_changes WHERE tid=? AND at > ? ORDER BY seq",
                                   (tid, moment)).fetchall()
        states: dict[StorageKey, Item | None] = {}
        for h, hk, rk, old in rows:
            key = (h, bytes(hk), bytes(rk))
            if key not in states:
                states[key] = None if old is None else pickle.loads(old)
        return states

    def last_writes(self, tid: int, start: float, end: float) -> dict[StorageKey, float]:
        """When each item written in (start, end] was last written then."""
        with self.store._lock:
            rows = self.db.execute("SELECT h, hk, rk, max(at) FROM ddb_changes WHERE tid=? AND at > ? AND at <= ? "
                                   "GROUP BY h, hk, rk", (tid, start, end)).fetchall()
        return {(h, bytes(hk), bytes(rk)): at for h, hk, rk, at in rows}

    def rewind(self, items: ItemStore, tid: int, moment: float, target: int) -> None:
        """Turn ``target`` (a copy of ``tid``'s rows made after ``moment``) into ``tid`` as it was at
        ``moment``, in one transaction."""
        states = self.before(tid, moment)
        with self.store.transaction():
            for (h, hk, rk), item in states.items():
                if item is None:
                    self.db.execute("DELETE FROM ddb_items WHERE tid=? AND h=? AND hk=? AND rk=?", (target, h, hk, rk))
                else:
                    self.db.execute("INSERT OR REPLACE INTO ddb_items(tid, h, hk, rk, size, ttl, item) VALUES (?,?,?,?,?,NULL,?)",
                                    (target, h, hk, rk, item_size(item), pickle.dumps(item, _PICKLE)))
        items.forget_counts(target)

    def drop(self, tid: int) -> None:
        self.store.execute("DELETE FROM ddb_changes WHERE tid=?", (tid,))

    def trim(self, tid: int, cutoff: float) -> None:
        """Forget the changes made before ``cutoff`` (the start of the recovery window)."""
        self.store.execute("DELETE FROM ddb_changes WHERE tid=? AND at < ?", (tid, cutoff))

