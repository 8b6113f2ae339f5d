"""What Lambda offers other services (``cloud.services.api("lambda")``).

- ``invoke``: run a function as Invoke would (RequestResponse, Event or DryRun) and get what the
  wire would show: payload, FunctionError, the log tail. AppSync's Lambda data sources and
  Transfer Family's AWS_LAMBDA identity providers call it. With ``caller`` (an IAM identity) IAM
  decides as for a request (lambda:InvokeFunction, the function policy); with ``principal`` (an
  AWS service, "appsync.amazonaws.com") the function policy must let that service in; with
  neither, the caller is trusted (regionbox's own plumbing).
- ``logs_target``: CloudWatch Logs subscription filters deliver to a function through it.

S3 event notifications reach functions through the cloud's bus (notifications.py), and event
source mappings read DynamoDB Streams (stream_poller.py): neither needs this API.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

import orjson

from regionbox.core import ids
from regionbox.core.context import Caller, RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.service import Access
from regionbox.services.lambda_.async_invocations import AsyncQueue
from regionbox.services.lambda_.invoke import ASYNC_LIMIT, SYNC_LIMIT, Invoker, check_payload
from regionbox.services.lambda_.names import function_arn, parse_function
from regionbox.services.lambda_.permissions import Permissions


@dataclass(frozen=True)
class Invocation:
    """An invocation's answer, member for member what Invoke returns."""

    status_code: int  # 200, 202 (Event) or 204 (DryRun)
    payload: bytes = b""
    function_error: str | None = None  # "Unhandled" when the function failed
    error_type: str | None = None  # the errorType of a failure
    log_result: str | None = None  # base64 of the log's last 4 KB, when asked with log_type="Tail"
    executed_version: str | None = None

    def json(self) -> Any:
        """The payload decoded: the function's result, or its error document."""
        return orjson.loads(self.payload) if self.payload else None


class LambdaApi:
    def __init__(self, invoker: Invoker, queue: AsyncQueue, permissions: Permissions, iam: Callable[[], Any],
                 enforce_iam: bool, default_region: str) -> None:
        self._invoker = invoker
        self._queue = queue
        self._permissions = permissions
        self._iam = iam
        self._enforce = enforce_iam
        self._region = default_region

    async def invoke(self, account: str, region: str | None, function: str, payload: Any = b"",
                     invocation_type: str = "RequestResponse", *, caller: Caller | None = None,
                     principal: str | None = None, source_arn: str | None = None, source_account: str | None = None,
                     qualifier: str | None = None, log_type: str | None = None,
                     client_context: dict | None = None) -> Invocation:
        """Raises ServiceError with Lambda's code for what Invoke refuses (no such function,
        throttled, payload too large, not allowed)."""
        body = payload if isinstance(payload, (bytes, bytearray)) else \
            payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        ctx = RequestContext(caller=caller or Caller.root(account), region=region or self._region,
                             request_id=ids.request_id(), service="lambda", operation="Invoke")
        ref = parse_function(ctx, function, qualifier, account=account)
        self._authorize(ctx, ref, caller, principal, source_arn, source_account)
        if invocation_type == "Event":
            check_payload(bytes(body), ASYNC_LIMIT)
            _, config, _ = self._invoker.target(ref)
            self._invoker.ready(ref, config)
            self._queue.enqueue(ref, bytes(body), ctx.request_id, source={"principal": principal or ""})
            return Invocation(202)
        check_payload(bytes(body), SYNC_LIMIT)
        if invocation_type == "DryRun":
            _, config, _ = self._invoker.target(ref)
            self._invoker.ready(ref, config)
            return Invocation(204)
        result = await self._invoker.call(ref, bytes(body), client_context=client_context, request_id=ctx.request_id)
        return Invocation(200, result.payload, "Unhandled" if result.error else None, result.error,
                          result.tail if log_type == "Tail" else None, result.version)

    def _authorize(self, ctx: RequestContext, ref, caller: Caller | None, principal: str | None, source_arn: str | None,
                   source_account: str | None) -> None:
        arn = function_arn(ref.account, ref.region, ref.name, ref.qualifier)
        if principal is not None:
            self._invoker.state.function(ref)
            if not self._permissions.service_allowed(ref, principal, source_arn, source_account):
                raise ServiceError("AccessDeniedException", f"{principal} is not authorized to perform: "
                                   f"lambda:InvokeFunction on resource: {arn}", status=403)
        if caller is not None and self._enforce and (caller.type != "Root" or caller.account_id != ref.account):
            denial = self._iam().authorize(ctx, None, "lambda:InvokeFunction", [Access(arn)], self._permissions.policy_of)
            if denial is not None:
                raise ServiceError("AccessDeniedException", f"User: {caller.arn} is not authorized to perform: "
                                   f"{denial.action} on resource: {denial.resource} {denial.reason}", status=403)

    def logs_target(self, arn: str) -> Callable[[bytes, str], None] | None:
        """How CloudWatch Logs delivers a subscription's records to the function ``arn`` names
        (an asynchronous invocation each), or None if it does not exist or does not let Logs in."""
        parts = arn.split(":")
        if len(parts) < 7 or parts[2] != "lambda":
            return None
        ctx = RequestContext(caller=Caller.root(parts[4]), region=parts[3], request_id="", service="lambda")
        try:
            ref = parse_function(ctx, arn)
            _, config, _ = self._invoker.target(ref)
        except ServiceError:
            return None
        region = ref.region
        if config.state != "Active" or not (self._permissions.service_allowed(ref, "logs.amazonaws.com", None, ref.account)
                                            or self._permissions.service_allowed(ref, f"logs.{region}.amazonaws.com",
                                                                                 None, ref.account)):
            return None

        def deliver(data: bytes, key: str) -> None:
            self._queue.enqueue(ref, data, source={"principal": "logs.amazonaws.com"})
        return deliver
