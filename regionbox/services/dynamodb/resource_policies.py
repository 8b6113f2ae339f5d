"""A table's resource-based policy: PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy
(and CreateTable's ResourcePolicy), and what the gateway's authorization reads of it.

The policy is IAM's kind of document with a Principal (it says who, of which account, may do what
to the table); it lets another account reach the table by its ARN. A revision id (milliseconds of
the change) guards concurrent updates: ExpectedRevisionId must match, "NO_POLICY" means none must
exist yet. Policies of streams are not built (a stream ARN is refused as not found).
"""

from __future__ import annotations

from typing import Any, Callable

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.store import Scope
from regionbox.services.dynamodb.models import Table
from regionbox.services.dynamodb.state import DynamoDBState, table_name

POLICY_MAX = 20 * 1024  # bytes, as DynamoDB's quota


def _not_found(arn: str) -> ServiceError:
    return ServiceError("PolicyNotFoundException", f"Resource-based policy not found for the provided ResourceArn: {arn}")


class ResourcePolicies:
    def __init__(self, state: DynamoDBState, iam: Callable[[], Any]) -> None:
        self.state = state
        self.iam = iam  # IAM's API, for the one validator of the policy language

    def checked(self, document: str) -> str:
        """DynamoDB's validation of a resource policy document."""
        if len(document.encode()) > POLICY_MAX:
            raise invalid(f"Resource-based policy size exceeds the quota of {POLICY_MAX} bytes.")
        try:
            self.iam().check_resource_policy(document)
        except ServiceError as error:
            raise invalid(f"Invalid policy document: {error.message}") from None
        return document

    def _table(self, ctx: RequestContext, arn: str) -> Table:
        table = self.state.find_table(ctx, arn) if isinstance(arn, str) and ":table/" in arn else None
        if table is None or table.arn != arn:
            raise ServiceError("ResourceNotFoundException", f"Requested resource not found: ResourcArn: {arn} not found")
        return table

    @staticmethod
    def _expect(table: Table, expected: str | None) -> None:
        if expected == "NO_POLICY" and table.resource_policy:
            raise ServiceError("PolicyNotFoundException", "Resource-based policy not found for the provided ResourceArn: "
                               f"Requested policy update expecting none to be present for table {table.name}, but a policy "
                               f"exists with revision id {table.policy_revision_id}.")
        if expected and expected != "NO_POLICY" and expected != table.policy_revision_id:
            raise ServiceError("PolicyNotFoundException", "Resource-based policy not found for the provided ResourceArn: "
                               f"Requested update for policy with revision id {expected}, but the policy associated to "
                               f"target table {table.name} has revision id {table.policy_revision_id}.")

    def put_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        table = self._table(ctx, params["ResourceArn"])
        document = self.checked(params["Policy"])
        self._expect(table, params.get("ExpectedRevisionId"))
        if table.resource_policy != document:
            table.resource_policy, table.policy_revision_id = document, str(int(clock.epoch() * 1000))
            self.state.save(ctx.scope, table)
        return {"RevisionId": table.policy_revision_id}

    def get_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        table = self._table(ctx, params["ResourceArn"])
        if not table.resource_policy:
            raise _not_found(params["ResourceArn"])
        return {"Policy": table.resource_policy, "RevisionId": table.policy_revision_id}

    def delete_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        table = self._table(ctx, params["ResourceArn"])
        if not table.resource_policy:
            raise _not_found(params["ResourceArn"])
        self._expect(table, params.get("ExpectedRevisionId"))
        table.resource_policy = None
        table.policy_revision_id = str(int(clock.epoch() * 1000))
        self.state.save(ctx.scope, table)
        return {"RevisionId": table.policy_revision_id}

    def policy_of(self, arn: str) -> str | None:
        """The policy that governs a table ARN, or one of its indexes' (the table's covers them)."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or not parts[5].startswith("table/"):
            return None
        scope: Scope = (parts[4], parts[3])
        table = self.state.tables.get(scope, table_name(arn))
        return table.resource_policy if table is not None else None
