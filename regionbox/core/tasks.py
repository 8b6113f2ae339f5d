"""Background work: the slow part of an operation that answers at once, as AWS's do.

Starting engines, replicating, backfilling an index: a handler answers with the resource in its
transitional status ("creating") and hands the rest to ``cloud.tasks.spawn``. The runner keeps a
reference to every task (the event loop keeps only weak ones), cancels a service's tasks when it
stops or resets, and never lets a failure pass as a log line alone: ``on_failure`` is where the
service turns it into what AWS shows, the resource's failed status and an event.

    cloud.tasks.spawn(start_nodes(group), owner="elasticache", what=f"creating {group_id}",
                      on_failure=lambda error: mark_create_failed(group, error))
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import deque
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Coroutine

from regionbox.core import clock

log = logging.getLogger("regionbox.tasks")

FailureHandler = Callable[[BaseException], "Awaitable[None] | None"]


@dataclass(frozen=True)
class Failure:
    """A background task that failed, kept for `regionbox status`."""

    owner: str
    what: str
    error: str
    at: float


class Tasks:
    def __init__(self, keep_failures: int = 50) -> None:
        self._tasks: dict[asyncio.Task, str] = {}
        self.failures: deque[Failure] = deque(maxlen=keep_failures)

    def spawn(self, coroutine: Coroutine[Any, Any, Any], *, owner: str, what: str,
              on_failure: FailureHandler | None = None) -> asyncio.Task:
        """Run ``coroutine`` in the background on behalf of ``owner`` (a service name).

        ``on_failure(error)`` runs if it raises; without one the failure is still kept and logged,
        which suits only work that has no resource to mark (a periodic sweep)."""
        task = asyncio.get_running_loop().create_task(self._run(coroutine, owner, what, on_failure), name=what)
        self._tasks[task] = owner
        task.add_done_callback(self._tasks.pop)
        return task

    async def _run(self, coroutine: Coroutine[Any, Any, Any], owner: str, what: str,
                   on_failure: FailureHandler | None) -> Any:
        try:
            return await coroutine
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - turned into the resource's failure below
            log.error("%s: %s failed", owner, what, exc_info=error)
            self.failures.append(Failure(owner, what, f"{type(error).__name__}: {error}", clock.epoch()))
            if on_failure is not None:
                try:
                    result = on_failure(error)
                    if inspect.isawaitable(result):
                        await result
                except Exception:  # noqa: BLE001 - a broken failure handler must not hide the first failure
                    log.exception("%s: handling the failure of %s failed", owner, what)
            return None

    def running(self, owner: str | None = None) -> list[asyncio.Task]:
        return [task for task, who in self._tasks.items() if owner is None or who == owner]

    async def cancel(self, owner: str | None = None) -> None:
        """Cancel ``owner``'s tasks (every task when None) and wait until they have ended."""
        victims = self.running(owner)
        for task in victims:
            task.cancel()
        await asyncio.gather(*victims, return_exceptions=True)

    async def drain(self, owner: str | None = None, timeout: float = 30.0) -> None:
        """Wait for ``owner``'s current tasks to finish (tests, clean shutdown)."""
        victims = self.running(owner)
        if victims:
            await asyncio.wait(victims, timeout=timeout)
