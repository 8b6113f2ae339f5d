"""Running a function: which configuration an invocation runs (a version, or an alias's weighted
choice), its environment (AWS's variables, the execution role's session, the way back to this
cloud), the payload limits, and the Invoke / InvokeAsync operations.

``Invoker.call`` is the one way a function runs, whoever asks: Invoke, the queue of asynchronous
invocations, event source mappings, S3 notifications and the other services (api.py).
"""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

from regionbox.core import clock, ids
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.store import Scope
from regionbox.protocol.http import BodyTooLarge
from regionbox.services.lambda_.execution_role import ExecutionRoles
from regionbox.services.lambda_.models import Alias, Function, FunctionConfig
from regionbox.services.lambda_.names import FunctionRef, function_arn, parse_function
from regionbox.services.lambda_.runtimes import Runtimes
from regionbox.services.lambda_.state import LambdaState
from regionbox.services.lambda_.workers import RUNTIME_DIR, Launch, Outcome, Throttled, Workers

if TYPE_CHECKING:
    from regionbox.services.lambda_.async_invocations import AsyncQueue

SYNC_LIMIT = 6291456  # bytes of a synchronous request's payload
ASYNC_LIMIT = 262144  # bytes of an asynchronous one
CLIENT_CONTEXT_LIMIT = 3583


def too_large(limit: int) -> ServiceError:
    return ServiceError("RequestEntityTooLargeException",
                        f"Request must be smaller than {limit} bytes for the InvokeFunction operation", status=413)


def throttled(reason: str) -> ServiceError:
    return ServiceError("TooManyRequestsException", "Rate Exceeded.", status=429, Reason=reason, Type="User")


def check_payload(payload: bytes, limit: int) -> None:
    """AWS's refusal of a payload over the limit or that is not JSON (an empty one is ``{}``)."""
    if len(payload) > limit:
        raise too_large(limit)
    if payload:
        try:
            orjson.loads(payload)
        except orjson.JSONDecodeError:
            try:
                json.loads(payload)
            except (ValueError, UnicodeDecodeError) as error:
                raise ServiceError("InvalidRequestContentException", "Could not parse request body into json: Could "
                                   f"not parse payload into json: {error}", Type="User") from None


def log_group(scope: Scope, config: FunctionConfig) -> str:
    return (config.logging or {}).get("LogGroup") or f"/aws/lambda/{config.name}"


@dataclass
class Result:
    """A synchronous invocation as the wire shows it."""

    payload: bytes
    error: str | None  # errorType; on the wire X-Amz-Function-Error: Unhandled
    tail: str  # base64 of the log's last 4 KB
    version: str  # X-Amz-Executed-Version

    def json(self):
        """The payload as JSON (what a caller in-process reads as the function's answer)."""
        return orjson.loads(self.payload) if self.payload else None


class Invoker:
    def __init__(self, state: LambdaState, workers: Workers, runtimes: Runtimes, roles: ExecutionRoles,
                 endpoint: str, concurrency: int) -> None:
        self.state = state
        self.workers = workers
        self.runtimes = runtimes
        self.roles = roles
        self.endpoint = endpoint
        self.concurrency = concurrency
        self._launches: dict[str, tuple[Launch, float]] = {}

    # -- what runs -----------------------------------------------------------------------------
    def target(self, ref: FunctionRef) -> tuple[Function, FunctionConfig, Alias | None]:
        """The function and the configuration an invocation of ``ref`` runs: an alias with
        routing weights sends each invocation to one of its versions at random by weight."""
        function = self.state.function(ref)
        config, alias = self.state.resolve(ref)
        if alias is not None and alias.weights:
            draw = random.random()
            for version, weight in alias.weights.items():
                draw -= weight
                if draw < 0:
                    config = self.state.version(ref, version)
                    break
        return function, config, alias

    def ready(self, ref: FunctionRef, config: FunctionConfig) -> None:
        if config.state != "Active":
            raise ServiceError("ResourceConflictException", "The operation cannot be performed at this time. The "
                               f"function is currently in the following state: {config.state}", status=409, Type="User")
        if self.runtimes.argv(config.runtime) is None:
            raise ServiceError("InvalidRuntimeException", self.runtimes.unavailable(config.runtime), status=502)

    def launch(self, scope: Scope, config: FunctionConfig) -> Launch:
        """How to start an environment of this configuration (cached while its session is fresh)."""
        key = f"{scope[0]}/{scope[1]}/{config.name}/{config.version}/{config.revision_id}"
        cached = self._launches.get(key)
        if cached is not None and cached[1] > clock.epoch() + 3600:
            return cached[0]
        code_dir = self.state.code_dir(scope, config)
        layers = [d for d in (self.state.layer_dir(layer["Arn"]) for layer in reversed(config.layers)) if d is not None]
        language = self.runtimes.language(config.runtime) or "python"
        group = log_group(scope, config)
        session = self.roles.session(config.role, config.name, scope[1])
        environment = {
            **config.environment,
            "AWS_LAMBDA_FUNCTION_NAME": config.name, "AWS_LAMBDA_FUNCTION_VERSION": config.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory), "AWS_LAMBDA_LOG_GROUP_NAME": group,
            "AWS_REGION": scope[1], "AWS_DEFAULT_REGION": scope[1], "AWS_EXECUTION_ENV": f"AWS_Lambda_{config.runtime}",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand", "AWS_ENDPOINT_URL": self.endpoint,
            "LAMBDA_TASK_ROOT": str(code_dir), "LAMBDA_RUNTIME_DIR": str(RUNTIME_DIR), "_HANDLER": config.handler,
            "TZ": ":UTC", "LANG": "en_US.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
            "PATH": ":".join([*(str(d / "bin") for d in layers), "/usr/local/bin", "/usr/bin", "/bin"]),
            "LD_LIBRARY_PATH": ":".join([*(str(d / "lib") for d in layers), str(code_dir / "lib"), "/lib64", "/usr/lib64"]),
            **session,
        }
        if language == "node":
            environment["NODE_PATH"] = ":".join(
                [p for d in layers for p in (str(d / "nodejs" / "node20" / "node_modules"), str(d / "nodejs" / "node_modules"))])
        paths = tuple(p for d in layers for p in (str(d / "python" / "lib" / config.runtime / "site-packages"), str(d / "python")))
        launch = Launch(key=key, function=(scope[0], scope[1], config.name), version=config.version,
                        argv=self.runtimes.argv(config.runtime) or (), language=language, code_dir=str(code_dir),
                        paths=paths, environment=tuple(environment.items()), timeout=float(config.timeout),
                        memory=config.memory, log_group=group, runtime=config.runtime)
        self._launches[key] = (launch, clock.epoch() + 12 * 3600)
        return launch

    def retire(self, scope: Scope, name: str, version: str | None = None) -> None:
        """A function (or one version) changed or went: its environments are not reused."""
        prefix = f"{scope[0]}/{scope[1]}/{name}/" + (f"{version}/" if version else "")
        for key in [k for k in self._launches if k.startswith(prefix)]:
            del self._launches[key]
        self.workers.retire(lambda key: not key.startswith(prefix))

    def unreserved(self, scope: Scope) -> int:
        """The account's concurrency left to functions without a reservation."""
        reserved = sum(f.reserved_concurrency or 0 for f in self.state.functions.values(scope))
        return max(self.concurrency - reserved, 0)

    # -- running -------------------------------------------------------------------------------
    async def call(self, ref: FunctionRef, payload: bytes, *, client_context: dict | None = None,
                   request_id: str | None = None) -> Result:
        """Run the function synchronously; raises ServiceError for what Invoke itself refuses
        (not found, not ready, throttled)."""
        function, config, _ = self.target(ref)
        self.ready(ref, config)
        request_id = request_id or ids.request_id()
        header = {"arn": function_arn(ref.account, ref.region, ref.name, ref.qualifier)}
        if client_context is not None:
            header["client_context"] = client_context
        reserved = function.reserved_concurrency
        try:
            outcome: Outcome = await self.workers.run(self.launch(ref.scope, config), request_id, header, payload,
                                                      reserved=reserved,
                                                      unreserved=None if reserved is not None else self.unreserved(ref.scope))
        except Throttled as throttle:
            raise throttled(throttle.reason) from None
        return Result(outcome.payload, outcome.error, outcome.tail, config.version)


def client_context_of(text: str | None) -> dict | None:
    if not text:
        return None
    try:
        raw = base64.b64decode(text, validate=True)
        if len(raw) > CLIENT_CONTEXT_LIMIT:
            raise ValueError
        document = json.loads(raw)
        if not isinstance(document, dict):
            raise ValueError
        return document
    except ValueError:
        raise ServiceError("InvalidRequestContentException", "Client context must be a valid Base64-encoded JSON object.",
                           Type="User") from None


class Invocations:
    """The Invoke and InvokeAsync operations."""

    def __init__(self, invoker: Invoker, queue: "AsyncQueue") -> None:
        self.invoker = invoker
        self.queue = queue

    async def invoke(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"], params.get("Qualifier"))
        kind = params.get("InvocationType") or "RequestResponse"
        payload = bytes(params.get("Payload") or b"")
        ctx.touched("AWS::Lambda::Function", ref.name)
        if kind == "Event":
            check_payload(payload, ASYNC_LIMIT)
            _, config, _ = self.invoker.target(ref)
            self.invoker.ready(ref, config)
            self.queue.enqueue(ref, payload, ctx.request_id)
            return {"StatusCode": 202}
        check_payload(payload, SYNC_LIMIT)
        context = client_context_of(params.get("ClientContext"))
        if kind == "DryRun":
            _, config, _ = self.invoker.target(ref)
            self.invoker.ready(ref, config)
            return {"StatusCode": 204}
        result = await self.invoker.call(ref, payload, client_context=context, request_id=ctx.request_id)
        output = {"StatusCode": 200, "Payload": result.payload, "ExecutedVersion": result.version}
        if result.error is not None:
            output["FunctionError"] = "Unhandled"
        if params.get("LogType") == "Tail":
            output["LogResult"] = result.tail
        return output

    async def invoke_async(self, ctx: RequestContext, params: dict) -> dict:
        """The deprecated InvokeAsync: an Event invocation answering 202 with Status."""
        ref = parse_function(ctx, params["FunctionName"])
        body = params.get("InvokeArgs") or b""
        if not isinstance(body, (bytes, bytearray)):
            try:
                body = await body.read(ASYNC_LIMIT)
            except BodyTooLarge:
                raise too_large(ASYNC_LIMIT) from None
        check_payload(bytes(body), ASYNC_LIMIT)
        _, config, _ = self.invoker.target(ref)
        self.invoker.ready(ref, config)
        self.queue.enqueue(ref, bytes(body), ctx.request_id)
        return {"Status": 202}


    async def invoke_with_response_stream(self, ctx: RequestContext, params: dict) -> dict:
        """The function's answer as an event stream: PayloadChunk events, then InvokeComplete
        (with ErrorCode/ErrorDetails when the function failed, LogResult when asked). The runtimes
        here answer when the handler returns (as a Python function does on AWS, where only some
        runtimes write a stream as they go), so the chunks follow each other at once."""
        ref = parse_function(ctx, params["FunctionName"], params.get("Qualifier"))
        payload = bytes(params.get("Payload") or b"")
        ctx.touched("AWS::Lambda::Function", ref.name)
        check_payload(payload, SYNC_LIMIT)
        context = client_context_of(params.get("ClientContext"))
        if (params.get("InvocationType") or "RequestResponse") == "DryRun":
            _, config, _ = self.invoker.target(ref)
            self.invoker.ready(ref, config)
            return {"StatusCode": 204}
        result = await self.invoker.call(ref, payload, client_context=context, request_id=ctx.request_id)
        return {"StatusCode": 200, "ExecutedVersion": result.version, "ResponseStreamContentType": "application/octet-stream",
                "EventStream": _stream(result, params.get("LogType") == "Tail")}


STREAM_CHUNK = 32 * 1024


async def _stream(result: Result, tail: bool):
    complete: dict[str, str] = {}
    if result.error is not None:
        complete["ErrorCode"] = result.error
        complete["ErrorDetails"] = result.payload.decode("utf-8", "replace")
    else:
        for start in range(0, len(result.payload), STREAM_CHUNK):
            yield {"PayloadChunk": {"Payload": result.payload[start:start + STREAM_CHUNK]}}
    if tail:
        complete["LogResult"] = result.tail
    yield {"InvokeComplete": complete}
