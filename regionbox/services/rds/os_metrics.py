"""What the host and an instance's PostgreSQL processes are doing, read from /proc and the data
directory: Enhanced Monitoring's document (AWS's field names) and Performance Insights' os.*
counters come from here. Rates (CPU %, KB/s) are over the time since the previous reading."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _stat(pid: int) -> dict | None:
    raw = _read(f"/proc/{pid}/stat")
    if not raw:
        return None
    fields = raw[raw.rfind(")") + 2:].split()
    return {"state": fields[0], "ppid": int(fields[1]), "ticks": int(fields[11]) + int(fields[12]),
            "vss": int(fields[20]) // 1024, "rss": int(fields[21]) * PAGE_KB, "start": int(fields[19])}


def _cmdline(pid: int) -> str:
    return _read(f"/proc/{pid}/cmdline").replace("\0", " ").strip()


def _io(pid: int) -> dict:
    values = {}
    for line in _read(f"/proc/{pid}/io").splitlines():
        name, _, value = line.partition(":")
        values[name] = int(value or 0)
    return values


def _cpu_times() -> list[int]:
    first = _read("/proc/stat").splitlines()[0].split()[1:]
    return [int(v) for v in first]


def _meminfo() -> dict[str, int]:
    values = {}
    for line in _read("/proc/meminfo").splitlines():
        name, _, rest = line.partition(":")
        values[name] = int(rest.split()[0]) if rest.split() else 0
    return values


def _net() -> dict[str, tuple[int, int]]:
    found = {}
    for line in _read("/proc/net/dev").splitlines()[2:]:
        name, _, rest = line.partition(":")
        parts = rest.split()
        found[name.strip()] = (int(parts[0]), int(parts[8]))
    return found


@dataclass
class Reading:
    at: float
    cpu: list[int]
    processes: dict[int, dict]
    io: dict[str, int]
    net: dict[str, tuple[int, int]]
    others_ticks: int = 0
    extra: dict = field(default_factory=dict)


class OsCollector:
    """One per instance: the previous reading, for rates."""

    def __init__(self) -> None:
        self.previous: Reading | None = None

    def read(self, postmaster: int | None) -> Reading:
        tree: dict[int, dict] = {}
        others = 0
        every = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                stat = _stat(int(entry))
                if stat is not None:
                    every[int(entry)] = stat
        if postmaster in every:
            tree[postmaster] = every[postmaster]
            for pid, stat in every.items():
                if stat["ppid"] == postmaster:
                    tree[pid] = stat
        for pid, stat in every.items():
            if pid not in tree:
                others += stat["ticks"]
        io = {"read_bytes": 0, "write_bytes": 0, "syscr": 0, "syscw": 0}
        for pid, stat in tree.items():
            stat["name"] = _cmdline(pid) or "postgres"
            values = _io(pid)
            for key in io:
                io[key] += values.get(key, 0)
        reading = Reading(at=time.time(), cpu=_cpu_times(), processes=tree, io=io, net=_net(), others_ticks=others,
                          extra={"states": [s["state"] for s in every.values()]})
        return reading

    def document(self, postmaster: int | None, instance_id: str, resource_id: str, data_dir: Path,
                 started_at: float) -> dict:
        """Enhanced Monitoring's JSON document, fields and units as AWS documents them."""
        now = self.read(postmaster)
        before, self.previous = self.previous or now, now
        elapsed = max(now.at - before.at, 1e-6)
        cpu_delta = [a - b for a, b in zip(now.cpu, before.cpu)]
        cpu_total = sum(cpu_delta) or 1
        names = ("user", "nice", "system", "idle", "wait", "irq", "softirq", "steal", "guest")
        cpu = {name: round(100 * cpu_delta[i] / cpu_total, 2) if i < len(cpu_delta) else 0.0 for i, name in enumerate(names)}
        cpu.pop("softirq")
        cpu["total"] = round(100 - cpu["idle"], 2)
        load = os.getloadavg()
        mem = _meminfo()
        states = now.extra["states"]
        vcpus = os.cpu_count() or 1
        statvfs = os.statvfs(data_dir) if data_dir.exists() else None
        total_kb = statvfs.f_blocks * statvfs.f_frsize // 1024 if statvfs else 0
        free_kb = statvfs.f_bavail * statvfs.f_frsize // 1024 if statvfs else 0
        io_delta = {k: now.io[k] - before.io.get(k, 0) for k in now.io}
        reads, writes = io_delta["syscr"] / elapsed, io_delta["syscw"] / elapsed
        processes = []
        for pid, stat in sorted(now.processes.items()):
            old = before.processes.get(pid)
            ticks = stat["ticks"] - (old["ticks"] if old and old["start"] == stat["start"] else stat["ticks"])
            processes.append({"name": stat["name"], "id": pid, "parentID": stat["ppid"], "tgid": pid, "vss": stat["vss"],
                              "rss": stat["rss"], "memoryUsedPc": round(100 * stat["rss"] / max(mem.get("MemTotal", 1), 1), 2),
                              "cpuUsedPc": round(100 * ticks / TICKS / elapsed / vcpus, 2)})
        own = _stat(os.getpid()) or {"vss": 0, "rss": 0, "ticks": 0}
        processes.append({"name": "RDS processes", "id": 0, "parentID": 0, "tgid": 0, "vss": own["vss"], "rss": own["rss"],
                          "memoryUsedPc": round(100 * own["rss"] / max(mem.get("MemTotal", 1), 1), 2), "cpuUsedPc": 0.0})
        others = (now.others_ticks - before.others_ticks) if before is not now else 0
        processes.append({"name": "OS processes", "id": 0, "parentID": 0, "tgid": 0, "vss": 0, "rss": 0, "memoryUsedPc": 0.0,
                          "cpuUsedPc": round(max(others, 0) * 100 / TICKS / elapsed / vcpus, 2)})
        net_before = before.net
        network = [{"interface": name, "rx": round((rx - net_before.get(name, (rx, tx))[0]) / elapsed, 2),
                    "tx": round((tx - net_before.get(name, (rx, tx))[1]) / elapsed, 2)} for name, (rx, tx) in now.net.items()]
        uptime = int(time.time() - started_at) if started_at else 0
        return {
            "engine": "POSTGRES", "instanceID": instance_id, "instanceResourceID": resource_id,
            "timestamp": datetime.fromtimestamp(now.at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "version": 1.0,
            "uptime": f"{uptime // 86400} days, {uptime % 86400 // 3600:02d}:{uptime % 3600 // 60:02d}:{uptime % 60:02d}"
            if uptime >= 86400 else f"{uptime // 3600:02d}:{uptime % 3600 // 60:02d}:{uptime % 60:02d}",
            "numVCPUs": vcpus, "cpuUtilization": cpu,
            "loadAverageMinute": {"one": round(load[0], 2), "five": round(load[1], 2), "fifteen": round(load[2], 2)},
            "memory": {"total": mem.get("MemTotal", 0), "free": mem.get("MemFree", 0), "cached": mem.get("Cached", 0),
                       "buffers": mem.get("Buffers", 0), "active": mem.get("Active", 0), "inactive": mem.get("Inactive", 0),
                       "dirty": mem.get("Dirty", 0), "writeback": mem.get("Writeback", 0), "mapped": mem.get("Mapped", 0),
                       "slab": mem.get("Slab", 0), "pageTables": mem.get("PageTables", 0),
                       "hugePagesTotal": mem.get("HugePages_Total", 0), "hugePagesFree": mem.get("HugePages_Free", 0),
                       "hugePagesRsvd": mem.get("HugePages_Rsvd", 0), "hugePagesSurp": mem.get("HugePages_Surp", 0),
                       "hugePagesSize": mem.get("Hugepagesize", 0)},
            "tasks": {"total": len(states), "running": states.count("R"), "sleeping": states.count("S") + states.count("I"),
                      "blocked": states.count("D"), "stopped": states.count("T"), "zombie": states.count("Z")},
            "swap": {"total": mem.get("SwapTotal", 0), "free": mem.get("SwapFree", 0), "cached": mem.get("SwapCached", 0),
                     "in": 0.0, "out": 0.0},
            "network": network,
            "diskIO": [{"device": "rdsdev", "readKbPS": round(io_delta["read_bytes"] / 1024 / elapsed, 2),
                        "writeKbPS": round(io_delta["write_bytes"] / 1024 / elapsed, 2), "readIOsPS": round(reads, 2),
                        "writeIOsPS": round(writes, 2), "tps": round(reads + writes, 2),
                        "readKb": io_delta["read_bytes"] // 1024, "writeKb": io_delta["write_bytes"] // 1024,
                        "avgReqSz": round((io_delta["read_bytes"] + io_delta["write_bytes"]) / 1024 / max(reads + writes, 1) / elapsed, 2),
                        "rrqmPS": 0.0, "wrqmPS": 0.0, "await": 0.0, "avgQueueLen": 0.0, "util": 0.0}],
            "fileSys": [{"name": "rdsfilesys", "mountPoint": "/rdsdbdata", "total": total_kb, "used": total_kb - free_kb,
                         "usedPercent": round(100 * (total_kb - free_kb) / total_kb, 2) if total_kb else 0.0,
                         "maxFiles": statvfs.f_files if statvfs else 0,
                         "usedFiles": (statvfs.f_files - statvfs.f_ffree) if statvfs else 0,
                         "usedFilePercent": round(100 * (statvfs.f_files - statvfs.f_ffree) / statvfs.f_files, 2)
                         if statvfs and statvfs.f_files else 0.0}],
            "processList": processes,
        }
