"""DynamoDB Streams: ListStreams, DescribeStream, GetShardIterator and GetRecords.

DynamoDB writes the records with each item change; this service reads them through DynamoDB's
public API (services/dynamodb/api.py), in the caller's account and region.
"""

from regionbox.core.service import Service
from regionbox.services.dynamodbstreams.streams import Streams


def load(cloud) -> Service:
    streams = Streams(cloud.services.api("dynamodb"))
    return Service(
        name="dynamodbstreams",
        operations={
            "ListStreams": streams.list_streams,
            "DescribeStream": streams.describe_stream,
            "GetShardIterator": streams.get_shard_iterator,
            "GetRecords": streams.get_records,
        },
        # Reading records is a data event, as on AWS; listing and describing streams are management events.
        data_events=frozenset({"GetShardIterator", "GetRecords"}),
    )
