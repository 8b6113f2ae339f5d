"""Dashboards: PutDashboard, GetDashboard, ListDashboards, DeleteDashboards. Dashboards belong to
the account, not a region (their ARN has none), as on AWS. The body must be a JSON object with a
``widgets`` array; other problems CloudWatch reports as validation messages are not checked."""

from __future__ import annotations

import json
import re
import time

from regionbox.core import clock
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.cloudwatch.models import CloudWatchState, Dashboard

NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
PAGE = PageRule(out_of_range=lambda n: ServiceError("InvalidParameterValue", f"The value {n} for parameter MaxResults is invalid."),
                default=1000, maximum=1000,
                bad_token=lambda t: ServiceError("InvalidNextToken", "The service cannot complete the request."))


def invalid_input(message: str, path: str = "", detail: str = "") -> ServiceError:
    messages = [{"DataPath": path, "Message": detail}] if detail else []
    return ServiceError("InvalidParameterInput", message, 400, dashboardValidationMessages=messages)


def missing(name: str) -> ServiceError:
    return ServiceError("ResourceNotFound", f"Dashboard {name} does not exist", 404)


class Dashboards:
    def __init__(self, state: CloudWatchState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def put_dashboard(self, ctx, params: dict) -> dict:
        name, body = params["DashboardName"], params["DashboardBody"]
        if not NAME.match(name):
            raise invalid_input("The value for field DashboardName contains invalid characters. It can only contain "
                                "alphanumerics, dash (-) and underscore (_).")
        try:
            document = json.loads(body)
        except ValueError as error:
            raise invalid_input("The field DashboardBody must be a valid JSON object", "/", str(error)) from None
        if not isinstance(document, dict):
            raise invalid_input("The field DashboardBody must be a valid JSON object", "/", "Should be object")
        if not isinstance(document.get("widgets"), list):
            raise invalid_input("The dashboard body is invalid, there are 1 validation errors:\n"
                                "[\n {\n  \"dataPath\": \"\",\n  \"message\": \"Should have required property 'widgets'\"\n }\n]",
                                "", "Should have required property 'widgets'")
        scope = ctx.global_scope
        self.state.dashboards.put(scope, name, Dashboard(name, ctx.arn("cloudwatch", f"dashboard/{name}", regional=False),
                                                         body, time.time()))
        return {"DashboardValidationMessages": []}

    def get_dashboard(self, ctx, params: dict) -> dict:
        dashboard = self.state.dashboards.get(ctx.global_scope, params["DashboardName"])
        if dashboard is None:
            raise missing(params["DashboardName"])
        return {"DashboardArn": dashboard.arn, "DashboardBody": dashboard.body, "DashboardName": dashboard.name}

    def list_dashboards(self, ctx, params: dict) -> dict:
        prefix = params.get("DashboardNamePrefix") or ""
        found = sorted((d for d in self.state.dashboards.values(ctx.global_scope) if d.name.startswith(prefix)),
                       key=lambda d: d.name)
        page, token = self.paginator.paginate(found, params, PAGE, query=prefix)
        entries = [{"DashboardName": d.name, "DashboardArn": d.arn, "LastModified": clock.from_epoch(d.modified),
                    "Size": len(d.body.encode())} for d in page]
        return {"DashboardEntries": entries, **({"NextToken": token} if token else {})}

    def delete_dashboards(self, ctx, params: dict) -> dict:
        names = params["DashboardNames"]
        absent = [n for n in names if self.state.dashboards.get(ctx.global_scope, n) is None]
        if absent:
            raise missing(absent[0])  # and none is deleted, as on AWS
        with self.state.store.transaction():
            for name in names:
                self.state.dashboards.delete(ctx.global_scope, name)
        return {}
