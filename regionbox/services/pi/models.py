"""Performance Insights' stored documents: performance analysis reports (with their tags)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


@dataclass
class Report:
    SCHEMA_VERSION: ClassVar[int] = 1

    report_id: str
    identifier: str  # the instance's DbiResourceId
    service_type: str
    arn: str
    created: float
    start: float
    end: float
    status: str = "RUNNING"  # RUNNING, SUCCEEDED, FAILED
    insights: list[dict] = field(default_factory=list)  # as GetPerformanceAnalysisReport shows them (Markdown text)
    tags: list[dict] = field(default_factory=list)
