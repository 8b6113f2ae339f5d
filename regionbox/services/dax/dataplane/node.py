"""What a node keeps and shares between its connections: caches, attribute lists, key schemas,
counters, and the way to DynamoDB (as the cluster's IAM role, ``IamRoleArn``)."""

from __future__ import annotations

import time
import weakref
from typing import Any

import cbor2

from regionbox.core import ids
from regionbox.core.context import Caller, RequestContext
from regionbox.core.errors import ServiceError
from regionbox.protocol.dax import codes
from regionbox.protocol.dax.stream import SUCCESS, error_frame
from regionbox.protocol.dax.values import AttributeLists, BadValue, encode_av, encode_values
from regionbox.services.dax.dataplane.cache import NodeCache

SCHEMA_TTL_SECONDS = 1.0  # key schemas are re-read this often (a table deleted and recreated)
ROLE_SESSION = "DAXSession"
COUNTERS = ("TotalRequestCount", "ErrorRequestCount", "FaultRequestCount", "ItemCacheHits", "ItemCacheMisses",
            "QueryCacheHits", "QueryCacheMisses", "ScanCacheHits", "ScanCacheMisses", "GetItemRequestCount",
            "PutItemRequestCount", "UpdateItemRequestCount", "DeleteItemRequestCount", "QueryRequestCount",
            "ScanRequestCount", "BatchGetItemRequestCount", "BatchWriteItemRequestCount",
            "TransactGetItemsRequestCount", "TransactWriteItemsRequestCount", "EvictedCount",
            "ClientConnections", "AuthenticationFailures")


class Failure(Exception):
    """An error answer: DAX's codes, the message, and DynamoDB's error code and HTTP status."""

    def __init__(self, dax_codes: list[int], message: str, code: str, status: int = 400,
                 extra: list | None = None) -> None:
        super().__init__(message)
        self.codes = dax_codes
        self.message = message
        self.code = code
        self.status = status
        self.extra = extra

    def frame(self, request_id: str | None) -> bytes:
        return error_frame(self.codes, self.message, request_id, self.code, self.status, self.extra)


def validation(message: str) -> Failure:
    return Failure(codes.dynamodb_error_codes("ValidationException"), message, "ValidationException")


def from_service_error(error: ServiceError) -> Failure:
    code = error.code or "ValidationException"
    extra = None
    if code == "TransactionCanceledException" and error.fields.get("CancellationReasons"):
        extra = [error.fields["CancellationReasons"]]
    return Failure(codes.dynamodb_error_codes(code), error.message, code, error.status, extra)


# The nodes of each cluster (account, region, cluster name) -> node id -> Node: a write through
# one node reaches the item caches of the others, as DAX replicates its primary's item cache.
_CLUSTERS: dict[tuple, "weakref.WeakValueDictionary[str, Node]"] = {}


class Node:
    def __init__(self, cloud, view) -> None:
        self.cloud = cloud
        self.view = view
        _CLUSTERS.setdefault((view.account, view.region, view.cluster_name), weakref.WeakValueDictionary())[
            view.node_id] = self
        settings = view.settings()
        self.cache = NodeCache(settings.memory_bytes)
        self.lists = AttributeLists()
        self.counters = dict.fromkeys(COUNTERS, 0)
        self._schemas: dict[str, tuple[list[dict] | None, float]] = {}
        self._settings = settings
        self._settings_read = time.monotonic()

    def clear(self) -> None:
        self.cache.clear()
        self.lists = AttributeLists()
        self._schemas.clear()

    def metrics(self) -> dict[str, int]:
        out = dict(self.counters)
        out["EvictedCount"] = self.cache.evictions
        out["ItemCacheEntries"] = len(self.cache.items)
        out["QueryCacheEntries"] = len(self.cache.queries)
        out["CacheMemoryBytes"] = self.cache.used
        return out

    def settings(self):
        # parameter group changes apply to the running cache within a second
        now = time.monotonic()
        if now - self._settings_read > 1.0:
            self._settings = self.view.settings()
            self._settings_read = now
            self.cache.memory_bytes = self._settings.memory_bytes
        return self._settings

    # -- write-through ----------------------------------------------------------------------
    def remember(self, key: tuple, item: dict | None) -> None:
        """A write through this node succeeded: the item as it is now (None: deleted) goes into
        this node's item cache and, replicated, into those of the cluster's other live nodes."""
        size = item_size(item)
        for node in self._cluster_nodes():
            node.cache.put_item(key, item, node.settings().record_ttl_ms, size)

    def forget(self, key: tuple) -> None:
        """A write whose result is unknown here: the item leaves every node's cache."""
        for node in self._cluster_nodes():
            node.cache.drop_item(key)

    def _cluster_nodes(self) -> list["Node"]:
        members = _CLUSTERS.get((self.view.account, self.view.region, self.view.cluster_name), {})
        live = {endpoint.node_id for endpoint in self.view.endpoints()}
        others = [node for node_id, node in list(members.items())
                  if node is not self and node_id in live and node.view is not self.view]
        return [self, *others]

    # -- DynamoDB ---------------------------------------------------------------------------
    def key_schema(self, table: str) -> list[dict]:
        now = time.monotonic()
        found = self._schemas.get(table)
        if found is None or found[1] <= now:
            schema = self.cloud.services.api("dynamodb").key_schema((self.view.account, self.view.region), table)
            found = self._schemas[table] = (schema, now + SCHEMA_TTL_SECONDS)
        if found[0] is None:
            raise Failure(codes.dynamodb_error_codes("ResourceNotFoundException"),
                          "Requested resource not found", "ResourceNotFoundException")
        return found[0]

    def dynamodb(self, operation: str, request: dict) -> dict:
        """Run a DynamoDB item operation as the cluster's role, as DAX does."""
        ctx = RequestContext(caller=self._role_caller(), region=self.view.region, request_id=ids.request_id(),
                             service="dynamodb", operation=operation, user_agent="dax")
        try:
            return self.cloud.services.api("dynamodb").call(ctx, operation, request)
        except ServiceError as error:
            raise from_service_error(error) from None

    def _role_caller(self) -> Caller:
        account = self.view.account
        role = self.cloud.services.api("iam").role_by_arn(self.view.role_arn) if self.view.role_arn else None
        if role is None:
            return Caller.root(account)
        return Caller.assumed_role(role.arn, role.role_id, ROLE_SESSION, account)

    # -- answers ----------------------------------------------------------------------------
    def stream_item(self, item: dict, schema: list[dict]) -> bytes:
        """An item's non-key attributes as DAX sends them (the client puts the key back)."""
        return encode_values(item, (k["AttributeName"] for k in schema), self.lists)

    def updated_attributes(self, attributes: dict) -> bytes:
        """UPDATED_OLD / UPDATED_NEW: the list id of the names, then {ordinal: value}."""
        names = sorted(attributes)
        body = cbor2.dumps({i: cbor2.loads(encode_av(attributes[name])) for i, name in enumerate(names)})
        return cbor2.dumps(self.lists.id_of(names)) + body


def item_size(item: dict | None) -> int:
    """What an item costs in a cache (its document's length: near enough to DAX's accounting)."""
    return len(repr(item)) if item else 0


def consumed_capacity_bytes(cc: dict | None) -> bytes | None:
    """ConsumedCapacity of a single-item or listing answer: table, units, table units, GSIs,
    LSIs, concatenated in a byte string."""
    if not cc:
        return None
    out = cbor2.dumps(cc.get("TableName", "")) + cbor2.dumps(cc.get("CapacityUnits", 0.0))
    table = cc.get("Table")
    out += cbor2.dumps(table.get("CapacityUnits", 0.0)) if table else b"\xf6"
    for member in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        indexes = cc.get(member)
        out += cbor2.dumps({n: i.get("CapacityUnits", 0.0) for n, i in indexes.items()}) if indexes else b"\xf6"
    return out


def consumed_capacity_map(cc: dict) -> dict:
    """ConsumedCapacity of a transaction's answer: a map keyed by DAX's numbers."""
    numbers = {"CapacityUnits": 1, "ReadCapacityUnits": 2, "WriteCapacityUnits": 3, "TableName": 4}
    out: dict[int, Any] = {numbers[k]: v for k, v in cc.items() if k in numbers}
    if cc.get("Table"):
        out[5] = consumed_capacity_map(cc["Table"])
    for number, member in ((6, "GlobalSecondaryIndexes"), (7, "LocalSecondaryIndexes")):
        if cc.get(member):
            out[number] = {name: consumed_capacity_map(i) for name, i in cc[member].items()}
    return out


def item_collection_metrics_bytes(icm: dict | None) -> bytes | None:
    if not icm:
        return None
    (_, key_av), = icm["ItemCollectionKey"].items()
    low, high = icm.get("SizeEstimateRangeGB", [0.0, 0.0])
    return encode_av(key_av) + cbor2.dumps(float(low)) + cbor2.dumps(float(high))


def success(payload: bytes = b"") -> bytes:
    return SUCCESS + payload


__all__ = ["Node", "Failure", "validation", "BadValue", "success"]
