"""What other services may use of DynamoDB (``cloud.services.api("dynamodb")``).

DynamoDB Streams reads the streams of the caller's tables here, always in the caller's scope
(account, region). DAX's nodes read a table's key schema here (``key_schema``) and run item
operations through ``call`` as the cluster's role. AppSync's DynamoDB data sources run item operations here (``call``) as the
data source's role would over the wire: the same decoding, validation, IAM authorization and
handlers as a request through the gateway, so their semantics match exactly. Nothing else of
DynamoDB's state is reachable from outside the package.
"""

from __future__ import annotations

from typing import Any, Callable

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.service import Access
from regionbox.core.store import Scope
from regionbox.services.dynamodb.state import DynamoDBState, table_name

# The item operations another service may run (AppSync's resolvers).
ITEM_OPERATIONS = ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
                   "BatchWriteItem", "TransactGetItems", "TransactWriteItems")


class DynamoDBApi:
    def __init__(self, state: DynamoDBState, handlers: dict[str, Callable] | None = None,
                 resources: Callable[[RequestContext, str, dict], list] | None = None,
                 resource_policy: Callable[[str], str | None] | None = None,
                 iam: Callable[[], Any] | None = None) -> None:
        self._streams = state.streams
        self._tables = state.tables
        self._handlers = {name: handlers[name] for name in ITEM_OPERATIONS} if handlers else {}
        self._resources = resources
        self._resource_policy = resource_policy
        self._iam = iam
        self._codec = None

    def list_streams(self, scope: Scope, table: str | None = None) -> list[dict]:
        """The streams in ``scope`` (of one table, by name or ARN, when given), oldest first:
        [{"StreamArn", "TableName", "StreamLabel"}]."""
        streams = sorted(self._streams.list(scope, table_name(table)), key=lambda s: (s.created, s.arn))
        return [{"StreamArn": s.arn, "TableName": s.table_name, "StreamLabel": s.label} for s in streams]

    def describe_stream(self, scope: Scope, stream_arn: str) -> dict:
        """DescribeStream's StreamDescription, with every shard."""
        return self._streams.describe(scope, stream_arn)

    def shard_iterator(self, scope: Scope, stream_arn: str, shard_id: str, kind: str, sequence: str | None) -> str:
        return self._streams.iterator(scope, stream_arn, shard_id, kind, sequence)

    def records(self, scope: Scope, iterator: str, limit: int | None) -> dict:
        """GetRecords' output: {"Records", "NextShardIterator"?}."""
        return self._streams.records(scope, iterator, limit)

    def key_schema(self, scope: Scope, table: str) -> list[dict] | None:
        """A table's key as DAX's clients learn it: [{"AttributeName", "AttributeType"}], the
        hash key first; None while the table does not exist or is not ready for items."""
        found = self._tables.get(scope, table_name(table))
        if found is None or found.status in ("CREATING", "DELETING"):
            return None
        types = {d["AttributeName"]: d["AttributeType"] for d in found.attribute_definitions}
        ordered = sorted(found.key_schema, key=lambda k: k["KeyType"] != "HASH")
        return [{"AttributeName": k["AttributeName"], "AttributeType": types[k["AttributeName"]]} for k in ordered]

    def call(self, ctx: RequestContext, operation: str, request: dict, authorize: bool = True) -> dict:
        """Run item operation ``operation`` with ``request`` (its input as the JSON document a
        client sends) for the caller of ``ctx`` in ``ctx``'s account and region; return the
        output as the JSON document DynamoDB answers (blobs base64), or raise its ServiceError.
        ``authorize``: IAM evaluates the caller as the gateway would (a role session's policies)."""
        from regionbox.protocol.json import JsonCodec, read_params
        from regionbox.protocol.specs import service_model

        handler = self._handlers.get(operation)
        if handler is None:
            raise ValueError(f"DynamoDB does not offer {operation} to other services")
        model = service_model("dynamodb")
        if self._codec is None:
            self._codec = JsonCodec(model)
        shape = model.operation_model(operation)
        params = read_params(self._codec, shape, request, "ValidationException")
        if authorize and self._iam is not None and ctx.caller.type != "Root":
            accesses = [a if isinstance(a, Access) else Access(a) for a in self._resources(ctx, operation, params)]
            denial = self._iam().authorize(ctx, None, f"dynamodb:{operation}", accesses, self._resource_policy)
            if denial is not None:
                raise ServiceError("AccessDeniedException",
                                   f"User: {ctx.caller.arn} is not authorized to perform: {denial.action} on resource: "
                                   f"{denial.resource} {denial.reason}")
        output = handler(ctx, params)
        return self._codec.encode_output(shape.output_shape, output)
