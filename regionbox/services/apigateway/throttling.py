"""Token buckets: API Gateway's throttling, per API key and stage (a usage plan's throttle and
its per-method throttles) and per stage (the stage's method settings).

A bucket holds up to ``burst`` tokens and gains ``rate`` tokens a second; a request takes one or
is throttled (429 "Too Many Requests"). Buckets live in memory, as AWS's do not survive anything
either; the clock is injectable so that tests need no sleeping.
"""

from __future__ import annotations

import time
from typing import Callable, Hashable


class TokenBucket:
    __slots__ = ("rate", "burst", "tokens", "updated")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.updated = now

    def take(self, now: float) -> bool:
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class Throttles:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._buckets: dict[Hashable, TokenBucket] = {}

    def allow(self, key: Hashable, rate: float, burst: int) -> bool:
        """Take a token from the bucket ``key`` (made with these limits, or remade when they changed)."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None or bucket.rate != rate or bucket.burst != burst:
            bucket = self._buckets[key] = TokenBucket(rate, burst, now)
        return bucket.take(now)

    def clear(self) -> None:
        self._buckets.clear()
