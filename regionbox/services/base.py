"""TEMPORARY: the bridge from the old provider classes to the service kit (core/service.py).

Services not yet split into handlers per resource keep their provider class, whose public methods
named after operations (``CreateRole`` -> ``create_role``) are turned into a registration table
here, once, when the service loads. Each service moves to its own explicit table in ``load``;
this module goes away with the last of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from botocore import xform_name

from regionbox.core.service import Service
from regionbox.protocol.dialect import Dialect
from regionbox.protocol.specs import service_model

if TYPE_CHECKING:
    from regionbox.server import Cloud


class Provider:
    service: ClassVar[str]
    data_events: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, cloud: "Cloud") -> None:
        self.cloud = cloud
        self.store = cloud.store

    async def start(self) -> None:
        """Restore engines and background tasks from state."""

    async def stop(self) -> None:
        """Stop engines cleanly, keeping their data."""

    def engines(self) -> dict[str, str]:
        return {}

    async def reset(self) -> None:
        """Forget everything: stop engines and drop their data."""


def legacy_service(provider: Provider, dialect: Dialect = Dialect()) -> Service:
    operations = {}
    for name in service_model(provider.service).operation_names:
        method = getattr(provider, xform_name(name), None)
        if method is not None:
            operations[name] = method
    return Service(provider.service, operations, data_events=provider.data_events, dialect=dialect,
                   api=provider, start=provider.start, stop=provider.stop, reset=provider.reset, engines=provider.engines)
