"""ListServers, GetServerDetails, GetServerStrategies, UpdateServerConfig: the servers the latest
assessments found, each with its options (rules.py) and the one in force."""

from __future__ import annotations

import orjson

from regionbox.core.pagination import Paginator
from regionbox.services.migrationhubstrategy.analysis import effective, matches, recommendation_set, strategies_in_force
from regionbox.services.migrationhubstrategy.common import (PAGES, filtered_page, in_groups, invalid, not_found,
                                                             strategy_summary, with_token)
from regionbox.services.migrationhubstrategy.models import AssessedServer, StrategyState
from regionbox.services.migrationhubstrategy.rules import facts_of


def interfaces_of(server: AssessedServer) -> list[dict]:
    try:
        interfaces = orjson.loads(server.source.get("attributes", {}).get("server.networkInterfaceInfo") or "[]")
    except orjson.JSONDecodeError:
        interfaces = []
    return [{"interfaceName": i.get("name") or "", "ipAddress": i["ipAddress"], "macAddress": i.get("macAddress") or "",
             "netMask": i.get("netMask") or ""} for i in interfaces if isinstance(i, dict) and i.get("ipAddress")]


class Servers:
    def __init__(self, state: StrategyState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def get(self, scope, server_id: str) -> AssessedServer:
        server = self.state.servers.get(scope, server_id)
        if server is None:
            raise not_found(f"Server {server_id} was not found. Run an assessment that includes it first.")
        return server

    def components_of(self, scope, server: AssessedServer) -> list:
        return [c for c in self.state.components.values(scope) if c.server_id == server.id]

    def detail(self, scope, server: AssessedServer) -> dict:
        attributes = server.source.get("attributes") or {}
        facts = facts_of(server.source)
        option = effective(server.options, server.preferred)
        os_info: dict = {}
        if facts.os_type:
            os_info["type"] = facts.os_type
        if facts.os_name or facts.os_version:
            os_info["version"] = f"{facts.os_name} {facts.os_version}".strip()
        system: dict = {"osInfo": os_info, "networkInfoList": interfaces_of(server)}
        if attributes.get("server.cpuType"):
            system["cpuArchitecture"] = attributes["server.cpuType"]
        components = self.components_of(scope, server)
        detail = {
            "id": server.id, "name": facts.name, "serverType": attributes.get("server.type", "OTHER"),
            "dataCollectionStatus": "dataCollectionTaskSuccess", "lastAnalyzedTimestamp": server.last_analyzed,
            "systemInfo": system, "listAntipatternSeveritySummary": [],
            "applicationComponentStrategySummary": strategy_summary(strategies_in_force(components)),
        }
        if option is not None:
            detail["recommendationSet"] = recommendation_set(option)
            detail["statusMessage"] = option["reason"]
        return detail

    def list_servers(self, ctx, params: dict) -> dict:
        servers = [s for s in self.state.servers.values(ctx.scope) if in_groups(s.group_ids, params.get("groupIdFilter"))]
        page, token = filtered_page(self.paginator, servers, params, "serverCriteria", self.keeps,
                                    lambda s: facts_of(s.source).name)
        return with_token({"serverInfos": [self.detail(ctx.scope, s) for s in page]}, token)

    @staticmethod
    def keeps(server: AssessedServer, criteria: str, value: str | None) -> bool:
        option = effective(server.options, server.preferred) or {}
        facts = facts_of(server.source)
        wanted = (value or "").lower()
        found = {
            "OS_NAME": wanted in f"{facts.os_name} {facts.os_version}".lower(),
            "STRATEGY": option.get("strategy", "").lower() == wanted,
            "DESTINATION": option.get("destination", "").lower() == wanted,
            "SERVER_ID": server.id == value,
            "ANALYSIS_STATUS": wanted == "datacollectiontasksuccess",
            "ERROR_CATEGORY": False,  # no server failed its analysis
        }
        return found[criteria]

    def get_server_details(self, ctx, params: dict) -> dict:
        server = self.get(ctx.scope, params["serverId"])
        # maxResults and nextToken page the server's applications.
        page, token = self.paginator.paginate(server.applications, params, PAGES, query=server.id)
        return with_token({"serverDetail": self.detail(ctx.scope, server), "associatedApplications": page}, token)

    def get_server_strategies(self, ctx, params: dict) -> dict:
        server = self.get(ctx.scope, params["serverId"])
        in_force = effective(server.options, server.preferred)
        component_strategies = strategies_in_force(self.components_of(ctx.scope, server))
        return {"serverStrategies": [
            {"recommendation": recommendation_set(option), "status": option["status"], "isPreferred": option is in_force,
             "numberOfApplicationComponents": component_strategies.count(option["strategy"])}
            for option in server.options]}

    def update_server_config(self, ctx, params: dict) -> dict:
        server = self.get(ctx.scope, params["serverId"])
        choice = params.get("strategyOption")
        if choice is not None:
            server.preferred = choose(server.options, choice, f"server {server.id}")
            self.state.servers.put(ctx.scope, server.id, server)
        return {}


def choose(options: list[dict], choice: dict, what: str) -> dict | None:
    """The preference a strategyOption sets: one of the options (isPreferred false clears it)."""
    if choice.get("isPreferred") is False:
        return None
    if "strategy" not in choice:
        raise invalid("strategyOption.strategy is required to set a preferred strategy.")
    if not any(matches(option, choice) for option in options):
        offered = ", ".join(sorted({o["strategy"] for o in options})) or "none"
        raise invalid(f"{choice['strategy']} is not a strategy option for {what} with the given target destination "
                      f"and tool; its options are: {offered}.")
    return {k: choice[k] for k in ("strategy", "targetDestination", "toolName") if k in choice}
