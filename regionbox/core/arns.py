"""ARNs: build and take apart. Every ARN regionbox writes is built here, in the region's partition."""

from __future__ import annotations

from dataclasses import dataclass


def partition_of(region: str) -> str:
    """aws-cn for the China regions, aws-us-gov for GovCloud, aws everywhere else; a global
    resource (region "") is in the standard partition."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def arn(service: str, region: str, account: str, resource: str, partition: str | None = None) -> str:
    return f"arn:{partition or partition_of(region)}:{service}:{region}:{account}:{resource}"


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


def account_of(text: str) -> str | None:
    """The account an ARN names; None for "*", a non-ARN, an ARN without one (S3 buckets) and
    AWS's own resources that every account shares (``arn:aws:iam::aws:policy/...``)."""
    parts = text.split(":", 5)
    return (parts[4] or None) if len(parts) == 6 and parts[0] == "arn" and parts[4] != "aws" else None
