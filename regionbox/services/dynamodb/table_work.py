"""What a table does after its operation has answered, as background tasks (``cloud.tasks``):
becoming ACTIVE after CreateTable, backfilling a global secondary index added by UpdateTable,
dropping one it deleted, filling a restored table (from a backup or a point in time) and its
indexes, and resuming all of these after a restart.

Every task ends in an explicit outcome that DescribeTable shows (DynamoDB has no event API);
``cloud.tasks`` also keeps the error of a failed one for `regionbox status`.
"""

from __future__ import annotations

import asyncio

from regionbox.config import Config
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.dynamodb.models import Table
from regionbox.services.dynamodb.state import DynamoDBState

OWNER = "dynamodb"


class TableWork:
    backfill_chunk = 500  # base items indexed per transaction, between which requests are served
    restore_chunk = 2000  # items copied per transaction into a restored table

    def __init__(self, state: DynamoDBState, tasks: Tasks, config: Config) -> None:
        self.state = state
        self.tasks = tasks
        self.config = config

    def resume(self) -> None:
        """After a restart: finish the creations, backfills and index deletions under way."""
        importing = self.state.importing()  # resumed by Imports
        for scope, name, table in list(self.state.tables.all()):
            if table.arn in importing:
                continue
            if table.status == "CREATING" and table.restore_source is not None:
                # Start the copy over: rows copied before the restart may be from a later moment.
                self.state.items.drop_table(table.tid, [i.xid for i in table.index_objects()])
                self.restore(scope, name, table.tid)
            elif table.status == "CREATING":
                self.activate(scope, name, table.tid)
            for index in table.index_objects():
                if index.status == "CREATING":
                    self.backfill(scope, name, index.name)
                elif index.status == "DELETING":
                    self.drop_index(scope, name, index.name)

    # -- CREATING -> ACTIVE ------------------------------------------------------------------
    def activate(self, scope: Scope, name: str, tid: int) -> None:
        """ACTIVE after ``dynamodb_create_delay`` seconds (REGIONBOX_DYNAMODB_CREATE_DELAY, default 0,
        so that boto3's waiters, which poll every 20 s, do not stall)."""
        self.tasks.spawn(self._activate(scope, name, tid), owner=OWNER, what=f"creating table {name}",
                         on_failure=lambda error: self._creation_failed(scope, name, tid))

    async def _activate(self, scope: Scope, name: str, tid: int) -> None:
        await asyncio.sleep(self.config.dynamodb_create_delay)
        table = self.state.tables.get(scope, name)
        if table is not None and table.tid == tid and table.status == "CREATING":
            # In a transaction: if the save fails, the rollback also reverts the cached document,
            # which stays CREATING for the failure handler.
            with self.state.store.transaction():
                table.status = "ACTIVE"
                self.state.save(scope, table)

    def _creation_failed(self, scope: Scope, name: str, tid: int) -> None:
        # A table that cannot become ACTIVE is removed, as AWS removes a table whose creation
        # failed (its KMS key unusable, say): DescribeTable answers ResourceNotFoundException and
        # CreateTable may start over under the same name.
        table = self.state.tables.get(scope, name)
        if table is not None and table.tid == tid and table.status == "CREATING":
            self.state.remove(scope, table)

    # -- a restored table ----------------------------------------------------------------------
    def restore(self, scope: Scope, name: str, tid: int) -> None:
        """Fill a restored table from ``table.restore_source`` and build its indexes; ACTIVE with
        RestoreInProgress false when done. A restore that fails leaves no table, as on AWS."""
        self.tasks.spawn(self._restore(scope, name, tid), owner=OWNER, what=f"restoring table {name}",
                         on_failure=lambda error: self._creation_failed(scope, name, tid))

    def _restoring(self, scope: Scope, name: str, tid: int) -> Table | None:
        table = self.state.tables.get(scope, name)
        return table if table is not None and table.tid == tid and table.status == "CREATING" else None

    async def _restore(self, scope: Scope, name: str, tid: int) -> None:
        await asyncio.sleep(0)
        table = self._restoring(scope, name, tid)
        if table is None:
            return
        source = table.restore_source
        position = None
        while True:  # chunk by chunk: a point in time is put back afterwards from the history
            position = self.state.items.copy_chunk(source["tid"], tid, position, self.restore_chunk)
            await asyncio.sleep(0)
            if self._restoring(scope, name, tid) is None:
                return
            if position is None:
                break
        if source.get("until") is not None:
            self.state.history.rewind(self.state.items, source["tid"], source["until"], tid)
        schema = self.state.schema(table)
        for index in schema.indexes:
            position = None
            while True:
                position = self.state.items.backfill_chunk(schema, index, position, self.backfill_chunk)
                await asyncio.sleep(0)
                if self._restoring(scope, name, tid) is None:
                    return
                if position is None:
                    break
        with self.state.store.transaction():  # a failed save reverts the cached document too
            table.status = "ACTIVE"
            if table.restore is not None:  # a new replica of a global table is filled the same way, without one
                table.restore = {**table.restore, "RestoreInProgress": False}
            table.restore_source = None
            self.state.save(scope, table)

    # -- a new global secondary index --------------------------------------------------------
    def backfill(self, scope: Scope, table_name: str, index_name: str) -> None:
        self.tasks.spawn(self._backfill(scope, table_name, index_name), owner=OWNER,
                         what=f"backfilling index {index_name} of table {table_name}",
                         on_failure=lambda error: self._backfill_failed(scope, table_name, index_name))

    async def _backfill(self, scope: Scope, table_name: str, index_name: str) -> None:
        """Write the new index's rows chunk by chunk; writes arriving meanwhile maintain the index
        themselves (it is in the schema while CREATING), so the result is complete."""
        await asyncio.sleep(0)
        position = None
        while True:
            table = self.state.tables.get(scope, table_name)
            index = table.index(index_name) if table else None
            if index is None or index.status != "CREATING":
                return
            position = self.state.items.backfill_chunk(self.state.schema(table), index, position, self.backfill_chunk)
            if position is None:
                break
            await asyncio.sleep(0)
        with self.state.store.transaction():  # a failed save reverts the cached document too
            index.status, index.backfilling = "ACTIVE", False
            table.set_index(index)
            if all(i.status == "ACTIVE" for i in table.index_objects()):
                table.status = "ACTIVE"
            self.state.save(scope, table)

    def _backfill_failed(self, scope: Scope, table_name: str, index_name: str) -> None:
        # IndexStatus has no failed value (CREATING, UPDATING, DELETING, ACTIVE): an index whose
        # backfill cannot finish is dropped with the rows it had, and the table returns to ACTIVE,
        # so DescribeTable no longer lists it and UpdateTable may create it again.
        table = self.state.tables.get(scope, table_name)
        index = table.index(index_name) if table else None
        if index is not None and index.status == "CREATING":
            self._remove_index(scope, table, index_name, drop_rows=True)

    # -- a deleted global secondary index ----------------------------------------------------
    def drop_index(self, scope: Scope, table_name: str, index_name: str) -> None:
        self.tasks.spawn(self._drop_index(scope, table_name, index_name), owner=OWNER,
                         what=f"deleting index {index_name} of table {table_name}",
                         on_failure=lambda error: self._drop_failed(scope, table_name, index_name))

    async def _drop_index(self, scope: Scope, table_name: str, index_name: str) -> None:
        await asyncio.sleep(0)
        table = self.state.tables.get(scope, table_name)
        if table is not None and table.index(index_name) is not None:
            self._remove_index(scope, table, index_name, drop_rows=True)

    def _drop_failed(self, scope: Scope, table_name: str, index_name: str) -> None:
        # A deletion always completes on AWS: an index whose rows could not be deleted leaves the
        # table all the same (its rows are unreachable, as index ids are never reused).
        table = self.state.tables.get(scope, table_name)
        if table is not None and table.index(index_name) is not None:
            self._remove_index(scope, table, index_name, drop_rows=False)

    def _remove_index(self, scope: Scope, table: Table, index_name: str, drop_rows: bool) -> None:
        """Take an index out of its table, the table ACTIVE again once no other index is in work."""
        index = table.index(index_name)
        with self.state.store.transaction():
            if drop_rows:
                self.state.items.drop_index(index.xid)
            table.drop_index(index_name)
            if all(i.status == "ACTIVE" for i in table.index_objects()):
                table.status = "ACTIVE"
            self.state.save(scope, table)
