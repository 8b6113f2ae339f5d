"""What the agent sees of its host (psutil, as an ordinary user): configuration, utilisation,
processes and TCP connections, as report records (services/discovery/ingest.py reads them).

Unprivileged, Linux shows every process's name and command line, every TCP socket
(/proc/net/tcp) and all utilisation counters; only root sees which process owns another user's
socket and the executable path of other users' processes. So as a user the agent reports every
connection, names the process of those it owns, and leaves the path empty where it is hidden.

Shared-host mode (``addresses``): several agents on one machine, each claiming addresses of its
own (127.0.0.11, 127.0.0.12 ...), report as distinct hosts: only connections with a local address
they claim, only processes that own a socket on one, and those addresses as their interfaces.
This is how the tests run two or three "hosts" without network namespaces.
"""

from __future__ import annotations

import hashlib
import ipaddress
import platform
import socket
import time
from dataclasses import dataclass, field

import psutil

LISTEN = psutil.CONN_LISTEN
ESTABLISHED = psutil.CONN_ESTABLISHED


def _address(ip: str) -> str:
    """IPv4-mapped IPv6 (::ffff:10.0.0.1) as the IPv4 address it is."""
    return ip[7:] if ip.startswith("::ffff:") and "." in ip else ip


def _os() -> tuple[str, str]:
    try:
        release = platform.freedesktop_os_release()
        return release.get("NAME", platform.system()), release.get("VERSION_ID", release.get("VERSION", platform.release()))
    except OSError:
        return platform.system(), platform.release()


def _hypervisor() -> str:
    for path in ("/sys/hypervisor/type", "/sys/class/dmi/id/sys_vendor"):
        try:
            with open(path) as source:
                value = source.read().strip()
            if value:
                return value
        except OSError:
            continue
    return ""


@dataclass
class Host:
    host_name: str = ""
    addresses: tuple[str, ...] = ()  # shared-host mode: the addresses this agent's host claims
    _last: dict = field(default_factory=dict)
    _seen: set = field(default_factory=set)

    def __post_init__(self) -> None:
        self.host_name = self.host_name or socket.gethostname()
        psutil.cpu_percent(interval=None)  # the first call only starts the measurement

    def configuration(self) -> dict:
        os_name, os_version = _os()
        interfaces = self._interfaces()
        disks = []
        for partition in psutil.disk_partitions(all=False):
            try:
                disks.append(psutil.disk_usage(partition.mountpoint).total // 1024)
            except OSError:
                continue
        return {"kind": "configuration", "ts": time.time(), "hostName": self.host_name, "osName": os_name,
                "osVersion": os_version, "cpuType": platform.machine(), "hypervisor": _hypervisor(),
                "numCpus": psutil.cpu_count(logical=True) or 1, "numCores": psutil.cpu_count(logical=False) or 1,
                "totalRamKb": psutil.virtual_memory().total // 1024, "numDisks": len(disks),
                "totalDiskKb": sum(disks), "interfaces": interfaces}

    def _interfaces(self) -> list[dict]:
        if self.addresses:
            # A MAC of its own per claimed address, stable (locally administered: 02:...).
            return [{"name": f"eth{i}", "ipAddress": ip, "netMask": "255.255.255.255",
                     "macAddress": "02:" + ":".join(hashlib.sha256(ip.encode()).hexdigest()[j:j + 2] for j in range(0, 10, 2)),
                     "family": "IPv6" if ":" in ip else "IPv4"}
                    for i, ip in enumerate(self.addresses)]
        found = []
        for name, addresses in psutil.net_if_addrs().items():
            mac = next((a.address for a in addresses if a.family == psutil.AF_LINK), "")
            for address in addresses:
                if address.family in (socket.AF_INET, socket.AF_INET6):
                    found.append({"name": name, "macAddress": mac, "ipAddress": address.address.split("%")[0],
                                  "netMask": address.netmask or "",
                                  "family": "IPv4" if address.family == socket.AF_INET else "IPv6"})
        return found

    def sample(self) -> dict:
        """Utilisation since the last sample: CPU %, free RAM, disk and network throughput."""
        now = time.time()
        memory = psutil.virtual_memory()
        disk = psutil.disk_io_counters()
        net = psutil.net_io_counters()
        counters = {"diskReadKb": disk.read_bytes / 1024 if disk else 0.0, "diskWriteKb": disk.write_bytes / 1024 if disk else 0.0,
                    "diskReadOps": float(disk.read_count) if disk else 0.0, "diskWriteOps": float(disk.write_count) if disk else 0.0,
                    "netReadKb": net.bytes_recv / 1024, "netWriteKb": net.bytes_sent / 1024}
        record = {"kind": "sample", "ts": now, "cpu": psutil.cpu_percent(interval=None),
                  "freeRamKb": memory.available // 1024, "totalRamKb": memory.total // 1024}
        last = self._last.get("counters")
        elapsed = now - self._last.get("at", now)
        if last is not None and elapsed > 0:
            for name, value in counters.items():
                record[name] = max(0.0, (value - last[name]) / elapsed)
        self._last = {"counters": counters, "at": now}
        return record

    def _claimed(self, ip: str) -> bool:
        return not self.addresses or _address(ip) in self.addresses

    def activity(self) -> list[dict]:
        """Processes, and TCP connections not reported before (each connection once, however long it lives)."""
        now = time.time()
        try:
            sockets = psutil.net_connections(kind="tcp")
        except (psutil.AccessDenied, OSError):
            sockets = []
        listening = {(_address(s.laddr.ip), s.laddr.port) for s in sockets if s.status == LISTEN and s.laddr}
        any_listening = {port for ip, port in listening if ip in ("0.0.0.0", "::")}
        owners = {s.pid for s in sockets if s.pid and s.laddr and self._claimed(s.laddr.ip)}
        processes = {}
        records = []
        for process in psutil.process_iter(["pid", "name", "exe", "cmdline"]):
            info = process.info
            if self.addresses and info["pid"] not in owners:
                continue
            entry = {"pid": info["pid"], "name": info["name"] or "", "path": info.get("exe") or "",
                     "commandLine": " ".join(info.get("cmdline") or [])}
            processes[info["pid"]] = entry
            records.append({"kind": "process", "ts": now, **entry})
        current = set()
        for s in sockets:
            if s.status != ESTABLISHED or not s.laddr or not s.raddr or not self._claimed(s.laddr.ip):
                continue
            local, remote = (_address(s.laddr.ip), s.laddr.port), (_address(s.raddr.ip), s.raddr.port)
            key = (local, remote)
            current.add(key)
            if key in self._seen:
                continue
            inbound = local in listening or local[1] in any_listening
            version = "IPv6" if isinstance(ipaddress.ip_address(local[0]), ipaddress.IPv6Address) else "IPv4"
            record = {"kind": "connection", "ts": now, "direction": "inbound" if inbound else "outbound",
                      "localIp": local[0], "localPort": local[1], "remoteIp": remote[0], "remotePort": remote[1],
                      "protocol": "TCP", "ipVersion": version, "pid": s.pid}
            if s.pid in processes:
                record["process"] = {k: processes[s.pid][k] for k in ("name", "path", "commandLine")}
            records.append(record)
        self._seen = current  # a connection gone and made again (a new source port) is new
        return records
