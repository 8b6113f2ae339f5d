"""Event source mappings at work: reading a DynamoDB stream and invoking the function with its
records, as Lambda's pollers do.

Each enabled mapping has one poller. It reads the stream through DynamoDB's API (in the mapping's
account and region), shard by shard, parents before children, and delivers records in order: one
batch per shard at a time, the next only once the last succeeded or was given up. A failing batch
blocks its shard and is retried (after 1, 2, 4 ... s, at most a minute, times
``REGIONBOX_LAMBDA_RETRY_SCALE``), split in two each time when BisectBatchOnFunctionError is set,
until it succeeds, MaximumRetryAttempts is spent or its records are older than
MaximumRecordAgeInSeconds; then its record goes to the OnFailure destination and the shard moves
on. The position reached in each shard is committed after every batch, so a restart resumes where
the last acknowledged batch ended. A write to the table wakes the poller at once (the
``dynamodb.stream`` event), so a record reaches the function within milliseconds.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from typing import Any, Callable

import orjson

from regionbox.core import clock, ids
from regionbox.core.errors import ServiceError
from regionbox.core.events import EventBus
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.lambda_.destinations import Destinations
from regionbox.services.lambda_.filters import compile_filters, matches_any
from regionbox.services.lambda_.invoke import SYNC_LIMIT, Invoker
from regionbox.services.lambda_.models import EventSourceMapping
from regionbox.services.lambda_.names import FunctionRef
from regionbox.services.lambda_.state import LambdaState

log = logging.getLogger("regionbox.lambda")
IDLE_POLL = 1.0  # seconds between reads of a quiet stream (a write wakes the poller sooner)
MAX_BACKOFF = 60.0
_TRANSITIONS = {"Creating": "Enabled", "Enabling": "Enabled", "Updating": "Enabled", "Disabling": "Disabled"}


def _default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise TypeError


def lambda_record(record: dict, stream_arn: str) -> dict:
    """A stream record as Lambda hands it to a function: the stream's record plus its source ARN,
    the creation time in whole seconds, binary values in base64."""
    body = dict(record["dynamodb"])
    if "ApproximateCreationDateTime" in body:
        body["ApproximateCreationDateTime"] = int(body["ApproximateCreationDateTime"])
    converted = orjson.loads(orjson.dumps({**record, "dynamodb": body}, default=_default))
    converted["eventSourceARN"] = stream_arn
    return converted


def _batch_payload(records: list[dict]) -> bytes:
    return orjson.dumps({"Records": records})


class StreamPoller:
    def __init__(self, state: LambdaState, invoker: Invoker, dynamodb: Callable[[], Any], destinations: Destinations,
                 tasks: Tasks, bus: EventBus, retry_scale: float) -> None:
        self.state = state
        self.invoker = invoker
        self.dynamodb = dynamodb
        self.destinations = destinations
        self.tasks = tasks
        self.bus = bus
        self.scale = retry_scale
        self._pollers: dict[str, asyncio.Task] = {}
        self._wakes: dict[str, asyncio.Event] = {}
        self._by_stream: dict[str, set[str]] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self.running = False

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        self.running = True
        self._unsubscribe = self.bus.subscribe("dynamodb.stream", self._written)
        for scope, uuid, _ in list(self.state.mappings.all()):
            self.changed(scope, uuid)

    def stop(self) -> None:
        self.running = False
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._pollers.clear()
        self._wakes.clear()
        self._by_stream.clear()

    def _written(self, topic: str, payload: dict) -> None:
        for uuid in self._by_stream.get(payload.get("stream_arn", ""), ()):
            wake = self._wakes.get(uuid)
            if wake is not None:
                wake.set()

    def changed(self, scope: Scope, uuid: str) -> None:
        """A mapping was created, updated or deleted: (re)start or stop its poller."""
        if not self.running:
            return
        wake = self._wakes.get(uuid)
        if wake is not None:
            wake.set()
        mapping = self.state.mappings.get(scope, uuid)
        if mapping is None:
            return
        if uuid not in self._pollers or self._pollers[uuid].done():
            self._wakes[uuid] = asyncio.Event()
            self._by_stream.setdefault(mapping.source_arn, set()).add(uuid)
            self._pollers[uuid] = self.tasks.spawn(self._poll(scope, uuid), owner="lambda",
                                                   what=f"event source mapping {uuid}",
                                                   on_failure=lambda error: self._failed(scope, uuid, error))

    def _failed(self, scope: Scope, uuid: str, error: BaseException) -> None:
        mapping = self.state.mappings.get(scope, uuid)
        if mapping is not None:
            mapping.last_result = f"PROBLEM: {type(error).__name__}: {error}"
            self.state.mappings.put(scope, uuid, mapping)

    def _forget(self, uuid: str) -> None:
        self._pollers.pop(uuid, None)
        self._wakes.pop(uuid, None)
        for members in self._by_stream.values():
            members.discard(uuid)

    # -- the loop ------------------------------------------------------------------------------
    async def _poll(self, scope: Scope, uuid: str) -> None:
        wake = self._wakes[uuid]
        try:
            while True:
                mapping = self.state.mappings.get(scope, uuid)
                if mapping is None:
                    return
                self._settle(scope, mapping)
                if not mapping.enabled:
                    return
                wake.clear()
                delay = await self._round(scope, mapping)
                if delay is None:
                    continue  # records were delivered: read on at once
                try:
                    await asyncio.wait_for(wake.wait(), delay)
                except asyncio.TimeoutError:
                    pass
        finally:
            if self._pollers.get(uuid) is asyncio.current_task():
                self._forget(uuid)

    def _settle(self, scope: Scope, mapping: EventSourceMapping) -> None:
        """Finish the mapping's transition (fixing its starting position the first time)."""
        changed = False
        if mapping.enabled and not mapping.started:
            self._start_position(scope, mapping)
            mapping.started = changed = True
        if mapping.state in _TRANSITIONS:
            mapping.state = _TRANSITIONS[mapping.state]
            changed = True
        if changed:
            self.state.mappings.put(scope, mapping.uuid, mapping)

    def _start_position(self, scope: Scope, mapping: EventSourceMapping) -> None:
        """LATEST: every record already in the stream is behind the mapping."""
        if mapping.starting_position != "LATEST":
            return
        api = self.dynamodb()
        for shard in api.describe_stream(scope, mapping.source_arn)["Shards"]:
            shard_id = shard["ShardId"]
            if "EndingSequenceNumber" in shard["SequenceNumberRange"]:
                mapping.finished.append(shard_id)
                continue
            iterator = api.shard_iterator(scope, mapping.source_arn, shard_id, "TRIM_HORIZON", None)
            while iterator:
                page = api.records(scope, iterator, 1000)
                if page["Records"]:
                    mapping.positions[shard_id] = page["Records"][-1]["dynamodb"]["SequenceNumber"]
                iterator = page.get("NextShardIterator") if page["Records"] else None

    async def _round(self, scope: Scope, mapping: EventSourceMapping) -> float | None:
        """Deliver one batch from the first shard that has one; None if one was delivered, else
        how long to wait before looking again."""
        api = self.dynamodb()
        try:
            shards = api.describe_stream(scope, mapping.source_arn)["Shards"]
        except ServiceError:
            mapping.last_result = "PROBLEM: Stream not found"
            self.state.mappings.put(scope, mapping.uuid, mapping)
            return IDLE_POLL * 5
        known = {s["ShardId"] for s in shards}
        mapping.finished = [s for s in mapping.finished if s in known]
        wait = IDLE_POLL
        for shard in shards:
            shard_id = shard["ShardId"]
            parent = shard.get("ParentShardId")
            if shard_id in mapping.finished or (parent in known and parent not in mapping.finished):
                continue
            records, exhausted = self._read(scope, mapping, shard_id)
            if not records:
                if exhausted:
                    mapping.finished.append(shard_id)
                    self.state.mappings.put(scope, mapping.uuid, mapping)
                continue
            if mapping.window and len(records) < mapping.batch_size:
                first = records[0]["dynamodb"].get("ApproximateCreationDateTime", clock.epoch())
                left = first + mapping.window - clock.epoch()
                if left > 0:  # MaximumBatchingWindowInSeconds: wait for a fuller batch
                    wait = min(wait, left)
                    continue
            await self._deliver(scope, mapping, shard_id, records)
            return None
        return wait

    def _read(self, scope: Scope, mapping: EventSourceMapping, shard_id: str) -> tuple[list[dict], bool]:
        api = self.dynamodb()
        position = mapping.positions.get(shard_id)
        try:
            iterator = api.shard_iterator(scope, mapping.source_arn, shard_id,
                                          "AFTER_SEQUENCE_NUMBER" if position else "TRIM_HORIZON", position)
        except ServiceError as error:
            if error.code != "TrimmedDataAccessException":
                raise
            iterator = api.shard_iterator(scope, mapping.source_arn, shard_id, "TRIM_HORIZON", None)
        page = api.records(scope, iterator, min(mapping.batch_size, 1000))
        records = page["Records"]
        while len(records) < mapping.batch_size and page.get("NextShardIterator") and page["Records"]:
            page = api.records(scope, page["NextShardIterator"], min(mapping.batch_size - len(records), 1000))
            records += page["Records"]
        return records, "NextShardIterator" not in page

    # -- delivering ----------------------------------------------------------------------------
    async def _deliver(self, scope: Scope, mapping: EventSourceMapping, shard_id: str, records: list[dict]) -> None:
        converted = [lambda_record(r, mapping.source_arn) for r in records]
        while len(converted) > 1 and len(_batch_payload(converted)) > SYNC_LIMIT:  # one invocation's payload
            converted = converted[:len(converted) // 2]
        end = converted[-1]["dynamodb"]["SequenceNumber"]
        patterns = compile_filters({"Filters": mapping.filters}) if mapping.filters else []
        batch = [r for r in converted if matches_any(patterns, r)]  # filtered out: dropped, as Lambda does
        if batch and not await self._until_done(scope, mapping, shard_id, batch):
            return  # the mapping was disabled or deleted meanwhile: the shard stays where it was
        self._checkpoint(scope, mapping, shard_id, end)

    def _checkpoint(self, scope: Scope, mapping: EventSourceMapping, shard_id: str, sequence: str) -> None:
        current = self.state.mappings.get(scope, mapping.uuid)
        if current is None:
            return
        current.positions[shard_id] = sequence
        self.state.mappings.put(scope, mapping.uuid, current)

    async def _until_done(self, scope: Scope, mapping: EventSourceMapping, shard_id: str, batch: list[dict]) -> bool:
        """Invoke with ``batch`` until every record is handled or given up; False if the mapping
        stopped meanwhile."""
        pending = [batch]
        attempts = 0
        while pending:
            current = self.state.mappings.get(scope, mapping.uuid)
            if current is None or not current.enabled:
                return False
            part = pending[0]
            expired = self._expired(current, part)
            if expired:
                await self._give_up(scope, current, shard_id, part, "RecordAgeExceeded", None, attempts)
                pending.pop(0)
                attempts = 0
                continue
            outcome, failed_from = await self._invoke(scope, current, part)
            if outcome == "ok":
                self._note(scope, current, "OK")
                if failed_from is None:
                    self._checkpoint(scope, current, shard_id, part[-1]["dynamodb"]["SequenceNumber"])
                    pending.pop(0)
                    attempts = 0
                    continue
                if failed_from > 0:  # ReportBatchItemFailures: what came before the first failure is done
                    self._checkpoint(scope, current, shard_id, part[failed_from - 1]["dynamodb"]["SequenceNumber"])
                    pending[0] = part = part[failed_from:]
            elif outcome == "throttled":
                await self._backoff(scope, mapping.uuid, 1)
                continue
            attempts += 1
            self._note(scope, current, "PROBLEM: Function call failed")
            if current.max_retries != -1 and attempts > current.max_retries:
                await self._give_up(scope, current, shard_id, part, "RetryAttemptsExhausted", outcome, attempts)
                self._checkpoint(scope, current, shard_id, part[-1]["dynamodb"]["SequenceNumber"])
                pending.pop(0)
                attempts = 0
                continue
            if current.bisect and len(part) > 1:
                half = len(part) // 2
                pending[0:1] = [part[:half], part[half:]]
            await self._backoff(scope, mapping.uuid, attempts)
        return True

    async def _invoke(self, scope: Scope, mapping: EventSourceMapping, part: list[dict]) -> tuple[str, int | None]:
        """("ok" | "error" | "throttled", index of the first record the function reported failed)."""
        parts = mapping.function_arn.split(":")
        ref = FunctionRef(parts[4], parts[3], parts[6], parts[7] if len(parts) > 7 else None)
        try:
            result = await self.invoker.call(ref, _batch_payload(part), request_id=ids.request_id())
        except ServiceError as error:
            if error.code in ("TooManyRequestsException", "ResourceConflictException"):
                return "throttled", None
            log.warning("lambda: event source mapping %s: %s", mapping.uuid, error.message)
            return "error", None
        if result.error is not None:
            return "error", None
        if "ReportBatchItemFailures" in mapping.response_types:
            return "ok", _first_failure(result.json(), part)
        return "ok", None

    def _expired(self, mapping: EventSourceMapping, part: list[dict]) -> bool:
        if mapping.max_age == -1:
            return False
        oldest = part[0]["dynamodb"].get("ApproximateCreationDateTime", clock.epoch())
        return clock.epoch() - oldest > mapping.max_age

    async def _backoff(self, scope: Scope, uuid: str, attempt: int) -> None:
        wake = self._wakes.get(uuid)
        delay = min(MAX_BACKOFF, 2.0 ** (attempt - 1)) * self.scale
        deadline = time.monotonic() + delay
        while wake is not None and (left := deadline - time.monotonic()) > 0:
            wake.clear()  # a write to the stream does not end a backoff; a change of the mapping does
            try:
                await asyncio.wait_for(wake.wait(), left)
            except asyncio.TimeoutError:
                return
            current = self.state.mappings.get(scope, uuid)
            if current is None or not current.enabled:
                return

    def _note(self, scope: Scope, mapping: EventSourceMapping, result: str) -> None:
        if mapping.last_result != result:
            mapping.last_result = result
            self.state.mappings.put(scope, mapping.uuid, mapping)

    async def _give_up(self, scope: Scope, mapping: EventSourceMapping, shard_id: str, part: list[dict], condition: str,
                       outcome: str | None, attempts: int) -> None:
        target = (mapping.destination or {}).get("Destination")
        if not target:
            return
        first, last = part[0]["dynamodb"], part[-1]["dynamodb"]
        record: dict[str, Any] = {
            "requestContext": {"requestId": ids.request_id(), "functionArn": mapping.function_arn, "condition": condition,
                               "approximateInvokeCount": max(attempts, 1)},
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                                **({"functionError": "Unhandled"} if outcome == "error" else {})},
            "version": "1.0", "timestamp": clock.iso(clock.epoch()),
            "DDBStreamBatchInfo": {"shardId": shard_id, "startSequenceNumber": first["SequenceNumber"],
                                   "endSequenceNumber": last["SequenceNumber"],
                                   "approximateArrivalOfFirstRecord": clock.iso(first.get("ApproximateCreationDateTime", 0)),
                                   "approximateArrivalOfLastRecord": clock.iso(last.get("ApproximateCreationDateTime", 0)),
                                   "batchSize": len(part), "streamArn": mapping.source_arn},
        }
        if target.startswith("arn:aws:s3:") or ":s3:::" in target:
            record["payload"] = {"Records": part}  # S3 destinations keep the records themselves
        await self.destinations.deliver(scope, target, record, f"aws/lambda/{mapping.uuid}/{shard_id}")


def _first_failure(response: Any, part: list[dict]) -> int | None:
    """The index of the first record a batchItemFailures response names (None: all succeeded)."""
    failures = response.get("batchItemFailures") if isinstance(response, dict) else None
    if not failures:
        return None
    named = {f.get("itemIdentifier") for f in failures if isinstance(f, dict)}
    for index, record in enumerate(part):
        if record["dynamodb"]["SequenceNumber"] in named:
            return index
    return 0  # identifiers that name no record of the batch: the whole batch failed
