"""What logging trails and ingesting event data stores receive, taken from the audit trail
(core/audit.py) every ``cloudtrail_delivery_interval`` seconds (AWS: within about 5 minutes).

Each consumer keeps its position in the audit trail, so delivery resumes where it stopped after
a restart and an event is delivered once. A trail takes its account's events of its home region
(every region when multi-region; IAM's and STS's global events, recorded in us-east-1, only with
IncludeGlobalServiceEvents) that its event selectors select (matching.py), and writes them:

- to S3, as AWS names and shapes its log files: gzip'd ``{"Records": [...]}`` under
  ``[prefix/]AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/
  <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 random characters>.json.gz``, one file per
  region per delivery, written as the bucket's owner once its policy lets CloudTrail in (checked
  at every delivery, as on AWS: a bucket gone or a policy changed is the trail's
  LatestDeliveryError);
- to its CloudWatch Logs group, one log event per record in the stream
  ``<account>_CloudTrail_<region>``;
- with log file validation, a signed digest per region every ``cloudtrail_digest_interval``
  seconds (AWS: hourly), chained to the previous one (digests.py).

An event data store copies the events its advanced selectors select into its own table
(lake_table.py); a query first takes what is pending (``ingest``), so it sees every event
recorded before it started.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import logging
import time
from collections import defaultdict
from typing import TYPE_CHECKING, Callable, Iterator

from regionbox.core import clock, ids
from regionbox.core.audit import GLOBAL_EVENT_SOURCES, AuditTrail, StoredEvent
from regionbox.core.errors import ServiceError
from regionbox.services.cloudtrail.destinations import Destinations, log_prefix
from regionbox.services.cloudtrail.digests import DigestKeys, digest_document, string_to_sign
from regionbox.services.cloudtrail.matching import EventView, advanced_matches, trail_matches
from regionbox.services.cloudtrail.models import EventDataStore, Trail
from regionbox.services.cloudtrail.state import INGESTING, CloudTrailState

if TYPE_CHECKING:
    from regionbox.services.logs.api import LogsApi
    from regionbox.services.s3.api import S3Api

log = logging.getLogger("regionbox.cloudtrail")

BATCH = 2000  # audit events read at once
BATCHES_PER_ROUND = 50  # a round delivers at most BATCH * BATCHES_PER_ROUND events; the rest at the next
SWEEP_SECONDS = 60.0  # between retention sweeps of event data stores
PENDING_DELETION_SECONDS = 7 * 86400  # AWS deletes an event data store seven days after DeleteEventDataStore
AUDIT_CATEGORIES = {"Management", "Data", "NetworkActivity"}


def _utc(when: float, layout: str) -> str:
    return time.strftime(layout, time.gmtime(when))


def takes_audit_events(eds: EventDataStore) -> bool:
    """An event data store of CloudTrail events (not of a channel's, Config's or Insights')."""
    return any(value in AUDIT_CATEGORIES for s in eds.advanced_event_selectors for f in s.get("FieldSelectors") or []
               if f.get("Field") == "eventCategory" for value in f.get("Equals") or [])


def trail_takes(trail: Trail, event: StoredEvent) -> bool:
    if event.account != trail.account or not (trail.multi_region or event.region == trail.home_region):
        return False
    return trail.include_global_service_events or event.event_source not in GLOBAL_EVENT_SOURCES


class Delivery:
    def __init__(self, state: CloudTrailState, audit: AuditTrail, destinations: Destinations, keys: DigestKeys,
                 s3: Callable[[], "S3Api"], logs: Callable[[], "LogsApi"], interval: float, digest_interval: float,
                 expire_queries: Callable[[], None]) -> None:
        self.state = state
        self.audit = audit
        self.destinations = destinations
        self.keys = keys
        self.s3 = s3
        self.logs = logs
        self.interval = interval
        self.digest_interval = digest_interval
        self.expire_queries = expire_queries
        self._lock = asyncio.Lock()
        self._last_sweep = 0.0

    async def run(self) -> None:
        """The delivery loop (a background task of the service)."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.deliver()
            except Exception:  # noqa: BLE001 - one failed round must not end delivery; the next retries
                log.exception("CloudTrail delivery round failed")

    async def deliver(self) -> None:
        async with self._lock:
            self.ingest()
            await self._deliver_trails()
            await self._write_digests()
            if clock.epoch() - self._last_sweep >= SWEEP_SECONDS:
                self.sweep()

    def resume(self) -> None:
        """At start-up: a position beyond the audit trail's end (its events were all past
        retention and removed) starts again at the end."""
        end = self.audit.position()
        for trail in list(self.state.all_trails()):
            if trail.cursor > end or trail.stop_cursor > end:
                trail.cursor, trail.stop_cursor = min(trail.cursor, end), min(trail.stop_cursor, end)
                self.state.save_trail(trail)
        for eds in list(self.state.all_event_data_stores()):
            if eds.cursor > end:
                eds.cursor = end
                self.state.save_event_data_store(eds)

    # -- event data stores ---------------------------------------------------------------------
    def ingest(self) -> None:
        """Copy what each ingesting event data store selects, up to now (synchronously)."""
        stores = [e for e in self.state.all_event_data_stores() if e.status == INGESTING and takes_audit_events(e)]
        for events in self._rounds(stores):
            rows = []
            for event in events:
                view = EventView(event)
                for eds in stores:
                    if event.rowid > eds.cursor and event.account == eds.account and \
                            (eds.multi_region or event.region == eds.region) and \
                            advanced_matches(eds.advanced_event_selectors, view):
                        rows.append((eds.store_id, event.event_time, event.record))
            with self.state.store.transaction():
                self.state.lake.insert(rows)
                for eds in stores:
                    eds.cursor = max(eds.cursor, events[-1].rowid)
                    self.state.save_event_data_store(eds)

    def _rounds(self, consumers: list) -> Iterator[list[StoredEvent]]:
        """Batches of the consumers' accounts' events from the earliest consumer's position (each
        consumer's position moves on as it takes a batch), a round's worth at most."""
        if not consumers:
            return
        accounts = {c.account for c in consumers}
        for _ in range(BATCHES_PER_ROUND):
            events = self.audit.read_since(min(c.cursor for c in consumers), BATCH, accounts)
            if not events:
                return
            yield events
            if len(events) < BATCH:
                return

    def sweep(self) -> None:
        """Retention: each store's events older than its retention period; stores deleted more
        than seven days ago, with their events; query results past seven days; data events
        every consumer has had."""
        now = clock.epoch()
        self._last_sweep = now
        for eds in list(self.state.all_event_data_stores()):
            if eds.status == "PENDING_DELETION" and eds.deleted_at is not None and \
                    now - eds.deleted_at >= PENDING_DELETION_SECONDS:
                with self.state.store.transaction():
                    self.state.lake.drop(eds.store_id)
                    self.state.event_data_stores.delete((eds.account, eds.region), eds.store_id)
            else:
                self.state.lake.expire(eds.store_id, now - eds.retention_days * 86400)
        self.expire_queries()
        self.audit.prune_data_events()

    # -- trails --------------------------------------------------------------------------------
    async def _deliver_trails(self) -> None:
        trails = [t for t in self.state.all_trails() if t.logging or t.cursor < t.stop_cursor]
        for events in self._rounds(trails):
            views = [EventView(e) for e in events]
            for trail in trails:
                if self._current(trail) is None:  # deleted meanwhile: it takes nothing more
                    trail.cursor = events[-1].rowid
                else:
                    await self._deliver_to(trail, views)

    def _current(self, trail: Trail) -> Trail | None:
        """The trail as stored now (it may have been changed or deleted during a delivery)."""
        found = self.state.trails.get((trail.account, trail.home_region), trail.name)
        return found if found is not None and found.arn == trail.arn else None

    async def _deliver_to(self, trail: Trail, views: list[EventView]) -> None:
        limit = None if trail.logging else trail.stop_cursor
        chosen: dict[str, list[EventView]] = defaultdict(list)
        for view in views:
            event = view.stored
            if event.rowid <= trail.cursor or (limit is not None and event.rowid > limit):
                continue
            if trail_takes(trail, event) and trail_matches(trail.event_selectors, trail.advanced_event_selectors, view):
                chosen[event.region].append(view)
        last = views[-1].stored.rowid if limit is None else min(views[-1].stored.rowid, limit)
        outcome: dict = {}
        if chosen:
            outcome = await self._write(trail, chosen)
        current = self._current(trail)
        if current is None:
            return
        current.cursor = max(current.cursor, last)
        for region, files in outcome.pop("files", {}).items():
            current.undigested.setdefault(region, []).extend(files)
        for key, value in outcome.items():
            setattr(current, key, value)
        self.state.save_trail(current)
        trail.cursor = current.cursor

    async def _write(self, trail: Trail, chosen: dict[str, list[EventView]]) -> dict:
        """Write one log file per region to S3 (and the events to CloudWatch Logs); what changed
        in the trail's status."""
        now = clock.epoch()
        outcome: dict = {"latest_delivery_attempt_time": now}
        files: dict[str, list[dict]] = {}
        try:
            bucket = self.destinations.bucket(trail.s3_bucket, trail.home_region, trail.s3_key_prefix, trail.account,
                                              trail.arn)
            for region, views in sorted(chosen.items()):
                body = b'{"Records":[' + b",".join(v.stored.record for v in views) + b"]}"
                key = (f"{log_prefix(trail.s3_key_prefix, trail.account)}CloudTrail/{region}/{_utc(now, '%Y/%m/%d')}/"
                       f"{trail.account}_CloudTrail_{region}_{_utc(now, '%Y%m%dT%H%MZ')}_{ids.token(16)}.json.gz")
                await self.s3().put_object(bucket.owner, trail.s3_bucket, key, gzip.compress(body, mtime=0),
                                           content_type="application/json", region=trail.home_region)
                times = [v.stored.event_time for v in views]
                files[region] = [{"s3Bucket": trail.s3_bucket, "s3Object": key,
                                  "hashValue": hashlib.sha256(body).hexdigest(),
                                  "newestEventTime": _utc(max(times), "%Y-%m-%dT%H:%M:%SZ"),
                                  "oldestEventTime": _utc(min(times), "%Y-%m-%dT%H:%M:%SZ")}]
            outcome.update(latest_delivery_time=clock.epoch(), latest_delivery_error=None)
        except ServiceError as error:
            outcome["latest_delivery_error"] = _delivery_error(error)
        if trail.log_file_validation and files:
            outcome["files"] = files
        if trail.log_group_arn:
            outcome.update(self._to_log_group(trail, chosen))
        return outcome

    def _to_log_group(self, trail: Trail, chosen: dict[str, list[EventView]]) -> dict:
        group = trail.log_group_arn.split(":")[6]
        logs = self.logs()
        if not logs.group_exists(trail.account, trail.home_region, group):
            return {"latest_cloudwatch_error": "ResourceNotFoundException"}
        for region, views in chosen.items():
            logs.append(trail.account, trail.home_region, group, f"{trail.account}_CloudTrail_{region}",
                        [(int(v.stored.event_time * 1000), v.stored.record.decode()) for v in views])
        return {"latest_cloudwatch_time": clock.epoch(), "latest_cloudwatch_error": None}

    # -- digests -------------------------------------------------------------------------------
    async def _write_digests(self) -> None:
        now = clock.epoch()
        for trail in list(self.state.all_trails()):
            if not trail.log_file_validation or not (trail.logging or trail.undigested):
                continue
            if trail.digest_period_start is None:
                trail.digest_period_start = now
                self.state.save_trail(trail)
                continue
            if now - trail.digest_period_start < self.digest_interval:
                continue
            await self._digest(trail, trail.digest_period_start, now)

    async def _digest(self, trail: Trail, start: float, end: float) -> None:
        regions = sorted({trail.home_region, *trail.undigested, *trail.digests})
        written: dict[str, dict] = {}
        error = None
        try:
            bucket = self.destinations.bucket(trail.s3_bucket, trail.home_region, trail.s3_key_prefix, trail.account,
                                              trail.arn)
            for region in regions:
                key = await self.keys.key(region)
                previous = trail.digests.get(region)
                name = (f"{log_prefix(trail.s3_key_prefix, trail.account)}CloudTrail-Digest/{region}/"
                        f"{_utc(end, '%Y/%m/%d')}/{trail.account}_CloudTrail-Digest_{region}_{trail.name}_"
                        f"{trail.home_region}_{_utc(end, '%Y%m%dT%H%M%SZ')}.json.gz")
                document = digest_document(account=trail.account, start=start, end=end, bucket=trail.s3_bucket, key=name,
                                           fingerprint=key.fingerprint, files=trail.undigested.get(region, []),
                                           previous=previous)
                signature = key.sign(string_to_sign(end, trail.s3_bucket, name, document,
                                                    previous["signature"] if previous else None))
                await self.s3().put_object(bucket.owner, trail.s3_bucket, name, gzip.compress(document, mtime=0),
                                           content_type="application/json", region=trail.home_region,
                                           metadata={"signature": signature, "signature-algorithm": "SHA256withRSA"})
                written[region] = {"bucket": trail.s3_bucket, "key": name, "signature": signature,
                                   "hash": hashlib.sha256(document).hexdigest()}
        except ServiceError as failure:
            error = _delivery_error(failure)
        current = self._current(trail)
        if current is None:
            return
        current.digests.update(written)
        for region in written:
            current.undigested.pop(region, None)
        current.digest_period_start = end if error is None else current.digest_period_start
        current.latest_digest_error = error
        if written:
            current.latest_digest_time = clock.epoch()
        self.state.save_trail(current)


def _delivery_error(error: ServiceError) -> str:
    """What GetTrailStatus shows for a failed delivery: S3's error code."""
    return {"S3BucketDoesNotExistException": "NoSuchBucket",
            "InsufficientS3BucketPolicyException": "AccessDenied"}.get(error.code, error.code)
