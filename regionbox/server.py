"""The cloud: the shared infrastructure every service uses, the registry of services, and the
HTTP server that serves them.

``Cloud`` is a small registry, not a grab-bag: settings, the state store, the event bus, AZ
topology, who callers are, pagination, the audit trail, background tasks, and the data-plane
infrastructure (one address allocator, one engine supervisor, one proxy hub, one set of
listeners, one local CA), each existing once. Services reach each other only through
``cloud.services.api(name)``. The engine infrastructure is created on first use.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from regionbox.config import Config
from regionbox.core.addresses import AddressAllocator
from regionbox.core.audit import AuditTrail
from regionbox.core.credentials import CredentialRegistry
from regionbox.core.events import EventBus
from regionbox.core.pagination import Paginator
from regionbox.core.registry import Entry, ServiceRegistry
from regionbox.core.store import Store
from regionbox.core.tasks import Tasks
from regionbox.core.topology import Topology
from regionbox.services import SERVICES

if TYPE_CHECKING:
    from regionbox.core.listeners import Listeners
    from regionbox.core.tls import LocalCA
    from regionbox.engines import ProxyHub, Supervisor

log = logging.getLogger("regionbox")


class Cloud:
    def __init__(self, config: Config | None = None, services: "dict[str, Entry] | None" = None) -> None:
        """``services``: what to serve (default: every service of regionbox, services/__init__.py);
        tests and embedders may serve others beside them."""
        self.config = config or Config()
        self.started_at = time.time()
        self.state_dir: Path = self.config.resolve_state_dir()
        self.store = Store(self.state_dir / "state.db")
        self.bus = EventBus()
        self.topology = Topology(self.bus, self.store)
        self.credentials = CredentialRegistry(self.store, self.config.default_account)
        self.paginator = Paginator(self._secret("pagination"))
        self.audit = AuditTrail(self.store)
        self.tasks = Tasks()
        self.services = ServiceRegistry(self, SERVICES if services is None else services)
        self.ready = False

    def _secret(self, name: str) -> bytes:
        """A per-state-directory secret, so tokens stay valid across restarts."""
        key = f"secret.{name}"
        value = self.store.get_meta(key)
        if value is None:
            value = secrets.token_bytes(32)
            self.store.set_meta(key, value)
        return value

    # -- data-plane infrastructure, created on first use -------------------------------------------
    @cached_property
    def addresses(self) -> AddressAllocator:
        """Loopback addresses for engine nodes and listeners: one allocator, so no two collide and
        an AZ's nodes can be cut off as a set."""
        return AddressAllocator(str(self.state_dir), enabled=self.config.loopback_addresses)

    @cached_property
    def supervisor(self) -> "Supervisor":
        from regionbox.engines import Supervisor

        return Supervisor(self.state_dir / "engines", self.addresses, bus=self.bus, topology=self.topology)

    @cached_property
    def proxies(self) -> "ProxyHub":
        from regionbox.engines import ProxyHub

        return ProxyHub()

    @cached_property
    def listeners(self) -> "Listeners":
        from regionbox.core.listeners import Listeners

        return Listeners(self.addresses, self.topology, self.bus)

    @cached_property
    def ca(self) -> "LocalCA":
        from regionbox.core.tls import LocalCA, ca_directory

        return LocalCA(ca_directory(self.state_dir))

    def _created(self, name: str) -> bool:
        return name in self.__dict__

    # -- lifecycle --------------------------------------------------------------------------------
    async def start(self) -> None:
        await self.services.start()
        if (self.state_dir / "engines").exists():
            # Services have claimed the engine nodes in their state; the rest an earlier run
            # left behind (it was killed) are not anyone's any more.
            self.supervisor.reap_unclaimed()
        self.ready = True
        # Ready first; then, while nothing is asked of it, import what every first request of any
        # service needs (botocore's model machinery: ~90 ms), off the event loop.
        if self.config.warm_up:
            threading.Thread(target=_warm_up, name="regionbox-warm-up", daemon=True).start()

    async def stop(self) -> None:
        self.ready = False
        await self.services.stop()
        await self.tasks.cancel()
        if self._created("listeners"):
            await self.listeners.close_all()
        if self._created("supervisor"):
            await self.supervisor.close()
        if self._created("proxies"):
            self.proxies.shutdown()
        self.audit.flush()
        self.store.close()
        self.config.cleanup()

    async def reset(self) -> None:
        await self.services.reset()
        if self._created("listeners"):
            await self.listeners.close_all()
        if self._created("supervisor"):
            await self.supervisor.reset()
        self.store.reset()
        self.topology.reset()

    def engines(self) -> dict[str, str]:
        """Which engines run real and which embedded (a fact of this machine), and what loaded
        services add (where the local CA is ...)."""
        from regionbox.engines import kinds

        found = {engine: kinds.describe(engine) for engine in kinds.ENGINES}
        # TLS clients (ElastiCache in-transit encryption, FTPS, HTTPS listeners) trust this CA.
        found["tls-ca"] = f"local CA certificate {self.state_dir / 'tls' / 'ca.pem'} (printed by: regionbox ca-cert)"
        # Which Lambda runtimes this machine runs (is node installed?), before Lambda is loaded.
        from regionbox.services.lambda_.runtimes import describe_machine
        return found | describe_machine(self.config.lambda_python, self.config.lambda_node) | self.services.engines()

    def status(self) -> dict:
        return {
            "version": __import__("regionbox").__version__,
            "endpoint": f"http://{self.config.host}:{self.config.port}",
            "state_dir": str(self.state_dir),
            "ephemeral": self.config.ephemeral,
            "iam_enforcement": "on" if self.config.iam_enforcement else "off",
            "services": self.services.states(),
            "engines": self.engines(),
            "zones_down": sorted(self.topology.down),
            "background_failures": [{"owner": f.owner, "what": f.what, "error": f.error, "at": f.at}
                                    for f in self.tasks.failures],
        }


def _warm_up() -> None:
    from importlib import import_module

    from regionbox.protocol.specs import _loader

    _loader()
    for module in ("botocore.model", "regionbox.protocol.query", "regionbox.protocol.json", "regionbox.protocol.restjson",
                   "regionbox.protocol.restxml", "regionbox.protocol.cbor", "regionbox.protocol.ec2"):
        import_module(module)


def build_app(cloud: Cloud):
    from regionbox.gateway.app import Gateway

    return Gateway(cloud)


def protocol_class(config: Config) -> type:
    """uvicorn's HTTP protocol with the cloud's deadline for request headers and the process's
    descriptor budget (gateway/connections.py)."""
    from regionbox.gateway.connections import GuardedHttpProtocol, connection_budget

    return type("CloudHttpProtocol", (GuardedHttpProtocol,),
                {"header_timeout": config.header_timeout, "budget": connection_budget()})


def websocket_protocol_class() -> type | str:
    """uvicorn's WebSocket protocol, lighter per idle connection (gateway/connections.py)."""
    from regionbox.gateway.connections import light_websocket_protocol

    return light_websocket_protocol()


def uvicorn_config(cloud: Cloud, **overrides):
    import uvicorn

    options = dict(
        host=cloud.config.host,
        port=cloud.config.port,
        lifespan="on",
        log_level="warning",
        access_log=False,
        http=protocol_class(cloud.config),
        loop="uvloop",
        timeout_keep_alive=cloud.config.keep_alive_timeout,
        # WebSockets (AppSync's real-time subscriptions) without permessage-deflate: its zlib state
        # costs every idle connection tens of KB, and AppSync's small JSON messages gain nothing.
        ws_per_message_deflate=False,
        ws=websocket_protocol_class(),
    )
    options.update(overrides)
    try:
        import uvloop  # noqa: F401
    except ImportError:
        options["loop"] = "asyncio"
    return uvicorn.Config(build_app(cloud), **options)


def serve(config: Config) -> None:
    import uvicorn

    cloud = Cloud(config)
    server = uvicorn.Server(uvicorn_config(cloud))
    asyncio.run(server.serve())
