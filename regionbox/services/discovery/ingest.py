"""The agent-ingest route: how ``regionbox discovery-agent`` (and any agent speaking it) reports.

AWS's own agent talks to an internal API (arsenal-discovery.<region>.amazonaws.com) that is not
published; regionbox's agent talks to this route on the cloud's own port instead. Every request
is a POST of a JSON document, signed with SigV4 like any AWS request (service ``discovery``, the
credential scope's region must be the Migration Hub home Region), answered with JSON:

    POST /_discovery/agent/register   {"hostKey", "hostName", "version", "pingInterval", "configuration"}
                                      -> {"agentId", "collectionStatus"}
    POST /_discovery/agent/heartbeat  {"agentId", "pingInterval"} -> {"agentId", "collectionStatus", "health"}
    POST /_discovery/agent/report     {"agentId", "batch": n, "records": [...]} -> {"agentId", "batch"}
    POST /_discovery/agent/shutdown   {"agentId"} -> {}

A report's records are ``{"kind": "configuration" | "sample" | "process" | "connection", "ts": epoch, ...}``
(agent/collector.py makes them). Batches are numbered by the agent and applied once each, in one
transaction: a batch sent again because its answer was lost is acknowledged, not counted twice.
Errors are ``{"__type": code, "message"}`` with AWS's status: 403 for a bad signature or an IAM
denial, 400 HomeRegionNotSetException, 404 ResourceNotFoundException for an agent that was deleted
(the agent then registers again).

The caller needs ``arsenal:RegisterOnPremisesAgent`` (AWS's managed policy
AWSApplicationDiscoveryAgentAccess grants it) when IAM is enforced and the caller is not a root.
"""

from __future__ import annotations

from typing import Any, Callable

import orjson

from regionbox.core import clock, ids
from regionbox.core.context import RequestContext
from regionbox.core.credentials import CredentialRegistry
from regionbox.core.errors import ServiceError
from regionbox.core.service import Access
from regionbox.core.store import Scope
from regionbox.gateway.identity import check_region, credential_scope, verify_signature
from regionbox.protocol.http import HttpRequest, HttpResponse
from regionbox.services.discovery.agents import health
from regionbox.services.discovery.attributes import add_sample
from regionbox.services.discovery.models import Agent, Connection, Process, Server
from regionbox.services.discovery.state import DiscoveryState, configuration_id

PATH = "/_discovery/agent/"
BODY_LIMIT = 32 * 1024 * 1024
ACTION = "arsenal:RegisterOnPremisesAgent"


def _answer(status: int, document: dict) -> HttpResponse:
    body = orjson.dumps(document)
    return HttpResponse(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))], body)


def _error(error: ServiceError) -> HttpResponse:
    return _answer(error.status, {"__type": error.code, "message": error.message})


class Ingest:
    def __init__(self, state: DiscoveryState, credentials: CredentialRegistry, iam: Callable[[], Any],
                 enforced: Callable[[], bool], reported: Callable[[Scope, str, list], None] = lambda *_: None) -> None:
        self.state = state
        self.reported = reported  # told what each report added, once it is stored (continuous exports)
        self.credentials = credentials
        self.iam = iam
        self.enforced = enforced

    async def handle(self, request: HttpRequest) -> HttpResponse:
        try:
            if request.method != "POST":
                raise ServiceError("InvalidAction", "The agent-ingest route takes POST requests.", status=405)
            body = await request.stream.read(BODY_LIMIT) if request.stream is not None else request.body
            scope = self._authenticate(request, body)
            try:
                document = orjson.loads(body or b"{}")
            except orjson.JSONDecodeError:
                raise ServiceError("SerializationException", "The request body is not JSON.") from None
            if not isinstance(document, dict):
                raise ServiceError("SerializationException", "The request body is not a JSON object.")
            action = request.path[len(PATH):].strip("/")
            handler = {"register": self.register, "heartbeat": self.heartbeat, "report": self.report,
                       "shutdown": self.shutdown}.get(action)
            if handler is None:
                raise ServiceError("UnknownOperationException", f"The agent-ingest route has no {action!r}.", status=404)
            try:
                return _answer(200, handler(scope, document))
            except (ValueError, TypeError, AttributeError) as error:  # a field of the wrong type: nothing was kept
                raise ServiceError("InvalidParameterValueException", f"The {action} request is malformed: {error}") \
                    from None
        except ServiceError as error:
            return _error(error)

    def _authenticate(self, request: HttpRequest, body: bytes) -> Scope:
        credential = credential_scope(request)
        if credential is None:
            raise ServiceError("MissingAuthenticationTokenException", "Missing Authentication Token", status=403)
        check_region(credential)
        issued = self.credentials.issued(credential.access_key_id)
        caller = self.credentials.resolve(credential.access_key_id)
        if issued is not None:
            verify_signature(request, body, credential, issued)
        region = credential.region or "us-east-1"
        if self.enforced() and caller.type != "Root":
            ctx = RequestContext(caller=caller, region=region, request_id=ids.request_id(), service="discovery",
                                 operation="RegisterOnPremisesAgent")
            denial = self.iam().authorize(ctx, issued, ACTION, [Access("*")])
            if denial is not None:
                raise ServiceError("AccessDeniedException", f"User: {caller.arn} is not authorized to perform: "
                                   f"{ACTION} {denial.reason}".rstrip(), status=403)
        ctx = RequestContext(caller=caller, region=region, request_id="", service="discovery")
        return self.state.scope(ctx, write=True)

    def _agent(self, scope: Scope, document: dict) -> Agent:
        agent = self.state.agents.get(scope, str(document.get("agentId", "")))
        if agent is None:
            raise ServiceError("ResourceNotFoundException", f"Agent {document.get('agentId')} is not registered.",
                               status=404)
        return agent

    # -- the four calls ------------------------------------------------------------------------
    def register(self, scope: Scope, document: dict) -> dict:
        host_key = str(document.get("hostKey") or "")
        if not host_key:
            raise ServiceError("InvalidParameterValueException", "hostKey is required.")
        now = clock.epoch()
        with self.state.store.transaction():
            agent = next((a for a in self.state.agents.values(scope) if a.host_key == host_key), None)
            server = next((s for s in self.state.servers.values(scope) if s.host_key == host_key), None)
            if agent is None:
                # "o-" and 17 hex digits: on-premises agents' ids (EC2 instances' agents use the instance id).
                agent = Agent(agent_id=ids.hex_id("o-", 17), host_key=host_key, host_name="", server_id="",
                              registered=now)
            if server is None:
                server = Server(configuration_id=configuration_id("server"), created=now, host_key=host_key)
            agent.server_id, server.agent_id = server.configuration_id, agent.agent_id
            agent.host_name = str(document.get("hostName") or agent.host_name)
            agent.version = str(document.get("version") or agent.version)
            agent.ping_interval = float(document.get("pingInterval") or agent.ping_interval)
            agent.last_ping, agent.shutdown = now, False
            self._configure(scope, agent, server, document.get("configuration") or {}, now)
            self.state.agents.put(scope, agent.agent_id, agent)
            self.state.servers.put(scope, server.configuration_id, server)
        return {"agentId": agent.agent_id, "collectionStatus": agent.collection_status}

    def heartbeat(self, scope: Scope, document: dict) -> dict:
        agent = self._agent(scope, document)
        agent.last_ping, agent.shutdown = clock.epoch(), False
        if document.get("pingInterval"):
            agent.ping_interval = float(document["pingInterval"])
        # A scheduled start or stop takes effect when the agent hears of it: now.
        agent.collection_status = {"START_SCHEDULED": "STARTED", "STOP_SCHEDULED": "STOPPED"}.get(
            agent.collection_status, agent.collection_status)
        self.state.agents.put(scope, agent.agent_id, agent)
        return {"agentId": agent.agent_id, "collectionStatus": agent.collection_status, "health": health(agent)}

    def shutdown(self, scope: Scope, document: dict) -> dict:
        agent = self._agent(scope, document)
        agent.shutdown = True
        self.state.agents.put(scope, agent.agent_id, agent)
        return {}

    def report(self, scope: Scope, document: dict) -> dict:
        agent = self._agent(scope, document)
        batch = int(document.get("batch", -1))
        records = document.get("records") or []
        if not isinstance(records, list):
            raise ServiceError("InvalidParameterValueException", "records must be a list.")
        if batch <= agent.last_batch:
            return {"agentId": agent.agent_id, "batch": batch, "duplicate": True}
        with self.state.store.transaction():
            rows = self.apply(scope, agent, records)
            agent.last_batch = batch
            agent.last_ping = clock.epoch()
            self.state.agents.put(scope, agent.agent_id, agent)
        self.reported(scope, agent.agent_id, rows)
        return {"agentId": agent.agent_id, "batch": batch}

    # -- applying records ---------------------------------------------------------------------
    def apply(self, scope: Scope, agent: Agent, records: list[dict]) -> list[tuple[str, float, dict]]:
        """Store a report's records (in the caller's transaction); the rows it added over time."""
        server = self.state.servers.get(scope, agent.server_id)
        if server is None:  # its data was deleted (StartBatchDeleteConfigurationTask): a new server item
            server = Server(configuration_id=configuration_id("server"), created=clock.epoch(), host_key=agent.host_key,
                            agent_id=agent.agent_id, host_name=agent.host_name)
            agent.server_id = server.configuration_id
        rows: list[tuple[str, float, dict]] = []
        for record in records:
            if not isinstance(record, dict):
                continue
            kind, ts = record.get("kind"), float(record.get("ts") or clock.epoch())
            if kind == "configuration":
                self._configure(scope, agent, server, record, ts, rows)
            elif kind == "sample":
                add_sample(server, record)
                rows.append(("systemPerformance", ts, {k: v for k, v in record.items() if k != "kind"}))
            elif kind == "process":
                process = self._process(scope, server, record, ts)
                rows.append(("process", ts, {"processId": process.configuration_id, "pid": record.get("pid"),
                                             "name": process.name, "path": process.path,
                                             "commandLine": process.command_line}))
            elif kind == "connection":
                rows.append(self._connection(scope, server, record, ts))
        self.state.servers.put(scope, server.configuration_id, server)
        if rows:
            self.state.add_records(scope, server.configuration_id, rows)
        return rows

    def _configure(self, scope: Scope, agent: Agent, server: Server, facts: dict, ts: float,
                   rows: list | None = None) -> None:
        if not facts:
            return
        server.host_name = str(facts.get("hostName") or agent.host_name or server.host_name)
        agent.host_name = server.host_name
        for field, key in (("os_name", "osName"), ("os_version", "osVersion"), ("cpu_type", "cpuType"),
                           ("hypervisor", "hypervisor")):
            if facts.get(key):
                setattr(server, field, str(facts[key]))
        for field, key in (("num_cpus", "numCpus"), ("num_cores", "numCores"), ("num_disks", "numDisks")):
            if facts.get(key):
                setattr(server, field, int(facts[key]))
        if facts.get("totalRamKb"):
            server.total_ram_kb = float(facts["totalRamKb"])
        if facts.get("totalDiskKb"):
            server.total_disk_kb = float(facts["totalDiskKb"])
        if isinstance(facts.get("interfaces"), list):
            server.interfaces = [{k: str(v) for k, v in i.items() if k in ("name", "macAddress", "ipAddress", "netMask",
                                                                          "family")}
                                 for i in facts["interfaces"] if isinstance(i, dict)]
            agent.network = [{"ipAddress": i.get("ipAddress", ""), "macAddress": i.get("macAddress", "")}
                             for i in server.interfaces]
        if rows is not None:
            rows.append(("osInfo", ts, {"hostName": server.host_name, "osName": server.os_name,
                                        "osVersion": server.os_version, "cpuType": server.cpu_type,
                                        "hypervisor": server.hypervisor}))
            rows.extend(("networkInterface", ts, dict(interface)) for interface in server.interfaces)

    def _process(self, scope: Scope, server: Server, record: dict, ts: float) -> Process:
        name, command_line = str(record.get("name") or ""), str(record.get("commandLine") or "")
        key = (server.configuration_id, name, command_line)
        index = self.state.process_index(scope)
        process = self.state.processes.get(scope, index.get(key, ""))
        if process is None:  # new, or its id in the index was rolled back with a failed report
            process = Process(configuration_id=configuration_id("process"), server_id=server.configuration_id,
                              name=name, path=str(record.get("path") or ""), command_line=command_line, created=ts)
            index[key] = process.configuration_id
        process.last_seen = ts
        self.state.processes.put(scope, process.configuration_id, process)
        return process

    def _connection(self, scope: Scope, server: Server, record: dict, ts: float) -> tuple[str, float, dict]:
        outbound = record.get("direction") != "inbound"
        local, remote = (str(record.get("localIp", "")), int(record.get("localPort") or 0)), \
            (str(record.get("remoteIp", "")), int(record.get("remotePort") or 0))
        source, destination = (local, remote) if outbound else (remote, local)
        protocol, version = str(record.get("protocol") or "TCP"), str(record.get("ipVersion") or "IPv4")
        key = (source[0], destination[0], destination[1], protocol)
        index = self.state.connection_index(scope)
        connection = self.state.connections.get(scope, index.get(key, ""))
        if connection is None:
            connection = Connection(configuration_id=configuration_id("connection"), source_ip=source[0],
                                    destination_ip=destination[0], destination_port=destination[1],
                                    transport_protocol=protocol, ip_version=version, created=ts, latest=ts)
            index[key] = connection.configuration_id
        connection.latest = max(connection.latest, ts)
        process_id = ""
        if isinstance(record.get("process"), dict):
            process_id = self._process(scope, server, record["process"], ts).configuration_id
        if outbound:
            connection.seen_by_source += 1
            connection.source_server_id = server.configuration_id
            connection.source_process_id = process_id or connection.source_process_id
        else:
            connection.seen_by_destination += 1
            connection.destination_server_id = server.configuration_id
            connection.destination_process_id = process_id or connection.destination_process_id
        self.state.connections.put(scope, connection.configuration_id, connection)
        row = {"sourceIp": source[0], "sourcePort": source[1], "destinationIp": destination[0],
               "destinationPort": destination[1], "ipVersion": version, "transportProtocol": protocol,
               "agentAssignedProcessId": record.get("pid"), "processId": process_id,
               "connectionId": connection.configuration_id}
        return ("sourceProcessConnection" if outbound else "destinationProcessConnection", ts, row)
