"""Asynchronous invocations: the durable queue behind ``InvocationType: Event``, S3 notifications
and Logs subscriptions, with AWS's retries and destinations.

An event is stored before Invoke answers 202, so it survives ``kill -9`` (it runs after the
restart; one that was running when the process died runs again: delivery is at least once, as on
AWS). A function error is retried twice, one minute after the first attempt and two minutes after
the second (``REGIONBOX_LAMBDA_RETRY_SCALE`` scales the waits), or as many times as the function's
event invoke config says (MaximumRetryAttempts); throttles and a function not yet ready are
retried with backoff until the event is older than MaximumEventAgeInSeconds (6 hours). Then the
record goes to the OnSuccess or OnFailure destination of that config, or to the dead-letter queue.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson

from regionbox.core import clock, ids
from regionbox.core.errors import ServiceError
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.lambda_.destinations import Destinations, service_of
from regionbox.services.lambda_.invoke import Invoker, Result
from regionbox.services.lambda_.models import LATEST, QueuedEvent
from regionbox.services.lambda_.names import FunctionRef, function_arn
from regionbox.services.lambda_.state import LambdaState

log = logging.getLogger("regionbox.lambda")
RETRY_DELAYS = (60.0, 120.0)  # seconds before the second and the third attempt
MAX_AGE = 21600
DEFAULT_RETRIES = 2
RUNNING = 16  # asynchronous invocations run at once (one machine, not a fleet)
RECURSION_LIMIT = 16  # destinations invoking functions: a chain this deep is a recursive loop
_RETRYABLE = {"TooManyRequestsException", "ResourceConflictException", "InvalidRuntimeException"}


class AsyncQueue:
    def __init__(self, state: LambdaState, invoker: Invoker, destinations: Destinations, tasks: Tasks,
                 retry_scale: float) -> None:
        self.state = state
        self.invoker = invoker
        self.destinations = destinations
        self.tasks = tasks
        self.scale = retry_scale
        self._running: set[str] = set()
        self._wake: asyncio.Event | None = None

    def enqueue(self, ref: FunctionRef, payload: bytes, request_id: str | None = None, source: dict | None = None) -> str:
        """Store an asynchronous invocation (durably: before the caller is answered)."""
        now = clock.epoch()
        event = QueuedEvent(id=request_id or ids.request_id(), function=ref.name, qualifier=ref.qualifier or "",
                            payload=payload.decode("utf-8", "replace"), enqueued=now, due=now, source=source or {})
        self.state.queue.put(ref.scope, event.id, event)
        if self._wake is not None:
            self._wake.set()
        return event.id

    def start(self) -> None:
        self._wake = asyncio.Event()
        self.tasks.spawn(self._run(), owner="lambda", what="Lambda asynchronous invocations")

    async def _run(self) -> None:
        wake = self._wake
        while True:
            wake.clear()
            now = clock.epoch()
            soonest = None
            for scope, key, event in list(self.state.queue.all()):
                if key in self._running:
                    continue
                if event.due > now:
                    soonest = event.due if soonest is None else min(soonest, event.due)
                elif len(self._running) < RUNNING:
                    self._running.add(key)
                    self.tasks.spawn(self._process(scope, event), owner="lambda", what=f"asynchronous invocation {key}",
                                     on_failure=lambda error, key=key: self._crashed(key))
            try:
                await asyncio.wait_for(wake.wait(), None if soonest is None else max(soonest - now, 0.001))
            except asyncio.TimeoutError:
                pass

    def _crashed(self, key: str) -> None:
        self._running.discard(key)
        if self._wake is not None:
            self._wake.set()

    def _settings(self, ref: FunctionRef) -> tuple[int, int, dict]:
        config = self.state.invoke_configs.get(ref.scope, f"{ref.name}:{ref.qualifier or ''}")
        if config is None:
            return DEFAULT_RETRIES, MAX_AGE, {}
        retries = DEFAULT_RETRIES if config.max_retries is None else config.max_retries
        return retries, config.max_age or MAX_AGE, config.destination or {}

    async def _process(self, scope: Scope, event: QueuedEvent) -> None:
        ref = FunctionRef(scope[0], scope[1], event.function, event.qualifier or None)
        try:
            retries, max_age, destination = self._settings(ref)
            if clock.epoch() - event.enqueued > max_age:
                await self._finish(scope, event, ref, "EventAgeExceeded", None, destination)
                return
            try:
                result = await self.invoker.call(ref, event.payload.encode(), request_id=event.id)
            except ServiceError as error:
                if error.code not in _RETRYABLE:
                    log.warning("lambda: asynchronous invocation %s of %s dropped: %s", event.id, event.function, error.message)
                    self.state.queue.delete(scope, event.id)
                    return
                event.throttles += 1
                event.due = clock.epoch() + min(300.0, 2.0 ** min(event.throttles, 9)) * self.scale
                self.state.queue.put(scope, event.id, event)
                return
            event.attempts += 1
            if result.error is None:
                await self._finish(scope, event, ref, "Success", result, destination)
            elif event.attempts <= retries:
                event.due = clock.epoch() + RETRY_DELAYS[min(event.attempts, len(RETRY_DELAYS)) - 1] * self.scale
                self.state.queue.put(scope, event.id, event)
            else:
                await self._finish(scope, event, ref, "RetriesExhausted", result, destination)
        finally:
            self._running.discard(event.id)
            if self._wake is not None:
                self._wake.set()

    async def _finish(self, scope: Scope, event: QueuedEvent, ref: FunctionRef, condition: str, result: Result | None,
                      destination: dict) -> None:
        success = condition == "Success"
        target = ((destination.get("OnSuccess" if success else "OnFailure") or {}).get("Destination"))
        if target is None and not success:
            function = self.state.functions.get(scope, event.function)
            target = function.dead_letter_target if function is not None else None
        if target is not None:
            await self._send(scope, event, ref, condition, result, target)
        self.state.queue.delete(scope, event.id)

    async def _send(self, scope: Scope, event: QueuedEvent, ref: FunctionRef, condition: str, result: Result | None,
                    target: str) -> None:
        record: dict[str, Any] = {
            "version": "1.0", "timestamp": clock.iso(clock.epoch()),
            "requestContext": {"requestId": event.id,
                               "functionArn": function_arn(ref.account, ref.region, ref.name, ref.qualifier or LATEST),
                               "condition": condition, "approximateInvokeCount": max(event.attempts, 1)},
            "requestPayload": _json(event.payload),
        }
        if result is not None:
            context = {"statusCode": 200, "executedVersion": result.version}
            if result.error is not None:
                context["functionError"] = "Unhandled"
            record["responseContext"] = context
            record["responsePayload"] = _json(result.payload)
        if service_of(target) == "lambda":
            parts = target.split(":")
            destination = FunctionRef(parts[4], parts[3], parts[6], parts[7] if len(parts) > 7 else None)
            depth = int(event.source.get("depth", 0)) + 1
            if depth > RECURSION_LIMIT:  # Lambda's recursive loop detection stops a chain that comes back
                log.warning("lambda: recursive invocation of %s through its destinations stopped", target)
                return
            self.enqueue(destination, orjson.dumps(record), source={"depth": depth})
            return
        await self.destinations.deliver(scope, target, record, f"aws/lambda/async/{event.function}")


def _json(text: str | bytes):
    try:
        return orjson.loads(text) if text else None
    except orjson.JSONDecodeError:
        return text.decode("utf-8", "replace") if isinstance(text, bytes) else text
