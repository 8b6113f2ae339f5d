"""What other services may use of DynamoDB (``cloud.services.api("dynamodb")``).

DynamoDB Streams reads the streams of the caller's tables here, always in the caller's scope
(account, region): nothing else of DynamoDB's state is reachable from outside the package.
"""

from __future__ import annotations

from regionbox.core.store import Scope
from regionbox.services.dynamodb.state import DynamoDBState, table_name


class DynamoDBApi:
    def __init__(self, state: DynamoDBState) -> None:
        self._streams = state.streams

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
