"""What a service package gives the cloud: its registration table and what it runs.

Every package under ``regionbox/services/`` has a function ``load(cloud) -> Service``. It builds
the service's one typed state, the handlers (grouped by resource, each given the state and the
collaborators it needs), and returns a ``Service`` whose ``operations`` table maps each botocore
operation name to its handler. That table is the dispatcher and the coverage report: nothing is
found by guessing method names, and an operation missing from it answers 501 (with the reason
from ``not_implemented`` when there is one).

A handler is ``handler(ctx, params) -> dict`` (or a coroutine function): ``ctx`` is the
``RequestContext`` (caller, account, region), ``params`` the input parsed and validated by the
protocol layer, keyed by the model's member names. It returns the output members as a dict, or
raises ``ServiceError``. It never sees HTTP and never builds XML or JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping

from regionbox.protocol.dialect import Dialect

if TYPE_CHECKING:
    from regionbox.core.context import RequestContext
    from regionbox.protocol.http import HttpRequest, HttpResponse

Handler = Callable[["RequestContext", dict], "dict | Awaitable[dict]"]
Hook = Callable[[], "Awaitable[None] | None"]
# A data plane's HTTP entry point on the cloud's port (S3 form uploads, /graphql, execute-api):
# the request with its body still unread (``request.stream``), answered with a response whose
# body may be an async iterator of chunks, or None when it is an AWS request after all (then
# the gateway serves it as one: S3's virtual-hosted requests).
HttpEndpoint = Callable[["HttpRequest"], "Awaitable[HttpResponse | None]"]
# An ASGI WebSocket application: (scope, receive, send).
WebSocketEndpoint = Callable[[dict, Callable, Callable], Awaitable[None]]


@dataclass(frozen=True)
class Access:
    """One (action, resource) pair a request needs IAM to allow, when it is more than the
    operation's own action on one resource: TransactWriteItems needs dynamodb:PutItem on one
    table and dynamodb:DeleteItem on another; AssumeRole with tags also needs sts:TagSession."""

    resource: str  # an ARN, or "*" where AWS authorizes the action on "*"
    action: str = ""  # "" = the operation's action (prefix:Operation)
    # Service-specific condition keys of this request for this resource (dynamodb:LeadingKeys ...).
    context: Mapping[str, Any] = field(default_factory=dict)
    # The service answers a resource policy that grants nothing with its own error (STS and a
    # role's trust policy): IAM then lets that policy grant or deny explicitly, never refuse.
    resource_policy_checked_by_service: bool = False


# What an operation touches, for IAM: ARNs (or "*"), or Access for more than one action.
Resources = Callable[["RequestContext", str, dict], "list[str | Access]"]


class ServiceDefinitionError(Exception):
    """A service's registration table does not match its botocore model."""


@dataclass
class Service:
    name: str  # botocore service name: "elasticache", "dynamodbstreams"
    operations: dict[str, Handler]
    # Operations knowingly left out, with the reason shown by GET /_regionbox/coverage and the 501.
    not_implemented: dict[str, str] = field(default_factory=dict)
    # Operations CloudTrail records as data events, not management events (PutItem, PutLogEvents).
    data_events: frozenset[str] = frozenset()
    dialect: Dialect = field(default_factory=Dialect)
    # What other services may use of this one (IAM's roles for STS): reached with cloud.services.api(name).
    api: Any = None
    # Data planes on the cloud's own port; which requests reach them is declared in services/__init__.py.
    http: HttpEndpoint | None = None
    websocket: WebSocketEndpoint | None = None
    # Cross-origin requests from origins the user did not allow (REGIONBOX_CORS_ORIGINS) that the
    # service answers by its own rules (S3's bucket CORS): the CORS headers it grants the request
    # (preflights included), or None to leave it refused by the gateway's guard.
    cors: Callable[["HttpRequest"], "list[tuple[str, str]] | None"] | None = None
    # Lifecycle: start restores engines and background work from state; stop keeps data; reset forgets.
    start: Hook | None = None
    stop: Hook | None = None
    reset: Hook | None = None
    # Engines this service runs, for `regionbox status`: name -> "real (/usr/bin/redis-server)".
    engines: Callable[[], dict[str, str]] | None = None
    # IAM (gateway/authorization.py): the action of an operation is "<iam_prefix>:<operation>"
    # (the model's signing name when empty), except where ``iam_actions`` names it otherwise
    # (None: the operation needs no permission, as sts:GetCallerIdentity). ``resources`` says
    # what an operation touches (None: "*"), ``resource_policy`` the resource-based policy of
    # an ARN of this service, if it has one.
    iam_prefix: str = ""
    iam_actions: Mapping[str, str | None] = field(default_factory=dict)
    resources: Resources | None = None
    resource_policy: Callable[[str], str | None] | None = None

    def check_against(self, operation_names: list[str]) -> None:
        """Every registered or excused name is an operation of the model: a typo is a load error."""
        known = set(operation_names)
        unknown = sorted((set(self.operations) | set(self.not_implemented) | set(self.data_events)) - known)
        if unknown:
            raise ServiceDefinitionError(f"{self.name}: not operations of its botocore model: {', '.join(unknown)}")
        both = sorted(set(self.operations) & set(self.not_implemented))
        if both:
            raise ServiceDefinitionError(f"{self.name}: both implemented and not implemented: {', '.join(both)}")

    def coverage(self, operation_names: list[str]) -> dict[str, Any]:
        """{"implemented": [...], "not_implemented": {op: why}} over every operation of the model."""
        missing = {name: self.not_implemented.get(name, "not built yet")
                   for name in sorted(operation_names) if name not in self.operations}
        return {"implemented": sorted(self.operations), "not_implemented": missing}
