"""Secrets Manager's stored documents: secrets with their versions and staging labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


@dataclass
class Version:
    version_id: str
    created: float
    stages: list[str]  # AWSCURRENT, AWSPREVIOUS, or labels of the caller's
    string: str | None = None
    binary: str | None = None  # base64: documents are JSON


@dataclass
class Secret:
    SCHEMA_VERSION: ClassVar[int] = 1

    name: str
    arn: str
    created: float
    changed: float
    description: str = ""
    kms_key_id: str = ""
    tags: list[dict] = field(default_factory=list)
    versions: list[Version] = field(default_factory=list)
    deleted: float | None = None  # when DeleteSecret marked it; gone for good at ``deletion``
    deletion: float | None = None
    accessed: float | None = None

    def __post_init__(self) -> None:
        self.versions = [v if isinstance(v, Version) else Version(**v) for v in self.versions]

    def version(self, version_id: str | None = None, stage: str | None = None) -> Version | None:
        for version in self.versions:
            if (version_id is None or version.version_id == version_id) and (stage is None or stage in version.stages):
                return version
        return None
