"""Deleting discovered data for real: StartBatchDeleteConfigurationTask,
DescribeBatchDeleteConfigurationTask, and the deletion of servers that BatchDeleteImportData shares.

A server's deletion removes the server item, its processes, the connections it is an end of, its
tags, its place in applications and every record its agent reported over time (samples, processes,
connections: nothing of it stays in a later export). Its agent, if still collecting, makes a new
server item with its next report: the task says so in ``deletionWarnings``.
"""

from __future__ import annotations

import uuid

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.store import Scope
from regionbox.services.discovery.models import BatchDeleteTask
from regionbox.services.discovery.state import DiscoveryState, invalid_parameter, invalid_value, not_permitted

MAX_IDS = 200


def delete_server(state: DiscoveryState, scope: Scope, server_id: str) -> None:
    """Everything of one server, in the caller's transaction."""
    state.servers.delete(scope, server_id)
    for process in state.processes.values(scope):
        if process.server_id == server_id:
            state.processes.delete(scope, process.configuration_id)
    for connection in state.connections.values(scope):
        if server_id in (connection.source_server_id, connection.destination_server_id):
            state.connections.delete(scope, connection.configuration_id)
    for tag_key, tag in state.tags.items(scope):
        if tag.configuration_id == server_id:
            state.tags.delete(scope, tag_key)
    for application in state.applications_of(scope, server_id):
        application.servers = [s for s in application.servers if s != server_id]
        state.applications.put(scope, application.configuration_id, application)
    state.forget_records(scope, server_id)
    state.forget_indexes()


class BatchDeletes:
    def __init__(self, state: DiscoveryState) -> None:
        self.state = state

    def start_batch_delete_configuration_task(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=True)
        wanted = list(dict.fromkeys(params["configurationIds"]))
        if not wanted:
            raise invalid_parameter("configurationIds must name at least one server.")
        if len(wanted) > MAX_IDS:
            raise invalid_value(f"A batch delete task takes at most {MAX_IDS} configuration IDs.")
        if any(t.status not in ("COMPLETED", "FAILED") for t in self.state.deletions.values(scope)):
            raise not_permitted("A batch delete configuration task is already running: wait until it ends.")
        task = BatchDeleteTask(task_id=str(uuid.uuid4()), status="DELETING", started=clock.epoch(),
                               configuration_type=params["configurationType"], requested=wanted)
        # Deleting is quick here, so the task runs to its end before answering, in one transaction:
        # it is COMPLETED by the time anyone can describe it, and kill -9 never leaves half of it.
        with self.state.store.transaction():
            for server_id in wanted:
                server = self.state.servers.get(scope, server_id)
                if server is None:
                    task.failed.append({"configurationId": server_id, "errorStatusCode": 404,
                                        "errorMessage": f"Server {server_id} was not found."})
                    continue
                agent = self.state.agents.get(scope, server.agent_id) if server.agent_id else None
                if agent is not None and agent.collection_status in ("STARTED", "START_SCHEDULED"):
                    task.warnings.append({"configurationId": server_id, "warningCode": 409,
                                          "warningText": f"Agent {agent.agent_id} is still collecting data on this "
                                                         "server: what it reports next appears as a new server."})
                delete_server(self.state, scope, server_id)
                task.deleted.append(server_id)
            task.status, task.ended = "COMPLETED", clock.epoch()
            self.state.deletions.put(scope, task.task_id, task)
        return {"taskId": task.task_id}

    def describe_batch_delete_configuration_task(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=False)
        task = self.state.deletions.get(scope, params["taskId"])
        if task is None:
            raise invalid_value(f"Batch delete configuration task {params['taskId']} does not exist.")
        described = {"taskId": task.task_id, "status": task.status, "startTime": clock.from_epoch(task.started),
                     "configurationType": task.configuration_type, "requestedConfigurations": task.requested,
                     "deletedConfigurations": task.deleted, "failedConfigurations": task.failed,
                     "deletionWarnings": task.warnings}
        if task.ended is not None:
            described["endTime"] = clock.from_epoch(task.ended)
        return {"task": described}
