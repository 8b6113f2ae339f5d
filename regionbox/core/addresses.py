"""Loopback addresses for engine nodes: each node its own 127.x.y.z on the engine's usual port.

Linux routes all of 127.0.0.0/8 to ``lo``, so a node can listen on 127.12.0.5:6379 exactly as an
ElastiCache node listens on its own address. Where the OS does not allow that (macOS without
aliases), every node gets a distinct port on 127.0.0.1 instead.

Several clouds may run on one machine (test sessions, benchmarks): each picks its own /16 from a
hash of its state directory, every address is probed with a real ``bind`` before use, and a cloud
holds what it hands out with a claim other processes see (an abstract Unix socket named after the
address, which the kernel releases when the process dies), so two clouds that probe the same
address at the same moment cannot both take it. 127.0.0.1 itself is never handed out; it belongs
to the API endpoint and everything else.
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket


def _can_bind(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Engines set SO_REUSEADDR too; without it a TIME_WAIT left by an earlier node would
        # make a perfectly usable address look taken.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, port))
        except OSError:
            return False
        return True


def loopback_aliases_work() -> bool:
    """True when this host accepts binds on 127.x.y.z beyond 127.0.0.1 (Linux does)."""
    return _can_bind("127.43.21.9", 0)


def _claim(address: str, port: int) -> socket.socket | None:
    """This process's claim on (address, port), seen by every other process on the host; None
    when another process holds it. Linux's abstract socket names need no file and no cleanup."""
    if not hasattr(socket, "AF_UNIX"):
        return None
    claim = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        claim.bind(f"\0regionbox-address-{address}:{port}")
    except OSError as error:
        claim.close()
        if error.errno == 98:  # EADDRINUSE: another process holds it
            return None
        raise
    return claim


class AddressAllocator:
    def __init__(self, seed: str, enabled: bool = True) -> None:
        self.enabled = enabled and loopback_aliases_work()
        digest = hashlib.sha256(seed.encode()).digest()
        # Second octet 16..239: keeps clear of 127.0.x.x, which other tools like to use.
        self._second = 16 + digest[0] % 224
        self._taken: set[tuple[str, int]] = set()
        self._claims: dict[tuple[str, int], socket.socket] = {}
        self._next = 1

    def _candidate(self, index: int) -> str:
        return str(ipaddress.IPv4Address(f"127.{self._second}.0.0") + index)

    def allocate(self, port: int) -> tuple[str, int]:
        """A free (address, port): a fresh address on ``port``, or 127.0.0.1 on a free port."""
        if not self.enabled:
            return self._allocate_port()
        for _ in range(65000):
            index, self._next = self._next, self._next % 65000 + 1
            address = self._candidate(index)
            if address.endswith(".0") or address.endswith(".255"):
                continue
            if (address, port) not in self._taken and _can_bind(address, port) and self._hold(address, port):
                return address, port
        return self._allocate_port()

    def _hold(self, address: str, port: int) -> bool:
        claim = _claim(address, port)
        if claim is None and hasattr(socket, "AF_UNIX"):
            return False
        self._taken.add((address, port))
        if claim is not None:
            self._claims[(address, port)] = claim
        return True

    def _allocate_port(self) -> tuple[str, int]:
        while True:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            if ("127.0.0.1", port) not in self._taken:
                self._taken.add(("127.0.0.1", port))
                return "127.0.0.1", port

    def reserve(self, address: str, port: int) -> None:
        """Mark an address restored from state as used, so it is not handed out twice."""
        self._taken.add((address, port))
        if (address, port) not in self._claims and address != "127.0.0.1":
            claim = _claim(address, port)
            if claim is not None:
                self._claims[(address, port)] = claim

    def release(self, address: str, port: int) -> None:
        self._taken.discard((address, port))
        claim = self._claims.pop((address, port), None)
        if claim is not None:
            claim.close()

    def reset(self) -> None:
        for claim in self._claims.values():
            claim.close()
        self._claims.clear()
        self._taken.clear()
        self._next = 1
