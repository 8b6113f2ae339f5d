"""Durable state: SQLite in WAL mode under the state directory.

Every service keeps its resources in ``Collection``s: documents (plain JSON-able dicts, or
dataclasses) keyed by account, region and a resource key. Reads come from an in-memory copy;
every write goes to SQLite before the call returns. WAL with ``synchronous=NORMAL`` means a
committed transaction is in the OS page cache before we acknowledge it, so it survives ``kill -9``
of the server (not a power cut, which is the trade AWS-emulation users want for speed).

Documents carry a schema: a dataclass model declares ``SCHEMA_VERSION`` and ``MIGRATIONS``
(version -> function that turns a stored document of the version before into this version), and
a collection opened with a newer model migrates its stored documents once, in one transaction.
Fields a model no longer has are dropped when read, fields it gained take their defaults, so an
upgrade never makes a whole collection unloadable.

Services whose data is large or needs indexes (DynamoDB items, log events, audit records)
create their own tables through ``Store.db`` / ``Store.execute`` and keep the same guarantee.
Everything runs on the event loop thread; SQLite calls are short and synchronous on purpose.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Generic, Iterator, TypeVar

import orjson

T = TypeVar("T")
log = logging.getLogger("regionbox.store")
Migration = Callable[[dict], dict]

# Scope of a resource: (account id, region). Global services (IAM, Organizations) use region "".
Scope = tuple[str, str]
GLOBAL = ""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    collection TEXT NOT NULL,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    doc BLOB NOT NULL,
    PRIMARY KEY (collection, account, region, key)
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
"""


def _encode(doc: Any) -> bytes:
    if dataclasses.is_dataclass(doc):
        doc = dataclasses.asdict(doc)
    return orjson.dumps(doc)


class Store:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(_SCHEMA)
        self._lock = threading.RLock()
        self._depth = 0
        self._collections: dict[str, Collection] = {}
        self._reset_hooks: list[Callable[[], None]] = []

    # -- raw SQL for services that need their own tables ------------------------------------
    def execute(self, sql: str, params: tuple | dict = ()) -> sqlite3.Cursor:
        with self._lock:
            return self.db.execute(sql, params)

    def executemany(self, sql: str, rows) -> sqlite3.Cursor:
        with self._lock:
            return self.db.executemany(sql, rows)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Group writes into one atomic commit. Nested calls join the outer transaction."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self.db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self.db
            except BaseException:
                self._depth -= 1
                if outer:
                    self.db.execute("ROLLBACK")
                    for collection in self._collections.values():
                        collection._reload()
                raise
            else:
                self._depth -= 1
                if outer:
                    self.db.execute("COMMIT")

    def on_reset(self, hook: Callable[[], None]) -> None:
        """Register a hook that empties a service's own tables on reset."""
        self._reset_hooks.append(hook)

    # -- documents --------------------------------------------------------------------------
    def collection(self, name: str, model: type[T] | None = None) -> "Collection[T]":
        if name not in self._collections:
            self._collections[name] = Collection(self, name, model)
        return self._collections[name]

    def collections_in_use(self) -> set[str]:
        """Names of the collections that hold at least one document (which services to restore)."""
        return {row[0] for row in self.execute("SELECT DISTINCT collection FROM documents").fetchall()}

    def get_meta(self, name: str) -> bytes | None:
        row = self.execute("SELECT value FROM meta WHERE name=?", (name,)).fetchone()
        return row[0] if row else None

    def set_meta(self, name: str, value: bytes) -> None:
        self.execute("INSERT OR REPLACE INTO meta(name, value) VALUES (?, ?)", (name, value))

    def reset(self) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM documents")
            for hook in self._reset_hooks:
                hook()
        for collection in self._collections.values():
            collection._reload()

    def close(self) -> None:
        with self._lock:
            self.db.close()


class Collection(Generic[T]):
    """Documents of one kind, cached in memory and written through to SQLite.

    With ``model`` (a dataclass) documents come back as instances of it; otherwise as dicts.
    After changing an instance, ``put`` it again: nothing is saved implicitly.
    """

    def __init__(self, store: Store, name: str, model: type[T] | None):
        self.store = store
        self.name = name
        self.model = model
        self._fields = {f.name for f in dataclasses.fields(model)} if model is not None else set()
        self._seq = 0
        self._items: dict[Scope, dict[str, T]] = {}
        self._migrate()
        self._reload()

    @property
    def schema_version(self) -> int:
        return getattr(self.model, "SCHEMA_VERSION", 1)

    def _migrate(self) -> None:
        """Bring stored documents up to the model's schema version, once, in one transaction."""
        key = f"schema.{self.name}"
        raw = self.store.get_meta(key)
        stored = int(raw) if raw else 1
        wanted = self.schema_version
        if stored > wanted:
            log.warning("%s: stored documents have schema version %s, newer than this regionbox's %s; "
                        "fields it does not know are ignored", self.name, stored, wanted)
            return
        if stored < wanted:
            migrations: dict[int, Migration] = getattr(self.model, "MIGRATIONS", {})
            with self.store.transaction() as db:
                rows = db.execute("SELECT account, region, key, doc FROM documents WHERE collection=?", (self.name,)).fetchall()
                for account, region, doc_key, doc in rows:
                    document = orjson.loads(doc)
                    for version in range(stored + 1, wanted + 1):
                        if version in migrations:
                            document = migrations[version](document)
                    db.execute("UPDATE documents SET doc=? WHERE collection=? AND account=? AND region=? AND key=?",
                               (orjson.dumps(document), self.name, account, region, doc_key))
                db.execute("INSERT OR REPLACE INTO meta(name, value) VALUES (?, ?)", (key, str(wanted).encode()))

    def _decode(self, raw: bytes) -> T:
        doc = orjson.loads(raw)
        if self.model is None:
            return doc
        # Fields this model no longer has (removed, or written by a newer regionbox) are dropped.
        return self.model(**{name: value for name, value in doc.items() if name in self._fields})

    def _reload(self) -> None:
        self._items = {}
        self._seq = 0
        rows = self.store.execute(
            "SELECT account, region, key, seq, doc FROM documents WHERE collection=? ORDER BY seq",
            (self.name,),
        ).fetchall()
        for account, region, key, seq, raw in rows:
            self._items.setdefault((account, region), {})[key] = self._decode(raw)
            self._seq = max(self._seq, seq)

    def get(self, scope: Scope, key: str) -> T | None:
        return self._items.get(scope, {}).get(key)

    def __contains__(self, item: tuple[Scope, str]) -> bool:
        scope, key = item
        return key in self._items.get(scope, {})

    def put(self, scope: Scope, key: str, doc: T) -> T:
        items = self._items.setdefault(scope, {})
        existing = key in items
        if not existing:
            self._seq += 1
        # Keep the original insertion order for listings, as AWS lists in creation order.
        self.store.execute(
            "INSERT INTO documents(collection, account, region, key, seq, doc) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(collection, account, region, key) DO UPDATE SET doc=excluded.doc",
            (self.name, scope[0], scope[1], key, self._seq, _encode(doc)),
        )
        items[key] = doc
        return doc

    def delete(self, scope: Scope, key: str) -> T | None:
        doc = self._items.get(scope, {}).pop(key, None)
        if doc is not None:
            self.store.execute(
                "DELETE FROM documents WHERE collection=? AND account=? AND region=? AND key=?",
                (self.name, scope[0], scope[1], key),
            )
        return doc

    def values(self, scope: Scope) -> list[T]:
        return list(self._items.get(scope, {}).values())

    def items(self, scope: Scope) -> list[tuple[str, T]]:
        return list(self._items.get(scope, {}).items())

    def all(self) -> Iterator[tuple[Scope, str, T]]:
        """Every document in every account and region (for restoring engines at start-up)."""
        for scope, items in list(self._items.items()):
            for key, doc in list(items.items()):
                yield scope, key, doc
