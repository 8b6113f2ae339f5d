"""An embedded Memcached: the text protocol, for when the memcached binary is not installed.

Commands: get gets gat gats set add replace append prepend cas delete incr decr touch flush_all
version stats verbosity quit, and ``mn`` (the meta no-op the configuration endpoint uses to keep
its answers in order). Items live in one LRU of at most ``-m`` megabytes; expiry times follow
memcached's rules (0 = never, up to 30 days relative, beyond that a Unix time, negative = already
expired). It is one event loop, so ``-t`` (threads) is accepted and ignored.

Run as a process with memcached's own flags: ``python -m regionbox.engines.embedded_memcached
-l 127.16.0.4 -p 11211 -m 64``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass

from regionbox.engines.embedded_server import EmbeddedServer, run_forever

VERSION = "1.6.18"
RELATIVE_LIMIT = 60 * 60 * 24 * 30  # exptimes above this are absolute Unix times
MAX_KEY_LENGTH = 250
STORAGE = {b"set", b"add", b"replace", b"append", b"prepend", b"cas"}
UINT64 = (1 << 64) - 1


@dataclass
class Item:
    value: bytes
    flags: int
    expires: float  # 0 = never
    cas: int


class MemcachedState:
    """The cache itself, independent of the wire."""

    def __init__(self, memory_limit: int = 64 << 20, item_limit: int = 1 << 20) -> None:
        self.items: OrderedDict[bytes, Item] = OrderedDict()
        self.memory_limit = memory_limit
        self.item_limit = item_limit
        self.used = 0
        self._cas = 0
        self.flushed_before = 0.0
        self.started = time.time()
        self.stats = {"cmd_get": 0, "cmd_set": 0, "get_hits": 0, "get_misses": 0, "cmd_touch": 0,
                      "evictions": 0, "total_connections": 0, "curr_connections": 0}

    def next_cas(self) -> int:
        self._cas += 1
        return self._cas

    @staticmethod
    def deadline(exptime: int) -> float:
        if exptime == 0:
            return 0
        if exptime < 0:
            return -1
        if exptime > RELATIVE_LIMIT:
            return float(exptime)
        return time.time() + exptime

    def get(self, key: bytes) -> Item | None:
        item = self.items.get(key)
        if item is None:
            return None
        if item.expires and item.expires <= time.time():
            self._remove(key)
            return None
        self.items.move_to_end(key)
        return item

    def _remove(self, key: bytes) -> None:
        item = self.items.pop(key)
        self.used -= len(key) + len(item.value)

    def store(self, key: bytes, value: bytes, flags: int, expires: float) -> None:
        if key in self.items:
            self._remove(key)
        if expires == -1:
            return  # stored and immediately expired
        self.items[key] = Item(value, flags, expires, self.next_cas())
        self.used += len(key) + len(value)
        while self.used > self.memory_limit and self.items:
            oldest = next(iter(self.items))
            self._remove(oldest)
            self.stats["evictions"] += 1

    def delete(self, key: bytes) -> bool:
        if self.get(key) is None:
            return False
        self._remove(key)
        return True

    def flush(self) -> None:
        self.items.clear()
        self.used = 0


class EmbeddedMemcached(EmbeddedServer):
    name = "memcached"

    def __init__(self, address: str = "127.0.0.1", port: int = 11211, options: dict | None = None) -> None:
        super().__init__(address, port, options)
        memory_mb = int(self.options.get("-m", 64))
        self.state = MemcachedState(memory_mb << 20, _size(self.options.get("-I", "1m")))

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stats = self.state.stats
        stats["total_connections"] += 1
        stats["curr_connections"] += 1
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                if not line.endswith(b"\n"):
                    return
                reply = await self.command(line.rstrip(b"\r\n").split(), reader)
                if reply is None:  # quit
                    return
                if reply:
                    writer.write(reply)
                    await writer.drain()
        finally:
            stats["curr_connections"] -= 1

    async def command(self, words: list[bytes], reader: asyncio.StreamReader) -> bytes | None:
        if not words:
            return b"ERROR\r\n"
        name = words[0].lower()
        if name in STORAGE:
            return await self._storage(name, words, reader)
        handler = _COMMANDS.get(name)
        if handler is None:
            return b"ERROR\r\n"
        if any(len(key) > MAX_KEY_LENGTH for key in words[1:]):
            return b"CLIENT_ERROR bad command line format\r\n"
        return handler(self, words)

    # -- storage commands ----------------------------------------------------------------------
    async def _storage(self, name: bytes, words: list[bytes], reader: asyncio.StreamReader) -> bytes:
        wanted = 6 if name == b"cas" else 5
        if len(words) < wanted or len(words) > wanted + 1:
            return b"ERROR\r\n"
        try:
            key, flags, exptime, length = words[1], int(words[2]), int(words[3]), int(words[4])
            unique = int(words[5]) if name == b"cas" else 0
        except ValueError:
            return b"CLIENT_ERROR bad command line format\r\n"
        if length < 0 or flags < 0 or flags > 0xFFFFFFFF:
            return b"CLIENT_ERROR bad command line format\r\n"
        noreply = words[-1] == b"noreply" and len(words) == wanted + 1
        data = await reader.readexactly(length + 2)
        if len(key) > MAX_KEY_LENGTH:
            return b"CLIENT_ERROR bad command line format\r\n"
        if data[-2:] != b"\r\n":
            return b"CLIENT_ERROR bad data chunk\r\n"
        value = data[:-2]
        state = self.state
        state.stats["cmd_set"] += 1
        if len(value) + len(key) > state.item_limit:
            return b"SERVER_ERROR object too large for cache\r\n"
        current = state.get(key)
        expires = state.deadline(exptime)
        if name == b"set":
            result = b"STORED"
            state.store(key, value, flags, expires)
        elif name == b"add":
            result = b"NOT_STORED" if current else b"STORED"
            if not current:
                state.store(key, value, flags, expires)
        elif name == b"replace":
            result = b"STORED" if current else b"NOT_STORED"
            if current:
                state.store(key, value, flags, expires)
        elif name in (b"append", b"prepend"):
            result = b"STORED" if current else b"NOT_STORED"
            if current:
                # append/prepend keep the item's flags and expiry, as memcached does
                joined = current.value + value if name == b"append" else value + current.value
                state.store(key, joined, current.flags, current.expires)
        else:  # cas
            if current is None:
                result = b"NOT_FOUND"
            elif current.cas != unique:
                result = b"EXISTS"
            else:
                result = b"STORED"
                state.store(key, value, flags, expires)
        return b"" if noreply else result + b"\r\n"

    # -- retrieval -----------------------------------------------------------------------------
    def _retrieve(self, keys: list[bytes], with_cas: bool, touch: int | None = None) -> bytes:
        state = self.state
        out = []
        for key in keys:
            state.stats["cmd_get"] += 1
            item = state.get(key)
            if item is None:
                state.stats["get_misses"] += 1
                continue
            state.stats["get_hits"] += 1
            if touch is not None:
                item.expires = state.deadline(touch)
            header = b"VALUE %s %d %d" % (key, item.flags, len(item.value))
            if with_cas:
                header += b" %d" % item.cas
            out.append(header + b"\r\n" + item.value + b"\r\n")
        out.append(b"END\r\n")
        return b"".join(out)

    def cmd_get(self, words: list[bytes]) -> bytes:
        if len(words) < 2:
            return b"ERROR\r\n"
        return self._retrieve(words[1:], with_cas=words[0].lower() == b"gets")

    def cmd_gat(self, words: list[bytes]) -> bytes:
        if len(words) < 3:
            return b"ERROR\r\n"
        try:
            exptime = int(words[1])
        except ValueError:
            return b"CLIENT_ERROR invalid exptime argument\r\n"
        return self._retrieve(words[2:], with_cas=words[0].lower() == b"gats", touch=exptime)

    # -- other commands ------------------------------------------------------------------------
    def cmd_delete(self, words: list[bytes]) -> bytes:
        if len(words) < 2:
            return b"ERROR\r\n"
        noreply = words[-1] == b"noreply"
        if len(words) > (3 if noreply else 2) and words[2] != b"0":
            return b"CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n"
        result = b"DELETED\r\n" if self.state.delete(words[1]) else b"NOT_FOUND\r\n"
        return b"" if noreply else result

    def cmd_incr(self, words: list[bytes]) -> bytes:
        if len(words) < 3:
            return b"ERROR\r\n"
        noreply = words[-1] == b"noreply"
        try:
            delta = int(words[2])
            if delta < 0 or delta > UINT64:
                raise ValueError
        except ValueError:
            return b"CLIENT_ERROR invalid numeric delta argument\r\n"
        item = self.state.get(words[1])
        if item is None:
            result = b"NOT_FOUND"
        else:
            try:
                current = int(item.value) if item.value.strip().isdigit() else None
            except ValueError:
                current = None
            if current is None:
                result = b"CLIENT_ERROR cannot increment or decrement non-numeric value"
            else:
                # incr wraps at 2**64, decr stops at 0 (memcached's rules)
                new = (current + delta) & UINT64 if words[0].lower() == b"incr" else max(current - delta, 0)
                item.value = b"%d" % new
                item.cas = self.state.next_cas()
                result = item.value
        return b"" if noreply else result + b"\r\n"

    def cmd_touch(self, words: list[bytes]) -> bytes:
        if len(words) < 3:
            return b"ERROR\r\n"
        noreply = words[-1] == b"noreply"
        try:
            exptime = int(words[2])
        except ValueError:
            return b"CLIENT_ERROR invalid exptime argument\r\n"
        self.state.stats["cmd_touch"] += 1
        item = self.state.get(words[1])
        if item is not None:
            item.expires = self.state.deadline(exptime)
        return b"" if noreply else (b"TOUCHED\r\n" if item is not None else b"NOT_FOUND\r\n")

    def cmd_flush_all(self, words: list[bytes]) -> bytes:
        self.state.flush()
        return b"" if words[-1] == b"noreply" else b"OK\r\n"

    def cmd_version(self, words: list[bytes]) -> bytes:
        return b"VERSION %s\r\n" % VERSION.encode()

    def cmd_verbosity(self, words: list[bytes]) -> bytes:
        return b"" if words[-1] == b"noreply" else b"OK\r\n"

    def cmd_mn(self, words: list[bytes]) -> bytes:
        return b"MN\r\n"

    def cmd_quit(self, words: list[bytes]) -> None:
        return None

    def cmd_stats(self, words: list[bytes]) -> bytes:
        state = self.state
        values = {
            "pid": 0, "uptime": int(time.time() - state.started), "time": int(time.time()), "version": VERSION,
            "threads": int(self.options.get("-t", 4)), "curr_items": len(state.items), "bytes": state.used,
            "limit_maxbytes": state.memory_limit, **state.stats,
        }
        return b"".join(b"STAT %s %s\r\n" % (k.encode(), str(v).encode()) for k, v in values.items()) + b"END\r\n"


_COMMANDS = {
    b"get": EmbeddedMemcached.cmd_get, b"gets": EmbeddedMemcached.cmd_get,
    b"gat": EmbeddedMemcached.cmd_gat, b"gats": EmbeddedMemcached.cmd_gat,
    b"delete": EmbeddedMemcached.cmd_delete, b"incr": EmbeddedMemcached.cmd_incr, b"decr": EmbeddedMemcached.cmd_incr,
    b"touch": EmbeddedMemcached.cmd_touch, b"flush_all": EmbeddedMemcached.cmd_flush_all,
    b"version": EmbeddedMemcached.cmd_version, b"verbosity": EmbeddedMemcached.cmd_verbosity,
    b"stats": EmbeddedMemcached.cmd_stats, b"mn": EmbeddedMemcached.cmd_mn, b"quit": EmbeddedMemcached.cmd_quit,
}


def _size(text: str | int) -> int:
    text = str(text).lower()
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    return int(text[:-1]) * units[text[-1]] if text[-1] in units else int(text)


def main(argv: list[str] | None = None) -> None:
    """memcached's own flags; the ones that make no sense here (-u, -U, -c, -v) are accepted."""
    parser = argparse.ArgumentParser(prog="embedded-memcached")
    parser.add_argument("-l", dest="address", default="127.0.0.1")
    parser.add_argument("-p", dest="port", type=int, default=11211)
    parser.add_argument("-m", dest="memory", default="64")
    parser.add_argument("-t", dest="threads", default="4")
    parser.add_argument("-I", dest="item_size", default="1m")
    parser.add_argument("-c", dest="connections", default="1024")
    parser.add_argument("-u", dest="user")
    parser.add_argument("-U", dest="udp_port")
    parser.add_argument("-v", action="count")
    parser.add_argument("-Z", dest="tls", action="store_true")
    args, _unknown = parser.parse_known_args(argv)
    if args.tls:
        sys.exit("the embedded Memcached does not serve TLS: install memcached for encryption in transit")
    options = {"-m": args.memory, "-t": args.threads, "-I": args.item_size}
    run_forever(EmbeddedMemcached(args.address, args.port, options))


if __name__ == "__main__":
    main()
