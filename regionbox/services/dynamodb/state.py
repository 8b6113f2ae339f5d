"""DynamoDB's state, built once by ``load()`` and handed to every handler class.

- ``tables``: the table documents (``dynamodb.tables``), with their indexes, stream and TTL settings;
- ``items``: the item store, SQLite tables of items and index rows (storage.py);
- ``streams``: the stream log, SQLite tables of shards and change records (streams.py);
- ``schemas``: what storage needs to know of each table, rebuilt whenever its document is saved;
- ``client_tokens``: the ClientRequestTokens of recent transactions (tokens.py);
- ``backups``: on-demand and system backups (``dynamodb.backups``), their items under ids of their own;
- ``history``: the change history of tables with point-in-time recovery (history.py);
- ``exports`` / ``imports``: exports to and imports from S3 (``dynamodb.exports``, ``dynamodb.imports``);
- ``bulk_operations``: bulk puts from S3 into existing tables (``dynamodb.bulk_operations``).
"""

from __future__ import annotations

from typing import Any

from regionbox.config import Config
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope, Store
from regionbox.services.dynamodb.history import ChangeHistory
from regionbox.services.dynamodb.models import Backup, BulkOperation, Export, Import, Table
from regionbox.services.dynamodb.storage import ItemStore, Schema
from regionbox.services.dynamodb.streams import StreamLog
from regionbox.services.dynamodb.tokens import ClientTokens


def table_name(value: Any) -> Any:
    """TableName accepts a name or a table ARN."""
    if isinstance(value, str) and value.startswith("arn:") and ":table/" in value:
        return value.split(":table/", 1)[1].split("/", 1)[0]
    return value


class DynamoDBState:
    def __init__(self, store: Store, paginator: Paginator, config: Config) -> None:
        self.store = store
        self.paginator = paginator
        self.tables = store.collection("dynamodb.tables", Table)
        self.items = ItemStore(store)
        self.streams = StreamLog(store, paginator, config.dynamodb_shard_seconds, config.dynamodb_shard_records)
        self.schemas: dict[int, Schema] = {}  # tid -> Schema
        self.client_tokens = ClientTokens()
        self.backups = store.collection("dynamodb.backups", Backup)
        self.history = ChangeHistory(store)
        self.exports = store.collection("dynamodb.exports", Export)
        self.imports = store.collection("dynamodb.imports", Import)
        self.bulk_operations = store.collection("dynamodb.bulk_operations", BulkOperation)

    def forget(self) -> None:
        """Drop what is kept in memory only (on reset; the store empties itself)."""
        self.schemas.clear()
        self.client_tokens.clear()

    # -- tables ------------------------------------------------------------------------------
    def save(self, scope: Scope, table: Table) -> None:
        self.tables.put(scope, table.name, table)
        self.schemas.pop(table.tid, None)

    def schema(self, table: Table) -> Schema:
        schema = self.schemas.get(table.tid)
        if schema is None:
            schema = self.schemas[table.tid] = Schema.of(table)
        return schema

    def remove(self, scope: Scope, table: Table, keep_items: bool = False) -> None:
        """Delete a table with its items (unless a system backup keeps them), index rows and
        stream, in one transaction (the caller's, when it has one)."""
        with self.store.transaction():
            if table.stream_enabled:
                self.streams.disable(scope, table.stream["arn"])
            self.tables.delete(scope, table.name)
            xids = [i.xid for i in table.index_objects()]
            if keep_items:
                for xid in xids:
                    self.items.drop_index(xid)
            else:
                self.items.drop_table(table.tid, xids)
                self.history.drop(table.tid)
        self.schemas.pop(table.tid, None)

    def find_table(self, ctx: RequestContext, name: Any) -> Table | None:
        return self.tables.get(ctx.scope, table_name(name))

    def find_table_in(self, scope: Scope, arn: str) -> Table | None:
        table = self.tables.get(scope, table_name(arn))
        return table if table is not None and table.arn == arn else None

    def importing(self) -> set[str]:
        """The ARNs of the tables an import is filling (CREATING until it is done)."""
        return {job.table_arn for _, _, job in self.imports.all() if job.status == "IN_PROGRESS"}

    def table_for_items(self, ctx: RequestContext, name: Any) -> Table:
        """The table an item operation addresses; missing or still creating -> not found, as AWS."""
        table = self.tables.get(ctx.scope, table_name(name))
        if table is None or table.status in ("CREATING", "DELETING"):
            raise ServiceError("ResourceNotFoundException", "Requested resource not found")
        return table

    def table_for_control(self, ctx: RequestContext, name: Any) -> Table:
        table = self.tables.get(ctx.scope, table_name(name))
        if table is None:
            raise ServiceError("ResourceNotFoundException", f"Requested resource not found: Table: {table_name(name)} not found")
        return table
