"""The DAX data plane: what each cluster node serves on its TCP listener.

PLACEHOLDER written by the control plane (branch `daxctl`) so both halves can be merged in any
order; the data plane (branch `daxwire`) replaces this file with the real implementation of the
agreed interface below. Until then a node accepts a connection and closes it at once, and its
metrics are zeros.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol


@dataclass
class NodeEndpoint:
    node_id: str
    address: str
    port: int
    az: str
    role: str  # "primary" | "replica"


@dataclass
class CacheSettings:
    record_ttl_ms: int
    query_ttl_ms: int
    memory_bytes: int


class NodeView(Protocol):
    """What the control plane tells a node about itself; one per node, read live."""

    account: str
    region: str
    cluster_name: str
    node_id: str
    role_arn: str

    def settings(self) -> CacheSettings: ...

    def endpoints(self) -> list[NodeEndpoint]: ...  # the cluster's live nodes now


class NodeServer:
    """Placeholder: the data plane replaces it (closes every connection, counts nothing)."""

    def __init__(self, cloud, view: NodeView) -> None:
        self.cloud = cloud
        self.view = view

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass

    def clear(self) -> None:
        """Reboot or replacement: the node starts cold."""

    def metrics(self) -> dict[str, int]:
        return {}
