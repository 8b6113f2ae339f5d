"""Time to Live: a background task deletes expired items, as DynamoDB's sweeper does.

Every ``interval`` seconds (REGIONBOX_DYNAMODB_TTL_INTERVAL, default 2) it asks storage for items
of TTL-enabled tables whose TTL attribute (epoch seconds) has passed — an indexed lookup, never
a scan — and deletes each one, with its index rows, as one write. A table with a stream gets a
REMOVE record for each, whose userIdentity is the DynamoDB service principal, so consumers can
tell expiry from user deletes. Values more than five years in the past are ignored, as AWS does.
The same task trims stream records older than 24 hours.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from regionbox.services.dynamodb.provider import DynamoDBProvider

log = logging.getLogger("regionbox.dynamodb.ttl")

SERVICE_IDENTITY = {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
FIVE_YEARS = 5 * 365 * 24 * 3600
BATCH = 200


class TtlSweeper:
    def __init__(self, provider: "DynamoDBProvider"):
        self.provider = provider
        self.interval = provider.cloud.config.dynamodb_ttl_interval
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - stopping anyway
                pass
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.sweep()
                self.provider.streams.trim()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - keep sweeping; one bad table must not stop TTL
                log.exception("TTL sweep failed")

    async def sweep(self, now: float | None = None) -> int:
        """Delete every expired item now; returns how many. Yields to the loop between batches."""
        provider = self.provider
        now = now or time.time()
        deleted = 0
        for scope, name, table in list(provider.tables.all()):
            if table.ttl_status != "ENABLED" or table.status != "ACTIVE":
                continue
            while True:
                table = provider.tables.get(scope, name)
                if table is None or table.ttl_status != "ENABLED":
                    break
                expired = [item for item in provider.items.expired(table.tid, now, BATCH)]
                if not expired:
                    break
                schema = provider.schema(table)
                payloads = []
                with provider.store.transaction():
                    for item in expired:
                        ttl = float(item[table.ttl_attribute]["N"])
                        if ttl < now - FIVE_YEARS:
                            # Not an expiry AWS honours; clear the marker so it is not picked again.
                            provider.items.clear_ttl(schema, item)
                            continue
                        payloads.extend(provider.commit_write(scope, table, schema, item, None, SERVICE_IDENTITY))
                        deleted += 1
                provider.publish(scope, payloads)
                await asyncio.sleep(0)
        return deleted
