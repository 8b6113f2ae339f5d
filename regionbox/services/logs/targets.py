"""Where subscription filters and destinations deliver: a Kinesis data stream, a Firehose stream
or a Lambda function, each reached through its own service's api when regionbox serves it.

The contract such a service's api offers Logs is one method::

    logs_target(arn: str) -> Callable[[bytes, str], None] | None

a function that delivers one record (data, partition key) to the stream or function the ARN
names, or None when it does not exist or is not active. regionbox serves none of the three yet,
so every such target is missing and Logs answers what AWS answers for a missing one (a
"Could not deliver test message ..." InvalidParameterException), never 501.

Records are what AWS sends: the gzip-compressed JSON of a ``DATA_MESSAGE`` (or of the
``CONTROL_MESSAGE`` that checks a new Kinesis or Firehose target), and for Lambda that data
base64-encoded under ``{"awslogs": {"data": ...}}``.
"""

from __future__ import annotations

import base64
import gzip
from typing import Any, Callable

import orjson

from regionbox.core.errors import ServiceError, invalid

Deliver = Callable[[bytes, str], None]

_MISSING = {
    "kinesis": "Could not deliver test message to specified Kinesis stream. Check if the given kinesis stream is "
               "in ACTIVE state.",
    "firehose": "Could not deliver test message to specified Firehose stream. Check if the given Firehose stream "
                "is in ACTIVE state.",
    "lambda": "Could not execute the lambda function. Make sure you have given CloudWatch Logs permission to "
              "execute your function.",
}
_HEALTH = {"kinesis": "CWL CONTROL MESSAGE: Checking health of destination Kinesis stream.",
           "firehose": "CWL CONTROL MESSAGE: Checking health of destination Firehose."}


def target_service(arn: str) -> str:
    """The service of a delivery ARN: kinesis, firehose, lambda, or logs (a destination)."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn":
        raise invalid(f"Invalid destination ARN: {arn}")
    service, resource = parts[2], parts[5]
    if service == "kinesis" and resource.startswith("stream/") or service == "firehose" and \
            resource.startswith("deliverystream/") or service == "lambda" and resource == "function" or \
            service == "logs" and resource == "destination":
        return service
    raise invalid(f"Invalid destination ARN {arn}: the destination must be a Kinesis data stream, a Firehose "
                  "stream, a Lambda function or a CloudWatch Logs destination.")


def data_message(owner: str, group: str, stream: str, filters: list[str], events: list[dict],
                 policy_level: str | None = None) -> bytes:
    message = {"messageType": "DATA_MESSAGE", "owner": owner, "logGroup": group, "logStream": stream,
               "subscriptionFilters": filters, "logEvents": events}
    if policy_level:
        message["policyLevel"] = policy_level  # delivered for an account-level subscription policy
    return gzip.compress(orjson.dumps(message))


def control_message(service: str, timestamp: int) -> bytes:
    return gzip.compress(orjson.dumps({
        "messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
        "subscriptionFilters": [], "logEvents": [{"id": "", "timestamp": timestamp, "message": _HEALTH[service]}]}))


class Targets:
    def __init__(self, services: Any) -> None:
        self.services = services  # the cloud's registry: names and api(name)

    def find(self, arn: str) -> Deliver | None:
        service = target_service(arn)
        if service not in self.services.names:
            return None
        finder = getattr(self.services.api(service), "logs_target", None)
        deliver = finder(arn) if finder is not None else None
        if deliver is not None and service == "lambda":
            return lambda data, key: deliver(orjson.dumps({"awslogs": {"data": base64.b64encode(data).decode()}}), key)
        return deliver

    def check(self, arn: str, timestamp: int) -> Deliver:
        """The target, checked as AWS checks a new one (the control message for streams), or
        AWS's error for a target that does not exist."""
        deliver = self.find(arn)
        service = target_service(arn)
        if deliver is None:
            raise ServiceError("InvalidParameterException", _MISSING[service])
        if service in _HEALTH:
            deliver(control_message(service, timestamp), "CloudwatchLogs")
        return deliver

    @staticmethod
    def missing(arn: str) -> ServiceError:
        return ServiceError("InvalidParameterException", _MISSING[target_service(arn)])
