"""An in-process event bus: stream records, failovers, AZ outages.

Handlers may be plain functions or coroutines. ``publish`` awaits every handler, so a
publisher knows subscribers have seen the event; a failing handler is logged, never raised
into the publisher (one bad subscriber must not break a PutItem).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import defaultdict
from typing import Any, Awaitable, Callable

log = logging.getLogger("regionbox.events")
Handler = Callable[[str, Any], Awaitable[None] | None]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        """Subscribe to a topic ("dynamodb.stream", "az.outage" ...); "*" receives every topic."""
        self._handlers[topic].append(handler)
        return lambda: self._handlers[topic].remove(handler) if handler in self._handlers[topic] else None

    async def publish(self, topic: str, payload: Any) -> None:
        for handler in [*self._handlers.get(topic, ()), *self._handlers.get("*", ())]:
            try:
                result = handler(topic, payload)
                if inspect.isawaitable(result):
                    await result
            except Exception:  # noqa: BLE001 - a subscriber's bug is logged, not propagated
                log.exception("event handler failed for %s", topic)

    def publish_nowait(self, topic: str, payload: Any) -> None:
        """Publish from synchronous code running on the event loop."""
        asyncio.get_running_loop().create_task(self.publish(topic, payload))
