"""How to run each engine: which binary, which command line, how to stop it keeping its data.

``NodeSpec.options`` carries engine settings: for Redis/Valkey, configuration directives
(``{"replicaof": "127.16.0.2 6379", "maxmemory": "100mb"}``; a list value repeats the directive, as
``{"rename-command": ["CONFIG secret-name", ...]}``);
for Memcached, command-line flags (``{"-t": 4, "-m": 64}``).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from regionbox.engines.supervisor import NodeSpec


class EngineNotInstalled(RuntimeError):
    pass


ENGINES = ("redis", "valkey", "memcached")

INSTALL_HINTS = {
    "redis": "install redis-server (apt-get install redis-server, brew install redis)",
    "valkey": "install valkey-server or redis-server (apt-get install valkey-server / redis-server)",
    "memcached": "install memcached (apt-get install memcached, brew install memcached)",
}


def binary(engine: str) -> str | None:
    """The executable for an engine; Valkey falls back to redis-server (same protocol and ACLs)."""
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


def argv(spec: "NodeSpec", address: str, port: int, data_dir: Path) -> list[str]:
    exe = launcher(spec.engine)[0]
    if spec.engine in ("redis", "valkey"):
        return _redis_argv(exe, spec, address, port, data_dir)
    if spec.engine == "memcached":
        return _memcached_argv(exe, spec, address, port, data_dir)
    raise EngineNotInstalled(f"unknown engine {spec.engine}")
