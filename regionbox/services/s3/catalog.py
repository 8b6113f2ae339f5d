"""Object versions and multipart parts in SQLite: the rows that say what exists.

A version row is written (and an older one replaced) in one transaction after its data is in
place on disk (storage.py), so a crash never shows a half-written object, and an acknowledged PUT
is there after a restart. Keys sort as S3 lists them: by UTF-8 bytes, which is SQLite's BINARY order
of the UTF-8 text and Python's code point order.
"""

from __future__ import annotations

from typing import Iterator

import orjson

from regionbox.core.store import Store
from regionbox.services.s3.models import Version

_SCHEMA = """
CREATE TABLE IF NOT EXISTS s3_objects (
    bucket TEXT NOT NULL, key TEXT NOT NULL, version_id TEXT NOT NULL, seq INTEGER NOT NULL,
    latest INTEGER NOT NULL, delete_marker INTEGER NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
    modified REAL NOT NULL, files BLOB NOT NULL, meta BLOB NOT NULL, inline BLOB,
    PRIMARY KEY (bucket, key, version_id)
);
CREATE INDEX IF NOT EXISTS s3_objects_latest ON s3_objects (bucket, latest, key);
CREATE INDEX IF NOT EXISTS s3_objects_order ON s3_objects (bucket, key, seq);
CREATE TABLE IF NOT EXISTS s3_parts (
    upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
    modified REAL NOT NULL, file TEXT NOT NULL, checksums BLOB NOT NULL,
    PRIMARY KEY (upload_id, part_number)
);
"""
_COLUMNS = "bucket, key, version_id, seq, latest, delete_marker, size, etag, modified, files, meta, inline"


def _version(row: tuple) -> Version:
    bucket, key, version_id, seq, latest, marker, size, etag, modified, files, meta, inline = row
    return Version(bucket, key, version_id, seq, bool(latest), bool(marker), size, etag, modified,
                   orjson.loads(files), orjson.loads(meta), inline)


class Catalog:
    def __init__(self, store: Store) -> None:
        self.store = store
        store.db.executescript(_SCHEMA)
        store.on_reset(self._reset)
        row = store.execute("SELECT MAX(seq) FROM s3_objects").fetchone()
        self._seq = row[0] or 0

    def _reset(self) -> None:
        self.store.db.execute("DELETE FROM s3_objects")
        self.store.db.execute("DELETE FROM s3_parts")

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # -- versions -----------------------------------------------------------------------------
    def latest(self, bucket: str, key: str) -> Version | None:
        row = self.store.execute(f"SELECT {_COLUMNS} FROM s3_objects WHERE bucket=? AND key=? AND latest=1",
                                 (bucket, key)).fetchone()
        return _version(row) if row else None

    def version(self, bucket: str, key: str, version_id: str) -> Version | None:
        row = self.store.execute(f"SELECT {_COLUMNS} FROM s3_objects WHERE bucket=? AND key=? AND version_id=?",
                                 (bucket, key, version_id)).fetchone()
        return _version(row) if row else None

    def put(self, version: Version) -> Version | None:
        """Make ``version`` the key's latest; return the row it replaced (same version id), whose
        files the caller removes. Call inside a store transaction."""
        replaced = self.version(version.bucket, version.key, version.version_id)
        self.store.execute("UPDATE s3_objects SET latest=0 WHERE bucket=? AND key=? AND latest=1",
                           (version.bucket, version.key))
        self.store.execute(
            f"INSERT OR REPLACE INTO s3_objects ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (version.bucket, version.key, version.version_id, version.seq, 1 if version.latest else 0,
             1 if version.delete_marker else 0, version.size, version.etag, version.modified,
             orjson.dumps(version.files), orjson.dumps(version.meta), version.inline))
        return replaced

    def update_meta(self, version: Version) -> None:
        self.store.execute("UPDATE s3_objects SET meta=? WHERE bucket=? AND key=? AND version_id=?",
                           (orjson.dumps(version.meta), version.bucket, version.key, version.version_id))

    def remove(self, version: Version) -> None:
        """Delete one version; the newest remaining one becomes the latest. Call inside a transaction."""
        self.store.execute("DELETE FROM s3_objects WHERE bucket=? AND key=? AND version_id=?",
                           (version.bucket, version.key, version.version_id))
        if version.latest:
            self.store.execute(
                "UPDATE s3_objects SET latest=1 WHERE bucket=? AND key=? AND seq=(SELECT MAX(seq) FROM s3_objects "
                "WHERE bucket=? AND key=?)", (version.bucket, version.key, version.bucket, version.key))

    def is_empty(self, bucket: str) -> bool:
        return self.store.execute("SELECT 1 FROM s3_objects WHERE bucket=? LIMIT 1", (bucket,)).fetchone() is None

    def latest_from(self, bucket: str, start: str, inclusive: bool, limit: int) -> list[Version]:
        """Latest versions (delete markers too) in key order from ``start``."""
        op = ">=" if inclusive else ">"
        rows = self.store.execute(f"SELECT {_COLUMNS} FROM s3_objects WHERE bucket=? AND latest=1 AND key {op} ? "
                                  "ORDER BY key LIMIT ?", (bucket, start, limit)).fetchall()
        return [_version(row) for row in rows]

    def versions_from(self, bucket: str, start: str, inclusive: bool, limit: int, before_seq: int | None = None) -> list[Version]:
        """Every version in key order, newest first within a key, from ``start`` (with ``before_seq``:
        from the versions of ``start`` older than that one)."""
        if before_seq is not None:
            where, args = "(key > ? OR (key = ? AND seq < ?))", (start, start, before_seq)
        else:
            where, args = f"key {'>=' if inclusive else '>'} ?", (start,)
        rows = self.store.execute(f"SELECT {_COLUMNS} FROM s3_objects WHERE bucket=? AND {where} "
                                  "ORDER BY key, seq DESC LIMIT ?", (bucket, *args, limit)).fetchall()
        return [_version(row) for row in rows]

    def versions_of(self, bucket: str, key: str) -> list[Version]:
        rows = self.store.execute(f"SELECT {_COLUMNS} FROM s3_objects WHERE bucket=? AND key=? ORDER BY seq DESC",
                                  (bucket, key)).fetchall()
        return [_version(row) for row in rows]

    def all_versions(self, bucket: str) -> Iterator[Version]:
        rows = self.store.execute(f"SELECT {_COLUMNS} FROM s3_objects WHERE bucket=? ORDER BY key, seq DESC",
                                  (bucket,)).fetchall()
        return (_version(row) for row in rows)

    def file_ids(self) -> set[str]:
        """Every data file some row refers to (versions and parts): what a sweep must keep."""
        found = {part[0] for (files,) in self.store.execute("SELECT files FROM s3_objects").fetchall()
                 for part in orjson.loads(files)}
        found.update(file for (file,) in self.store.execute("SELECT file FROM s3_parts").fetchall())
        return found

    # -- parts --------------------------------------------------------------------------------
    def put_part(self, upload_id: str, number: int, size: int, etag: str, modified: float, file: str,
                 checksums: dict) -> str | None:
        """Record a part; return the file of the part it replaced, if any."""
        row = self.store.execute("SELECT file FROM s3_parts WHERE upload_id=? AND part_number=?",
                                 (upload_id, number)).fetchone()
        self.store.execute("INSERT OR REPLACE INTO s3_parts VALUES (?,?,?,?,?,?,?)",
                           (upload_id, number, size, etag, modified, file, orjson.dumps(checksums)))
        return row[0] if row else None

    def parts(self, upload_id: str, after: int = 0, limit: int = 10001) -> list[dict]:
        rows = self.store.execute("SELECT part_number, size, etag, modified, file, checksums FROM s3_parts "
                                  "WHERE upload_id=? AND part_number>? ORDER BY part_number LIMIT ?",
                                  (upload_id, after, limit)).fetchall()
        return [{"PartNumber": n, "Size": size, "ETag": etag, "LastModified": modified, "file": file,
                 "checksums": orjson.loads(checksums)} for n, size, etag, modified, file, checksums in rows]

    def drop_parts(self, upload_id: str) -> None:
        self.store.execute("DELETE FROM s3_parts WHERE upload_id=?", (upload_id,))
