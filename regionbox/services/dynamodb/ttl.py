"""Time to Live: a background task deletes expired items, as DynamoDB's sweeper does.

Every ``interval`` seconds (REGIONBOX_DYNAMODB_TTL_INTERVAL, default 2) it asks storage for items
of TTL-enabled tables whose TTL attribute (epoch seconds) has passed — an indexed lookup, never
a scan — and deletes each one, with its index rows, as one write. A table with a stream gets a
REMOVE record for each, whose userIdentity is the DynamoDB service principal, so consumers can
tell expiry from user deletes. Values more than five years in the past are ignored, as AWS does.
The same task keeps the rest of DynamoDB's time-bound state in shape: it trims stream records
older than 24 hours and runs the ``housekeeping`` it was given (point-in-time history past its
window, expired SYSTEM backups).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable, Sequence

from regionbox.core.tasks import Tasks
from regionbox.services.dynamodb.state import DynamoDBState
from regionbox.services.dynamodb.writes import Writer

log = logging.getLogger("regionbox.dynamodb.ttl")

SERVICE_IDENTITY = {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
FIVE_YEARS = 5 * 365 * 24 * 3600
BATCH = 200


class TtlSweeper:
    def __init__(self, state: DynamoDBState, writer: Writer, tasks: Tasks, interval: float,
                 housekeeping: Sequence[Callable[[], None]] = ()) -> None:
        self.state = state
        self.writer = writer
        self.tasks = tasks
        self.interval = interval
        self.housekeeping = housekeeping

    def start(self) -> None:
        # A periodic sweep has no resource to mark failed: one failed sweep is logged and the
        # next one runs (below), and cloud.tasks cancels the loop when the service stops or resets.
        self.tasks.spawn(self._run(), owner="dynamodb", what="sweeping expired items and stream records")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.sweep()
                self.state.streams.trim()
                for chore in self.housekeeping:
                    chore()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - keep sweeping; one bad table must not stop TTL
                log.exception("TTL sweep failed")

    async def sweep(self, now: float | None = None) -> int:
        """Delete every expired item now; returns how many. Yields to the loop between batches."""
        state = self.state
        now = now or time.time()
        deleted = 0
        for scope, name, table in list(state.tables.all()):
            if table.ttl_status != "ENABLED" or table.status != "ACTIVE":
                continue
            while True:
                table = state.tables.get(scope, name)
                if table is None or table.ttl_status != "ENABLED":
                    break
                expired = state.items.expired(table.tid, now, BATCH)
                if not expired:
                    break
                schema = state.schema(table)
                payloads = []
                with state.store.transaction():
                    for item in expired:
                        ttl = float(item[table.ttl_attribute]["N"])
                        if ttl < now - FIVE_YEARS:
                            # Not an expiry AWS honours; clear the marker so it is not picked again.
                            state.items.clear_ttl(schema, item)
                            continue
                        payloads.extend(self.writer.commit_write(scope, table, schema, item, None, SERVICE_IDENTITY))
                        deleted += 1
                self.writer.publish(payloads)
                await asyncio.sleep(0)
        return deleted
