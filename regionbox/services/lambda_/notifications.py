"""S3 event notifications to functions: S3 publishes each event on the cloud's bus ("s3.event",
with the bucket's matching LambdaFunctionConfigurations as destinations); every Lambda destination
gets the event as an asynchronous invocation, as S3 invokes functions on AWS, once the function's
policy lets s3.amazonaws.com invoke it for that bucket (AddPermission with SourceArn
``arn:aws:s3:::<bucket>`` and SourceAccount)."""

from __future__ import annotations

import copy
import logging
from typing import Any, Callable

import orjson

from regionbox.core.events import EventBus
from regionbox.services.lambda_.async_invocations import AsyncQueue
from regionbox.services.lambda_.names import FunctionRef
from regionbox.services.lambda_.permissions import Permissions
from regionbox.services.lambda_.state import LambdaState

log = logging.getLogger("regionbox.lambda")
TOPIC = "s3.event"


class S3Notifications:
    def __init__(self, state: LambdaState, queue: AsyncQueue, permissions: Permissions, bus: EventBus,
                 s3: Callable[[], Any]) -> None:
        self.state = state
        self.queue = queue
        self.permissions = permissions
        self.bus = bus
        self.s3 = s3  # S3's API: who owns the bucket (the SourceAccount of the invocation)
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> None:
        if self._unsubscribe is None:
            self._unsubscribe = self.bus.subscribe(TOPIC, self._event)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _event(self, topic: str, payload: dict) -> None:
        for destination in payload.get("destinations") or []:
            if destination.get("type") != "LambdaFunction":
                continue
            parts = destination["arn"].split(":")
            ref = FunctionRef(parts[4], parts[3], parts[6], parts[7] if len(parts) > 7 else None)
            if self.state.functions.get(ref.scope, ref.name) is None:
                log.warning("lambda: S3 event for %s dropped: the function does not exist", destination["arn"])
                continue
            records = copy.deepcopy(payload["Records"])
            bucket = records[0]["s3"]["bucket"]["name"]
            for record in records:
                record["s3"]["configurationId"] = destination.get("id", "")
            info = self.s3().bucket(bucket, records[0].get("awsRegion"))
            if not self.permissions.service_allowed(ref, "s3.amazonaws.com", f"arn:aws:s3:::{bucket}",
                                                    info.owner if info is not None else None):
                log.warning("lambda: S3 event for %s dropped: its policy does not let s3.amazonaws.com invoke it for "
                            "bucket %s (AddPermission)", destination["arn"], bucket)
                continue
            self.queue.enqueue(ref, orjson.dumps({"Records": records}), source={"principal": "s3.amazonaws.com"})
