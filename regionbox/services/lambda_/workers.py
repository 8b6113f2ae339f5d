"""Execution environments: warm worker processes that run one function version each.

A worker is an OS process running a small bootstrap (runtime/python_bootstrap.py, or
runtime/node_bootstrap.js under ``node``) that imports the handler once and then serves one
invocation at a time for as long as it lives, so only the first invocation of an environment pays
the cold start, as on AWS. Workers of a version are pooled; an update of the function makes a new
version key, and the old key's workers are stopped (the next invocation starts a new one).

Why a Unix socket pair and not the Lambda Runtime API over HTTP: the parent and the worker are
both ours, so the one thing the channel must do is carry a payload each way with the least work
and a clean failure signal. A socket pair needs no port, no listener and no HTTP parsing (a warm
round trip is tens of microseconds), the worker's death is an end of file on it, and no other
process can reach it. stdout and stderr go to a pipe of their own: that is the function's log,
read as it is written, so a function printing megabytes costs bounded memory.

Containment: a worker runs in its own session (killed with its children as a group), dies with
regionbox (PR_SET_PDEATHSIG, and the closed channel), and everything it does wrong ends in an
``Outcome``: a timeout kills it ("Task timed out after N.00 seconds"), an exit or crash is
``Runtime.ExitError``, an init failure is the error its runtime reports, an oversized response is
``Function.ResponseSizeTooLarge``. None of it reaches another function or the cloud.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import socket
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from regionbox.services.lambda_.function_logs import LogStream, Tail, Writer, report, stream_name

log = logging.getLogger("regionbox.lambda")

RUNTIME_DIR = Path(__file__).parent / "runtime"
RESPONSE_LIMIT = 6291556
HEADER_LIMIT = 64 * 1024
INIT_LIMIT = 10.0  # seconds: Lambda's limit on an on-demand environment's init phase
_SIGNALS = {signal.SIGKILL: "killed", signal.SIGSEGV: "segmentation fault", signal.SIGABRT: "aborted",
            signal.SIGTERM: "terminated", signal.SIGBUS: "bus error", signal.SIGILL: "illegal instruction"}


class Throttled(Exception):
    """No capacity for the invocation: reason is Lambda's ThrottleReason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Launch:
    """How to start an execution environment of one function version."""

    key: str  # the version and its revision: a worker serves this key only
    function: tuple[str, str, str]  # (account, region, name): what concurrency is counted on
    version: str
    argv: tuple[str, ...]  # the interpreter and its arguments before the bootstrap's own
    language: str  # "python" | "node"
    code_dir: str
    paths: tuple[str, ...]  # layer directories on the module path (Python)
    environment: tuple[tuple[str, str], ...]
    timeout: float
    memory: int
    log_group: str
    runtime: str


@dataclass
class Outcome:
    """What one invocation came to, as Invoke reports it."""

    payload: bytes
    error: str | None = None  # errorType when the function failed (X-Amz-Function-Error: Unhandled)
    tail: str = ""  # base64 of the log's last 4 KB
    duration_ms: float = 0.0
    init_ms: float | None = None


@dataclass(eq=False)
class Worker:
    launch: Launch
    process: asyncio.subprocess.Process
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    log: LogStream
    pipe: int
    tmp: Path
    last_used: float = field(default_factory=time.monotonic)
    expired: bool = False
    _reading: bool = True

    @property
    def alive(self) -> bool:
        return self.process.returncode is None and not self.expired

    # -- the log pipe --------------------------------------------------------------------------
    def drain(self) -> None:
        """Read what the function has written so far (all of it, when it has exited)."""
        while self._reading:
            try:
                data = os.read(self.pipe, 1 << 16)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._close_pipe()
                return
            self.log.feed(data)

    def _close_pipe(self) -> None:
        if self._reading:
            self._reading = False
            try:
                asyncio.get_running_loop().remove_reader(self.pipe)
            except RuntimeError:
                pass
            os.close(self.pipe)

    # -- frames --------------------------------------------------------------------------------
    def send(self, header: dict, payload: bytes) -> None:
        head = json.dumps(header).encode()
        self.writer.write(struct.pack(">I", len(head)) + head + struct.pack(">I", len(payload)))
        self.writer.write(payload)

    async def frame(self, limit: int) -> bytes | None:
        """The next frame, or None when it is over ``limit`` (read and thrown away)."""
        size = struct.unpack(">I", await self.reader.readexactly(4))[0]
        if size <= limit:
            return await self.reader.readexactly(size)
        while size:
            chunk = await self.reader.read(min(size, 1 << 20))
            if not chunk:
                raise asyncio.IncompleteReadError(b"", size)
            size -= len(chunk)
        return None

    # -- ending --------------------------------------------------------------------------------
    def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def expire(self) -> None:
        self.expired = True
        self.kill()

    def max_memory_mb(self) -> int:
        try:
            with open(f"/proc/{self.process.pid}/status", "rb") as status:
                for line in status:
                    if line.startswith(b"VmHWM:"):
                        return max(1, int(line.split()[1]) // 1024)
        except (OSError, ValueError, IndexError):
            pass
        return 0

    def exit_text(self) -> str:
        code = self.process.returncode
        if code is not None and code < 0:
            return f"signal: {_SIGNALS.get(signal.Signals(-code), signal.Signals(-code).name.lower())}"
        return f"exit status {code}"


def iso_now() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"


class Workers:
    def __init__(self, tmp_root: Path, log_writer: Writer, idle_seconds: float, concurrency: int) -> None:
        self.tmp_root = tmp_root
        self.log_writer = log_writer
        self.idle_seconds = idle_seconds
        self.concurrency = concurrency
        self._idle: dict[str, list[Worker]] = {}
        self._busy: set[Worker] = set()
        self._stale: set[str] = set()
        self._exits: set[asyncio.Task] = set()  # workers killed, their exit not yet collected
        self.running: dict[tuple[str, str, str], int] = {}
        self.total = 0

    # -- capacity ------------------------------------------------------------------------------
    def _admit(self, function: tuple[str, str, str], reserved: int | None, unreserved: int) -> None:
        count = self.running.get(function, 0)
        if reserved is not None:
            if count >= reserved:
                raise Throttled("ReservedFunctionConcurrentInvocationLimitExceeded")
        elif self.total >= unreserved:
            raise Throttled("ConcurrentInvocationLimitExceeded")
        self.running[function] = count + 1
        self.total += 1

    def _release(self, function: tuple[str, str, str]) -> None:
        self.total -= 1
        left = self.running[function] - 1
        if left:
            self.running[function] = left
        else:
            del self.running[function]

    # -- invoking ------------------------------------------------------------------------------
    async def run(self, launch: Launch, request_id: str, header: dict, payload: bytes, *, reserved: int | None = None,
                  unreserved: int | None = None) -> Outcome:
        """One invocation on a warm worker of ``launch`` (or a new one: a cold start).
        Raises Throttled when the function or the account has no concurrency left."""
        self._admit(launch.function, reserved, self.concurrency if unreserved is None else unreserved)
        try:
            return await self._run(launch, request_id, header, payload)
        finally:
            self._release(launch.function)

    async def _run(self, launch: Launch, request_id: str, header: dict, payload: bytes) -> Outcome:
        worker = self._take(launch.key)
        init_ms = None
        tail = Tail()
        if worker is None:
            worker, init_ms, failure = await self._start(launch, tail)
            if failure is not None:
                return self._init_failed(worker, request_id, failure, init_ms, tail)
        worker.log.tail = tail
        worker.log.platform(f"START RequestId: {request_id} Version: {launch.version}")
        self._busy.add(worker)
        started = time.perf_counter()
        timer = asyncio.get_running_loop().call_later(launch.timeout, worker.expire)
        error_type = None
        try:
            worker.send({**header, "id": request_id, "deadline": int(time.time() * 1000 + launch.timeout * 1000)}, payload)
            head = json.loads(await worker.frame(HEADER_LIMIT) or b"{}")
            body = await worker.frame(RESPONSE_LIMIT)
            if body is None:
                error_type = "Function.ResponseSizeTooLarge"
                body = json.dumps({"errorMessage": f"Response payload size exceeded maximum allowed payload size "
                                                   f"({RESPONSE_LIMIT} bytes).", "errorType": error_type}).encode()
            else:
                error_type = head.get("error")
        except (asyncio.IncompleteReadError, ConnectionError, struct.error, ValueError):
            body = None
        finally:
            timer.cancel()
            self._busy.discard(worker)
        duration = (time.perf_counter() - started) * 1000
        if body is None:  # the worker is gone: timed out, exited or crashed
            return await self._died(worker, request_id, launch, duration, init_ms, tail)
        worker.drain()
        worker.log.platform(f"END RequestId: {request_id}")
        worker.log.platform(report(request_id, duration, launch.memory, worker.max_memory_mb(), init_ms))
        worker.log.tail = None
        worker.log.flush()
        self._put_back(worker)
        return Outcome(body, error_type, tail.base64(), duration, init_ms)

    async def _died(self, worker: Worker, request_id: str, launch: Launch, duration: float, init_ms: float | None,
                    tail: Tail) -> Outcome:
        used = worker.max_memory_mb()
        if not worker.expired:
            try:  # it closed the channel on its way out: let it finish, for its exit status
                await asyncio.wait_for(asyncio.shield(worker.process.wait()), 1.0)
            except asyncio.TimeoutError:
                pass
        worker.kill()
        await worker.process.wait()
        worker.drain()
        if worker.expired:
            message = f"Task timed out after {launch.timeout:.2f} seconds"
            worker.log.platform(f"{iso_now()} {request_id} {message}")
            worker.log.platform(f"END RequestId: {request_id}")
            worker.log.platform(report(request_id, duration, launch.memory, used, init_ms, "timeout"))
            error_type, document = "Sandbox.Timedout", {"errorType": "Sandbox.Timedout",
                                                        "errorMessage": f"RequestId: {request_id} Error: {message}"}
        else:
            message = f"RequestId: {request_id} Error: Runtime exited with error: {worker.exit_text()}"
            worker.log.platform(message)
            worker.log.platform("Runtime.ExitError")
            worker.log.platform(f"END RequestId: {request_id}")
            worker.log.platform(report(request_id, duration, launch.memory, used, init_ms, "error", "Runtime.ExitError"))
            error_type, document = "Runtime.ExitError", {"errorType": "Runtime.ExitError", "errorMessage": message}
        self._stop(worker)
        return Outcome(json.dumps(document).encode(), error_type, tail.base64(), duration, init_ms)

    def _init_failed(self, worker: Worker, request_id: str, failure: dict, init_ms: float, tail: Tail) -> Outcome:
        launch = worker.launch
        error_type = failure.get("errorType", "Runtime.Unknown")
        worker.log.tail = tail
        worker.drain()
        worker.log.platform(f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: init\tStatus: error\tError Type: {error_type}")
        worker.log.platform(f"START RequestId: {request_id} Version: {launch.version}")
        worker.log.platform(f"END RequestId: {request_id}")
        worker.log.platform(report(request_id, 0.0, launch.memory, worker.max_memory_mb(), init_ms, "error", error_type))
        if "requestId" in failure:
            failure["requestId"] = request_id
        self._stop(worker)
        return Outcome(json.dumps(failure).encode(), error_type, tail.base64(), 0.0, init_ms)

    # -- the pool ------------------------------------------------------------------------------
    def _take(self, key: str) -> Worker | None:
        idle = self._idle.get(key)
        while idle:
            worker = idle.pop()  # the most recently used: the warmest
            if worker.alive:
                return worker
            self._stop(worker)
        return None

    def _put_back(self, worker: Worker) -> None:
        if worker.launch.key in self._stale or not worker.alive:
            self._stop(worker)
            return
        worker.last_used = time.monotonic()
        self._idle.setdefault(worker.launch.key, []).append(worker)

    async def _start(self, launch: Launch, tail: Tail) -> tuple[Worker, float, dict | None]:
        """A new execution environment through its init phase: (worker, init ms, init error or None)."""
        loop = asyncio.get_running_loop()
        parent, child = socket.socketpair()
        read_fd, write_fd = os.pipe()
        tmp = self.tmp_root / os.urandom(8).hex()
        tmp.mkdir(parents=True, exist_ok=True)
        stream = stream_name(launch.version)
        environment = dict(launch.environment)
        environment.update(AWS_LAMBDA_LOG_STREAM_NAME=stream, TMPDIR=str(tmp))
        bootstrap = ["node_bootstrap.js"] if launch.language == "node" else ["python_bootstrap.py"]
        argv = [*launch.argv, str(RUNTIME_DIR / bootstrap[0]), str(child.fileno())]
        if launch.language == "python":
            argv.append(os.pathsep.join(launch.paths))
        started = time.perf_counter()
        try:
            process = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.DEVNULL, stdout=write_fd, stderr=write_fd, pass_fds=(child.fileno(),),
                cwd=launch.code_dir, env=environment, start_new_session=True)
        except BaseException:
            os.close(read_fd)
            parent.close()
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        finally:
            child.close()  # the worker's ends are the worker's alone now
            os.close(write_fd)
        os.set_blocking(read_fd, False)
        reader, writer = await asyncio.open_unix_connection(sock=parent, limit=1 << 20)
        logs = LogStream(self.log_writer, *launch.function[:2], launch.log_group, stream)
        logs.tail = tail
        worker = Worker(launch, process, reader, writer, logs, read_fd, tmp)
        loop.add_reader(read_fd, worker.drain)
        logs.platform(f"INIT_START Runtime Version: {launch.runtime.replace('python', 'python:').replace('nodejs', 'nodejs:')}.v1")
        timer = loop.call_later(max(INIT_LIMIT, launch.timeout), worker.expire)
        try:
            head = json.loads(await worker.frame(HEADER_LIMIT) or b"{}")
            body = await worker.frame(RESPONSE_LIMIT) or b""
        except (asyncio.IncompleteReadError, ConnectionError, struct.error, ValueError):
            kind = "timeout" if worker.expired else "exit"
            worker.kill()
            await process.wait()
            init_ms = (time.perf_counter() - started) * 1000
            return worker, init_ms, self._init_died(worker, kind)
        finally:
            timer.cancel()
        init_ms = float(head.get("ms") or (time.perf_counter() - started) * 1000)
        if head.get("init") != "ok":
            try:
                failure = json.loads(body)
            except ValueError:
                failure = {"errorType": "Runtime.Unknown", "errorMessage": "The runtime failed to start."}
            return worker, init_ms, failure
        return worker, init_ms, None

    def _init_died(self, worker: Worker, kind: str) -> dict:
        if kind == "timeout":
            seconds = max(INIT_LIMIT, worker.launch.timeout)
            return {"errorType": "Sandbox.Timedout", "errorMessage": f"Task timed out after {seconds:.2f} seconds"}
        return {"errorType": "Runtime.ExitError",
                "errorMessage": f"RequestId: Error: Runtime exited with error: {worker.exit_text()}"}

    def _stop(self, worker: Worker) -> None:
        worker.kill()
        worker.drain()
        worker._close_pipe()
        worker.log.flush()
        worker.writer.close()
        shutil.rmtree(worker.tmp, ignore_errors=True)
        if worker.process.returncode is None:
            exit_status = asyncio.get_running_loop().create_task(worker.process.wait())
            self._exits.add(exit_status)
            exit_status.add_done_callback(self._exits.discard)

    def retire(self, keep: Callable[[str], bool]) -> None:
        """Stop the workers whose key ``keep`` refuses (a function updated or deleted); busy ones
        finish their invocation first."""
        for key in [k for k in self._idle if not keep(k)]:
            self._stale.add(key)
            for worker in self._idle.pop(key):
                self._stop(worker)
        for worker in self._busy:
            if not keep(worker.launch.key):
                self._stale.add(worker.launch.key)

    def sweep(self) -> None:
        """Stop workers idle for longer than idle_seconds (AWS reclaims idle environments)."""
        cutoff = time.monotonic() - self.idle_seconds
        for key, workers in list(self._idle.items()):
            keep = [w for w in workers if w.last_used >= cutoff and w.alive]
            for worker in workers:
                if worker not in keep:
                    self._stop(worker)
            if keep:
                self._idle[key] = keep
            else:
                del self._idle[key]
        self._stale &= {w.launch.key for w in self._busy}

    def count(self) -> int:
        return sum(len(w) for w in self._idle.values()) + len(self._busy)

    async def close(self) -> None:
        for workers in self._idle.values():
            for worker in workers:
                self._stop(worker)
        for worker in list(self._busy):
            worker.expire()
        self._idle.clear()
        if self._exits:
            await asyncio.wait(list(self._exits), timeout=5)
