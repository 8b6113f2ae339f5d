"""Migration Hub's state, per account, kept in the account's home region (reads from other
regions see the same data, as on AWS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

# The most recent updates kept per migration task for ListMigrationTaskUpdates (a tool reporting
# every few seconds for weeks must not grow one document without bound).
UPDATES_KEPT = 1000


@dataclass
class ProgressUpdateStream:
    SCHEMA_VERSION: ClassVar[int] = 1
    name: str
    created: float


@dataclass
class MigrationTask:
    SCHEMA_VERSION: ClassVar[int] = 1
    stream: str
    name: str
    created: float
    # The latest NotifyMigrationTaskState: {"Status", "StatusDetail"?, "ProgressPercent"?}; None until the first.
    task: dict | None = None
    update_time: float | None = None
    next_update_seconds: int | None = None
    resource_attributes: list[dict] = field(default_factory=list)
    # Associations, each a list of the wire shapes, in the order they were made.
    created_artifacts: list[dict] = field(default_factory=list)
    discovered_resources: list[dict] = field(default_factory=list)
    source_resources: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)  # {"UpdateDateTime", "MigrationTaskState"}, oldest first

    @property
    def key(self) -> str:
        return task_key(self.stream, self.name)


@dataclass
class ApplicationState:
    SCHEMA_VERSION: ClassVar[int] = 1
    application_id: str
    status: str
    last_updated: float


def task_key(stream: str, task: str) -> str:
    # "|" is in neither name's pattern, so the key is unambiguous.
    return f"{stream}|{task}"


class MghState:
    def __init__(self, store) -> None:
        self.store = store
        self.streams = store.collection("mgh.streams", ProgressUpdateStream)
        self.tasks = store.collection("mgh.tasks", MigrationTask)
        self.applications = store.collection("mgh.applications", ApplicationState)
