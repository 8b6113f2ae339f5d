"""The read path of Query, Scan and PartiQL SELECT: which table or index a read goes by, its
Select, where it starts, and one page of the rows storage yields.

Both Query and Scan stop after ``Limit`` items *evaluated* (before the filter) or once 1 MB of
items has been read, and then return LastEvaluatedKey, which carries the table's key attributes
plus the index's when reading an index, as AWS's does.
"""

from __future__ import annotations

from typing import Any, Iterable

from regionbox.core.errors import invalid
from regionbox.services.dynamodb import capacity
from regionbox.services.dynamodb.models import ALL, Index, Table
from regionbox.services.dynamodb.storage import Item, ItemStore, Position, Row, Schema, hash32, index_key
from regionbox.services.dynamodb.types import validate_item

PAGE_BYTES = 1024 * 1024
SEGMENT_SPACE = 1 << 32


def read_target(schema: Schema, params: dict) -> Index | None:
    """The index a read names (IndexName), or None for the table itself."""
    name = params.get("IndexName")
    if name is None:
        return None
    index = schema.by_name.get(name)
    if index is None:
        raise invalid(f"The table does not have the specified index: {name}")
    if index.status == "CREATING":
        raise invalid(f"Cannot read from backfilling global secondary index: {name}")
    if index.kind == "GSI" and params.get("ConsistentRead"):
        raise invalid("Consistent reads are not supported on global secondary indexes")
    return index


def key_types_of(schema: Schema, index: Index | None) -> tuple[tuple[str, str], ...]:
    """((name, type), ...) of the key a read goes by: the table's, or the index's."""
    return schema.key_types if index is None else next(k for ix, k in schema.index_key_types if ix.name == index.name)


def check_select(params: dict, index: Index | None, has_projection: bool) -> str:
    select = params.get("Select")
    if select is None:
        select = "SPECIFIC_ATTRIBUTES" if has_projection else ("ALL_PROJECTED_ATTRIBUTES" if index else "ALL_ATTRIBUTES")
    if has_projection and select != "SPECIFIC_ATTRIBUTES":
        what = "ProjectionExpression" if params.get("ProjectionExpression") is not None else "AttributesToGet"
        raise invalid(f"Cannot specify the {what} when choosing to get "
                      + ("only the Count" if select == "COUNT" else select))
    if select == "SPECIFIC_ATTRIBUTES" and not has_projection:
        # AWS refuses this (ValidationException); the wording here follows its other Select messages.
        raise invalid("One or more parameter values were invalid: Select type SPECIFIC_ATTRIBUTES requires "
                      "AttributesToGet or ProjectionExpression")
    if select == "ALL_PROJECTED_ATTRIBUTES" and index is None:
        raise invalid("One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is supported only for index queries")
    if select == "ALL_ATTRIBUTES" and index is not None and index.kind == "GSI" and index.projection.get("ProjectionType") != ALL:
        raise invalid(f"One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global "
                      f"secondary index {index.name} because its projection type is not ALL")
    return select


def start_position(schema: Schema, index: Index | None, raw: Any, key_types: tuple) -> Position | None:
    if raw is None:
        return None
    start = validate_item(raw)
    wanted = set(schema.key_names) | ({n for n, _ in key_types} if index else set())
    if set(start) != wanted or any(start[n].keys() != {t} for n, t in schema.key_types):
        raise invalid("The provided starting key is invalid: The provided key element does not match the schema")
    h, hk, rk = schema.storage_key(start)
    if index is None:
        return Position(h, hk, rk)
    ihk, irk = index_key(index, start)
    return Position(hash32(ihk), ihk, irk, hk, rk)


def last_key(schema: Schema, index: Index | None, item: Item) -> Item:
    key = schema.key_of(item)
    if index is not None:
        for name in (*index.hash_names, *index.range_names):
            key[name] = item[name]
    return key


def page(items_store: ItemStore, table: Table, schema: Schema, index: Index | None, rows: Iterable[Row], params: dict,
         filter_, projection, select: str) -> dict:
    """One page of a Query or Scan from ``rows``: Limit counts items read before the filter, and a
    page ends at 1 MB read."""
    limit = params.get("Limit")
    if limit is not None and limit < 1:
        raise invalid(f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
                      "Member must have value greater than or equal to 1")
    fetch_base = (index is not None and index.kind == "LSI" and select == "ALL_ATTRIBUTES"
                  and index.projection.get("ProjectionType") != ALL)
    items: list[Item] = []
    scanned = 0
    read_bytes = 0
    last: Item | None = None
    for row in rows:
        item = row.item
        if fetch_base:
            item = items_store.item(schema, schema.key_of(item)) or item
        scanned += 1
        read_bytes += row.size
        if filter_ is None or filter_.evaluate(item):
            items.append(item)
        if (limit is not None and scanned >= limit) or read_bytes >= PAGE_BYTES:
            last = item
            break
    out: dict[str, Any] = {"Count": len(items), "ScannedCount": scanned}
    if select != "COUNT":
        out["Items"] = [projection.apply(i) for i in items] if projection is not None else items
    if last is not None:
        out["LastEvaluatedKey"] = last_key(schema, index, last)
    mode = params.get("ReturnConsumedCapacity")
    if mode and mode != "NONE":
        units = capacity.read_units(read_bytes, bool(params.get("ConsistentRead")))
        index_units = {index.name: units} if index is not None else {}
        out["ConsumedCapacity"] = capacity.consumed(mode, table, units, read=True, index_units=index_units,
                                                    index_name=index.name if index else None)
    return out
