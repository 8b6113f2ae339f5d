"""ARNs: build and take apart."""

from __future__ import annotations

from dataclasses import dataclass


def arn(service: str, region: str, account: str, resource: str, partition: str = "aws") -> str:
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    @classmethod
    def parse(cls, text: str) -> "Arn":
        parts = text.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn":
            raise ValueError(f"not an ARN: {text!r}")
        return cls(*parts[1:])

    def __str__(self) -> str:
        return arn(self.service, self.region, self.account, self.resource, self.partition)
