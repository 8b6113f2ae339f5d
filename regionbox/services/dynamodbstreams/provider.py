"""DynamoDB Streams API (ListStreams, DescribeStream, GetShardIterator, GetRecords).

The records themselves are written by the dynamodb provider with each item change
(services/dynamodb/streams.py); this provider only reads them, in the caller's account and region.
"""

from __future__ import annotations

from typing import Any

from regionbox.core.context import RequestContext
from regionbox.services.base import Provider
from regionbox.services.dynamodb.streams import Streams


class DynamoDBStreamsProvider(Provider):
    service = "dynamodbstreams"
    data_events = frozenset({"GetShardIterator", "GetRecords"})

    @property
    def streams(self) -> Streams:
        return self.cloud.services.api("dynamodb").streams

    def list_streams(self, ctx: RequestContext, params: dict) -> dict:
        limit = params.get("Limit") or 100
        table_name = params.get("TableName")
        if table_name is not None and ":table/" in table_name:
            table_name = table_name.split(":table/", 1)[1].split("/", 1)[0]
        streams = sorted(self.streams.list(ctx.scope, table_name), key=lambda s: (s.created, s.arn))
        start = params.get("ExclusiveStartStreamArn")
        if start is not None:
            arns = [s.arn for s in streams]
            streams = streams[arns.index(start) + 1:] if start in arns else []
        page = streams[:limit]
        out: dict[str, Any] = {"Streams": [{"StreamArn": s.arn, "TableName": s.table_name, "StreamLabel": s.label} for s in page]}
        if len(streams) > limit:
            out["LastEvaluatedStreamArn"] = page[-1].arn
        return out

    def describe_stream(self, ctx: RequestContext, params: dict) -> dict:
        description = self.streams.describe(ctx.scope, params["StreamArn"])
        shards = description["Shards"]
        start = params.get("ExclusiveStartShardId")
        if start is not None:
            ids = [s["ShardId"] for s in shards]
            shards = shards[ids.index(start) + 1:] if start in ids else []
        shard_filter = params.get("ShardFilter")
        if shard_filter and shard_filter.get("Type") == "CHILD_SHARDS":
            parent = shard_filter.get("ShardId")
            shards = [s for s in shards if s.get("ParentShardId") == parent]
        limit = params.get("Limit") or 100
        description["Shards"] = shards[:limit]
        if len(shards) > limit:
            description["LastEvaluatedShardId"] = shards[limit - 1]["ShardId"]
        return {"StreamDescription": description}

    def get_shard_iterator(self, ctx: RequestContext, params: dict) -> dict:
        iterator = self.streams.iterator(ctx.scope, params["StreamArn"], params["ShardId"], params["ShardIteratorType"],
                                         params.get("SequenceNumber"))
        return {"ShardIterator": iterator}

    def get_records(self, ctx: RequestContext, params: dict) -> dict:
        return self.streams.records(ctx.scope, params["ShardIterator"], params.get("Limit"))
