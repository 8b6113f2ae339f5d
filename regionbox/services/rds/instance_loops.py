"""One background loop per DB instance, kept running while the instance wants it: Enhanced
Monitoring (restarted when its interval changes), Performance Insights sampling and CloudWatch
metrics each hold one ``InstanceLoops``."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Coroutine, Hashable

from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks


class InstanceLoops:
    def __init__(self, tasks: Tasks, what: str) -> None:
        self.tasks = tasks
        self.what = what
        self.loops: dict[tuple[Scope, str], tuple[Hashable, asyncio.Task]] = {}

    def keep(self, scope: Scope, identifier: str, setting: Hashable,
             loop: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``loop()`` for the instance while ``setting`` is truthy (on, or a monitoring
        interval): a changed setting restarts it, a falsy one stops it."""
        key = (scope, identifier)
        running = self.loops.get(key)
        if running is not None and setting and running[0] == setting and not running[1].done():
            return
        if running is not None:
            running[1].cancel()
            self.loops.pop(key, None)
        if setting:
            self.loops[key] = (setting, self.tasks.spawn(loop(), owner="rds", what=f"{self.what} of {identifier}"))

    def stop_all(self) -> None:
        for _, task in self.loops.values():
            task.cancel()
        self.loops.clear()
