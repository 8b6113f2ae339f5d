"""CloudWatch Logs' one typed state: log groups and streams (documents per account and region),
their events and each stream's statistics (event_table.py), every other Logs resource (one
collection each), and the lookups every handler uses.

Names come from the request as AWS takes them: a group by ``logGroupName`` or by
``logGroupIdentifier`` (its name or ARN), a stream by group and name.

Events enter through ``append`` only: it stores them and then tells the ``listeners`` (metric
filters, subscription filters, live tail sessions) what arrived, as Logs' own ingestion fans
events out after it has accepted them.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Callable

import orjson

from regionbox.core import arns, clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.store import Scope, Store
from regionbox.services.logs import models
from regionbox.services.logs.event_table import EventTable, StoredEvent, StreamStats
from regionbox.services.logs.models import LogGroup, LogStream

log = logging.getLogger("regionbox.logs")

DAY_MS = 86_400_000
_NO_EVENTS = StreamStats(gid=0, first_timestamp=0, last_timestamp=0, last_ingestion=0, stored_bytes=0, sequence=0)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, status=400)


def now_ms() -> int:
    return int(clock.epoch() * 1000)


def _new_key() -> int:
    # Random 62-bit keys for groups and streams in the events table: never reused, even after a
    # group is deleted and created again, so stale tokens cannot read a new group's events.
    return secrets.randbits(62) + 1


def _stream_key(group: str, stream: str) -> str:
    # ":" cannot appear in group or stream names, so the key is unambiguous.
    return f"{group}:{stream}"


def retention_applies(policy: models.AccountPolicy, group: LogGroup) -> bool:
    """Whether an account retention policy covers a group: its LogGroupNamePrefix selection, and
    for enforcementMode NEW_ONLY only groups created after the policy."""
    prefixes = selection_values(policy.selection_criteria, "LogGroupNamePrefix") if policy.selection_criteria else None
    if prefixes is not None and not any(group.name.startswith(p) for p in prefixes):
        return False
    mode = orjson.loads(policy.document).get("enforcementMode", "RETROACTIVE")
    return mode != "NEW_ONLY" or group.creation_time >= policy.creation_time


def selection_values(criteria: str, name: str) -> list[str] | None:
    """The values of ``<name> IN [...]`` / ``<name> NOT IN [...]`` / ``<name> = "..."`` in a
    selection criteria string; None when it does not name ``name``."""
    match = re.search(rf'\b{name}\s+(?:NOT\s+)?IN\s*\[([^\]]*)\]|\b{name}\s*=\s*"([^"]*)"', criteria)
    if match is None:
        return None
    if match.group(2) is not None:
        return [match.group(2)]
    return [v.strip().strip('"') for v in match.group(1).split(",") if v.strip()]


def member_key(group: str, name: str) -> str:
    """The key of a group's filter: a filter name may hold ":"-free text only, a group never ":"."""
    return f"{group}:{name}"


# Told what a group's stream has just accepted: (scope, group, stream, events in time order).
Listener = Callable[[Scope, LogGroup, LogStream, list[StoredEvent]], None]


class LogsState:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.groups = store.collection("logs.groups", LogGroup)
        self.streams = store.collection("logs.streams", LogStream)
        self.events = EventTable(store)
        # A group's own documents, keyed by member_key(group, name) or by the group's name.
        self.metric_filters = store.collection("logs.metric_filters", models.MetricFilter)
        self.subscription_filters = store.collection("logs.subscription_filters", models.SubscriptionFilter)
        self.data_protection = store.collection("logs.data_protection_policies", models.GroupPolicy)
        self.index_policies = store.collection("logs.index_policies", models.GroupPolicy)
        self.transformers = store.collection("logs.transformers", models.GroupPolicy)
        # The account's resources.
        self.destinations = store.collection("logs.destinations", models.Destination)
        self.resource_policies = store.collection("logs.resource_policies", models.ResourcePolicy)
        self.account_policies = store.collection("logs.account_policies", models.AccountPolicy)
        self.delivery_sources = store.collection("logs.delivery_sources", models.DeliverySource)
        self.delivery_destinations = store.collection("logs.delivery_destinations", models.DeliveryDestination)
        self.deliveries = store.collection("logs.deliveries", models.Delivery)
        self.export_tasks = store.collection("logs.export_tasks", models.ExportTask)
        self.anomaly_detectors = store.collection("logs.anomaly_detectors", models.AnomalyDetector)
        self.query_definitions = store.collection("logs.query_definitions", models.QueryDefinition)
        self.lookup_tables = store.collection("logs.lookup_tables", models.LookupTable)
        self.scheduled_queries = store.collection("logs.scheduled_queries", models.ScheduledQuery)
        self.account_settings = store.collection("logs.account_settings", models.AccountSetting)
        self.listeners: list[Listener] = []

    # -- ingestion -----------------------------------------------------------------------------
    def append(self, scope: Scope, group: LogGroup, stream: LogStream, pairs: list[tuple[int, str]],
               ingested: int | None = None) -> StreamStats:
        """Store (timestamp, message) pairs, in time order, then tell the listeners."""
        ingested = now_ms() if ingested is None else ingested
        stats = self.events.insert(group.gid, stream.sid, ingested, pairs)
        if self.listeners:
            # One insert gives consecutive row ids, ending at the stream's new sequence.
            first = stats.sequence - len(pairs) + 1
            events = [StoredEvent(first + i, stream.sid, ts, ingested, message) for i, (ts, message) in enumerate(pairs)]
            for listener in self.listeners:
                try:
                    listener(scope, group, stream, events)
                except Exception:  # noqa: BLE001 - the events are stored: one consumer's failure must not undo the call
                    log.exception("logs: a consumer of %s failed", group.name)
        return stats

    def account_policies_of(self, scope: Scope, policy_type: str) -> list[models.AccountPolicy]:
        return [p for p in self.account_policies.values(scope) if p.policy_type == policy_type]

    # -- groups --------------------------------------------------------------------------------
    def group(self, scope: Scope, name: str) -> LogGroup:
        group = self.groups.get(scope, name)
        if group is None:
            raise not_found("The specified log group does not exist.")
        return group

    def group_named(self, ctx: RequestContext, params: dict) -> LogGroup:
        """The group from logGroupName or logGroupIdentifier (a name or an ARN)."""
        name, identifier = params.get("logGroupName"), params.get("logGroupIdentifier")
        if name and identifier:
            raise invalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
        if identifier:
            name = self.name_from_identifier(ctx, identifier)
        if not name:
            raise invalid("Should provide either name or ARN for the log group.")
        return self.group(ctx.scope, name)

    @staticmethod
    def name_from_identifier(ctx: RequestContext, identifier: str) -> str:
        if not identifier.startswith("arn:"):
            return identifier
        parts = identifier.split(":")
        if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
            raise invalid(f"Invalid log group identifier: {identifier}")
        if parts[3] != ctx.region or parts[4] != ctx.account_id:
            raise not_found("The specified log group does not exist.")
        return parts[6]

    def create_group(self, scope: Scope, name: str, **fields) -> LogGroup:
        account, region = scope
        group = LogGroup(name=name, arn=arns.arn("logs", region, account, f"log-group:{name}"), gid=_new_key(),
                         creation_time=now_ms(), **fields)
        self.groups.put(scope, name, group)
        return group

    def group_by_arn(self, scope: Scope, arn: str) -> LogGroup | None:
        """The caller's group an ARN (with or without ":*") names, if it exists."""
        parts = arn.removesuffix(":*").split(":")
        if len(parts) != 7 or parts[2] != "logs" or parts[5] != "log-group" or (parts[4], parts[3]) != scope:
            return None
        return self.groups.get(scope, parts[6])

    def delete_group(self, scope: Scope, group: LogGroup) -> None:
        """The group, its streams and events, and what belongs to it (its metric and subscription
        filters, data protection and index policies, transformer), in one transaction."""
        with self.store.transaction():
            for stream in self.streams_of(scope, group.name):
                self.streams.delete(scope, _stream_key(group.name, stream.name))
            for owned in (self.metric_filters, self.subscription_filters):
                for key, item in owned.items(scope):
                    if item.group == group.name:
                        owned.delete(scope, key)
            for owned in (self.data_protection, self.index_policies, self.transformers):
                owned.delete(scope, group.name)
            self.events.delete_group(group.gid)
            self.groups.delete(scope, group.name)

    def retention(self, scope: Scope, group: LogGroup) -> tuple[int | None, str | None]:
        """The group's retention in days (None: never expire) and the account retention policy
        that sets it, if one does (an account-level retention policy overrides the group's own)."""
        applied = None
        for policy in self.account_policies_of(scope, "RETENTION_POLICY"):
            if not retention_applies(policy, group):
                continue
            # The policy with the longest matching prefix is the most specific one.
            if applied is None or len(policy.selection_criteria or "") > len(applied.selection_criteria or ""):
                applied = policy
        if applied is None:
            return group.retention_in_days, None
        days = orjson.loads(applied.document).get("retentionInDays")
        return (None if days == "NEVER_EXPIRE" else int(days)), applied.name

    def retention_cutoff(self, scope: Scope, group: LogGroup) -> int | None:
        """Events older than this (epoch ms) are expired and never returned."""
        days, _ = self.retention(scope, group)
        return now_ms() - days * DAY_MS if days else None

    def time_range(self, scope: Scope, group: LogGroup, params: dict) -> tuple[int | None, int | None]:
        """The request's startTime and endTime, never reaching before the group's retention."""
        start, end = params.get("startTime"), params.get("endTime")
        if start is not None and end is not None and start > end:
            raise invalid("startTime must be less than or equal to endTime.")
        cutoff = self.retention_cutoff(scope, group)
        if cutoff is not None:
            start = max(start or 0, cutoff)
        return start, end

    def purge_expired(self, scope: Scope, group: LogGroup) -> int:
        """Delete the group's events older than its retention; how many went."""
        cutoff = self.retention_cutoff(scope, group)
        return self.events.delete_before(group.gid, cutoff) if cutoff is not None else 0

    def purge_all_expired(self) -> int:
        return sum(self.purge_expired(scope, group) for scope, _, group in list(self.groups.all()))

    # -- streams -------------------------------------------------------------------------------
    def stream(self, scope: Scope, group: str, name: str) -> LogStream:
        stream = self.find_stream(scope, group, name)
        if stream is None:
            raise not_found("The specified log stream does not exist.")
        return stream

    def find_stream(self, scope: Scope, group: str, name: str) -> LogStream | None:
        return self.streams.get(scope, _stream_key(group, name))

    def streams_of(self, scope: Scope, group: str) -> list[LogStream]:
        return [s for s in self.streams.values(scope) if s.group == group]

    def create_stream(self, scope: Scope, group: LogGroup, name: str) -> LogStream:
        stream = LogStream(group=group.name, name=name, arn=f"{group.arn}:log-stream:{name}", sid=_new_key(),
                           creation_time=now_ms())
        self.streams.put(scope, _stream_key(group.name, name), stream)
        return stream

    def delete_stream(self, scope: Scope, stream: LogStream) -> None:
        with self.store.transaction():
            self.events.delete_stream(stream.sid)
            self.streams.delete(scope, _stream_key(stream.group, stream.name))

    def stats(self, stream: LogStream) -> StreamStats:
        return self.events.stats.get(stream.sid) or _NO_EVENTS
