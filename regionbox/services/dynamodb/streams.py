"""The stream log: the change records of every table with a stream, in shards, kept 24 hours.

Each write to a table with an enabled stream appends one record in the same SQLite transaction
as the item itself, so a record exists exactly when its write was acknowledged. Records carry a
global, strictly increasing sequence number (a 21-digit decimal string, as AWS's are numeric
strings), so order per item is write order.

A stream has one open shard at a time. The shard closes (and a child shard whose
``ParentShardId`` names it opens) when it is older than ``shard_seconds`` (4 hours, as AWS rolls
shards) or, if set, after ``shard_max_records`` records, which tests use to see a rollover. Records
older than 24 hours are trimmed; reading them gives TrimmedDataAccessException.

The write path (writes.py) appends records and publishes each one, after commit, on the cloud's
event bus under "dynamodb.stream" with ``{"stream_arn", "table_name", "account", "region",
"record"}`` for Lambda and AppSync. The DynamoDB Streams service reads the log only through
DynamoDB's public API (api.py).
"""

from __future__ import annotations

import pickle
import secrets
import time
from typing import Any

from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import InvalidToken, Paginator
from regionbox.core.store import Scope, Store
from regionbox.services.dynamodb.models import Stream, Table
from regionbox.services.dynamodb.types import item_size

RETENTION = 24 * 3600
ITERATOR_LIFETIME = 15 * 60
SEQ_BASE = 10**20  # sequence numbers print as 21 digits, so string order is numeric order

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ddb_stream_shards (
    sid INTEGER NOT NULL, shard_no INTEGER NOT NULL, shard_id TEXT NOT NULL, parent TEXT,
    created REAL NOT NULL, first_seq INTEGER, last_seq INTEGER, closed INTEGER NOT NULL DEFAULT 0,
    trimmed_to INTEGER NOT NULL DEFAULT 0, records INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (sid, shard_no)
);
CREATE TABLE IF NOT EXISTS ddb_stream_records (
    sid INTEGER NOT NULL, seq INTEGER NOT NULL, shard_no INTEGER NOT NULL, created REAL NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (sid, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ddb_stream_records_age ON ddb_stream_records(created);
"""


def seq_text(seq: int) -> str:
    return str(SEQ_BASE + seq)


def seq_number(text: str) -> int:
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise invalid(f"Invalid SequenceNumber: {text}") from None
    return value - SEQ_BASE


def stream_label(now: float) -> str:
    """A stream's label: its creation time to the millisecond, as AWS's ("2024-01-31T12:00:00.123")."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}"


class StreamLog:
    def __init__(self, store: Store, paginator: Paginator, shard_seconds: float, shard_max_records: int):
        self.store = store
        self.db = store.db
        self.paginator = paginator  # signs shard iterators
        self.db.executescript(_SCHEMA)
        self.store.on_reset(self._reset)
        self.collection = store.collection("dynamodb.streams", Stream)
        self.shard_seconds = shard_seconds
        self.shard_max_records = shard_max_records
        self._seq = self._max_seq()
        # Shards opened before every shard got its starting number (regionbox < issue 9) start
        # after the last record written so far.
        self.db.execute("UPDATE ddb_stream_shards SET first_seq=? WHERE first_seq IS NULL", (self._seq + 1,))
        # sid -> [shard_no, records, created] of the open shard, to avoid a query per write
        self._open: dict[int, list] = {}

    def _reset(self) -> None:
        self.db.execute("DELETE FROM ddb_stream_shards")
        self.db.execute("DELETE FROM ddb_stream_records")
        self._open = {}

    def _max_seq(self) -> int:
        row = self.db.execute("SELECT max(seq) FROM ddb_stream_records").fetchone()
        shard = self.db.execute("SELECT max(last_seq) FROM ddb_stream_shards").fetchone()
        return max(row[0] or 0, shard[0] or 0)

    # -- lifecycle ---------------------------------------------------------------------------
    def create(self, scope: Scope, table: Table, view_type: str, sid: int, arn: str, label: str, now: float) -> Stream:
        stream = Stream(arn=arn, label=label, table_name=table.name, sid=sid,
                        view_type=view_type, created=now, key_schema=table.key_schema)
        self.collection.put(scope, stream.arn, stream)
        self._new_shard(sid, None, now)
        return stream

    def disable(self, scope: Scope, arn: str) -> None:
        stream = self.collection.get(scope, arn)
        if stream and stream.enabled:
            stream.enabled = False
            stream.disabled_at = time.time()
            self.collection.put(scope, arn, stream)
            self._close_open_shard(stream.sid)

    def _new_shard(self, sid: int, parent: str | None, now: float) -> None:
        row = self.db.execute("SELECT max(shard_no) FROM ddb_stream_shards WHERE sid=?", (sid,)).fetchone()
        shard_no = (row[0] or 0) + 1
        shard_id = f"shardId-{int(now * 1000):020d}-{secrets.token_hex(4)}"
        # A shard reports its StartingSequenceNumber from the start, before any record: the next
        # number to be given out (its first record's, or a lower one if other streams write first).
        self.db.execute(
            "INSERT INTO ddb_stream_shards(sid, shard_no, shard_id, parent, created, first_seq) VALUES (?,?,?,?,?,?)",
            (sid, shard_no, shard_id, parent, now, self._seq + 1),
        )
        self._open[sid] = [shard_no, 0, now]

    def _open_shard(self, sid: int) -> list:
        state = self._open.get(sid)
        if state is None:
            row = self.db.execute(
                "SELECT shard_no, records, created FROM ddb_stream_shards WHERE sid=? AND closed=0 ORDER BY shard_no DESC LIMIT 1",
                (sid,),
            ).fetchone()
            if row is None:
                self._new_shard(sid, self._last_shard_id(sid), time.time())
                return self._open[sid]
            state = self._open[sid] = list(row)
        return state

    def _last_shard_id(self, sid: int) -> str | None:
        row = self.db.execute("SELECT shard_id FROM ddb_stream_shards WHERE sid=? ORDER BY shard_no DESC LIMIT 1", (sid,)).fetchone()
        return row[0] if row else None

    def _close_open_shard(self, sid: int) -> None:
        self.db.execute("UPDATE ddb_stream_shards SET closed=1 WHERE sid=? AND closed=0", (sid,))
        self._open.pop(sid, None)

    # -- writing -----------------------------------------------------------------------------
    def append(self, ctx_region: str, table: Table, event: str, keys: dict, old: dict | None, new: dict | None,
               user_identity: dict | None = None) -> dict:
        """Append a record for one item change (inside the caller's transaction); returns the bus payload."""
        stream = table.stream
        sid = stream["sid"]
        view = stream["view_type"]
        now = time.time()
        state = self._open_shard(sid)
        if state[1] and (now - state[2] >= self.shard_seconds or (self.shard_max_records and state[1] >= self.shard_max_records)):
            parent = self.db.execute("SELECT shard_id FROM ddb_stream_shards WHERE sid=? AND shard_no=?", (sid, state[0])).fetchone()[0]
            self._close_open_shard(sid)
            self._new_shard(sid, parent, now)
            state = self._open[sid]
        self._seq += 1
        seq = self._seq
        body: dict[str, Any] = {"ApproximateCreationDateTime": float(int(now)), "Keys": keys}
        if new is not None and view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
            body["NewImage"] = new
        if old is not None and view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
            body["OldImage"] = old
        body["SequenceNumber"] = seq_text(seq)
        body["SizeBytes"] = sum(item_size(body[k]) for k in ("Keys", "NewImage", "OldImage") if k in body)
        body["StreamViewType"] = view
        record = {
            "eventID": secrets.token_hex(16),
            "eventName": event,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": ctx_region,
            "dynamodb": body,
        }
        if user_identity:
            record["userIdentity"] = user_identity
        shard_no = state[0]
        self.db.execute(
            "INSERT INTO ddb_stream_records(sid, seq, shard_no, created, record) VALUES (?,?,?,?,?)",
            (sid, seq, shard_no, now, pickle.dumps(record, pickle.HIGHEST_PROTOCOL)),
        )
        self.db.execute(
            "UPDATE ddb_stream_shards SET first_seq=coalesce(first_seq, ?), last_seq=?, records=records+1 WHERE sid=? AND shard_no=?",
            (seq, seq, sid, shard_no),
        )
        state[1] += 1
        return {"stream_arn": stream["arn"], "table_name": table.name, "record": record}

    def trim(self, now: float | None = None) -> None:
        """Drop records older than 24 hours, and streams disabled for longer than that."""
        cutoff = (now or time.time()) - RETENTION
        with self.store.transaction():
            rows = self.db.execute(
                "SELECT sid, shard_no, max(seq) FROM ddb_stream_records WHERE created < ? GROUP BY sid, shard_no", (cutoff,)
            ).fetchall()
            for sid, shard_no, seq in rows:
                self.db.execute("UPDATE ddb_stream_shards SET trimmed_to=max(trimmed_to, ?) WHERE sid=? AND shard_no=?", (seq, sid, shard_no))
            self.db.execute("DELETE FROM ddb_stream_records WHERE created < ?", (cutoff,))
            self.db.execute(
                "DELETE FROM ddb_stream_shards WHERE closed=1 AND (last_seq IS NULL OR trimmed_to >= last_seq) AND created < ?",
                (cutoff,),
            )
            for scope, arn, stream in list(self.collection.all()):
                if not stream.enabled and stream.disabled_at and stream.disabled_at < cutoff:
                    self.collection.delete(scope, arn)

    # -- reading (DynamoDB Streams, through api.py) ----------------------------------------------------
    def stream(self, scope: Scope, arn: str) -> Stream:
        stream = self.collection.get(scope, arn) if isinstance(arn, str) else None
        if stream is None:
            raise ServiceError("ResourceNotFoundException", f"Requested resource not found: Stream: {arn} not found")
        return stream

    def list(self, scope: Scope, table_name: str | None) -> list[Stream]:
        streams = self.collection.values(scope)
        if table_name is not None:
            streams = [s for s in streams if s.table_name == table_name]
        return streams

    def shards(self, sid: int) -> list[dict]:
        rows = self.db.execute(
            "SELECT shard_id, parent, first_seq, last_seq, closed FROM ddb_stream_shards WHERE sid=? ORDER BY shard_no", (sid,)
        ).fetchall()
        shards = []
        for shard_id, parent, first, last, closed in rows:
            shard: dict[str, Any] = {"ShardId": shard_id, "SequenceNumberRange": {}}
            if first is not None:
                shard["SequenceNumberRange"]["StartingSequenceNumber"] = seq_text(first)
            if closed and last is not None:
                shard["SequenceNumberRange"]["EndingSequenceNumber"] = seq_text(last)
            if parent:
                shard["ParentShardId"] = parent
            shards.append(shard)
        return shards

    def _shard(self, sid: int, shard_id: str, arn: str) -> tuple:
        row = self.db.execute(
            "SELECT shard_no, first_seq, last_seq, closed, trimmed_to FROM ddb_stream_shards WHERE sid=? AND shard_id=?",
            (sid, shard_id),
        ).fetchone()
        if row is None:
            raise ServiceError("ResourceNotFoundException",
                               "Requested resource not found: Shard does not exist")
        return row

    def iterator(self, scope: Scope, arn: str, shard_id: str, kind: str, sequence: str | None) -> str:
        stream = self.stream(scope, arn)
        shard_no, first, last, closed, trimmed_to = self._shard(stream.sid, shard_id, arn)
        if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            if sequence is None:
                raise invalid("Must specify a sequence number when using iterator type " + kind)
            seq = seq_number(sequence)
            after = seq - 1 if kind == "AT_SEQUENCE_NUMBER" else seq
            if (first is None or seq < first or (last is not None and seq > last)) and seq > trimmed_to:
                raise invalid(f"Invalid SequenceNumber {sequence} for shard {shard_id}, stream {arn}")
            if seq <= trimmed_to:
                raise ServiceError("TrimmedDataAccessException",
                                   "The operation attempted to read past the oldest stream record in a shard.")
        elif kind == "TRIM_HORIZON":
            after = max(trimmed_to, (first or 1) - 1)
        elif kind == "LATEST":
            after = last if last is not None else self._seq
        else:
            raise invalid(f"Invalid ShardIteratorType: {kind}")
        return self._encode_iterator(scope, stream.arn, shard_id, after)

    def _encode_iterator(self, scope, arn: str, shard_id: str, after: int) -> str:
        return self.paginator.encode({"c": list(scope), "a": arn, "s": shard_id, "q": after, "t": time.time()})

    def records(self, scope: Scope, token: str, limit: int | None) -> dict:
        try:
            payload = self.paginator.decode(token)
            arn, shard_id, after, issued = payload["a"], payload["s"], int(payload["q"]), float(payload["t"])
            if tuple(payload["c"]) != tuple(scope):
                raise InvalidToken(token)
        except (InvalidToken, KeyError, TypeError, ValueError):
            raise invalid("Invalid ShardIterator") from None
        now = time.time()
        if now - issued > ITERATOR_LIFETIME:
            raise ServiceError(
                "ExpiredIteratorException",
                f"Iterator expired. The iterator was created at time {time.strftime('%a %b %d %H:%M:%S UTC %Y', time.gmtime(issued))} "
                f"while right now it is {time.strftime('%a %b %d %H:%M:%S UTC %Y', time.gmtime(now))} which is further in the "
                f"future than the tolerated delay of {ITERATOR_LIFETIME * 1000} milliseconds.",
            )
        stream = self.stream(scope, arn)
        shard_no, first, last, closed, trimmed_to = self._shard(stream.sid, shard_id, arn)
        if after < trimmed_to:
            raise ServiceError("TrimmedDataAccessException", "The operation attempted to read past the oldest stream record in a shard.")
        if limit is not None and not 1 <= limit <= 1000:
            raise invalid(f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000")
        rows = self.db.execute(
            "SELECT seq, record FROM ddb_stream_records WHERE sid=? AND shard_no=? AND seq > ? ORDER BY seq LIMIT ?",
            (stream.sid, shard_no, after, limit or 1000),
        ).fetchall()
        records = [pickle.loads(raw) for _, raw in rows]
        if rows:
            after = rows[-1][0]
        output: dict[str, Any] = {"Records": records}
        exhausted = closed and (last is None or after >= last)
        if not exhausted:
            output["NextShardIterator"] = self._encode_iterator(scope, arn, shard_id, after)
        return output

    def describe(self, scope: Scope, arn: str) -> dict:
        stream = self.stream(scope, arn)
        return {
            "StreamArn": stream.arn,
            "StreamLabel": stream.label,
            "StreamStatus": "ENABLED" if stream.enabled else "DISABLED",
            "StreamViewType": stream.view_type,
            "CreationRequestDateTime": stream.created,
            "TableName": stream.table_name,
            "KeySchema": stream.key_schema,
            "Shards": self.shards(stream.sid),
        }

