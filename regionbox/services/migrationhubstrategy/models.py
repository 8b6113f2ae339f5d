"""Strategy Recommendations' state, per account and region: the portfolio preferences, the
assessments, what each assessment found (servers and application components with their options)
and the report and import tasks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from regionbox.core.store import Scope

PREFERENCES_KEY = "portfolio"


@dataclass
class Assessment:
    SCHEMA_VERSION: ClassVar[int] = 1
    id: str
    status: str  # IN_PROGRESS | COMPLETE | FAILED | STOPPED
    start_time: float
    data_source: str
    targets: list[dict] = field(default_factory=list)
    report_bucket: str | None = None
    analysis_bucket: str | None = None
    completion_time: float | None = None
    servers: int = 0
    success: int = 0
    failed: int = 0
    status_message: str | None = None


@dataclass
class AssessedServer:
    SCHEMA_VERSION: ClassVar[int] = 1
    id: str  # the discovered server's configuration id
    source: dict  # the server as Application Discovery Service gave it (options are recomputed from it)
    applications: list[dict]  # [{"id", "name"}]
    options: list[dict]  # rules.Option fields, the first recommended
    last_analyzed: float
    preferred: dict | None = None  # a user's choice (UpdateServerConfig): {"strategy", "targetDestination"?, "toolName"?}
    group_ids: list[dict] = field(default_factory=list)  # import groups: [{"name", "value"}]


@dataclass
class AssessedComponent:
    SCHEMA_VERSION: ClassVar[int] = 1
    id: str
    name: str
    server_id: str
    app_type: str
    sub_type: str
    engine: str
    command_line: str
    applications: list[dict]
    options: list[dict]
    last_analyzed: float
    preferred: dict | None = None
    app_type_set: str | None = None  # UpdateApplicationComponentConfig's appType
    inclusion_status: str = "includeInAssessment"
    secret_name: str | None = None
    source_code: list[dict] = field(default_factory=list)
    configured: bool = False


@dataclass
class ReportTask:
    SCHEMA_VERSION: ClassVar[int] = 1
    id: str
    status: str  # IN_PROGRESS | SUCCESS | FAILED
    output_format: str
    start_time: float
    group_ids: list[dict] = field(default_factory=list)
    bucket: str | None = None
    keys: list[str] = field(default_factory=list)
    completion_time: float | None = None
    status_message: str | None = None


@dataclass
class ImportFileTask:
    SCHEMA_VERSION: ClassVar[int] = 1
    id: str
    name: str
    bucket: str
    key: str
    data_source: str  # ApplicationDiscoveryService | MPA | Import | StrategyRecommendationsApplicationDataCollector
    start_time: float
    status: str = "ImportInProgress"
    group_ids: list[dict] = field(default_factory=list)
    report_bucket: str | None = None
    report_key: str | None = None
    completion_time: float | None = None
    success: int = 0
    failed: int = 0
    # The servers the file named: discovered ones by reference ({"configurationId"}), others in
    # DiscoveryApi's shape built from their rows.
    servers: list[dict] = field(default_factory=list)


class StrategyState:
    def __init__(self, store) -> None:
        self.store = store
        self.preferences = store.collection("migrationhubstrategy.preferences")  # PREFERENCES_KEY -> the document
        self.assessments = store.collection("migrationhubstrategy.assessments", Assessment)
        self.servers = store.collection("migrationhubstrategy.servers", AssessedServer)
        self.components = store.collection("migrationhubstrategy.components", AssessedComponent)
        self.reports = store.collection("migrationhubstrategy.reports", ReportTask)
        self.imports = store.collection("migrationhubstrategy.imports", ImportFileTask)

    def latest_assessment(self, scope: Scope) -> Assessment | None:
        assessments = self.assessments.values(scope)
        return max(assessments, key=lambda a: a.start_time) if assessments else None

    def in_progress(self, scope: Scope) -> Assessment | None:
        return next((a for a in self.assessments.values(scope) if a.status == "IN_PROGRESS"), None)

    def imported(self, scope: Scope) -> list[ImportFileTask]:
        return [task for task in self.imports.values(scope) if task.status in ("ImportSuccess", "ImportPartialSuccess")]
