"""Import tasks: CreateImportTask, DescribeImportTasks, DescribeImportTaskBatches,
CancelImportTask.

An import copies the events of a CloudTrail Lake event data store into a managed log group.
regionbox's CloudTrail keeps no event data stores yet, so every source is missing: CreateImportTask
answers AWS's ResourceNotFoundException for it, no import ever exists, and the other three see
none. (Once CloudTrail serves event data stores, imports are built on its api here.)
"""

from __future__ import annotations

from regionbox.core import arns
from regionbox.core.context import RequestContext
from regionbox.core.errors import invalid
from regionbox.core.pagination import Paginator
from regionbox.services.logs.listing import page_of
from regionbox.services.logs.state import not_found


def _no_import(import_id: str) -> Exception:
    return not_found(f"The specified import task {import_id} does not exist.")


class ImportTasks:
    def __init__(self, paginator: Paginator) -> None:
        self.paginator = paginator

    def create_import_task(self, ctx: RequestContext, params: dict) -> dict:
        source = params["importSourceArn"]
        try:
            parsed = arns.Arn.parse(source)
        except ValueError:
            raise invalid(f"Invalid import source ARN: {source}") from None
        if parsed.service != "cloudtrail" or not parsed.resource.startswith("eventdatastore/"):
            raise invalid("The import source must be a CloudTrail Lake event data store.")
        window = params.get("importFilter") or {}
        if window.get("startEventTime") is not None and window.get("endEventTime") is not None \
                and window["endEventTime"] < window["startEventTime"]:
            raise invalid("endEventTime must not be before startEventTime.")
        raise not_found(f"The event data store {source} does not exist.")

    def describe_import_tasks(self, ctx: RequestContext, params: dict) -> dict:
        if params.get("importId"):
            raise _no_import(params["importId"])
        return page_of(self.paginator, [], params, "imports")

    def describe_import_task_batches(self, ctx: RequestContext, params: dict) -> dict:
        raise _no_import(params["importId"])

    def cancel_import_task(self, ctx: RequestContext, params: dict) -> dict:
        raise _no_import(params["importId"])
