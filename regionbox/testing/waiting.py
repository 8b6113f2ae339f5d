"""Waiting in tests for what the cloud does in the background (a metric written, a node up):
poll, never sleep a fixed time. The timeout only stops a test that would otherwise hang; it is
no assertion about speed."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def eventually(probe: Callable[[], T], timeout: float = 60, what: str = "condition", interval: float = 0.05) -> T:
    """The first truthy answer of ``probe()``; fails the test if none comes within ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        answer = probe()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what} (last answer: {answer!r})")
        time.sleep(interval)
