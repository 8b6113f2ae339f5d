"""Lookup tables: CreateLookupTable, GetLookupTable, UpdateLookupTable, DeleteLookupTable,
DescribeLookupTables.

A table is CSV with a header row (UTF-8, at most 10 MB), given as ``tableBody`` or made from the
results of a finished (or cancelled) Logs Insights query (``queryId``): one column per result
field, in the order the query shows them.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import Paginator
from regionbox.services.logs.listing import describe_rule, page_of
from regionbox.services.logs.models import LookupTable
from regionbox.services.logs.query_runs import QueryHistory
from regionbox.services.logs.state import LogsState, not_found, now_ms

MAX_BYTES = 10 * 1024 * 1024
PAGES = describe_rule(maximum=100, size="maxResults")


def _rows(body: str) -> list[list[str]]:
    rows = [row for row in csv.reader(io.StringIO(body)) if row]
    if not rows or not all(column.strip() for column in rows[0]):
        raise invalid("The table body must be CSV with a header row of column names.")
    if len(set(rows[0])) != len(rows[0]):
        raise invalid("The column names of the header row must be unique.")
    return rows


class LookupTables:
    def __init__(self, state: LogsState, history: QueryHistory, paginator: Paginator) -> None:
        self.state = state
        self.tables = state.lookup_tables
        self.history = history
        self.paginator = paginator

    def _body(self, ctx: RequestContext, params: dict) -> str:
        body, query_id = params.get("tableBody"), params.get("queryId")
        if bool(body) == bool(query_id):
            raise invalid("Specify either tableBody or queryId, but not both.")
        if query_id:
            body = self._from_query(ctx, query_id)
        if len(body.encode()) > MAX_BYTES:
            raise invalid(f"The table body exceeds the maximum size of {MAX_BYTES} bytes.")
        _rows(body)
        return body

    def _from_query(self, ctx: RequestContext, query_id: str) -> str:
        record = self.history.get(ctx.scope, query_id)
        if record is None:
            raise not_found("Query does not exist.")
        if record.status not in ("Complete", "Cancelled"):
            raise invalid(f"The query is {record.status}: a lookup table takes the results of a completed or "
                          "cancelled query.")
        rows = self.history.results(query_id)
        columns = list(dict.fromkeys(f["field"] for row in rows for f in row if f["field"] != "@ptr"))
        if not columns:
            raise invalid("The query has no results to make a lookup table of.")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            values = {f["field"]: f["value"] for f in row}
            writer.writerow([values.get(c, "") for c in columns])
        return out.getvalue()

    def _arn(self, ctx: RequestContext, arn: str) -> LookupTable:
        found = self.tables.get(ctx.scope, arn.rsplit(":", 1)[-1]) if ":lookup-table:" in arn else None
        if found is None or found.arn != arn:
            raise not_found("The specified lookup table does not exist.")
        return found

    def create_lookup_table(self, ctx: RequestContext, params: dict) -> dict:
        name = params["lookupTableName"]
        if (ctx.scope, name) in self.tables:
            raise ServiceError("ResourceAlreadyExistsException", f"Lookup table {name} already exists.")
        body = self._body(ctx, params)
        now = now_ms()
        table = LookupTable(arn=ctx.arn("logs", f"lookup-table:{name}"), name=name,
                            description=params.get("description") or "", body=body, last_updated=now,
                            creation_time=now, kms_key_id=params.get("kmsKeyId"), tags=dict(params.get("tags") or {}))
        self.tables.put(ctx.scope, name, table)
        return {"lookupTableArn": table.arn, "createdAt": now}

    def get_lookup_table(self, ctx: RequestContext, params: dict) -> dict:
        table = self._arn(ctx, params["lookupTableArn"])
        shape: dict[str, Any] = {"lookupTableArn": table.arn, "lookupTableName": table.name,
                                 "description": table.description, "tableBody": table.body,
                                 "sizeBytes": len(table.body.encode()), "lastUpdatedTime": table.last_updated}
        if table.kms_key_id:
            shape["kmsKeyId"] = table.kms_key_id
        return shape

    def update_lookup_table(self, ctx: RequestContext, params: dict) -> dict:
        table = self._arn(ctx, params["lookupTableArn"])
        table.body = self._body(ctx, params)
        if params.get("description") is not None:
            table.description = params["description"]
        if params.get("kmsKeyId") is not None:
            table.kms_key_id = params["kmsKeyId"]
        table.last_updated = now_ms()
        self.tables.put(ctx.scope, table.name, table)
        return {"lookupTableArn": table.arn, "lastUpdatedTime": table.last_updated}

    def delete_lookup_table(self, ctx: RequestContext, params: dict) -> dict:
        self.tables.delete(ctx.scope, self._arn(ctx, params["lookupTableArn"]).name)
        return {}

    def describe_lookup_tables(self, ctx: RequestContext, params: dict) -> dict:
        prefix = params.get("lookupTableNamePrefix") or ""
        found = sorted((t for t in self.tables.values(ctx.scope) if t.name.startswith(prefix)), key=lambda t: t.name)
        return page_of(self.paginator, found, params, "lookupTables", self._summary, rule=PAGES)

    @staticmethod
    def _summary(table: LookupTable) -> dict:
        rows = _rows(table.body)
        shape: dict[str, Any] = {"lookupTableArn": table.arn, "lookupTableName": table.name,
                                 "description": table.description, "tableFields": rows[0], "recordsCount": len(rows) - 1,
                                 "sizeBytes": len(table.body.encode()), "lastUpdatedTime": table.last_updated}
        if table.kms_key_id:
            shape["kmsKeyId"] = table.kms_key_id
        return shape
