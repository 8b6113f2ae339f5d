"""Destinations for cross-account subscriptions: PutDestination, PutDestinationPolicy,
DescribeDestinations, DeleteDestination, and the check a subscription in another account passes.

A destination names a Kinesis data stream or a Firehose stream of its own account (checked as
AWS checks it, with a control message, through targets.py) and the role Logs would assume to
write there. Another account may subscribe to it only when its access policy allows that
account's caller ``logs:PutSubscriptionFilter`` on the destination, evaluated by IAM; without a
policy only the destination's own account may. Events reach the destination's target as they
are accepted (subscription_filters.py).
"""

from __future__ import annotations

from typing import Any, Callable

from regionbox.core import arns
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.services.logs.listing import page_of
from regionbox.services.logs.models import Destination
from regionbox.services.logs.sharing import authorize_sharing
from regionbox.services.logs.state import LogsState, not_found, now_ms
from regionbox.services.logs.targets import Targets, target_service

ACCESS_POLICY_MAX = 5120  # bytes


def _destination_missing() -> ServiceError:
    return not_found("The specified destination does not exist.")


class Destinations:
    def __init__(self, state: LogsState, targets: Targets, iam: Callable[[], Any], paginator: Paginator) -> None:
        self.state = state
        self.destinations = state.destinations
        self.targets = targets
        self.iam = iam
        self.paginator = paginator

    def put_destination(self, ctx: RequestContext, params: dict) -> dict:
        name, target = params["destinationName"], params["targetArn"]
        if target_service(target) not in ("kinesis", "firehose"):
            raise invalid(f"Invalid target ARN {target}: a destination delivers to a Kinesis data stream or a "
                          "Firehose stream.")
        existing = self.destinations.get(ctx.scope, name)
        self.check_role(params["roleArn"], target)
        self.targets.check(target, now_ms())
        destination = existing or Destination(name=name, arn=ctx.arn("logs", f"destination:{name}"), target_arn=target,
                                              role_arn=params["roleArn"], creation_time=now_ms(),
                                              tags=dict(params.get("tags") or {}))
        destination.target_arn, destination.role_arn = target, params["roleArn"]
        self.destinations.put(ctx.scope, name, destination)
        return {"destination": self.shape(destination)}

    def check_role(self, role_arn: str | None, target: str) -> None:
        """Logs delivers to a stream as a role of the stream's account: a role that does not
        exist fails AWS's test delivery like a missing stream."""
        if not role_arn or self.iam().role_by_arn(role_arn) is None:
            raise self.targets.missing(target)

    def put_destination_policy(self, ctx: RequestContext, params: dict) -> dict:
        destination = self._get(ctx.scope, params["destinationName"])
        document = params["accessPolicy"]
        if len(document.encode()) > ACCESS_POLICY_MAX:
            raise invalid(f"The access policy exceeds the maximum size of {ACCESS_POLICY_MAX} bytes.")
        try:
            self.iam().check_resource_policy(document)
        except ServiceError as error:
            raise invalid(f"Invalid access policy: {error.message}") from None
        destination.access_policy = document
        self.destinations.put(ctx.scope, destination.name, destination)
        return {}

    def describe_destinations(self, ctx: RequestContext, params: dict) -> dict:
        prefix = params.get("DestinationNamePrefix") or ""
        found = sorted((d for d in self.destinations.values(ctx.scope) if d.name.startswith(prefix)),
                       key=lambda d: d.name)
        return page_of(self.paginator, found, params, "destinations", self.shape)

    def delete_destination(self, ctx: RequestContext, params: dict) -> dict:
        if self.destinations.delete(ctx.scope, params["destinationName"]) is None:
            raise _destination_missing()
        return {}

    def _get(self, scope: Scope, name: str) -> Destination:
        found = self.destinations.get(scope, name)
        if found is None:
            raise _destination_missing()
        return found

    @staticmethod
    def shape(destination: Destination) -> dict:
        shape = {"destinationName": destination.name, "targetArn": destination.target_arn,
                 "roleArn": destination.role_arn, "arn": destination.arn, "creationTime": destination.creation_time}
        if destination.access_policy:
            shape["accessPolicy"] = destination.access_policy
        return shape

    # -- for subscription filters ----------------------------------------------------------------
    def by_arn(self, arn: str) -> Destination | None:
        try:
            parsed = arns.Arn.parse(arn)
        except ValueError:
            return None
        name = parsed.resource.removeprefix("destination:")
        found = self.destinations.get((parsed.account, parsed.region), name)
        return found if found is not None and found.arn == arn else None

    def authorize(self, ctx: RequestContext, arn: str) -> Destination:
        """The destination a subscription filter of the caller's may deliver to: its own account's,
        or another's whose access policy allows the caller."""
        destination = self.by_arn(arn)
        if destination is None:
            raise ServiceError("InvalidParameterException", "Could not deliver test message to specified destination. "
                               "Check if the destination is valid.")
        authorize_sharing(self.iam(), ctx, "logs:PutSubscriptionFilter", arn, destination.access_policy)
        return destination
