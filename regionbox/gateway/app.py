"""The ASGI application: one entry point for every service.

A request flows one way: route (which service) -> identify (which account, region, caller) ->
parse (protocol layer, from the service's botocore model) -> provider method -> serialize.
Internal endpoints under /_regionbox (and /_localstack/health) serve tools and tests.
"""

from __future__ import annotations

import inspect
import logging
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from botocore import xform_name

from regionbox.core import ids
from regionbox.core.context import RequestContext
from regionbox.core.errors import InternalFailure, NotImplementedOperation, ServiceError
from regionbox.gateway import internal
from regionbox.gateway.identity import credential_scope, verify_signature
from regionbox.gateway.routing import ServiceIndex
from regionbox.protocol import HttpRequest, HttpResponse, negotiate, parser_for, serializer_for
from regionbox.protocol.errors import credential_error
from regionbox.protocol.http import decode_body
from regionbox.protocol.specs import service_model

if TYPE_CHECKING:
    from regionbox.server import Cloud

log = logging.getLogger("regionbox.gateway")

# A data-plane route: (method, path, headers, body) -> HttpResponse, or None if not ours.
HttpHandler = Callable[[HttpRequest], Awaitable[HttpResponse | None]]


class Gateway:
    def __init__(self, cloud: "Cloud"):
        self.cloud = cloud
        self.index = ServiceIndex(sorted(cloud.providers))
        # (service, operation name) -> bound provider method, filled on first use.
        self._methods: dict[tuple[str, str], Callable | None] = {}
        # Data planes that speak plain HTTP (AppSync GraphQL, API Gateway stages ...) register here.
        self.http_handlers: list[HttpHandler] = []
        cloud.gateway = self

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            handler = getattr(self.cloud, "websocket_handler", None)
            if handler is None:
                await send({"type": "websocket.close", "code": 1008})
            else:
                await handler(scope, receive, send)

    async def _lifespan(self, receive: Callable, send: Callable) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.cloud.start()
                except Exception as exc:  # noqa: BLE001 - report startup failure to uvicorn
                    log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.cloud.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: dict, receive: Callable, send: Callable) -> None:
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        request = HttpRequest(
            method=scope["method"],
            path=scope.get("raw_path", b"").decode("latin-1").split("?", 1)[0] or scope["path"],
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
            host=headers.get("host", ""),
        )
        client = scope.get("client")
        response = await self.handle(request, client[0] if client else "127.0.0.1")
        await send({"type": "http.response.start", "status": response.status,
                    "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]})
        await send({"type": "http.response.body", "body": response.body if request.method != "HEAD" else b""})

    async def handle(self, request: HttpRequest, source_ip: str = "127.0.0.1") -> HttpResponse:
        if request.path.startswith(("/_regionbox/", "/_localstack/")):
            return await internal.handle(self.cloud, request)
        for handler in self.http_handlers:
            response = await handler(request)
            if response is not None:
                return response
        return await self._aws(request, source_ip)

    async def _aws(self, request: HttpRequest, source_ip: str) -> HttpResponse:
        request_id = ids.request_id()
        scope = credential_scope(request)
        signed_body = request.body
        try:
            request.body = decode_body(request.headers, request.body)
            service = self.index.route(request, scope.service if scope else None)
        except ServiceError as error:
            return internal.generic_error(error, request_id)
        except Exception:  # noqa: BLE001 - a body that cannot even be decoded
            return internal.generic_error(ServiceError("SerializationException", "The request body could not be decoded."), request_id)

        model = service_model(service)
        protocol = negotiate(model, request)
        serializer = serializer_for(model, protocol)
        operation = None
        try:
            caller = self.cloud.credentials.resolve(scope.access_key_id if scope else None)
            issued = self.cloud.credentials.issued(scope.access_key_id) if scope else None
            if issued is not None:
                verify_signature(request, signed_body, scope, issued)
        except ServiceError as exc:  # expired, deactivated, wrongly signed or missing its token
            return serializer.serialize_error(None, credential_error(protocol, exc), request_id)
        ctx = RequestContext(
            cloud=self.cloud,
            caller=caller,
            region=(scope.region if scope and scope.region else self.cloud.config.default_region),
            request_id=request_id,
            service=service,
            source_ip=source_ip,
            user_agent=request.headers.get("user-agent", ""),
        )
        params: dict[str, Any] = {}
        error: Exception | None = None
        output: dict | None = None
        try:
            operation, params = parser_for(model, protocol).parse(request)
            ctx.operation = operation.name
            method = self._method(service, operation.name)
            if method is None:
                raise NotImplementedOperation(service, operation.name)
            output = method(ctx, params)
            if inspect.isawaitable(output):
                output = await output
            response = serializer.serialize_response(operation, output or {}, request_id)
        except ServiceError as exc:
            error = exc
            response = serializer.serialize_error(operation, exc, request_id)
        except Exception as exc:  # noqa: BLE001 - never a traceback on the wire
            log.exception("%s.%s failed", service, operation.name if operation else "?")
            error = exc
            response = serializer.serialize_error(operation, InternalFailure(), request_id)
        if operation is not None and self._audited(service, operation.name, error):
            try:
                self.cloud.audit.record(ctx, model.metadata.get("endpointPrefix", service) + ".amazonaws.com",
                                        params, error, output)
            except Exception:  # noqa: BLE001 - the audit trail must not fail the call it records
                log.exception("audit record failed")
        return response

    def _method(self, service: str, operation: str) -> Callable | None:
        key = (service, operation)
        if key not in self._methods:
            provider = self.cloud.providers.get(service)
            self._methods[key] = getattr(provider, xform_name(operation), None) if provider else None
        return self._methods[key]

    def _audited(self, service: str, operation: str, error: Exception | None) -> bool:
        """CloudTrail management events, reads and writes; data events (items, log events,
        stream records) are not in event history, as on AWS."""
        if isinstance(error, NotImplementedOperation):
            return False
        provider = self.cloud.providers.get(service)
        return provider is not None and operation not in provider.data_events
