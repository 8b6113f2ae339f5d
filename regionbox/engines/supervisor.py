"""Supervised engine processes: start, stop, kill, restart; AZ outages; no orphans.

Every node is a real process (redis-server / valkey-server / memcached / postgres) listening on its own
loopback address. The supervisor

- starts a node and waits until it accepts connections;
- watches it: a node that exits without being asked to is restarted after a short pause, unless
  its AZ is down (then it comes back with ``az.restore``);
- on ``az.outage`` kills every node placed in that zone with SIGKILL, as a power loss would;
- tells listeners (``on_exit`` / ``on_start``) so the service can fail over or re-attach a node;
- lets nodes outlive a crash of regionbox itself: a crash of the control plane must not become a
  data-plane outage. Each node runs in a process group of its own and is recorded in
  ``<data_dir>/node.json`` (pid, the process's start time, its command line). A cloud restarted
  after ``kill -9`` adopts every recorded node that is still the same process (same pid and start
  time: a reused pid starts later) when its service starts it again with the same command line
  (or with any, if the service claimed it ``as_is``: it brings runtime settings up to date itself),
  so connected clients notice nothing; ``claim`` also tells the service which recorded nodes died
  while regionbox was down (what they come back with is the service's rule);
  ``reap_unclaimed`` then kills recorded nodes no service claimed (no longer in state).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

from regionbox.engines import kinds
from regionbox.core.addresses import AddressAllocator

log = logging.getLogger("regionbox.engines")

RESTART_DELAY = 0.2  # seconds between a crash and the restart
READY_TIMEOUT = 20.0
STOP_TIMEOUT = 20.0

Listener = Callable[["Node", str], Awaitable[None] | None]


@dataclass
class NodeSpec:
    """What to run. ``node_id`` is unique in the cloud; ``address`` None means allocate one."""

    node_id: str
    engine: str  # redis | valkey | memcached
    version: str
    zone: str
    port: int
    options: dict[str, Any] = field(default_factory=dict)
    data_dir: Path | None = None  # default: <state dir>/engines/<node_id>
    address: str | None = None


class AdoptedProcess:
    """A node process an earlier run of regionbox started: not our child, so its exit is learned
    through a pidfd. Quacks like ``asyncio.subprocess.Process`` where the supervisor uses one."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._loop = asyncio.get_running_loop()
        self._exited = self._loop.create_future()
        self._fd = os.pidfd_open(pid)
        self._loop.add_reader(self._fd, self._on_exit)

    def _on_exit(self) -> None:
        self._loop.remove_reader(self._fd)
        os.close(self._fd)
        self.returncode = -1  # not our child: its exit status is its parent's (init) to read
        self._exited.set_result(self.returncode)

    async def wait(self) -> int:
        return await asyncio.shield(self._exited)

    def send_signal(self, number: int) -> None:
        os.kill(self.pid, number)


@dataclass
class Node:
    spec: NodeSpec
    address: str
    port: int
    data_dir: Path
    process: "asyncio.subprocess.Process | AdoptedProcess | None" = None
    started_at: float = 0.0
    restarts: int = 0
    # Still running from an earlier run of regionbox, taken over instead of started: no data lost.
    adopted: bool = False
    # Why the node is not running: "" (running or starting), "stopped", "outage", "crashed", "killed".
    down_reason: str = "stopped"
    _stopping: bool = False
    _watcher: asyncio.Task | None = None

    @property
    def node_id(self) -> str:
        return self.spec.node_id

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None and self.process.returncode is None else None

    @property
    def running(self) -> bool:
        return self.pid is not None and self.down_reason == ""


def _own_process_group() -> None:
    """In the child, before exec: a process group of its own, so that a signal for regionbox
    (Ctrl-C in its terminal) is not one for its nodes, and a node is killed with its children."""
    os.setpgid(0, 0)


RECORD = "node.json"


def _start_time(pid: int) -> str | None:
    """When a live process started (clock ticks since boot, from /proc): with its pid, it tells
    the process apart from a later one that reused the pid. (The command line cannot: Redis
    rewrites its process title.)"""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    return None if fields[0] == "Z" else fields[19]  # a zombie has exited already


def recorded_processes(root: Path, dead: list[str] | None = None) -> list[tuple[Path, dict]]:
    """Every node record under ``root`` whose process is still that process. The records of
    processes that are gone are removed; ``dead`` collects their node ids (they died uncleanly:
    a clean stop removes the record)."""
    found = []
    for path in Path(root).rglob(RECORD):
        record: dict = {}
        try:
            record = json.loads(path.read_text())
            alive = record["start_time"] is not None and _start_time(int(record["pid"])) == record["start_time"]
        except (OSError, ValueError, KeyError, TypeError):
            alive = False
        if not alive:
            path.unlink(missing_ok=True)
            if dead is not None and isinstance(record, dict) and "node_id" in record:
                dead.append(record["node_id"])
            continue
        found.append((path, record))
    return found


def kill_recorded(root: Path) -> int:
    """Kill every node process recorded under ``root`` (tests that crash a cloud and walk away)."""
    killed = 0
    for path, record in recorded_processes(root):
        try:
            os.killpg(int(record["pid"]), signal.SIGKILL)
            killed += 1
        except ProcessLookupError:
            pass
        path.unlink(missing_ok=True)
    return killed


async def _accepts(address: str, port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(address, port), 1.0)
    except (OSError, asyncio.TimeoutError):
        return False
    writer.close()
    return True


class Supervisor:
    def __init__(self, root: Path, allocator: AddressAllocator | None = None, bus=None, topology=None) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.allocator = allocator or AddressAllocator(str(self.root))
        self.topology = topology
        self.nodes: dict[str, Node] = {}
        self._listeners: list[Listener] = []
        self._unsubscribe: list[Callable[[], None]] = []
        if bus is not None:
            self._unsubscribe.append(bus.subscribe("az.outage", self._on_outage))
            self._unsubscribe.append(bus.subscribe("az.restore", self._on_restore))
        # Nodes an earlier run left running (it was killed): node id -> record, until claimed.
        self.orphans: dict[str, dict] = {}
        self.claimed: set[str] = set()
        # Claimed nodes adopted whatever command line they were started with (see ``claim``).
        self._as_is: set[str] = set()
        # Nodes an earlier run recorded whose process died while no supervisor watched it.
        self.died: set[str] = set()
        dead: list[str] = []
        if hasattr(os, "pidfd_open"):
            self.orphans = {record["node_id"]: record for _, record in recorded_processes(self.root, dead) if "node_id" in record}
        else:
            self.died = {record["node_id"] for _, record in recorded_processes(self.root) if "node_id" in record}
            kill_recorded(self.root)  # no pidfd to watch a process that is not our child: start afresh
        self.died.update(dead)

    # -- listeners ---------------------------------------------------------------------------
    def listen(self, listener: Listener) -> None:
        """``listener(node, event)`` with event "started" (also after restarts) or "exited"."""
        self._listeners.append(listener)

    async def _notify(self, node: Node, event: str) -> None:
        for listener in list(self._listeners):
            try:
                result = listener(node, event)
                if asyncio.iscoroutine(result):
                    await result
            except Exception:  # noqa: BLE001 - a listener's bug must not stop supervision
                log.exception("engine listener failed for %s %s", node.node_id, event)

    # -- lifecycle -----------------------------------------------------------------------------
    def zone_up(self, zone: str) -> bool:
        return self.topology is None or not zone or self.topology.is_available(zone)

    async def start(self, spec: NodeSpec) -> Node:
        """Start a node (or return it if already running) and wait until it accepts connections.

        A node whose AZ is down is registered but not started; it starts when the AZ returns.
        """
        node = self.nodes.get(spec.node_id)
        if node is None:
            if spec.address is None:
                spec.address, spec.port = self.allocator.allocate(spec.port)
            else:
                self.allocator.reserve(spec.address, spec.port)
            data_dir = Path(spec.data_dir or self.root / spec.node_id)
            node = Node(spec=spec, address=spec.address, port=spec.port, data_dir=data_dir)
            self.nodes[spec.node_id] = node
        else:
            node.spec = spec
        if node.running:
            return node
        if not self.zone_up(spec.zone):
            node.down_reason = "outage"
            return node
        if await self._adopt(node):
            return node
        await self._spawn(node)
        return node

    async def _adopt(self, node: Node) -> bool:
        """Take over the node's process from an earlier run if it is still the same process,
        started with the same command line regionbox would use now."""
        record = self.orphans.pop(node.node_id, None)
        if record is None:
            return False
        pid = int(record["pid"])
        if node.node_id not in self.claimed:  # its service did not say it is in state: start afresh
            _signal_group(pid, signal.SIGKILL)
            await _gone(pid)
            return False
        if _start_time(pid) != record["start_time"]:
            return False  # it died meanwhile: start it again from its data
        if node.node_id not in self._as_is and record.get("argv") != kinds.argv(node.spec, node.address, node.port, node.data_dir):
            _signal_group(pid, signal.SIGKILL)  # its settings changed while regionbox was down
            await _gone(pid)
            return False
        node.process = AdoptedProcess(pid)
        # Quiet until it serves: the earlier run may have been killed just after starting it, so it
        # gets the grace a fresh start gets. If it dies or never serves, ``start`` replaces it at
        # once (no "exited" event, no restart of its own: two processes would fight for its port).
        node.started_at, node.adopted, node.down_reason, node._stopping = record.get("started_at", 0.0), True, "", True
        node._watcher = asyncio.get_running_loop().create_task(self._watch(node, node.process))
        if not await self._ready(node):
            if node.process.returncode is None:
                _signal_group(pid, signal.SIGKILL)
                await node.process.wait()
            node.adopted = False
            return False
        node._stopping = False
        log.info("adopted %s node %s (pid %s) from an earlier run", node.spec.engine, node.node_id, node.pid)
        await self._notify(node, "started")
        return True

    def claim(self, node_id: str, as_is: bool = False) -> str:
        """A service says, when it starts, that ``node_id`` is in its state: if an earlier run
        left it running, it is kept for ``start`` to adopt instead of being reaped. ``as_is``: adopt
        it even if it was started with another command line than its spec gives now (settings
        changed at runtime, or waiting for a reboot: the service brings it up to date itself).

        Returns what became of the node while no supervisor watched it: "running" (its data is
        still in memory), "died" (it died uncleanly: killed or crashed) or "" (no record: never
        started, or stopped cleanly)."""
        self.claimed.add(node_id)
        if as_is:
            self._as_is.add(node_id)
        if node_id in self.orphans:
            return "running"
        return "died" if node_id in self.died else ""

    def reap_unclaimed(self) -> int:
        """Kill the nodes an earlier run left that no service claimed: they are not in state."""
        killed = 0
        for node_id, record in [(k, v) for k, v in self.orphans.items() if k not in self.claimed]:
            log.warning("killing leftover engine process %s (%s): no longer in state", record["pid"], node_id)
            killed += _signal_group(int(record["pid"]), signal.SIGKILL)
            self.orphans.pop(node_id, None)
        return killed

    async def _spawn(self, node: Node) -> None:
        node.data_dir.mkdir(parents=True, exist_ok=True)
        argv = kinds.argv(node.spec, node.address, node.port, node.data_dir)
        log_file = open(node.data_dir / "process.log", "ab")
        try:
            node.process = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.DEVNULL, stdout=log_file, stderr=asyncio.subprocess.STDOUT,
                preexec_fn=_own_process_group,
            )
        finally:
            log_file.close()
        node.started_at = time.time()
        node.down_reason = ""
        node._stopping = False
        node.adopted = False
        _write_record(node, argv)
        node._watcher = asyncio.get_running_loop().create_task(self._watch(node, node.process))
        if not await self._ready(node):
            if node.process.returncode is not None:
                raise RuntimeError(f"{node.spec.engine} node {node.node_id} exited at start: "
                                   f"{(node.data_dir / 'process.log').read_text()[-800:]}")
            raise TimeoutError(f"{node.spec.engine} node {node.node_id} did not accept connections")
        await self._notify(node, "started")

    async def _ready(self, node: Node) -> bool:
        """Wait until the node accepts connections: False if its process exits first or it does
        not within READY_TIMEOUT."""
        deadline = time.monotonic() + READY_TIMEOUT
        while not await _accepts(node.address, self._probe_port(node)):
            if node.process.returncode is not None or time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    @staticmethod
    def _probe_port(node: Node) -> int:
        """The port that tells whether the node serves: its TLS port when it has no plain one."""
        if str(node.spec.options.get("port", "")) == "0" and "tls-port" in node.spec.options:
            return int(node.spec.options["tls-port"])
        return node.port

    async def _watch(self, node: Node, process) -> None:
        await process.wait()
        if node.process is not process:
            return
        _forget_pid(node)
        if node._stopping:
            return
        if not node.down_reason:
            node.down_reason = "crashed"
        log.warning("%s node %s exited (%s, code %s)%s", node.spec.engine, node.node_id, node.down_reason, process.returncode,
                    _last_words(node) if node.down_reason == "crashed" else "")
        await self._notify(node, "exited")
        if node.down_reason == "crashed" and self.zone_up(node.spec.zone):
            await asyncio.sleep(RESTART_DELAY)
            if node.down_reason == "crashed" and node.node_id in self.nodes and self.zone_up(node.spec.zone):
                node.restarts += 1
                try:
                    await self._spawn(node)
                except Exception:  # noqa: BLE001 - keep supervising the others
                    log.exception("restarting %s failed", node.node_id)

    async def kill(self, node_id: str, reason: str = "killed") -> None:
        """SIGKILL, as a power loss. The node stays registered and is not restarted by itself
        (``reason`` "crashed" makes it restart as a crash would)."""
        node = self.nodes.get(node_id)
        if node is None or node.process is None or node.process.returncode is not None:
            if node is not None and reason == "outage":
                node.down_reason = "outage"
            return
        node.down_reason = reason
        process = node.process
        _kill_children(process.pid)
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        await process.wait()
        if node._watcher is not None:
            await asyncio.shield(node._watcher)

    async def restart(self, node_id: str) -> Node:
        """Start a node that was killed or stopped (or stop and start a running one)."""
        node = self.nodes[node_id]
        if node.running:
            await self._terminate(node)
        if not self.zone_up(node.spec.zone):
            node.down_reason = "outage"
            return node
        await self._spawn(node)
        return node

    async def _terminate(self, node: Node) -> None:
        """Clean stop: SIGTERM (Redis saves its final RDB; PostgreSQL's fast shutdown is SIGINT), SIGKILL
        after a timeout."""
        node._stopping = True
        node.down_reason = "stopped"
        process = node.process
        if process is None or process.returncode is not None:
            return
        try:
            process.send_signal(kinds.stop_signal(node.spec.engine))
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        except asyncio.TimeoutError:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
        except ProcessLookupError:
            pass
        _forget_pid(node)

    async def stop(self, node_id: str, delete_data: bool = False) -> None:
        """Stop a node for good (it is forgotten); its data is kept unless ``delete_data``."""
        node = self.nodes.pop(node_id, None)
        if node is None:
            return
        if delete_data:
            # Nothing worth saving: a kill is quicker than a final snapshot.
            node._stopping = True
            if node.process is not None and node.process.returncode is None:
                _kill_children(node.process.pid)
                try:
                    os.killpg(node.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                await node.process.wait()
            _forget_pid(node)
            shutil.rmtree(node.data_dir, ignore_errors=True)
        else:
            await self._terminate(node)
        self.allocator.release(node.address, node.port)

    def node(self, node_id: str) -> Node | None:
        return self.nodes.get(node_id)

    async def close(self) -> None:
        """Stop every node cleanly, keeping data (the cloud is shutting down)."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        await asyncio.gather(*(self._terminate(node) for node in list(self.nodes.values())), return_exceptions=True)

    async def reset(self) -> None:
        """Stop every node and delete its data."""
        await asyncio.gather(*(self.stop(node_id, delete_data=True) for node_id in list(self.nodes)), return_exceptions=True)
        self.allocator.reset()

    # -- Availability Zones ------------------------------------------------------------------------
    async def _on_outage(self, _topic: str, zone) -> None:
        victims = [n for n in self.nodes.values() if n.spec.zone == zone.name]
        await asyncio.gather(*(self.kill(n.node_id, reason="outage") for n in victims))

    async def _on_restore(self, _topic: str, zone) -> None:
        revived = [n for n in self.nodes.values() if n.spec.zone == zone.name and n.down_reason == "outage"]
        results = await asyncio.gather(*(self._spawn(n) for n in revived), return_exceptions=True)
        for node, result in zip(revived, results):
            if isinstance(result, BaseException):
                log.error("restarting %s after the AZ outage failed: %s", node.node_id, result)



def _last_words(node: Node, lines: int = 5) -> str:
    """The end of what a node that crashed wrote, for the log line that reports it."""
    for name in ("engine.log", "process.log"):
        try:
            text = (node.data_dir / name).read_text(errors="replace").strip().splitlines()
        except OSError:
            continue
        if text:
            return ": " + " | ".join(text[-lines:])
    return ""


def _kill_children(pid: int) -> None:
    """SIGKILL a node's direct children that left its process group: PostgreSQL's backends each
    start a session of their own, so killing the postmaster's group would leave them running (and
    attached to its shared memory, which a restarted server then refuses to share)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return
    for child in children:
        try:
            os.kill(int(child), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


def _signal_group(pid: int, number: int) -> int:
    try:
        os.killpg(pid, number)
    except ProcessLookupError:
        return 0
    return 1


async def _gone(pid: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while _start_time(pid) is not None and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


def _write_record(node: Node, argv: list[str]) -> None:
    record = {"node_id": node.node_id, "pid": node.process.pid, "started_at": node.started_at,
              "start_time": _start_time(node.process.pid), "argv": argv}
    partial = node.data_dir / f"{RECORD}.partial"
    partial.write_text(json.dumps(record))
    os.replace(partial, node.data_dir / RECORD)


def _forget_pid(node: Node) -> None:
    (node.data_dir / RECORD).unlink(missing_ok=True)
