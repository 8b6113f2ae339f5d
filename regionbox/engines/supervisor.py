"""Supervised engine processes: start, stop, kill, restart; AZ outages; no orphans.

Every node is a real process (redis-server / valkey-server / memcached) listening on its own
loopback address. The supervisor

- starts a node and waits until it accepts connections;
- watches it: a node that exits without being asked to is restarted after a short pause, unless
  its AZ is down (then it comes back with ``az.restore``);
- on ``az.outage`` kills every node placed in that zone with SIGKILL, as a power loss would;
- tells listeners (``on_exit`` / ``on_start``) so the service can fail over or re-attach a node;
- makes sure children do not outlive the cloud: each child gets PR_SET_PDEATHSIG=SIGKILL and
  its own process group, and its pid is written to ``<data_dir>/node.pid`` so that a cloud
  restarted after ``kill -9`` kills whatever a previous run left behind.
"""

from __future__ import annotations

import asyncio
import ctypes
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


@dataclass
class Node:
    spec: NodeSpec
    address: str
    port: int
    data_dir: Path
    process: asyncio.subprocess.Process | None = None
    started_at: float = 0.0
    restarts: int = 0
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


def _set_pdeathsig() -> None:
    """In the child, before exec: die with the parent (Linux), in a process group of its own."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass  # not Linux: the pid files catch the leftovers on the next start
    os.setpgid(0, 0)


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
        self.kill_leftovers()

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
        await self._spawn(node)
        return node

    async def _spawn(self, node: Node) -> None:
        node.data_dir.mkdir(parents=True, exist_ok=True)
        argv = kinds.argv(node.spec, node.address, node.port, node.data_dir)
        log_file = open(node.data_dir / "process.log", "ab")
        try:
            node.process = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.DEVNULL, stdout=log_file, stderr=asyncio.subprocess.STDOUT,
                preexec_fn=_set_pdeathsig,
            )
        finally:
            log_file.close()
        node.started_at = time.time()
        node.down_reason = ""
        node._stopping = False
        (node.data_dir / "node.pid").write_text(f"{node.process.pid}\n{argv[0]}\n")
        node._watcher = asyncio.get_running_loop().create_task(self._watch(node, node.process))
        deadline = time.monotonic() + READY_TIMEOUT
        while not await _accepts(node.address, node.port if not self._tls_only(node) else int(node.spec.options["tls-port"])):
            if node.process.returncode is not None:
                raise RuntimeError(f"{node.spec.engine} node {node.node_id} exited at start: "
                                   f"{(node.data_dir / 'process.log').read_text()[-800:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{node.spec.engine} node {node.node_id} did not accept connections")
            await asyncio.sleep(0.01)
        await self._notify(node, "started")

    @staticmethod
    def _tls_only(node: Node) -> bool:
        return str(node.spec.options.get("port", "")) == "0" and "tls-port" in node.spec.options

    async def _watch(self, node: Node, process: asyncio.subprocess.Process) -> None:
        await process.wait()
        if node.process is not process:
            return
        _forget_pid(node)
        if node._stopping:
            return
        if not node.down_reason:
            node.down_reason = "crashed"
        log.warning("%s node %s exited (%s, code %s)", node.spec.engine, node.node_id, node.down_reason, process.returncode)
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
        """Clean stop: SIGTERM (Redis saves its final RDB), SIGKILL after a timeout."""
        node._stopping = True
        node.down_reason = "stopped"
        process = node.process
        if process is None or process.returncode is not None:
            return
        try:
            process.send_signal(signal.SIGTERM)
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

    # -- leftovers from a previous run -------------------------------------------------------------
    def kill_leftovers(self) -> None:
        """Kill engine processes that a previous run (killed with -9) left behind."""
        for pid_file in self.root.rglob("node.pid"):
            try:
                pid_text, exe = pid_file.read_text().split("\n")[:2]
                pid = int(pid_text)
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
            except (OSError, ValueError):
                pid_file.unlink(missing_ok=True)
                continue
            if cmdline == exe:
                log.warning("killing leftover engine process %s (%s)", pid, exe)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            pid_file.unlink(missing_ok=True)


def _forget_pid(node: Node) -> None:
    (node.data_dir / "node.pid").unlink(missing_ok=True)
