"""What every service provider is.

A provider implements a service's operations as methods named after the operation in
snake_case (``CreateRole`` -> ``create_role``). Each takes the ``RequestContext`` and the parsed
input (a dict keyed by the model's member names) and returns the output as a dict, or raises
``ServiceError``. Methods may be ``async`` when they wait on something (an engine, a stream).
A method must never block the event loop for long: start slow work as a background task and
report it through the resource's status, as AWS does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from regionbox.server import Cloud


class Provider:
    # botocore service name, e.g. "sts", "dynamodb", "elbv2".
    service: ClassVar[str]
    # Operations that change nothing are recorded by CloudTrail as read-only events; the gateway
    # derives that from the name (Describe*/Get*/List*...). Data-plane operations that CloudTrail
    # does not record as management events (PutLogEvents, PutItem ...) are listed here.
    data_events: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, cloud: "Cloud") -> None:
        self.cloud = cloud
        self.store = cloud.store

    async def start(self) -> None:
        """Called once when the cloud starts: restore engines and background tasks from state."""

    async def stop(self) -> None:
        """Called once on shutdown: stop engines cleanly, keeping their data."""

    def engines(self) -> dict[str, str]:
        """Engines this service runs, for `regionbox status`: name -> "real redis-server 7.0 ..." or
        "embedded (install redis-server for the real engine)"."""
        return {}

    async def reset(self) -> None:
        """Forget everything (POST /_regionbox/reset): stop engines and drop their data.
        Documents in the store are already wiped by the store itself."""
