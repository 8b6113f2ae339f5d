"""DAX's one typed state: clusters with their nodes, parameter groups, subnet groups and events
(documents per account and region), and the lookups every handler makes with AWS's errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from regionbox.core.errors import ServiceError
from regionbox.core.store import Scope, Store


@dataclass
class Node:
    node_id: str  # "<cluster>-a", "<cluster>-b" ... as DAX names them
    zone: str
    address: str = ""  # its loopback address, kept across restarts
    port: int = 0
    created: float = 0.0
    status: str = "creating"  # creating | available | rebooting | deleting ("failed" is computed: its AZ is down)


@dataclass
class Cluster:
    SCHEMA_VERSION: ClassVar[int] = 1
    name: str
    arn: str
    node_type: str
    role_arn: str
    description: str = ""
    status: str = "creating"  # creating | available | modifying | deleting
    nodes: list[Node] = field(default_factory=list)
    primary: str = ""  # the node id that takes writes
    discovery_address: str = ""
    port: int = 8111
    subnet_group: str = "default"
    security_groups: list[str] = field(default_factory=list)
    parameter_group: str = "default.dax1.0"
    maintenance_window: str = ""
    topic_arn: str = ""
    topic_status: str = "active"
    sse: bool = False
    encryption_type: str = "NONE"  # NONE | TLS (ClusterEndpointEncryptionType)
    network_type: str = "ipv4"
    tags: list[dict] = field(default_factory=list)
    next_node: int = 0  # letters of removed nodes are not given again

    def __post_init__(self) -> None:
        # Documents come back from the store as dicts.
        self.nodes = [node if isinstance(node, Node) else Node(**node) for node in self.nodes]


@dataclass
class ParameterGroup:
    SCHEMA_VERSION: ClassVar[int] = 1
    name: str
    description: str = ""
    values: dict[str, str] = field(default_factory=dict)  # parameter name -> value set by the user


@dataclass
class SubnetGroup:
    SCHEMA_VERSION: ClassVar[int] = 1
    name: str
    description: str = ""
    vpc_id: str = ""
    subnets: list[dict] = field(default_factory=list)  # {"SubnetIdentifier", "SubnetAvailabilityZone"}


@dataclass
class Event:
    SCHEMA_VERSION: ClassVar[int] = 1
    source_name: str
    source_type: str  # CLUSTER | PARAMETER_GROUP | SUBNET_GROUP
    message: str
    date: float


def not_found(code: str, message: str) -> ServiceError:
    return ServiceError(code, message)


class DaxState:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.clusters = store.collection("dax.clusters", Cluster)
        self.parameter_groups = store.collection("dax.parameter_groups", ParameterGroup)
        self.subnet_groups = store.collection("dax.subnet_groups", SubnetGroup)
        self.events = store.collection("dax.events", Event)

    def cluster(self, scope: Scope, name: str, named: bool = True) -> Cluster:
        """The cluster, or ClusterNotFoundFault; DeleteCluster's message names no cluster (``named``)."""
        found = self.clusters.get(scope, name.lower())
        if found is None:
            raise ServiceError("ClusterNotFoundFault", f"Cluster {name.lower()} not found." if named else "Cluster not found.")
        return found

    def parameter_group(self, scope: Scope, name: str) -> ParameterGroup:
        from regionbox.services.dax.parameters import default_group

        found = self.parameter_groups.get(scope, name.lower()) or default_group(name.lower())
        if found is None:
            raise ServiceError("ParameterGroupNotFoundFault", f"Parameter group {name.lower()} not found.")
        return found

    def subnet_group(self, scope: Scope, name: str) -> SubnetGroup:
        found = self.subnet_groups.get(scope, name.lower())
        if found is None:
            raise ServiceError("SubnetGroupNotFoundFault", f"Subnet group {name.lower()} not found.")
        return found
