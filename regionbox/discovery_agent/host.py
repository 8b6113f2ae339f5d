"""What the agent sees of its host (psutil, as an ordinary user): configuration, utilisation,
processes and TCP connections, as report records (services/discovery/ingest.py reads them).

Unprivileged, Linux shows every process's name and command line, every TCP socket (sock_diag,
/proc/net/tcp: sockets.py) and all utilisation counters; only root sees which process owns another user's
socket and the executable path of other users' processes. So as a user the agent reports every
connection, names the process of those it owns, and leaves the path empty where it is hidden.

Shared-host mode (``addresses``): several agents on one machine, each claiming addresses of its
own (127.0.0.11, 127.0.0.12 ...), report as distinct hosts: only connections with a local address
they claim, only processes that own a socket on one, and those addresses as their interfaces.
This is how the tests run two or three "hosts" without network namespaces.
"""

from __future__ import annotations

import hashlib
import platform
import socket
import time
from dataclasses import dataclass, field

import psutil

from regionbox.discovery_agent.sockets import Sockets


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
    # Seconds between lookups of sockets' owning processes (sockets.py): new connections are
    # reported at the next lookup; the agent uses four sample intervals (a minute by default).
    owner_interval: float = 60.0
    _last: dict = field(default_factory=dict)
    _seen: set = field(default_factory=set)
    _processes: set = field(default_factory=set)
    _known: dict = field(default_factory=dict)
    _sockets: Sockets | None = None

    def __post_init__(self) -> None:
        self.host_name = self.host_name or socket.gethostname()
        self._sockets = Sockets(self.owner_interval)
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
        return not self.addresses or ip in self.addresses

    def activity(self, every_process: bool = False) -> list[dict]:
        """Processes started since the last call (every one with ``every_process``), and TCP
        connections not reported before (each connection once, however long it lives): a host's
        hundreds of processes are not sent again every 15 seconds."""
        now = time.time()
        table = self._sockets
        sockets = table.read()
        if self.addresses:
            sockets = [s for s in sockets if table.host(s[0]) in self.addresses]
        listening = {table.decode(local) for local, _, is_listening, _ in sockets if is_listening}
        any_listening = {port for ip, port in listening if ip in ("0.0.0.0", "::")}
        current = {(local, remote) for local, remote, is_listening, _ in sockets if not is_listening}
        # New connections are reported when their owners can be looked up (Sockets.due): until
        # then they stay unseen, and are new at the next call.
        due = table.due()
        new = [s for s in sockets if not s[2] and (s[0], s[1]) not in self._seen] if due else []
        # Owners: of the new connections, and in shared-host mode of every socket on the claimed
        # addresses (the processes this "host" runs); looked up once per socket.
        owners = table.owners([s[3] for s in (sockets if self.addresses else new)])
        wanted = set(owners.values()) if self.addresses else None
        processes = {}
        records = []
        running = set()
        known = {} if every_process else self._known  # read again in full hourly: a pid may be reused
        for pid in psutil.pids():
            if wanted is not None and pid not in wanted:
                continue
            entry = known.get(pid)
            if entry is None:  # only processes not seen before are read (name, path, command line)
                try:
                    info = psutil.Process(pid).as_dict(["name", "exe", "cmdline"])
                except (psutil.NoSuchProcess, psutil.ZombieProcess):
                    continue
                entry = {"pid": pid, "name": info["name"] or "", "path": info.get("exe") or "",
                         "commandLine": " ".join(info.get("cmdline") or [])}
            processes[pid] = entry
            identity = (entry["pid"], entry["name"], entry["commandLine"])
            running.add(identity)
            if every_process or identity not in self._processes:
                records.append({"kind": "process", "ts": now, **entry})
        self._known = processes
        self._processes = running
        for local_raw, remote_raw, _, inode in new:
            local, remote = table.decode(local_raw), table.decode(remote_raw)
            inbound = local in listening or local[1] in any_listening
            pid = owners.get(inode)
            record = {"kind": "connection", "ts": now, "direction": "inbound" if inbound else "outbound",
                      "localIp": local[0], "localPort": local[1], "remoteIp": remote[0], "remotePort": remote[1],
                      "protocol": "TCP", "ipVersion": "IPv6" if ":" in local[0] else "IPv4", "pid": pid}
            if pid in processes:
                record["process"] = {k: processes[pid][k] for k in ("name", "path", "commandLine")}
            records.append(record)
        if due:
            self._seen = current  # a connection gone and made again (a new source port) is new
        return records
