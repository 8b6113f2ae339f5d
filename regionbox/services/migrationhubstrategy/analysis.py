"""An assessment's work: discovered servers and applications, through the rules, into the
assessed servers and components this service keeps; and again for every one when the
preferences change (the rules read them)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from datetime import date

from regionbox.services.migrationhubstrategy.models import AssessedComponent, AssessedServer
from regionbox.services.migrationhubstrategy.rules import (Component, Option, Preferences, component_options, facts_of,
                                                            server_options)


def component_id(server_id: str, component: Component) -> str:
    """Stable across assessments, so that a user's choices for a component survive them."""
    digest = hashlib.sha256(f"{server_id}|{component.app_type}|{component.engine}".encode()).hexdigest()
    return f"ac-{digest[:24]}"


def assess(servers: list[dict], applications: list[dict], preferences: Preferences, now: float, today: date,
           previous_servers: dict[str, AssessedServer], previous_components: dict[str, AssessedComponent],
           ) -> tuple[list[AssessedServer], list[AssessedComponent]]:
    names = {a["configurationId"]: a.get("name") or a["configurationId"] for a in applications}
    assessed_servers, assessed_components = [], []
    for server in servers:
        server_id = server["configurationId"]
        apps = [{"id": app, "name": names.get(app, app)} for app in server.get("applications") or []]
        facts = facts_of(server)
        before = previous_servers.get(server_id)
        assessed_servers.append(AssessedServer(
            id=server_id, source=server, applications=apps, last_analyzed=now,
            options=[asdict(o) for o in server_options(facts, preferences, today)],
            preferred=before.preferred if before else None))
        for component in facts.components:
            cid = component_id(server_id, component)
            old = previous_components.get(cid)
            assessed = AssessedComponent(
                id=cid, name=component.name, server_id=server_id, app_type=component.app_type, sub_type=component.sub_type,
                engine=component.engine, command_line=component.command_line, applications=apps, options=[],
                last_analyzed=now)
            if old is not None:  # what the user configured stays
                for kept in ("preferred", "app_type_set", "inclusion_status", "secret_name", "source_code", "configured"):
                    setattr(assessed, kept, getattr(old, kept))
            assessed.options = options_of(assessed, preferences)
            assessed_components.append(assessed)
    return assessed_servers, assessed_components


def options_of(component: AssessedComponent, preferences: Preferences) -> list[dict]:
    as_rules_see_it = Component(name=component.name, app_type=component.app_type_set or component.app_type,
                                sub_type=component.sub_type, engine=component.engine, command_line=component.command_line)
    return [asdict(o) for o in component_options(as_rules_see_it, preferences)]


def server_options_again(server: AssessedServer, preferences: Preferences, today: date) -> list[dict]:
    return [asdict(o) for o in server_options(facts_of(server.source), preferences, today)]


def effective(options: list[dict], preferred: dict | None) -> dict | None:
    """The option in force: the user's preferred one, else the recommended one."""
    if preferred:
        for option in options:
            if matches(option, preferred):
                return option
    return options[0] if options else None


def matches(option: dict, choice: dict) -> bool:
    return option["strategy"] == choice.get("strategy") \
        and choice.get("targetDestination") in (None, option["destination"]) \
        and choice.get("toolName") in (None, option["tool"])


def strategies_in_force(components: list[AssessedComponent]) -> list[str]:
    """The strategy in force of each component the user did not exclude from the assessment
    (UpdateApplicationComponentConfig's inclusionStatus): what summaries count."""
    return [option["strategy"] for option in (effective(c.options, c.preferred) for c in components
                                              if c.inclusion_status == "includeInAssessment") if option]


def recommendation_set(option: dict | None) -> dict | None:
    return None if option is None else Option(**option).recommendation_set()
