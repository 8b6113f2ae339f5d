"""Alarm history (DescribeAlarmHistory): configuration updates, state updates and actions, kept two
weeks as CloudWatch keeps them, also after the alarm is deleted. A table of its own: an alarm that
flaps writes a row per transition, not a document that grows."""

from __future__ import annotations

import json
import time

from regionbox.core import clock
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import PageRule, Paginator
from regionbox.core.store import Scope, Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS cw_alarm_history (account TEXT NOT NULL, region TEXT NOT NULL, alarm TEXT NOT NULL,
    alarm_type TEXT NOT NULL, at REAL NOT NULL, item_type TEXT NOT NULL, summary TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS cw_alarm_history_at ON cw_alarm_history (account, region, at);
"""
KEPT = 14 * 86400
HISTORY_PAGE = PageRule(out_of_range=lambda n: ServiceError("InvalidParameterValue",
                                                            f"The value {n} for parameter MaxRecords is invalid."),
                        token="NextToken", size="MaxRecords", default=100, maximum=100,
                        bad_token=lambda t: ServiceError("InvalidNextToken", "The service cannot complete the request."))


def iso(seconds: float) -> str:
    """CloudWatch's timestamps inside history and reason data: 2014-04-09T18:59:06.442+0000."""
    return clock.from_epoch(seconds).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(seconds * 1000) % 1000:03d}+0000"


def _timestamp(value) -> str:
    """Timestamps of alarm shapes inside history data are written as CloudWatch writes them."""
    return iso(clock.to_epoch(value))


class History:
    def __init__(self, store: Store, paginator: Paginator) -> None:
        self.store = store
        self.paginator = paginator
        store.db.executescript(SCHEMA)
        store.on_reset(lambda: store.db.execute("DELETE FROM cw_alarm_history"))

    def record(self, scope: Scope, alarm: str, alarm_type: str, item_type: str, summary: str, data: dict,
               at: float | None = None) -> None:
        at = at if at is not None else time.time()
        self.store.execute("INSERT INTO cw_alarm_history VALUES (?,?,?,?,?,?,?,?)",
                           (*scope, alarm, alarm_type, at, item_type, summary, json.dumps(data, separators=(",", ":"), default=_timestamp)))

    def expire(self, now: float) -> None:
        self.store.execute("DELETE FROM cw_alarm_history WHERE at < ?", (now - KEPT,))

    def describe_alarm_history(self, ctx, params: dict) -> dict:
        types = params.get("AlarmTypes") or ["MetricAlarm"]
        sql = "SELECT alarm, alarm_type, at, item_type, summary, data FROM cw_alarm_history WHERE account = ? AND region = ?"
        args: list = list(ctx.scope)
        if params.get("AlarmName"):
            sql, args = sql + " AND alarm = ?", [*args, params["AlarmName"]]
        if params.get("HistoryItemType"):
            if params["HistoryItemType"] not in ("ConfigurationUpdate", "StateUpdate", "Action", "AlarmContributorStateUpdate",
                                                 "AlarmContributorAction"):
                raise ServiceError("InvalidParameterValue",
                                   f"The value {params['HistoryItemType']} for parameter HistoryItemType is invalid.")
            sql, args = sql + " AND item_type = ?", [*args, params["HistoryItemType"]]
        if params.get("StartDate") is not None:
            sql, args = sql + " AND at >= ?", [*args, clock.to_epoch(params["StartDate"])]
        if params.get("EndDate") is not None:
            sql, args = sql + " AND at <= ?", [*args, clock.to_epoch(params["EndDate"])]
        scan = params.get("ScanBy") or "TimestampDescending"
        sql += " ORDER BY at " + ("DESC" if scan == "TimestampDescending" else "ASC") + ", rowid"
        rows = [row for row in self.store.execute(sql, tuple(args)).fetchall() if row[1] in types]
        items = [{"AlarmName": alarm, "AlarmType": alarm_type, "Timestamp": clock.from_epoch(at), "HistoryItemType": item,
                  "HistorySummary": summary, "HistoryData": data} for alarm, alarm_type, at, item, summary, data in rows]
        query = [params.get("AlarmName"), types, params.get("HistoryItemType"), scan]
        page, token = self.paginator.paginate(items, params, HISTORY_PAGE, query=query)
        return {"AlarmHistoryItems": page, **({"NextToken": token} if token else {})}
