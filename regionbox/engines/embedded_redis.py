"""An embedded single-node Redis (RESP2 and RESP3), for when redis-server / valkey-server is not installed.

Enough of Redis for caches and session stores: strings (SET with EX/PX/NX/XX/KEEPTTL/GET, INCR
family, MGET/MSET ...), key expiry, DEL/EXISTS/KEYS/SCAN/TYPE/RENAME, hashes, lists, sets,
MULTI/EXEC, AUTH (``requirepass``), SELECT, INFO, CONFIG GET/SET, FLUSHDB/FLUSHALL. Errors carry
Redis's own texts (WRONGTYPE, NOAUTH, WRONGPASS ...) so clients raise what they would raise
against the real server. Replication and cluster mode need the real engine.

Data is saved on a clean stop (SIGTERM) into ``<dir>/embedded-dump.pickle`` and loaded at start,
as redis-server's final RDB save does. Run as a process with redis-server's flags:
``python -m regionbox.engines.embedded_redis --bind 127.16.0.3 --port 6379 --dir /tmp/n1``.

Restricted commands are refused as redis-server refuses them: ``rename-command`` directives
rename (or, with an empty name, remove) a command, so its old name is an unknown command; an ACL
file's ``-command`` / ``-command|subcommand`` rules deny it to that user with NOPERM.
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import pickle
import sys
import time
from pathlib import Path
from typing import Any

from regionbox.engines.embedded_redis_data import (
    COMMANDS, DATABASES, OK, SYNTAX, Database, Map, RedisError, SetReply, Status, _int, command,
)
from regionbox.engines.embedded_server import EmbeddedServer, run_forever

VERSION = "7.0.15"
DUMP_FILE = "embedded-dump.pickle"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def encode(value: Any, resp3: bool = False) -> bytes:
    """A reply on the wire: RESP3 once the client said HELLO 3 (redis-py does by default), else RESP2."""
    if value is None:
        return b"_\r\n" if resp3 else b"$-1\r\n"
    if isinstance(value, Status):
        return b"+" + value.encode() + b"\r\n"
    if isinstance(value, RedisError):
        return b"-" + str(value.args[0]).encode() + b"\r\n"
    if isinstance(value, bool):
        return b":%d\r\n" % int(value)
    if isinstance(value, int):
        return b":%d\r\n" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, (bytes, bytearray)):
        return b"$%d\r\n%s\r\n" % (len(value), value)
    if isinstance(value, float):
        return encode(repr(value).encode())
    if isinstance(value, Map):
        if resp3:
            return b"%%%d\r\n" % len(value) + b"".join(encode(k, resp3) + encode(v, resp3) for k, v in value.items())
        value = [item for pair in value.items() for item in pair]
    items = list(value)
    marker = b"~" if resp3 and isinstance(value, SetReply) else b"*"
    return marker + b"%d\r\n" % len(items) + b"".join(encode(item, resp3) for item in items)


async def read_command(reader: asyncio.StreamReader) -> list[bytes] | None:
    """One command: a RESP array of bulk strings, or an inline command line."""
    line = await reader.readline()
    if not line:
        return None
    if line[:1] != b"*":
        return line.strip().split()
    count = int(line[1:])
    args = []
    for _ in range(count):
        header = await reader.readline()
        if header[:1] != b"$":
            raise RedisError("ERR Protocol error: expected '$', got '%s'" % header[:1].decode(errors="replace"))
        length = int(header[1:])
        args.append((await reader.readexactly(length + 2))[:-2])
    return args


def unknown_command(args: list[bytes]) -> RedisError:
    """redis-server's text, to the byte: the name and the first arguments, each quoted and
    followed by a space, at most 128 characters of them."""
    preview = ""
    for arg in args[1:]:
        if len(preview) >= 128:
            break
        preview += "'%s' " % arg.decode(errors="replace")[:128 - len(preview)]
    return RedisError(f"ERR unknown command '{args[0].decode(errors='replace')[:128]}', with args beginning with: {preview}")


class Session:
    """One client connection's state."""

    def __init__(self, server: "EmbeddedRedis") -> None:
        self.db = 0
        self.user = b"default"
        self.authenticated = not server.default_user_needs_password()
        self.queue: list[list[bytes]] | None = None  # inside MULTI
        self.queue_failed = False
        self.name: bytes | None = None
        self.resp3 = False


class EmbeddedRedis(EmbeddedServer):
    name = "redis"

    def __init__(self, address: str = "127.0.0.1", port: int = 6379, options: dict | None = None) -> None:
        super().__init__(address, port, options)
        self.dbs = [Database() for _ in range(DATABASES)]
        self.config: dict[str, str] = {"maxmemory-policy": "volatile-lru", "timeout": "0", "databases": str(DATABASES),
                                       "requirepass": "", "maxmemory": "0", "appendonly": "no", "save": ""}
        for key, value in self.options.items():
            self.config[key] = str(value)
        self.password = self.config.get("requirepass", "")
        # This server's command table: redis-server's rename-command directives ("CONFIG secret",
        # or "DEBUG \"\"" to remove one) are applied to a copy of the registered commands.
        self.commands = dict(COMMANDS)
        for directive in self.config.pop("rename-command", "").split("\n"):
            old, _, new = directive.strip().partition(" ")
            entry = self.commands.pop(old.lower().encode(), None) if old else None
            new = new.strip().strip('"')
            if entry is not None and new:
                self.commands[new.lower().encode()] = entry
        # ACL users: name -> SHA-256 digests of their passwords, or None for "nopass". Without an
        # ACL file the only user is "default", whose password is requirepass. ``denied``: name ->
        # the commands ("psync") and subcommands ("acl|setuser") its rules take away.
        self.users: dict[bytes, list[str] | None] = {}
        self.denied: dict[bytes, set[str]] = {}
        self.load_acl()
        self.data_dir = Path(self.config["dir"]) if self.config.get("dir") else None
        self.started = time.time()
        self.stats = {"total_connections_received": 0, "total_commands_processed": 0, "expired_keys": 0}
        self._sweeper: asyncio.Task | None = None
        self.load()

    def load_acl(self) -> None:
        """Users from ``aclfile`` (``user <name> on #<sha256>|>password|nopass ...``), as ACL LOAD reads it."""
        users: dict[bytes, list[str] | None] = {b"default": [_sha256(self.password.encode())] if self.password else None}
        denied: dict[bytes, set[str]] = {}
        acl_file = self.config.get("aclfile")
        if acl_file:
            users = {}
            for line in Path(acl_file).read_text().splitlines():
                words = line.split()
                if len(words) < 3 or words[0] != "user" or "on" not in words:
                    continue
                digests = [w[1:] for w in words if w.startswith("#")] + [_sha256(w[1:].encode()) for w in words if w.startswith(">")]
                users[words[1].encode()] = None if "nopass" in words else digests
                # Rules apply left to right: +@all / allcommands give everything back.
                rules: set[str] = set()
                for word in words[2:]:
                    if word in ("+@all", "allcommands"):
                        rules.clear()
                    elif word[:1] in "+-" and word[1:2] not in ("@", "") and len(word) > 1:
                        (rules.add if word[0] == "-" else rules.discard)(word[1:].lower())
                denied[words[1].encode()] = rules
        self.users = users
        self.denied = denied

    def default_user_needs_password(self) -> bool:
        return self.users.get(b"default", []) is not None

    # -- persistence -------------------------------------------------------------------------------
    def load(self) -> None:
        if self.data_dir is None or not (self.data_dir / DUMP_FILE).exists():
            return
        with open(self.data_dir / DUMP_FILE, "rb") as handle:
            saved = pickle.load(handle)  # our own file, written by save() below
        for db, (data, expires) in zip(self.dbs, saved):
            db.data, db.expires = data, expires

    def save(self) -> None:
        if self.data_dir is None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        temporary = self.data_dir / (DUMP_FILE + ".tmp")
        with open(temporary, "wb") as handle:
            pickle.dump([(db.data, db.expires) for db in self.dbs], handle)
        temporary.replace(self.data_dir / DUMP_FILE)

    async def start(self) -> "EmbeddedRedis":
        await super().start()
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep())
        return self

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        await super().stop()

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(0.1)
            for db in self.dbs:
                db.sweep()

    # -- connections -------------------------------------------------------------------------------
    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = Session(self)
        self.stats["total_connections_received"] += 1
        while True:
            try:
                args = await read_command(reader)
            except RedisError as error:
                writer.write(encode(error, session.resp3))
                return
            if args is None:
                return
            if not args:
                continue
            reply = self.dispatch(session, args)
            writer.write(encode(reply, session.resp3))
            if args[0].lower() == b"quit":
                await writer.drain()
                return
            # Pipelined commands are answered together: drain only when the client stops sending.
            if not reader._buffer:  # noqa: SLF001 - cheapest way to know whether more is queued
                await writer.drain()

    def denial(self, session: Session, args: list[bytes]) -> str | None:
        """The command or subcommand the session's user may not run ("psync", "acl|setuser")."""
        rules = self.denied.get(session.user)
        if not rules:
            return None
        name = args[0].decode(errors="replace").lower()
        if len(args) > 1 and f"{name}|{args[1].decode(errors='replace').lower()}" in rules:
            return f"{name}|{args[1].decode(errors='replace').lower()}"
        return name if name in rules else None

    def dispatch(self, session: Session, args: list[bytes]) -> Any:
        name = args[0].lower()
        entry = self.commands.get(name)
        denied = self.denial(session, args)
        # A command redis-server has but this engine has not (PSYNC) is still refused as denied.
        if entry is None and denied is None:
            if session.queue is not None:
                session.queue_failed = True
            return unknown_command(args)
        function, arity = entry if entry is not None else (None, -1)
        if (arity > 0 and len(args) != arity) or (arity < 0 and len(args) < -arity):
            if session.queue is not None:
                session.queue_failed = True
            return RedisError(f"ERR wrong number of arguments for '{name.decode()}' command")
        if not session.authenticated and name not in (b"auth", b"hello", b"quit"):
            return RedisError("NOAUTH Authentication required.")
        if denied is not None:
            if session.queue is not None:
                session.queue_failed = True
            return RedisError(f"NOPERM this user has no permissions to run the '{denied}' command")
        if session.queue is not None and name not in (b"exec", b"discard", b"multi", b"watch"):
            session.queue.append(args)
            return Status("QUEUED")
        self.stats["total_commands_processed"] += 1
        try:
            return function(self, session, args[1:])
        except RedisError as error:
            return error

    def db(self, session: Session) -> Database:
        return self.dbs[session.db]


# -- connection and server commands -------------------------------------------------------------------
@command("ping", -1)
def ping(server, session, args):
    return args[0] if args else Status("PONG")


@command("echo", 2)
def echo(server, session, args):
    return args[0]


@command("quit", -1)
def quit_(server, session, args):
    return OK


def _authenticate(server, session, user: bytes, password: bytes) -> None:
    digests = server.users.get(user, [])
    if digests is not None and _sha256(password) not in digests:
        raise RedisError("WRONGPASS invalid username-password pair or user is disabled.")
    session.authenticated = True
    session.user = user


@command("auth", -2)
def auth(server, session, args):
    if len(args) > 2:
        raise SYNTAX
    if len(args) == 1 and not server.default_user_needs_password():
        raise RedisError("ERR AUTH <password> called without any password configured for the default user. "
                         "Are you sure your configuration is correct?")
    user, password = (b"default", args[0]) if len(args) == 1 else args
    _authenticate(server, session, user, password)
    return OK


@command("hello", -1)
def hello(server, session, args):
    protocol = 3 if session.resp3 else 2
    if args:
        protocol = _int(args[0]) if args[0].isdigit() else -1
        if protocol not in (2, 3):
            raise RedisError("NOPROTO unsupported protocol version")
    options = args[1:]
    while options:
        option = options[0].lower()
        if option == b"auth" and len(options) >= 3:
            _authenticate(server, session, options[1], options[2])
            options = options[3:]
        elif option == b"setname" and len(options) >= 2:
            session.name, options = options[1], options[2:]
        else:
            raise RedisError(f"ERR Syntax error in HELLO option '{option.decode(errors='replace')}'")
    if not session.authenticated:
        raise RedisError("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
                         "<proto> AUTH <user> <pass> option can be used to authenticate the client and select the "
                         "RESP protocol version at the same time")
    session.resp3 = protocol == 3
    return Map({b"server": b"redis", b"version": VERSION.encode(), b"proto": protocol, b"id": id(session) & 0xFFFFFFFF,
                b"mode": b"standalone", b"role": b"master", b"modules": []})


@command("acl", -2)
def acl(server, session, args):
    sub = args[0].lower()
    if sub == b"load":
        server.load_acl()
        return OK
    if sub == b"whoami":
        return session.user
    if sub == b"users":
        return sorted(server.users)
    raise RedisError(f"ERR unknown subcommand '{sub.decode(errors='replace')}'. Try ACL HELP.")


@command("select", 2)
def select(server, session, args):
    index = _int(args[0])
    if not 0 <= index < DATABASES:
        raise RedisError("ERR DB index is out of range")
    session.db = index
    return OK


@command("client", -2)
def client(server, session, args):
    sub = args[0].lower()
    if sub == b"setname" and len(args) == 2:
        session.name = args[1]
        return OK
    if sub == b"getname":
        return session.name
    if sub == b"setinfo":
        return OK
    if sub == b"id":
        return id(session) & 0xFFFFFFFF
    raise RedisError(f"ERR unknown subcommand '{sub.decode(errors='replace')}'. Try CLIENT HELP.")


@command("command", -1)
def command_(server, session, args):
    if args and args[0].lower() == b"count":
        return len(server.commands)
    return []


@command("info", -1)
def info(server, session, args):
    lines = [
        "# Server", f"redis_version:{VERSION}", "redis_mode:standalone", "embedded:regionbox",
        f"uptime_in_seconds:{int(time.time() - server.started)}", f"tcp_port:{server.port}",
        "# Clients", f"connected_clients:{len(server._clients)}",
        "# Memory", f"maxmemory_policy:{server.config['maxmemory-policy']}",
        "# Stats", *(f"{k}:{v}" for k, v in server.stats.items()),
        "# Replication", "role:master", "connected_slaves:0",
        "# Keyspace",
    ]
    for index, db in enumerate(server.dbs):
        keys = db.keys()
        if keys:
            lines.append(f"db{index}:keys={len(keys)},expires={sum(1 for k in keys if k in db.expires)},avg_ttl=0")
    return ("\r\n".join(lines) + "\r\n").encode()


@command("config", -2)
def config(server, session, args):
    sub = args[0].lower()
    if sub == b"get" and len(args) == 2:
        pattern = args[1].decode().lower()
        return Map({key.encode(): value.encode() for key, value in server.config.items() if fnmatch.fnmatchcase(key, pattern)})
    if sub == b"set" and len(args) >= 3 and len(args) % 2 == 1:
        for key, value in zip(args[1::2], args[2::2]):
            server.config[key.decode().lower()] = value.decode()
            if key.lower() == b"requirepass":
                server.password = value.decode()
                server.load_acl()
        return OK
    if sub == b"resetstat":
        return OK
    raise RedisError(f"ERR unknown subcommand or wrong number of arguments for '{sub.decode(errors='replace')}'")


@command("dbsize", 1)
def dbsize(server, session, args):
    return len(server.db(session).keys())


@command("time", 1)
def time_(server, session, args):
    now = time.time()
    return [str(int(now)).encode(), str(int(now % 1 * 1_000_000)).encode()]


@command("flushdb", -1)
def flushdb(server, session, args):
    server.dbs[session.db] = Database()
    return OK


@command("flushall", -1)
def flushall(server, session, args):
    server.dbs = [Database() for _ in range(DATABASES)]
    return OK


@command("multi", 1)
def multi(server, session, args):
    if session.queue is not None:
        raise RedisError("ERR MULTI calls can not be nested")
    session.queue, session.queue_failed = [], False
    return OK


@command("exec", 1)
def exec_(server, session, args):
    if session.queue is None:
        raise RedisError("ERR EXEC without MULTI")
    queued, failed = session.queue, session.queue_failed
    session.queue, session.queue_failed = None, False
    if failed:
        raise RedisError("EXECABORT Transaction discarded because of previous errors.")
    # One event loop: the queued commands run back to back, nothing interleaves.
    return [server.dispatch(session, args) for args in queued]


@command("discard", 1)
def discard(server, session, args):
    if session.queue is None:
        raise RedisError("ERR DISCARD without MULTI")
    session.queue = None
    return OK


def main(argv: list[str] | None = None) -> None:
    """redis-server's ``--directive value`` flags; directives it does not know are kept in CONFIG.
    A directive given again replaces the earlier one, except ``rename-command`` (one per line)."""
    argv = sys.argv[1:] if argv is None else argv
    directives: list[tuple[str, list[str]]] = []
    for word in argv:
        if word.startswith("--"):
            directives.append((word[2:], []))
        elif directives:
            directives[-1][1].append(word)
    options: dict[str, str] = {}
    for name, words in directives:
        value = " ".join(words)
        options[name] = f"{options[name]}\n{value}" if name == "rename-command" and name in options else value
    if "replicaof" in options or options.get("cluster-enabled") == "yes":
        sys.exit("the embedded Redis serves single nodes only: install redis-server for replication and cluster mode")
    address = options.pop("bind", "127.0.0.1").split()[0]
    port = int(options.pop("port", "6379"))
    run_forever(EmbeddedRedis(address, port, options))


if __name__ == "__main__":
    main()
