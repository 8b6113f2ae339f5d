"""Items on disk: SQLite tables with real indexes, in the cloud's state database.

Layout (all ``WITHOUT ROWID``, so a row lives in its primary-key B-tree and a Query is a range
read of that tree):

- ``ddb_items(tid, h, hk, rk, size, ttl, item)``: one row per item. ``hk``/``rk`` are the
  order-preserving encodings of the partition and sort key values (``types.sort_key``; ``rk`` is
  empty for hash-only tables) and ``h`` a 32-bit hash of ``hk``. Ordering by ``(h, hk, rk)`` gives
  Scan DynamoDB's hash order and lets a parallel Scan split the hash space into segments, as the
  real service does; a Query fixes ``h`` and ``hk`` and reads ``rk`` in order.
- ``ddb_index_rows(xid, h, hk, rk, bhk, brk, size, item)``: secondary index rows, keyed by the
  index key and then the base key (many items may share one index key). ``item`` is the projected
  item, so a Query on an index never goes back to the base table.
- ``ttl`` holds the item's expiry (epoch seconds) when the table names a TTL attribute; a partial
  index over it lets the TTL sweeper find expired items without scanning.

Items are stored pickled: they are dicts of AttributeValues whose binary values are ``bytes``,
which pickle keeps as they are (and reads back faster than JSON). Only this process writes them.

Every write of an item and its index rows happens inside one ``Store.transaction``, which the
caller opens so that a transaction of many items (and its stream records) commits atomically.
"""

from __future__ import annotations

import pickle
import time
import zlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Iterator

from regionbox.core.store import Store
from regionbox.services.dynamodb.models import ALL, INCLUDE, Index, Table
from regionbox.services.dynamodb.types import KeyTypes, item_size, key_part, sort_key

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ddb_items (
    tid INTEGER NOT NULL, h INTEGER NOT NULL, hk BLOB NOT NULL, rk BLOB NOT NULL,
    size INTEGER NOT NULL, ttl REAL, item BLOB NOT NULL,
    PRIMARY KEY (tid, h, hk, rk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ddb_items_ttl ON ddb_items(tid, ttl) WHERE ttl IS NOT NULL;
CREATE TABLE IF NOT EXISTS ddb_index_rows (
    xid INTEGER NOT NULL, h INTEGER NOT NULL, hk BLOB NOT NULL, rk BLOB NOT NULL,
    bhk BLOB NOT NULL, brk BLOB NOT NULL, size INTEGER NOT NULL, item BLOB NOT NULL,
    PRIMARY KEY (xid, h, hk, rk, bhk, brk)
) WITHOUT ROWID;
"""

Item = dict[str, dict[str, Any]]
_dumps = pickle.dumps
_loads = pickle.loads
_PICKLE = pickle.HIGHEST_PROTOCOL


def hash32(hk: bytes) -> int:
    return zlib.crc32(hk)


@dataclass
class Position:
    """Where a Query or Scan stopped: the full storage key of the last row read."""

    h: int
    hk: bytes
    rk: bytes
    bhk: bytes = b""
    brk: bytes = b""


@dataclass
class Row:
    item: Item
    size: int
    position: Position


@dataclass
class Schema:
    """What storage needs to know about a table, precomputed once per table version."""

    tid: int
    hash_name: str
    range_name: str | None
    indexes: list[Index] = field(default_factory=list)
    ttl_attribute: str | None = None
    # Index names -> Index, for reads.
    by_name: dict[str, Index] = field(default_factory=dict)
    key_names: tuple[str, ...] = ()
    # ((name, type), ...) of the table's key and of each index's key, for types.validate_*
    key_types: tuple[tuple[str, str], ...] = ()
    index_key_types: list[tuple[Index, tuple[tuple[str, str], ...]]] = field(default_factory=list)

    @classmethod
    def of(cls, table: Table) -> "Schema":
        indexes = [ix for ix in table.index_objects() if ix.status != "DELETING"]
        return cls(
            tid=table.tid,
            hash_name=table.hash_name,
            range_name=table.range_name,
            indexes=indexes,
            ttl_attribute=table.ttl_attribute,
            by_name={ix.name: ix for ix in indexes},
            key_names=table.key_names,
            key_types=tuple((name, table.attribute_type(name)) for name in table.key_names),
            index_key_types=[(ix, KeyTypes(((k["AttributeName"], table.attribute_type(k["AttributeName"])) for k in ix.key_schema),
                                           len(ix.hash_names)))
                             for ix in indexes],
        )

    def key_of(self, item: Item) -> Item:
        return {name: item[name] for name in self.key_names}

    def storage_key(self, item: Item) -> tuple[int, bytes, bytes]:
        hk = sort_key(item[self.hash_name])
        rk = sort_key(item[self.range_name]) if self.range_name else b""
        return hash32(hk), hk, rk


def project(index: Index, schema: Schema, item: Item) -> Item:
    """The attributes an index row carries: its keys, the table's keys and the projection."""
    kind = index.projection.get("ProjectionType", ALL)
    if kind == ALL:
        return item
    keep = set(schema.key_names) | set(index.hash_names) | set(index.range_names)
    if kind == INCLUDE:
        keep.update(index.projection.get("NonKeyAttributes") or ())
    return {name: value for name, value in item.items() if name in keep}


def index_key(index: Index, item: Item) -> tuple[bytes, bytes] | None:
    """The index key of an item, or None when the item does not appear in the index (sparse:
    it lacks one of the index's key attributes)."""
    if index.composite:
        hashes = [item.get(name) for name in index.hash_names]
        ranges = [item.get(name) for name in index.range_names]
        if None in hashes or None in ranges:
            return None
        return key_part(hashes), key_part(ranges)
    hv = item.get(index.hash_name)
    if hv is None:
        return None
    if index.range_name is not None:
        rv = item.get(index.range_name)
        if rv is None:
            return None
        return sort_key(hv), sort_key(rv)
    return sort_key(hv), b""


def ttl_of(schema: Schema, item: Item) -> float | None:
    """TTL expiry of an item: the TTL attribute when it is a number (epoch seconds); other
    types are ignored, as DynamoDB ignores them."""
    if not schema.ttl_attribute:
        return None
    value = item.get(schema.ttl_attribute)
    if not value or "N" not in value:
        return None
    try:
        return float(Decimal(value["N"]))
    except (InvalidOperation, ValueError, OverflowError):
        return None


class ItemStore:
    def __init__(self, store: Store):
        self.store = store
        self.db = store.db
        store.db.executescript(_SCHEMA)
        store.on_reset(self._reset)
        # (table or index id) -> (count, size, when counted, seconds the count took); see _counted.
        self._counts: dict[tuple[str, int], tuple[int, int, float, float]] = {}

    def _reset(self) -> None:
        self.db.execute("DELETE FROM ddb_items")
        self.db.execute("DELETE FROM ddb_index_rows")
        self._counts.clear()

    def next_id(self) -> int:
        """A fresh id for a table or an index, never reused (kept in the store's meta table)."""
        raw = self.store.get_meta("dynamodb.next_id")
        value = int(raw or b"1")
        self.store.set_meta("dynamodb.next_id", str(value + 1).encode())
        return value

    # -- single items ------------------------------------------------------------------------
    def get(self, schema: Schema, key: Item) -> tuple[Item, int] | None:
        h, hk, rk = schema.storage_key(key)
        with self.store._lock:
            row = self.db.execute(
                "SELECT item, size FROM ddb_items WHERE tid=? AND h=? AND hk=? AND rk=?", (schema.tid, h, hk, rk)
            ).fetchone()
        return (_loads(row[0]), row[1]) if row else None

    def row(self, tid: int, h: int, hk: bytes, rk: bytes) -> Item | None:
        """The item stored under a storage key, or None."""
        with self.store._lock:
            row = self.db.execute("SELECT item FROM ddb_items WHERE tid=? AND h=? AND hk=? AND rk=?", (tid, h, hk, rk)).fetchone()
        return _loads(row[0]) if row else None

    def item(self, schema: Schema, key: Item) -> Item | None:
        """The stored item with this key, or None."""
        found = self.get(schema, key)
        return found[0] if found else None

    def write(self, schema: Schema, old: Item | None, new: Item | None, new_size: int | None = None) -> None:
        """Replace ``old`` by ``new`` (either may be None) with its index rows. Call inside a
        ``Store.transaction`` when several writes must commit together."""
        db = self.db
        base = schema.storage_key(new if new is not None else old)  # same key for old and new
        h, hk, rk = base
        with self.store._lock:
            if new is None:
                db.execute("DELETE FROM ddb_items WHERE tid=? AND h=? AND hk=? AND rk=?", (schema.tid, h, hk, rk))
            else:
                size = new_size if new_size is not None else item_size(new)
                db.execute(
                    "INSERT OR REPLACE INTO ddb_items(tid, h, hk, rk, size, ttl, item) VALUES (?,?,?,?,?,?,?)",
                    (schema.tid, h, hk, rk, size, ttl_of(schema, new), _dumps(new, _PICKLE)),
                )
            for index in schema.indexes:
                self._write_index_row(schema, index, hk, rk, old, new)

    def _write_index_row(self, schema: Schema, index: Index, bhk: bytes, brk: bytes, old: Item | None, new: Item | None) -> None:
        old_key = index_key(index, old) if old is not None else None
        new_key = index_key(index, new) if new is not None else None
        if old_key is not None and old_key != new_key:
            ihk, irk = old_key
            self.db.execute(
                "DELETE FROM ddb_index_rows WHERE xid=? AND h=? AND hk=? AND rk=? AND bhk=? AND brk=?",
                (index.xid, hash32(ihk), ihk, irk, bhk, brk),
            )
        if new_key is not None:
            ihk, irk = new_key
            projected = project(index, schema, new)
            self.db.execute(
                "INSERT OR REPLACE INTO ddb_index_rows(xid, h, hk, rk, bhk, brk, size, item) VALUES (?,?,?,?,?,?,?,?)",
                (index.xid, hash32(ihk), ihk, irk, bhk, brk, item_size(projected), _dumps(projected, _PICKLE)),
            )

    # -- ranges ------------------------------------------------------------------------------
    def query(
        self,
        schema: Schema,
        index: Index | None,
        hk: bytes,
        lower: tuple[bytes, bool] | None,
        upper: tuple[bytes, bool] | None,
        forward: bool,
        start: Position | None,
        chunk: int = 256,
    ) -> Iterator[Row]:
        """Rows of one partition in sort-key order, between optional bounds ((value, inclusive)),
        after ``start`` (exclusive, in the direction of reading). ``hk``: the partition's storage
        bytes (a key condition's ``hash_key``)."""
        h = hash32(hk)
        table, ident, extra = ("ddb_index_rows", index.xid, ", bhk, brk") if index else ("ddb_items", schema.tid, "")
        where = [f"{'xid' if index else 'tid'}=?", "h=?", "hk=?"]
        args: list[Any] = [ident, h, hk]
        if lower is not None:
            where.append("rk >= ?" if lower[1] else "rk > ?")
            args.append(lower[0])
        if upper is not None:
            where.append("rk <= ?" if upper[1] else "rk < ?")
            args.append(upper[0])
        order_cols = "rk, bhk, brk" if index else "rk"
        cmp = ">" if forward else "<"
        direction = "ASC" if forward else "DESC"
        order = ", ".join(f"{c} {direction}" for c in order_cols.split(", "))
        cursor_pos = None
        if start is not None:
            cursor_pos = (start.rk, start.bhk, start.brk) if index else (start.rk,)
        while True:
            sql_where = list(where)
            sql_args = list(args)
            if cursor_pos is not None:
                sql_where.append(f"({order_cols}) {cmp} ({','.join('?' * len(cursor_pos))})")
                sql_args.extend(cursor_pos)
            sql = f"SELECT rk{extra}, size, item FROM {table} WHERE {' AND '.join(sql_where)} ORDER BY {order} LIMIT {chunk}"
            with self.store._lock:
                rows = self.db.execute(sql, sql_args).fetchall()
            for row in rows:
                if index:
                    rk, bhk, brk, size, raw = row
                    cursor_pos = (rk, bhk, brk)
                    yield Row(_loads(raw), size, Position(h, hk, rk, bhk, brk))
                else:
                    rk, size, raw = row
                    cursor_pos = (rk,)
                    yield Row(_loads(raw), size, Position(h, hk, rk))
            if len(rows) < chunk:
                return
            chunk = min(chunk * 4, 4096)

    def scan(
        self, schema: Schema, index: Index | None, h_range: tuple[int, int], start: Position | None, chunk: int = 256
    ) -> Iterator[Row]:
        """Rows in hash order, with ``h`` in [lo, hi) (a parallel-scan segment)."""
        lo, hi = h_range
        if index:
            table, idcol, ident, cols = "ddb_index_rows", "xid", index.xid, ("h", "hk", "rk", "bhk", "brk")
        else:
            table, idcol, ident, cols = "ddb_items", "tid", schema.tid, ("h", "hk", "rk")
        pos = None
        if start is not None:
            pos = (start.h, start.hk, start.rk, start.bhk, start.brk)[: len(cols)]
        col_list = ", ".join(cols)
        while True:
            where = f"{idcol}=? AND h >= ? AND h < ?"
            args: list[Any] = [ident, lo, hi]
            if pos is not None:
                where += f" AND ({col_list}) > ({','.join('?' * len(cols))})"
                args.extend(pos)
            sql = f"SELECT {col_list}, size, item FROM {table} WHERE {where} ORDER BY {col_list} LIMIT {chunk}"
            with self.store._lock:
                rows = self.db.execute(sql, args).fetchall()
            for row in rows:
                pos = row[: len(cols)]
                yield Row(_loads(row[-1]), row[-2], Position(*pos))
            if len(rows) < chunk:
                return
            chunk = min(chunk * 4, 4096)

    # -- whole tables ------------------------------------------------------------------------
    def stats(self, tid: int) -> tuple[int, int]:
        return self._counted("ddb_items", "tid", tid)

    def index_stats(self, xid: int) -> tuple[int, int]:
        return self._counted("ddb_index_rows", "xid", xid)

    # Counting reads every row (about 150 ms for a million items) on the event loop. AWS itself
    # refreshes ItemCount and TableSizeBytes only about every six hours, so a count that took
    # longer than 10 ms is reused for up to 100 times what it cost: DescribeTable (which waiters
    # poll) stays fast on a large table and spends at most ~1% of the time counting, while small
    # tables, which count in well under a millisecond, are always exact.
    def _counted(self, sql_table: str, column: str, ident: int) -> tuple[int, int]:
        key = (sql_table, ident)
        now = time.monotonic()
        cached = self._counts.get(key)
        if cached is not None and cached[3] > 0.01 and now - cached[2] < cached[3] * 100:
            return cached[0], cached[1]
        with self.store._lock:
            count, size = self.db.execute(
                f"SELECT count(*), coalesce(sum(size), 0) FROM {sql_table} WHERE {column}=?", (ident,)).fetchone()
        self._counts[key] = (count, size, now, time.monotonic() - now)
        return count, size

    def drop_table(self, tid: int, xids: list[int]) -> None:
        with self.store.transaction():
            self.db.execute("DELETE FROM ddb_items WHERE tid=?", (tid,))
            for xid in xids:
                self.db.execute("DELETE FROM ddb_index_rows WHERE xid=?", (xid,))
        for key in [("ddb_items", tid), *(("ddb_index_rows", xid) for xid in xids)]:
            self._counts.pop(key, None)

    def forget_counts(self, tid: int) -> None:
        self._counts.pop(("ddb_items", tid), None)

    def snapshot(self, source: int, target: int) -> None:
        """Copy every item of ``source`` under the id ``target`` at once (a backup: one statement,
        so no write can land half way)."""
        with self.store.transaction():
            self.db.execute("INSERT INTO ddb_items(tid, h, hk, rk, size, ttl, item) "
                            "SELECT ?, h, hk, rk, size, NULL, item FROM ddb_items WHERE tid=?", (target, source))
        self.forget_counts(target)

    def copy_chunk(self, source: int, target: int, after: Position | None, limit: int = 2000) -> Position | None:
        """Copy the next ``limit`` items of ``source`` after ``after`` (in storage order) under
        ``target``, in one transaction; return where it stopped, or None when all are copied."""
        start = (after.h, after.hk, after.rk) if after is not None else (-1, b"", b"")
        with self.store.transaction():
            last = self.db.execute(
                "SELECT h, hk, rk FROM ddb_items WHERE tid=? AND (h, hk, rk) > (?,?,?) ORDER BY h, hk, rk LIMIT 1 OFFSET ?",
                (source, *start, limit - 1)).fetchone()
            bound, args = ("", ()) if last is None else (" AND (h, hk, rk) <= (?,?,?)", tuple(last))
            self.db.execute("INSERT OR REPLACE INTO ddb_items(tid, h, hk, rk, size, ttl, item) "
                            f"SELECT ?, h, hk, rk, size, NULL, item FROM ddb_items WHERE tid=? AND (h, hk, rk) > (?,?,?){bound}",
                            (target, source, *start, *args))
        self.forget_counts(target)
        return None if last is None else Position(*last)

    def drop_index(self, xid: int) -> None:
        self.store.execute("DELETE FROM ddb_index_rows WHERE xid=?", (xid,))

    def backfill_chunk(self, schema: Schema, index: Index, after: Position | None, limit: int = 500) -> Position | None:
        """Add index rows for the next ``limit`` base items after ``after``; return where it
        stopped, or None when the table is done. Each chunk is one transaction."""
        last = None
        with self.store.transaction():
            for count, row in enumerate(self.scan(schema, None, (0, 1 << 32), after, chunk=limit)):
                self._write_index_row(schema, index, row.position.hk, row.position.rk, None, row.item)
                last = row.position
                if count + 1 >= limit:
                    return last
        return None

    def refresh_ttl(self, schema: Schema) -> None:
        """Recompute the ttl column after the table's TTL attribute changed."""
        updates = []
        for row in self.scan(schema, None, (0, 1 << 32), None, chunk=2048):
            updates.append((ttl_of(schema, row.item), schema.tid, row.position.h, row.position.hk, row.position.rk))
        with self.store.transaction():
            self.db.executemany("UPDATE ddb_items SET ttl=? WHERE tid=? AND h=? AND hk=? AND rk=?", updates)

    def clear_ttl(self, schema: Schema, item: Item) -> None:
        h, hk, rk = schema.storage_key(item)
        self.store.execute("UPDATE ddb_items SET ttl=NULL WHERE tid=? AND h=? AND hk=? AND rk=?", (schema.tid, h, hk, rk))

    def expired(self, tid: int, now: float, limit: int = 100) -> list[Item]:
        with self.store._lock:
            rows = self.db.execute(
                "SELECT item FROM ddb_items WHERE tid=? AND ttl IS NOT NULL AND ttl <= ? LIMIT ?", (tid, now, limit)
            ).fetchall()
        return [_loads(raw) for (raw,) in rows]
