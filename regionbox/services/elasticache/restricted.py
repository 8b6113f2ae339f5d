"""The commands ElastiCache keeps from clients, and the admin path regionbox uses instead.

AWS renames the commands it restricts on node-based clusters ("Restricted commands": bgrewriteaof,
bgsave, config, debug, migrate, replicaof, save, slaveof, shutdown, sync), so a client gets the
engine's own answer for a command it does not know::

    ERR unknown command 'CONFIG', with args beginning with: 'GET' 'maxmemory'

regionbox does the same with ``rename-command``; MODULE joins them (ElastiCache loads no module a
client could manage). Each gets a name derived from the cloud's secret that only the admin path
(``RedisNodes.command``, as regionbox's own ACL user) uses, so ``REPLICAOF NO ONE`` from a client
can no longer split a group behind the API's back.

What cannot be renamed is denied by ACL rules to every user but regionbox's admin: PSYNC (a
replica sends it by that name, as the admin user), the CLUSTER subcommands that change the
topology (clients keep SLOTS, SHARDS, NODES, INFO, MYID, KEYSLOT, COUNTKEYSINSLOT, GETKEYSINSLOT,
REPLICAS, LINKS), and ACL changes outside the API (SETUSER, DELUSER, LOAD, SAVE; WHOAMI, LIST,
CAT, USERS, GETUSER, LOG stay). AWS does not publish what a client reads for these; the answer
is the engine's own: ``NOPERM this user has no permissions to run the 'acl|setuser' command``.
(A redis-server older than 7 cannot deny a subcommand: with one, only PSYNC is denied.)
The embedded engine (``regionbox/engines/embedded_redis.py``) takes the same ``rename-command``
directives and ACL rules and answers the same way.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import subprocess

from regionbox.engines import kinds

RENAMED = ("BGREWRITEAOF", "BGSAVE", "CONFIG", "DEBUG", "MIGRATE", "MODULE", "REPLICAOF", "SAVE", "SHUTDOWN", "SLAVEOF",
           "SYNC")
DENIED = ("psync",
          *(f"cluster|{sub}" for sub in ("addslots", "addslotsrange", "bumpepoch", "delslots", "delslotsrange", "failover",
                                          "flushslots", "forget", "meet", "replicate", "reset", "saveconfig",
                                          "set-config-epoch", "setslot")),
          *(f"acl|{sub}" for sub in ("setuser", "deluser", "load", "save")))


def deny_rules(engine: str) -> str:
    """Appended to every user's ACL rules but the admin's (later rules win over the access
    string's). Denying a subcommand needs Redis 7 or Valkey: an older redis-server would refuse
    the whole ACL file and not start, so there only whole commands are denied."""
    return " ".join(f"-{command}" for command in DENIED if "|" not in command or _subcommand_rules(kinds.binary(engine)))


@functools.lru_cache(maxsize=None)
def _subcommand_rules(executable: str | None) -> bool:
    if executable is None:
        return True  # the embedded engine
    try:
        version = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return True
    major = re.search(r"v=(\d+)\.", version)
    return major is None or int(major.group(1)) >= 7


class AdminNames:
    """The secret names of the renamed commands, the same for every node of a state directory (a
    node adopted after a restart of regionbox keeps its command line)."""

    def __init__(self, secret: str) -> None:
        self.names = {command: f"{command.lower()}-{hmac.new(secret.encode(), command.encode(), hashlib.sha256).hexdigest()[:20]}"
                      for command in RENAMED}

    def directives(self) -> list[str]:
        """``rename-command`` directives for a node's configuration."""
        return [f"{command} {name}" for command, name in self.names.items()]

    def args(self, args: tuple) -> tuple:
        """A command as regionbox sends it: a restricted one under its secret name."""
        name = self.names.get(str(args[0]).upper()) if args else None
        return (name, *args[1:]) if name else args
