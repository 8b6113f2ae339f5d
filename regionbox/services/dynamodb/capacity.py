"""Capacity units and item collection metrics, computed as DynamoDB documents them.

Reads: one unit per 4 KB (rounded up) strongly consistent, half that eventually consistent; a
Query or Scan sums the sizes of the items it read before rounding. Writes: one unit per 1 KB of
the larger of the old and new item. Transactions cost double (the caller multiplies).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from regionbox.services.dynamodb.models import Table
from regionbox.services.dynamodb.storage import Item, Schema, index_key, project
from regionbox.services.dynamodb.types import item_size

if TYPE_CHECKING:
    from regionbox.services.dynamodb.writes import Change


def read_units(size: int, consistent: bool) -> float:
    units = float(max(1, math.ceil(size / 4096)))
    return units if consistent else units / 2


def write_units(old: Item | None, new: Item | None) -> float:
    size = max(item_size(old) if old else 0, item_size(new) if new else 0)
    return float(max(1, math.ceil(size / 1024)))


def consumed(mode: str, table: Table, units: float, read: bool, index_units: dict[str, float] | None = None,
             index_name: str | None = None) -> dict:
    """A ConsumedCapacity entry for TOTAL or INDEXES."""
    kind = "ReadCapacityUnits" if read else "WriteCapacityUnits"
    out: dict[str, Any] = {"TableName": table.name, "CapacityUnits": units, kind: units}
    if mode == "INDEXES":
        table_units = units - sum((index_units or {}).values())
        if index_name is None:
            out["Table"] = {"CapacityUnits": table_units, kind: table_units}
        gsis: dict[str, dict] = {}
        lsis: dict[str, dict] = {}
        kinds = {ix["name"]: ix["kind"] for ix in table.indexes}
        for name, value in (index_units or {}).items():
            (gsis if kinds.get(name) == "GSI" else lsis)[name] = {"CapacityUnits": value, kind: value}
        if gsis:
            out["GlobalSecondaryIndexes"] = gsis
        if lsis:
            out["LocalSecondaryIndexes"] = lsis
    return out


def index_write_units(schema: Schema, old: Item | None, new: Item | None) -> dict[str, float]:
    """Units each secondary index consumes for one item write: a write to an index where the
    item appears (twice when its index key changed: delete and put)."""
    units: dict[str, float] = {}
    for index in schema.indexes:
        old_key = index_key(index, old) if old else None
        new_key = index_key(index, new) if new else None
        if old_key is None and new_key is None:
            continue
        size = max(item_size(project(index, schema, old)) if old_key else 0,
                   item_size(project(index, schema, new)) if new_key else 0)
        per = float(max(1, math.ceil(size / 1024)))
        units[index.name] = per * (2 if old_key and new_key and old_key != new_key else 1)
    return units


def collection_metrics(table: Table, schema: Schema, item: Item | None) -> dict | None:
    """ItemCollectionMetrics: only tables with local secondary indexes have item collections."""
    if item is None or not any(ix.kind == "LSI" for ix in schema.indexes):
        return None
    return {"ItemCollectionKey": {schema.hash_name: item[schema.hash_name]}, "SizeEstimateRangeGB": [0.0, 1.0]}


def write_output(out: dict, params: dict, table: Table, schema: Schema, old: Item | None, new: Item | None,
                 key: Item | None = None) -> None:
    """Add ConsumedCapacity and ItemCollectionMetrics to a single-item write's output. The index
    writes are part of the total whichever mode was asked (TOTAL only does not itemize them)."""
    mode = params.get("ReturnConsumedCapacity")
    if mode and mode != "NONE":
        index_units = index_write_units(schema, old, new)
        total = write_units(old, new) + sum(index_units.values())
        out["ConsumedCapacity"] = consumed(mode, table, total, read=False, index_units=index_units)
    if params.get("ReturnItemCollectionMetrics") == "SIZE":
        metrics = collection_metrics(table, schema, new or old or key)
        if metrics:
            out["ItemCollectionMetrics"] = metrics


# A multi-item write's usage: table name -> [table, units of the table, {index name: units}].
WriteUsage = dict[str, list]


def add_write(usage: WriteUsage, table: Table, schema: Schema, units: float, old: Item | None, new: Item | None,
              factor: float = 1.0) -> None:
    """Count one item write of a batch or transaction: ``units`` on the table, and the writes it
    makes to each secondary index (``factor`` times: transactions cost double)."""
    entry = usage.setdefault(table.name, [table, 0.0, {}])
    entry[1] += units
    for name, value in index_write_units(schema, old, new).items():
        entry[2][name] = entry[2].get(name, 0.0) + factor * value


def writes_consumed(mode: str, usage: WriteUsage) -> list[dict]:
    return [consumed(mode, table, units + sum(indexes.values()), read=False, index_units=indexes)
            for table, units, indexes in usage.values()]


def collection_metrics_by_table(changes: list["Change"]) -> dict[str, list]:
    """ItemCollectionMetrics of a multi-item write: per table, one entry per item written to a table with LSIs."""
    metrics: dict[str, list] = {}
    for change in changes:
        entry = collection_metrics(change.table, change.schema, change.new or change.old)
        if entry:
            metrics.setdefault(change.table.name, []).append(entry)
    return metrics
