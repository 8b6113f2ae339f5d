"""The four operations of DynamoDB Streams, over DynamoDB's public API: the streams of the
caller's tables, their shards, iterators and records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from regionbox.core.context import RequestContext

if TYPE_CHECKING:
    from regionbox.services.dynamodb.api import DynamoDBApi

DEFAULT_LIMIT = 100


class Streams:
    def __init__(self, dynamodb: "DynamoDBApi") -> None:
        self.dynamodb = dynamodb

    def list_streams(self, ctx: RequestContext, params: dict) -> dict:
        limit = params.get("Limit") or DEFAULT_LIMIT
        streams = self.dynamodb.list_streams(ctx.scope, params.get("TableName"))
        start = params.get("ExclusiveStartStreamArn")
        if start is not None:
            arns = [s["StreamArn"] for s in streams]
            streams = streams[arns.index(start) + 1:] if start in arns else []
        out: dict[str, Any] = {"Streams": streams[:limit]}
        if len(streams) > limit:
            out["LastEvaluatedStreamArn"] = streams[limit - 1]["StreamArn"]
        return out

    def describe_stream(self, ctx: RequestContext, params: dict) -> dict:
        description = self.dynamodb.describe_stream(ctx.scope, params["StreamArn"])
        shards = description["Shards"]
        start = params.get("ExclusiveStartShardId")
        if start is not None:
            ids = [s["ShardId"] for s in shards]
            shards = shards[ids.index(start) + 1:] if start in ids else []
        shard_filter = params.get("ShardFilter")
        if shard_filter and shard_filter.get("Type") == "CHILD_SHARDS":
            parent = shard_filter.get("ShardId")
            shards = [s for s in shards if s.get("ParentShardId") == parent]
        limit = params.get("Limit") or DEFAULT_LIMIT
        description["Shards"] = shards[:limit]
        if len(shards) > limit:
            description["LastEvaluatedShardId"] = shards[limit - 1]["ShardId"]
        return {"StreamDescription": description}

    def get_shard_iterator(self, ctx: RequestContext, params: dict) -> dict:
        iterator = self.dynamodb.shard_iterator(ctx.scope, params["StreamArn"], params["ShardId"],
                                                params["ShardIteratorType"], params.get("SequenceNumber"))
        return {"ShardIterator": iterator}

    def get_records(self, ctx: RequestContext, params: dict) -> dict:
        return self.dynamodb.records(ctx.scope, params["ShardIterator"], params.get("Limit"))
