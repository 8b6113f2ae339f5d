"""A node's caches: items (GetItem, BatchGetItem) and query results (Query, Scan).

Both are LRU maps with a time to live set when an entry is stored (``record-ttl-millis``,
``query-ttl-millis``; 0 keeps an entry until it is evicted or overwritten, as DAX documents).
They share the node's memory budget: an entry costs its key and item or answer bytes plus a
fixed overhead; when a new one does not fit, the least recently used entries of the cache holding
more entries go first. An item entry holds the item (None: known missing, DAX's negative cache) and lazily the
answer bytes GetItem sends for it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

ENTRY_OVERHEAD = 200  # bytes of bookkeeping per entry, so that tiny entries still count


class Entry:
    __slots__ = ("value", "encoded", "expires", "cost")

    def __init__(self, value: Any, encoded: bytes | None, expires: float, cost: int) -> None:
        self.value = value
        self.encoded = encoded
        self.expires = expires
        self.cost = cost


class NodeCache:
    def __init__(self, memory_bytes: int) -> None:
        self.memory_bytes = memory_bytes
        self.used = 0
        self.items: OrderedDict[tuple, Entry] = OrderedDict()
        self.queries: OrderedDict[tuple, Entry] = OrderedDict()
        self.evictions = 0

    def clear(self) -> None:
        self.items.clear()
        self.queries.clear()
        self.used = 0

    def get_item(self, key: tuple) -> Entry | None:
        return self._get(self.items, key)

    def get_query(self, key: tuple) -> Entry | None:
        return self._get(self.queries, key)

    def put_item(self, key: tuple, item: dict | None, ttl_ms: int, size: int) -> Entry:
        return self._put(self.items, key, item, None, ttl_ms, size)

    def put_query(self, key: tuple, answer: bytes, ttl_ms: int) -> None:
        self._put(self.queries, key, None, answer, ttl_ms, len(answer))

    def drop_item(self, key: tuple) -> None:
        entry = self.items.pop(key, None)
        if entry is not None:
            self.used -= entry.cost

    def _get(self, table: OrderedDict, key: tuple) -> Entry | None:
        entry = table.get(key)
        if entry is None:
            return None
        if entry.expires and entry.expires <= time.monotonic():
            del table[key]
            self.used -= entry.cost
            return None
        table.move_to_end(key)
        return entry

    def _put(self, table: OrderedDict, key: tuple, value: Any, encoded: bytes | None, ttl_ms: int, size: int) -> Entry:
        old = table.pop(key, None)
        if old is not None:
            self.used -= old.cost
        cost = size + sum(len(part) for part in key) + ENTRY_OVERHEAD
        entry = Entry(value, encoded, time.monotonic() + ttl_ms / 1000 if ttl_ms > 0 else 0.0, cost)
        if cost > self.memory_bytes:
            return entry  # larger than the node: answered, never kept
        while self.used + cost > self.memory_bytes:
            self._evict_one()
        table[key] = entry
        self.used += cost
        return entry

    def _evict_one(self) -> None:
        # without a shared clock of use, the larger cache gives up its least recently used entry
        victim = self.items if len(self.items) >= len(self.queries) and self.items else self.queries
        _, entry = victim.popitem(last=False)
        self.used -= entry.cost
        self.evictions += 1
