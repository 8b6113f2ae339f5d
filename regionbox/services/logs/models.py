"""CloudWatch Logs state: log groups and streams (events live in their own table, events.py)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LogGroup:
    name: str
    arn: str  # the group's ARN without the ":*" DescribeLogGroups appends
    gid: int  # key of the group's events in the events table
    creation_time: int  # epoch milliseconds, as Logs reports times
    retention_in_days: int | None = None
    kms_key_id: str | None = None
    log_group_class: str = "STANDARD"
    deletion_protection: bool = False
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class LogStream:
    group: str
    name: str
    arn: str
    sid: int  # key of the stream's events in the events table
    creation_time: int
    # Event statistics are kept beside the events (events.StreamStats), not in this document.
