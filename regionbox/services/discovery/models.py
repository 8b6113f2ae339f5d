"""Application Discovery Service's documents: agents, configuration items (servers, processes,
connections, applications), tags, and the export, import, batch-delete and continuous-export tasks.

Everything is kept per (account, region) in the store; the utilisation time series an agent reports
are rows of their own table (samples.py), summed up in the server's ``perf`` as they arrive so that
DescribeConfigurations never reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


@dataclass
class Agent:
    """An agent that registered (DescribeAgents' AgentInfo)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    agent_id: str
    host_key: str  # the identity the agent keeps in its id file: the same host registers again as itself
    host_name: str
    server_id: str  # the d-server-... its host is
    version: str = ""
    network: list[dict] = field(default_factory=list)  # [{"ipAddress", "macAddress"}]
    registered: float = 0.0
    last_ping: float = 0.0
    ping_interval: float = 900.0  # what the agent said it heartbeats at: its health is judged by it
    collection_status: str = "STOPPED"  # STARTED | STOPPED (Start/StopDataCollectionByAgentIds)
    shutdown: bool = False  # the agent said goodbye when it stopped
    agent_type: str = "Agent"
    last_batch: int = -1  # the highest report batch applied: a batch sent again after a lost answer is not counted twice


@dataclass
class Server:
    """A server configuration item, from an agent or an import."""

    SCHEMA_VERSION: ClassVar[int] = 1
    configuration_id: str
    created: float
    host_name: str = ""
    agent_id: str = ""
    host_key: str = ""  # the agent's host identity: a host whose agent was deleted and comes back is the same server
    os_name: str = ""
    os_version: str = ""
    cpu_type: str = ""
    hypervisor: str = ""
    server_type: str = "OTHER"
    num_cpus: int = 0
    num_cores: int = 0
    total_ram_kb: float = 0.0
    num_disks: int = 0
    total_disk_kb: float = 0.0
    interfaces: list[dict] = field(default_factory=list)  # [{"name", "macAddress", "ipAddress", "netMask"}]
    # Utilisation summed as samples arrive: metric -> [sum, count, max, min].
    perf: dict[str, list[float]] = field(default_factory=dict)
    # Values an import gave directly (server.performance.* attribute -> value).
    perf_given: dict[str, str] = field(default_factory=dict)
    import_task_id: str = ""
    external_id: str = ""  # an import's ExternalId: the same row imported again updates the server


@dataclass
class Process:
    SCHEMA_VERSION: ClassVar[int] = 1
    configuration_id: str
    server_id: str
    name: str
    path: str
    command_line: str
    created: float
    last_seen: float = 0.0


@dataclass
class Connection:
    """TCP connections of one kind between two addresses, seen from either end: the client's agent
    names the source process, the server's agent the destination process; ``occurrence`` counts
    distinct connections (new source ports), as the larger of what each end saw."""

    SCHEMA_VERSION: ClassVar[int] = 1
    configuration_id: str
    source_ip: str
    destination_ip: str
    destination_port: int
    transport_protocol: str
    ip_version: str
    created: float
    latest: float
    seen_by_source: int = 0
    seen_by_destination: int = 0
    source_server_id: str = ""
    destination_server_id: str = ""
    source_process_id: str = ""
    destination_process_id: str = ""

    @property
    def occurrence(self) -> int:
        return max(self.seen_by_source, self.seen_by_destination)


@dataclass
class Application:
    SCHEMA_VERSION: ClassVar[int] = 1
    configuration_id: str
    name: str
    description: str
    wave: str
    created: float
    modified: float
    servers: list[str] = field(default_factory=list)


@dataclass
class Tag:
    SCHEMA_VERSION: ClassVar[int] = 1
    configuration_id: str
    configuration_type: str
    key: str
    value: str
    created: float


@dataclass
class ExportTask:
    SCHEMA_VERSION: ClassVar[int] = 1
    export_id: str
    status: str  # IN_PROGRESS | SUCCEEDED | FAILED
    message: str
    requested: float
    agent_ids: list[str] = field(default_factory=list)
    start: float | None = None
    end: float | None = None
    preferences: dict = field(default_factory=dict)
    bucket: str = ""
    key: str = ""
    truncated: bool = False


@dataclass
class ImportTask:
    SCHEMA_VERSION: ClassVar[int] = 1
    import_task_id: str
    client_request_token: str
    name: str
    import_url: str
    status: str
    requested: float
    completed: float | None = None
    deleted: float | None = None
    server_success: int = 0
    server_failure: int = 0
    application_success: int = 0
    application_failure: int = 0
    errors_key: str = ""  # the errors-and-failed-entries zip in the discovery bucket, if any rows failed
    errors_bucket: str = ""
    servers: list[str] = field(default_factory=list)  # what it created: BatchDeleteImportData deletes them
    applications: list[str] = field(default_factory=list)


@dataclass
class BatchDeleteTask:
    SCHEMA_VERSION: ClassVar[int] = 1
    task_id: str
    status: str
    started: float
    configuration_type: str
    requested: list[str]
    ended: float | None = None
    deleted: list[str] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)


@dataclass
class ContinuousExport:
    SCHEMA_VERSION: ClassVar[int] = 1
    export_id: str
    status: str
    detail: str
    bucket: str
    started: float
    stopped: float | None = None
    written: float = 0.0  # samples up to this time are in the bucket
