"""DAX events (DescribeEvents): what happened to clusters, parameter groups and subnet groups.

AWS keeps 14 days of events and, without a time window, DescribeEvents answers the last hour's,
newest first. The texts follow the ones the DAX console shows ("Cluster created", "Added node
... in availability zone ..."); where AWS publishes none (an AZ outage), the text says what happened.
"""

from __future__ import annotations

import itertools

from regionbox.core import clock
from regionbox.core.pagination import Paginator
from regionbox.core.store import Collection, Scope
from regionbox.services.dax import validation as check
from regionbox.services.dax.models import Event

RETENTION_SECONDS = 14 * 24 * 3600
DEFAULT_MINUTES = 60

_sequence = itertools.count()


class Messages:
    CLUSTER_CREATED = "Cluster created"
    CLUSTER_DELETED = "Cluster deleted"
    NODE_ADDED = "Added node {node} in availability zone {zone}"
    NODES_REMOVED = "Removed nodes {nodes}"
    NODE_REBOOTING = "Rebooting node {node}"
    NODE_REBOOTED = "Node {node} restarted"
    NODE_FAILED = "Node {node} is unavailable: availability zone {zone} is unavailable"
    NODE_RECOVERED = "Node {node} recovered with an empty cache"
    PRIMARY_CHANGED = "Node {node} is now the primary node"
    CLUSTER_UPDATED = "Cluster {what} updated"
    PARAMETER_GROUP_CHANGED = "Parameter group {group} changed: {names}"
    PARAMETER_GROUP_CREATED = "Parameter group {group} created"
    PARAMETER_GROUP_DELETED = "Parameter group {group} deleted"
    SUBNET_GROUP_CREATED = "Subnet group {group} created"
    SUBNET_GROUP_UPDATED = "Subnet group {group} updated"
    SUBNET_GROUP_DELETED = "Subnet group {group} deleted"
    CREATE_FAILED = "Failed to create cluster: {reason}"


class EventLog:
    def __init__(self, events: Collection[Event], paginator: Paginator) -> None:
        self.events = events
        self.paginator = paginator

    def record(self, scope: Scope, source_name: str, source_type: str, message: str) -> None:
        now = clock.epoch()
        # Keys sort by time, then by arrival: two events in one microsecond keep their order.
        with self.events.store.transaction():
            self.events.put(scope, f"{now:017.6f}-{next(_sequence):09d}", Event(source_name, source_type, message, now))
            for key, old in self.events.items(scope):
                if old.date < now - RETENTION_SECONDS:
                    self.events.delete(scope, key)

    def describe_events(self, ctx, params: dict) -> dict:
        duration = params.get("Duration")
        if duration is not None and not 0 <= duration <= RETENTION_SECONDS // 60:
            raise check.invalid(f"The parameter Duration must be between 0 and {RETENTION_SECONDS // 60}.")
        start, end = clock.to_epoch(params.get("StartTime")), clock.to_epoch(params.get("EndTime"))
        if start is not None and end is not None and start > end:
            raise check.combination("The parameter StartTime must be before EndTime.")
        now = clock.epoch()
        if start is None:  # Duration counts back from EndTime (or now); neither: the last hour
            start = (end if end is not None else now) - (duration if duration is not None else DEFAULT_MINUTES) * 60
        elif duration is not None and end is None:
            end = start + duration * 60
        end = now if end is None else end
        name, kind = params.get("SourceName"), params.get("SourceType")
        found = [event for key, event in sorted(self.events.items(ctx.scope), reverse=True)
                 if start <= event.date <= end and kind in (None, event.source_type)
                 and (name is None or event.source_name == name.lower())]
        rows = [{"SourceName": e.source_name, "SourceType": e.source_type, "Message": e.message,
                 "Date": clock.from_epoch(e.date)} for e in found]
        return check.page(self.paginator, "Events", rows, params)
