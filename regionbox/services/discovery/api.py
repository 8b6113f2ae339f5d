"""What Application Discovery Service offers other services (``cloud.services.api("discovery")``):
the discovered servers and applications of an account's home Region, as Migration Hub Strategy
Recommendations reads them for its assessments.

    servers(account, region) -> [{"configurationId": "d-server-...",
                                  "attributes": {DescribeConfigurations' names: str},
                                  "processes": [{"name", "commandLine", "path"}],
                                  "applications": ["d-application-...", ...]}]
    applications(account, region) -> [{"configurationId": "d-application-...", "name", "description",
                                       "servers": ["d-server-...", ...]}]

``region`` is where the caller is asked; the data is the home Region's (reads are allowed from any
Region). With no home Region set, or no data, both are empty lists.
"""

from __future__ import annotations

from typing import Any

import orjson

from regionbox.services.discovery.attributes import server_attributes
from regionbox.services.discovery.state import DiscoveryState


class DiscoveryApi:
    def __init__(self, state: DiscoveryState) -> None:
        self._state = state

    def servers(self, account: str, region: str) -> list[dict]:
        scope = self._state.home_scope(account)
        if scope is None:
            return []
        processes: dict[str, list[dict]] = {}
        for process in self._state.processes.values(scope):
            processes.setdefault(process.server_id, []).append(
                {"name": process.name, "commandLine": process.command_line, "path": process.path})
        return [{"configurationId": server.configuration_id,
                 "attributes": server_attributes(self._state, scope, server),
                 "processes": processes.get(server.configuration_id, []),
                 "applications": [a.configuration_id for a in self._state.applications_of(scope, server.configuration_id)]}
                for server in self._state.servers.values(scope)]

    def servers_identified_by(self, account: str, region: str, values: set[str]) -> list[dict]:
        """The servers (as ``servers`` gives them) one of whose attribute values is one of
        ``values``, case-insensitively: a host name, or an IP or MAC address of one of the network
        interfaces (``server.networkInterfaceInfo`` holds them as JSON). How Migration Hub's
        PutResourceAttributes links a task to servers, and Strategy Recommendations an import row."""
        wanted = {value.lower() for value in values}
        return [server for server in self.servers(account, region) if wanted & _leaves(server["attributes"])]

    def applications(self, account: str, region: str) -> list[dict]:
        scope = self._state.home_scope(account)
        if scope is None:
            return []
        return [{"configurationId": a.configuration_id, "name": a.name, "description": a.description,
                 "servers": [s for s in a.servers if self._state.servers.get(scope, s) is not None]}
                for a in self._state.applications.values(scope)]


def _leaves(value: Any) -> set[str]:
    """The strings in an attribute value, lower-cased, and those of the JSON it may hold."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return _leaves(orjson.loads(value))
        except orjson.JSONDecodeError:
            pass
    if isinstance(value, dict):
        return set().union(set(), *(_leaves(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(set(), *(_leaves(item) for item in value))
    return {str(value).lower()}
