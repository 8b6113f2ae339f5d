"""Where the records of asynchronous invocations and of event source mapping failures go: an S3
bucket (an object per record), and SQS, SNS or EventBridge when regionbox serves them. A Lambda
function as a destination is the asynchronous queue's own business (async_invocations.py).

The record's object key is AWS's: ``aws/lambda/async/<function>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>``
for asynchronous invocations, ``aws/lambda/<mapping uuid>/<shard>/YYYY/MM/DD/...`` for mappings.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import orjson

from regionbox.core.errors import ServiceError
from regionbox.core.store import Scope

log = logging.getLogger("regionbox.lambda")
_SERVICES = {"sqs": "Amazon SQS", "sns": "Amazon SNS", "events": "Amazon EventBridge"}


def object_key(prefix: str) -> str:
    now = time.gmtime()
    return f"{prefix}/{time.strftime('%Y/%m/%d', now)}/{time.strftime('%Y-%m-%dT%H.%M.%S', now)}-{uuid.uuid4()}"


def service_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[2] if len(parts) >= 6 and parts[0] == "arn" else ""


def check_destination(arn: str, allowed: tuple[str, ...]) -> None:
    """AWS's refusal of a destination ARN of a kind the source cannot deliver to."""
    if service_of(arn) not in allowed:
        raise ServiceError("InvalidParameterValueException",
                           f"The provided destination config DestinationConfig(onSuccess=null, onFailure=OnFailure("
                           f"destination={arn})) is invalid.", Type="User")


class Destinations:
    def __init__(self, services: Any) -> None:
        self.services = services  # the cloud's registry: names and api(name)

    async def deliver(self, scope: Scope, arn: str, record: dict, key_prefix: str) -> bool:
        """Send ``record`` to the destination; False (logged) when it cannot be delivered."""
        service = service_of(arn)
        body = orjson.dumps(record)
        try:
            if service == "s3" and "s3" in self.services.names:
                bucket = arn.split(":::", 1)[-1].split("/", 1)[0]
                await self.services.api("s3").put_object(scope[0], bucket, object_key(key_prefix), body,
                                                          content_type="application/json", region=scope[1])
                return True
            deliver = getattr(self.services.api(service), "lambda_destination", None) \
                if service in self.services.names else None
            if deliver is not None:
                await deliver(arn, body)
                return True
        except ServiceError as error:
            log.warning("lambda: delivering a record to %s failed: %s %s", arn, error.code, error.message)
            return False
        log.warning("lambda: %s is not served by regionbox: the record for %s is dropped", _SERVICES.get(service, service), arn)
        return False
