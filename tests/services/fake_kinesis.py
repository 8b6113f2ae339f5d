"""A Kinesis stand-in for Logs' subscription tests, loaded by test clouds as the "kinesis"
service: streams of one shard that keep what they are given, read back by boto3 (CreateStream,
DescribeStreamSummary, GetShardIterator, GetRecords), and the one method a target service offers
Logs (``logs_target``, regionbox/services/logs/targets.py). regionbox serves no Kinesis yet; this
is the contract the real one will keep."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from regionbox.core.errors import ServiceError
from regionbox.core.registry import Entry
from regionbox.core.service import Service

ENTRY = Entry("tests.services.fake_kinesis")


@dataclass
class Stream:
    arn: str
    records: list[dict] = field(default_factory=list)


class FakeKinesis:
    def __init__(self) -> None:
        self.streams: dict[str, Stream] = {}

    def logs_target(self, arn: str):
        stream = self.streams.get(arn)
        if stream is None:
            return None

        def deliver(data: bytes, key: str) -> None:
            stream.records.append({"SequenceNumber": str(len(stream.records) + 1).zfill(20), "Data": data,
                                   "PartitionKey": key, "ApproximateArrivalTimestamp": time.time()})
        return deliver

    def _stream(self, ctx, params) -> Stream:
        arn = params.get("StreamARN") or ctx.arn("kinesis", f"stream/{params['StreamName']}")
        if arn not in self.streams:
            raise ServiceError("ResourceNotFoundException", f"Stream {arn} not found.")
        return self.streams[arn]

    def create_stream(self, ctx, params) -> dict:
        arn = ctx.arn("kinesis", f"stream/{params['StreamName']}")
        self.streams[arn] = Stream(arn)
        return {}

    def describe_stream_summary(self, ctx, params) -> dict:
        stream = self._stream(ctx, params)
        return {"StreamDescriptionSummary": {"StreamName": stream.arn.rsplit("/", 1)[1], "StreamARN": stream.arn,
                                             "StreamStatus": "ACTIVE", "RetentionPeriodHours": 24,
                                             "StreamCreationTimestamp": 0, "EnhancedMonitoring": [],
                                             "OpenShardCount": 1}}

    def get_shard_iterator(self, ctx, params) -> dict:
        stream = self._stream(ctx, params)
        return {"ShardIterator": f"{stream.arn}|0"}

    def get_records(self, ctx, params) -> dict:
        arn, position = params["ShardIterator"].rsplit("|", 1)
        records = self.streams[arn].records[int(position):]
        return {"Records": records, "NextShardIterator": f"{arn}|{int(position) + len(records)}",
                "MillisBehindLatest": 0}


def load(cloud) -> Service:
    kinesis = FakeKinesis()
    return Service(name="kinesis", api=kinesis, operations={
        "CreateStream": kinesis.create_stream,
        "DescribeStreamSummary": kinesis.describe_stream_summary,
        "GetShardIterator": kinesis.get_shard_iterator,
        "GetRecords": kinesis.get_records,
    })
