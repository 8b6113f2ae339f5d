"""Configuration items as DescribeConfigurations and ListConfigurations show them: maps of AWS's
attribute names (``server.hostName``, ``server.performance.avgCpuUsagePct``, ``process.name``,
``connection.destinationPort`` ...) to strings, as the user guide's tables list them.

Utilisation attributes come from the server's running sums (``Server.perf``: metric -> [sum,
count, max, min]) or, for an imported server, from the values its row gave.
"""

from __future__ import annotations

from datetime import datetime, timezone

import orjson

from regionbox.core.store import Scope
from regionbox.services.discovery.models import Application, Connection, Process, Server
from regionbox.services.discovery.state import DiscoveryState

# server.performance.<name> -> (metric, statistic)
PERFORMANCE = {
    "avgCpuUsagePct": ("cpu", "avg"), "maxCpuUsagePct": ("cpu", "max"),
    "avgFreeRAMInKB": ("freeRamKb", "avg"), "minFreeRAMInKB": ("freeRamKb", "min"),
    "avgDiskReadIOPS": ("diskReadOps", "avg"), "maxDiskReadIOPS": ("diskReadOps", "max"),
    "avgDiskWriteIOPS": ("diskWriteOps", "avg"), "maxDiskWriteIOPS": ("diskWriteOps", "max"),
    "avgDiskReadsPerSecondInKB": ("diskReadKb", "avg"), "maxDiskReadsPerSecondInKB": ("diskReadKb", "max"),
    "avgDiskWritesPerSecondInKB": ("diskWriteKb", "avg"), "maxDiskWritesPerSecondInKB": ("diskWriteKb", "max"),
    "avgNetworkReadsPerSecondInKB": ("netReadKb", "avg"), "maxNetworkReadsPerSecondInKB": ("netReadKb", "max"),
    "avgNetworkWritesPerSecondInKB": ("netWriteKb", "avg"), "maxNetworkWritesPerSecondInKB": ("netWriteKb", "max"),
}
METRICS = ("cpu", "freeRamKb", "diskReadOps", "diskWriteOps", "diskReadKb", "diskWriteKb", "netReadKb", "netWriteKb")


def timestamp(epoch: float) -> str:
    """AWS's form in these maps: ``2016-10-28 23:44:00.0``."""
    moment = datetime.fromtimestamp(epoch, timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + str(moment.microsecond // 100000)


def number(value: float) -> str:
    return repr(float(value))


def add_sample(server: Server, sample: dict) -> None:
    """Fold one utilisation sample into the server's running sums."""
    for metric in METRICS:
        value = sample.get(metric)
        if value is None:
            continue
        value = float(value)
        entry = server.perf.get(metric)
        if entry is None:
            server.perf[metric] = [value, 1.0, value, value]
        else:
            entry[0] += value
            entry[1] += 1
            entry[2] = max(entry[2], value)
            entry[3] = min(entry[3], value)


def performance(server: Server) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, (metric, statistic) in PERFORMANCE.items():
        entry = server.perf.get(metric)
        if entry is not None and entry[1]:
            value = {"avg": entry[0] / entry[1], "max": entry[2], "min": entry[3]}[statistic]
            found[f"server.performance.{name}"] = number(value)
    found.update(server.perf_given)
    for name, value in (("numCpus", server.num_cpus), ("numCores", server.num_cores), ("numDisks", server.num_disks),
                        ("numNetworkCards", len({i.get("name") for i in server.interfaces}) if server.interfaces else 0)):
        if value:
            found[f"server.performance.{name}"] = str(value)
    if server.total_ram_kb:
        found["server.performance.totalRAMInKB"] = number(server.total_ram_kb)
    if server.total_disk_kb:
        found["server.performance.totalDiskSizeInKB"] = number(server.total_disk_kb)
    return found


def server_attributes(state: DiscoveryState, scope: Scope, server: Server) -> dict[str, str]:
    applications = state.applications_of(scope, server.configuration_id)
    tags = state.tags_of(scope, server.configuration_id)
    attributes = {
        "server.configurationId": server.configuration_id,
        "server.timeOfCreation": timestamp(server.created),
        "server.type": server.server_type,
        "server.source": "Agent" if server.agent_id else "Import",
        "server.applications": orjson.dumps([{"name": a.name, "configurationId": a.configuration_id}
                                             for a in applications]).decode(),
        "server.applications.hasMoreValues": "false",
        "server.tags": orjson.dumps([{"key": t.key, "value": t.value} for t in tags]).decode(),
        "server.tags.hasMoreValues": "false",
        "server.networkInterfaceInfo": orjson.dumps(server.interfaces).decode(),
        "server.networkInterfaceInfo.hasMoreValues": "false",
    }
    for name, value in (("server.agentId", server.agent_id), ("server.hostName", server.host_name),
                        ("server.osName", server.os_name), ("server.osVersion", server.os_version),
                        ("server.cpuType", server.cpu_type), ("server.hypervisor", server.hypervisor)):
        if value:
            attributes[name] = value
    attributes.update(performance(server))
    return attributes


def process_attributes(state: DiscoveryState, scope: Scope, process: Process) -> dict[str, str]:
    server = state.servers.get(scope, process.server_id)
    attributes = {
        "process.configurationId": process.configuration_id,
        "process.timeOfCreation": timestamp(process.created),
        "process.name": process.name,
        "process.path": process.path,
        "process.commandLine": process.command_line,
        "server.configurationId": process.server_id,
    }
    if server is not None and server.agent_id:
        attributes["server.agentId"] = server.agent_id
    if server is not None and server.host_name:
        attributes["server.hostName"] = server.host_name
    return attributes


def application_attributes(state: DiscoveryState, scope: Scope, application: Application) -> dict[str, str]:
    attributes = {
        "application.configurationId": application.configuration_id,
        "application.name": application.name,
        "application.description": application.description,
        "application.serverCount": str(sum(1 for s in application.servers if state.servers.get(scope, s) is not None)),
        "application.timeOfCreation": timestamp(application.created),
        "application.lastModifiedTime": timestamp(application.modified),
    }
    if application.wave:
        attributes["application.wave"] = application.wave
    return attributes


def connection_attributes(state: DiscoveryState, scope: Scope, connection: Connection,
                          by_ip: dict[str, str] | None = None) -> dict[str, str]:
    by_ip = by_ip if by_ip is not None else state.servers_by_ip(scope)
    attributes = {
        "connection.configurationId": connection.configuration_id,
        "connection.sourceIp": connection.source_ip,
        "connection.destinationIp": connection.destination_ip,
        "connection.destinationPort": str(connection.destination_port),
        "connection.ipVersion": connection.ip_version,
        "connection.transportProtocol": connection.transport_protocol,
        "connection.latestTimestamp": timestamp(connection.latest),
        "connection.occurrence": str(connection.occurrence),
        "connection.timeOfCreation": timestamp(connection.created),
    }
    ends = (("source", connection.source_server_id or by_ip.get(connection.source_ip, ""), connection.source_process_id),
            ("destination", connection.destination_server_id or by_ip.get(connection.destination_ip, ""),
             connection.destination_process_id))
    for end, server_id, process_id in ends:
        server = state.servers.get(scope, server_id) if server_id else None
        if server is not None:
            attributes[f"{end}Server.configurationId"] = server.configuration_id
            if server.host_name:
                attributes[f"{end}Server.hostName"] = server.host_name
            if server.os_name:
                attributes[f"{end}Server.osName"] = server.os_name
            if server.os_version:
                attributes[f"{end}Server.osVersion"] = server.os_version
            if server.agent_id:
                attributes[f"{end}Server.agentId"] = server.agent_id
        process = state.processes.get(scope, process_id) if process_id else None
        if process is not None:
            attributes[f"{end}Process.configurationId"] = process.configuration_id
            attributes[f"{end}Process.name"] = process.name
            attributes[f"{end}Process.commandLine"] = process.command_line
    return attributes


def attributes_of(state: DiscoveryState, scope: Scope, item, by_ip: dict[str, str] | None = None) -> dict[str, str]:
    if isinstance(item, Server):
        return server_attributes(state, scope, item)
    if isinstance(item, Process):
        return process_attributes(state, scope, item)
    if isinstance(item, Application):
        return application_attributes(state, scope, item)
    return connection_attributes(state, scope, item, by_ip)
