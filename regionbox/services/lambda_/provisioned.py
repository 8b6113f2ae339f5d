"""Provisioned concurrency: Put/Get/Delete/ListProvisionedConcurrencyConfigs on a published
version or an alias, with Lambda's checks (not $LATEST; an alias and the version it points to
cannot both have one; within the function's reserved concurrency and the account's unreserved
pool, which must keep 100).

Environments here start on first use and stay warm while used (workers.py), so a configuration
is READY at once with everything it asked for allocated; it is kept, listed and counted against
the function's concurrency as on AWS, but does not start environments ahead of time.
"""

from __future__ import annotations

from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.services.lambda_.errors import conflict, invalid_value
from regionbox.services.lambda_.functions import MINIMUM_UNRESERVED, timestamp
from regionbox.services.lambda_.invoke_configs import CONFIGS_PAGE as PAGE_OF_50
from regionbox.services.lambda_.models import LATEST, ProvisionedConcurrency
from regionbox.services.lambda_.names import FunctionRef, function_arn, parse_function
from regionbox.services.lambda_.state import LambdaState



def _output(config: ProvisionedConcurrency) -> dict[str, Any]:
    return {"RequestedProvisionedConcurrentExecutions": config.requested,
            "AllocatedProvisionedConcurrentExecutions": config.requested,
            "AvailableProvisionedConcurrentExecutions": config.requested,
            "Status": "READY", "LastModified": config.last_modified}


class ProvisionedConcurrencyConfigs:
    def __init__(self, state: LambdaState, paginator: Paginator, concurrency: int) -> None:
        self.state = state
        self.paginator = paginator
        self.concurrency = concurrency

    def _ref(self, ctx: RequestContext, params: dict) -> FunctionRef:
        ref = parse_function(ctx, params["FunctionName"], params.get("Qualifier"))
        self.state.function(ref)
        if ref.qualifier in (None, LATEST):
            raise invalid_value("Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
        self.state.resolve(ref)
        return ref

    def _of(self, scope: Scope, name: str) -> list[ProvisionedConcurrency]:
        return [c for key, c in self.state.provisioned.items(scope) if key.startswith(f"{name}:")]

    def put_provisioned_concurrency_config(self, ctx: RequestContext, params: dict) -> dict:
        ref = self._ref(ctx, params)
        wanted = params["ProvisionedConcurrentExecutions"]
        function = self.state.function(ref)
        config, alias = self.state.resolve(ref)
        others = [c for c in self._of(ref.scope, ref.name) if c.qualifier != ref.qualifier]
        # An alias and the version it routes to cannot both be provisioned.
        aliases = {a.name: a.version for a in self.state.aliases_of(ref.scope, ref.name)}
        for other in others:
            if alias is not None and other.qualifier == alias.version:
                raise conflict("Alias can't be used for Provisioned Concurrency configuration on an already "
                               "Provisioned version")
            if alias is None and aliases.get(other.qualifier) == config.version:
                raise conflict("Version is pointed by a Provisioned Concurrency alias")
        total = wanted + sum(c.requested for c in others)
        if function.reserved_concurrency is not None and total > function.reserved_concurrency:
            raise invalid_value("Requested Provisioned Concurrency should not be greater than the "
                                "reservedConcurrentExecution for function")
        if function.reserved_concurrency is None:
            reserved = sum(f.reserved_concurrency or 0 for f in self.state.functions.values(ref.scope))
            provisioned = sum(c.requested for c in self.state.provisioned.values(ref.scope) if c.function != ref.name)
            if self.concurrency - reserved - provisioned - total < MINIMUM_UNRESERVED:
                raise invalid_value("Specified ConcurrentExecutions for function is greater than account's "
                                    "unreserved concurrency [%d]." % max(self.concurrency - reserved - provisioned, 0))
        record = ProvisionedConcurrency(function=ref.name, qualifier=ref.qualifier, requested=wanted,
                                        last_modified=timestamp())
        self.state.provisioned.put(ref.scope, f"{ref.name}:{ref.qualifier}", record)
        return _output(record)

    def get_provisioned_concurrency_config(self, ctx: RequestContext, params: dict) -> dict:
        ref = self._ref(ctx, params)
        record = self.state.provisioned.get(ref.scope, f"{ref.name}:{ref.qualifier}")
        if record is None:
            raise ServiceError("ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config "
                               "found for this function", status=404, Type="User")
        return _output(record)

    def delete_provisioned_concurrency_config(self, ctx: RequestContext, params: dict) -> dict:
        ref = self._ref(ctx, params)
        self.state.provisioned.delete(ref.scope, f"{ref.name}:{ref.qualifier}")
        return {}

    def list_provisioned_concurrency_configs(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"])
        self.state.function(ref)
        configs = sorted(self._of(ref.scope, ref.name), key=lambda c: c.qualifier)
        page, marker = self.paginator.paginate(configs, params, PAGE_OF_50, query=ref.name)
        output: dict[str, Any] = {"ProvisionedConcurrencyConfigs": [
            {"FunctionArn": function_arn(*ref.scope, ref.name, c.qualifier), **_output(c)} for c in page]}
        if marker:
            output["NextMarker"] = marker
        return output
