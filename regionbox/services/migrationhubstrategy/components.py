"""ListApplicationComponents, GetApplicationComponentDetails, GetApplicationComponentStrategies,
UpdateApplicationComponentConfig: the application components (recognised processes) the
assessments found, with their options and the one in force."""

from __future__ import annotations

from regionbox.core.pagination import Paginator
from regionbox.services.migrationhubstrategy.analysis import effective, matches, options_of, recommendation_set
from regionbox.services.migrationhubstrategy.common import filtered_page, in_groups, not_found, with_token
from regionbox.services.migrationhubstrategy.models import PREFERENCES_KEY, AssessedComponent, StrategyState
from regionbox.services.migrationhubstrategy.rules import Preferences, facts_of
from regionbox.services.migrationhubstrategy.servers import choose


class Components:
    def __init__(self, state: StrategyState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def get(self, scope, component_id: str) -> AssessedComponent:
        component = self.state.components.get(scope, component_id)
        if component is None:
            raise not_found(f"Application component {component_id} was not found.")
        return component

    def detail(self, scope, component: AssessedComponent) -> dict:
        server = self.state.servers.get(scope, component.server_id)
        facts = facts_of(server.source) if server else None
        option = effective(component.options, component.preferred)
        detail: dict = {
            "id": component.id, "name": component.name, "appType": component.app_type_set or component.app_type,
            "resourceSubType": component.sub_type, "associatedServerId": component.server_id,
            "inclusionStatus": component.inclusion_status, "lastAnalyzedTimestamp": component.last_analyzed,
            "moreServerAssociationExists": False, "listAntipatternSeveritySummary": [],
            # No source code or database is analysed here: what the component is comes from its process.
            "analysisStatus": "CONFIGURED" if component.configured else "UNCONFIGURED",
            "runtimeStatus": "ANALYSIS_SUCCESS",
            "runtimeStatusMessage": f"Identified as {component.engine} from the process {component.name}",
        }
        if facts and facts.os_version:
            detail["osVersion"] = f"{facts.os_name} {facts.os_version}".strip()
        if component.secret_name:
            detail["databaseConfigDetail"] = {"secretName": component.secret_name}
        if component.source_code:
            detail["sourceCodeRepositories"] = component.source_code
        if option is not None:
            detail["recommendationSet"] = recommendation_set(option)
            detail["statusMessage"] = option["reason"]
        return detail

    def list_application_components(self, ctx, params: dict) -> dict:
        components = [c for c in self.state.components.values(ctx.scope)
                      if self.groups_of(ctx.scope, c, params.get("groupIdFilter"))]
        page, token = filtered_page(self.paginator, components, params, "applicationComponentCriteria", self.keeps,
                                    lambda c: c.name)
        return with_token({"applicationComponentInfos": [self.detail(ctx.scope, c) for c in page]}, token)

    def groups_of(self, scope, component: AssessedComponent, wanted: list[dict] | None) -> bool:
        server = self.state.servers.get(scope, component.server_id)
        return in_groups(server.group_ids if server else [], wanted)

    @staticmethod
    def keeps(component: AssessedComponent, criteria: str, value: str | None) -> bool:
        option = effective(component.options, component.preferred) or {}
        wanted = (value or "").lower()
        found = {
            "APP_NAME": wanted in component.name.lower() or any(wanted in a["name"].lower() for a in component.applications),
            "SERVER_ID": component.server_id == value,
            "APP_TYPE": (component.app_type_set or component.app_type).lower() == wanted,
            "STRATEGY": option.get("strategy", "").lower() == wanted,
            "DESTINATION": option.get("destination", "").lower() == wanted,
            "ANALYSIS_STATUS": ("configured" if component.configured else "unconfigured") == wanted,
            "ERROR_CATEGORY": False,
        }
        return found[criteria]

    def get_application_component_details(self, ctx, params: dict) -> dict:
        component = self.get(ctx.scope, params["applicationComponentId"])
        return {"applicationComponentDetail": self.detail(ctx.scope, component),
                "associatedApplications": component.applications, "moreApplicationResource": len(component.applications) > 1,
                "associatedServerIds": [component.server_id]}

    def get_application_component_strategies(self, ctx, params: dict) -> dict:
        component = self.get(ctx.scope, params["applicationComponentId"])
        in_force = effective(component.options, component.preferred)
        return {"applicationComponentStrategies": [
            {"recommendation": recommendation_set(option), "status": option["status"], "isPreferred": option is in_force}
            for option in component.options]}

    def update_application_component_config(self, ctx, params: dict) -> dict:
        component = self.get(ctx.scope, params["applicationComponentId"])
        if "appType" in params:
            # Another type means other options: they are derived again (a preference that no longer applies is dropped).
            component.app_type_set = params["appType"]
            component.options = options_of(component, Preferences.of(self.state.preferences.get(ctx.scope, PREFERENCES_KEY)))
            if component.preferred and not any(matches(o, component.preferred) for o in component.options):
                component.preferred = None
        if "inclusionStatus" in params:
            component.inclusion_status = params["inclusionStatus"]
        if "secretsManagerKey" in params:
            component.secret_name = params["secretsManagerKey"]
            component.configured = True
        if "sourceCodeList" in params:
            component.source_code = [{"repository": s.get("location"), "projectName": s.get("projectName"),
                                      "branch": s.get("sourceVersion"), "versionControlType": s.get("versionControl")}
                                     for s in params["sourceCodeList"]]
            component.source_code = [{k: v for k, v in s.items() if v is not None} for s in component.source_code]
            component.configured = True
        if params.get("strategyOption") is not None:
            component.preferred = choose(component.options, params["strategyOption"], f"application component {component.id}")
        self.state.components.put(ctx.scope, component.id, component)
        return {}
