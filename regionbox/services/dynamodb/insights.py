"""CloudWatch Contributor Insights for DynamoDB: UpdateContributorInsights,
DescribeContributorInsights and ListContributorInsights, per table and per global secondary
index.

ENABLE answers ENABLING and settles to ENABLED, DISABLE answers DISABLING and settles to
DISABLED (background tasks, as on AWS); an action on a settled state is a no-op that echoes it,
and a new mode is a new ENABLE. The rules are named as CloudWatch names them
(``DynamoDBContributorInsights-PKC-<table>[-<index>]-<ms>``: most accessed (C) and most throttled
(T) partition keys (PK), and sort keys (SK) when there is a sort key; THROTTLED_KEYS keeps the T
rules). CloudWatch's rule reports are not served, so the rules have no data to show here.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import PageRule, Paginator
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.dynamodb.models import Table
from regionbox.services.dynamodb.state import DynamoDBState

DEFAULT_MODE = "ACCESSED_AND_THROTTLED_KEYS"
_SETTLED = {"ENABLING": "ENABLED", "DISABLING": "DISABLED"}
PAGES = PageRule(out_of_range=lambda n: invalid(f"1 validation error detected: Value '{n}' at 'maxResults' failed to "
                                                "satisfy constraint: Member must have value greater than or equal to 1"),
                 size="MaxResults", default=100, maximum=100,
                 bad_token=lambda token: invalid(f"Invalid Request: Provided nextToken is invalid: {token}"))


def _not_ready(what: str) -> ServiceError:
    return invalid(f"Table or Index is not in a valid state to update Key Access Insights: {what} must be ACTIVE to "
                   "enable ContributorInsights.")


class ContributorInsights:
    def __init__(self, state: DynamoDBState, tasks: Tasks, paginator: Paginator) -> None:
        self.state = state
        self.tasks = tasks
        self.paginator = paginator

    def _target(self, ctx: RequestContext, params: dict) -> tuple[Table, str]:
        """The table and the index ("" for the table itself) a request addresses."""
        table = self.state.table_for_control(ctx, params["TableName"])
        name = params.get("IndexName") or ""
        if name:
            index = table.index(name)
            if index is None or index.kind != "GSI":
                raise ServiceError("ResourceNotFoundException", f"Requested resource not found: Index: {name} not found")
        return table, name

    def update_contributor_insights(self, ctx: RequestContext, params: dict) -> dict:
        table, name = self._target(ctx, params)
        if table.status == "CREATING":
            raise _not_ready("TableStatus")
        if name and table.index(name).status != "ACTIVE":
            raise _not_ready("IndexStatus")
        current = table.insights.get(name) or {"status": "DISABLED"}
        mode = params.get("ContributorInsightsMode") or DEFAULT_MODE
        if params["ContributorInsightsAction"] == "ENABLE":
            if not (current["status"] in ("ENABLING", "ENABLED") and current.get("mode") == mode):
                current = {"status": "ENABLING", "mode": mode, "updated": time.time(), "since": int(time.time() * 1000)}
        elif current["status"] not in ("DISABLED", "DISABLING"):
            current = {**current, "status": "DISABLING", "updated": time.time()}
        table.insights = {**table.insights, name: current}
        self.state.save(ctx.scope, table)
        if current["status"] in _SETTLED:
            self.tasks.spawn(self._settle(ctx.scope, table.name, table.tid, name), owner="dynamodb",
                             what=f"contributor insights of {table.name}{'/' + name if name else ''}")
        return {"TableName": table.name, **({"IndexName": name} if name else {}),
                "ContributorInsightsStatus": current["status"], **({"ContributorInsightsMode": current["mode"]}
                                                                    if "mode" in current else {})}

    async def _settle(self, scope: Scope, table_name: str, tid: int, name: str) -> None:
        await asyncio.sleep(0)
        table = self.state.tables.get(scope, table_name)
        current = table.insights.get(name) if table is not None and table.tid == tid else None
        if current is not None and current["status"] in _SETTLED:
            table.insights = {**table.insights, name: {**current, "status": _SETTLED[current["status"]]}}
            self.state.save(scope, table)

    def describe_contributor_insights(self, ctx: RequestContext, params: dict) -> dict:
        table, name = self._target(ctx, params)
        out: dict[str, Any] = {"TableName": table.name, **({"IndexName": name} if name else {})}
        current = table.insights.get(name)
        if current is None:
            return {**out, "ContributorInsightsStatus": "DISABLED"}
        out.update(ContributorInsightsStatus=current["status"], LastUpdateDateTime=current["updated"],
                   ContributorInsightsMode=current["mode"])
        if current["status"] in ("ENABLING", "ENABLED"):
            out["ContributorInsightsRuleList"] = self._rules(table, name, current)
        return out

    @staticmethod
    def _rules(table: Table, name: str, current: dict) -> list[str]:
        keyed = table.index(name) if name else table
        kinds = ("T",) if current["mode"] == "THROTTLED_KEYS" else ("C", "T")
        parts = ("PK", "SK") if keyed.range_name is not None else ("PK",)
        subject = f"{table.name}-{name}" if name else table.name
        return [f"DynamoDBContributorInsights-{part}{kind}-{subject}-{current['since']}" for kind in kinds for part in parts]

    def list_contributor_insights(self, ctx: RequestContext, params: dict) -> dict:
        if params.get("TableName") is not None:
            tables = [self.state.table_for_control(ctx, params["TableName"])]
        else:
            tables = sorted(self.state.tables.values(ctx.scope), key=lambda t: t.name)
        summaries = []
        for table in tables:
            # The table first, then its indexes; DISABLED ones are not listed.
            for name in sorted(table.insights, key=lambda n: (n != "", n)):
                current = table.insights[name]
                if current["status"] != "DISABLED" and (not name or table.index(name) is not None):
                    summaries.append({"TableName": table.name, **({"IndexName": name} if name else {}),
                                      "ContributorInsightsStatus": current["status"],
                                      "ContributorInsightsMode": current["mode"]})
        page, token = self.paginator.paginate(summaries, params, PAGES, query=params.get("TableName"))
        return {"ContributorInsightsSummaries": page, **({"NextToken": token} if token else {})}
