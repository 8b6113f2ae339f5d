"""The embedded Redis's data: the keyspace and the commands on keys, strings, hashes, lists and sets.

Commands register themselves in ``COMMANDS`` (name -> (function, arity)); each takes the server,
the client's session and its arguments, returns a reply value (bytes, int, None, ``Status``,
``Map``, ``SetReply``, lists) and raises ``RedisError`` with Redis's own text.
"""

from __future__ import annotations

import fnmatch
import time
from collections import deque
from typing import Any, Callable

DATABASES = 16


class RedisError(Exception):
    """An error reply; the text is sent as is (it starts with the error code)."""


WRONGTYPE = RedisError("WRONGTYPE Operation against a key holding the wrong kind of value")
NOT_INTEGER = RedisError("ERR value is not an integer or out of range")
SYNTAX = RedisError("ERR syntax error")


def _int(value: bytes) -> int:
    try:
        return int(value)
    except ValueError:
        raise NOT_INTEGER from None


def _float(value: bytes) -> float:
    try:
        return float(value)
    except ValueError:
        raise RedisError("ERR value is not a valid float") from None


# -- reply types ---------------------------------------------------------------------------
class Status(str):
    """A simple-string reply (+OK)."""


class Map(dict):
    """A reply that RESP3 sends as a map and RESP2 as a flat array (HGETALL, CONFIG GET, HELLO)."""


class SetReply(list):
    """A reply that RESP3 sends as a set and RESP2 as an array (SMEMBERS ...)."""


OK = Status("OK")


# -- the keyspace --------------------------------------------------------------------------------------
class Database:
    def __init__(self) -> None:
        self.data: dict[bytes, Any] = {}
        self.expires: dict[bytes, float] = {}

    def alive(self, key: bytes) -> bool:
        deadline = self.expires.get(key)
        if deadline is not None and deadline <= time.time():
            self.data.pop(key, None)
            del self.expires[key]
            return False
        return key in self.data

    def get(self, key: bytes, kind: type | None = None) -> Any:
        if not self.alive(key):
            return None
        value = self.data[key]
        if kind is not None and not isinstance(value, kind):
            raise WRONGTYPE
        return value

    def set(self, key: bytes, value: Any, keep_ttl: bool = False) -> None:
        self.data[key] = value
        if not keep_ttl:
            self.expires.pop(key, None)

    def delete(self, key: bytes) -> bool:
        if not self.alive(key):
            return False
        del self.data[key]
        self.expires.pop(key, None)
        return True

    def keys(self) -> list[bytes]:
        return [key for key in list(self.data) if self.alive(key)]

    def sweep(self, budget: int = 200) -> None:
        """Active expiry: drop expired keys nobody reads, a few at a time."""
        now = time.time()
        for key, deadline in list(self.expires.items())[:budget]:
            if deadline <= now:
                self.data.pop(key, None)
                del self.expires[key]


COMMANDS: dict[bytes, tuple[Callable, int]] = {}


def command(name: str, arity: int):
    """Register a command; ``arity`` as Redis counts it (negative = at least that many)."""

    def register(function: Callable) -> Callable:
        COMMANDS[name.encode()] = (function, arity)
        return function

    return register


# -- keys ------------------------------------------------------------------------------------------------
@command("del", -2)
def delete(server, session, args):
    db = server.db(session)
    return sum(db.delete(key) for key in args)


COMMANDS[b"unlink"] = COMMANDS[b"del"]


@command("exists", -2)
def exists(server, session, args):
    db = server.db(session)
    return sum(db.alive(key) for key in args)


def _expire(server, session, key: bytes, deadline: float) -> int:
    db = server.db(session)
    if not db.alive(key):
        return 0
    if deadline <= time.time():
        db.delete(key)
        server.stats["expired_keys"] += 1
    else:
        db.expires[key] = deadline
    return 1


@command("expire", -3)
def expire(server, session, args):
    return _expire(server, session, args[0], time.time() + _int(args[1]))


@command("pexpire", -3)
def pexpire(server, session, args):
    return _expire(server, session, args[0], time.time() + _int(args[1]) / 1000)


@command("expireat", -3)
def expireat(server, session, args):
    return _expire(server, session, args[0], float(_int(args[1])))


@command("pexpireat", -3)
def pexpireat(server, session, args):
    return _expire(server, session, args[0], _int(args[1]) / 1000)


def _ttl(server, session, key: bytes, scale: int) -> int:
    db = server.db(session)
    if not db.alive(key):
        return -2
    deadline = db.expires.get(key)
    if deadline is None:
        return -1
    remaining = deadline - time.time()
    # TTL rounds to the nearest second as Redis does ((ms + 500) / 1000).
    return int((remaining * 1000 + 500) // 1000) if scale == 1 else int(remaining * 1000)


@command("ttl", 2)
def ttl(server, session, args):
    return _ttl(server, session, args[0], 1)


@command("pttl", 2)
def pttl(server, session, args):
    return _ttl(server, session, args[0], 1000)


@command("persist", 2)
def persist(server, session, args):
    db = server.db(session)
    return int(db.alive(args[0]) and db.expires.pop(args[0], None) is not None)


def _type_name(value: Any) -> bytes:
    if isinstance(value, bytes):
        return b"string"
    if isinstance(value, dict):
        return b"hash"
    if isinstance(value, deque):
        return b"list"
    return b"set"


@command("type", 2)
def type_(server, session, args):
    value = server.db(session).get(args[0])
    return Status("none" if value is None else _type_name(value).decode())


@command("keys", 2)
def keys(server, session, args):
    return [key for key in server.db(session).keys() if fnmatch.fnmatchcase(key, args[0])]


@command("scan", -2)
def scan(server, session, args):
    cursor = _int(args[0])
    pattern, count, kind = b"*", 10, None
    options = args[1:]
    while options:
        if len(options) < 2:
            raise SYNTAX
        name, value, options = options[0].lower(), options[1], options[2:]
        if name == b"match":
            pattern = value
        elif name == b"count":
            count = _int(value)
        elif name == b"type":
            kind = value.lower()
        else:
            raise SYNTAX
    db = server.db(session)
    # The cursor is a position in insertion order; keys added during a scan show up at the end.
    all_keys = db.keys()
    batch = all_keys[cursor:cursor + count]
    following = cursor + count if cursor + count < len(all_keys) else 0
    found = [k for k in batch if fnmatch.fnmatchcase(k, pattern) and (kind is None or _type_name(db.data[k]) == kind)]
    return [str(following).encode(), found]


@command("rename", 3)
def rename(server, session, args):
    db = server.db(session)
    if not db.alive(args[0]):
        raise RedisError("ERR no such key")
    deadline = db.expires.get(args[0])
    value = db.data[args[0]]
    db.delete(args[0])
    db.set(args[1], value)
    if deadline is not None:
        db.expires[args[1]] = deadline
    return OK


@command("randomkey", 1)
def randomkey(server, session, args):
    all_keys = server.db(session).keys()
    return all_keys[0] if all_keys else None


# -- strings ---------------------------------------------------------------------------------------------
@command("get", 2)
def get(server, session, args):
    return server.db(session).get(args[0], bytes)


@command("set", -3)
def set_(server, session, args):
    key, value, options = args[0], args[1], [a.lower() for a in args[2:]]
    deadline, condition, keep_ttl, want_old = None, None, False, False
    index = 0
    while index < len(options):
        option = options[index]
        if option in (b"ex", b"px", b"exat", b"pxat"):
            if deadline is not None or keep_ttl or index + 1 >= len(options):
                raise SYNTAX
            amount = _int(args[2 + index + 1])
            if amount <= 0:
                raise RedisError("ERR invalid expire time in 'set' command")
            deadline = {b"ex": time.time() + amount, b"px": time.time() + amount / 1000,
                        b"exat": float(amount), b"pxat": amount / 1000}[option]
            index += 2
            continue
        if option in (b"nx", b"xx"):
            if condition is not None:
                raise SYNTAX
            condition = option
        elif option == b"keepttl":
            if deadline is not None:
                raise SYNTAX
            keep_ttl = True
        elif option == b"get":
            want_old = True
        else:
            raise SYNTAX
        index += 1
    db = server.db(session)
    old = db.get(key, bytes) if want_old else None
    present = db.alive(key)
    if (condition == b"nx" and present) or (condition == b"xx" and not present):
        return old if want_old else None
    db.set(key, value, keep_ttl=keep_ttl)
    if deadline is not None:
        db.expires[key] = deadline
    return old if want_old else OK


@command("setnx", 3)
def setnx(server, session, args):
    return 0 if set_(server, session, [args[0], args[1], b"NX"]) is None else 1


@command("setex", 4)
def setex(server, session, args):
    return set_(server, session, [args[0], args[2], b"EX", args[1]])


@command("psetex", 4)
def psetex(server, session, args):
    return set_(server, session, [args[0], args[2], b"PX", args[1]])


@command("getset", 3)
def getset(server, session, args):
    return set_(server, session, [args[0], args[1], b"GET"])


@command("getdel", 2)
def getdel(server, session, args):
    db = server.db(session)
    value = db.get(args[0], bytes)
    db.delete(args[0])
    return value


@command("mget", -2)
def mget(server, session, args):
    db = server.db(session)
    return [value if isinstance(value := db.get(key), bytes) else None for key in args]


@command("mset", -3)
def mset(server, session, args):
    if len(args) % 2:
        raise RedisError("ERR wrong number of arguments for 'mset' command")
    db = server.db(session)
    for key, value in zip(args[::2], args[1::2]):
        db.set(key, value)
    return OK


@command("append", 3)
def append(server, session, args):
    db = server.db(session)
    value = (db.get(args[0], bytes) or b"") + args[1]
    db.set(args[0], value, keep_ttl=True)
    return len(value)


@command("strlen", 2)
def strlen(server, session, args):
    return len(server.db(session).get(args[0], bytes) or b"")


def _incr(server, session, key: bytes, delta: int) -> int:
    db = server.db(session)
    current = db.get(key, bytes)
    number = 0 if current is None else _int(current)
    number += delta
    if not -(1 << 63) <= number < (1 << 63):
        raise RedisError("ERR increment or decrement would overflow")
    db.set(key, b"%d" % number, keep_ttl=True)
    return number


@command("incr", 2)
def incr(server, session, args):
    return _incr(server, session, args[0], 1)


@command("decr", 2)
def decr(server, session, args):
    return _incr(server, session, args[0], -1)


@command("incrby", 3)
def incrby(server, session, args):
    return _incr(server, session, args[0], _int(args[1]))


@command("decrby", 3)
def decrby(server, session, args):
    return _incr(server, session, args[0], -_int(args[1]))


@command("incrbyfloat", 3)
def incrbyfloat(server, session, args):
    db = server.db(session)
    current = db.get(args[0], bytes)
    number = (0.0 if current is None else _float(current)) + _float(args[1])
    text = (b"%.17g" % number).rstrip(b"0").rstrip(b".") if "." in repr(number) else b"%d" % number
    db.set(args[0], text, keep_ttl=True)
    return text


# -- hashes ----------------------------------------------------------------------------------------------
def _container(server, session, key: bytes, kind: type, create: bool):
    """The hash / list / set at ``key`` (WRONGTYPE if it is something else), made empty if asked."""
    db = server.db(session)
    value = db.get(key, kind)
    if value is None and create:
        value = kind()
        db.set(key, value)
    return value


def _hash(server, session, key: bytes, create: bool = False) -> dict | None:
    return _container(server, session, key, dict, create)


def _drop_if_empty(server, session, key: bytes, container) -> None:
    if container is not None and not container:
        server.db(session).delete(key)


@command("hset", -4)
def hset(server, session, args):
    if len(args) % 2 == 0:
        raise RedisError("ERR wrong number of arguments for 'hset' command")
    fields = _hash(server, session, args[0], create=True)
    added = 0
    for name, value in zip(args[1::2], args[2::2]):
        added += name not in fields
        fields[name] = value
    return added


@command("hmset", -4)
def hmset(server, session, args):
    hset(server, session, args)
    return OK


@command("hsetnx", 4)
def hsetnx(server, session, args):
    fields = _hash(server, session, args[0], create=True)
    if args[1] in fields:
        return 0
    fields[args[1]] = args[2]
    return 1


@command("hget", 3)
def hget(server, session, args):
    return (_hash(server, session, args[0]) or {}).get(args[1])


@command("hmget", -3)
def hmget(server, session, args):
    fields = _hash(server, session, args[0]) or {}
    return [fields.get(name) for name in args[1:]]


@command("hgetall", 2)
def hgetall(server, session, args):
    return Map(_hash(server, session, args[0]) or {})


@command("hkeys", 2)
def hkeys(server, session, args):
    return list(_hash(server, session, args[0]) or {})


@command("hvals", 2)
def hvals(server, session, args):
    return list((_hash(server, session, args[0]) or {}).values())


@command("hlen", 2)
def hlen(server, session, args):
    return len(_hash(server, session, args[0]) or {})


@command("hexists", 3)
def hexists(server, session, args):
    return int(args[1] in (_hash(server, session, args[0]) or {}))


@command("hdel", -3)
def hdel(server, session, args):
    fields = _hash(server, session, args[0])
    if fields is None:
        return 0
    removed = sum(fields.pop(name, None) is not None for name in args[1:])
    _drop_if_empty(server, session, args[0], fields)
    return removed


@command("hincrby", 4)
def hincrby(server, session, args):
    fields = _hash(server, session, args[0], create=True)
    current = fields.get(args[1], b"0")
    try:
        number = int(current)
    except ValueError:
        raise RedisError("ERR hash value is not an integer") from None
    number += _int(args[2])
    fields[args[1]] = b"%d" % number
    return number


# -- lists -----------------------------------------------------------------------------------------------
def _list(server, session, key: bytes, create: bool = False) -> deque | None:
    return _container(server, session, key, deque, create)


@command("lpush", -3)
def lpush(server, session, args):
    items = _list(server, session, args[0], create=True)
    items.extendleft(args[1:])
    return len(items)


@command("rpush", -3)
def rpush(server, session, args):
    items = _list(server, session, args[0], create=True)
    items.extend(args[1:])
    return len(items)


def _pop(server, session, args, left: bool):
    items = _list(server, session, args[0])
    count = _int(args[1]) if len(args) > 1 else None
    if items is None:
        return None
    taken = [items.popleft() if left else items.pop() for _ in range(min(count or 1, len(items)))]
    _drop_if_empty(server, session, args[0], items)
    return taken if count is not None else taken[0]


@command("lpop", -2)
def lpop(server, session, args):
    return _pop(server, session, args, left=True)


@command("rpop", -2)
def rpop(server, session, args):
    return _pop(server, session, args, left=False)


@command("llen", 2)
def llen(server, session, args):
    return len(_list(server, session, args[0]) or ())


def _range(length: int, start: int, stop: int) -> range:
    start = max(start + length if start < 0 else start, 0)
    stop = stop + length if stop < 0 else min(stop, length - 1)
    return range(start, stop + 1)


@command("lrange", 4)
def lrange(server, session, args):
    items = list(_list(server, session, args[0]) or ())
    return [items[i] for i in _range(len(items), _int(args[1]), _int(args[2]))]


@command("lindex", 3)
def lindex(server, session, args):
    items = _list(server, session, args[0]) or deque()
    index = _int(args[1])
    return items[index] if -len(items) <= index < len(items) else None


@command("lset", 4)
def lset(server, session, args):
    items = _list(server, session, args[0])
    if items is None:
        raise RedisError("ERR no such key")
    index = _int(args[1])
    if not -len(items) <= index < len(items):
        raise RedisError("ERR index out of range")
    items[index] = args[2]
    return OK


@command("ltrim", 4)
def ltrim(server, session, args):
    items = _list(server, session, args[0])
    if items is not None:
        kept = [items[i] for i in _range(len(items), _int(args[1]), _int(args[2]))]
        items.clear()
        items.extend(kept)
        _drop_if_empty(server, session, args[0], items)
    return OK


@command("lrem", 4)
def lrem(server, session, args):
    items = _list(server, session, args[0])
    if items is None:
        return 0
    count, value = _int(args[1]), args[2]
    ordered = list(items) if count >= 0 else list(reversed(items))
    limit = abs(count) or len(ordered)
    kept, removed = [], 0
    for item in ordered:
        if item == value and removed < limit:
            removed += 1
        else:
            kept.append(item)
    items.clear()
    items.extend(kept if count >= 0 else reversed(kept))
    _drop_if_empty(server, session, args[0], items)
    return removed


# -- sets ------------------------------------------------------------------------------------------------
def _set(server, session, key: bytes, create: bool = False) -> set | None:
    return _container(server, session, key, set, create)


@command("sadd", -3)
def sadd(server, session, args):
    members = _set(server, session, args[0], create=True)
    before = len(members)
    members.update(args[1:])
    return len(members) - before


@command("srem", -3)
def srem(server, session, args):
    members = _set(server, session, args[0])
    if members is None:
        return 0
    before = len(members)
    members.difference_update(args[1:])
    removed = before - len(members)
    _drop_if_empty(server, session, args[0], members)
    return removed


@command("smembers", 2)
def smembers(server, session, args):
    return SetReply(sorted(_set(server, session, args[0]) or ()))


@command("sismember", 3)
def sismember(server, session, args):
    return int(args[1] in (_set(server, session, args[0]) or ()))


@command("scard", 2)
def scard(server, session, args):
    return len(_set(server, session, args[0]) or ())


@command("spop", -2)
def spop(server, session, args):
    members = _set(server, session, args[0])
    count = _int(args[1]) if len(args) > 1 else None
    if members is None:
        return [] if count is not None else None
    taken = [members.pop() for _ in range(min(count or 1, len(members)))]
    _drop_if_empty(server, session, args[0], members)
    return taken if count is not None else taken[0]


def _combine(server, session, args, operation: str) -> set:
    sets = [_set(server, session, key) or set() for key in args]
    result = set(sets[0])
    for other in sets[1:]:
        result = getattr(result, operation)(other)
    return result


@command("sinter", -2)
def sinter(server, session, args):
    return SetReply(sorted(_combine(server, session, args, "intersection")))


@command("sunion", -2)
def sunion(server, session, args):
    return SetReply(sorted(_combine(server, session, args, "union")))


@command("sdiff", -2)
def sdiff(server, session, args):
    return SetReply(sorted(_combine(server, session, args, "difference")))
