"""Agents: DescribeAgents, StartDataCollectionByAgentIds, StopDataCollectionByAgentIds, BatchDeleteAgents.

An agent registers and heartbeats through the agent-ingest route (ingest.py). Its health is
judged from its heartbeats: HEALTHY while the last one is within three of its own ping intervals,
UNHEALTHY after, SHUTDOWN once it said it stopped. Starting or stopping collection is
START_SCHEDULED / STOP_SCHEDULED until the agent's next heartbeat picks it up (then STARTED /
STOPPED), as on AWS, where an agent learns of it when it next pings. Deleting an agent forgets the
agent, not the data it collected (StartBatchDeleteConfigurationTask deletes that), as AWS documents.
"""

from __future__ import annotations

from datetime import datetime, timezone

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.pagination import Paginator
from regionbox.services.discovery import filters
from regionbox.services.discovery.models import Agent
from regionbox.services.discovery.state import DiscoveryState, invalid_parameter, page_of

AGENT_FILTERS = ("agentId", "hostName", "collectionStatus", "health", "ipAddress", "macAddress", "version", "agentType")


def health(agent: Agent) -> str:
    if agent.shutdown:
        return "SHUTDOWN"
    if not agent.last_ping:
        return "UNKNOWN"
    return "HEALTHY" if clock.epoch() - agent.last_ping <= 3 * agent.ping_interval else "UNHEALTHY"


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def agent_info(agent: Agent) -> dict:
    return {
        "agentId": agent.agent_id,
        "hostName": agent.host_name,
        "agentNetworkInfoList": [{"ipAddress": n.get("ipAddress", ""), "macAddress": n.get("macAddress", "")}
                                 for n in agent.network],
        "version": agent.version,
        "health": health(agent),
        "lastHealthPingTime": iso(agent.last_ping or agent.registered),
        "collectionStatus": agent.collection_status,
        "agentType": agent.agent_type,
        "registeredTime": iso(agent.registered),
    }


def _facts(agent: Agent) -> dict[str, list[str]]:
    return {"agentId": [agent.agent_id], "hostName": [agent.host_name], "collectionStatus": [agent.collection_status],
            "health": [health(agent)], "version": [agent.version], "agentType": [agent.agent_type],
            "ipAddress": [n.get("ipAddress", "") for n in agent.network],
            "macAddress": [n.get("macAddress", "") for n in agent.network]}


class Agents:
    def __init__(self, state: DiscoveryState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def describe_agents(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=False)
        wanted = params.get("filters") or []
        for item in wanted:
            if item["name"] not in AGENT_FILTERS:
                raise invalid_parameter(f"The filter name {item['name']} is not valid. Valid names: "
                                        f"{', '.join(AGENT_FILTERS)}.")
            if item["condition"] not in filters.TEXT:
                raise invalid_parameter(f"The condition {item['condition']} is not valid.")
        found = self.state.agents.values(scope)
        if params.get("agentIds"):
            ids = set(params["agentIds"])
            found = [a for a in found if a.agent_id in ids]
        found = [a for a in found if filters.matches(_facts(a), wanted)]
        return page_of(self.paginator, found, params, "agentsInfo", agent_info, query=[params.get("agentIds"), wanted])

    def _collection(self, ctx: RequestContext, params: dict, scheduled: str, done: str) -> dict:
        # Starting is a write, made in the home Region; stopping is allowed anywhere, as AWS lists "stop" with reads.
        scope = self.state.scope(ctx, write=done == "STARTED")
        statuses = []
        with self.state.store.transaction():
            for agent_id in params["agentIds"]:
                agent = self.state.agents.get(scope, agent_id)
                if agent is None:
                    statuses.append({"agentId": agent_id, "operationSucceeded": False,
                                     "description": f"Agent {agent_id} was not found."})
                    continue
                if agent.collection_status != done:
                    agent.collection_status = scheduled
                    self.state.agents.put(scope, agent_id, agent)
                statuses.append({"agentId": agent_id, "operationSucceeded": True, "description": ""})
        return {"agentsConfigurationStatus": statuses}

    def start_data_collection_by_agent_ids(self, ctx: RequestContext, params: dict) -> dict:
        return self._collection(ctx, params, "START_SCHEDULED", "STARTED")

    def stop_data_collection_by_agent_ids(self, ctx: RequestContext, params: dict) -> dict:
        return self._collection(ctx, params, "STOP_SCHEDULED", "STOPPED")

    def batch_delete_agents(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=False)
        errors = []
        with self.state.store.transaction():
            for request in params["deleteAgents"]:
                agent_id = request["agentId"]
                agent = self.state.agents.get(scope, agent_id)
                if agent is None:
                    errors.append({"agentId": agent_id, "errorCode": "NOT_FOUND",
                                   "errorMessage": f"Agent {agent_id} was not found."})
                elif agent.collection_status in ("STARTED", "START_SCHEDULED") and health(agent) == "HEALTHY" \
                        and not request.get("force"):
                    errors.append({"agentId": agent_id, "errorCode": "AGENT_IN_USE",
                                   "errorMessage": f"Agent {agent_id} is collecting data: stop data collection first, "
                                                   "or delete it with force."})
                else:
                    self.state.agents.delete(scope, agent_id)
        return {"errors": errors}
