"""The ASGI application: one entry point for every service.

Every request first passes the guard (guard.py: no request a web page made the browser send).
An AWS request then flows one way: route (which service) -> read the body (up to the limit, unless
the operation streams it) -> identify (which account, region, caller) -> parse (protocol layer,
from the service's botocore model and dialect) -> authorize (IAM, authorization.py) -> the handler
registered for the operation -> serialize. Plain HTTP and WebSocket requests that a service's data
plane declared (services/__init__.py) go to that data plane; /_regionbox (and /_localstack/health)
to the internal endpoints.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import TYPE_CHECKING, Any, Callable

from regionbox.core import ids
from regionbox.core.audit import data_resources
from regionbox.core.context import RequestContext
from regionbox.core.errors import InternalFailure, InvalidInput, NotImplementedOperation, ServiceError
from regionbox.core.service import Service
from regionbox.gateway import internal
from regionbox.gateway.authorization import Authorizer
from regionbox.gateway.guard import (CrossSiteRefused, Guard, cors_headers, form_content_type, internal_write_allowed,
                                     is_form_post, is_preflight)
from regionbox.gateway.identity import check_presigned_expiry, check_region, credential_scope, verify_signature
from regionbox.gateway.routing import ServiceIndex, UnservedService
from regionbox.protocol import HttpRequest, HttpResponse, negotiate, parser_for, serializer_for
from regionbox.protocol.cbor import rpc_v2_service
from regionbox.protocol.errors import credential_error
from regionbox.protocol.http import BodyStream, ClientDisconnected, decode_body
from regionbox.protocol.specs import model_for_signing_name, service_model

if TYPE_CHECKING:
    from regionbox.server import Cloud

log = logging.getLogger("regionbox.gateway")

# The most a request body may hold before its service is known (internal endpoints, query
# protocol bodies read for routing); then the service's own limit applies (Dialect.max_request_bytes).
BODY_LIMIT = 16 * 1024 * 1024


class Gateway:
    def __init__(self, cloud: "Cloud"):
        self.cloud = cloud
        self.index = ServiceIndex(cloud.services.names, cloud.services.unsigned_fallback)
        self.guard = Guard(cloud.config)
        self.authorizer = Authorizer(cloud)

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            await self._websocket(scope, receive, send)

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

    async def _websocket(self, scope: dict, receive: Callable, send: Callable) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:  # a page may open a WebSocket to any site: the same guard as for HTTP
            self.guard.check(HttpRequest("GET", scope["path"], "", headers, host=headers.get("host", "")))
        except CrossSiteRefused:
            await send({"type": "websocket.close", "code": 1008})
            return
        name = self.cloud.services.for_http(headers.get("host", ""), scope["path"], websocket=True)
        service = await self.cloud.services.ready(name) if name else None
        if service is None or service.websocket is None:
            await send({"type": "websocket.close", "code": 1008})
            return
        del headers  # not kept for the life of a long-lived connection (a WebSocket is idle for hours)
        await service.websocket(scope, receive, send)

    async def _http(self, scope: dict, receive: Callable, send: Callable) -> None:
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        names = scope.get("extensions", {}).get("regionbox.header_names")
        request = HttpRequest(
            method=scope["method"],
            path=scope.get("raw_path", b"").decode("latin-1").split("?", 1)[0] or scope["path"],
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            host=headers.get("host", ""),
            stream=BodyStream(receive),
            sent=None if names is None else (names, scope["headers"]),
        )
        client = scope.get("client")
        try:
            granted: list[tuple[str, str]] | None = None  # CORS headers a service's own rules grant
            try:
                origin = self.guard.check(request)
            except CrossSiteRefused:
                granted = await self._service_cors(request)
                if granted is None:
                    raise
                origin = None
            if granted is not None and is_preflight(request):
                response = HttpResponse(200, [*granted, ("Content-Length", "0")])
            elif origin is not None and is_preflight(request):
                response = self.guard.preflight(request, origin)
            else:
                response = await self.handle(request, client[0] if client else "127.0.0.1")
                response.headers.extend(cors_headers(origin) if origin is not None else granted or [])
        except CrossSiteRefused as refused:
            response = internal.generic_error(refused, ids.request_id())
        except ClientDisconnected:
            return
        if request.stream is not None and request.stream.unread and request.headers.get("content-length", "0") != "0":
            # Answered before its body was read (an S3 precondition failed): a client that sent
            # "Expect: 100-continue" never sends it, one that did sent bytes that are not a request.
            response.headers.append(("Connection", "close"))
        await send({"type": "http.response.start", "status": response.status,
                    "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]})
        body = response.body
        if request.method == "HEAD" or isinstance(body, (bytes, bytearray)):
            await send({"type": "http.response.body", "body": b"" if request.method == "HEAD" else bytes(body)})
            return
        # Once the request body is read, the only message left to receive is the client going away:
        # a response that streams until told to stop (Logs' live tail) stops then.
        if request.stream is None:
            await self._send_until_disconnect(body, send, receive)
        else:
            await self._send_body(body, send)
        await send({"type": "http.response.body", "body": b""})

    @staticmethod
    async def _send_body(body, send: Callable) -> None:
        try:
            async for chunk in body:
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except Exception:  # noqa: BLE001 - the status is sent: all we can do is end the body short
            log.exception("streaming a response body failed")

    async def _send_until_disconnect(self, body, send: Callable, receive: Callable) -> None:
        sending = asyncio.ensure_future(self._send_body(body, send))
        gone = asyncio.ensure_future(_disconnect(receive))
        await asyncio.wait((sending, gone), return_when=asyncio.FIRST_COMPLETED)
        for task in (sending, gone):
            task.cancel()
        await asyncio.gather(sending, gone, return_exceptions=True)
        close = getattr(body, "aclose", None)
        if close is not None:
            await close()

    async def _service_cors(self, request: HttpRequest) -> list[tuple[str, str]] | None:
        """A cross-origin request the user's settings refuse may still be one the service allows
        by rules the user gave it (S3's bucket CORS, Service.cors): the headers it grants, or None."""
        if not self.guard.host_allowed(request.host) or "origin" not in request.headers:
            return None
        try:
            name = self.cloud.services.for_http(request.host, request.path)
            if name is None:
                scope = credential_scope(request)
                name = self.index.route(request, scope.service if scope else None)
            service = await self.cloud.services.ready(name)
        except ServiceError:
            return None
        return service.cors(request) if service.cors is not None else None

    async def handle(self, request: HttpRequest, source_ip: str = "127.0.0.1") -> HttpResponse:
        if request.path.startswith(("/_regionbox/", "/_localstack/")):
            if request.method == "POST" and not internal_write_allowed(request):
                return internal.generic_error(CrossSiteRefused(
                    "internal endpoints change state only for JSON requests or ones with the X-Regionbox header."),
                    ids.request_id())
            request.body = await request.stream.read(BODY_LIMIT) if request.stream else request.body
            return await internal.handle(self.cloud, request)
        data_plane = self.cloud.services.for_http(request.host, request.path, form_post=is_form_post(request))
        if data_plane is not None:
            try:
                service = await self.cloud.services.ready(data_plane)
            except ServiceError as error:
                return internal.generic_error(error, ids.request_id())
            if service.http is not None:
                response = await service.http(request)
                if response is not None:  # None: an AWS request after all (S3's virtual hosts)
                    return response
        return await self._aws(request, source_ip)

    async def _aws(self, request: HttpRequest, source_ip: str) -> HttpResponse:
        request_id = ids.request_id()
        scope = credential_scope(request)
        undecodable = False
        try:
            if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                try:
                    await self._read_body(request)  # the query protocol's Action may be in the body
                except (ServiceError, ClientDisconnected):
                    raise
                except Exception:  # noqa: BLE001 - a Content-Encoding that cannot be undone: answered
                    undecodable = True  # once the service, and so its protocol, is known
            name = self.index.route(request, scope.service if scope else None)
            service = await self.cloud.services.ready(name)
        except UnservedService as error:
            return self._unserved(request, error, request_id)
        except ServiceError as error:
            return internal.generic_error(error, request_id)

        model = service_model(name)
        protocol = negotiate(model, request)
        parser = parser_for(model, protocol, service.dialect)
        serializer = serializer_for(model, protocol, service.dialect)
        if protocol in ("json", "smithy-rpc-v2-cbor") and form_content_type(request):
            # What an HTML form can send is never a JSON request: AWS answers it as an unknown operation.
            return serializer.serialize_error(None, ServiceError(
                "UnknownOperationException", f"Requests to {name} must be JSON, not {request.headers['content-type']}.",
                status=404), request_id)
        try:
            if undecodable:
                raise ValueError("undecodable body")
            signed_body = request.body if parser.streams_body(request) else \
                await self._read_body(request, service.dialect.max_request_bytes)
        except ServiceError as error:
            return serializer.serialize_error(None, error, request_id)
        except ClientDisconnected:
            raise
        except Exception:  # noqa: BLE001 - undecodable Content-Encoding
            return serializer.serialize_error(None, ServiceError("SerializationException", "The request body could not be decoded."), request_id)
        try:
            if scope is not None:
                check_region(scope)
                check_presigned_expiry(request)
            caller = self.cloud.credentials.resolve(scope.access_key_id if scope else None)
            issued = self.cloud.credentials.issued(scope.access_key_id) if scope else None
            if issued is not None:
                request.chunk_signatures = verify_signature(request, signed_body, scope, issued,
                                                            raw_path=service.dialect.s3_conventions)
        except ServiceError as exc:  # expired, deactivated, wrongly signed or missing its token
            return serializer.serialize_error(None, credential_error(protocol, exc), request_id)
        ctx = RequestContext(
            caller=caller,
            region=(scope.region if scope and scope.region else self.cloud.config.default_region),
            request_id=request_id,
            service=name,
            source_ip=source_ip,
            user_agent=request.headers.get("user-agent", ""),
        )
        operation = None
        params: dict[str, Any] = {}
        error: Exception | None = None
        output: dict | None = None
        if issued is not None and not issued.session_token and caller.type == "IAMUser":
            # An IAM user's access key: IAM notes its last use (kept in memory, written in batches).
            self.cloud.services.api("iam").access_key_used(issued.access_key_id, caller.account_id,
                                                           model.metadata.get("endpointPrefix", name), ctx.region)
        try:
            operation, params = parser.parse(request)
            ctx.operation = operation.name
            self.authorizer.check(service, model.signing_name, protocol, ctx, operation.name, params, issued, operation)
            output = await self._dispatch(service, ctx, operation.name, params)
            response = serializer.serialize_response(operation, output or {}, request_id)
        except ServiceError as exc:
            if isinstance(exc, InvalidInput) and not exc.code:
                exc.code = parser.validation_code
            error = exc
            response = serializer.serialize_error(operation, exc, request_id)
        except ClientDisconnected:
            raise
        except Exception as exc:  # noqa: BLE001 - never a traceback on the wire
            log.exception("%s.%s failed", name, operation.name if operation else "?")
            error = exc
            response = serializer.serialize_error(operation, InternalFailure(), request_id)
        if operation is not None and not isinstance(error, NotImplementedOperation):
            try:
                self._audit(service, model.metadata.get("endpointPrefix", name) + ".amazonaws.com", ctx,
                            operation.name, params, error, output)
            except Exception:  # noqa: BLE001 - the audit trail must not fail the call it records
                log.exception("audit record failed")
        return response

    def _unserved(self, request: HttpRequest, error: UnservedService, request_id: str) -> HttpResponse:
        """A service regionbox does not serve answers 501 in its own protocol (XML for query and
        rest-xml services), so its client shows the cause instead of failing to parse."""
        model = model_for_signing_name(error.signing_name, rpc_v2_service(request.path))
        if model is None:
            return internal.generic_error(error, request_id)
        error.message = (f"regionbox does not serve {model.metadata.get('serviceId', error.signing_name)} yet; "
                         f"it serves: {', '.join(self.cloud.services.names)}.")
        return serializer_for(model, negotiate(model, request)).serialize_error(None, error, request_id)

    @staticmethod
    async def _read_body(request: HttpRequest, limit: int = BODY_LIMIT) -> bytes:
        """Read the whole body (once) and undo its Content-Encoding; return it as it was sent,
        which is what the signature covers."""
        if request.stream is not None:
            request.raw_body = await request.stream.read(limit)
            request.stream = None
            request.body = decode_body(request.headers, request.raw_body, limit)
        return request.raw_body or request.body

    @staticmethod
    async def _dispatch(service: Service, ctx: RequestContext, operation: str, params: dict) -> dict:
        handler = service.operations.get(operation)
        if handler is None:
            raise NotImplementedOperation(service.name, operation, service.not_implemented.get(operation))
        output = handler(ctx, params)
        if inspect.isawaitable(output):
            output = await output
        return output

    def _audit(self, service: Service, source: str, ctx: RequestContext, operation: str, params: dict,
               error: Exception | None, output: dict | None) -> None:
        """CloudTrail management events, reads and writes; data events (items, log events,
        stream records) only for accounts whose trails or event data stores may select them, with
        the resources the operation touched (what IAM authorizes), and never in event history."""
        audit = self.cloud.audit
        if operation not in service.data_events:
            audit.record(ctx, source, params, error, output)
        elif audit.wants_data_events(ctx.account_id):
            try:
                touched = service.resources(ctx, operation, params) if service.resources is not None else []
            except Exception:  # noqa: BLE001 - a request its service refused names no resource to record
                touched = []
            arns = [a if isinstance(a, str) else a.resource for a in touched]
            audit.record(ctx, source, params, error, output, data=data_resources([a for a in arns if a != "*"]))


async def _disconnect(receive: Callable) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
