"""A DAX node server on a real socket without the control plane: a test stand-in for a
cluster's node (the data plane's own tests; end-to-end tests create clusters through boto3)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from regionbox.services.dax.dataplane import CacheSettings, NodeEndpoint, NodeServer

ACCOUNT = "000000000000"


@dataclass
class StaticView:
    region: str = "us-east-1"
    account: str = ACCOUNT
    cluster_name: str = "test"
    node_id: str = "test-0001"
    role_arn: str = ""
    cache: CacheSettings = field(default_factory=lambda: CacheSettings(300_000, 300_000, 64 * 1024 * 1024))
    live: list[NodeEndpoint] = field(default_factory=list)

    def settings(self) -> CacheSettings:
        return self.cache

    def endpoints(self) -> list[NodeEndpoint]:
        return self.live


class StandaloneNode:
    """One node listening on 127.0.0.1:<free port> on the cloud's loop."""

    def __init__(self, running, view: StaticView | None = None) -> None:
        self.running = running
        self.view = view or StaticView()
        self.server = NodeServer(running.cloud, self.view)

        async def start():
            return await asyncio.start_server(self.server.handle, "127.0.0.1", 0)
        self._socket_server = running.run(start())
        self.port = self._socket_server.sockets[0].getsockname()[1]
        if not self.view.live:
            self.view.live.append(NodeEndpoint(self.view.node_id, "127.0.0.1", self.port, "us-east-1a", "primary"))
        self.url = f"dax://127.0.0.1:{self.port}"

    def close(self) -> None:
        async def stop():
            self._socket_server.close()
        self.running.run(stop())

    def metrics(self) -> dict[str, int]:
        return self.server.metrics()


def dax_client(url: str, access_key: str = "test", secret_key: str = "test", **kwargs):
    from amazondax import AmazonDaxClient
    from botocore.config import Config
    # one attempt: a test sees the node's first answer, not the client's retries
    config = kwargs.pop("config", Config(retries={"max_attempts": 0}, connect_timeout=5, read_timeout=30))
    return AmazonDaxClient(endpoint_url=url, region_name=kwargs.pop("region_name", "us-east-1"),
                           aws_access_key_id=access_key, aws_secret_access_key=secret_key, config=config, **kwargs)
