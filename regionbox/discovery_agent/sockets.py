"""The host's TCP sockets, cheaply.

psutil.net_connections decodes every socket of the host and maps every one to its process by
reading every process's descriptors, on every call; a busy host holds thousands of sockets (here,
under the other tests' load, 10,000 to 18,000), and the agent spent a core's percent on it. This
reader asks the kernel (sock_diag over netlink, as ``ss`` does) for the established and listening
ones only, in binary; where netlink is refused it reads /proc/net/tcp{,6} (the kernel then formats
every socket as text, the dear part). Sockets are told apart undecoded, and owners are looked up
(/proc/<pid>/fd) only for sockets not seen before, at most once per ``scan_interval``. Elsewhere
than Linux, psutil does it all.
"""

from __future__ import annotations

import os
import re
import socket
import struct
import time
from functools import lru_cache

import psutil

ESTABLISHED, LISTEN = "01", "0A"
NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY, NLMSG_DONE, NLMSG_ERROR = 4, 20, 3, 2
TCP_STATES = (1 << 1) | (1 << 10)  # TCP_ESTABLISHED, TCP_LISTEN
# nlmsghdr (length, type, flags, seq, pid) + inet_diag_msg (family, state; ports and addresses; inode),
# the fields not wanted skipped ("x"), then the attributes the kernel adds, skipped too.
MESSAGE_FORMAT = "=IHHIIBB2x2s2s16s16s4x8x16xI"
MESSAGE_SIZE = struct.calcsize(MESSAGE_FORMAT)


@lru_cache(maxsize=8)
def _message(length: int) -> struct.Struct:
    return struct.Struct(MESSAGE_FORMAT + f"{length - MESSAGE_SIZE}x")
TABLES = ("/proc/net/tcp", "/proc/net/tcp6")
# One line of /proc/net/tcp{,6} in the two states wanted: local, remote, state, inode. A regular
# expression over the whole file runs in C; splitting every line in Python cost 90 % of a collection.
LINE = re.compile(r"^\s*\d+: ([0-9A-F]+:[0-9A-F]{4}) ([0-9A-F]+:[0-9A-F]{4}) (01|0A) (?:\S+\s+){5}(\d+)", re.M)


@lru_cache(maxsize=4096)
def _host(text: str) -> str:
    """``0100007F`` -> "127.0.0.1"; IPv6 in four little-endian words; IPv4-mapped as IPv4. A host's
    sockets share few addresses: each is decoded once."""
    raw = bytes.fromhex(text)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    ip = socket.inet_ntop(socket.AF_INET6, b"".join(struct.pack(">I", w) for w in struct.unpack("<4I", raw)))
    return ip[7:] if ip.startswith("::ffff:") and "." in ip else ip


@lru_cache(maxsize=4096)
def _packed(raw: bytes, family: int) -> str:
    ip = socket.inet_ntop(family, raw)
    return ip[7:] if ip.startswith("::ffff:") and "." in ip else ip


def _address(text: str) -> tuple[str, int]:
    """``0100007F:1F90`` -> ("127.0.0.1", 8080)."""
    host, port = text.split(":")
    return _host(host), int(port, 16)


class Sockets:
    def __init__(self, scan_interval: float = 60.0) -> None:
        self.linux = all(os.path.exists(t) for t in TABLES[:1])
        self.netlink = self.linux
        self._owners: dict[int, int] = {}  # inode -> pid, 0 when it could not be found (asked once)
        # Reading every process's descriptors is the dear part: at most once per scan_interval.
        self.scan_interval = scan_interval
        self._scanned = float("-inf")

    def due(self) -> bool:
        """Whether owners may be looked up now (else new connections wait for the next scan)."""
        return not self.linux or time.monotonic() - self._scanned >= self.scan_interval

    def _netlink(self) -> list[tuple[bytes, bytes, bool, int]] | None:
        """(local, remote, listening, inode) from sock_diag: addresses as family byte + port + address
        bytes; None when the kernel refuses (then /proc/net/tcp answers). The loop is per socket:
        it must stay small."""
        found: list = []
        try:
            with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_SOCK_DIAG) as link:
                for family in (socket.AF_INET, socket.AF_INET6):
                    request = struct.pack("=BBBBI48x", family, socket.IPPROTO_TCP, 0, 0, TCP_STATES)
                    link.send(struct.pack("=IHHII", 16 + len(request), SOCK_DIAG_BY_FAMILY, 0x301, family, 0) + request)
                    size = 4 if family == socket.AF_INET else 16
                    tag = bytes((family,))
                    done = False
                    while not done:
                        data = link.recv(1 << 17)
                        if len(data) < 16:
                            return None
                        length, kind = struct.unpack_from("=IH", data, 0)
                        if kind == NLMSG_DONE:
                            break
                        if kind == NLMSG_ERROR or length < MESSAGE_SIZE:
                            return None
                        # The kernel appends a few attributes: every message of a dump has the same
                        # length in practice, so they are unpacked together, in C.
                        whole = len(data) - len(data) % length
                        if whole < len(data):  # a shorter message at the end: NLMSG_DONE
                            if len(data) - whole < 16 or struct.unpack_from("=H", data, whole + 4)[0] != NLMSG_DONE:
                                return None
                            done = True
                        shape = _message(length)
                        rows = list(shape.iter_unpack(memoryview(data)[:whole]))
                        if any(row[0] != length or row[1] != SOCK_DIAG_BY_FAMILY for row in rows):
                            return None  # mixed lengths: /proc/net/tcp answers instead
                        found.extend((tag + sport + src[:size], tag + dport + dst[:size], state == 10, inode)
                                     for _, _, _, _, _, _, state, sport, dport, src, dst, inode in rows)
        except OSError:
            return None
        return found

    def read(self) -> list[tuple[str, str, bool, int]]:
        """Established and listening TCP sockets, undecoded: (local, remote, listening, inode) with the
        kernel's hex addresses (``decode`` them); equal addresses are equal strings, so sockets can be
        told apart without decoding the thousands a busy host holds."""
        if not self.linux:
            return [(f"{c.laddr.ip}|{c.laddr.port}", f"{c.raddr.ip}|{c.raddr.port}" if c.raddr else "|0",
                     c.status == psutil.CONN_LISTEN, -(c.pid or 0))
                    for c in psutil.net_connections(kind="tcp")
                    if c.laddr and c.status in (psutil.CONN_LISTEN, psutil.CONN_ESTABLISHED)]
        if self.netlink:
            found = self._netlink()
            if found is not None:
                return found
            self.netlink = False
        found = []
        for table in TABLES:
            try:
                with open(table) as source:
                    text = source.read()
            except OSError:
                continue
            found.extend((local, remote, state == LISTEN, int(inode)) for local, remote, state, inode in LINE.findall(text))
        return found

    def decode(self, address) -> tuple[str, int]:
        if isinstance(address, bytes):
            return _packed(address[3:], address[0]), int.from_bytes(address[1:3], "big")
        if not self.linux:
            host, port = address.rsplit("|", 1)
            return host, int(port)
        return _address(address)

    def host(self, address) -> str:
        """The address part alone (cached: a host's sockets share few addresses)."""
        if isinstance(address, bytes):
            return _packed(address[3:], address[0])
        return address.rsplit("|", 1)[0] if not self.linux else _host(address.split(":", 1)[0])

    def owners(self, inodes: list[int]) -> dict[int, int]:
        """inode -> pid for these sockets' inodes, as far as this user may see (root sees all)."""
        if not self.linux:
            return {inode: -inode for inode in inodes if inode < 0}
        missing = {inode for inode in inodes if inode not in self._owners}
        if missing and self.due():
            self._scanned = time.monotonic()
            self._owners.update(dict.fromkeys(missing, 0))
            for pid in psutil.pids():
                directory = f"/proc/{pid}/fd"
                try:
                    for fd in os.listdir(directory):
                        try:
                            target = os.readlink(f"{directory}/{fd}")
                        except OSError:
                            continue
                        if target.startswith("socket:["):
                            inode = int(target[8:-1])
                            if inode in missing:
                                self._owners[inode] = pid
                except OSError:  # another user's process (unless root), or gone
                    continue
        if len(self._owners) > 4 * len(inodes) + 1024:  # forget sockets long closed
            live = set(inodes)
            self._owners = {inode: pid for inode, pid in self._owners.items() if inode in live}
        return {inode: self._owners[inode] for inode in inodes if self._owners.get(inode)}
