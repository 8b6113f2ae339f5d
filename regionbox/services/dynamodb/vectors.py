"""Vector indexes and SearchVectors.

A vector index (CreateTable's VectorIndexes, UpdateTable's VectorIndexUpdates) names an attribute
holding an embedding, a list of ``Dimensions`` numbers (``{"L": [{"N": ...}, ...]}``), a distance
function, a projection and a search schema (a HASH attribute every search must pin with ``=``, and
INLINE_FILTER attributes it may). regionbox keeps no separate index: SearchVectors reads the
table's items, keeps those whose vector has the index's dimensions and that match the
SearchConditionExpression, and ranks them exactly (COSINE: 1 - cosine similarity, 0..2, smallest
first; EUCLIDEAN: the distance, smallest first; DOT_PRODUCT: the product, largest first) - the
answer an approximate index aims at, at the cost of a scan per search. Items whose vector is
missing or malformed are simply not in the index, as with a sparse secondary index.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.dynamodb.expressions.request import CONDITION_EXPRESSIONS, compile_request
from regionbox.services.dynamodb.models import Table
from regionbox.services.dynamodb.state import DynamoDBState

INVALID = "One or more parameter values were invalid: "
MAX_DIMENSIONS = 4096  # SearchVector's own limit
COUNT_INTERVAL = 60.0
_TOKEN = re.compile(r"#?[A-Za-z0-9_]+")


def vector_index(spec: dict, taken: set[str]) -> dict:
    """A vector index document from CreateTable's or UpdateTable's spec, checked."""
    name = spec["IndexName"]
    if name in taken:
        raise invalid(INVALID + f"Duplicate index name: {name}")
    taken.add(name)
    dimensions = spec["Dimensions"]
    if not 1 <= dimensions <= MAX_DIMENSIONS:
        raise invalid(INVALID + f"Dimensions for vector index {name} must be between 1 and {MAX_DIMENSIONS}")
    schema = [dict(e) for e in spec.get("SearchSchema") or []]
    if len([e for e in schema if e["SearchSchemaElementType"] == "HASH"]) > 1:
        raise invalid(INVALID + f"Vector index {name} can have at most one HASH search schema element")
    if len({e["AttributeName"] for e in schema}) != len(schema):
        raise invalid(INVALID + f"Duplicate attribute in the search schema of vector index {name}")
    projection = dict(spec.get("Projection") or {"ProjectionType": "ALL"})
    if projection.get("ProjectionType") != "INCLUDE" and projection.get("NonKeyAttributes"):
        raise invalid(INVALID + "ProjectionType is " + projection["ProjectionType"] + ", but NonKeyAttributes is specified")
    if projection.get("ProjectionType") == "INCLUDE" and not projection.get("NonKeyAttributes"):
        raise invalid(INVALID + "ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
    return {"IndexName": name, "VectorAttribute": {"AttributeName": spec["VectorAttribute"]["AttributeName"]},
            "SearchSchema": schema, "Projection": projection, "Dimensions": dimensions,
            "DistanceFunction": spec["DistanceFunction"], "IndexStatus": "ACTIVE"}


def _vector(value: Any, dimensions: int) -> list[float] | None:
    if not isinstance(value, dict) or "L" not in value or len(value["L"]) != dimensions:
        return None
    try:
        return [float(v["N"]) for v in value["L"]]
    except (KeyError, TypeError, ValueError):
        return None


def _score(function: str, a: list[float], b: list[float]) -> float:
    if function == "EUCLIDEAN":
        return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)))
    dot = sum(x * y for x, y in zip(a, b))
    if function == "DOT_PRODUCT":
        return dot
    norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return 1.0 - dot / norms if norms else 1.0


class VectorIndexes:
    def __init__(self, state: DynamoDBState, tasks: Tasks) -> None:
        self.state = state
        self.tasks = tasks
        self._counts: dict[int, tuple[float, dict[str, int], int]] = {}  # tid -> (when, per index, table items)

    # -- UpdateTable's VectorIndexUpdates -------------------------------------------------------
    def update(self, ctx: RequestContext, table: Table, updates: list[dict]) -> None:
        """Apply VectorIndexUpdates to UpdateTable's copy of ``table`` (saved by the caller)."""
        if len(updates) > 1:
            raise ServiceError("LimitExceededException",
                               "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table")
        for update in updates:
            if "Create" in update:
                taken = {i.name for i in table.index_objects()} | {v["IndexName"] for v in table.vector_indexes}
                index = vector_index(update["Create"], taken)
                index["IndexStatus"] = "CREATING"
                table.vector_indexes = [*table.vector_indexes, index]
                self.tasks.spawn(self._activate(ctx.scope, table.name, table.tid, index["IndexName"]), owner="dynamodb",
                                 what=f"creating vector index {index['IndexName']} of {table.name}")
            elif "Delete" in update:
                name = update["Delete"]["IndexName"]
                if not any(v["IndexName"] == name for v in table.vector_indexes):
                    raise ServiceError("ResourceNotFoundException", f"Requested resource not found: Index: {name} not found")
                table.vector_indexes = [v for v in table.vector_indexes if v["IndexName"] != name]

    async def _activate(self, scope: Scope, name: str, tid: int, index_name: str) -> None:
        # Nothing to backfill (searches read the table): CREATING for the moment it takes to answer.
        await asyncio.sleep(0)
        table = self.state.tables.get(scope, name)
        if table is None or table.tid != tid:
            return
        table.vector_indexes = [{**v, "IndexStatus": "ACTIVE"} if v["IndexName"] == index_name else v
                                for v in table.vector_indexes]
        self.state.save(scope, table)

    # -- DescribeTable ----------------------------------------------------------------------------
    def describe(self, ctx: RequestContext, table: Table) -> list[dict]:
        # ItemCount needs a scan: counted at most once a minute per table (AWS refreshes it every six hours).
        # (or sooner when the table's item count moved).
        counted = self._counts.get(table.tid)
        items = self.state.items.stats(table.tid)[0]
        if counted is None or time.monotonic() - counted[0] > COUNT_INTERVAL or counted[2] != items or set(counted[1]) != {
                v["IndexName"] for v in table.vector_indexes}:
            rows = list(self.state.items.scan(self.state.schema(table), None, (0, 1 << 32), None, chunk=1024))
            counted = self._counts[table.tid] = (time.monotonic(), {
                v["IndexName"]: sum(1 for row in rows if _vector(row.item.get(v["VectorAttribute"]["AttributeName"]),
                                                                 v["Dimensions"]) is not None)
                for v in table.vector_indexes}, items)
        out = []
        for index in table.vector_indexes:
            dimensions, count = index["Dimensions"], counted[1][index["IndexName"]]
            out.append({**{k: v for k, v in index.items() if k != "IndexStatus"}, "IndexStatus": index["IndexStatus"],
                        "ItemCount": count, "IndexSizeBytes": count * dimensions * 4,
                        "IndexArn": ctx.arn("dynamodb", f"table/{table.name}/index/{index['IndexName']}")})
        return out

    # -- SearchVectors ----------------------------------------------------------------------------
    def search_vectors(self, ctx: RequestContext, params: dict) -> dict:
        table = self.state.table_for_items(ctx, params["TableName"])
        name = params["IndexName"]
        index = next((v for v in table.vector_indexes if v["IndexName"] == name), None)
        if index is None:
            raise invalid(f"The table does not have the specified index: {name}")
        if index["IndexStatus"] != "ACTIVE":
            raise invalid(f"Vector index {name} is not ACTIVE: {index['IndexStatus']}")
        dimensions = index["Dimensions"]
        query = _vector({"L": params["SearchVector"]}, dimensions)
        if query is None:
            raise invalid(f"The number of dimensions in SearchVector ({len(params['SearchVector'])}) does not match the "
                          f"vector index's Dimensions ({dimensions}), or an element is not a number")
        schema = self.state.schema(table)
        names = params.get("ExpressionAttributeNames") or {}
        condition = None
        expression = params.get("SearchConditionExpression")
        searchable = {e["AttributeName"]: e["SearchSchemaElementType"] for e in index["SearchSchema"]}
        if expression:
            referenced = {names.get(t, t) for t in _TOKEN.findall(expression)}
            condition = compile_request({"ConditionExpression": expression, "ExpressionAttributeNames": params.get(
                "ExpressionAttributeNames"), "ExpressionAttributeValues": params.get("ExpressionAttributeValues")},
                schema.key_types, CONDITION_EXPRESSIONS).condition
        else:
            referenced = set()
        pinned = [a for a, kind in searchable.items() if kind == "HASH"]
        if pinned and pinned[0] not in referenced:
            raise invalid(f"SearchConditionExpression must specify the HASH attribute of the vector index's search schema: {pinned[0]}")
        projected = self._projected(table, index)
        projection = None
        if params.get("ProjectionExpression"):
            projection = compile_request({"ProjectionExpression": params["ProjectionExpression"],
                                          "ExpressionAttributeNames": params.get("ExpressionAttributeNames")},
                                         schema.key_types, ("ProjectionExpression",)).projection
        attribute, function = index["VectorAttribute"]["AttributeName"], index["DistanceFunction"]
        scored = []
        for row in self.state.items.scan(schema, None, (0, 1 << 32), None, chunk=1024):
            vector = _vector(row.item.get(attribute), dimensions)
            if vector is None or (condition is not None and not condition.evaluate(row.item)):
                continue
            scored.append((_score(function, query, vector), row.item))
        scored.sort(key=lambda pair: -pair[0] if function == "DOT_PRODUCT" else pair[0])
        results = []
        for score, item in scored[:params["TopK"]]:
            shown = item if projected is None else {k: v for k, v in item.items() if k in projected}
            if projection is not None:
                shown = projection.apply(shown)
            results.append({"Item": shown, "Score": score})
        out: dict[str, Any] = {"SearchResults": results}
        if params.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
            out["ConsumedCapacity"] = {"VectorSearchRequestBytes": float(dimensions * 4)}
        return out

    @staticmethod
    def _projected(table: Table, index: dict) -> set[str] | None:
        """The attributes a vector index holds (None: all of them)."""
        projection = index["Projection"]
        if projection["ProjectionType"] == "ALL":
            return None
        kept = {*table.key_names, index["VectorAttribute"]["AttributeName"], *(e["AttributeName"] for e in index["SearchSchema"])}
        if projection["ProjectionType"] == "INCLUDE":
            kept.update(projection.get("NonKeyAttributes") or [])
        return kept
