"""Kinesis Data Streams destinations of a table: Enable/Disable/Update/DescribeKinesisStreamingDestination.

AWS never checks the stream when it is enabled: Enable answers ENABLING for any well-formed
ARN, and the destination becomes ACTIVE, or ENABLE_FAILED with the reason in
DestinationStatusDescription, a moment later. regionbox does not serve Kinesis yet, so no
stream exists here and every destination ends ENABLE_FAILED with the reason AWS gives for a
stream that does not exist ('User does not have a permission to use kinesis stream'); what
follows is AWS's state machine as it stands for such a destination: a table has at most one
destination in ENABLING/ACTIVE/UPDATING/DISABLING, failed ones accumulate (a new Enable of the
same ARN flips its entry), and Disable and Update need an ACTIVE destination.
"""

from __future__ import annotations

import asyncio
from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import invalid
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.dynamodb.state import DynamoDBState

NO_STREAM = "User does not have a permission to use kinesis stream"
CHECK_DELAY = 0.5  # seconds between ENABLING and the outcome (AWS: about 2)
_LIVE = ("ENABLING", "ACTIVE", "UPDATING", "DISABLING")
_STATE = "Table is not in a valid state to enable Kinesis Streaming Destination: "


class KinesisDestinations:
    def __init__(self, state: DynamoDBState, tasks: Tasks) -> None:
        self.state = state
        self.tasks = tasks

    def describe_kinesis_streaming_destination(self, ctx: RequestContext, params: dict) -> dict:
        table = self.state.table_for_control(ctx, params["TableName"])
        return {"TableName": table.name, "KinesisDataStreamDestinations": [dict(d) for d in table.kinesis]}

    def enable_kinesis_streaming_destination(self, ctx: RequestContext, params: dict) -> dict:
        table = self.state.table_for_control(ctx, params["TableName"])
        arn = params["StreamArn"]
        if any(d["DestinationStatus"] in _LIVE for d in table.kinesis):
            raise invalid(_STATE + "EnableKinesisStreamingDestination must be DISABLED or ENABLE_FAILED to perform ENABLE "
                          "operation.")
        configuration = params.get("EnableKinesisStreamingConfiguration") or {}
        entry: dict[str, Any] = {"StreamArn": arn, "DestinationStatus": "ENABLING"}
        if configuration.get("ApproximateCreationDateTimePrecision"):
            entry["ApproximateCreationDateTimePrecision"] = configuration["ApproximateCreationDateTimePrecision"]
        # The newest entry first, as AWS lists them; a failed entry of the same stream is replaced.
        table.kinesis = [entry, *(d for d in table.kinesis if d["StreamArn"] != arn)]
        self.state.save(ctx.scope, table)
        self.tasks.spawn(self._check(ctx.scope, table.name, table.tid, arn), owner="dynamodb",
                         what=f"enabling Kinesis destination {arn} of {table.name}")
        return {"TableName": table.name, "StreamArn": arn, "DestinationStatus": "ENABLING",
                "EnableKinesisStreamingConfiguration": configuration}

    async def _check(self, scope: Scope, name: str, tid: int, arn: str) -> None:
        await asyncio.sleep(CHECK_DELAY)
        table = self.state.tables.get(scope, name)
        if table is None or table.tid != tid:
            return
        table.kinesis = [{**d, "DestinationStatus": "ENABLE_FAILED", "DestinationStatusDescription": NO_STREAM}
                         if d["StreamArn"] == arn and d["DestinationStatus"] == "ENABLING" else d for d in table.kinesis]
        self.state.save(scope, table)

    def disable_kinesis_streaming_destination(self, ctx: RequestContext, params: dict) -> dict:
        self.state.table_for_control(ctx, params["TableName"])  # a missing table is not found first
        if params.get("EnableKinesisStreamingConfiguration"):
            raise invalid("Stream cannot be disabled using EnableKinesisStreamingConfiguration parameters")
        # No destination is ever ACTIVE while regionbox serves no Kinesis: refused as AWS refuses a non-ACTIVE one.
        raise invalid(_STATE + "KinesisStreamingDestination must be ACTIVE to perform DISABLE operation.")

    def update_kinesis_streaming_destination(self, ctx: RequestContext, params: dict) -> dict:
        table = self.state.table_for_control(ctx, params["TableName"])
        configuration = params.get("UpdateKinesisStreamingConfiguration") or {}
        if not any(v is not None for v in configuration.values()):
            raise invalid("Streaming destination cannot be updated with given parameters: UpdateKinesisStreamingConfiguration "
                          "cannot be null or contain only null values")
        raise invalid(_STATE + f"Kinesis streaming is not in ACTIVE state. Updates are only allowed in ACTIVE state. "
                      f"TableName: {table.name}, kdsArn: {params['StreamArn']}")
