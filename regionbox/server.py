"""The cloud: state, topology, providers, and the HTTP server that serves them."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from importlib import import_module
from pathlib import Path

from regionbox.config import Config
from regionbox.core.audit import AuditTrail
from regionbox.core.credentials import CredentialRegistry
from regionbox.core.events import EventBus
from regionbox.core.pagination import Paginator
from regionbox.core.store import Store
from regionbox.core.topology import Topology
from regionbox.services import PROVIDERS
from regionbox.services.base import Provider

log = logging.getLogger("regionbox")


class Cloud:
    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        self.started_at = time.time()
        self.state_dir: Path = self.config.resolve_state_dir()
        self.store = Store(self.state_dir / "state.db")
        self.bus = EventBus()
        self.topology = Topology(self.bus, self.store)
        self.credentials = CredentialRegistry(self.store, self.config.default_account)
        self.paginator = Paginator(self._secret("pagination"))
        self.audit = AuditTrail(self.store)
        self.providers: dict[str, Provider] = {}
        self.failed_providers: dict[str, str] = {}
        for spec in PROVIDERS:
            module_name, class_name = spec.split(":")
            try:
                cls = getattr(import_module(module_name), class_name)
            except Exception as exc:  # noqa: BLE001 - report a broken service, serve the rest
                log.exception("service %s failed to load", spec)
                self.failed_providers[module_name] = repr(exc)
                continue
            self.providers[cls.service] = cls(self)
        self.ready = False

    def _secret(self, name: str) -> bytes:
        """A per-state-directory secret, so tokens stay valid across restarts."""
        key = f"secret.{name}"
        value = self.store.get_meta(key)
        if value is None:
            value = secrets.token_bytes(32)
            self.store.set_meta(key, value)
        return value

    async def start(self) -> None:
        for provider in self.providers.values():
            await provider.start()
        self.ready = True

    async def stop(self) -> None:
        self.ready = False
        for provider in self.providers.values():
            try:
                await provider.stop()
            except Exception:  # noqa: BLE001 - stop the others regardless
                log.exception("stopping %s failed", provider.service)
        self.audit.flush()
        self.store.close()
        self.config.cleanup()

    async def reset(self) -> None:
        for provider in self.providers.values():
            await provider.reset()
        self.store.reset()
        self.topology.reset()

    def status(self) -> dict:
        engines = {}
        for name, provider in self.providers.items():
            engines.update(provider.engines())
        return {
            "version": __import__("regionbox").__version__,
            "endpoint": f"http://{self.config.host}:{self.config.port}",
            "state_dir": str(self.state_dir),
            "ephemeral": self.config.ephemeral,
            "services": {name: "running" for name in sorted(self.providers)} | {m: f"failed: {e}" for m, e in self.failed_providers.items()},
            "engines": engines,
            "zones_down": sorted(self.topology.down),
        }


def build_app(cloud: Cloud):
    from regionbox.gateway.app import Gateway

    return Gateway(cloud)


def uvicorn_config(cloud: Cloud, **overrides):
    import uvicorn

    options = dict(
        host=cloud.config.host,
        port=cloud.config.port,
        lifespan="on",
        log_level="warning",
        access_log=False,
        http="httptools",
        loop="uvloop",
        timeout_keep_alive=65,
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
