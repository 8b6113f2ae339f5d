"""Queries that scan in worker threads while the event loop goes on answering: what Logs Insights
and CloudTrail Lake share.

A query's scan runs in a thread of its service's pool, through its own read-only connection, and
looks every few hundred rows at whether it was stopped (StopQuery, CancelQuery, the cloud
stopping) or has run past its service's time limit. Its outcome comes back to the event loop,
which alone writes it to the store. A run is anything with ``query_id``, ``stop`` (an Event) and
``began`` (time.monotonic() when it was submitted).
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Awaitable, Generic, Iterable, Iterator, Protocol, TypeVar

from regionbox.core.tasks import Tasks

CHECK_EVERY = 512  # rows between looks at a stop and the time limit


class Stopped(Exception):
    """The query was stopped while it read."""


class TimedOut(Exception):
    """The query ran past its service's time limit."""


class Run(Protocol):
    query_id: str
    stop: threading.Event
    began: float


R = TypeVar("R", bound=Run)
Outcome = TypeVar("Outcome")
T = TypeVar("T")


def checked(rows: Iterable[T], run: Run, timeout_seconds: float) -> Iterator[T]:
    """``rows``, raising Stopped or TimedOut (in the worker) when the run must end. However it
    ends, ``rows`` is closed here, while the reader's connection is still open: left to the
    garbage collector, a generator over a cursor would close it on a closed database."""
    try:
        for count, row in enumerate(rows):
            if count % CHECK_EVERY == 0:
                if run.stop.is_set():
                    raise Stopped()
                if time.monotonic() - run.began > timeout_seconds:
                    raise TimedOut()
            yield row
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()


class WorkerQueries(Generic[R, Outcome]):
    """Runs ``scan(run)`` in worker threads and hands its outcome to ``finish(run, outcome)`` on the
    event loop (which may be async: CloudTrail delivers results to S3 after writing them). A scan
    that fails unexpectedly reaches ``fail(run, message)``. A service's runner says those three."""

    def __init__(self, tasks: Tasks, *, owner: str, what: str, workers: int) -> None:
        self.tasks = tasks
        self.owner = owner
        self.what = what
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"{owner}-queries")
        self.running: dict[str, R] = {}

    def scan(self, run: R) -> Outcome:  # in a worker thread
        raise NotImplementedError

    def finish(self, run: R, outcome: Outcome) -> Awaitable[None] | None:
        raise NotImplementedError

    def fail(self, run: R, message: str) -> None:
        raise NotImplementedError

    def submit(self, run: R) -> None:
        self.running[run.query_id] = run
        self.tasks.spawn(self._run(run), owner=self.owner, what=f"{self.what} {run.query_id}",
                         on_failure=lambda error: self._failed(run, error))

    async def _run(self, run: R) -> None:
        try:
            outcome = await asyncio.get_running_loop().run_in_executor(self.executor, self.scan, run)
        except asyncio.CancelledError:
            # The cloud is stopping or resetting: the worker stops at its next look; the query's
            # row, still unfinished, is marked failed when the service starts again.
            run.stop.set()
            self.running.pop(run.query_id, None)
            raise
        self.running.pop(run.query_id, None)
        finished = self.finish(run, outcome)
        if inspect.isawaitable(finished):
            await finished

    def _failed(self, run: R, error: BaseException) -> None:
        self.running.pop(run.query_id, None)
        self.fail(run, f"Internal error: {error}")

    def stop(self, query_id: str) -> bool:
        """Ask a scheduled or running query to stop: True if it had not been asked already."""
        run = self.running.get(query_id)
        if run is None or run.stop.is_set():
            return False
        run.stop.set()
        return True

    def forget(self) -> None:
        """On reset: every run stops, none is tracked any more."""
        for run in list(self.running.values()):
            run.stop.set()
        self.running.clear()

    def close(self) -> None:
        for run in list(self.running.values()):
            run.stop.set()
        self.executor.shutdown(wait=False, cancel_futures=True)
