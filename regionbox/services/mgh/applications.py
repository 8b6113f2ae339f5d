"""NotifyApplicationState, DescribeApplicationState, ListApplicationStates: the migration status
of an Application Discovery Service application (NOT_STARTED, IN_PROGRESS, COMPLETED)."""

from __future__ import annotations

from regionbox.core import clock
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.services.mgh.home import Home
from regionbox.services.mgh.models import ApplicationState, MghState
from regionbox.services.mgh.paging import LISTS, with_token


def not_found(application_id: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Application {application_id} does not exist.")


def describe(state: ApplicationState) -> dict:
    return {"ApplicationId": state.application_id, "ApplicationStatus": state.status, "LastUpdatedTime": state.last_updated}


class Applications:
    def __init__(self, state: MghState, home: Home, paginator: Paginator) -> None:
        self.state = state
        self.home = home
        self.paginator = paginator

    def notify_application_state(self, ctx, params: dict) -> dict:
        scope = self.home.scope(ctx, write=True, params=params)
        application_id = params["ApplicationId"]
        applications = self.home.applications(scope)
        # The id is an application's configurationId in Application Discovery Service.
        if applications is not None and application_id not in {a["configurationId"] for a in applications}:
            raise not_found(application_id)
        when = clock.to_epoch(params.get("UpdateDateTime")) or clock.epoch()
        self.state.applications.put(scope, application_id, ApplicationState(application_id, params["Status"], when))
        return {}

    def describe_application_state(self, ctx, params: dict) -> dict:
        scope = self.home.scope(ctx, write=False)
        application_id = params["ApplicationId"]
        state = self.state.applications.get(scope, application_id)
        if state is not None:
            return {"ApplicationStatus": state.status, "LastUpdatedTime": state.last_updated}
        applications = self.home.applications(scope)
        if applications is not None and application_id in {a["configurationId"] for a in applications}:
            return {"ApplicationStatus": "NOT_STARTED"}  # a discovered application nobody reported on yet
        raise not_found(application_id)

    def list_application_states(self, ctx, params: dict) -> dict:
        scope = self.home.scope(ctx, write=False)
        wanted = params.get("ApplicationIds")
        states = [s for s in self.state.applications.values(scope) if wanted is None or s.application_id in wanted]
        page, token = self.paginator.paginate(states, params, LISTS, query=wanted)
        return with_token({"ApplicationStateList": [describe(s) for s in page]}, token)
