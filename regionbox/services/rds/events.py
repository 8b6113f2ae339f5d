"""RDS events: what happened to instances, snapshots and groups, as DescribeEvents lists it.

Messages and categories are AWS's (the RDS event table); the event id (RDS-EVENT-0049 ...) is
kept with each event, as notifications carry it, though DescribeEvents' output has no member for it.
AWS keeps 14 days of events.
"""

from __future__ import annotations

import itertools
from regionbox.core import clock
from regionbox.core.errors import invalid
from regionbox.core.pagination import Paginator
from regionbox.core.store import Collection, Scope
from regionbox.services.rds import validation as check
from regionbox.services.rds.models import Event

RETENTION_SECONDS = 14 * 24 * 3600
SOURCE_TYPES = ("db-instance", "db-parameter-group", "db-security-group", "db-snapshot", "db-cluster", "db-cluster-snapshot",
                "custom-engine-version", "db-proxy", "blue-green-deployment", "db-shard-group", "zero-etl")
_sequence = itertools.count()


class Messages:
    """(event id, categories, message) of the DB instance and snapshot events regionbox records."""

    BACKING_UP = ("RDS-EVENT-0001", ["backup"], "Backing up DB instance")
    BACKUP_DONE = ("RDS-EVENT-0002", ["backup"], "Finished DB instance backup")
    DELETED = ("RDS-EVENT-0003", ["deletion"], "DB instance deleted")
    SHUTDOWN = ("RDS-EVENT-0004", ["availability"], "DB instance shutdown")
    CREATED = ("RDS-EVENT-0005", ["creation"], "DB instance created")
    RESTARTED = ("RDS-EVENT-0006", ["availability"], "DB instance restarted")
    FAILOVER_STARTED = ("RDS-EVENT-0013", ["failover"], "Multi-AZ instance failover started.")
    FAILOVER_TO_STANDBY = ("RDS-EVENT-0015", ["failover"],
                           "Multi-AZ failover to standby complete - DNS may take a few minutes to propagate.")
    RESET_CREDENTIALS = ("RDS-EVENT-0016", ["configuration change"], "Reset master credentials")
    CONVERTED_MULTI_AZ = ("RDS-EVENT-0025", ["configuration change"], "Finished applying modification to convert to a Multi-AZ DB instance.")
    CONVERTED_SINGLE_AZ = ("RDS-EVENT-0028", ["configuration change"],
                           "Finished applying modification to convert to a standard (Single-AZ) DB instance.")
    FAILOVER_COMPLETED = ("RDS-EVENT-0049", ["failover"], "Multi-AZ instance failover completed.")
    ACTIVATION_STARTED = ("RDS-EVENT-0050", ["failover"], "Multi-AZ instance activation started.")
    ACTIVATION_COMPLETED = ("RDS-EVENT-0051", ["failover"], "Multi-AZ instance activation completed.")
    FAILED = ("RDS-EVENT-0031", ["failure"], "DB instance put into failed state due to: {reason}")
    CANNOT_FAIL_OVER = ("RDS-EVENT-0034", ["failover"], "Not attempting a Multi-AZ failover because {reason}")
    STANDBY_RECOVERED = ("RDS-EVENT-0065", ["recovery"], "Recovered from partial failover.")
    MONITORING_ENABLED = ("RDS-EVENT-0095", ["configuration change"], "Enhanced Monitoring enabled")
    PARAMETERS_APPLIED = ("RDS-EVENT-0078", ["configuration change"], "Updated to use DBParameterGroup {group}")
    SNAPSHOT_CREATING = ("RDS-EVENT-0040", ["creation"], "Creating manual snapshot")
    SNAPSHOT_CREATED = ("RDS-EVENT-0042", ["creation"], "Manual snapshot created")
    FINAL_SNAPSHOT = ("RDS-EVENT-0091", ["creation"], "Final snapshot created")


class EventLog:
    def __init__(self, events: Collection[Event], paginator: Paginator) -> None:
        self.events = events
        self.paginator = paginator

    def record(self, scope: Scope, source_id: str, source_type: str, message: tuple, source_arn: str = "", **fields) -> Event:
        event_id, categories, text = message
        event = Event(source_id=source_id, source_type=source_type, message=text.format(**fields), date=clock.epoch(),
                      categories=list(categories), event_id=event_id, source_arn=source_arn)
        key = f"{event.date:017.6f}-{next(_sequence):09d}"
        with self.events.store.transaction():
            self.events.put(scope, key, event)
            for old_key, old in self.events.items(scope):
                if old.date >= event.date - RETENTION_SECONDS:
                    break
                self.events.delete(scope, old_key)
        return event

    def describe_events(self, ctx, params: dict) -> dict:
        source_type = params.get("SourceType")
        if source_type is not None and source_type not in SOURCE_TYPES:
            raise invalid(f"Invalid value for SourceType: {source_type}")
        source_id = params.get("SourceIdentifier")
        if source_id is not None and source_type is None:
            raise invalid("Cannot specify SourceIdentifier without SourceType")
        now = clock.epoch()
        start, end, duration = clock.to_epoch(params.get("StartTime")), clock.to_epoch(params.get("EndTime")), params.get("Duration")
        end = now if end is None else end
        if start is None:
            start = end - (duration if duration is not None else 60) * 60  # the last hour by default
        categories = set(params.get("EventCategories") or [])
        rows = [{"SourceIdentifier": e.source_id, "SourceType": e.source_type, "Message": e.message,
                 "EventCategories": e.categories, "Date": clock.from_epoch(e.date), "SourceArn": e.source_arn}
                for e in self.events.values(ctx.scope)
                if start <= e.date <= end and (source_type is None or e.source_type == source_type)
                and (source_id is None or e.source_id == source_id) and (not categories or categories & set(e.categories))]
        return check.paged(self.paginator, "Events", rows, params)
