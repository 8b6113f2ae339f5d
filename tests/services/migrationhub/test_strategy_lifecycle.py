"""An assessment while it runs: stopped before its work starts it does nothing; preferences cannot
be saved meanwhile. The background work is held back (a task runner that keeps the coroutine) so
that IN_PROGRESS lasts as long as the test needs, over the service's real state in SQLite."""

from __future__ import annotations

import asyncio

import pytest

from regionbox.core.context import Caller, RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.store import Store
from regionbox.services.migrationhubstrategy.assessments import Assessments
from regionbox.services.migrationhubstrategy.models import StrategyState
from regionbox.services.migrationhubstrategy.preferences import PortfolioPreferences


class HeldTasks:
    def __init__(self) -> None:
        self.held = []

    def spawn(self, coroutine, *, owner, what, on_failure=None):
        self.held.append(coroutine)


class Services:
    def api(self, name):
        raise AssertionError("a stopped assessment reads nothing")


def test_a_stopped_assessment_does_nothing_and_preferences_wait_for_a_running_one(tmp_path):
    state = StrategyState(Store(tmp_path / "state.db"))
    tasks = HeldTasks()
    assessments, preferences = Assessments(state, Services(), tasks), PortfolioPreferences(state)
    ctx = RequestContext(caller=Caller.root("123456789012"), region="ap-northeast-1", request_id="r")

    assessment = assessments.start_assessment(ctx, {})["assessmentId"]
    assert assessments.get_assessment(ctx, {"id": assessment})["dataCollectionDetails"]["status"] == "IN_PROGRESS"
    with pytest.raises(ServiceError) as caught:
        preferences.put_portfolio_preferences(ctx, {"applicationMode": "ALL"})
    assert (caught.value.code, caught.value.status) == ("ConflictException", 409)
    assert caught.value.message == f"Assessment {assessment} is in progress: save the preferences when it has finished."

    assessments.stop_assessment(ctx, {"assessmentId": assessment})
    asyncio.run(tasks.held[0])  # the work, once it gets to run, finds the assessment stopped
    details = assessments.get_assessment(ctx, {"id": assessment})["dataCollectionDetails"]
    assert details["status"] == "STOPPED" and details["completionTime"]
    preferences.put_portfolio_preferences(ctx, {"applicationMode": "ALL"})
    assert preferences.get_portfolio_preferences(ctx, {}) == {"applicationMode": "ALL"}


def test_one_report_at_a_time(tmp_path):
    from regionbox.services.migrationhubstrategy.models import AssessedServer
    from regionbox.services.migrationhubstrategy.reports import Reports

    state = StrategyState(Store(tmp_path / "state.db"))
    tasks = HeldTasks()
    reports = Reports(state, Services(), tasks)
    ctx = RequestContext(caller=Caller.root("123456789012"), region="ap-northeast-1", request_id="r")
    with pytest.raises(ServiceError) as caught:
        reports.start_recommendation_report_generation(ctx, {})
    assert (caught.value.code, caught.value.message) == (
        "ValidationException", "There are no assessed servers to report on: run StartAssessment first.")
    state.servers.put(ctx.scope, "d-server-1", AssessedServer(id="d-server-1", source={"configurationId": "d-server-1"},
                                                              applications=[], options=[], last_analyzed=0.0))
    first = reports.start_recommendation_report_generation(ctx, {})["id"]
    assert reports.get_recommendation_report_details(ctx, {"id": first})["recommendationReportDetails"]["status"] == "IN_PROGRESS"
    with pytest.raises(ServiceError) as caught:
        reports.start_recommendation_report_generation(ctx, {"outputFormat": "Json"})
    assert (caught.value.code, caught.value.status) == ("ConflictException", 409)
    for work in tasks.held:
        work.close()  # never run: the report stays IN_PROGRESS for this test
