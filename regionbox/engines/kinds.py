"""How to run each engine: which binary, which command line, how to stop it keeping its data.

``NodeSpec.options`` carries engine settings: for Redis/Valkey, configuration directives
(``{"replicaof": "127.16.0.2 6379", "maxmemory": "100mb"}``; a list value repeats the directive, as
``{"rename-command": ["CONFIG secret-name", ...]}``);
for Memcached, command-line flags (``{"-t": 4, "-m": 64}``); for PostgreSQL, server settings
(``-c name=value``) and ``listen_also`` (more addresses the server listens on: an endpoint's).

PostgreSQL refuses to run as root. When regionbox is root, its tools and server run in a user
namespace of their own in which regionbox's uid is an ordinary user's (``unprivileged``): files
stay root's on disk, so the data directory can live anywhere under the state directory, and the
process is still the one the supervisor started (``unshare`` execs it, no fork).
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from regionbox.engines.supervisor import NodeSpec


class EngineNotInstalled(RuntimeError):
    pass


ENGINES = ("redis", "valkey", "memcached", "postgres")

INSTALL_HINTS = {
    "redis": "install redis-server (apt-get install redis-server, brew install redis)",
    "valkey": "install valkey-server or redis-server (apt-get install valkey-server / redis-server)",
    "memcached": "install memcached (apt-get install memcached, brew install memcached)",
    "postgres": "install PostgreSQL (apt-get install postgresql, brew install postgresql)",
}


def postgres_bindir() -> Path | None:
    """Where PostgreSQL's server and tools are: Debian keeps them out of the PATH, one directory
    per major version (/usr/lib/postgresql/<major>/bin); the newest wins."""
    def major(path: Path) -> int:
        return int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=major)
    if found:
        return found[-1].parent
    on_path = shutil.which("postgres")
    return Path(on_path).parent if on_path else None


def unprivileged() -> list[str]:
    """The prefix that runs a PostgreSQL program as an ordinary user when regionbox is root (see
    the module's note): the ``postgres`` user's ids where it exists (so initdb can name its
    owner), else nobody's."""
    if os.geteuid() != 0:
        return []
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        entry = pwd.getpwnam("nobody")
    return [shutil.which("unshare") or "unshare", "--user", f"--map-user={entry.pw_uid}", f"--map-group={entry.pw_gid}", "--"]


def postgres_tool(name: str) -> list[str]:
    """argv prefix for a PostgreSQL program (initdb, pg_basebackup, postgres)."""
    bindir = postgres_bindir()
    if bindir is None:
        raise EngineNotInstalled(f"no postgres engine found: {INSTALL_HINTS['postgres']}")
    return [*unprivileged(), str(bindir / name)]


def postgres_version() -> str | None:
    """The installed server's version as RDS reports one ("15.18"), or None."""
    bindir = postgres_bindir()
    if bindir is None:
        return None
    # --version answers before the server's refusal of root.
    output = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True).stdout
    match = re.search(r"(\d+)\.(\d+)", output)
    return f"{match.group(1)}.{match.group(2)}" if match else None


# How to stop an engine and keep its data: PostgreSQL's SIGTERM waits for every client to leave
# (smart shutdown); SIGINT is its fast shutdown, which ends sessions and writes a checkpoint.
STOP_SIGNALS = {"postgres": signal.SIGINT}


def stop_signal(engine: str) -> int:
    return STOP_SIGNALS.get(engine, signal.SIGTERM)


def binary(engine: str) -> str | None:
    """The executable for an engine; Valkey falls back to redis-server (same protocol and ACLs)."""
    if engine == "postgres":
        bindir = postgres_bindir()
        return str(bindir / "postgres") if bindir else None
    names = {"redis": ["redis-server", "valkey-server"], "valkey": ["valkey-server", "redis-server"],
             "memcached": ["memcached"]}.get(engine, [])
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


def require_binary(engine: str) -> str:
    path = binary(engine)
    if path is None:
        raise EngineNotInstalled(f"no {engine} engine found: {INSTALL_HINTS.get(engine, engine)}")
    return path


# Without the binary, the embedded engine runs as a process taking the same flags.
EMBEDDED = {"redis": "regionbox.engines.embedded_redis", "valkey": "regionbox.engines.embedded_redis",
            "memcached": "regionbox.engines.embedded_memcached"}


def launcher(engine: str) -> list[str]:
    """The real binary, or the embedded engine (``python -m ...``) when it is not installed."""
    path = binary(engine)
    if path is not None:
        return [path]
    if engine in EMBEDDED:
        return [sys.executable, "-m", EMBEDDED[engine]]
    raise EngineNotInstalled(f"unknown engine {engine}")


def describe(engine: str) -> str:
    """For `regionbox status`: which engine runs and, when embedded, how to get the real one."""
    path = binary(engine)
    if path is not None:
        return f"real ({path})"
    if engine not in EMBEDDED:
        return f"not installed: {INSTALL_HINTS.get(engine, engine)}"
    return f"embedded (single node only; for the real engine {INSTALL_HINTS.get(engine, engine)})"


def _redis_argv(exe: str, spec: "NodeSpec", address: str, port: int, data_dir: Path) -> list[str]:
    settings: dict[str, Any] = {
        "bind": address,
        "port": port,
        "dir": str(data_dir),
        "daemonize": "no",
        "protected-mode": "no",
        "logfile": str(data_dir / "engine.log"),
        # No periodic snapshots and no AOF, as an ElastiCache node; the one save point that
        # never triggers makes SIGTERM write a final RDB, so a clean stop keeps the data.
        "save": "86400 2147483647",
        "appendonly": "no",
        "dbfilename": "dump.rdb",
        "repl-diskless-sync": "yes",
        "repl-diskless-sync-delay": "0",
    }
    settings.update(spec.options)
    argv = launcher(spec.engine)
    for key, value in settings.items():
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            argv.append(f"--{key}")
            argv.extend(str(item).split(" ") if key in ("bind", "replicaof", "save", "rename-command") else [str(item)])
    return argv


def _memcached_argv(exe: str, spec: "NodeSpec", address: str, port: int, data_dir: Path) -> list[str]:
    argv = [*launcher("memcached"), "-l", address, "-p", str(port), "-U", "0"]
    if os.geteuid() == 0:
        argv += ["-u", "root"]  # memcached refuses to run as root unless told which user to be
    for flag, value in spec.options.items():
        argv.append(flag)
        if value is not None and value is not True:
            argv.append(str(value))
    return argv


def _postgres_argv(spec: "NodeSpec", address: str, port: int, data_dir: Path) -> list[str]:
    """The server on its own address (and the endpoint's, ``listen_also``), TCP only: no Unix
    socket, whose path could outgrow the 107 bytes a socket name may have."""
    options = dict(spec.options)
    listen = ",".join([address, *options.pop("listen_also", [])])
    argv = [*postgres_tool("postgres"), "-D", str(data_dir / "pgdata"), "-c", f"listen_addresses={listen}",
            "-c", f"port={port}", "-c", "unix_socket_directories="]
    for name, value in options.items():
        argv += ["-c", f"{name}={value}"]
    return argv


def argv(spec: "NodeSpec", address: str, port: int, data_dir: Path) -> list[str]:
    if spec.engine == "postgres":
        return _postgres_argv(spec, address, port, data_dir)
    exe = launcher(spec.engine)[0]
    if spec.engine in ("redis", "valkey"):
        return _redis_argv(exe, spec, address, port, data_dir)
    if spec.engine == "memcached":
        return _memcached_argv(exe, spec, address, port, data_dir)
    raise EngineNotInstalled(f"unknown engine {spec.engine}")
