"""A Lambda stand-in for Logs' subscription tests, loaded by test clouds as the "lambda"
service: functions exist once a test adds them to the api, and keep the events Logs invokes
them with (``logs_target``, the contract of regionbox/services/logs/targets.py)."""

from __future__ import annotations

from regionbox.core.registry import Entry
from regionbox.core.service import Service

ENTRY = Entry("tests.services.fake_lambda")


class FakeLambda:
    def __init__(self) -> None:
        self.invocations: dict[str, list[bytes]] = {}

    def add_function(self, arn: str) -> None:
        self.invocations[arn] = []

    def logs_target(self, arn: str):
        if arn not in self.invocations:
            return None
        return lambda payload, key: self.invocations[arn].append(payload)


def load(cloud) -> Service:
    return Service(name="lambda", api=FakeLambda(), operations={})
