"""A function's log: what its worker prints, framed by Lambda's START/END/REPORT lines, written to
CloudWatch Logs (``/aws/lambda/<name>``, one stream per execution environment as on AWS) and
kept as the last 4 KB that ``Invoke`` returns with ``LogType: Tail`` (X-Amz-Log-Result).

Memory stays bounded whatever the function prints: events go to CloudWatch every
``FLUSH_BYTES``, a line longer than CloudWatch's event limit is cut into events of that size,
and only the tail is kept for the response.
"""

from __future__ import annotations

import base64
import os
import time
from collections import deque
from typing import Callable

TAIL_BYTES = 4096
EVENT_BYTES = 256 * 1024 - 26  # CloudWatch Logs' largest event (message bytes + 26)
FLUSH_BYTES = 1024 * 1024
# (account, region, group, stream, [(timestamp ms, message)]) -> CloudWatch Logs
Writer = Callable[[str, str, str, str, list], None]


def now_ms() -> int:
    return int(time.time() * 1000)


class Tail:
    """The last TAIL_BYTES of a text, kept as its chunks arrive."""

    def __init__(self) -> None:
        self._chunks: deque[bytes] = deque()
        self._size = 0

    def add(self, data: bytes) -> None:
        if len(data) >= TAIL_BYTES:
            self._chunks.clear()
            data = data[-TAIL_BYTES:]
            self._size = 0
        self._chunks.append(data)
        self._size += len(data)
        while self._size - len(self._chunks[0]) >= TAIL_BYTES:
            self._size -= len(self._chunks.popleft())

    def base64(self) -> str:
        return base64.b64encode(b"".join(self._chunks)[-TAIL_BYTES:]).decode()


class LogStream:
    """One execution environment's log stream: lines in, CloudWatch events out."""

    def __init__(self, writer: Writer, account: str, region: str, group: str, stream: str) -> None:
        self.writer = writer
        self.where = (account, region, group, stream)
        self.events: list[tuple[int, str]] = []
        self._buffered = 0
        self._partial = b""
        self.tail: Tail | None = None  # the current invocation's, when one runs

    def feed(self, data: bytes) -> None:
        """Bytes the function wrote: complete lines become events."""
        if self.tail is not None:
            self.tail.add(data)
        data = self._partial + data
        *lines, self._partial = data.split(b"\n")
        while len(self._partial) > EVENT_BYTES:  # a line without end: cut, as CloudWatch would
            lines.append(self._partial[:EVENT_BYTES])
            self._partial = self._partial[EVENT_BYTES:]
        stamp = now_ms()
        for line in lines:
            if not line.strip(b"\r"):
                continue  # an empty line is no CloudWatch event
            for start in range(0, len(line), EVENT_BYTES):
                self._event(stamp, line[start:start + EVENT_BYTES].decode("utf-8", "replace"))
        if self._buffered >= FLUSH_BYTES:
            self.flush()

    def platform(self, line: str) -> None:
        """A line of Lambda's own (START, END, REPORT ...), after what the function wrote so far."""
        self._end_partial()
        if self.tail is not None:
            self.tail.add(line.encode() + b"\n")
        self._event(now_ms(), line)

    def _end_partial(self) -> None:
        if self._partial:
            self._event(now_ms(), self._partial.decode("utf-8", "replace"))
            self._partial = b""

    def _event(self, stamp: int, message: str) -> None:
        if message.endswith("\r"):
            message = message[:-1]
        self.events.append((stamp, message))
        self._buffered += len(message) + 26

    def flush(self) -> None:
        if self.events:
            events, self.events, self._buffered = self.events, [], 0
            self.writer(*self.where, events)


def in_order(events: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """The events cut into runs that stay in the function's order however a run is sorted: Logs
    sorts the events of one append by (timestamp, message), so lines of the same millisecond
    ("START ...", then "END ...") would change places within one."""
    runs: list[list[tuple[int, str]]] = []
    for event in events:
        if runs and event >= runs[-1][-1]:
            runs[-1].append(event)
        else:
            runs.append([event])
    return runs


def stream_name(version: str) -> str:
    """AWS's name for an execution environment's stream: ``2024/01/31/[$LATEST]<32 hex>``."""
    return time.strftime("%Y/%m/%d/", time.gmtime()) + f"[{version}]" + os.urandom(16).hex()


def report(request_id: str, duration_ms: float, memory: int, used_mb: int, init_ms: float | None,
           status: str | None = None, error_type: str | None = None) -> str:
    line = (f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: "
            f"{max(1, int(-(-duration_ms // 1)))} ms\tMemory Size: {memory} MB\tMax Memory Used: {used_mb} MB\t")
    if init_ms is not None:
        line += f"Init Duration: {init_ms:.2f} ms\t"
    if status:
        line += f"Status: {status}\t"
    if error_type:
        line += f"Error Type: {error_type}\t"
    return line
