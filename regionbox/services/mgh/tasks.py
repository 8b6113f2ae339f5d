"""ImportMigrationTask, NotifyMigrationTaskState, DescribeMigrationTask, ListMigrationTasks,
ListMigrationTaskUpdates, PutResourceAttributes.

A migration tool registers a task in its stream, then reports its status and percent done; each
report is kept as an update (newest first in ListMigrationTaskUpdates). PutResourceAttributes
replaces the task's identifying attributes, and (AWS does this asynchronously) links the task to
the discovered servers they identify, which ListDiscoveredResources then shows.
"""

from __future__ import annotations

import ipaddress
import re

from regionbox.core import clock
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.services.mgh.home import Home
from regionbox.services.mgh.models import UPDATES_KEPT, MghState, MigrationTask, task_key
from regionbox.services.mgh.paging import LISTS, with_token
from regionbox.services.mgh.streams import stream_not_found

VM_TYPES = ("VM_MANAGER_ID", "VM_MANAGED_OBJECT_REFERENCE", "VM_NAME", "VM_PATH")
# The formats ResourceAttribute's documentation gives per type.
FORMATS = {
    "MAC_ADDRESS": re.compile(r"([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}"),
    "FQDN": re.compile(r"[^<>{}\\/?,=\x00-\x1f\x7f]{1,256}"),
}


def task_not_found(stream: str, name: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException",
                        f"Migration task {name} does not exist in progress update stream {stream}.")


def summary(task: MigrationTask) -> dict:
    out: dict = {"ProgressUpdateStream": task.stream, "MigrationTaskName": task.name}
    if task.task:
        out.update(task.task)
    if task.update_time is not None:
        out["UpdateDateTime"] = task.update_time
    return out


class Tasks:
    def __init__(self, state: MghState, home: Home, paginator: Paginator) -> None:
        self.state = state
        self.home = home
        self.paginator = paginator

    def stream_task(self, scope: Scope, params: dict) -> MigrationTask:
        """The task a request names; the stream first, so a missing stream is named as such."""
        stream, name = params["ProgressUpdateStream"], params["MigrationTaskName"]
        if (scope, stream) not in self.state.streams:
            raise stream_not_found(stream)
        task = self.state.tasks.get(scope, task_key(stream, name))
        if task is None:
            raise task_not_found(stream, name)
        return task

    def import_migration_task(self, ctx, params: dict) -> dict:
        scope = self.home.scope(ctx, write=True, params=params)
        stream, name = params["ProgressUpdateStream"], params["MigrationTaskName"]
        if (scope, stream) not in self.state.streams:
            raise stream_not_found(stream)
        if (scope, task_key(stream, name)) not in self.state.tasks:  # importing again changes nothing
            self.state.tasks.put(scope, task_key(stream, name), MigrationTask(stream=stream, name=name, created=clock.epoch()))
        return {}

    def notify_migration_task_state(self, ctx, params: dict) -> dict:
        scope = self.home.scope(ctx, write=True, params=params)
        task = self.stream_task(scope, params)
        state = {k: params["Task"][k] for k in ("Status", "StatusDetail", "ProgressPercent") if k in params["Task"]}
        when = clock.to_epoch(params["UpdateDateTime"])
        task.task, task.update_time, task.next_update_seconds = state, when, params["NextUpdateSeconds"]
        task.updates = [*task.updates, {"UpdateDateTime": when, "MigrationTaskState": state}][-UPDATES_KEPT:]
        self.state.tasks.put(scope, task.key, task)
        return {}

    def describe_migration_task(self, ctx, params: dict) -> dict:
        task = self.stream_task(self.home.scope(ctx, write=False), params)
        out: dict = {"ProgressUpdateStream": task.stream, "MigrationTaskName": task.name,
                     "ResourceAttributeList": task.resource_attributes}
        if task.task:
            out["Task"] = task.task
        if task.update_time is not None:
            out["UpdateDateTime"] = task.update_time
        return {"MigrationTask": out}

    def list_migration_tasks(self, ctx, params: dict) -> dict:
        scope = self.home.scope(ctx, write=False)
        tasks = self.state.tasks.values(scope)
        resource = params.get("ResourceName")
        if resource is not None:
            tasks = [t for t in tasks if any(r["ConfigurationId"] == resource for r in t.discovered_resources)]
        # The most recently updated first (never-notified tasks by when they were imported).
        tasks.sort(key=lambda t: (-(t.update_time if t.update_time is not None else t.created), t.key))
        page, token = self.paginator.paginate(tasks, params, LISTS, query=resource)
        return with_token({"MigrationTaskSummaryList": [summary(t) for t in page]}, token)

    def list_migration_task_updates(self, ctx, params: dict) -> dict:
        task = self.stream_task(self.home.scope(ctx, write=False), params)
        updates = [{"UpdateDateTime": u["UpdateDateTime"], "UpdateType": "MIGRATION_TASK_STATE_UPDATED",
                    "MigrationTaskState": u["MigrationTaskState"]} for u in reversed(task.updates)]
        page, token = self.paginator.paginate(updates, params, LISTS, query=task.key)
        return with_token({"MigrationTaskUpdateList": page}, token)

    def put_resource_attributes(self, ctx, params: dict) -> dict:
        scope = self.home.scope(ctx, write=True, params=params)
        task = self.stream_task(scope, params)
        attributes = params["ResourceAttributeList"]
        for attribute in attributes:
            check_format(attribute["Type"], attribute["Value"])
        if not any(a["Type"] == "VM_MANAGER_ID" for a in attributes):
            # "If VM_MANAGER_ID is not set, then all VM fields will be discarded."
            attributes = [a for a in attributes if a["Type"] not in VM_TYPES]
        task.resource_attributes = attributes
        for configuration_id in self.matching_servers(scope, attributes):
            if not any(r["ConfigurationId"] == configuration_id for r in task.discovered_resources):
                task.discovered_resources = [*task.discovered_resources, {"ConfigurationId": configuration_id}]
        self.state.tasks.put(scope, task.key, task)
        return {}

    def matching_servers(self, scope: Scope, attributes: list[dict]) -> list[str]:
        """The discovered servers the task's values identify (an IP or MAC address, a host name)."""
        discovery = self.home.discovery()
        if discovery is None:
            return []
        return [s["configurationId"] for s in discovery.servers_identified_by(*scope, {a["Value"] for a in attributes})]


def check_format(kind: str, value: str) -> None:
    if kind in ("IPV4_ADDRESS", "IPV6_ADDRESS"):
        try:
            ok = isinstance(ipaddress.ip_address(value), ipaddress.IPv4Address if kind == "IPV4_ADDRESS" else ipaddress.IPv6Address)
        except ValueError:
            ok = False
    else:
        pattern = FORMATS.get(kind)
        ok = pattern is None or pattern.fullmatch(value) is not None
    if not ok:
        raise ServiceError("InvalidInputException", f"{value} is not a valid value for ResourceAttribute type {kind}.")
