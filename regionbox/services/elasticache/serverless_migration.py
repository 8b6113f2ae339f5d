"""Migration from a self-managed Redis OSS into a serverless cache: PrepareMigration, StartMigration
and CompleteMigration with ServerlessCacheName, StopMigration.

A serverless cache runs on cluster-mode nodes, which cannot replicate from a Redis outside their
cluster. So the data sync runs through a helper node: a plain Redis/Valkey that is a real replica
of the source (the engine's own replication, full sync then the stream), with keyspace
notifications on. A mirror copies every key the helper holds into the cache (DUMP and PTTL from
the helper, RESTORE REPLACE into the cache's primary), first all of them, then each key a
notification names, so the cache converges on the source whatever order writes come in (copies are
of a key's state, never a replay of its commands). Once the helper has synchronised and the first
copy is done the migration is in sync: CompleteMigration then cuts over (MigrationHealthFault
before, unless Force), or it cuts over by itself with AutoCutover.

Migration statuses (the cache's ``Migration``): "ready" after PrepareMigration checked the source,
"syncing" while the data flows, "stopped" after StopMigration (StartMigration again needs
ClearTargetCacheData), and none once complete. After a restart of regionbox a syncing migration
starts over with a new helper (the copies are idempotent). The source is reached without AUTH or
TLS (SourceAuthenticationConfiguration and SourceTlsConfiguration other than none are refused).
"""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

from redis.exceptions import ConnectionError as RedisConnectionError

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.engines import NodeSpec
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.events import EventLog
from regionbox.services.elasticache.models import ServerlessCache
from regionbox.services.elasticache.nodes import RedisNodes, node_key
from regionbox.services.elasticache.serverless import ServerlessCaches, available_cache
from regionbox.services.elasticache.state import ElastiCacheState

log = logging.getLogger("regionbox.elasticache")

SYNC_TIMEOUT = 60.0
_PLAIN = SimpleNamespace(transit_encryption=False)  # the helper node speaks plain TCP on loopback


def not_under_migration(name: str) -> ServiceError:
    return ServiceError("ServerlessCacheNotUnderMigrationFault", f"Serverless cache {name} is not under migration.")


class ServerlessMigrations:
    def __init__(self, state: ElastiCacheState, nodes: RedisNodes, caches: ServerlessCaches, events: EventLog, tasks: Tasks,
                 ping) -> None:
        self.state = state
        self.nodes = nodes
        self.caches = caches
        self.events = events
        self.tasks = tasks
        self.ping = ping  # (address, port) -> why a Redis does not answer there, or None
        self.mirrors: dict[tuple[Scope, str], asyncio.Task] = {}
        self.in_sync: set[tuple[Scope, str]] = set()

    def _cache(self, scope: Scope, name: str) -> ServerlessCache:
        cache = self.state.serverless_cache(scope, name)
        if cache.engine == "memcached":
            raise check.invalid_combination("Migration is supported for Valkey and Redis OSS serverless caches only.")
        return cache

    def _save(self, scope: Scope, cache: ServerlessCache) -> None:
        self.state.serverless_caches.put(scope, cache.name, cache)

    # -- PrepareMigration -------------------------------------------------------------------------------
    async def prepare_migration(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        cache = self._cache(scope, params["ServerlessCacheName"])
        available_cache(self.state, scope, cache.name)
        if cache.migration_status:
            raise ServiceError("ServerlessCacheAlreadyUnderMigrationFault", f"Serverless cache {cache.name} is already under migration.")
        endpoints = params.get("CustomerNodeEndpointList") or []
        if len(endpoints) != 1 or not endpoints[0].get("Address") or not endpoints[0].get("Port"):
            raise check.invalid("For serverless cache migrations, CustomerNodeEndpointList must have exactly one element with an "
                                "Address and a Port.")
        for name in ("SourceAuthenticationConfiguration", "SourceTlsConfiguration"):
            setting = params.get(name) or {}
            if any(value not in (None, "", False, "none", "NONE", "disabled") for key, value in setting.items() if key != "Type") or \
                    setting.get("Type") not in (None, "none", "NONE", "disabled"):
                raise check.invalid_combination(f"{name} is not supported by regionbox: the source is reached without AUTH or TLS.")
        address, port = endpoints[0]["Address"], int(endpoints[0]["Port"])
        problem = await self.ping(address, port)
        if problem is not None:
            raise check.invalid(f"The source {address}:{port} cannot be reached: {problem}")
        cache = self.state.serverless_cache(scope, cache.name)
        cache.migration_source, cache.migration_status = f"{address}:{port}", "ready"
        self._save(scope, cache)
        return {"ServerlessCache": self.caches.describe(scope, cache)}

    # -- StartMigration -----------------------------------------------------------------------------------
    async def start_migration(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        cache = self._cache(scope, params["ServerlessCacheName"])
        if not cache.migration_status:
            raise not_under_migration(cache.name)
        if cache.migration_status == "syncing":
            raise ServiceError("InvalidServerlessCacheStateFault", f"Serverless cache {cache.name} is already syncing.")
        if cache.migration_status == "stopped" and not params.get("ClearTargetCacheData"):
            raise check.invalid_combination("After StopMigration, StartMigration needs ClearTargetCacheData to restart the data sync.")
        rg = self.state.group(scope, cache.backing_id)
        if params.get("ClearTargetCacheData"):
            await self.nodes.command(scope, rg, rg.node_groups[0].primary, "FLUSHALL")
        cache = self.state.serverless_cache(scope, cache.name)
        cache.migration_status = "syncing"
        cache.migration_cutover = "auto" if params.get("AutoCutover") else "manual"
        self._save(scope, cache)
        self._mirror(scope, cache.name)
        return {"ServerlessCache": self.caches.describe(scope, cache)}

    # -- StopMigration ------------------------------------------------------------------------------------
    async def stop_migration(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        cache = self._cache(scope, params["ServerlessCacheName"])
        if not cache.migration_status:
            raise not_under_migration(cache.name)
        if cache.migration_status != "syncing":
            raise ServiceError("InvalidServerlessCacheStateFault", f"The migration into serverless cache {cache.name} is not syncing "
                                                                   f"(current state: {cache.migration_status}).")
        await self._stop(scope, cache.name)
        cache = self.state.serverless_cache(scope, cache.name)
        cache.migration_status = "stopped"
        self._save(scope, cache)
        return {"ServerlessCache": self.caches.describe(scope, cache)}

    # -- CompleteMigration --------------------------------------------------------------------------------
    async def complete_migration(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        cache = self._cache(scope, params["ServerlessCacheName"])
        if not cache.migration_status:
            raise not_under_migration(cache.name)
        if not params.get("Force") and (scope, cache.name) not in self.in_sync:
            raise ServiceError("MigrationHealthFault", f"The data of serverless cache {cache.name} is not in sync with "
                                                       f"{cache.migration_source}: complete the migration once it is, or with Force.")
        await self._cut_over(scope, cache.name)
        return {"ServerlessCache": self.caches.describe(scope, self.state.serverless_cache(scope, cache.name))}

    async def _cut_over(self, scope: Scope, name: str) -> None:
        await self._stop(scope, name)
        cache = self.state.serverless_caches.get(scope, name)
        if cache is not None:
            cache.migration_source = cache.migration_status = None
            self._save(scope, cache)
            self.events.record(scope, name, "serverless-cache", f"Migration into serverless cache {name} completed")

    # -- the data sync ----------------------------------------------------------------------------------------
    def _helper_key(self, scope: Scope, cache: ServerlessCache) -> str:
        return node_key(scope, f"{cache.backing_id}-migration")

    def _mirror(self, scope: Scope, name: str) -> None:
        key = (scope, name)
        self.in_sync.discard(key)
        self.mirrors[key] = self.tasks.spawn(self._run(scope, name), owner="elasticache", what=f"migrating into {name}",
                                             on_failure=lambda error: self.events.record(
                                                 scope, name, "serverless-cache", f"Migration into serverless cache {name} failed: {error}"))

    async def _stop(self, scope: Scope, name: str) -> None:
        key = (scope, name)
        self.in_sync.discard(key)
        task = self.mirrors.pop(key, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        cache = self.state.serverless_caches.get(scope, name)
        if cache is not None:
            await self.nodes.supervisor.stop(self._helper_key(scope, cache), delete_data=True)

    async def _run(self, scope: Scope, name: str) -> None:
        cache = self.state.serverless_cache(scope, name)
        rg = self.state.group(scope, cache.backing_id)
        address, _, port = (cache.migration_source or "").rpartition(":")
        key = self._helper_key(scope, cache)
        data_dir = self.nodes.engine_root / key
        self.nodes.write_acl_file(data_dir, rg.engine, ["user default off"])
        helper = await self.nodes.supervisor.start(NodeSpec(
            node_id=key, engine=rg.engine, version=rg.engine_version, zone=self.state.cluster(scope, rg.node_groups[0].primary).zone,
            port=6379, data_dir=data_dir,
            options={**self.nodes.base_options(data_dir), "replicaof": f"{address} {port}", "notify-keyspace-events": "KA",
                     "save": "", "appendonly": "no"}))
        source = self.nodes.client(_PLAIN, helper, decode=False)
        events = source.pubsub()
        target = _Target(self.nodes, scope, rg)
        try:
            await self._wait_synced(source)
            # Notifications first, so no change between the first copy and them is missed.
            await events.psubscribe("__keyspace@0__:*")
            async for key in source.scan_iter(count=500):
                await target.copy(source, key)
            self.in_sync.add((scope, name))
            self.events.record(scope, name, "serverless-cache", f"Migration into serverless cache {name} is in sync")
            if cache.migration_cutover == "auto":
                await self._cut_over(scope, name)
                return
            while True:
                message = await events.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is not None:
                    await target.copy(source, message["channel"].split(b":", 1)[1])
        finally:
            await events.aclose()
            await source.aclose()
            await target.close()

    async def _wait_synced(self, source) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SYNC_TIMEOUT
        while True:
            try:
                info = await source.info("replication")
            except Exception:  # noqa: BLE001 - the helper is still starting
                info = {}
            if info.get("master_link_status") == "up":
                return
            if loop.time() >= deadline:
                raise TimeoutError(f"the helper replica did not synchronise with the source within {SYNC_TIMEOUT:.0f}s")
            await asyncio.sleep(0.05)

    def resume(self) -> None:
        """After a restart of regionbox: a syncing migration starts over with a new helper."""
        for scope, name, cache in list(self.state.serverless_caches.all()):
            if cache.migration_status == "syncing":
                self._mirror(scope, name)


class _Target:
    """The cache's primary, one admin connection for the whole sync (a new one if it fails over)."""

    def __init__(self, nodes: RedisNodes, scope: Scope, rg) -> None:
        self.nodes, self.scope, self.rg = nodes, scope, rg
        self.client = None

    async def copy(self, source, key: bytes) -> None:
        """The key's state now, copied into the cache (gone from the source: gone from the cache)."""
        payload = await source.dump(key)
        ttl = await source.pttl(key) if payload is not None else 0
        args = ("DEL", key) if payload is None else ("RESTORE", key, max(ttl, 0), payload, "REPLACE")
        for attempt in range(2):
            if self.client is None:
                node = self.nodes.node(self.scope, self.rg.node_groups[0].primary)
                if node is None:
                    raise ConnectionError("the serverless cache's primary is not running")
                self.client = self.nodes.client(self.rg, node)
            try:
                await self.client.execute_command(*args)
                return
            except (RedisConnectionError, OSError):
                await self.close()
                if attempt:
                    raise

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()
            self.client = None
