"""ListConfigurations' filters and sort orders, per item type, as the user guide's tables list them
("Supported filters for ListConfigurations"): which names, which conditions, which can be sorted.

A filter holds when any of its values matches (values are alternatives); all filters must hold.
A name may have several values on one item (a server's tags, applications, processes and
addresses): EQUALS and CONTAINS hold when one of them matches, NOT_EQUALS and NOT_CONTAINS when
none does. GE/LE/GT/LT compare numbers.
"""

from __future__ import annotations

from typing import Callable

from regionbox.services.discovery.state import invalid_parameter, invalid_value

EQ = frozenset({"EQUALS", "NOT_EQUALS", "EQ", "NE"})
TEXT = EQ | {"CONTAINS", "NOT_CONTAINS"}
NUMBER = frozenset({"GE", "LE", "GT", "LT"})

# type -> filter name -> conditions it takes
FILTERS: dict[str, dict[str, frozenset[str]]] = {
    "SERVER": {
        "server.configurationId": EQ, "server.hostName": TEXT, "server.osName": TEXT, "server.osVersion": TEXT,
        "server.agentId": EQ, "server.connectorId": EQ, "server.type": EQ,
        "server.vmWareInfo.morefId": TEXT, "server.vmWareInfo.vcenterId": TEXT, "server.vmWareInfo.hostId": TEXT,
        "server.networkInterfaceInfo.portGroupId": TEXT, "server.networkInterfaceInfo.portGroupName": TEXT,
        "server.networkInterfaceInfo.virtualSwitchName": TEXT, "server.networkInterfaceInfo.ipAddress": TEXT,
        "server.networkInterfaceInfo.macAddress": TEXT,
        "server.performance.avgCpuUsagePct": NUMBER, "server.performance.totalDiskFreeSizeInKB": NUMBER,
        "server.performance.avgFreeRAMInKB": NUMBER,
        "server.tag.value": TEXT, "server.tag.key": TEXT,
        "server.application.name": TEXT, "server.application.description": TEXT,
        "server.application.configurationId": EQ,
        "server.process.configurationId": EQ, "server.process.name": TEXT, "server.process.commandLine": TEXT,
    },
    "APPLICATION": {
        "application.configurationId": EQ, "application.name": TEXT, "application.description": TEXT,
        "server.configurationId": EQ,
    },
    "PROCESS": {
        "process.configurationId": EQ, "process.name": TEXT, "process.commandLine": TEXT,
        "server.configurationId": EQ, "server.hostName": TEXT, "server.osName": TEXT, "server.osVersion": TEXT,
        "server.agentId": TEXT,
    },
    "CONNECTION": {
        "connection.sourceIp": TEXT, "connection.destinationIp": TEXT, "connection.destinationPort": EQ,
        "sourceServer.configurationId": EQ, "sourceServer.hostName": TEXT,
        "destinationServer.osName": TEXT, "destinationServer.osVersion": TEXT, "destinationServer.agentId": TEXT,
        "sourceProcess.configurationId": EQ, "sourceProcess.name": TEXT, "sourceProcess.commandLine": TEXT,
        "destinationProcess.configurationId": EQ, "destinationProcess.name": TEXT,
        "destinationProcess.commandLine": TEXT,
    },
}

SORTABLE: dict[str, frozenset[str]] = {
    "SERVER": frozenset({"server.hostName", "server.osName", "server.osVersion"}),
    "APPLICATION": frozenset({"application.name", "application.description", "application.serverCount",
                              "application.timeOfCreation", "application.lastModifiedTime"}),
    "PROCESS": frozenset({"process.name", "process.commandLine", "server.hostName", "server.osName",
                          "server.osVersion"}),
    "CONNECTION": frozenset({"connection.sourceIp", "connection.destinationIp", "connection.destinationPort",
                             "sourceServer.hostName", "destinationServer.osName", "destinationServer.osVersion",
                             "sourceProcess.name", "sourceProcess.commandLine", "destinationProcess.name",
                             "destinationProcess.commandLine"}),
}

NUMERIC_SORT = frozenset({"application.serverCount", "connection.destinationPort"})


def check(configuration_type: str, filters: list[dict], order_by: list[dict]) -> None:
    """The errors AWS answers for a filter or sort field the type does not have."""
    known = FILTERS[configuration_type]
    for item in filters:
        name, condition = item["name"], item["condition"]
        if name not in known:
            raise invalid_parameter(f"The filter name {name} is not valid for configuration type {configuration_type}.")
        if condition not in known[name]:
            raise invalid_parameter(f"The condition {condition} is not valid for the filter {name}. Valid conditions: "
                                    f"{', '.join(sorted(known[name]))}.")
        if not item["values"]:
            raise invalid_parameter(f"The filter {name} has no values.")
        if known[name] is NUMBER:
            for value in item["values"]:
                try:
                    float(value)
                except ValueError:
                    raise invalid_value(f"The value {value} of the filter {name} is not a number.") from None
    for element in order_by:
        if element["fieldName"] not in SORTABLE[configuration_type]:
            raise invalid_parameter(f"The field {element['fieldName']} cannot be used to sort configuration type "
                                    f"{configuration_type}.")


def _holds(condition: str, values: list[str], wanted: list[str]) -> bool:
    if condition in ("EQUALS", "EQ"):
        return any(v == w for v in values for w in wanted)
    if condition in ("NOT_EQUALS", "NE"):
        return not any(v == w for v in values for w in wanted)
    if condition == "CONTAINS":
        return any(w in v for v in values for w in wanted)
    if condition == "NOT_CONTAINS":
        return not any(w in v for v in values for w in wanted)
    compare: Callable[[float, float], bool] = {"GE": float.__ge__, "LE": float.__le__, "GT": float.__gt__,
                                               "LT": float.__lt__}[condition]
    numbers = []
    for value in values:
        try:
            numbers.append(float(value))
        except ValueError:
            continue
    return any(compare(v, float(w)) for v in numbers for w in wanted)


def matches(facts: dict[str, list[str]], filters: list[dict]) -> bool:
    return all(_holds(f["condition"], facts.get(f["name"], []), f["values"]) for f in filters)


def ordered(rows: list[tuple[dict[str, list[str]], object]], order_by: list[dict]) -> list:
    """Rows (facts, item) sorted by each field in turn (ASC unless DESC), numbers as numbers,
    missing values first; stable, so rows equal on every field keep their creation order."""
    for element in reversed(order_by):
        name = element["fieldName"]

        def key(row, name=name):
            value = (row[0].get(name) or [""])[0]
            if name in NUMERIC_SORT:
                try:
                    return float(value)
                except ValueError:
                    return -1.0
            return value
        rows = sorted(rows, key=key, reverse=element.get("sortOrder") == "DESC")
    return rows
