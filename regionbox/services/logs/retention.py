"""The sweep that really deletes what has expired: log events older than their group's retention
(with their bytes taken off the streams' and groups' ``storedBytes``). Reads already hide expired events; the
sweep frees their storage, as AWS deletes expired events some time after they expire.

It runs every ``Config.logs_retention_interval`` seconds as one of the cloud's background tasks,
and once when the service starts (events that expired while the cloud was down).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

from regionbox.core.tasks import Tasks
from regionbox.services.logs.state import LogsState

log = logging.getLogger("regionbox.logs")


class RetentionSweep:
    def __init__(self, state: LogsState, tasks: Tasks, interval: Callable[[], float]) -> None:
        self.state = state
        self.tasks = tasks
        self.interval = interval

    def sweep(self) -> int:
        """Delete what has expired now; how many events went."""
        deleted = self.state.purge_all_expired()
        if deleted:
            log.debug("logs: retention deleted %d events", deleted)
        return deleted

    def start(self) -> None:
        self.sweep()
        self.tasks.spawn(self._forever(), owner="logs", what="log retention sweep")

    async def _forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval())
            self.sweep()
