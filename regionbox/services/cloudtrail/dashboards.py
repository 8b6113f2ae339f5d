"""CloudTrail Lake dashboards: CreateDashboard, GetDashboard, ListDashboards, UpdateDashboard,
DeleteDashboard and StartDashboardRefresh.

A custom dashboard holds up to ten widgets, each a Lake query whose "?" placeholders take the
widget's QueryParameters ($StartTime$, $EndTime$, $Period$ are filled in at refresh time from
the refresh's QueryParameterValues). A refresh starts each widget's query (lake_queries.py)
under the widget's QueryAlias; DescribeQuery and GetQueryResults find them by alias and
RefreshId. The Highlights dashboard (AWSCloudTrail-Highlights) is AWS-managed: regionbox keeps it
and its schedule, but its widgets are AWS's own analyses, which it does not have, so its
refreshes run no queries. Refresh schedules are stored and validated; refreshes run when
StartDashboardRefresh is called.
"""

from __future__ import annotations

import re

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import invalid
from regionbox.core.pagination import Paginator
from regionbox.services.cloudtrail import errors
from regionbox.services.cloudtrail.lake_queries import LakeQueries
from regionbox.services.cloudtrail.lake_parser import QueryError, parse
from regionbox.services.cloudtrail.models import Dashboard
from regionbox.services.cloudtrail.paging import LISTING, listed
from regionbox.services.cloudtrail.state import CloudTrailState
from regionbox.services.cloudtrail.tags import check_tags

HIGHLIGHTS = "AWSCloudTrail-Highlights"
MAX_WIDGETS = 10
MAX_DASHBOARDS = 100
REFRESHES_KEPT = 10
FREQUENCIES = {"HOURS": (1, 6, 12), "DAYS": (1,)}
_TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _substitute(statement: str, values: list[str]) -> str:
    if statement.count("?") != len(values):
        raise errors.invalid_query(f"The query has {statement.count('?')} placeholders but {len(values)} QueryParameters.")
    parts = statement.split("?")
    return "".join(part + (values[i] if i < len(values) else "") for i, part in enumerate(parts))


class Dashboards:
    def __init__(self, state: CloudTrailState, queries: LakeQueries, paginator: Paginator) -> None:
        self.state = state
        self.queries = queries
        self.paginator = paginator

    # -- validation ----------------------------------------------------------------------------
    def _widgets(self, ctx: RequestContext, name: str, widgets: list[dict]) -> list[dict]:
        if len(widgets) > MAX_WIDGETS:
            raise errors.error("ServiceQuotaExceededException", f"A dashboard can have at most {MAX_WIDGETS} widgets.")
        stored = []
        for index, widget in enumerate(widgets):
            parameters = list(widget.get("QueryParameters") or [])
            sample = [self._value(p, {}) for p in parameters]
            try:
                query = parse(_substitute(widget["QueryStatement"], sample))
            except QueryError as error:
                raise errors.invalid_query(str(error)) from None
            eds = self.state.event_data_store(ctx, query.target)
            if eds.status == "PENDING_DELETION":
                raise errors.eds_inactive(eds.arn)
            entry = {"QueryAlias": f"{'' if name[0].isalpha() else 'w'}{name}-widget-{index + 1}",
                     "QueryStatement": widget["QueryStatement"], "ViewProperties": dict(widget["ViewProperties"])}
            if parameters:
                entry["QueryParameters"] = parameters
            stored.append(entry)
        return stored

    @staticmethod
    def _schedule(schedule: dict | None) -> dict | None:
        if schedule is None:
            return None
        frequency = schedule.get("Frequency") or {}
        unit, value = frequency.get("Unit"), frequency.get("Value")
        if frequency and (unit not in FREQUENCIES or value not in FREQUENCIES[unit]):
            raise invalid(f"The refresh frequency {value} {unit} is not valid: every 1, 6 or 12 HOURS, or every 1 DAYS.")
        if schedule.get("TimeOfDay") and not _TIME_OF_DAY.match(schedule["TimeOfDay"]):
            raise invalid(f"TimeOfDay {schedule['TimeOfDay']} is not a time of day (HH:MM).")
        return {k: v for k, v in schedule.items() if v is not None}

    @staticmethod
    def _value(parameter: str, values: dict[str, str]) -> str:
        now = clock.epoch()
        # The last day, up to the end of this second (timestamps are written to the second).
        defaults = {"$StartTime$": clock.iso(now - 86400).replace("T", " ")[:19],
                    "$EndTime$": clock.iso(now + 1).replace("T", " ")[:19], "$Period$": "1h"}
        return values.get(parameter, defaults.get(parameter, parameter))

    # -- handlers ------------------------------------------------------------------------------
    def create_dashboard(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Name"]
        if self.state.dashboards.get(ctx.scope, name) is not None:
            raise errors.error("ConflictException", f"A dashboard with the name {name} already exists.")
        if len(self.state.dashboards.values(ctx.scope)) >= MAX_DASHBOARDS:
            raise errors.error("ServiceQuotaExceededException", f"Your account has reached the limit of {MAX_DASHBOARDS} dashboards.")
        schedule = self._schedule(params.get("RefreshSchedule"))
        managed = name == HIGHLIGHTS
        if managed:
            if params.get("Widgets"):
                raise invalid("The Highlights dashboard is managed by CloudTrail: it takes no widgets.")
            if not schedule or schedule.get("Status") != "ENABLED":
                raise invalid("To create the Highlights dashboard, set and enable a refresh schedule.")
        widgets = [] if managed else self._widgets(ctx, name, params.get("Widgets") or [])
        now = clock.epoch()
        dashboard = Dashboard(name=name, arn=ctx.arn("cloudtrail", f"dashboard/{name}"),
                              type="MANAGED" if managed else "CUSTOM", widgets=widgets, refresh_schedule=schedule,
                              termination_protection=bool(params.get("TerminationProtectionEnabled")),
                              tags=check_tags([], params.get("TagsList") or []), created=now, updated=now)
        self.state.dashboards.put(ctx.scope, name, dashboard)
        return {**self._shape(dashboard), "Name": name, "TagsList": dashboard.tags}

    @staticmethod
    def _shape(dashboard: Dashboard) -> dict:
        shape: dict = {"DashboardArn": dashboard.arn, "Type": dashboard.type, "Widgets": dashboard.widgets}
        if dashboard.refresh_schedule:
            shape["RefreshSchedule"] = dashboard.refresh_schedule
        shape["TerminationProtectionEnabled"] = dashboard.termination_protection
        return shape

    def get_dashboard(self, ctx: RequestContext, params: dict) -> dict:
        dashboard = self.state.dashboard(ctx, params["DashboardId"])
        shape = {**self._shape(dashboard), "Status": dashboard.status,
                 "CreatedTimestamp": clock.from_epoch(dashboard.created),
                 "UpdatedTimestamp": clock.from_epoch(dashboard.updated)}
        if dashboard.last_refresh_id:
            shape["LastRefreshId"] = dashboard.last_refresh_id
        if dashboard.last_refresh_failure:
            shape["LastRefreshFailureReason"] = dashboard.last_refresh_failure
        return shape

    def list_dashboards(self, ctx: RequestContext, params: dict) -> dict:
        prefix, kind = params.get("NamePrefix") or "", params.get("Type")
        found = sorted((d for d in self.state.dashboards.values(ctx.scope)
                        if d.name.startswith(prefix) and (kind is None or d.type == kind)), key=lambda d: d.created)
        return listed(self.paginator, found, params, LISTING, ["ListDashboards", prefix, kind], "Dashboards",
                      lambda d: {"DashboardArn": d.arn, "Type": d.type})

    def update_dashboard(self, ctx: RequestContext, params: dict) -> dict:
        dashboard = self.state.dashboard(ctx, params["DashboardId"])
        if params.get("Widgets") is not None:
            if dashboard.type == "MANAGED":
                raise invalid("The widgets of a managed dashboard cannot be changed.")
            dashboard.widgets = self._widgets(ctx, dashboard.name, params["Widgets"])
        if params.get("RefreshSchedule") is not None:
            dashboard.refresh_schedule = self._schedule(params["RefreshSchedule"])
        if params.get("TerminationProtectionEnabled") is not None:
            dashboard.termination_protection = params["TerminationProtectionEnabled"]
        dashboard.updated, dashboard.status = clock.epoch(), "UPDATED"
        self.state.dashboards.put(ctx.scope, dashboard.name, dashboard)
        return {**self._shape(dashboard), "Name": dashboard.name,
                "CreatedTimestamp": clock.from_epoch(dashboard.created),
                "UpdatedTimestamp": clock.from_epoch(dashboard.updated)}

    def delete_dashboard(self, ctx: RequestContext, params: dict) -> dict:
        dashboard = self.state.dashboard(ctx, params["DashboardId"])
        if dashboard.termination_protection:
            raise errors.error("ConflictException",
                               f"The dashboard {dashboard.arn} cannot be deleted because termination protection is enabled.")
        self.state.dashboards.delete(ctx.scope, dashboard.name)
        return {}

    def start_dashboard_refresh(self, ctx: RequestContext, params: dict) -> dict:
        dashboard = self.state.dashboard(ctx, params["DashboardId"])
        values = params.get("QueryParameterValues") or {}
        refresh_id = str(int(clock.epoch() * 1000))
        while refresh_id in dashboard.refreshes:
            refresh_id = str(int(refresh_id) + 1)
        started: dict[str, str] = {}
        for widget in dashboard.widgets:
            statement = _substitute(widget["QueryStatement"],
                                    [self._value(p, values) for p in widget.get("QueryParameters") or []])
            started[widget["QueryAlias"]] = self.queries.start(ctx, statement, alias=widget["QueryAlias"])
        dashboard.refreshes[refresh_id] = started
        for old in sorted(dashboard.refreshes)[:-REFRESHES_KEPT]:
            dashboard.refreshes.pop(old)
        dashboard.last_refresh_id, dashboard.last_refresh_failure = refresh_id, None
        self.state.dashboards.put(ctx.scope, dashboard.name, dashboard)
        return {"RefreshId": refresh_id}
