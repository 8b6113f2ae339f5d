"""A stand-in for regionbox's Lambda service (not built yet: issue #11), for the tests of Transfer
Family's custom identity providers and custom workflow steps. It offers what Transfer asks of
Lambda, ``invoke(account, region, function_arn, event) -> dict``, running Python functions the
test registers by ARN; an unknown ARN is Lambda's ResourceNotFoundException."""

from __future__ import annotations

import inspect
from typing import Callable

from regionbox.core.errors import ServiceError
from regionbox.core.service import Service


class StandInLambda:
    def __init__(self) -> None:
        self.functions: dict[str, Callable[[dict], dict]] = {}
        self.calls: list[tuple[str, dict]] = []

    async def invoke(self, account: str, region: str, function: str, event: dict) -> dict:
        self.calls.append((function, event))
        handler = self.functions.get(function)
        if handler is None:
            raise ServiceError("ResourceNotFoundException", f"Function not found: {function}", status=404)
        result = handler(event)
        return await result if inspect.isawaitable(result) else result


def load(cloud) -> Service:
    return Service(name="lambda", operations={}, api=StandInLambda())
