"""Event APIs' data plane: who may publish and subscribe where, the namespaces' code handlers,
fan-out to subscribers, and publishing over HTTP.

HTTP: ``POST /event`` on ``<apiId>.appsync-api.<region>.localhost`` (or ``POST /event/<apiId>``
on any host) with ``{"channel": "/ns/a", "events": ["<JSON text>", ...]}`` (one to five events)
and the publish auth mode's headers answers ``{"failed": [], "successful": [{"identifier",
"index"}]}``. The WebSocket (event_realtime.py) publishes and subscribes through the same
``Events``. A namespace's ``onPublish`` runs once per publish, before fan-out, and may change or
drop events (an event it returns with ``error`` is reported failed); its ``onSubscribe`` runs at
subscribe time and refuses the subscription by throwing (``util.unauthorized()``, ``util.error``).

Each event reaches each matching subscriber as ``{"type": "data", "id": <subscription id>,
"event": "<JSON text>"}``: the text as published, or the handler's payload serialized again."""

from __future__ import annotations

import json
import uuid
from typing import Any

import orjson

from regionbox.core import ids
from regionbox.protocol.http import BodyTooLarge, HttpRequest, HttpResponse
from regionbox.services.appsync.auth import Authenticator, Identity, Unauthorized
from regionbox.services.appsync.channels import ChannelSubscriber, Channels, parse_channel, path_of
from regionbox.services.appsync.endpoint import host_api
from regionbox.services.appsync.models import ChannelNamespace, EventApi
from regionbox.services.appsync.programs import Programs
from regionbox.services.appsync.state import AppSyncState
from regionbox.services.appsync.utils import ResolverError

MAX_EVENTS = 5  # per publish
MAX_EVENT_BYTES = 240 * 1024
BODY_LIMIT = 1_258_291  # 1.2 MB, AppSync's largest publish request
_PREFIX = "/event/"


class EventError(Exception):
    """A publish or subscribe refused: AppSync's errorType, message and (over HTTP) status."""

    def __init__(self, error_type: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.status = status

    def errors(self) -> list[dict]:
        return [{"errorType": self.error_type, "message": self.message}]


UNAUTHORIZED = "You are not authorized to make this call."


def event_api_of(host: str, path: str, realtime: bool) -> tuple[str | None, str | None]:
    """(api id, region or None) of an Event API request: the API's own host with ``/event``
    (``/event/realtime`` for the WebSocket), or ``/event/<apiId>`` (``/event/<apiId>/realtime``)."""
    api_id, region = host_api(host)
    own = "/event/realtime" if realtime else "/event"
    if api_id and path.rstrip("/") == own:
        return api_id, region
    if path.startswith(_PREFIX):
        rest = path[len(_PREFIX):].rstrip("/").split("/")
        if (len(rest) == 2 and rest[1] == "realtime") if realtime else len(rest) == 1:
            return rest[0], None
    return None, None


def signed_bodies(document: dict) -> list[bytes]:
    """The bodies a client may have signed for this request: JSON.stringify's compact form, and
    Python's json.dumps with its default spaces (a client signs a request it never sends)."""
    return [orjson.dumps(document), json.dumps(document).encode()]


class Events:
    def __init__(self, state: AppSyncState, authenticator: Authenticator, programs: Programs, channels: Channels,
                 domains) -> None:
        self.state = state
        self.domains = domains  # DomainNames: a custom domain's Host routes to its API
        self.authenticator = authenticator
        self.programs = programs
        self.channels = channels

    def named(self, host: str, path: str, realtime: bool) -> tuple[str | None, str | None]:
        """(api id, region or None) an Event API request names: by AppSync's host or path forms,
        or by a custom domain associated with the API."""
        found = event_api_of(host, path, realtime)
        if found[0] is None:
            found = self.domains.route(host, path, "event-realtime" if realtime else "event")
        return found

    def locate(self, api_id: str | None, region: str | None) -> tuple[tuple[str, str], EventApi] | None:
        return self.state.locate(self.state.event_apis, api_id, region)

    # -- who -----------------------------------------------------------------------------------
    async def authorize(self, scope, api: EventApi, headers: dict[str, str], operation: str, bodies: list[bytes],
                        source_ip: str, namespace: ChannelNamespace | None = None) -> Identity:
        """The caller of CONNECT (the API's connection modes), PUBLISH or SUBSCRIBE (the
        namespace's modes); IAM callers also need appsync:Event<Operation> (on the namespace's ARN)."""
        config = api.event_config
        if operation == "CONNECT":
            enabled = [m["authType"] for m in config["connectionAuthModes"]]
        else:
            enabled = namespace.modes(api, operation)
        lambda_config = next((p.get("lambdaAuthorizerConfig") or {} for p in config["authProviders"]
                              if p["authType"] == "AWS_LAMBDA"), {})
        signed = tuple((path, body) for path in ("/event", f"/event/{api.api_id}") for body in bodies)
        who = await self.authenticator.authenticate(api, scope, headers, "/event", bodies[0], source_ip,
                                                    enabled=enabled, lambda_config=lambda_config, signed_as=signed)
        action = {"CONNECT": "appsync:EventConnect", "PUBLISH": "appsync:EventPublish",
                  "SUBSCRIBE": "appsync:EventSubscribe"}[operation]
        if not self.authenticator.iam_allows(who, scope, action, namespace.arn if namespace else api.arn):
            raise Unauthorized()
        return who

    def namespace(self, scope, api: EventApi, segments: tuple[str, ...]) -> ChannelNamespace:
        found = self.state.namespace(scope, api.api_id, segments[0])
        if found is None:
            raise EventError("NotFoundException", f"Channel namespace {segments[0]} not found.", 404)
        return found

    # -- handlers ------------------------------------------------------------------------------
    def _handler(self, namespace: ChannelNamespace, name: str):
        code = namespace.code_handlers
        if not code:
            return None
        program = self.programs.script(code)
        return program if name in program.exported else None

    @staticmethod
    def _context(namespace: ChannelNamespace, segments: tuple[str, ...], operation: str, who: Identity,
                 headers: dict[str, str], events: list[dict] | None) -> dict:
        return {"identity": who.identity, "events": events, "stash": {}, "error": None, "prev": None, "result": None,
                "outErrors": [], "request": {"headers": headers, "domainName": None},
                "info": {"channel": {"path": path_of(segments), "segments": list(segments)},
                         "channelNamespace": {"name": namespace.name}, "operation": operation}}

    @staticmethod
    def _refused(error: ResolverError) -> EventError:
        if error.error_type == "Unauthorized":
            return EventError("UnauthorizedException", UNAUTHORIZED, 401)
        return EventError(error.error_type or "HandlerError", error.message, 400)

    def check_subscribe(self, namespace: ChannelNamespace, segments: tuple[str, ...], who: Identity,
                        headers: dict[str, str]) -> None:
        """Run the namespace's onSubscribe, if it has one: a throw refuses the subscription."""
        program = self._handler(namespace, "onSubscribe")
        if program is not None:
            try:
                program.call("onSubscribe", self._context(namespace, segments, "SUBSCRIBE", who, headers, None))
            except ResolverError as error:
                raise self._refused(error) from None

    # -- publishing ----------------------------------------------------------------------------
    @staticmethod
    def check_events(events: Any) -> list[str]:
        if not isinstance(events, list) or not events:
            raise EventError("BadRequestException", "events must be a list of one to five JSON strings.")
        if len(events) > MAX_EVENTS:
            raise EventError("BadRequestException", f"A publish carries at most {MAX_EVENTS} events.")
        for index, event in enumerate(events):
            if not isinstance(event, str):
                raise EventError("BadRequestException", f"Event {index} is not a string: each event is JSON text.")
            if len(event.encode()) > MAX_EVENT_BYTES:
                raise EventError("BadRequestException", f"Event {index} is larger than 240 KB.")
            try:
                orjson.loads(event)
            except orjson.JSONDecodeError:
                raise EventError("BadRequestException", f"Event {index} is not valid JSON.") from None
        return events

    async def publish(self, scope, api: EventApi, namespace: ChannelNamespace, segments: tuple[str, ...],
                      events: list[str], who: Identity, headers: dict[str, str]) -> dict:
        """Run onPublish, deliver what it lets through; {"successful", "failed"} per event."""
        identifiers = [str(uuid.uuid4()) for _ in events]
        outgoing: list[bytes] = [orjson.dumps(text) for text in events]
        successful = [{"identifier": i, "index": n} for n, i in enumerate(identifiers)]
        failed: list[dict] = []
        program = self._handler(namespace, "onPublish")
        if program is not None:
            incoming = [{"id": i, "payload": orjson.loads(text)} for i, text in zip(identifiers, events)]
            try:
                value = program.call("onPublish", self._context(namespace, segments, "PUBLISH", who, headers,
                                                                incoming))["value"]
            except ResolverError as error:
                raise self._refused(error) from None
            outgoing, successful, failed = self._handled(value, identifiers)
        for subscriber in self.channels.matching(scope, api.api_id, segments):
            head = b'{"type":"data","id":' + orjson.dumps(subscriber.id) + b',"event":'
            for event in outgoing:
                subscriber.deliver(head + event + b"}")
        return {"failed": failed, "successful": successful}

    @staticmethod
    def _handled(value: Any, identifiers: list[str]) -> tuple[list[bytes], list[dict], list[dict]]:
        """What onPublish returned: the events to deliver (a null entry, or none at all, is
        dropped), and each incoming event reported successful or, with an ``error``, failed."""
        index_of = {identifier: n for n, identifier in enumerate(identifiers)}
        outgoing, failed_ids, errors = [], set(), {}
        for entry in value if isinstance(value, list) else ():
            if not isinstance(entry, dict):
                continue
            if entry.get("error") is not None:
                failed_ids.add(entry.get("id"))
                errors[entry.get("id")] = str(entry["error"])
            else:
                outgoing.append(orjson.dumps(orjson.dumps(entry.get("payload")).decode()))
        successful = [{"identifier": i, "index": index_of[i]} for i in identifiers if i not in failed_ids]
        failed = [{"identifier": i, "index": index_of[i], "errorCode": 400, "errorMessage": errors[i]}
                  for i in identifiers if i in failed_ids]
        return outgoing, successful, failed

    def subscriber(self, sub_id: str, deliver, scope, api: EventApi, segments: tuple[str, ...]) -> ChannelSubscriber:
        subscriber = ChannelSubscriber(sub_id, deliver, scope, api.api_id, segments)
        self.channels.add(subscriber)
        return subscriber


def _answer(status: int, document: dict) -> HttpResponse:
    body = orjson.dumps(document)
    return HttpResponse(status, [("Content-Type", "application/json"), ("x-amzn-RequestId", ids.request_id()),
                                 ("Content-Length", str(len(body)))], body)


def _error(status: int, error_type: str, message: str) -> HttpResponse:
    return _answer(status, {"errors": [{"errorType": error_type, "message": message}]})


class EventEndpoint:
    """``POST /event``: publishing over HTTP."""

    def __init__(self, events: Events) -> None:
        self.events = events

    def claims(self, request: HttpRequest) -> bool:
        return self.events.named(request.host, request.path, realtime=False)[0] is not None

    async def __call__(self, request: HttpRequest) -> HttpResponse:
        found = self.events.locate(*self.events.named(request.host, request.path, realtime=False))
        if found is None:
            return _error(404, "NotFoundException", "The Event API this URL names does not exist.")
        if request.method != "POST":
            return _error(405, "MethodNotAllowedException", f"{request.method} is not supported: publish with a POST.")
        scope, api = found
        try:
            raw = await request.stream.read(BODY_LIMIT) if request.stream is not None else request.body
        except BodyTooLarge:
            return _error(413, "PayloadTooLargeException", "The publish request is larger than 1.2 MB.")
        request.stream = None
        try:
            document = orjson.loads(raw)
            if not isinstance(document, dict):
                raise ValueError
        except (orjson.JSONDecodeError, ValueError):
            return _error(400, "BadRequestException", "The request body is not a JSON object.")
        try:
            segments = parse_channel(document.get("channel"))
            if segments is None or "*" in segments:
                raise EventError("BadRequestException", f"Invalid channel {document.get('channel')!r}: a channel is "
                                 "/<namespace>/<segment>..., at most 5 segments of letters, digits and hyphens.")
            events = self.events.check_events(document.get("events"))
            namespace = self.events.namespace(scope, api, segments)
            try:
                who = await self.events.authorize(scope, api, request.headers, "PUBLISH", [raw, *signed_bodies(document)],
                                                  "127.0.0.1", namespace)
            except Unauthorized:
                raise EventError("UnauthorizedException", UNAUTHORIZED, 401) from None
            result = await self.events.publish(scope, api, namespace, segments, events, who, dict(request.headers))
        except EventError as refused:
            return _error(refused.status, refused.error_type, refused.message)
        return _answer(200, result)
