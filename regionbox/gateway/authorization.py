"""IAM on every request: after parsing, before the handler (DESIGN: accounts are isolated unless
a policy shares on purpose).

The action is ``<service's IAM prefix>:<operation>`` unless the service declares otherwise; the
resources are what the service says the operation touches (``Service.resources``); IAM evaluates
them (``IamApi.authorize``) with the resource-based policy the service keeps for each. An account's
root user keeps full access to its own account, so plain 12-digit keys see no change; reaching
another account's resource needs that resource's policy to allow it, for root as for everyone
(a service without resource policies answers another account's ARN itself: it never finds it).
``REGIONBOX_IAM_ENFORCEMENT=0`` turns all of it off.

A denial answers each protocol's error: AccessDenied (403) for the query protocol,
UnauthorizedOperation (403) for EC2 (with an encoded authorization failure message for its
actions, which STS's DecodeAuthorizationMessage decodes), AccessDeniedException (400) for JSON
services; CloudTrail records it with errorCode AccessDenied.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from regionbox.core.arns import account_of
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.service import Access, Service

if TYPE_CHECKING:
    from regionbox.core.credentials import IssuedCredentials
    from regionbox.server import Cloud

log = logging.getLogger("regionbox.gateway")

# code and HTTP status of an authorization failure, by protocol
_DENIED = {"query": ("AccessDenied", 403), "ec2": ("UnauthorizedOperation", 403), "json": ("AccessDeniedException", 400),
           "rest-json": ("AccessDeniedException", 403), "rest-xml": ("AccessDenied", 403),
           "smithy-rpc-v2-cbor": ("AccessDeniedException", 400)}


class AccessDenied(ServiceError):
    """A request IAM refused. CloudTrail records every such refusal as AccessDenied, whatever
    the code on the wire."""

    trail_code = "AccessDenied"


def denied_error(protocol: str, caller_arn: str, action: str, resource: str, reason: str,
                 encoded: str | None = None) -> AccessDenied:
    """``encoded``: EC2's encoded authorization failure message (STS DecodeAuthorizationMessage reads it)."""
    code, status = _DENIED.get(protocol, ("AccessDenied", 403))
    if protocol == "ec2":
        on = "" if resource == "*" else f" on resource: {resource}"
        message = f"You are not authorized to perform this operation. User: {caller_arn} is not authorized to perform: " \
                  f"{action}{on} {reason}"
        if encoded:
            message += f". Encoded authorization failure message: {encoded}"
    else:
        message = f"User: {caller_arn} is not authorized to perform: {action} on resource: {resource} {reason}"
    return AccessDenied(code, message, status=status)


class Authorizer:
    def __init__(self, cloud: "Cloud") -> None:
        self.cloud = cloud
        self.enabled = cloud.config.iam_enforcement

    @staticmethod
    def action(service: Service, prefix: str, operation: str) -> str | None:
        if operation in service.iam_actions:
            return service.iam_actions[operation]
        return f"{service.iam_prefix or prefix}:{operation}"

    def check(self, service: Service, prefix: str, protocol: str, ctx: RequestContext, operation: str, params: dict,
              credentials: "IssuedCredentials | None", operation_model: Any = None) -> None:
        """Raise AccessDenied unless IAM allows the request. ``prefix``: the model's signing name;
        ``operation_model``: botocore's, for the errors it lists."""
        if not self.enabled:
            return
        action = self.action(service, prefix, operation)
        if action is None:
            return  # AWS needs no permission for it (sts:GetCallerIdentity ...)
        caller = ctx.caller
        if caller.type == "Root" and service.resources is None:
            return
        accesses = self._accesses(service, ctx, operation, params)
        if service.resource_policy is None:
            # A service without resource-based policies shares nothing across accounts: it answers
            # another account's ARN itself (not found), so only the caller's own side is IAM's.
            if caller.type == "Root":
                return
            accesses = [dataclasses.replace(a, resource_policy_checked_by_service=True) for a in accesses]
        elif caller.type == "Root" and all(account_of(a.resource) in (None, caller.account_id) for a in accesses):
            return
        policy_of = service.resource_policy
        denial = self.cloud.services.api("iam").authorize(ctx, credentials, action, accesses, policy_of)
        if denial is not None:
            encoded = None
            if protocol == "ec2" and not operation.startswith("Describe"):
                # EC2's actions (not its Describe calls) carry an encoded message, as on AWS.
                encoded = self.cloud.services.api("sts").encode_authorization_failure(
                    ctx, denial.action, denial.resource, denial.reason)
            error = denied_error(protocol, caller.arn, denial.action, denial.resource, denial.reason, encoded)
            if params.get("DryRun") is True and operation_model is not None \
                    and any(shape.name == "UnauthorizedOperation" for shape in operation_model.error_shapes):
                error.code = "UnauthorizedOperation"  # Migration Hub's answer to a DryRun the caller may not make
            raise error

    @staticmethod
    def _accesses(service: Service, ctx: RequestContext, operation: str, params: dict) -> list[Access]:
        if service.resources is None:
            return [Access("*")]
        try:
            found = service.resources(ctx, operation, params)
        except ServiceError:
            raise
        except Exception:  # noqa: BLE001 - a mapping bug must not open the door: authorize on "*"
            log.exception("%s.%s: resources for IAM failed", service.name, operation)
            found = ["*"]
        return [a if isinstance(a, Access) else Access(a) for a in found] or [Access("*")]
