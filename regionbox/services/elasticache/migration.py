"""Online migration from a self-managed Redis OSS into a replication group: TestMigration,
StartMigration, CompleteMigration.

As on AWS, the group's primary becomes a replica of the customer's Redis (REPLICAOF its endpoint)
while the migration runs: the data arrives by Redis's own replication and the group's replicas
follow their primary. The group is "migrating" meanwhile; CompleteMigration makes the primary
take writes again once it is in sync (MigrationHealthFault if it is not, unless Force). The source
is reached without credentials, as AWS requires of it (no AUTH, no TLS), so the primary leaves
regionbox's own replication credentials out while it replicates from it. A restart of regionbox
keeps the migration going (the primary's settings say whom it replicates). TestMigration checks
that the source answers, as a replica would reach it, and says so in an event.

With ServerlessCacheName, StartMigration and CompleteMigration are the serverless variant's
(``serverless_migration.py``).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.events import EventLog
from regionbox.services.elasticache.models import ReplicationGroup
from regionbox.services.elasticache.nodes import ADMIN_USER, RedisNodes
from regionbox.services.elasticache.replication_groups import describe_group
from regionbox.services.elasticache.state import ElastiCacheState

if TYPE_CHECKING:
    from regionbox.services.elasticache.serverless_migration import ServerlessMigrations

CONNECT_TIMEOUT = 5.0


def _source(params: dict) -> tuple[str, int]:
    endpoints = params.get("CustomerNodeEndpointList") or []
    if len(endpoints) != 1:
        raise check.invalid("For Valkey or Redis OSS (cluster mode disabled), CustomerNodeEndpointList must have exactly one "
                            "element.")
    address, port = endpoints[0].get("Address"), endpoints[0].get("Port")
    if not address or not port:
        raise check.invalid("Each customer node endpoint must have an Address and a Port.")
    return address, int(port)


async def ping(address: str, port: int) -> str | None:
    """None when a Redis answers PING at the address without credentials, else why not."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(address, port), CONNECT_TIMEOUT)
    except (OSError, asyncio.TimeoutError) as error:
        return f"cannot connect to {address}:{port}: {error or 'timed out'}"
    try:
        writer.write(b"PING\r\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), CONNECT_TIMEOUT)
        return None if line.startswith(b"+PONG") else f"{address}:{port} answered {line.decode(errors='replace').strip()!r}"
    except (OSError, asyncio.TimeoutError) as error:
        return f"{address}:{port} did not answer: {error or 'timed out'}"
    finally:
        writer.close()


class Migrations:
    def __init__(self, state: ElastiCacheState, nodes: RedisNodes, serverless: "ServerlessMigrations", events: EventLog,
                 tasks: Tasks) -> None:
        self.state = state
        self.serverless = serverless
        self.nodes = nodes
        self.events = events
        self.tasks = tasks

    def _target(self, scope: Scope, params: dict) -> ReplicationGroup:
        if not params.get("ReplicationGroupId"):
            raise check.invalid("The parameter ReplicationGroupId must be provided.")
        return self.state.visible_group(scope, params["ReplicationGroupId"])

    def _checked(self, rg: ReplicationGroup) -> None:
        if rg.migration_source:
            raise ServiceError("ReplicationGroupAlreadyUnderMigrationFault",
                               f"Replication group {rg.replication_group_id} is already under migration.")
        if rg.status != "available":
            raise ServiceError("InvalidReplicationGroupState", f"Replication group {rg.replication_group_id} is not in available state.")
        if rg.cluster_enabled:
            raise check.invalid_combination("Online migration into a Redis OSS (cluster mode enabled) replication group is not "
                                            "supported by regionbox: its nodes cannot replicate from an outside Redis.")
        if rg.transit_encryption or rg.auth_token_enabled or rg.user_group_ids:
            raise check.invalid_combination("Online migration needs a target replication group without encryption in transit, "
                                            "AUTH or user groups.")
        if rg.global_group_id:
            raise check.invalid_combination(f"Replication group {rg.replication_group_id} is a member of global datastore "
                                            f"{rg.global_group_id}.")

    # -- TestMigration -------------------------------------------------------------------------------------
    def test_migration(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        rg = self._target(scope, params)
        self._checked(rg)
        address, port = _source(params)
        self.tasks.spawn(self._test(scope, rg.replication_group_id, address, port), owner="elasticache",
                         what=f"testing migration into {rg.replication_group_id}")
        return {"ReplicationGroup": describe_group(self.state, scope, rg)}

    async def _test(self, scope: Scope, group_id: str, address: str, port: int) -> None:
        problem = await ping(address, port)
        message = (f"Test migration from {address}:{port} succeeded" if problem is None
                   else f"Test migration from {address}:{port} failed: {problem}")
        self.events.record(scope, group_id, "replication-group", message)

    # -- StartMigration ------------------------------------------------------------------------------------
    def start_migration(self, ctx: RequestContext, params: dict):
        if params.get("ServerlessCacheName"):
            return self.serverless.start_migration(ctx, params)
        scope = ctx.scope
        rg = self._target(scope, params)
        self._checked(rg)
        address, port = _source(params)
        with self.state.transaction():
            rg.migration_source = f"{address}:{port}"
            rg.status = "migrating"
            self.state.save_group(scope, rg)
        self.tasks.spawn(self._replicate_from(scope, rg.replication_group_id, address, port), owner="elasticache",
                         what=f"migrating into {rg.replication_group_id}")
        return {"ReplicationGroup": describe_group(self.state, scope, rg)}

    async def _replicate_from(self, scope: Scope, group_id: str, address: str, port: int) -> None:
        rg = self.state.group(scope, group_id)
        primary = rg.node_groups[0].primary
        # The source knows nothing of regionbox's replication user: the primary connects without it.
        await self.nodes.command(scope, rg, primary, "CONFIG", "SET", "masteruser", "", "masterauth", "")
        await self.nodes.command(scope, rg, primary, "REPLICAOF", address, str(port))
        self.events.record(scope, group_id, "replication-group", f"Migration from {address}:{port} started")

    # -- CompleteMigration ---------------------------------------------------------------------------------
    async def complete_migration(self, ctx: RequestContext, params: dict) -> dict:
        if params.get("ServerlessCacheName"):
            return await self.serverless.complete_migration(ctx, params)
        scope = ctx.scope
        rg = self._target(scope, params)
        if not rg.migration_source:
            raise ServiceError("ReplicationGroupNotUnderMigrationFault",
                               f"Replication group {rg.replication_group_id} is not under migration.")
        if not params.get("Force") and not await self._in_sync(scope, rg):
            raise ServiceError("MigrationHealthFault", f"The data of replication group {rg.replication_group_id} is not in sync "
                                                       f"with {rg.migration_source}: complete the migration once it is, or with Force.")
        with self.state.transaction():
            rg.migration_source = None
            rg.status = "available"
            self.state.save_group(scope, rg)
        self.tasks.spawn(self._stop_replicating(scope, rg.replication_group_id), owner="elasticache",
                         what=f"completing migration into {rg.replication_group_id}")
        return {"ReplicationGroup": describe_group(self.state, scope, rg)}

    async def _in_sync(self, scope: Scope, rg: ReplicationGroup) -> bool:
        try:
            info = await self.nodes.command(scope, rg, rg.node_groups[0].primary, "INFO", "replication")
        except Exception:  # noqa: BLE001 - a primary that does not answer is not in sync
            return False
        return info.get("role") == "slave" and info.get("master_link_status") == "up"

    async def _stop_replicating(self, scope: Scope, group_id: str) -> None:
        rg = self.state.group(scope, group_id)
        primary = rg.node_groups[0].primary
        await self.nodes.command(scope, rg, primary, "REPLICAOF", "NO", "ONE")
        await self.nodes.command(scope, rg, primary, "CONFIG", "SET", "masteruser", ADMIN_USER, "masterauth", self.nodes.admin_password)
        self.events.record(scope, group_id, "replication-group", "Migration completed")
