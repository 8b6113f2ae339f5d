"""Resource-based policies of event data stores, channels and dashboards: PutResourcePolicy,
GetResourcePolicy, DeleteResourcePolicy, and the policy of an ARN for IAM (``policy_of``).

A channel's policy lets other accounts put events into it (cloudtrail-data:PutAuditEvents); an
event data store's lets others query it and CloudTrail run a dashboard's queries; a dashboard's
lets CloudTrail refresh it on schedule. The gateway's IAM evaluation uses them for requests from
other accounts.
"""

from __future__ import annotations

import json
from typing import Callable

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.cloudtrail import errors
from regionbox.services.cloudtrail.state import CloudTrailState

# The actions a policy may grant on each kind of resource.
PREFIXES = {"channel": ("cloudtrail-data:",), "eventdatastore": ("cloudtrail:",), "dashboard": ("cloudtrail:",)}


def _invalid(message: str) -> ServiceError:
    return errors.error("ResourcePolicyNotValidException", message)


class ResourcePolicies:
    def __init__(self, state: CloudTrailState, check_grammar: Callable[[str], None]) -> None:
        self.state = state
        self.check_grammar = check_grammar  # IAM's check of a resource-based policy's language

    def _resource(self, ctx: RequestContext, arn: str):
        parts = arn.split(":", 5)
        if not arn.startswith("arn:") or len(parts) != 6 or parts[2] != "cloudtrail":
            raise errors.error("ResourceARNNotValidException", f"The resource ARN {arn} is not valid.")
        kind = parts[5].split("/", 1)[0]
        if kind not in PREFIXES:
            raise errors.error("ResourceTypeNotSupportedException",
                               f"Resource policies are supported on event data stores, channels and dashboards, not {kind}.")
        try:
            if kind == "channel":
                found = self.state.channel(ctx, arn)
                return kind, found, lambda: self.state.save_channel(ctx, found)
            if kind == "eventdatastore":
                found = self.state.event_data_store(ctx, arn)
                return kind, found, lambda: self.state.save_event_data_store(found)
            found = self.state.dashboard(ctx, arn)
            return kind, found, lambda: self.state.dashboards.put(ctx.scope, found.name, found)
        except ServiceError as error:
            if error.code.endswith("NotFoundException") or error.code in ("ChannelNotFoundException",):
                raise errors.resource_not_found(arn) from None
            raise

    def put_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        arn, document = params["ResourceArn"], params["ResourcePolicy"]
        kind, resource, save = self._resource(ctx, arn)
        self._check(kind, document)
        resource.resource_policy = document
        save()
        return {"ResourceArn": arn, "ResourcePolicy": document}

    def _check(self, kind: str, document: str) -> None:
        try:
            self.check_grammar(document)
        except ServiceError as error:
            raise _invalid(error.message) from None
        statements = json.loads(document).get("Statement")
        for statement in statements if isinstance(statements, list) else [statements]:
            if not isinstance(statement, dict) or "Principal" not in statement:
                raise _invalid("Each statement of a resource policy must have a Principal.")
            actions = statement.get("Action") or []
            for action in actions if isinstance(actions, list) else [actions]:
                if action != "*" and not action.lower().startswith(PREFIXES[kind]):
                    raise _invalid(f"The action {action} is not valid for a resource policy on a {kind}.")

    def get_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        arn = params["ResourceArn"]
        _, resource, _ = self._resource(ctx, arn)
        if not resource.resource_policy:
            raise errors.error("ResourcePolicyNotFoundException", f"The resource policy for {arn} was not found.")
        return {"ResourceArn": arn, "ResourcePolicy": resource.resource_policy}

    def delete_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        arn = params["ResourceArn"]
        _, resource, save = self._resource(ctx, arn)
        if not resource.resource_policy:
            raise errors.error("ResourcePolicyNotFoundException", f"The resource policy for {arn} was not found.")
        resource.resource_policy = None
        save()
        return {}

    def policy_of(self, arn: str) -> str | None:
        """The policy of an event data store, channel or dashboard ARN, in whichever account (IAM)."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "cloudtrail" or "/" not in parts[5]:
            return None
        kind, key = parts[5].split("/", 1)
        scope = (parts[4], parts[3])
        collection = {"eventdatastore": self.state.event_data_stores, "channel": self.state.channels,
                      "dashboard": self.state.dashboards}.get(kind)
        found = collection.get(scope, key) if collection is not None else None
        return getattr(found, "resource_policy", None) if found is not None else None
