"""Reading configuration items: ListConfigurations (filters, sort orders, pages), DescribeConfigurations,
ListServerNeighbors (which servers talk to which, from the agents' connections) and GetDiscoverySummary."""

from __future__ import annotations

from regionbox.core.context import RequestContext
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.services.discovery import filters
from regionbox.services.discovery.agents import health
from regionbox.services.discovery.attributes import attributes_of
from regionbox.services.discovery.models import Server
from regionbox.services.discovery.state import DiscoveryState, invalid_parameter, item_type, page_of



class Configurations:
    def __init__(self, state: DiscoveryState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def collection(self, configuration_type: str):
        return {"SERVER": self.state.servers, "PROCESS": self.state.processes,
                "CONNECTION": self.state.connections, "APPLICATION": self.state.applications}[configuration_type]

    def facts(self, scope: Scope, item, by_ip: dict[str, str]) -> dict[str, list[str]]:
        """Every filterable name of an item -> its values (several for tags, applications ...)."""
        found = {name: [value] for name, value in attributes_of(self.state, scope, item, by_ip).items()}
        if isinstance(item, Server):
            for tag in self.state.tags_of(scope, item.configuration_id):
                found.setdefault("server.tag.key", []).append(tag.key)
                found.setdefault("server.tag.value", []).append(tag.value)
            for application in self.state.applications_of(scope, item.configuration_id):
                found.setdefault("server.application.name", []).append(application.name)
                found.setdefault("server.application.description", []).append(application.description)
                found.setdefault("server.application.configurationId", []).append(application.configuration_id)
            for process in self.state.processes.values(scope):
                if process.server_id == item.configuration_id:
                    found.setdefault("server.process.configurationId", []).append(process.configuration_id)
                    found.setdefault("server.process.name", []).append(process.name)
                    found.setdefault("server.process.commandLine", []).append(process.command_line)
            for interface in item.interfaces:
                found.setdefault("server.networkInterfaceInfo.ipAddress", []).append(interface.get("ipAddress", ""))
                found.setdefault("server.networkInterfaceInfo.macAddress", []).append(interface.get("macAddress", ""))
        elif item_type(item.configuration_id) == "PROCESS":
            server = self.state.servers.get(scope, item.server_id)
            if server is not None:
                for name in ("server.osName", "server.osVersion"):
                    value = {"server.osName": server.os_name, "server.osVersion": server.os_version}[name]
                    if value:
                        found[name] = [value]
        elif item_type(item.configuration_id) == "APPLICATION":
            found["server.configurationId"] = list(item.servers)
        return found

    def list_configurations(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=False)
        configuration_type = params["configurationType"]
        wanted, order_by = params.get("filters") or [], params.get("orderBy") or []
        filters.check(configuration_type, wanted, order_by)
        by_ip = self.state.servers_by_ip(scope)
        rows = []
        for item in self.collection(configuration_type).values(scope):
            facts = self.facts(scope, item, by_ip)
            if filters.matches(facts, wanted):
                rows.append((facts, item))
        rows = filters.ordered(rows, order_by)
        query = [configuration_type, wanted, order_by]
        return page_of(self.paginator, rows, params, "configurations",
                       lambda row: attributes_of(self.state, scope, row[1], by_ip), query=query)

    def describe_configurations(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=False)
        wanted = params["configurationIds"]
        kinds = {item_type(c) for c in wanted}
        if None in kinds:
            bad = next(c for c in wanted if item_type(c) is None)
            raise invalid_parameter(f"{bad} is not a valid configuration ID.")
        if len(kinds) > 1:
            raise invalid_parameter("All configuration IDs must be of the same type: one of server, application, "
                                    "process or connection.")
        by_ip = self.state.servers_by_ip(scope)
        found = [self.state.item(scope, c) for c in dict.fromkeys(wanted)]
        return {"configurations": [attributes_of(self.state, scope, item, by_ip) for item in found if item is not None]}

    # -- neighbours --------------------------------------------------------------------------
    def neighbors(self, scope: Scope, server_id: str, with_ports: bool = True) -> list[dict]:
        """NeighborConnectionDetail of every server pair (and port) that talked, with this server at one end."""
        by_ip = self.state.servers_by_ip(scope)
        counts: dict[tuple, int] = {}
        for connection in self.state.connections.values(scope):
            source = connection.source_server_id or by_ip.get(connection.source_ip, "")
            destination = connection.destination_server_id or by_ip.get(connection.destination_ip, "")
            if not source or not destination or source == destination or server_id not in (source, destination):
                continue
            key = (source, destination, connection.destination_port if with_ports else None,
                   connection.transport_protocol if with_ports else None)
            counts[key] = counts.get(key, 0) + connection.occurrence
        found = []
        for (source, destination, port, protocol), count in counts.items():
            detail = {"sourceServerId": source, "destinationServerId": destination, "connectionsCount": count}
            if port is not None:
                detail["destinationPort"] = port
                detail["transportProtocol"] = protocol
            found.append(detail)
        return sorted(found, key=lambda d: (d["sourceServerId"], d["destinationServerId"], d.get("destinationPort", 0)))

    def list_server_neighbors(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=False)
        server_id = params["configurationId"]
        if self.state.servers.get(scope, server_id) is None:
            raise invalid_parameter(f"Server {server_id} does not exist.")
        found = self.neighbors(scope, server_id, with_ports=bool(params.get("portInformationNeeded")))
        known = len({d["sourceServerId"] if d["destinationServerId"] == server_id else d["destinationServerId"]
                     for d in found})
        if params.get("neighborConfigurationIds"):
            allowed = set(params["neighborConfigurationIds"])
            found = [d for d in found if (d["sourceServerId"] in allowed or d["destinationServerId"] in allowed)]
        query = [server_id, bool(params.get("portInformationNeeded")), params.get("neighborConfigurationIds")]
        return {**page_of(self.paginator, found, params, "neighbors", query=query), "knownDependencyCount": known}

    # -- summary -----------------------------------------------------------------------------
    def get_discovery_summary(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=False)
        servers = {s.configuration_id for s in self.state.servers.values(scope)}
        mapped = {s for a in self.state.applications.values(scope) for s in a.servers if s in servers}
        tagged = {t.configuration_id for t in self.state.tags.values(scope) if t.configuration_id in servers}
        states = [(health(agent), agent.collection_status) for agent in self.state.agents.values(scope)]
        return {
            "servers": len(servers),
            "applications": len(self.state.applications.values(scope)),
            "serversMappedToApplications": len(mapped),
            "serversMappedtoTags": len(tagged),
            "agentSummary": {
                "activeAgents": sum(1 for h, c in states if h == "HEALTHY" and c == "STARTED"),
                "healthyAgents": sum(1 for h, _ in states if h == "HEALTHY"),
                "blackListedAgents": 0,
                "shutdownAgents": sum(1 for h, _ in states if h == "SHUTDOWN"),
                "unhealthyAgents": sum(1 for h, _ in states if h == "UNHEALTHY"),
                "totalAgents": len(states),
                "unknownAgents": sum(1 for h, _ in states if h == "UNKNOWN"),
            },
            "connectorSummary": {name: 0 for name in ("activeConnectors", "healthyConnectors", "blackListedConnectors",
                                                      "shutdownConnectors", "unhealthyConnectors", "totalConnectors",
                                                      "unknownConnectors")},
            "meCollectorSummary": {name: 0 for name in ("activeMeCollectors", "healthyMeCollectors",
                                                        "denyListedMeCollectors", "shutdownMeCollectors",
                                                        "unhealthyMeCollectors", "totalMeCollectors",
                                                        "unknownMeCollectors")},
            "agentlessCollectorSummary": {name: 0 for name in (
                "activeAgentlessCollectors", "healthyAgentlessCollectors", "denyListedAgentlessCollectors",
                "shutdownAgentlessCollectors", "unhealthyAgentlessCollectors", "totalAgentlessCollectors",
                "unknownAgentlessCollectors")},
        }
