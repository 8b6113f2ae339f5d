"""DynamoDB: tables (tables.py), items (items.py), Query/Scan (query.py), on a SQLite engine
(storage.py) with streams (streams.py) and TTL expiry (ttl.py).

Every operation runs on the event loop thread and does its read-check-write without awaiting
in between, so a conditional write or a transaction is atomic with respect to every other
request; each commit is one SQLite transaction, durable before the response is sent.
"""

from __future__ import annotations

import asyncio
from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.base import Provider
from regionbox.services.dynamodb.items import ItemOperations
from regionbox.services.dynamodb.models import Table
from regionbox.services.dynamodb.query import QueryOperations
from regionbox.services.dynamodb.statements import StatementOperations
from regionbox.services.dynamodb.storage import ItemStore, Schema
from regionbox.services.dynamodb.streams import Streams
from regionbox.services.dynamodb.tables import TableOperations
from regionbox.services.dynamodb.ttl import TtlSweeper


class DynamoDBProvider(TableOperations, ItemOperations, QueryOperations, StatementOperations, Provider):
    service = "dynamodb"
    # Item reads and writes are data events: CloudTrail does not record them as management events.
    data_events = frozenset({
        "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems",
        "GetItem", "BatchGetItem", "TransactGetItems", "Query", "Scan",
        "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction",
    })

    def __init__(self, cloud) -> None:
        super().__init__(cloud)
        self.tables = cloud.store.collection("dynamodb.tables", Table)
        self.items = ItemStore(cloud.store)
        self.streams = Streams(cloud)
        self.ttl = TtlSweeper(self)
        # tid -> Schema, rebuilt whenever a table document is saved
        self._schemas: dict[int, Schema] = {}
        self._tasks: set[asyncio.Task] = set()
        self._init_transactions()

    async def start(self) -> None:
        self._resume_table_work()
        self.ttl.start()

    async def stop(self) -> None:
        await self.ttl.stop()
        for task in list(self._tasks):
            task.cancel()

    async def reset(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._schemas.clear()
        self._init_transactions()

    # -- shared helpers ----------------------------------------------------------------------
    def spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def save(self, scope: tuple[str, str], table: Table) -> None:
        self.tables.put(scope, table.name, table)
        self._schemas.pop(table.tid, None)

    def schema(self, table: Table) -> Schema:
        schema = self._schemas.get(table.tid)
        if schema is None:
            schema = self._schemas[table.tid] = Schema.of(table)
        return schema

    @staticmethod
    def table_name(value: Any) -> str:
        """TableName accepts a name or a table ARN."""
        if isinstance(value, str) and value.startswith("arn:") and ":table/" in value:
            return value.split(":table/", 1)[1].split("/", 1)[0]
        return value

    def find_table(self, ctx: RequestContext, name: Any) -> Table | None:
        return self.tables.get(ctx.scope, self.table_name(name))

    def table_for_items(self, ctx: RequestContext, name: Any) -> Table:
        """The table an item operation addresses; missing or still creating -> not found, as AWS."""
        table = self.tables.get(ctx.scope, self.table_name(name))
        if table is None or table.status in ("CREATING", "DELETING"):
            raise ServiceError("ResourceNotFoundException", "Requested resource not found")
        return table

    def table_for_control(self, ctx: RequestContext, name: Any) -> Table:
        table = self.tables.get(ctx.scope, self.table_name(name))
        if table is None:
            raise ServiceError("ResourceNotFoundException", f"Requested resource not found: Table: {self.table_name(name)} not found")
        return table
