"""ElastiCache events: what happened to clusters, groups and users, as DescribeEvents lists it.

Every handler records through the one ``EventLog``. The message texts are AWS's own
(see ``Messages``), so scripts that grep the event log for "Failover ... completed" or
"Added cache node" behave as against the real service. AWS keeps 14 days of events; older ones
are dropped when a new one is recorded.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from regionbox.core import clock
from regionbox.core.pagination import Paginator
from regionbox.core.store import Collection, Scope
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.models import Event

SOURCE_TYPES = (
    "cache-cluster",
    "cache-parameter-group",
    "cache-security-group",
    "cache-subnet-group",
    "replication-group",
    "serverless-cache",
    "serverless-cache-snapshot",
    "user",
    "user-group",
)
RETENTION = timedelta(days=14)
DEFAULT_DURATION_MINUTES = 60  # "By default, only the events occurring within the last hour are returned"

_sequence = itertools.count()


class Messages:
    """AWS's event texts. Placeholders: cluster/group ids, node ids ("0001"), zones."""

    CACHE_CLUSTER_CREATED = "Cache cluster created"
    CACHE_CLUSTER_DELETED = "Cache cluster deleted"
    CACHE_NODE_ADDED = "Added cache node {node} in availability zone {zone}"
    CACHE_NODES_REMOVED = "Removed cache nodes {nodes}"
    CACHE_NODE_RESTARTED = "Cache node {node} restarted"
    CACHE_NODE_SHUTDOWN = "Cache node {node} shutdown"
    RECOVERING_NODES = "Recovering cache nodes {nodes}"
    FINISHED_RECOVERY = "Finished recovery for cache nodes {nodes}"
    CLUSTER_PARAMETERS_CHANGED = "Updated parameter group for the cache cluster"
    PARAMETER_GROUP_CHANGED = "Cache parameter group {group} changed"
    REPLICATION_GROUP_CREATED = "Replication group {group} created"
    REPLICATION_GROUP_DELETED = "Replication group {group} deleted"
    TEST_FAILOVER = "Test Failover API called for node group {node_group}"
    FAILOVER_COMPLETED = "Failover from primary node {old} to replica node {new} completed"
    # Failures. AWS names the cause by its error code (InsufficientCacheClusterCapacity) and the
    # zone; where AWS's exact wording is not published, the text is regionbox's.
    CREATE_FAILED_CAPACITY = ("Failed to create cache cluster: InsufficientCacheClusterCapacity: the requested cache node "
                              "type is not available in availability zone {zone}")
    CREATE_FAILED = "Failed to create cache cluster: {reason}"
    REPLICATION_GROUP_CREATE_FAILED = "Failed to create replication group {group}: {reason}"
    MODIFY_CLUSTER_FAILED = "Failed to modify cache cluster: {reason}"
    ADD_CACHE_NODE_FAILED = "Failed to add cache node {node} in availability zone {zone}: {reason}"
    ADD_REPLICAS_FAILED = "Failed to add replicas {nodes} to replication group {group}: {reason}"
    REMOVE_REPLICAS_FAILED = "Failed to remove replicas {nodes} from replication group {group}: {reason}"
    MODIFY_FAILED = "Failed to apply the modification of replication group {group}: {reason}"
    RESHARDING_FAILED = "Failed to modify the shard configuration of replication group {group}: {reason}"
    FAILOVER_ABORTED = ("Failover from primary node {old} to replica node {new} aborted: the replica did not catch up "
                        "with the primary within {seconds} seconds, the primary keeps its role")
    FAILOVER_FAILED = "Failover of node group {node_group} failed: {reason}"
    RECOVERY_FAILED = "Failed recovery for cache nodes {nodes}: {reason}"
    REBOOT_FAILED = "Failed to reboot cache node {node}: {reason}"
    AUTH_TOKEN_UPDATE_FAILED = "Failed to update the AUTH token: {reason}"
    USERS_UPDATE_FAILED = "Failed to apply the change of {what} {name} to replication group {group}: {reason}"
    DELETE_FAILED = "Failed to delete {what}: {reason}"
    RESTORE_FAILED = "Failed to restore replication group {group} after a restart of regionbox: {reason}"
    # A node that came back with no copy of its data anywhere (AWS publishes no text for it).
    DATA_LOST = "Cache node {node} restarted without its data: no replica held a copy and the node keeps no append-only file"
    # A Memcached node that died: replaced by an empty one (AWS's CacheNodeReplaceComplete event).
    CACHE_NODE_REPLACED = "Cache node {node} replaced"
    # Snapshots (AWS's SnapshotComplete / SnapshotFailed events).
    SNAPSHOT_SUCCEEDED = "Snapshot succeeded for snapshot with ID '{snapshot}' of {what} with ID '{source}'"
    SNAPSHOT_FAILED = "Snapshot failed for snapshot with ID '{snapshot}' of {what} with ID '{source}': {reason}"
    SNAPSHOT_COPY_FAILED = "Failed to copy snapshot {snapshot}: {reason}"
    FINAL_SNAPSHOT_FAILED = "Final snapshot {snapshot} failed, so {what} {source} was not deleted: {reason}"
    RESTORED = "Restored from snapshot {snapshot}"
    RESTORE_FAILED_SNAPSHOT = "Failed to restore from snapshot {snapshot}: {reason}"


def record_event(events: Collection[Event], scope: Scope, source_id: str, source_type: str, message: str,
                 when: float | None = None) -> Event:
    """Append an event to the account's and region's log, and drop the ones older than 14 days."""
    event = Event(source_id=source_id, source_type=source_type, message=message, date=when if when is not None else clock.epoch())
    # Keys sort by time, then by arrival, so two events in the same microsecond keep their order.
    key = f"{event.date:017.6f}-{next(_sequence):09d}"
    cutoff = event.date - RETENTION.total_seconds()
    with events.store.transaction():
        events.put(scope, key, event)
        for old_key, old in events.items(scope):
            if old.date < cutoff:
                events.delete(scope, old_key)
    return event


def _epoch(value: datetime | float | None) -> float | None:
    if value is None or isinstance(value, (int, float)):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


class EventLog:
    """What happened to clusters, groups and users: recorded by every handler, read by DescribeEvents."""

    def __init__(self, events: Collection[Event], paginator: Paginator) -> None:
        self.events = events
        self.paginator = paginator

    def record(self, scope: Scope, source_id: str, source_type: str, message: str) -> Event:
        return record_event(self.events, scope, source_id, source_type, message)

    def describe_events(self, ctx, params: dict) -> dict:
        source_type = params.get("SourceType")
        if source_type is not None and source_type not in SOURCE_TYPES:
            raise check.invalid(f"Invalid value for parameter SourceType: {source_type}")
        duration = params.get("Duration")
        if duration is not None and not 0 <= duration <= RETENTION.total_seconds() // 60:
            raise check.invalid("The parameter Duration must be between 0 and 20160.")
        start, end = _epoch(params.get("StartTime")), _epoch(params.get("EndTime"))
        if start is not None and end is not None and start > end:
            raise check.invalid_combination("The parameter StartTime must be before EndTime.")
        now = clock.epoch()
        # The window: an explicit interval wins; Duration counts back from EndTime (or now); with
        # neither, the last hour, as AWS does.
        if start is None:
            minutes = duration if duration is not None else DEFAULT_DURATION_MINUTES
            if end is None:
                start = now - minutes * 60
            else:
                start = end - minutes * 60
        elif duration is not None and end is None:
            end = start + duration * 60
        end = now if end is None else end
        source_id = params.get("SourceIdentifier")
        matching = [
            event
            for event in self.events.values(ctx.scope)
            if start <= event.date <= end
            and (source_type is None or event.source_type == source_type)
            and (source_id is None or event.source_id == source_id)
        ]
        # Newest first, as the console and the API list them; events recorded with the same time
        # keep their order of arrival.
        matching = [e for _, e in sorted(enumerate(matching), key=lambda pair: (pair[1].date, pair[0]), reverse=True)]
        rows = [{"SourceIdentifier": e.source_id, "SourceType": e.source_type, "Message": e.message, "Date": clock.from_epoch(e.date)}
                for e in matching]
        return check.paged(self.paginator, "Events", rows, params)
