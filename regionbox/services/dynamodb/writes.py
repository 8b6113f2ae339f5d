"""The write path every item write takes: PutItem and its kin, transactions, PartiQL and the
TTL sweeper.

A handler reads, checks and prepares its ``Change``s without awaiting, so no other request can
interleave (that is what makes conditional writes, counters and transactions atomic); then
``Writer.commit`` writes each item, its index rows and its stream record in one SQLite
transaction, durable before the response is sent, and publishes the stream records on the
cloud's bus after the commit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.events import EventBus
from regionbox.core.store import Scope
from regionbox.services.dynamodb.models import Table
from regionbox.services.dynamodb.state import DynamoDBState
from regionbox.services.dynamodb.storage import Item, Schema
from regionbox.services.dynamodb.types import (
    check_item_size,
    validate_index_keys,
    validate_item,
    validate_item_keys,
    validate_key,
)

STREAM_TOPIC = "dynamodb.stream"


@dataclass
class Change:
    """One item write prepared and checked, waiting to be committed."""

    table: Table
    schema: Schema
    old: Item | None
    new: Item | None


def conditional_failed(old: Item | None, return_on_failure: str | None) -> ServiceError:
    fields = {"Item": old} if return_on_failure == "ALL_OLD" and old else {}
    return ServiceError("ConditionalCheckFailedException", "The conditional request failed", **fields)


def transaction_canceled(reasons: list[dict]) -> ServiceError:
    """A transaction that writes nothing: one reason per entry, in request order ("None" for those
    that were fine)."""
    codes = ", ".join(r["Code"] for r in reasons)
    return ServiceError("TransactionCanceledException",
                        f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
                        CancellationReasons=reasons)


def return_values(kind: str | None, allowed: tuple[str, ...], old: Item | None, new: Item | None,
                  update=None) -> Item | None:
    """The Attributes output for ReturnValues."""
    if kind in (None, "NONE"):
        return None
    if kind not in allowed:
        raise invalid("Return values set to invalid value")
    if kind == "ALL_OLD":
        return old or None
    if kind == "ALL_NEW":
        return new or None
    if update is None:
        return None
    return (update.updated_old(old) if kind == "UPDATED_OLD" else update.updated_new(new)) or None


# -- checks of what a request asks to write ----------------------------------------------------
def checked_item(schema: Schema, raw: Any) -> tuple[Item, int]:
    """A whole item to put, valid for the table and its indexes, with its size."""
    item = validate_item(raw)
    validate_item_keys(item, schema.key_types)
    for index, key_types in schema.index_key_types:
        validate_index_keys(item, index.name, key_types)
    return item, check_item_size(item)


def checked_key(schema: Schema, raw: Any) -> Item:
    return validate_key(raw, schema.key_types)


def updated(schema: Schema, key: Item, old: Item | None, update) -> Item:
    """Apply an update to the stored item (or to just the key when there is none)."""
    base = old if old is not None else dict(key)
    if update is None:
        return dict(base)
    new = update.apply(base)
    checked_updated(schema, new)
    return new


def checked_updated(schema: Schema, item: Item) -> None:
    """An item after an update: still valid for the indexes, and not too large."""
    for index, key_types in schema.index_key_types:
        validate_index_keys(item, index.name, key_types)
    check_item_size(item, updating=True)


class Writer:
    def __init__(self, state: DynamoDBState, bus: EventBus) -> None:
        self.state = state
        self.bus = bus

    def commit(self, ctx: RequestContext, changes: list[Change]) -> None:
        """Write ``changes`` in one transaction, then publish their stream records."""
        payloads: list[dict] = []
        with self.state.store.transaction():
            for change in changes:
                payloads += self.commit_write(ctx.scope, change.table, change.schema, change.old, change.new)
        if payloads:
            self.publish(payloads)

    def commit_write(self, scope: Scope, table: Table, schema: Schema, old: Item | None,
                     new: Item | None, identity: dict | None = None, replicate: bool = True) -> list[dict]:
        """Write one change inside the caller's transaction (and in every replica of a global
        table); return the bus payloads to publish once it has committed."""
        if old is None and new is None:
            return []
        if old == new:
            # DynamoDB writes no stream record for a write that changes nothing.
            return []
        self.state.items.write(schema, old, new)
        if table.pitr is not None:
            self.state.history.record(table.tid, schema, old, new, time.time())
        payloads = self._replicate(scope, table, schema, old, new) if replicate and table.replica_regions else []
        if not table.stream_enabled:
            return payloads
        event = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
        payload = self.state.streams.append(scope[1], table, event, schema.key_of(new if new is not None else old),
                                            old, new, identity)
        payload["account"], payload["region"] = scope
        return [payload, *payloads]

    def _replicate(self, scope: Scope, table: Table, schema: Schema, old: Item | None, new: Item | None) -> list[dict]:
        """A global table's write, applied to every other replica in the same transaction: a
        replica reads it at once, and since every write is serialized on the event loop the last
        writer wins, as AWS's reconciliation has it. A replica being filled gets it too (its copy
        of the source then brings the same image or, for a deletion, nothing)."""
        payloads: list[dict] = []
        key = schema.key_of(new if new is not None else old)
        for region in table.replica_regions:
            there = (table.group_accounts.get(region, scope[0]), region)
            replica = self.state.tables.get(there, table.name) if region != scope[1] else None
            if replica is None or replica.status == "DELETING" or scope[1] not in replica.replica_regions:
                continue
            replica_schema = self.state.schema(replica)
            payloads += self.commit_write(there, replica, replica_schema, self.state.items.item(replica_schema, key), new,
                                          replicate=False)
        return payloads

    def publish(self, payloads: list[dict]) -> None:
        for payload in payloads:
            self.bus.publish_nowait(STREAM_TOPIC, payload)
