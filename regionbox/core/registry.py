"""The services the cloud serves, loaded on first use.

``regionbox/services/__init__.py`` lists them: botocore service name -> ``Entry`` (the package,
and which plain-HTTP or WebSocket requests reach its data plane). A service is loaded (its
package imported, ``load(cloud)`` called, its registration table checked against its botocore
model) the first time a request or another service needs it, or when the cloud starts if the
store holds resources of it (their engines and background work must come back). A cloud asked
only for DynamoDB never imports ElastiCache.
"""

from __future__ import annotations

import asyncio
import fnmatch
import functools
import logging
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

from regionbox.core.errors import ServiceError
from regionbox.core.service import Service

if TYPE_CHECKING:
    from regionbox.server import Cloud

log = logging.getLogger("regionbox.services")


@dataclass(frozen=True)
class Entry:
    package: str  # "regionbox.services.elasticache": has load(cloud) -> Service
    # Data-plane requests on the cloud's own port, by Host (fnmatch patterns without the port:
    # "*.execute-api.localhost") or by path prefix ("/graphql"), for HTTP and for WebSockets.
    hosts: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    websocket_paths: tuple[str, ...] = ()
    # WebSockets by Host (AppSync's "<api>.appsync-realtime-api.<region>.localhost"), same patterns as ``hosts``.
    websocket_hosts: tuple[str, ...] = ()
    # Requests that carry no signature and name no other service's operation are this service's
    # (S3: anonymous reads of public objects). One entry at most.
    unsigned: bool = False
    # Browser form uploads (POST multipart/form-data) on any path reach this data plane (S3's POST Object).
    form_posts: bool = False

    def wants(self, host: str, path: str, websocket: bool = False, form_post: bool = False) -> bool:
        host = host.rsplit(":", 1)[0].lower() if host and not host.endswith("]") else host.lower()
        if websocket:
            return _matches_host(self.websocket_hosts, host) or path.startswith(self.websocket_paths)
        return (form_post and self.form_posts) or _matches_host(self.hosts, host) or path.startswith(self.paths)


@functools.lru_cache(maxsize=1024)
def _matches_host(patterns: tuple[str, ...], host: str) -> bool:
    """Whether a Host matches one of an entry's patterns (asked on every request, for a few hosts)."""
    return any(fnmatch.fnmatchcase(host, pattern) for pattern in patterns)


class ServiceUnavailable(ServiceError):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__("ServiceUnavailable", f"The {name} service of regionbox failed to load: {reason}",
                         status=503, sender_fault=False)


class ServiceRegistry:
    def __init__(self, cloud: "Cloud", entries: dict[str, Entry]) -> None:
        self.cloud = cloud
        self.entries = entries
        self.loaded: dict[str, Service] = {}
        self.failed: dict[str, str] = {}
        self._started: dict[str, asyncio.Task] = {}
        self.running = False
        # The entries that declared data planes on the main port: the only ones every request asks.
        self._data_planes = {name: entry for name, entry in entries.items()
                             if entry.hosts or entry.paths or entry.websocket_paths or entry.websocket_hosts
                             or entry.form_posts}
        # Host names a service's resources own (API Gateway's custom domain names) -> that service.
        self._claimed_hosts: dict[str, str] = {}

    @property
    def names(self) -> list[str]:
        return sorted(self.entries)

    # -- loading ---------------------------------------------------------------------------------
    def load(self, name: str) -> Service:
        """The service, loaded now if it was not (and started, when the cloud is running)."""
        service = self.loaded.get(name)
        if service is not None:
            return service
        if name in self.failed:
            raise ServiceUnavailable(name, self.failed[name])
        entry = self.entries.get(name)
        if entry is None:
            raise KeyError(name)
        from regionbox.protocol.specs import service_model

        try:
            service = import_module(entry.package).load(self.cloud)
            service.check_against(service_model(name).operation_names)
        except Exception as exc:  # noqa: BLE001 - one broken service must not take the cloud down
            log.exception("service %s failed to load", name)
            self.failed[name] = f"{type(exc).__name__}: {exc}"
            raise ServiceUnavailable(name, self.failed[name]) from exc
        self.loaded[name] = service
        if self.running:
            self._started[name] = asyncio.get_running_loop().create_task(self._start(service))
        return service

    async def ready(self, name: str) -> Service:
        """The service, loaded and started: what a request for it waits on."""
        service = self.load(name)
        starting = self._started.get(name)
        if starting is not None and not starting.done():
            await asyncio.shield(starting)
        if name in self.failed:
            raise ServiceUnavailable(name, self.failed[name])
        return service

    def api(self, name: str) -> Any:
        """What ``name`` offers other services (its ``Service.api``), loading it if needed."""
        return self.load(name).api

    def claim_host(self, host: str, name: str | None) -> None:
        """Plain HTTP requests whose Host is ``host`` go to service ``name``'s data plane (a name one
        of its resources owns: an API Gateway custom domain name); None gives the name up."""
        if name is None:
            self._claimed_hosts.pop(host.lower(), None)
        else:
            self._claimed_hosts[host.lower()] = name

    def for_http(self, host: str, path: str, websocket: bool = False, form_post: bool = False) -> str | None:
        """The service whose data plane a plain HTTP (or WebSocket) request is for, if any."""
        if self._claimed_hosts and not websocket:
            claimed = self._claimed_hosts.get(host.rsplit(":", 1)[0].lower() if not host.endswith("]") else host)
            if claimed is not None:
                return claimed
        return next((name for name, entry in self._data_planes.items()
                     if entry.wants(host, path, websocket, form_post)), None)

    @property
    def unsigned_fallback(self) -> str | None:
        """The service that takes unsigned requests naming no operation of another (Entry.unsigned)."""
        return next((name for name, entry in self.entries.items() if entry.unsigned), None)

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        """Load every service that has stored resources, then start every loaded one."""
        in_use = {collection.split(".", 1)[0] for collection in self.cloud.store.collections_in_use()}
        for name in self.names:
            if name in in_use:
                try:
                    self.load(name)
                except ServiceUnavailable:
                    pass  # reported by status; the rest of the cloud serves
        self.running = True
        for name, service in list(self.loaded.items()):
            if name not in self._started:
                self._started[name] = asyncio.get_running_loop().create_task(self._start(service))
        await asyncio.gather(*self._started.values(), return_exceptions=True)

    async def _start(self, service: Service) -> None:
        if service.start is None:
            return
        try:
            result = service.start()
            if asyncio.iscoroutine(result):
                await result
        except Exception as exc:  # noqa: BLE001 - reported by status and by every request for it
            log.exception("service %s failed to start", service.name)
            self.failed[service.name] = f"{type(exc).__name__}: {exc}"

    async def stop(self) -> None:
        self.running = False
        for service in list(self.loaded.values()):
            await self._call(service, service.stop, "stopping")
            await self.cloud.tasks.cancel(service.name)

    async def reset(self) -> None:
        for service in list(self.loaded.values()):
            await self.cloud.tasks.cancel(service.name)
            await self._call(service, service.reset, "resetting")

    @staticmethod
    async def _call(service: Service, hook, what: str) -> None:
        if hook is None:
            return
        try:
            result = hook()
            if asyncio.iscoroutine(result):
                await result
        except Exception:  # noqa: BLE001 - one service's failure must not stop the others'
            log.exception("%s %s failed", what, service.name)

    # -- reports ---------------------------------------------------------------------------------
    def states(self) -> dict[str, str]:
        """name -> "running" | "not loaded" | "failed: ..."."""
        return {name: (f"failed: {self.failed[name]}" if name in self.failed
                       else "running" if name in self.loaded else "not loaded (loads on first use)")
                for name in self.names}

    def engines(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for service in self.loaded.values():
            if service.engines is not None:
                found.update(service.engines())
        return found

    def coverage(self) -> dict[str, Any]:
        """{"services": {name: {"implemented": [...], "not_implemented": {op: why}}}} for every
        served service (loading each one: the registration table is the report)."""
        from regionbox.protocol.specs import service_model

        report: dict[str, Any] = {}
        for name in self.names:
            try:
                service = self.load(name)
            except ServiceUnavailable as exc:
                report[name] = {"implemented": [], "not_implemented": {}, "error": exc.message}
                continue
            report[name] = service.coverage(service_model(name).operation_names)
        return {"services": report}
